"""Events and the general meeting as data: created, found by number or name, answered (coming, on the waiting list
when full, not coming: each answer counted once under the event's lock), changed and cancelled with the answers kept.
What they send is bot/services/events_push.py."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Callable

from tortoise.transactions import in_transaction

from bot.core.commands import fold
from bot.core.errors import UserError
from bot.core.i18n import N_
from bot.core.numbers import read_number
from bot.core.replies import Choice
from bot.core.sql import fetch, one, sql_for
from bot.services import search_index
from bot.services.ical import new_uid
from models import Community, Event, EventKind, Membership, Person, Project, Rsvp

log = logging.getLogger("relais.events")

TITLE_MAX, PLACE_MAX, CAPACITY_MAX = 200, 200, 100_000
UPSERT = ('INSERT INTO "event_answer" ("event_id", "person_id", "status", "at") VALUES (?, ?, ?, ?) '
          'ON CONFLICT ("event_id", "person_id") DO UPDATE SET "status" = excluded."status", "at" = excluded."at"')
COMING = 'SELECT COUNT(*) FROM "event_answer" WHERE "event_id" = ? AND "status" = \'coming\''
# A place if one is free, else the waiting list: decided and written in one statement (under the event row's lock).
TAKE_PLACE = ('INSERT INTO "event_answer" ("event_id", "person_id", "status", "at") SELECT ?, ?, CASE WHEN (SELECT COUNT(*) '
              'FROM "event_answer" WHERE "event_id" = ? AND "status" = \'coming\') < ? THEN \'coming\' ELSE \'waiting\' END, ? '
              'WHERE 1 = 1 ON CONFLICT ("event_id", "person_id") DO UPDATE SET "status" = excluded."status", "at" = excluded."at" '
              'RETURNING "status", "id"')
# Where a waiting answer stands: the waiting answers given before it (the index on event, status, at, id counts them).
AHEAD = ('SELECT COUNT(*) FROM "event_answer" WHERE "event_id" = ? AND "status" = \'waiting\' AND ("at" < ? OR ("at" = ? AND "id" <= ?))')


@dataclass
class Answered:
    status: Rsvp  # the person's answer now (coming, or waiting when the event is full)
    before: Rsvp | None  # their answer before (None: a first answer)
    promoted: list[int] = field(default_factory=list)  # people moved up from the waiting list by this answer
    position: int = 0  # on the waiting list: 1 is the next to move up


@dataclass
class Attendance:
    """Who answered, in the order they did: (person id, name) each; the waiting list in its order."""

    coming: list[tuple[int, str]] = field(default_factory=list)
    waiting: list[tuple[int, str]] = field(default_factory=list)
    not_coming: list[tuple[int, str]] = field(default_factory=list)


def search_kind(event: Event) -> str:
    return "meeting" if event.kind == EventKind.MEETING else "event"


def check(title: str, place: str, capacity: int | None, kind: EventKind) -> None:
    if kind == EventKind.EVENT and not title.strip():
        raise UserError(N_('Give the event\'s title, in quotes: /event "Presentation evening" 12 march 19:00.'))
    if len(title) > TITLE_MAX:
        raise UserError(N_("The title is {length} characters long; {limit} at most."), length=len(title), limit=TITLE_MAX)
    if len(place) > PLACE_MAX:
        raise UserError(N_("The place is {length} characters long; {limit} at most."), length=len(place), limit=PLACE_MAX)
    if capacity is not None and not 1 <= capacity <= CAPACITY_MAX:
        raise UserError(N_("The number of places goes from 1 to {limit}."), limit=CAPACITY_MAX)


class Events:
    def __init__(self, clock: Callable[[], datetime], domain: str = "relais.localhost"):
        self.clock = clock
        self.domain = domain  # the instance's domain in each event's UID (the App sets the mail domain)

    async def create(self, community: Community, by: Person | None, title: str, starts: datetime, place: str = "",
                     project: Project | None = None, capacity: int | None = None, kind: EventKind = EventKind.EVENT) -> Event:
        check(title, place, capacity, kind)
        event = await Event.create(community_id=community.id, project_id=project.id if project else None, kind=kind,
                                   title=title.strip(), starts_at=starts, place=place.strip(), capacity=capacity,
                                   uid=new_uid(self.domain), created_by_id=by.id if by else None, created_at=self.clock())
        await search_index.refresh(search_kind(event), event.id)
        log.info("event created", extra={"event": event.id, "community": community.id, "kind": str(kind)})
        return event

    async def get(self, event_id: int) -> Event | None:
        return await Event.get_or_none(id=event_id)

    async def upcoming(self, community_id: int, kind: EventKind | None = None) -> list[Event]:
        query = Event.filter(community_id=community_id, cancelled=False, starts_at__gte=self.clock())
        if kind is not None:
            query = query.filter(kind=kind)
        return await query.order_by("starts_at", "id")

    async def next_meeting(self, community_id: int) -> Event | None:
        return await Event.filter(community_id=community_id, kind=EventKind.MEETING, cancelled=False,
                                  starts_at__gte=self.clock()).order_by("starts_at").first()

    async def find(self, person: Person, community: Community | None, words: str) -> Event:
        """An event by its number (any community of the person's), or by words of its title among the coming events of
        the person's communities (the current one first)."""
        words = words.strip().lstrip("#")
        number = read_number(words)
        if number is not None:  # plain SQL: every answer by button or link names its event this way
            found = await one(Event, 'SELECT e.* FROM "event" e JOIN "membership" m ON m."community_id" = e."community_id" '
                                     'AND m."person_id" = ? WHERE e."id" = ?', [person.id, number])
            if found is None:  # no such event, or one of a community the person is not in
                raise UserError(N_("There is no event {ref}."), ref=words[:40])
            return found
        mine = set(await Membership.filter(person_id=person.id).values_list("community_id", flat=True))
        wanted = fold(words).split()
        if not wanted:
            raise UserError(N_("Which event? Give its number or words of its title (type /events to see them)."))
        candidates = await Event.filter(community_id__in=list(mine), cancelled=False, kind=EventKind.EVENT,
                                        starts_at__gte=self.clock()).order_by("starts_at", "id")
        hits = [e for e in candidates if all(w in fold(e.title) for w in wanted)]
        if community is not None and any(e.community_id == community.id for e in hits):
            hits = [e for e in hits if e.community_id == community.id]
        if not hits:
            raise UserError(N_("No coming event is called “{words}” (type /events to see them)."), words=words[:60])
        if len(hits) > 1:
            error = UserError(N_("Several events match “{words}”: give its number."), words=words[:60])
            error.choices = [Choice(f"#{e.id} {e.title}"[:60], f"event show {e.id}") for e in hits[:8]]
            raise error
        return hits[0]

    # -- answers ------------------------------------------------------------------------------------------

    async def answer(self, event: Event, person: Person, coming: bool) -> Answered:
        """Record the answer under the event row's lock (PostgreSQL; SQLite writes one transaction at a time): a place
        when there is one, else the waiting list; `not coming` frees a place, taken by the first who waits. Under the
        lock, one statement decides and writes (a statement of its own, so that it sees every answer committed before)."""
        now = self.clock()
        if event.starts_at <= now:
            raise UserError(N_("This event has taken place already."))
        before = await self.status_of(event, person)  # one's own answer: nobody else changes it
        if (coming and before in (Rsvp.COMING, Rsvp.WAITING)) or (not coming and before == Rsvp.NOT_COMING):
            if event.cancelled:
                raise UserError(N_("This event is cancelled."))
            return Answered(before, before)  # said already: a waiting place is kept
        async with in_transaction() as tx:
            dialect = tx.capabilities.dialect
            lock = " FOR UPDATE" if dialect == "postgres" else ""
            _, rows = await tx.execute_query(sql_for(f'SELECT "capacity", "cancelled" FROM "event" WHERE "id" = ?{lock}', dialect),
                                             [event.id])
            row = dict(rows[0]) if rows else None
            if row is None or row["cancelled"]:
                raise UserError(N_("This event is cancelled."))
            capacity = row["capacity"]
            if coming and capacity is not None:
                found = await tx.execute_query_dict(sql_for(TAKE_PLACE, dialect), [event.id, person.id, event.id, capacity, now])
                status, row_id = Rsvp(found[0]["status"]), int(found[0]["id"])
            else:
                status = Rsvp.COMING if coming else Rsvp.NOT_COMING
                await tx.execute_query(sql_for(UPSERT, dialect), [event.id, person.id, str(status), now])
            promoted = await self._promote(tx, event.id, capacity) if before == Rsvp.COMING and capacity is not None else []
        if status == Rsvp.WAITING:  # after the lock: nothing waits on this count
            return Answered(status, before, promoted, int((await fetch(AHEAD, [event.id, now, now, row_id]))[0][0]))
        return Answered(status, before, promoted)

    async def _promote(self, tx, event_id: int, capacity: int | None) -> list[int]:
        """The first who wait take the places free now, in the order they asked; returns who."""
        dialect = tx.capabilities.dialect
        if capacity is None:
            free = None
        else:
            _, rows = await tx.execute_query(sql_for(COMING, dialect), [event_id])
            free = capacity - int(list(dict(rows[0]).values())[0])
            if free <= 0:
                return []
        limit = "" if free is None else f" LIMIT {int(free)}"
        _, rows = await tx.execute_query(sql_for('SELECT "person_id" FROM "event_answer" WHERE "event_id" = ? AND "status" = \'waiting\' '
                                                 f'ORDER BY "at", "id"{limit}', dialect), [event_id])
        ids = [int(dict(r)["person_id"]) for r in rows]
        if ids:
            marks = ", ".join("?" for _ in ids)
            await tx.execute_query(sql_for(f'UPDATE "event_answer" SET "status" = \'coming\', "at" = ? WHERE "event_id" = ? '
                                           f'AND "person_id" IN ({marks})', dialect), [self.clock(), event_id, *ids])
            log.info("waiting list moved up", extra={"event": event_id, "moved": len(ids)})
        return ids

    async def position(self, event: Event, person: Person) -> int:
        """The person's place on the waiting list (1: the next to move up); 0 when not waiting."""
        mine = await fetch('SELECT "at", "id" FROM "event_answer" WHERE "event_id" = ? AND "person_id" = ? AND "status" = \'waiting\'',
                           [event.id, person.id])
        if not mine:
            return 0
        return int((await fetch(AHEAD, [event.id, mine[0][0], mine[0][0], mine[0][1]]))[0][0])

    async def status_of(self, event: Event, person: Person) -> Rsvp | None:
        rows = await fetch('SELECT "status" FROM "event_answer" WHERE "event_id" = ? AND "person_id" = ?', [event.id, person.id])
        return Rsvp(rows[0][0]) if rows else None

    async def attendance(self, event: Event) -> Attendance:
        rows = await fetch('SELECT a."person_id", p."display_name", a."status" FROM "event_answer" a JOIN "person" p ON p."id" = a."person_id" '
                           'WHERE a."event_id" = ? ORDER BY a."at", a."id"', [event.id])
        out = Attendance()
        lists = {Rsvp.COMING: out.coming, Rsvp.WAITING: out.waiting, Rsvp.NOT_COMING: out.not_coming}
        for pid, name, status in rows:
            lists[Rsvp(status)].append((int(pid), str(name)))
        return out

    async def counts(self, ids: list[int]) -> dict[int, tuple[int, int]]:
        """Per event: (coming, waiting)."""
        if not ids:
            return {}
        marks = ", ".join("?" for _ in ids)
        out: dict[int, tuple[int, int]] = {i: (0, 0) for i in ids}
        for eid, status, n in await fetch(f'SELECT "event_id", "status", COUNT(*) FROM "event_answer" WHERE "event_id" IN ({marks}) '
                                          'GROUP BY "event_id", "status"', ids):
            coming, waiting = out[int(eid)]
            if status == Rsvp.COMING:
                coming = int(n)
            elif status == Rsvp.WAITING:
                waiting = int(n)
            out[int(eid)] = (coming, waiting)
        return out

    async def answered(self, event: Event, statuses: tuple[Rsvp, ...]) -> list[Person]:
        ids = await fetch('SELECT "person_id" FROM "event_answer" WHERE "event_id" = ? AND "status" IN (' +
                          ", ".join("?" for _ in statuses) + ")", [event.id, *[str(s) for s in statuses]])
        return await Person.filter(id__in=[int(r[0]) for r in ids]).order_by("id")

    # -- changes ------------------------------------------------------------------------------------------

    async def change(self, event: Event, starts: datetime | None = None, place: str | None = None,
                     capacity: int | None = None, capacity_given: bool = False) -> list[int]:
        """A new date, place or number of places, with SEQUENCE one more (the update replaces the invitation in
        calendars); the answers stay. More places move the waiting list up: returns who."""
        check(event.title, place if place is not None else event.place, capacity if capacity_given else None, event.kind)
        if event.cancelled:
            raise UserError(N_("This event is cancelled."))
        values: dict = {"sequence": event.sequence + 1, "updated_at": self.clock()}
        if starts is not None:
            values["starts_at"] = starts
            values["reminded_week_at"] = values["reminded_day_at"] = None  # the reminders go out again before the new date
        if place is not None:
            values["place"] = place.strip()
        if capacity_given:
            values["capacity"] = capacity
        async with in_transaction() as tx:
            await Event.filter(id=event.id).using_db(tx).update(**values)
            promoted = await self._promote(tx, event.id, capacity) if capacity_given else []
        for key, value in values.items():
            setattr(event, key, value)
        await search_index.refresh(search_kind(event), event.id)
        return promoted

    async def cancel(self, event: Event) -> bool:
        """Cancelled once (False when it was already); the answers stay on record."""
        now = self.clock()
        done = await Event.filter(id=event.id, cancelled=False).update(cancelled=True, cancelled_at=now, updated_at=now,
                                                                        sequence=event.sequence + 1)
        if done:
            event.cancelled, event.cancelled_at, event.updated_at, event.sequence = True, now, now, event.sequence + 1
            await search_index.refresh(search_kind(event), event.id)  # a cancelled event is no longer found
        return bool(done)

    async def claim_reminder(self, event: Event, column: str) -> bool:
        return bool(await Event.filter(id=event.id, **{f"{column}__isnull": True}).update(**{column: self.clock()}))
