"""The digest's contributors' sections: the community's open ideas, each with the reader's one-click signed support
link (or "you support it"), and the help wanted (the projects' open needs, the reader's followed projects first, then
the projects looking for a referent)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from bot.core.i18n import N_
from bot.core.sql import fetch
from bot.services.digest import Provider, Recipient, Section, Week, n


@dataclass(frozen=True)
class IdeaLine:
    number: int
    title: str
    summary: str
    supporters: int
    author: str  # "" once the proposer erased their data
    is_new: bool


@dataclass
class Ideas:
    """The open ideas and, per idea, who supports them (the reader's own link or mark is chosen from it)."""

    lines: list[IdeaLine]
    backers: dict[int, set[int]] = field(default_factory=dict)  # idea number → supporters' ids
    authors: dict[int, int] = field(default_factory=dict)  # idea number → proposer's id


@dataclass(frozen=True)
class ReaderIdeas:
    lines: list[IdeaLine]
    supported: frozenset[int]  # the numbers of the ideas this reader supports (no link for those)
    own: frozenset[int]  # … and those they proposed


class IdeasSection:
    key = "ideas"

    async def prepare(self, week: Week, shared: dict) -> Ideas:
        rows = await fetch('SELECT i."number", i."title", i."summary", i."supporters", a."display_name", i."created_at", i."author_id", i."id" '
                           'FROM "idea" i LEFT JOIN "person" a ON a."id" = i."author_id" WHERE i."community_id" = ? AND i."status" = ? '
                           'AND i."created_at" < ? ORDER BY i."supporters" DESC, i."number" LIMIT 20', [week.community.id, "open", week.end])
        state = Ideas([IdeaLine(int(num), str(title), str(summary or ""), int(count), str(author or ""), moment(at) >= week.start)
                       for num, title, summary, count, author, at, _, _ in rows])
        state.authors = {int(r[0]): int(r[6]) for r in rows if r[6] is not None}
        ids = {int(r[7]): int(r[0]) for r in rows}
        if ids:
            marks = ",".join("?" * len(ids))
            for idea_id, person in await fetch(f'SELECT "idea_id", "person_id" FROM "idea_support" WHERE "idea_id" IN ({marks})', list(ids)):
                state.backers.setdefault(ids[int(idea_id)], set()).add(int(person))
        return state

    def section(self, state: Ideas, r: Recipient) -> Section | None:
        if not state.lines:
            return None
        supported = frozenset(num for num, people in state.backers.items() if r.person_id in people)
        own = frozenset(num for num, author in state.authors.items() if author == r.person_id)
        fresh = [line for line in state.lines if line.is_new]
        return Section(self.key, N_("Ideas of the community"), bool(fresh), ReaderIdeas(state.lines, supported, own), "ideas",
                       highlights=n("{count} new idea", "{count} new ideas", len(fresh)))


@dataclass(frozen=True)
class NeedLine:
    number: int
    project_id: int
    slug: str
    title: str
    text: str
    due: date | None
    is_new: bool


@dataclass
class HelpWanted:
    needs: list[NeedLine]
    orphans: list[tuple[str, str]]  # (slug, title) of the running projects without referent


class NeedsSection:
    key = "needs"

    async def prepare(self, week: Week, shared: dict) -> HelpWanted:
        rows = await fetch('SELECT x."number", p."id", p."slug", p."title", x."text", x."due", x."created_at" FROM "need" x '
                           'JOIN "project" p ON p."id" = x."project_id" WHERE x."community_id" = ? AND x."status" = ? AND x."created_at" < ? '
                           'AND p."status" <> \'done\' ORDER BY x."created_at", x."id" LIMIT 30', [week.community.id, "open", week.end])
        needs = [NeedLine(int(num), int(pid), str(slug), str(title), str(text), day(due), moment(at) >= week.start)
                 for num, pid, slug, title, text, due, at in rows]
        orphans = [(str(slug), str(title)) for slug, title in await fetch(
            'SELECT p."slug", p."title" FROM "project" p WHERE p."community_id" = ? AND p."status" <> \'done\' AND NOT EXISTS '
            '(SELECT 1 FROM "project_referent" r WHERE r."project_id" = p."id") ORDER BY p."title"', [week.community.id])]
        return HelpWanted(needs, orphans)

    def section(self, state: HelpWanted, r: Recipient) -> Section | None:
        """Only while some need is open: the projects looking for a referent then come after the needs (alone, they would
        fill every digest of a community whose projects are still ideas; the agenda and `needs` show them anyway)."""
        if not state.needs:
            return None
        shown = sorted(state.needs, key=lambda line: line.project_id not in r.follows)  # stable: oldest first otherwise
        fresh = sum(1 for line in shown if line.is_new)
        return Section(self.key, N_("Help wanted"), fresh > 0, HelpWanted(shown, state.orphans), "needs",
                       highlights=n("{count} new call for help", "{count} new calls for help", fresh))


def moment(value) -> datetime:
    """A timestamp read with plain SQL: a datetime on PostgreSQL, its ISO text on SQLite."""
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))


def day(value) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def with_contributions(providers: list[Provider]) -> list[Provider]:
    """The digest's sections with ideas and help wanted before the community's other projects."""
    out = list(providers)
    keys = [p.key for p in out]
    at = keys.index("others") if "others" in keys else len(out)
    return [*out[:at], NeedsSection(), IdeasSection(), *out[at:]]
