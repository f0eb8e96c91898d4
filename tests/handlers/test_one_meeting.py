"""The general meeting, one meeting that changes, in English and French (console and the fake platform): the guided
date poll asks for the place and the deadline; its close sets the meeting with that place and says so; the place given
later, or the meeting set again on the same date, updates the same meeting (one update, SEQUENCE + 1, never a second
invitation); the cancel tells the members with a METHOD:CANCEL invitation and keeps the answers."""

from __future__ import annotations

from icalendar import Calendar

from bot.core.i18n import french_typography as fr
from bot.core.replies import Attachment, Reply
from models import Event, EventAnswer, OutboxMessage

MEMBERS = 6  # the demo community's


async def sent(prefix: str) -> list[tuple[str, int, str]]:
    """(METHOD, SEQUENCE, LOCATION) of each notice in the outbox whose key starts with `prefix`."""
    out = []
    for row in await OutboxMessage.filter(key__startswith=prefix):
        [ics] = Reply.from_dict(row.payload).elements(Attachment)
        cal = Calendar.from_ical(ics.data)
        event = cal.walk("VEVENT")[0]
        out.append((str(cal["METHOD"]), int(event["SEQUENCE"]), str(event.get("LOCATION", ""))))
    return out


async def test_the_meeting_set_by_its_poll_gets_its_place_later_and_changes_once(talk):
    me, ana = talk("me"), talk("ana")
    await me.say("lang en")
    await ana.say("lang en")
    await me.check(
        ("meeting poll", "Which dates should the members choose from?"),
        ("12 january 19:00, 19 january 19:00", "Where will it be? Write the place, or “none”"),
        ("none", "Until when can the members answer?"),
        ("5 january", ["Poll #1 of Tiers-lieu de l'Usine Vivante", "date poll", "closes Jan 5, 2027 at 23:59"]),
    )
    await ana.check(("vote 1 2 maybe 1", "Vote recorded on poll #1"))
    await me.check(("poll close 1", ["Results of poll #1", "Who can come", "Ana", "The general meeting is set: Tuesday, "
                                      "January 19, 2027 19:00."]))
    meeting = await Event.get(kind="meeting")
    assert meeting.place == "" and await OutboxMessage.filter(key__startswith=f"event:{meeting.id}:").count() == MEMBERS
    await ana.check(("coming", "Noted: you are coming to the general meeting of Tiers-lieu de l'Usine Vivante"))
    await me.check(("meeting place Town hall", ["The general meeting of Tiers-lieu de l'Usine Vivante changes: ",
                                                 "Place: Town hall", "one update of their invitation; their answers stay"]),
                   ("meeting set 19 january 18:30 Town hall", ["changes: ", "Tuesday, January 19, 2027 18:30"]),
                   ("meeting set 19 january 18:30 Town hall", "Nothing changes."))
    assert await Event.filter(kind="meeting").count() == 1  # one meeting, never a second invitation
    assert await OutboxMessage.filter(key__startswith=f"event:{meeting.id}:").count() == MEMBERS
    assert sorted(await sent(f"event-update:{meeting.id}:")) == [("REQUEST", 1, "Town hall")] * MEMBERS + [("REQUEST", 2, "Town hall")] * MEMBERS
    await me.check(("meeting cancel", ["The meeting is cancelled.", "with a calendar cancel; their answers stay on record"]))
    assert await sent(f"event-cancel:{meeting.id}:") == [("CANCEL", 3, "Town hall")] * MEMBERS
    assert await EventAnswer.filter(event_id=meeting.id, status="coming").count() == 1
    await me.check(("meeting cancel", "There is no such meeting."))


async def test_la_réunion_qui_change_en_français(talk):
    me = talk("me")
    await me.check(
        ("réunion sondage", "Entre quelles dates les membres choisissent-ils"),
        ("12 janvier 19h, 19 janvier 19h", fr("Où aura-t-elle lieu ?")),
        ("Salle des fêtes", fr("Jusqu'à quand les membres peuvent-ils répondre ?")),
        ("aucune", ["Sondage #1 de Tiers-lieu de l'Usine Vivante", fr("Lieu : Salle des fêtes")]),
        ("voter 1 1 oui, 2 non", "Vote enregistré"),
        ("sondage clore 1", [fr("Résultats du sondage #1"), "Qui peut venir", fr("La réunion générale est fixée : mardi 12 janvier 2027 19:00.")]),
    )
    meeting = await Event.get(kind="meeting")
    assert meeting.place == "Salle des fêtes"
    await me.check(("réunion fixer 12 janvier 18h", [fr("La réunion générale de Tiers-lieu de l'Usine Vivante change : "),
                                                     "mardi 12 janvier 2027 18:00"]),
                   ("réunion lieu Mairie", fr("Lieu : Mairie")),
                   ("réunion", fr("Prochaine réunion générale : mardi 12 janvier 2027 18:00 — Mairie")),
                   ("réunion annuler", ["La réunion est annulée.", "leurs réponses restent enregistrées"]))
    assert await Event.filter(kind="meeting").count() == 1


async def test_a_date_poll_closing_on_the_day_of_the_meeting_set_updates_it(talk, app):
    me = talk("me")
    await me.say("lang en")
    await me.say("meeting set 12 january 19:00 Town hall")
    await me.say('meeting poll "12 january 20:00" "19 january 20:00" place Library')
    await talk("ana").say("vote 1 1")
    await me.say("poll close 1")
    [meeting] = await Event.filter(kind="meeting")
    assert (meeting.place, meeting.sequence) == ("Library", 1)
    assert meeting.starts_at.hour == 19  # 20:00 in Paris
