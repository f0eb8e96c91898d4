"""Migration 18 (events) on a database that already holds general meetings, on SQLite and on PostgreSQL: each meeting
becomes an event of the meeting kind under its own id (the buttons already sent, `coming 5`, still answer it), with its
answers, its reminders and the UID its invitation went out with (its update replaces it in calendars); the next event
takes the next id."""

from __future__ import annotations

import importlib
from datetime import timedelta

from icalendar import Calendar
from tortoise import connections

from bot.adapters.console import ConsoleChat
from bot.core.replies import Attachment, Reply
from bot.core.sql import sql_for
from models import Account, Event, EventAnswer, OutboxMessage

migration = importlib.import_module("models.migrations.models.18_events")


async def run(conn, sql: str, params: list) -> None:
    await conn.execute_query(sql_for(sql, conn.capabilities.dialect), params)


async def test_meetings_set_before_the_migration_are_events_that_keep_their_ids_answers_and_uids(any_app, clock):
    app = any_app
    conn = connections.get("default")
    ana = (await Account.get(platform="console", address="ana")).person_id
    jules = (await Account.get(platform="console", address="jules")).person_id
    community = (await app.services.people.community("usine-vivante")).id
    await conn.execute_script(await migration.downgrade(conn))  # the schema as it was before 18_events
    now = clock()
    meeting = ('INSERT INTO "meeting" ("id", "community_id", "starts_at", "place", "cancelled", "created_at", "reminded_week_at") '
               'VALUES (?, ?, ?, ?, ?, ?, ?)')
    await run(conn, meeting, [5, community, now + timedelta(days=30), "Salle des fêtes", False, now - timedelta(days=2), None])
    await run(conn, meeting, [9, community, now - timedelta(days=60), "Mairie", False, now - timedelta(days=90), now - timedelta(days=67)])
    answer = 'INSERT INTO "meeting_answer" ("meeting_id", "person_id", "coming", "at") VALUES (?, ?, ?, ?)'
    await run(conn, answer, [5, ana, True, now - timedelta(days=1)])
    await run(conn, answer, [5, jules, False, now - timedelta(days=1)])

    await conn.execute_script(await migration.upgrade(conn))

    moved = {e.id: e for e in await Event.all()}
    assert sorted(moved) == [5, 9] and {e.kind for e in moved.values()} == {"meeting"}
    assert (moved[5].place, moved[5].uid, moved[5].sequence, moved[5].title) == ("Salle des fêtes", "meeting-5@relais", 0, "")
    assert moved[9].reminded_week_at is not None
    answers = {(a.event_id, a.person_id): a.status for a in await EventAnswer.all()}
    assert answers == {(5, ana): "coming", (5, jules): "not_coming"}
    # The buttons already sent still answer; the meeting changes under the UID its invitation had.
    assert "Noté" in await ConsoleChat(app.console, "jules").exchange("je viens 5")
    await ConsoleChat(app.console, "me").exchange("réunion lieu Mairie")
    row = await OutboxMessage.filter(key__startswith="event-update:5:1:").first()
    [ics] = Reply.from_dict(row.payload).elements(Attachment)
    event = Calendar.from_ical(ics.data).walk("VEVENT")[0]
    assert (str(event["UID"]), int(event["SEQUENCE"]), str(event["LOCATION"])) == ("meeting-5@relais", 1, "Mairie")
    # The next event takes the next id (PostgreSQL's sequence moved past the meetings' ids).
    await ConsoleChat(app.console, "me").exchange('événement "Atelier" 12 décembre 14h')
    assert (await Event.get(kind="event")).id == 10
