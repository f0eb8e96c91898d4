"""A ranked poll's count with its instant-runoff rounds, as pyrankvote made them: each round's counts, who was
eliminated and who won, and for an elimination among options with as many votes, how pyrankvote's tie-break decided.

pyrankvote's rule (CompareMethodIfEqual.MostSecondChoiceVotes): of two options with as many votes, the one more
ballots name next among the options still in the race stays — second choices, then third… —; equal at every rank, a
draw. The draw here is seeded by the ballots themselves, so the same ballots always give the same rounds (a count
anyone can run again); the rounds are kept with the results at the close.
"""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pyrankvote (and tabulate) are imported when a ranked poll is counted
    from pyrankvote.helpers import ElectionResults

DRAW = 0  # a tie decided by the draw (`rank` of a tie)


@contextmanager
def seeded(choices: list[list[int]]) -> Iterator[None]:
    """pyrankvote draws with the `random` module: seeded by the ballots for the count, the global state put back after
    (the count runs without awaiting: nothing else draws meanwhile)."""
    state = random.getstate()
    random.seed(hashlib.sha256(json.dumps(sorted(choices)).encode()).hexdigest())
    try:
        yield
    finally:
        random.setstate(state)


def run(options: int, choices: list[list[int]]) -> tuple[list[int], list[dict]]:
    """The winners (option numbers) and the rounds of the ballots' instant-runoff count."""
    from pyrankvote import Ballot as RankedBallot
    from pyrankvote import Candidate, instant_runoff_voting

    candidates = [Candidate(str(i + 1)) for i in range(options)]
    ballots = [c for c in choices if c]
    if not ballots:
        return [], []
    with seeded(ballots):
        result = instant_runoff_voting(candidates, [RankedBallot(ranked_candidates=[candidates[n - 1] for n in c]) for c in ballots])
    return [int(c.name) for c in result.get_winners()], rounds_of(result, ballots)


def rounds_of(result: ElectionResults, ballots: list[list[int]]) -> list[dict]:
    """Each round: {"counts": {option: votes}, "out": [eliminated], "won": [elected], "ties": [...]}, the options out in
    an earlier round left off; a tie: {"out": option, "kept": [options as many], "rank": 2 (second choices…) or 0 (the
    draw), "counts": {option: ballots naming it at that rank}}."""
    from pyrankvote.helpers import CandidateStatus

    rounds: list[dict] = []
    gone: set[int] = set()
    for round_ in result.rounds:
        counts: dict[int, float] = {}
        out: list[int] = []
        won: list[int] = []
        for candidate, votes, status in round_.candidate_results:
            number = int(candidate.name)
            if number in gone:
                continue
            counts[number] = votes
            if status == CandidateStatus.Rejected:
                out.append(number)
            elif status == CandidateStatus.Elected:
                won.append(number)
        if won:  # the last round: pyrankvote rejects who is left once the seat is filled; they lost, not eliminated
            out = []
        in_race = list(counts)
        ties = []
        for loser in out:
            kept = [n for n in in_race if n not in out and abs(counts[n] - counts[loser]) < 1e-6]
            if kept:
                ties.append(tie(loser, kept, in_race, ballots))
        rounds.append({"counts": {str(n): _number(v) for n, v in counts.items()}, "out": out, "won": won, "ties": ties})
        gone.update(out)
    return rounds


def tie(loser: int, kept: list[int], in_race: list[int], ballots: list[list[int]]) -> dict:
    """How pyrankvote's comparison ordered `loser` after each option in `kept`: the first rank (2: the second option
    each ballot names among those in the race, 3: the third…) where they differ, or the draw."""
    deciding = DRAW
    at_rank: dict[int, int] = {}
    for x in range(1, len(in_race)):
        named = [next_in_race(b, in_race, x) for b in ballots]
        at_rank = {n: named.count(n) for n in (loser, *kept)}
        if any(at_rank[k] != at_rank[loser] for k in kept):
            deciding = x + 1
            break
    return {"out": loser, "kept": kept, "rank": deciding, "counts": {str(n): c for n, c in at_rank.items()} if deciding else {}}


def next_in_race(ballot: list[int], in_race: list[int], x: int) -> int | None:
    """The x-th option (from 0) the ballot names among those still in the race."""
    named = [n for n in ballot if n in in_race]
    return named[x] if len(named) > x else None


def _number(votes: float) -> int | float:
    return int(round(votes)) if abs(votes - round(votes)) < 1e-6 else round(votes, 2)
