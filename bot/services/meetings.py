"""The general meeting: set (by hand or by its date poll), announced with an `.ics` invitation, answered
`coming` / `not coming`, reminded 7 days and 1 day before."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Callable
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event

from bot.core.i18n import N_, Catalogs, Translator
from bot.core.replies import About, Attachment, Reply, bold
from bot.services import search_index
from bot.services.notify import Notifier
from models import Community, Meeting, MeetingAnswer, Membership, Person, Role

log = logging.getLogger("relais.meetings")

LENGTH = timedelta(hours=2)  # the invitation's length when nothing else is said
REMINDERS = (("reminded_week_at", timedelta(days=7)), ("reminded_day_at", timedelta(days=1)))


def when_text(t: Translator, meeting: Meeting, tz: ZoneInfo) -> str:
    local = meeting.starts_at.astimezone(tz)
    return f"{t.date(local.date())} {local:%H:%M}"


def _event(meeting: Meeting, community: Community, t: Translator, public_url: str = "") -> Event:
    event = Event()
    event.add("uid", f"meeting-{meeting.id}@relais")
    event.add("summary", t(N_("General meeting of {community}"), community=community.name))
    event.add("dtstart", meeting.starts_at.astimezone(ZoneInfo(community.timezone)))
    event.add("dtend", (meeting.starts_at + LENGTH).astimezone(ZoneInfo(community.timezone)))
    event.add("dtstamp", meeting.created_at or meeting.starts_at)
    if meeting.place:
        event.add("location", meeting.place)
    if public_url:
        event.add("url", public_url)
    event.add("status", "CANCELLED" if meeting.cancelled else "CONFIRMED")
    return event


def ics(meeting: Meeting, community: Community, t: Translator, public_url: str = "") -> bytes:
    """The invitation calendar apps read (RFC 5545), its UID stable so a changed meeting replaces the old one."""
    return calendar([meeting], community, t, public_url, method="PUBLISH")


def calendar(meetings: list[Meeting], community: Community, t: Translator, public_url: str = "", method: str = "") -> bytes:
    """The community's meetings as one calendar: the invitation, or the feed calendar apps subscribe to."""
    cal = Calendar()
    cal.add("prodid", "-//Relais//general meeting//EN")
    cal.add("version", "2.0")
    if method:
        cal.add("method", method)
    cal.add("x-wr-calname", t(N_("General meetings of {community}"), community=community.name))
    for meeting in meetings:
        cal.add_component(_event(meeting, community, t, public_url))
    return cal.to_ical()


class Meetings:
    def __init__(self, catalogs: Catalogs, clock: Callable[[], datetime], notifier: Notifier):
        self.catalogs = catalogs
        self.clock = clock
        self.notifier = notifier

    async def next(self, community_id: int) -> Meeting | None:
        return await Meeting.filter(community_id=community_id, cancelled=False,
                                    starts_at__gte=self.clock()).order_by("starts_at").first()

    async def set(self, community: Community, starts: datetime, place: str, by: Person | None, shown_in: str = "") -> Meeting:
        """A new meeting, announced: in the rooms (but `shown_in`), to each member with the invitation; the list
        announces it at its next round."""
        meeting = await Meeting.create(community_id=community.id, starts_at=starts, place=place[:200],
                                       created_by_id=by.id if by else None)
        await search_index.refresh("meeting", meeting.id)
        tz = ZoneInfo(community.timezone)
        t = self.catalogs.get(community.locale)
        await self.notifier.to_rooms(community.id, f"meeting{meeting.id}", self.notice(t, meeting, community, tz), exclude=shown_in)
        people = await self.members(community.id)
        await self.notifier.enqueue(people, f"meeting:{meeting.id}", "meeting",
                                    lambda t: self.notice(t, meeting, community, tz), community.id, default_locale=community.locale)
        self.notifier.wake()
        log.info("meeting set", extra={"meeting": meeting.id, "community": community.id, "members": len(people)})
        return meeting

    async def members(self, community_id: int) -> list[Person]:
        ids = await Membership.filter(community_id=community_id, role__gte=Role.OBSERVER).values_list("person_id", flat=True)
        return await Person.filter(id__in=list(ids)).order_by("id")

    def notice(self, t: Translator, meeting: Meeting, community: Community, tz: ZoneInfo, reminder: str = "") -> Reply:
        head = {"": N_("General meeting of {community}: "), "week": N_("In a week, the general meeting of {community}: "),
                "day": N_("Tomorrow, the general meeting of {community}: ")}[reminder]
        reply = Reply().para("📅 ", t(head, community=community.name), bold(when_text(t, meeting, tz)))
        if meeting.place:
            reply.para(t(N_("Place: {place}"), place=meeting.place))
        reply.para(t(N_("Will you come? Your answer helps to prepare it.")))
        reply.add(Attachment(f"meeting-{meeting.id}.ics", "text/calendar", ics(meeting, community, t),
                             t(N_("The invitation for your calendar"))))
        reply.add(About((("meeting", meeting.id, 0),), hint=t(N_("↩️ A question about it? Reply to this message: the facilitators get it.")),
                        command=t(N_("↩️ A question about it? /reply <your text>: the facilitators get it."))))
        return reply.choice(t(N_("I'm coming")), f"coming {meeting.id}").choice(t(N_("I'm not coming")), f"not coming {meeting.id}")

    async def answer(self, meeting: Meeting, person: Person, coming: bool) -> bool | None:
        """Record the answer; returns the previous one (None: first answer)."""
        row = await MeetingAnswer.get_or_none(meeting_id=meeting.id, person_id=person.id)
        if row is None:
            await MeetingAnswer.create(meeting_id=meeting.id, person_id=person.id, coming=coming, at=self.clock())
            return None
        was = row.coming
        await MeetingAnswer.filter(id=row.id).update(coming=coming, at=self.clock())
        return was

    async def answers(self, meeting: Meeting) -> tuple[list[str], list[str]]:
        rows = await MeetingAnswer.filter(meeting_id=meeting.id).order_by("at")
        names = {p.id: p.display_name for p in await Person.filter(id__in=[r.person_id for r in rows])}
        return ([names[r.person_id] for r in rows if r.coming], [names[r.person_id] for r in rows if not r.coming])

    async def remind_due(self) -> int:
        """The reminders 7 days and 1 day before, each claimed once; not to who said they are not coming."""
        now = self.clock()
        sent = 0
        for column, before in REMINDERS:
            due = await Meeting.filter(cancelled=False, starts_at__gt=now, starts_at__lte=now + before,
                                       **{f"{column}__isnull": True})
            for meeting in due:
                if not await Meeting.filter(id=meeting.id, **{f"{column}__isnull": True}).update(**{column: now}):
                    continue
                if meeting.created_at and meeting.created_at > meeting.starts_at - before:
                    continue  # announced within that time already: the announcement was the reminder
                community = await Community.get(id=meeting.community_id)
                tz = ZoneInfo(community.timezone)
                away = set(await MeetingAnswer.filter(meeting_id=meeting.id, coming=False).values_list("person_id", flat=True))
                people = [p for p in await self.members(community.id) if p.id not in away]
                kind = "week" if column == "reminded_week_at" else "day"
                sent += await self.notifier.enqueue(
                    people, f"meeting-{kind}:{meeting.id}", "meeting", lambda t, m=meeting, c=community, z=tz, k=kind:
                    self.notice(t, m, c, z, reminder=k), community.id, default_locale=community.locale)
        if sent:
            self.notifier.wake()
        return sent
