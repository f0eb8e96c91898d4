"""Due dates written in French or English ("le 12 mars", "next friday", "2026-12-04")."""

from __future__ import annotations

import re
from datetime import date, datetime

import dateparser

from bot.core.errors import UserError
from bot.core.i18n import N_

# The words that introduce a due date at the end of a next step.
DATE_MARKERS = ("by", "pour", "before", "avant", "d'ici", "until", "jusqu'au")
_MARKER = re.compile(r"\s(" + "|".join(re.escape(m) for m in DATE_MARKERS) + r")\s+", re.IGNORECASE)
_WEEKDAYS = "lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche"
# dateparser knows "next friday" but not "vendredi prochain": the weekday alone, taken in the future, is the same day.
_NEXT_FR = re.compile(rf"^(?:(?P<a>{_WEEKDAYS})\s+prochain|prochain\s+(?P<b>{_WEEKDAYS}))$", re.IGNORECASE)


def split_due(text: str) -> tuple[str, str | None]:
    """Separate `text [by|pour <date>]` into the step and the date words (None when absent); the last marker wins."""
    matches = list(_MARKER.finditer(text))
    if not matches or not text[matches[-1].end():].strip():
        return text.strip(), None
    last = matches[-1]
    return text[: last.start()].strip(), text[last.end():].strip()


def parse_due(words: str, now: datetime, languages: tuple[str, ...] = ("fr", "en")) -> date:
    """A future (or today's) date, or a UserError that says what went wrong; never a guess."""
    settings = {
        "PREFER_DATES_FROM": "future",
        "RELATIVE_BASE": now.replace(tzinfo=None),
        "RETURN_AS_TIMEZONE_AWARE": False,
        "PREFER_DAY_OF_MONTH": "first",
        "DATE_ORDER": "DMY",
        "STRICT_PARSING": False,
        "REQUIRE_PARTS": [],
    }
    cleaned = re.sub(r"^(le|the|on|ce|this)\s+", "", words.strip(), flags=re.IGNORECASE)
    m = _NEXT_FR.match(cleaned)
    if m:
        cleaned = m.group("a") or m.group("b")
    parsed = dateparser.parse(cleaned, languages=list(languages), settings=settings)
    if parsed is None:
        raise UserError(N_("I could not understand the date “{when}”. Try “2026-12-04”, “next friday” or “vendredi prochain”."), when=words)
    due = parsed.date()
    if due < now.date():
        raise UserError(N_("The date {when} is in the past; give a date from today on."), when=due.isoformat())
    return due
