"""When a weekly job is due, in a community's time zone, daylight-saving changes included."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

WEEKDAYS = {
    "monday": 0, "lundi": 0, "mon": 0, "lun": 0,
    "tuesday": 1, "mardi": 1, "tue": 1, "mar": 1,
    "wednesday": 2, "mercredi": 2, "wed": 2, "mer": 2,
    "thursday": 3, "jeudi": 3, "thu": 3, "jeu": 3,
    "friday": 4, "vendredi": 4, "fri": 4, "ven": 4,
    "saturday": 5, "samedi": 5, "sat": 5, "sam": 5,
    "sunday": 6, "dimanche": 6, "sun": 6, "dim": 6,
}


def local_instant(day: date, at: time, tz: ZoneInfo) -> datetime:
    """The UTC instant of `day at` in `tz`: a time skipped by a spring change becomes the first minute after
    the gap; a time that happens twice (autumn) is its first occurrence."""
    naive = datetime.combine(day, at)
    candidate = naive.replace(tzinfo=tz, fold=0)
    back = candidate.astimezone(timezone.utc).astimezone(tz).replace(tzinfo=None)
    if back != naive:  # does not exist: walk forward to the first minute that does
        probe = naive.replace(second=0, microsecond=0)
        while True:
            probe += timedelta(minutes=1)
            aware = probe.replace(tzinfo=tz, fold=0)
            if aware.astimezone(timezone.utc).astimezone(tz).replace(tzinfo=None) == probe:
                return aware.astimezone(timezone.utc)
    return candidate.astimezone(timezone.utc)


def week_key(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def last_due(now: datetime, weekday: int, at: time, tz: ZoneInfo) -> tuple[datetime, str]:
    """The latest due instant at or before `now` (UTC) and the ISO week it belongs to."""
    local_today = now.astimezone(tz).date()
    day = local_today - timedelta(days=(local_today.weekday() - weekday) % 7)
    due = local_instant(day, at, tz)
    if due > now:
        day -= timedelta(days=7)
        due = local_instant(day, at, tz)
    return due, week_key(day)


def next_due(now: datetime, weekday: int, at: time, tz: ZoneInfo) -> datetime:
    """The first due instant strictly after `now`."""
    due, _ = last_due(now, weekday, at, tz)
    return local_instant(due.astimezone(tz).date() + timedelta(days=7), at, tz)
