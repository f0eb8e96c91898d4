"""Reading a referent's free-text answer to the method's three questions: the next step, its date, whether it is
on the list. Pure functions: the same text always reads the same, and what is unclear is said, never guessed.

"Trouver une salle pour le 15 janvier, pas encore sur la liste" → step "Trouver une salle", due 15 January,
on the list: no. The date is read by the one date reader (`bot.core.dates`), which keeps the words around it
("… le 9 janvier à la menuiserie" → "… à la menuiserie") and asks rather than guesses (a month alone, a date that
reads two ways).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from bot.core import dates
from bot.core.errors import UserError

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
# "…, pas de date" / "…, no date yet" inside a whole answer: a date answer, with no day.
_NO_DATE_CLAUSE = re.compile(r"(?:^|[,.;:—–]\s*|\s-\s)((?:pas|sans|aucune?)\s+(?:encore\s+)?(?:de\s+)?date(?:\s+(?:encore|pour l'instant|pour le moment))?|"
                             r"no\s+date(?:\s+yet)?)\s*(?=$|[,.;:!])", re.IGNORECASE)
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


def read_date(words: str, now: datetime, locale: str = "fr") -> tuple[date | None, bool]:
    """(the due date, True) from date words; "no date" → (None, True); raises UserError when it cannot be read."""
    cleaned = words.strip().rstrip(".!").strip()
    if _NO_DATE.match(cleaned):
        return None, True
    return dates.read_date(cleaned, now, locale), True


def read(text: str, now: datetime, locale: str = "fr") -> Reading:
    """Read a whole answer: the list clause, then the date (found in the text, or after by/pour/avant…), the rest is
    the step."""
    reading = Reading()
    rest, reading.on_list = _list_clause(text.strip())
    no_date = _NO_DATE_CLAUSE.search(rest)
    if no_date is not None:
        rest, reading.dated = (rest[:no_date.start(1)] + rest[no_date.end(1):]).strip(), True
    step, found = dates.take_date(rest, now, locale)
    if found is not None:
        try:
            reading.due, reading.dated = found.due(), True
        except UserError as exc:
            reading.problem, reading.params = exc.message, exc.params
    step = re.sub(r"^(?:la prochaine étape(?: est| c'est)?|prochaine étape\s*:|the next step is|next step\s*:|c'est)\s+", "",
                  step.strip(), flags=re.IGNORECASE)
    step = _MARKER_TAIL.sub("", re.sub(r"\s+([.,;:!?])", r"\1", step)).strip(" ,;:-—.!?")
    if step and yes_no(step) is None and len(step) >= 3:
        reading.step = step[:1].upper() + step[1:]
    return reading
