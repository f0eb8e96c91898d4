"""The words and shapes of dates and times in French and English, as patterns over a folded text, and their days."""

from __future__ import annotations

import calendar
import re
import unicodedata
from datetime import date, time, timedelta
from re import Match

from babel.dates import format_date

from bot.core.errors import UserError
from bot.core.i18n import N_

HORIZON_YEARS = 5
RECENT_DAYS = 60  # a day and month without year this close behind is a date in the past, not next year's

UNREADABLE = N_("I could not understand the date “{when}”. Try “2026-12-04”, “next friday” or “vendredi prochain”.")
PAST = N_("The date {when} is in the past; give a date from today on.")
TOO_FAR = N_("The date {when} is more than {years} years ahead; give a date before {limit}.")
MONTH_NOT_DAY = N_("“{when}” is a month, not a day: which day? For example “le 31 mars” or “end of March”.")
WEEK_NOT_DAY = N_("“{when}” is a week, not a day: which day? For example “vendredi prochain” or “next friday”.")
AMBIGUOUS = N_("“{when}” can be read two ways: {one} or {other}? Write “{one_short}” or “{other_short}”.")
DAY_FIRST = N_("“{when}” is not a date: write the day, then the month (“12/01” is 12 January).")
NO_SUCH_DAY = N_("“{when}” is not a day of the calendar.")
WRONG_WEEKDAY = N_("{date} is a {weekday}, not a {said}: which day do you mean?")
NOT_A_TIME = N_("“{value}” is not a time; write it like 08:00.")


MONTHS = {
    "janvier": 1, "january": 1, "janv": 1, "jan": 1,
    "fevrier": 2, "february": 2, "fevr": 2, "fev": 2, "feb": 2,
    "mars": 3, "march": 3, "mar": 3,
    "avril": 4, "april": 4, "avr": 4, "apr": 4,
    "mai": 5, "may": 5,
    "juin": 6, "june": 6, "jun": 6,
    "juillet": 7, "july": 7, "juil": 7, "jul": 7,
    "aout": 8, "august": 8, "aug": 8,
    "septembre": 9, "september": 9, "sept": 9, "sep": 9,
    "octobre": 10, "october": 10, "oct": 10,
    "novembre": 11, "november": 11, "nov": 11,
    "decembre": 12, "december": 12, "dec": 12,
}
FRENCH_MONTHS = ("janvier", "fevrier", "mars", "avril", "mai", "juin", "juillet", "aout", "septembre", "octobre", "novembre",
                 "decembre")
ENGLISH_MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november",
                  "december")
