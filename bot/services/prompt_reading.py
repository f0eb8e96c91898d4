"""Reading a referent's free-text answer to the method's three questions: the next step, its date, whether it is
on the list. Pure functions: the same text always reads the same, and what is unclear is said, never guessed.

"Trouver une salle pour le 15 janvier, pas encore sur la liste" → step "Trouver une salle", due 15 January,
on the list: no. The date is read with dateparser (French and English, through `bot.core.dates`); a month alone
("en mars") is not a date: Relais asks which day rather than saving the 1st.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime

from dateparser.search import search_dates

from bot.core.dates import parse_due, split_due
from bot.core.errors import UserError
from bot.core.i18n import N_

_NEGATION = re.compile(r"\b(pas|non|not|no|never|jamais|rien|nothing|aucun)\b|n't|n'|\bni\b", re.IGNORECASE)
# The clause that speaks of the list: "pas encore sur la liste", "already on the list", "posté sur la liste".
_LIST_CLAUSE = re.compile(r"(?:^|[,.;:!?\n—–(]|\s-\s|\bet\b|\band\b)\s*([^,.;:!?\n—–()]*\b(?:la\s+liste|the\s+list|liste|list)\b[^,.;:!?\n—–()]*)",
                          re.IGNORECASE)
_YES = {"oui", "yes", "y", "o", "ok", "okay", "d'accord", "daccord", "dac", "yep", "ouais", "exact", "exactement", "correct",
        "c'est ça", "cest ca", "c'est bon", "parfait", "confirm", "confirme", "confirmer", "je confirme", "valider", "valide",
        "déjà", "deja", "already", "yes already", "oui déjà", "oui deja", "that's right", "right", "sure", "bien sûr", "👍"}
_NO = {"non", "no", "n", "nope", "pas encore", "not yet", "pas du tout", "non pas encore", "no not yet", "nan", "👎"}
_NO_DATE = re.compile(r"^(?:(?:pas|sans|aucune?)\s+(?:de\s+)?date(?:\s+(?:encore|pour l'instant|pour le moment))?|"
                      r"no\s+date(?:\s+yet)?|none|aucune|je ne sais pas|je sais pas|not sure|don't know|i don't know|\?)$",
                      re.IGNORECASE)
_MONTHS = ("janvier|février|fevrier|mars|avril|mai|juin|juillet|août|aout|septembre|octobre|novembre|décembre|decembre|"
           "january|february|march|april|may|june|july|august|september|october|november|december|"
           "janv|févr|fevr|avr|juil|sept|oct|nov|déc|dec|jan|feb|mar|apr|jun|jul|aug|sep")
_MONTH_INDEX = {name: i for i, names in enumerate(
    ["", "janvier january janv jan", "février fevrier february févr fevr feb", "mars march mar", "avril april avr apr",
     "mai may", "juin june jun", "juillet july juil jul", "août aout august aug", "septembre september sept sep",
     "octobre october oct", "novembre november nov", "décembre decembre december déc dec"]) for name in names.split()}
_END_OF_MONTH = re.compile(rf"^(?:(?:(?:à|a)\s+)?(?:la\s+)?fin\s+(?:de\s+|d')?|(?:the\s+)?end\s+of\s+)(?P<m>{_MONTHS})\.?(?:\s+(?P<y>\d{{4}}))?$",
                           re.IGNORECASE)
_MONTH_ONLY = re.compile(rf"^(?:en|in|au\s+mois\s+de|début|debut|mi-|mid-?|early|late|courant|during)?\s*(?:{_MONTHS})\.?(?:\s+\d{{4}})?$",
                         re.IGNORECASE)
# A date found inside the text must carry one of these: a digit, a weekday, a relative word; otherwise ("I may") no.
_DATE_WORDS = re.compile(r"\d|lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche|monday|tuesday|wednesday|thursday|friday|"
                         r"saturday|sunday|demain|tomorrow|semaine|week|mois prochain|next month|fin\s|end of|"
                         + _MONTHS, re.IGNORECASE)


_MARKER_TAIL = re.compile(r"(?:^|\s)(?:by|pour|before|avant|d'ici|until|jusqu'au|on|le|the)[\s.,;:!?]*$", re.IGNORECASE)


@dataclass
class Reading:
    """What one message says; None where it says nothing."""

    step: str | None = None
    due: date | None = None
    dated: bool = False  # a date was given (or "no date" said): `due` is the answer, even None
    on_list: bool | None = None
    problem: str | None = None  # a message id: why the date was refused (past, unreadable, a month without day)
    params: dict | None = None


def yes_no(text: str) -> bool | None:
    """Oui / yes / déjà → True; non / no / pas encore → False; anything else → None."""
    folded = re.sub(r"[\s!.]+$", "", text.strip().lower()).replace("’", "'")
    if folded in _YES:
        return True
    if folded in _NO:
        return False
    return None


def _list_clause(text: str) -> tuple[str, bool | None]:
    """The text without its clause about the list, and what that clause says (None when there is none)."""
    found = None
    for m in _LIST_CLAUSE.finditer(text):
        found = m
    if found is None:
        return text, None
    clause = found.group(1)
    on_list = _NEGATION.search(clause) is None
    rest = (text[:found.start(1)] + text[found.end(1):]).strip()
    rest = re.sub(r"(?:[,;:.!?—–\s-]|\bet\b|\band\b)+$", "", rest, flags=re.IGNORECASE).strip()
    return rest, on_list


def read_date(words: str, now: datetime) -> tuple[date | None, bool]:
    """(the due date, True) from date words; "no date" → (None, True); raises UserError when it cannot be read."""
    cleaned = words.strip().rstrip(".!").strip()
    if _NO_DATE.match(cleaned):
        return None, True
    end = _END_OF_MONTH.match(cleaned)
    if end:
        month = _MONTH_INDEX[end.group("m").lower().rstrip(".")]
        year = int(end.group("y") or now.year)
        if not end.group("y") and month < now.month:
            year += 1
        due = date(year, month, calendar.monthrange(year, month)[1])
        if due < now.date():
            raise UserError(N_("The date {when} is in the past; give a date from today on."), when=due.isoformat())
        return due, True
    if _MONTH_ONLY.match(cleaned):
        raise UserError(N_("“{when}” is a month, not a day: which day? For example “le 31 mars” or “end of March”."),
                        when=cleaned[:40])
    return parse_due(cleaned, now), True


def read(text: str, now: datetime) -> Reading:
    """Read a whole answer: the list clause, then the date (after by/pour/avant…, or found in the text), the rest is
    the step."""
    reading = Reading()
    rest, reading.on_list = _list_clause(text.strip())
    step, when = split_due(rest)
    if when is None:
        step, when = _found_date(rest, now)
    if when is not None:
        try:
            reading.due, reading.dated = read_date(when, now)
        except UserError as exc:
            reading.problem, reading.params = exc.message, exc.params
    step = re.sub(r"^(?:la prochaine étape(?: est| c'est)?|prochaine étape\s*:|the next step is|next step\s*:|c'est)\s+", "",
                  step.strip(), flags=re.IGNORECASE)
    step = _MARKER_TAIL.sub("", re.sub(r"\s+([.,;:!?])", r"\1", step)).strip(" ,;:-—.!?")
    if step and yes_no(step) is None and len(step) >= 3:
        reading.step = step[:1].upper() + step[1:]
    return reading


_WEEKDAY = "lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche|monday|tuesday|wednesday|thursday|friday|saturday|sunday"
# "vendredi prochain", "prochain vendredi", "next friday", "ce vendredi", "this friday": dateparser's search finds only
# the weekday in some of these; the whole phrase is the date.
_NEXT_WEEKDAY = re.compile(rf"\b(?:(?:(?:le|ce)\s+)?(?:{_WEEKDAY})\s+prochain|prochain\s+(?:{_WEEKDAY})|(?:next|this|on)\s+(?:{_WEEKDAY})|"
                           rf"(?:le|ce)\s+(?:{_WEEKDAY}))\b(?!\s+\d)", re.IGNORECASE)


def _found_date(text: str, now: datetime) -> tuple[str, str | None]:
    """A date written without a marker ("Trouver une salle le 15 janvier"): the last date-looking phrase dateparser
    finds, if it carries a digit, a weekday or a relative word (so "I may" is no date)."""
    weekdays = list(_NEXT_WEEKDAY.finditer(text))
    if weekdays:
        last = weekdays[-1]
        return (text[:last.start()] + " " + text[last.end():]).strip(), last.group(0)
    settings = {"PREFER_DATES_FROM": "future", "RELATIVE_BASE": now.replace(tzinfo=None), "DATE_ORDER": "DMY"}
    try:
        found = search_dates(text, languages=["fr", "en"], settings=settings)
    except Exception:  # dateparser's search can trip on odd input; then there is no date in it
        found = None
    if not found:
        return text, None
    phrase = found[-1][0]
    if not _DATE_WORDS.search(phrase) or len(phrase.strip()) < 3:
        return text, None
    at = text.rfind(phrase)
    before = text[:at].rstrip()
    # A month found alone may be the tail of "fin janvier" / "end of January": keep those words with it.
    tail = re.search(r"(?:(?:à\s+la\s+)?fin\s+(?:de\s+|d')?|end\s+of\s+|en\s+|in\s+|mi-)$", before, re.IGNORECASE)
    if tail:
        phrase = before[tail.start():] + " " + phrase if not before.endswith("-") else before[tail.start():] + phrase
        before = before[:tail.start()].rstrip()
    return (before + " " + text[at + len(found[-1][0]):]).strip(), phrase
