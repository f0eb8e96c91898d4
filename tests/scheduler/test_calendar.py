"""Due times of weekly jobs in a community's time zone, across daylight-saving changes."""

from datetime import date, datetime, time, timezone
from zoneinfo import ZoneInfo

from bot.services.calendar import last_due, local_instant, next_due, week_key

PARIS = ZoneInfo("Europe/Paris")
MONTREAL = ZoneInfo("America/Montreal")


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


def test_monday_eight_in_two_time_zones():
    now = utc(2026, 11, 23, 12, 0)
    assert last_due(now, 0, time(8, 0), PARIS) == (utc(2026, 11, 23, 7, 0), "2026-W48")
    # 08:00 in Montréal is 13:00 UTC: at noon UTC it is still last week's.
    assert last_due(now, 0, time(8, 0), MONTREAL) == (utc(2026, 11, 16, 13, 0), "2026-W47")
    assert next_due(now, 0, time(8, 0), MONTREAL) == utc(2026, 11, 23, 13, 0)


def test_a_time_skipped_by_the_spring_change_fires_at_the_first_minute_after_it():
    due = local_instant(date(2027, 3, 28), time(2, 30), PARIS)  # 02:00 → 03:00 that night
    assert due.astimezone(PARIS).strftime("%H:%M %Z") == "03:00 CEST"
    assert last_due(utc(2027, 3, 28, 1, 5), 6, time(2, 30), PARIS) == (utc(2027, 3, 28, 1, 0), "2027-W12")


def test_a_time_that_happens_twice_in_autumn_fires_once_at_its_first_occurrence():
    due = local_instant(date(2026, 10, 25), time(2, 30), PARIS)
    assert due == utc(2026, 10, 25, 0, 30)
    assert next_due(utc(2026, 10, 25, 0, 45), 6, time(2, 30), PARIS) == utc(2026, 11, 1, 1, 30)


def test_the_week_across_the_change_keeps_its_local_hour():
    # Monday 08:00 Paris is 06:00 UTC in summer and 07:00 UTC in winter.
    assert last_due(utc(2026, 10, 19, 9), 0, time(8, 0), PARIS)[0] == utc(2026, 10, 19, 6, 0)
    assert last_due(utc(2026, 10, 26, 9), 0, time(8, 0), PARIS)[0] == utc(2026, 10, 26, 7, 0)
    assert week_key(date(2027, 1, 1)) == "2026-W53"