WEEKDAYS = {name: i for names in (("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"),
                                  ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"))
            for i, name in enumerate(names)}
RELATIVE = {"aujourd'hui": 0, "aujourdhui": 0, "today": 0, "ce soir": 0, "tonight": 0, "demain": 1, "tomorrow": 1,
            "apres-demain": 2, "apres demain": 2, "day after tomorrow": 2, "the day after tomorrow": 2,
            "hier": -1, "yesterday": -1, "avant-hier": -2}
NUMBER_WORDS = {"un": 1, "une": 1, "a": 1, "an": 1, "one": 1, "deux": 2, "two": 2, "trois": 3, "three": 3, "quatre": 4,
                "four": 4, "cinq": 5, "five": 5, "six": 6, "sept": 7, "seven": 7, "huit": 8, "eight": 8, "neuf": 9,
                "nine": 9, "dix": 10, "ten": 10, "quinze": 15}
UNITS = {"jour": "days", "jours": "days", "day": "days", "days": "days", "semaine": "weeks", "semaines": "weeks",
         "week": "weeks", "weeks": "weeks", "mois": "months", "month": "months", "months": "months", "an": "years",
         "ans": "years", "annee": "years", "annees": "years", "year": "years", "years": "years"}
# Words that make a deadline of the date after them ("pour le 15 janvier", "by next friday").
DEADLINE = ("pour", "avant", "by", "before", "until", "till", "jusqu'au", "jusqu'a", "d'ici", "au plus tard")

_QUOTES = {"’": "'", "‘": "'", "ʼ": "'", "`": "'"}


def fold(text: str) -> str:
    """Lower case, without accents, curly quotes made straight: one character for one, so a span found in the folded
    text is the same span in the text as written."""
    out = []
    for c in text:
        if c.isascii():
            out.append(c.lower())
            continue
        low = c.lower()
        base = unicodedata.normalize("NFD", low if len(low) == 1 else c)[0]
        out.append(_QUOTES.get(base, base))
    return "".join(out)


def _any(words) -> str:
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


END = r"(?![\w])"  # a word ends here
START = r"(?<![\w'])"  # a word starts here
MONTH = rf"(?P<m>{_any(MONTHS)}){END}\.?"
EN_MONTH = rf"(?P<m>{_any(k for k in MONTHS if k not in FRENCH_MONTHS)}){END}\.?"
FULL_MONTH = rf"(?P<m>{_any(FRENCH_MONTHS + ENGLISH_MONTHS)}){END}"
WEEKDAY = rf"(?P<w>{_any(WEEKDAYS)}){END}"
DAY = rf"(?<![\w])(?:(?P<d>[0-9]{{1,2}})(?:ere|eme|er|re|e|st|nd|rd|th)?|(?P<first>premier|first)){END}"
YEAR = rf"(?P<y>[0-9]{{4}}){END}"
PART = r"(?:\s+(?:matin|apres-midi|soir|morning|afternoon|evening|night))?"
PREFIX = rf"(?:(?P<mark>{_any(DEADLINE)})\s+)?(?:(?:le|the|on)\s+|l')?"
LEAD_WEEKDAY = rf"(?:{WEEKDAY},?\s+(?:the\s+)?)?"

# Each shape of date is a pattern of its own; `kind` says how its groups are read.
SHAPES = {
    "dmy": rf"{LEAD_WEEKDAY}{DAY}(?:\s+(?:of|de))?\s+{MONTH}(?:,?\s+{YEAR})?",
    "mdy": rf"{LEAD_WEEKDAY}{EN_MONTH}\s+(?:the\s+)?{DAY}(?:,?\s+{YEAR})?",
    "iso": r"(?<![\w/.\-])(?P<y>[0-9]{4})(?P<sep>[-/])(?P<m>[0-9]{1,2})(?P=sep)(?P<d>[0-9]{1,2})(?![\w/\-]|\.[0-9])",
    "num": rf"{LEAD_WEEKDAY}(?<![\w/.\-])(?P<a>[0-9]{{1,2}})(?P<sep>[/.\-])(?P<b>[0-9]{{1,2}})"
           r"(?:(?P=sep)(?P<y>[0-9]{4}|[0-9]{2}))?(?![\w/\-]|\.[0-9])",
    # « vendredi 27 », "Friday the 27th": a day of this month or the next, its weekday checked ("vendredi 18 h" is a time).
    "wdd": rf"{WEEKDAY},?\s+(?:the\s+)?{DAY}(?!\s*(?:heures?|hrs?|h|:|am|pm|a\.m\.|p\.m\.)(?![a-z]))",
    "end": rf"(?:(?:a\s+)?(?:la\s+)?fin\s+(?:de\s+|d'|du\s+)?|(?:the\s+)?end\s+of\s+)"
           rf"(?:{MONTH}(?:\s+{YEAR})?|(?P<cur>(?:ce\s+|the\s+|this\s+)?(?:mois|month)|l'annee|annee|(?:the\s+|this\s+)?year){END})",
    "in": rf"(?:(?:dans|d'ici|in|within)\s+(?P<n>[0-9]{{1,4}}|{_any(NUMBER_WORDS)})\s+(?P<u>{_any(UNITS)}){END}"
          r"(?:\s+from\s+(?:now|today))?)",
    "rel": rf"(?P<r>{_any(RELATIVE)}){END}{PART}",
    "weekday": rf"(?:(?P<next>next|prochain)\s+|ce\s+|this\s+|coming\s+)?{WEEKDAY}"
               rf"(?:\s+(?P<next2>prochain|qui\s+vient){END}|\s+(?P<eight>en\s+huit){END})?{PART}",
    # Not days: asked, never turned into the 1st or into today + 7.
    "week": r"(?P<span>(?:la\s+)?semaine\s+prochaine|cette\s+semaine|next\s+week|this\s+week|(?:le\s+)?mois\s+prochain|"
            r"ce\s+mois-ci|next\s+month|this\s+month)" + END,
    "month": rf"(?P<intro>(?:en|in|debut|courant|early|late|during|au\s+mois\s+de)\s+|au\s+mois\s+d'|mi-|mid-?)?"
             rf"{FULL_MONTH}(?:\s+{YEAR})?",
    "day": DAY,  # "le 15", only when it is the whole answer
}
PATTERNS = {kind: re.compile(START + PREFIX + "(?:" + shape + ")") for kind, shape in SHAPES.items()}

TIME = (r"(?<![\w])(?:(?:a|at|vers|around)\s+)?(?:"
        r"(?P<h>[0-9]{1,4})\s?(?:heures?|hrs?|h)(?:\s?(?P<mi>[0-9]{2}))?(?![\w])|"
        r"(?P<h2>[0-9]{1,4}):(?P<mi2>[0-9]{2})(?:\s?(?P<ap2>am|pm|a\.m\.|p\.m\.))?(?![\w])|"
        r"(?P<h3>[0-9]{1,4})\s?(?P<ap3>am|pm|a\.m\.|p\.m\.)(?![\w])|"
        r"(?P<word>midi|minuit|noon|midnight)(?![\w]))")
TIME_AFTER = re.compile(r"\s*,?\s*" + TIME)
TIME_BEFORE = re.compile(TIME + r"\s*,?\s*$")
TIME_ALONE = re.compile(r"\s*" + TIME + r"\s*$")
# The word just before a date that makes it a name, not a due date: "la fête du 20 décembre", "every friday".
NOT_DUE = re.compile(r"(?:^|[^\w'])(?:de|du|des|d'|of|from|since|depuis|every|each|chaque|les|tous|toutes)\s*$")
BLANK = re.compile(r"[\s,.;:!?()\-—–]*")


# -- the day a shape names --------------------------------------------------------------------------------


def day_of(kind: str, m: Match, today: date, locale: str, written: str) -> date:
    """The day a matched shape (`PATTERNS[kind]`) names, or the UserError saying why it names none."""
    g = m.groupdict()
    if kind in ("dmy", "mdy"):
        return _dated(g["y"], MONTHS[g["m"]], 1 if g["first"] else int(g["d"]), today, written, NO_SUCH_DAY)
    if kind == "iso":
        return _dated(g["y"], int(g["m"]), int(g["d"]), today, written, NO_SUCH_DAY)
    if kind == "num":
        return _numeric(int(g["a"]), int(g["b"]), g["y"], today, locale, written)
    if kind == "end":
        if g["cur"]:
            year, month = today.year, (12 if "ann" in g["cur"] or "year" in g["cur"] else today.month)
        else:
            month = MONTHS[g["m"]]
            year = int(g["y"]) if g["y"] else today.year + (month < today.month)
        return _dated(str(year), month, calendar.monthrange(year, month)[1] if 1 <= year <= 9999 else 1, today, written, NO_SUCH_DAY)
    if kind == "in":
        return _later(g["n"], UNITS[g["u"]], today, locale, written)
    if kind == "rel":
        return today + timedelta(days=RELATIVE[re.sub(r"\s+", " ", g["r"])])
    if kind == "weekday":
        ahead = (WEEKDAYS[g["w"]] - today.weekday()) % 7
        if g["next"] or g["next2"]:
            ahead = ahead or 7
        return today + timedelta(days=ahead + (7 if g["eight"] else 0))
    if kind in ("day", "wdd"):
        return _day_of_month(int(g["d"]) if g["d"] else 1, today, written)
    if kind == "week" and ("semaine" in written.lower() or "week" in written.lower()):
        raise UserError(WEEK_NOT_DAY, when=short(written))
    raise UserError(MONTH_NOT_DAY, when=short(written))  # a month alone, "next month"


def _dated(year: str | None, month: int, day: int, today: date, written: str, problem: str) -> date:
    """A day of a month, in the year given, or else the next one (a date just behind is in the past, not next year)."""
    try:
        if year is not None:
            return date(int(year) + (2000 if len(year) == 2 else 0), month, day)
        try:
            this = date(today.year, month, day)
            if this >= today or (today - this).days <= RECENT_DAYS:
                return this
        except ValueError:  # 29 February of a common year: the next year may have it
            pass
        return date(today.year + 1, month, day)
    except ValueError:
        raise UserError(problem, when=short(written)) from None


def _numeric(a: int, b: int, year: str | None, today: date, locale: str, written: str) -> date:
    """12/01: day first in French; in English either way, asked when both readings are days of the calendar."""
    if locale != "en" or a > 12 or a == b:
        return _dated(year, b, a, today, written, DAY_FIRST if locale != "en" and b > 12 else NO_SUCH_DAY)
    if b > 12:
        return _dated(year, a, b, today, written, NO_SUCH_DAY)
    one, other = _dated(year, b, a, today, written, NO_SUCH_DAY), _dated(year, a, b, today, written, NO_SUCH_DAY)
    raise UserError(AMBIGUOUS, when=short(written), one=format_date(one, "d MMMM", locale="en"),
                    other=format_date(other, "d MMMM", locale="en"), one_short=format_date(one, "d MMM", locale="en"),
                    other_short=format_date(other, "d MMM", locale="en"))


def _later(count: str, unit: str, today: date, locale: str, written: str) -> date:
    n = int(count) if count.isascii() and count.isdigit() else NUMBER_WORDS[count]
    if unit == "days" and count in ("quinze", "huit"):  # « dans quinze jours » is two weeks, « dans huit jours » one
        n -= 1
    if n > 12 * (HORIZON_YEARS + 1) and unit in ("months", "years") or n > 400 * (HORIZON_YEARS + 1):
        raise UserError(TOO_FAR, when=short(written), years=HORIZON_YEARS, limit=format_date(limit(today), "long", locale=locale))
    if unit in ("days", "weeks"):
        return today + timedelta(days=n * (7 if unit == "weeks" else 1))
    months = today.month - 1 + n * (12 if unit == "years" else 1)
    year, month = today.year + months // 12, months % 12 + 1
    return date(year, month, min(today.day, calendar.monthrange(year, month)[1]))


def _day_of_month(day: int, today: date, written: str) -> date:
    """« le 15 »: the next 15th, this month or the next."""
    for months in (0, 1):
        year, month = today.year + (today.month + months - 1) // 12, (today.month + months - 1) % 12 + 1
        if 1 <= day <= calendar.monthrange(year, month)[1] and date(year, month, day) >= today:
            return date(year, month, day)
    raise UserError(NO_SUCH_DAY, when=short(written))


def clock_time(clock: Match, text: str) -> time:
    """18h, 18h30, 18 h, 18:30, 6pm, 6:30 pm, midi, noon; 25h or 99am are refused, never wrapped round."""
    g = clock.groupdict()
    written = text[min(clock.start(k) for k in ("h", "h2", "h3", "word") if g[k] is not None):clock.end()].strip()
    if g["word"]:
        return time(12) if g["word"] in ("midi", "noon") else time(0)
    hour, minute = int(g["h"] or g["h2"] or g["h3"]), int(g["mi"] or g["mi2"] or 0)
    half = g["ap2"] or g["ap3"]
    if half:
        if not 1 <= hour <= 12:
            raise UserError(NOT_A_TIME, value=short(written))
        hour = hour % 12 + (12 if half.startswith("p") else 0)
    if not (0 <= hour < 24 and 0 <= minute < 60):
        raise UserError(NOT_A_TIME, value=short(written))
    return time(hour, minute)


def check(day: date, today: date, locale: str) -> None:
    """Refuse a day in the past or past the horizon."""
    if day < today:
        raise UserError(PAST, when=day.isoformat())
    if day > limit(today):
        raise UserError(TOO_FAR, when=day.isoformat(), years=HORIZON_YEARS, limit=format_date(limit(today), "long", locale=locale))


def limit(today: date) -> date:
    return today.replace(year=today.year + HORIZON_YEARS, day=28 if (today.month, today.day) == (2, 29) else today.day)


def short(words: str) -> str:
    """What was written, short enough to quote back."""
    return words if len(words) <= 40 else words[:39] + "…"
