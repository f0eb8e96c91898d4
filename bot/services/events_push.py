"""What events send, through the outbox: the invitation (an `.ics` with METHOD:REQUEST) to the project's followers or
the community's members and to the rooms, the update once per change (SEQUENCE + 1), the cancel (METHOD:CANCEL), the
news of a place freed to who waited, the reminders 7 days and 1 day before. Each notice of one event is one mail
thread, with the community's List-Id."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Callable
from zoneinfo import ZoneInfo

from bot.core.i18n import Catalogs, Translator
from bot.core.sql import load
from bot.services import events_text as text
from bot.services.events import Events
from bot.services.ical import CANCEL, REQUEST, Organizer, calendar
from bot.services.notify import Notifier
from models import Community, Event, EventKind, Person, Project, Role, Rsvp

log = logging.getLogger("relais.events")

REMINDERS = (("reminded_week_at", timedelta(days=7), "week"), ("reminded_day_at", timedelta(days=1), "day"))
MEMBERS = ('SELECT p.* FROM "person" p JOIN "membership" m ON m."person_id" = p."id" WHERE m."community_id" = ? '
           'AND m."role" >= ? AND m."requested_at" IS NULL ORDER BY p."id"')
FOLLOWERS_AND_REFERENTS = ('SELECT p.* FROM "person" p WHERE p."id" IN (SELECT "person_id" FROM "follow" WHERE "project_id" = ? '
                           'UNION SELECT "person_id" FROM "project_referent" WHERE "project_id" = ?) ORDER BY p."id"')


class EventNotices:
    def __init__(self, catalogs: Catalogs, clock: Callable[[], datetime], notifier: Notifier, events: Events):
        self.catalogs = catalogs
        self.clock = clock
        self.notifier = notifier
        self.events = events
        self.public_url = ""  # the public pages' base, when served: the invitation links the community's page

    # -- what is sent ----------------------------------------------------------------------------------------

    def ics(self, t: Translator, event: Event, community: Community, method: str = REQUEST) -> bytes:
        organizer = Organizer(f"relais@{self.events.domain}", community.name)
        url = f"{self.public_url}/c/{community.slug}" if self.public_url and community.pages else ""
        return calendar([(event, text.name(t, event, community.name))], community.timezone, text.name(t, event, community.name),
                        organizer, method=method, url=url)

    def build(self, event: Event, community: Community, reminder: str = "", project: str = "", coming: int = 0,
              changes: Callable[[Translator], tuple[str, ...]] | None = None) -> Callable[[Translator], object]:
        tz = ZoneInfo(community.timezone)
        method = CANCEL if reminder == "cancel" else REQUEST

        def make(t: Translator):
            return text.notice(t, event, community.name, tz, self.ics(t, event, community, method), reminder, project, coming,
                               changes(t) if changes else ())
        return make

    @staticmethod
    def beside(event: Event, community: Community) -> dict:
        """What a mail shows beside the notice: the event's thread and the community (its List-Id)."""
        return {"thread": f"event.{event.id}", "community": {"slug": community.slug, "name": community.name}}

    async def invited(self, event: Event) -> list[Person]:
        """Who hears of the event: a project's followers and referents; the community's members for the others."""
        if event.project_id and event.kind == EventKind.EVENT:
            return await load(Person, FOLLOWERS_AND_REFERENTS, [event.project_id, event.project_id])
        return await load(Person, MEMBERS, [event.community_id, int(Role.OBSERVER)])

    async def _project(self, event: Event) -> str:
        if not event.project_id:
            return ""
        found = await Project.get_or_none(id=event.project_id)
        return found.title if found else ""

    async def _send(self, people: list[Person], key: str, event: Event, community: Community, build) -> int:
        if not people:
            return 0
        sent = await self.notifier.enqueue(people, key, "event", build, community.id, default_locale=community.locale,
                                           extra=self.beside(event, community))
        self.notifier.wake()
        return sent

    # -- the moments --------------------------------------------------------------------------------------

    async def announce(self, event: Event, community: Community, shown_in: str = "") -> tuple[int, int]:
        """The invitation to the rooms (but `shown_in`) and to each invited person; the list posts it at its next
        round. Returns (rooms, people)."""
        project = await self._project(event)
        build = self.build(event, community, "", project)
        t = self.catalogs.get(community.locale)
        rooms = await self.notifier.to_rooms(community.id, f"event{event.id}", build(t), exclude=shown_in)  # type: ignore[arg-type]
        people = await self._send(await self.invited(event), f"event:{event.id}", event, community, build)
        log.info("event announced", extra={"event": event.id, "community": community.id, "people": people, "rooms": rooms})
        return rooms, people

    async def updated(self, event: Event, community: Community, changes: Callable[[Translator], tuple[str, ...]],
                      shown_in: str = "") -> int:
        """The update, once per change (its SEQUENCE in the key): to who was invited but said no, and who answered."""
        project = await self._project(event)
        coming, _ = (await self.events.counts([event.id]))[event.id]
        build = self.build(event, community, "update", project, coming, changes)
        await self.notifier.to_rooms(community.id, f"event{event.id}.{event.sequence}", build(self.catalogs.get(community.locale)),  # type: ignore[arg-type]
                                     exclude=shown_in)
        away = {p.id for p in await self.events.answered(event, (Rsvp.NOT_COMING,))}
        answered = await self.events.answered(event, (Rsvp.COMING, Rsvp.WAITING))
        people = {p.id: p for p in [*await self.invited(event), *answered] if p.id not in away}
        return await self._send(list(people.values()), f"event-update:{event.id}:{event.sequence}", event, community, build)

    async def cancelled(self, event: Event, community: Community, shown_in: str = "") -> int:
        """The cancel with its METHOD:CANCEL: to everyone who answered (and every member for the general meeting)."""
        build = self.build(event, community, "cancel", await self._project(event))
        await self.notifier.to_rooms(community.id, f"event{event.id}.cancel", build(self.catalogs.get(community.locale)),  # type: ignore[arg-type]
                                     exclude=shown_in)
        people = {p.id: p for p in await self.events.answered(event, (Rsvp.COMING, Rsvp.WAITING, Rsvp.NOT_COMING))}
        if event.kind == EventKind.MEETING:
            people.update({p.id: p for p in await self.invited(event)})
        return await self._send(list(people.values()), f"event-cancel:{event.id}", event, community, build)

    async def promoted(self, event: Event, community: Community, person_ids: list[int]) -> int:
        """Told once: a place freed up and they are coming now."""
        if not person_ids:
            return 0
        people = await Person.filter(id__in=person_ids).order_by("id")
        build = self.build(event, community, "promoted", await self._project(event))
        return await self._send(people, f"event-promoted:{event.id}:{event.sequence}", event, community, build)

    async def remind_due(self) -> int:
        """The reminders 7 days and 1 day before, each claimed once: to who comes (for the general meeting, to every
        member but who said they are not coming, as before events had answers of their own)."""
        now = self.clock()
        sent = 0
        for column, before, kind in REMINDERS:
            due = await Event.filter(cancelled=False, starts_at__gt=now, starts_at__lte=now + before, **{f"{column}__isnull": True})
            for event in due:
                if not await self.events.claim_reminder(event, column):
                    continue
                if (event.updated_at or event.created_at) > event.starts_at - before:
                    continue  # announced (or changed) within that time: that notice was the reminder
                community = await Community.get(id=event.community_id)
                if event.kind == EventKind.MEETING:
                    away = {p.id for p in await self.events.answered(event, (Rsvp.NOT_COMING,))}
                    people = [p for p in await self.invited(event) if p.id not in away]
                else:
                    people = await self.events.answered(event, (Rsvp.COMING,))
                sent += await self._send(people, f"event-{kind}:{event.id}", event, community,
                                         self.build(event, community, kind, await self._project(event)))
        return sent
