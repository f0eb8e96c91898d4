"""The count of a poll's ballots (single, approval, instant-runoff, date) and the reading of a ballot as typed."""

from __future__ import annotations

from dataclasses import dataclass, field

from pyrankvote import Ballot as RankedBallot
from pyrankvote import Candidate, instant_runoff_voting

from bot.core.errors import UserError
from bot.core.i18n import N_
from bot.core.numbers import read_number
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

    def to_json(self) -> dict:
        return {"voters": self.voters, "counts": self.counts, "maybe": self.maybe, "winners": self.winners, "rounds": self.rounds}

    @classmethod
    def from_json(cls, data: dict) -> Count:
        return cls(data["voters"], list(data["counts"]), list(data.get("maybe", [])), list(data.get("winners", [])),
                   int(data.get("rounds", 0)))


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
        candidates = [Candidate(str(i + 1)) for i in range(options)]
        result = instant_runoff_voting(candidates, [RankedBallot(ranked_candidates=[candidates[n - 1] for n in c]) for c in choices if c])
        winners = [int(c.name) for c in result.get_winners()]
        return Count(len(choices), counts, winners=winners, rounds=len(result.rounds))
    top = max(counts, default=0)
    return Count(len(choices), counts, winners=[i + 1 for i, c in enumerate(counts) if c == top and top > 0])


def read_ballot(kind: str, options: int, words: list[str]) -> list[int] | dict:
    """The option numbers of a ballot, checked: `2 1 3` (ranked: in order), a date poll `1 3 maybe 2`. Raises a
    UserError saying what is wrong; nothing is stored then."""
    yes: list[int] = []
    maybe: list[int] = []
    target = yes
    for word in words:
        for part in word.replace(",", " ").replace(";", " ").split():
            if part.lower() in ("maybe", "peut-être", "peut-etre", "pe", "?"):
                if kind != PollKind.DATE:
                    raise UserError(N_("“maybe” is for date polls only."))
                target = maybe
                continue
            found = read_number(part, 0, 10_000)
            if found is None:
                raise UserError(N_("“{value}” is not an option number."), value=part[:20])
            n = found
            if not 1 <= n <= options:
                raise UserError(N_("There is no option {number}: the options go from 1 to {last}."), number=n, last=options)
            if n in yes or n in maybe:
                if kind == PollKind.RANKED:
                    raise UserError(N_("Option {number} is ranked twice: give each option once, in order of preference."), number=n)
                continue
            target.append(n)
    if not yes and not maybe:
        raise UserError(N_("Give at least one option number."))
    if kind == PollKind.SINGLE and len(yes) > 1:
        raise UserError(N_("This poll takes one option: choose one number."))
    if kind == PollKind.DATE:
        return {"yes": yes, "maybe": maybe}
    return yes
