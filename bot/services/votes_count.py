"""The count of a poll's ballots (single, approval, instant-runoff, date) and the reading of a ballot as typed."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.core.errors import UserError
from bot.core.i18n import N_
from bot.core.numbers import read_number
from bot.services import votes_rounds
from models import PollKind


@dataclass
class Count:
    """A poll's result: per option, the count (single, multiple: ballots naming it; ranked: first preferences;
    date: yes answers) and for a date poll the "if need be" answers; the winner(s) as option numbers."""

    voters: int
    counts: list[int]
    maybe: list[int] = field(default_factory=list)
    winners: list[int] = field(default_factory=list)
    rounds: int = 0  # instant-runoff rounds
    irv: list[dict] = field(default_factory=list)  # each round as pyrankvote made it (bot/services/votes_rounds.py)

    def to_json(self) -> dict:
        return {"voters": self.voters, "counts": self.counts, "maybe": self.maybe, "winners": self.winners, "rounds": self.rounds,
                "irv": self.irv}

    @classmethod
    def from_json(cls, data: dict) -> Count:
        return cls(data["voters"], list(data["counts"]), list(data.get("maybe", [])), list(data.get("winners", [])),
                   int(data.get("rounds", 0)), list(data.get("irv", [])))  # a poll closed before the rounds were kept: none


def count(kind: str, options: int, choices: list) -> Count:
    """The count of ballots (each the JSON `choice`); exactly what a close keeps."""
    counts = [0] * options
    if kind == PollKind.DATE:
        maybe = [0] * options
        for choice in choices:
            for n in choice.get("yes", []):
                counts[n - 1] += 1
            for n in choice.get("maybe", []):
                maybe[n - 1] += 1
        best = max(((counts[i], maybe[i]) for i in range(options)), default=(0, 0))
        winners = [i + 1 for i in range(options) if (counts[i], maybe[i]) == best and best != (0, 0)]
        return Count(len(choices), counts, maybe, winners)
    for choice in choices:
        for n in (choice[:1] if kind == PollKind.RANKED else choice):
            counts[n - 1] += 1
    if kind == PollKind.RANKED and choices:
        winners, rounds = votes_rounds.run(options, choices)
        return Count(len(choices), counts, winners=winners, rounds=len(rounds), irv=rounds)
    top = max(counts, default=0)
    return Count(len(choices), counts, winners=[i + 1 for i, c in enumerate(counts) if c == top and top > 0])


YES = ("yes", "oui", "y", "o", "ok", "✓")
MAYBE = ("maybe", "peut-être", "peut-etre", "peutetre", "pe", "?", "(✓)", "~")
NO = ("no", "non", "n", "✗")
_PHRASES = (("si besoin", "maybe"), ("if need be", "maybe"), ("peut être", "maybe"), ("if needed", "maybe"))


def _answer(word: str) -> str | None:
    low = word.lower()
    return "yes" if low in YES else "maybe" if low in MAYBE else "no" if low in NO else None


def read_ballot(kind: str, options: int, words: list[str]) -> list[int] | dict:
    """The option numbers of a ballot, checked: `2 1 3` (ranked: in order); a date poll's `1 3 maybe 2` (an answer word
    before the numbers it applies to) or `1 oui, 2 peut-être, 3 non` (after them). Raises a UserError saying what is
    wrong; nothing is stored then."""
    line = " ".join(words).lower()
    for phrase, word in _PHRASES:
        line = line.replace(phrase, word)
    answers: dict[int, str] = {}  # option → yes | maybe | no, in the order given
    mode = "yes"  # the answer of numbers with no word after them: yes, or the word before them
    for group in line.replace(";", ",").split(","):
        parts = group.split()
        postfix = bool(parts) and _answer(parts[-1]) is not None and any(read_number(p, 0, 10_000) is not None for p in parts)
        pending: list[int] = []
        for part in parts:
            said = _answer(part)
            if said is not None:
                if kind != PollKind.DATE:
                    raise UserError(N_("“{value}” is for date polls only: give the option numbers."), value=part[:20])
                if postfix:
                    for n in pending:
                        answers.setdefault(n, said)
                    pending = []
                else:
                    mode = said
                continue
            found = read_number(part, 0, 10_000)
            if found is None:
                raise UserError(N_("“{value}” is not an option number."), value=part[:20])
            if not 1 <= found <= options:
                raise UserError(N_("There is no option {number}: the options go from 1 to {last}."), number=found, last=options)
            if found in answers or found in pending:
                if kind == PollKind.RANKED:
                    raise UserError(N_("Option {number} is ranked twice: give each option once, in order of preference."), number=found)
                continue
            if postfix:
                pending.append(found)
            else:
                answers[found] = mode
    if not answers:
        raise UserError(N_("Give at least one option number."))
    yes = [n for n, a in answers.items() if a == "yes"]
    if kind == PollKind.DATE:
        return {"yes": yes, "maybe": [n for n, a in answers.items() if a == "maybe"]}
    if kind == PollKind.SINGLE and len(yes) > 1:
        raise UserError(N_("This poll takes one option: choose one number."))
    return yes
