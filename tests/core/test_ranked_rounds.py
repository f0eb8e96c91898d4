"""A ranked poll's count as anyone can check it: the rounds Relais shows are pyrankvote's own (each round's counts, who
was eliminated), a tie needing the tie-break says how it was broken, a full tie is broken by a draw seeded by the
ballots (the same ballots, the same result; the `random` module's state left as it was)."""

from __future__ import annotations

import random

from pyrankvote import Ballot, Candidate, instant_runoff_voting
from pyrankvote.helpers import CandidateStatus

from bot.core.i18n import Catalogs
from bot.services import votes_rounds
from bot.services.votes_count import count
from bot.services.votes_results import needs_tie_rule, rounds_lines, rounds_table

LABELS = ["Astre", "Brume", "Comète", "Dune"]
# First preferences A 2, B 1, C 1, D 1: B, C and D tie; B is named second 3 times, C once, D never: D goes first.
BALLOTS = [[1, 2], [1, 3], [2, 1], [3, 2], [4, 2]]


def pyrankvote_rounds(options: int, ballots: list[list[int]]) -> list[tuple[dict[int, float], list[int], list[int]]]:
    """pyrankvote's own rounds: each option's votes, the options it rejected in that round (but in the last, where the
    options left lose once one is elected) and the elected."""
    candidates = [Candidate(str(i + 1)) for i in range(options)]
    result = instant_runoff_voting(candidates, [Ballot([candidates[n - 1] for n in b]) for b in ballots])
    out, gone = [], set()
    for round_ in result.rounds:
        counts = {int(c.name): v for c, v, s in round_.candidate_results if int(c.name) not in gone}
        rejected = [int(c.name) for c, _, s in round_.candidate_results if s == CandidateStatus.Rejected and int(c.name) not in gone]
        elected = [int(c.name) for c, _, s in round_.candidate_results if s == CandidateStatus.Elected]
        gone.update(rejected)
        out.append((counts, [] if elected else rejected, elected))
    return out


def test_the_rounds_are_pyrankvotes_and_the_tie_break_is_said():
    result = count("ranked", 4, BALLOTS)
    theirs = pyrankvote_rounds(4, BALLOTS)
    ours = [({int(n): v for n, v in r["counts"].items()}, r["out"], r["won"]) for r in result.irv]
    assert ours == theirs
    assert result.winners == [2] and result.rounds == len(theirs) == 3
    assert ours[0] == ({1: 2, 2: 1, 3: 1, 4: 1}, [4], [])
    [tie] = result.irv[0]["ties"]
    assert tie == {"out": 4, "kept": [2, 3], "rank": 2, "counts": {"4": 0, "2": 3, "3": 1}}
    assert not result.irv[1]["ties"] and needs_tie_rule(result)
    t = Catalogs().get("en")
    lines = rounds_lines(t, LABELS, result)
    assert lines[0] == "Round 1: Dune eliminated; tie with Brume, Comète (1 each): Dune has fewer second choices (0 against 3, 1)."
    assert lines[1] == "Round 2: Comète eliminated."
    assert lines[2] == "Round 3: Brume wins with a majority of the ballots still counted."
    table = rounds_table(t, LABELS, result)
    assert table is not None and table.header == ("", "Round 1", "Round 2", "Round 3")
    assert table.rows[3] == ("Dune", "1 ✗", "", "") and table.rows[1] == ("Brume", "1", "2", "3")
    french = rounds_lines(Catalogs().get("fr"), LABELS, result)
    assert french[0].startswith("Tour 1\u202f: Dune éliminée\u202f; égalité avec Brume, Comète (1 chacune)")


def test_a_full_tie_is_drawn_the_same_way_each_time_and_leaves_random_alone():
    ballots = [[1], [2], [3]]  # equal at every rank
    state = random.getstate()
    first, second = count("ranked", 4, ballots), count("ranked", 4, list(reversed(ballots)))
    assert random.getstate() == state
    assert first.irv == second.irv and first.winners == second.winners
    draws = [tie for r in first.irv for tie in r["ties"] if tie["rank"] == votes_rounds.DRAW]
    assert draws, first.irv
    line = " ".join(rounds_lines(Catalogs().get("en"), LABELS, first))
    assert "broken by the draw" in line
