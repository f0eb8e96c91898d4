"""Results anyone can check: a ranked poll's instant-runoff rounds (the counts of each round, who was eliminated, and
the tie-break rule when one was needed), a date poll's grid (yes / if need be / no per date and, unless secret, who
answered what). The same words in chat, mail, the digest and the public pages."""

from __future__ import annotations

from bot.core.i18n import N_, Translator
from bot.core.replies import Table
from bot.services.votes_count import Count

TIE_RULE = N_("Tie-break (pyrankvote's rule): of options with as many votes, the one more ballots name next stays — second "
              "choices, then third…; equal at every rank, a draw seeded by the ballots decides, so that the same ballots "
              "always give the same result.")
YES, MAYBE, NO = "✓", "(✓)", "✗"


def rounds_table(t: Translator, labels: list[str], result: Count) -> Table | None:
    """Options in rows, rounds in columns: each round's count; ✗ where the option was eliminated."""
    if not result.irv:
        return None
    header = ("", *(t(N_("Round {number}"), number=i) for i in range(1, len(result.irv) + 1)))
    rows = []
    for n, label in enumerate(labels, 1):
        cells = [label]
        out = False
        for round_ in result.irv:
            if out:
                cells.append("")
                continue
            count = round_["counts"].get(str(n))
            cells.append("" if count is None else f"{count}{' ' + NO if n in round_['out'] else ''}")
            out = n in round_["out"]
        rows.append(tuple(cells))
    return Table(header=header, rows=tuple(rows), title=t(N_("Instant-runoff rounds")))


def rounds_lines(t: Translator, labels: list[str], result: Count) -> list[str]:
    """Each round in words: who was eliminated (and how a tie was broken), then who won."""
    lines = []
    for i, round_ in enumerate(result.irv, 1):
        said = []
        if round_["out"]:
            said.append(t.n("{options} eliminated", "{options} eliminated", len(round_["out"]),
                            options=", ".join(labels[n - 1] for n in round_["out"])))
        if round_["won"]:
            said.append(t(N_("{options} wins with a majority of the ballots still counted"), options=", ".join(labels[n - 1] for n in round_["won"]))
                        if len(round_["won"]) == 1 else t(N_("{options} tie"), options=", ".join(labels[n - 1] for n in round_["won"])))
        for tie in round_.get("ties", []):
            said.append(tie_text(t, labels, round_, tie))
        what = said[0] if said else "—"
        for more in said[1:]:  # "; " as the reader's language writes it
            what = t(N_("{first}; {then}"), first=what, then=more)
        lines.append(t(N_("Round {number}: {what}."), number=i, what=what))
    return lines


def tie_text(t: Translator, labels: list[str], round_: dict, tie: dict) -> str:
    out, kept = labels[tie["out"] - 1], ", ".join(labels[n - 1] for n in tie["kept"])
    votes = round_["counts"].get(str(tie["out"]), 0)
    if not tie["rank"]:
        return t(N_("tie with {kept} ({votes} each), broken by the draw"), kept=kept, votes=votes)
    counts = tie["counts"]
    mine, theirs = counts.get(str(tie["out"]), 0), ", ".join(str(counts.get(str(n), 0)) for n in tie["kept"])
    if tie["rank"] == 2:
        return t(N_("tie with {kept} ({votes} each): {out} has fewer second choices ({mine} against {theirs})"), kept=kept,
                 votes=votes, out=out, mine=mine, theirs=theirs)
    return t(N_("tie with {kept} ({votes} each): {out} is named less often in place {rank} ({mine} against {theirs})"),
             kept=kept, votes=votes, out=out, rank=tie["rank"], mine=mine, theirs=theirs)


def needs_tie_rule(result: Count) -> bool:
    return any(r.get("ties") for r in result.irv)


def date_rows(t: Translator, result: Count) -> list[tuple[str, ...]]:
    """The counts under the grid: yes, if need be, no, per date."""
    no = [max(0, result.voters - y - m) for y, m in zip(result.counts, result.maybe or [0] * len(result.counts))]
    return [(t(N_("yes")), *map(str, result.counts)), (t(N_("if need be")), *map(str, result.maybe or [0] * len(result.counts))),
            (t(N_("no")), *map(str, no))]


def date_grid(t: Translator, labels: list[str], result: Count, ballots: list[tuple[str, list[int] | dict]] | None) -> Table:
    """The Framadate grid: dates in columns (numbered: their labels are long), one row per voter (none for a secret poll),
    then the counts."""
    header = ("", *(str(n) for n in range(1, len(labels) + 1)))
    rows: list[tuple[str, ...]] = []
    for name, choice in ballots or []:
        if not isinstance(choice, dict):
            continue
        yes, maybe = set(choice.get("yes", [])), set(choice.get("maybe", []))
        rows.append((name or t(N_("a member")), *(YES if n in yes else MAYBE if n in maybe else NO for n in range(1, len(labels) + 1))))
    return Table(header=header, rows=tuple(rows + date_rows(t, result)), title=t(N_("Who can come")))
