"""iCalendar (RFC 5545, iTIP RFC 5546) with the `icalendar` library's own components: an event's invitation
(METHOD:REQUEST, or CANCEL), the community's feeds (no METHOD); every TZID used gets its VTIMEZONE (Outlook needs it),
every event its stable UID, SEQUENCE, ORGANIZER and STATUS."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from models import Event

if TYPE_CHECKING:  # icalendar is imported when a calendar is written (a start does not need it)
    from icalendar import Event as VEvent
    from icalendar import vCalAddress

LENGTH = timedelta(hours=2)  # an event's length when nothing else is said
PRODID = "-//Relais//events//EN"
REQUEST, CANCEL = "REQUEST", "CANCEL"


def new_uid(domain: str) -> str:
    """A UID no other instance makes: a random UUID and this instance's domain."""
    return f"{uuid.uuid4()}@{domain or 'relais.localhost'}"


@dataclass(frozen=True)
class Organizer:
    """Who sends the invitations: Relais' address, in the community's name."""

    address: str
    name: str

    def cal_address(self) -> vCalAddress:
        from icalendar import vCalAddress

        found = vCalAddress(f"mailto:{self.address}")
        found.params["CN"] = self.name
        return found


def vevent(event: Event, summary: str, tz: ZoneInfo, organizer: Organizer, url: str = "", description: str = "") -> VEvent:
    """One event as its VEVENT: times in the community's zone (TZID), stamped with its last change."""
    start = event.starts_at.astimezone(tz)
    from icalendar import Event as VEvent

    component = VEvent()
    component.add("uid", event.uid)
    component.add("dtstamp", (event.updated_at or event.created_at or event.starts_at).astimezone(timezone.utc))
    component.add("dtstart", start)
    component.add("dtend", start + LENGTH)
    component.add("summary", summary)
    component.add("sequence", event.sequence)
    component.add("status", "CANCELLED" if event.cancelled else "CONFIRMED")
    component.add("organizer", organizer.cal_address())
    if event.place:
        component.add("location", event.place)
    if description:
        component.add("description", description)
    if url:
        component.add("url", url)
    return component


def calendar(items: list[tuple[Event, str]], tzname: str, name: str, organizer: Organizer, method: str = "",
             url: str = "", description: str = "") -> bytes:
    """The calendar of `items` (event, summary): an invitation when `method` is REQUEST or CANCEL (one event), else the
    feed calendar apps subscribe to. The same events give the same bytes (the feed's ETag holds)."""
    tz = ZoneInfo(tzname)
    from icalendar import Calendar, Timezone

    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    if method:
        cal.add("method", method)
    cal.add("x-wr-calname", name)
    cal.add("x-wr-timezone", tzname)
    for event, summary in items:
        cal.add_component(vevent(event, summary, tz, organizer, url, description))
    # The zone's rules over the years the events span (not since 1970); an empty feed still holds its zone, so that it
    # is a calendar with a component (RFC 5545) that apps accept.
    years = [e.starts_at.astimezone(tz).year for e, _ in items] or [datetime.now(timezone.utc).year]
    first, last = date(min(years) - 1, 1, 1), date(max(years) + 2, 1, 1)
    if items:
        cal.add_missing_timezones(first_date=first, last_date=last)
    else:
        cal.add_component(Timezone.from_tzid(tzname, first_date=first, last_date=last))
    return cal.to_ical()
