"""The general meeting, an event of its own kind: one meeting that changes — set by hand or by its date poll, given
its place later, set again on the same date (the same meeting, one update), cancelled with a METHOD:CANCEL invitation;
announced to every member, answered `coming` / `not coming`, reminded 7 days and 1 day before."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Callable
from zoneinfo import ZoneInfo

from bot.core.errors import UserError
from bot.core.i18n import N_, Catalogs, Translator
from bot.services.events import Events
from bot.services.events_push import EventNotices
from bot.services.events_text import when_text  # noqa: F401  (the meeting's date as the handlers and the list show it)
from models import Community, Event, EventKind, Person

log = logging.getLogger("relais.meetings")


class Meetings:
    def __init__(self, catalogs: Catalogs, clock: Callable[[], datetime], events: Events, notices: EventNotices):
        self.catalogs = catalogs
        self.clock = clock
        self.events = events
        self.notices = notices

    async def next(self, community_id: int) -> Event | None:
        return await self.events.next_meeting(community_id)

    async def on_day(self, community: Community, starts: datetime) -> Event | None:
        """The coming meeting on the same day (the community's calendar) as `starts`, if one is set."""
        tz = ZoneInfo(community.timezone)
        day = starts.astimezone(tz).date()
        for meeting in await self.events.upcoming(community.id, EventKind.MEETING):
            if meeting.starts_at.astimezone(tz).date() == day:
                return meeting
        return None

    async def set(self, community: Community, starts: datetime, place: str, by: Person | None,
                  shown_in: str = "") -> tuple[Event, bool]:
        """The meeting at `starts`: on the day of a meeting already set, that meeting changes (its time, its place when
        one is given) and one update goes out; otherwise a new one is announced. Returns (meeting, changed)."""
        same = await self.on_day(community, starts)
        if same is not None:
            await self.change(community, same, starts=starts if starts != same.starts_at else None,
                              place=place if place and place != same.place else None, shown_in=shown_in)
            return same, True
        meeting = await self.events.create(community, by, "", starts, place, kind=EventKind.MEETING)
        await self.notices.announce(meeting, community, shown_in=shown_in)
        return meeting, False

    async def change(self, community: Community, meeting: Event, starts: datetime | None = None, place: str | None = None,
                     shown_in: str = "") -> bool:
        """A new time or place for the meeting, sent once to the members (SEQUENCE + 1); False when nothing changes."""
        if starts is None and place is None:
            return False
        tz = ZoneInfo(community.timezone)
        await self.events.change(meeting, starts=starts, place=place)

        def changes(t: Translator) -> tuple[str, ...]:
            said = []
            if starts is not None:
                said.append(t(N_("the date, now {when}"), when=when_text(t, meeting, tz)))
            if place is not None:
                said.append(t(N_("the place, now {place}"), place=place) if place else t(N_("no place set")))
            return tuple(said)
        await self.notices.updated(meeting, community, changes, shown_in=shown_in)
        log.info("meeting changed", extra={"meeting": meeting.id, "community": community.id})
        return True

    async def set_place(self, community: Community, place: str, shown_in: str = "") -> Event:
        meeting = await self.next(community.id)
        if meeting is None:
            raise UserError(N_("No general meeting set for {community}."), community=community.name)
        await self.change(community, meeting, place=place.strip() if place.strip() != meeting.place else None, shown_in=shown_in)
        return meeting

    async def cancel(self, community: Community, meeting: Event, shown_in: str = "") -> bool:
        if not await self.events.cancel(meeting):
            return False
        await self.notices.cancelled(meeting, community, shown_in=shown_in)
        return True

    async def remind_due(self) -> int:
        """Every event's reminders (the scheduler's votes job calls this each minute)."""
        sent = await self.notices.remind_due()
        if sent:
            self.notices.notifier.wake()
        return sent
