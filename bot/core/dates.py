"""The one date reader: French and English dates and times of day, in a sentence or alone, read right or asked."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, tzinfo
from re import Match

import dateparser
from babel.dates import format_date

from bot.core import date_words as w
from bot.core.errors import UserError
from bot.core.i18n import normalize_locale

# The common forms are read by hand (date_words: « le 12/01 à 18h », day first in French, asked in English when it
# reads both ways; « le 1er février », "January 15th", « vendredi prochain », "in 3 days", « fin janvier »);
# dateparser reads only what is left, and what it returns is checked like the rest. Never a guess: a month or a
# week alone is asked, the past and dates past five years are refused, and every number is bounded.
MAX_LENGTH = 200  # longer answers are not a date

# The words that introduce a due date at the end of a next step (`… pour <date>`).
DATE_MARKERS = ("by", "pour", "before", "avant", "d'ici", "until", "jusqu'au")
_MARKER = re.compile(r"\s(" + "|".join(re.escape(m) for m in DATE_MARKERS) + r")\s+", re.IGNORECASE)
_ORDER = {kind: i for i, kind in enumerate(w.PATTERNS)}  # the same span read two ways: the fuller shape first
_PREFIX = re.compile(w.START + w.PREFIX)
_FALLBACK_COUNT = re.compile(r"[0-9]{1,4}\s+(?:" + "|".join(w.UNITS) + r")(?![\w])")


@dataclass(frozen=True)
class Found:
    """A date in a text: the words around it exactly as written, the day (None when `problem` says why not), the time
    of day if one was given, and whether a deadline word introduced it (« pour », "by")."""

    before: str
    after: str
    span: tuple[int, int]
    words: str
    day: date | None
    time: time | None = None
    problem: UserError | None = None
    deadline: bool = False

    def due(self) -> date:
        """The day, or the UserError saying why it is not one."""
        if self.problem is not None or self.day is None:
            raise self.problem or UserError(w.UNREADABLE, when=w.short(self.words))
        return self.day

    @property
    def rest(self) -> str:
        """The text without the date: « Atelier le 9 janvier à la menuiserie » → « Atelier à la menuiserie »."""
        before, after = self.before.rstrip(), self.after.lstrip()
        joined = before + ("" if not after or not before or after[0] in ",.;:!?)" else " ") + after
        return re.sub(r"([,;:])\s*[,;:]", r"\1", joined).strip(" \t\n,;:")


@dataclass
class _Hit:
    kind: str
    m: Match
    start: int
    end: int
    clock: Match | None


def split_due(text: str) -> tuple[str, str | None]:
    """Separate `text [by|pour <date>]` into the step and the date words (None when absent); the last marker wins."""
    matches = list(_MARKER.finditer(text))
    if not matches or not text[matches[-1].end():].strip():
        return text.strip(), None
    last = matches[-1]
    return text[: last.start()].strip(), text[last.end():].strip()


def find_date(text: str, now: datetime, locale: str = "fr") -> Found | None:
    """The due date written in a sentence, if there is one: the one introduced by a deadline word, else the last."""
    folded = w.fold(text)
    hits = [h for h in _hits(folded, whole=False) if _is_due(h, folded)]
    if not hits:
        return None
    marked = [h for h in hits if h.m.group("mark")]
    return _found(text, (marked or hits)[-1], now.date(), locale)


def take_date(text: str, now: datetime, locale: str = "fr") -> tuple[str, Found | None]:
    """The text without its due date, and that date: a date found in it, or else the words after a last « pour » /
    "by", read whole (so « Imprimer pour blablaxyz » says the date is not understood)."""
    found = find_date(text, now, locale)
    if found is not None:
        return found.rest, found
    markers = list(_MARKER.finditer(text))
    if not markers or not text[markers[-1].end():].strip():
        return text.strip(), None
    start = markers[-1].start()
    when = text[markers[-1].end():].strip()
    try:
        day, at = read_when(when, now, locale)
        found = Found(text[:start], "", (start, len(text)), when, day, at, deadline=True)
    except UserError as exc:
        found = Found(text[:start], "", (start, len(text)), when, None, problem=exc, deadline=True)
    return found.rest, found


def read_date(words: str, now: datetime, locale: str = "fr") -> date:
    """Words that are a date and nothing else (a time of day may follow; it is not part of the day)."""
    return read_when(words, now, locale)[0]


def read_when(words: str, now: datetime, locale: str = "fr", tz: tzinfo | None = None) -> tuple[date, time | None]:
    """Words that are a date with an optional time of day: (day, time or None), "today" being `now`'s day (in `tz`
    when given); a UserError for anything else."""
    now = now.astimezone(tz) if tz is not None else now
    text = words.strip()
    if not text or len(text) > MAX_LENGTH:
        raise UserError(w.UNREADABLE, when=w.short(text) or "—")
    today = now.date()
    folded = w.fold(text)
    whole = [h for h in _hits(folded, whole=True) if w.BLANK.fullmatch(folded[:h.start]) and w.BLANK.fullmatch(folded[h.end:])]
    if whole:
        found = _found(text, min(whole, key=lambda h: (h.start, -h.end, _ORDER[h.kind])), today, locale)
        if found.problem is not None:
            raise found.problem
        return found.due(), found.time
    at = None
    clock = w.TIME_ALONE.search(folded)
    if clock is not None:  # a time we read, after words we leave to dateparser
        at = w.clock_time(clock, text)
        text = text[:clock.start()]
    return _fallback(text, today, locale, words.strip()), at


def parse_due(words: str, now: datetime) -> date:
    """A future (or today's) due date from date words alone (the form `nextstep … by <date>` used to hand over)."""
    return read_date(words, now)


# -- finding ------------------------------------------------------------------------------------------------


def _hits(folded: str, whole: bool) -> list[_Hit]:
    """Every date-shaped phrase, with the time of day next to it; overlapping ones give way to the earlier, fuller one."""
    found = []
    for kind, pattern in w.PATTERNS.items():
        if kind == "day" and not whole:  # "le 15" alone is a date only when it is the whole answer
            continue
        for m in pattern.finditer(folded):
            start, end, clock = m.start(), m.end(), None
            if kind not in ("week", "month"):
                clock = w.TIME_AFTER.match(folded, end)
                if clock is not None:
                    end = clock.end()
                else:
                    clock = w.TIME_BEFORE.search(folded, max(0, start - 40), start)
                    start = clock.start() if clock is not None else start
            found.append(_Hit(kind, m, start, end, clock))
    found.sort(key=lambda h: (h.start, -h.end, _ORDER[h.kind]))
    if whole:  # the caller keeps the one that covers the whole answer
        return found
    kept: list[_Hit] = []
    for hit in found:
        if not kept or hit.start >= kept[-1].end:
            kept.append(hit)
    return kept


def _is_due(hit: _Hit, folded: str) -> bool:
    """Whether a date-shaped phrase in a sentence is a due date: not « la fête du 20 décembre » nor « 1/2 journée »."""
    m = hit.m
    if not m.group("mark") and w.NOT_DUE.search(folded, max(0, hit.start - 20), hit.start):
        return False
    if hit.kind == "month":
        return bool(m.group("intro") or m.group("y") or m.group("mark"))
    if hit.kind == "num" and not m.group("y"):  # 12/01 in a sentence needs « le », a weekday or a time with it
        return bool(m.group("w") or hit.clock or folded[m.start():m.start("a")].strip())
    return True


def _found(text: str, hit: _Hit, today: date, locale: str) -> Found:
    m, locale = hit.m, normalize_locale(locale)
    written = text[hit.start:hit.end].strip()
    base = Found(text[:hit.start], text[hit.end:], (hit.start, hit.end), written, None, deadline=bool(m.group("mark")))
    try:
        at = w.clock_time(hit.clock, text) if hit.clock is not None else None
        day = w.day_of(hit.kind, m, today, locale, text[_core(m):m.end()].strip())
        if "w" in m.re.groupindex and m.group("w") and hit.kind != "weekday" and day.weekday() != w.WEEKDAYS[m.group("w")]:
            raise UserError(w.WRONG_WEEKDAY, date=format_date(day, "long", locale=locale),
                            weekday=format_date(day, "EEEE", locale=locale), said=text[m.start("w"):m.end("w")])
        w.check(day, today, locale)
    except UserError as exc:
        return Found(base.before, base.after, base.span, written, None, problem=exc, deadline=base.deadline)
    return Found(base.before, base.after, base.span, written, day, at, deadline=base.deadline)


def _core(m: Match) -> int:
    """Where the date itself starts, after « pour le », "by the"."""
    prefix = _PREFIX.match(m.string, m.start())
    return prefix.end() if prefix is not None and prefix.end() < m.end() else m.start()


def _fallback(text: str, today: date, locale: str, written: str) -> date:
    """dateparser for the forms not read above ("in a fortnight"), on short words whose numbers count something;
    what it returns is checked like any date."""
    cleaned = re.sub(r"^(?:(?:le|the|on|ce|this|pour|by|before|avant|until|till|jusqu'au|d'ici)\s+)+", "", text.strip(),
                     flags=re.IGNORECASE)
    folded = w.fold(cleaned)
    digits = re.findall(r"[0-9]+", folded)
    if (len(cleaned) > 60 or sum(c.isalpha() for c in cleaned) < 3 or any(c.isdigit() and not c.isascii() for c in cleaned)
            or (digits and len(digits) != len(_FALLBACK_COUNT.findall(folded)))):
        raise UserError(w.UNREADABLE, when=w.short(written))
    settings = {"PREFER_DATES_FROM": "future", "RELATIVE_BASE": datetime.combine(today, time(12)),
                "RETURN_AS_TIMEZONE_AWARE": False, "PREFER_DAY_OF_MONTH": "first", "STRICT_PARSING": False}
    try:
        parsed = dateparser.parse(cleaned, languages=["fr", "en"], settings=settings)
    except Exception:  # dateparser can trip on odd input: then it is not a date
        parsed = None
    if parsed is None:
        raise UserError(w.UNREADABLE, when=w.short(written))
    day = parsed.date()
    w.check(day, today, normalize_locale(locale))
    return day
