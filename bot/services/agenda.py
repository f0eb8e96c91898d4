"""The facilitator's weekly hour as data: each project's staleness, the 1–3 to contact, the meeting, the list check.

Everything is read with a few plain queries for a whole set of communities at once (the weekly push computes
every community's agenda in one pass): stalest first means the oldest "last contact" — the latest of the
referents' last answer to a prompt, the project's last news or next step, and its referents' last post on the
community's mailing list; a project whose next step is overdue comes first; a project prompted in the last three
weeks is not proposed again unless overdue (each referent about once a month).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Callable, Iterable
from zoneinfo import ZoneInfo

from bot.core import platforms
from bot.core.sql import fetch
from bot.services import agenda_contrib
from bot.services.loans import LateLoan, late_loans
from models import AgendaSettings, Community, Event, EventKind

PROPOSED = 3
RESTING = timedelta(weeks=3)  # a project contacted since then waits (unless overdue)


@dataclass
class ProjectState:
    id: int
    community_id: int
    slug: str
    title: str
    status: str
    followers: int = 0
    referents: list[tuple[int, str]] = field(default_factory=list)  # (person id, display name)
    unreachable: list[str] = field(default_factory=list)  # referents with no channel Relais can reach
    away: list[str] = field(default_factory=list)  # referents away (no prompts until they are back)
    step_text: str | None = None
    step_due: date | None = None
    step_at: datetime | None = None
    last_news_at: datetime | None = None
    last_answer_at: datetime | None = None
    last_list_post_at: datetime | None = None
    last_prompt_at: datetime | None = None
    waiting: bool = False  # a prompt is out, not answered
    reminded: bool = False  # … and it was reminded already: the facilitator should call

    @property
    def last_contact(self) -> datetime | None:
        moments = [m for m in (self.last_answer_at, self.last_news_at, self.step_at, self.last_list_post_at) if m]
        return max(moments) if moments else None

    def overdue(self, today: date) -> bool:
        return self.step_due is not None and self.step_due < today


def _when(value) -> datetime | None:
    """A timestamp read with plain SQL: a datetime on PostgreSQL, its ISO text on SQLite."""
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))


def _day(value) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def _in(ids: list[int]) -> str:
    return ",".join("?" * len(ids))


class Agenda:
    def __init__(self, clock: Callable[[], datetime]):
        self.clock = clock

    async def states(self, community_ids: list[int], with_done: bool = False) -> dict[int, list[ProjectState]]:
        """Every running project (not done, unless asked) of these communities, with what the agenda weighs."""
        out: dict[int, list[ProjectState]] = defaultdict(list)
        projects: dict[int, ProjectState] = {}
        running = "" if with_done else """ AND p."status" <> 'done'"""
        for chunk in _chunks(community_ids, 500):
            rows = await fetch(f'SELECT p."id", p."community_id", p."slug", p."title", p."status" FROM "project" p '
                               f'WHERE p."community_id" IN ({_in(chunk)}){running} ORDER BY p."title"', chunk)
            for pid, cid, slug, title, status in rows:
                projects[pid] = state = ProjectState(pid, cid, slug, title, status)
                out[cid].append(state)
        today = self.clock().date()
        people: dict[int, set[int]] = defaultdict(set)  # community → referents (their list posts)
        # Each query covers a chunk of communities (joined to their projects): a handful of round trips in all.
        for chunk in _chunks(community_ids, 500):
            marks = _in(chunk)
            of_chunk = f'JOIN "project" p ON p."id" = x."project_id" WHERE p."community_id" IN ({marks})'
            for pid, n in await fetch(f'SELECT x."project_id", COUNT(*) FROM "follow" x {of_chunk} GROUP BY x."project_id"', chunk):
                if pid in projects:
                    projects[pid].followers = int(n)
            for pid, at in await fetch(f'SELECT x."project_id", MAX(x."created_at") FROM "news_item" x {of_chunk} '
                                       f'GROUP BY x."project_id"', chunk):
                if pid in projects:
                    projects[pid].last_news_at = _when(at)
            for pid, text, due, at in await fetch(
                    f'SELECT s."project_id", s."text", s."due", s."created_at" FROM "next_step" s JOIN (SELECT x."project_id", '
                    f'MAX(x."id") AS last FROM "next_step" x {of_chunk} GROUP BY x."project_id") m ON m.last = s."id"', chunk):
                if pid in projects:
                    state = projects[pid]
                    state.step_text, state.step_due, state.step_at = text, _day(due), _when(at)
            for pid, status, asked, reminded, answered in await fetch(
                    f'SELECT x."project_id", x."status", x."asked_at", x."reminded_at", x."answered_at" FROM "prompt" x '
                    f'WHERE x."community_id" IN ({marks}) AND x."status" <> \'cancelled\'', chunk):
                if pid not in projects:
                    continue
                state = projects[pid]
                asked, answered = _when(asked), _when(answered)
                if state.last_prompt_at is None or (asked and asked > state.last_prompt_at):
                    state.last_prompt_at = asked
                if answered and (state.last_answer_at is None or answered > state.last_answer_at):
                    state.last_answer_at = answered
                if status in ("asked", "understood"):
                    state.waiting = True
                    state.reminded = state.reminded or reminded is not None
            referents = await fetch(
                f'SELECT x."project_id", r."id", r."display_name", r."away_until", '
                f'EXISTS (SELECT 1 FROM "account" a WHERE a."person_id" = r."id" AND a."reachable" AND a."confirmed") '
                f'FROM "project_referent" x JOIN "person" r ON r."id" = x."person_id" {of_chunk} ORDER BY r."display_name"', chunk)
            for pid, person, name, away, reachable in referents:
                if pid not in projects:
                    continue
                state = projects[pid]
                state.referents.append((person, name))
                people[state.community_id].add(person)
                if not reachable:
                    state.unreachable.append(name)
                away_day = _day(away)
                if away_day is not None and away_day >= today:
                    state.away.append(name)
        await self._list_posts(projects, people)
        return out

    async def _list_posts(self, projects: dict[int, ProjectState], people: dict[int, set[int]]) -> None:
        """The referents' last post on their community's list (read from the list traffic)."""
        if not people:
            return
        posts: dict[tuple[int, int], datetime] = {}
        communities = list(people)
        for chunk in _chunks(communities, 500):
            for cid, person, at in await fetch(f'SELECT "community_id", "person_id", MAX("last_post_at") FROM "mail_list_post" '
                                               f'WHERE "community_id" IN ({_in(chunk)}) AND "person_id" IS NOT NULL '
                                               f'GROUP BY "community_id", "person_id"', chunk):
                posts[(cid, person)] = _when(at)  # type: ignore[assignment]
        for state in projects.values():
            moments = [posts[(state.community_id, person)] for person, _ in state.referents if (state.community_id, person) in posts]
            state.last_list_post_at = max(moments) if moments else None

    def proposals(self, states: Iterable[ProjectState], today: date, now: datetime, count: int = PROPOSED) -> list[ProjectState]:
        """The 1–3 projects to contact this week: overdue next steps first, then the stalest; a project contacted
        in the last three weeks waits its turn, unless overdue."""
        rested = [s for s in states if s.overdue(today) or s.last_prompt_at is None or now - s.last_prompt_at >= RESTING]
        overdue = sorted((s for s in rested if s.overdue(today)), key=lambda s: (s.step_due, s.title))
        others = sorted((s for s in rested if not s.overdue(today)),
                        key=lambda s: (s.last_contact is not None, s.last_contact or now, s.title))
        return (overdue + others)[:count]

    async def next_meeting(self, community: Community) -> Event | None:
        return await Event.filter(community_id=community.id, kind=EventKind.MEETING, cancelled=False,
                                    starts_at__gte=self.clock()).order_by("starts_at").first()

    async def settings(self, community_id: int) -> AgendaSettings:
        row, _ = await AgendaSettings.get_or_create(community_id=community_id)
        return row

    async def views(self, communities: list[Community]) -> dict[int, AgendaView]:
        """Every community's agenda at once: a few queries for the whole set, whatever its size."""
        now = self.clock()
        ids = [c.id for c in communities]
        states = await self.states(ids)
        meetings: dict[int, datetime] = {}
        for chunk in _chunks(ids, 500):
            for cid, at in await fetch(f'SELECT "community_id", MIN("starts_at") FROM "event" WHERE "community_id" IN ({_in(chunk)}) '
                                       f'AND "kind" = \'meeting\' AND NOT "cancelled" AND "starts_at" >= ? GROUP BY "community_id"', [*chunk, now]):
                meetings[cid] = _when(at)  # type: ignore[assignment]
        week = await self.week_items(ids, now - timedelta(days=7))
        unanswered = await self.unanswered(ids, now - UNANSWERED_AFTER)
        days = {c.id: now.astimezone(ZoneInfo(c.timezone)).date() for c in communities}
        brought = await agenda_contrib.load(ids, now, days)
        late = await late_loans(ids, days)
        views = {}
        for community in communities:
            tz = ZoneInfo(community.timezone)
            today = now.astimezone(tz).date()
            projects = states.get(community.id, [])
            views[community.id] = AgendaView(community, today, self.proposals(projects, today, now), projects,
                                             meetings.get(community.id), week.get(community.id, []),
                                             unanswered=unanswered.get(community.id, []),
                                             contributions=brought.get(community.id) or agenda_contrib.Contributions(),
                                             late_loans=late.get(community.id, []))
        return views

    @staticmethod
    async def unanswered(community_ids: list[int], before: datetime) -> dict[int, list[Unanswered]]:
        """Members' messages (questions, comments, offers) left without an answer since before `before`."""
        found: dict[int, list[Unanswered]] = defaultdict(list)
        for chunk in _chunks(community_ids, 500):
            for cid, number, kind, text, at, title, author in await fetch(
                    f'SELECT c."community_id", c."number", c."kind", c."text", c."created_at", p."title", a."display_name" '
                    f'FROM "comment" c LEFT JOIN "project" p ON p."id" = c."project_id" LEFT JOIN "person" a ON a."id" = c."author_id" '
                    f'WHERE c."community_id" IN ({_in(chunk)}) AND c."answered_at" IS NULL AND c."hidden_at" IS NULL '
                    f'AND c."created_at" <= ? ORDER BY c."created_at", c."id"', [*chunk, before]):
                if len(found[cid]) < 10:
                    found[cid].append(Unanswered(int(number), str(kind), str(text), _when(at), title or "", author or ""))
        return found

    async def view(self, community: Community) -> AgendaView:
        return (await self.views([community]))[community.id]

    async def week_items(self, community_ids: list[int], since: datetime) -> dict[int, list[WeekItem]]:
        """The news and next steps of the past week, and whether each went out to the list and to the rooms."""
        items: dict[int, list[WeekItem]] = defaultdict(list)
        for chunk in _chunks(community_ids, 500):
            for kind, table in (("news", "news_item"), ("step", "next_step")):
                rows = await fetch(f'SELECT p."community_id", i."id", i."text", p."title", i."created_at" FROM "{table}" i '
                                   f'JOIN "project" p ON p."id" = i."project_id" WHERE p."community_id" IN ({_in(chunk)}) '
                                   f'AND i."created_at" >= ? ORDER BY i."id"', [*chunk, since])
                for cid, item_id, text, title, at in rows:
                    items[cid].append(WeekItem(kind, int(item_id), title, text, _when(at)))
        found = [cid for cid in community_ids if cid in items]
        done: set[tuple[str, int, str]] = set()
        cursors: dict[int, tuple[int, int]] = {}
        lists_since: dict[int, datetime | None] = {}
        rooms: set[int] = set()
        on = platforms.room_platforms()  # bindings that are rooms (mail bindings are lists, counted apart)
        for chunk in _chunks(found, 500):
            marks = _in(chunk)
            done |= {(str(k), int(i), str(c)) for k, i, c in await fetch(
                f'SELECT "kind", "item_id", "channel" FROM "announcement" WHERE "community_id" IN ({marks}) AND "at" >= ?',
                [*chunk, since - timedelta(days=1)])}
            for cid, news, steps, created in await fetch(f'SELECT "community_id", "news_cursor", "step_cursor", "created_at" '
                                                         f'FROM "mail_list" WHERE "community_id" IN ({marks}) AND "status" = ?',
                                                         [*chunk, "ready"]):
                cursors[cid] = (int(news), int(steps))
                lists_since[cid] = _when(created)
            rooms |= {int(r[0]) for r in await fetch(f'SELECT DISTINCT "community_id" FROM "chat_binding" WHERE "community_id" '
                                                     f'IN ({marks}) AND "platform" IN ({",".join("?" * len(on))})', [*chunk, *on])}
        for cid in found:
            cursor = cursors.get(cid)
            since_list = lists_since.get(cid)
            for item in items[cid]:
                # A list announces what is posted once it exists; what came before it is not expected there.
                item.has_list = cursor is not None and (since_list is None or item.at is None or item.at >= since_list)
                item.has_rooms = cid in rooms
                item.on_list = (item.kind, item.id, "list") in done or bool(
                    cursor and item.id <= (cursor[0] if item.kind == "news" else cursor[1]))
                item.in_rooms = (item.kind, item.id, "rooms") in done
        return items

    async def sheet(self, community: Community) -> list[ProjectState]:
        """Every project of the community (done ones too), for the tracking sheet."""
        states = (await self.states([community.id], with_done=True)).get(community.id, [])
        return sorted(states, key=lambda s: (s.status == "done", s.title.lower()))


UNANSWERED_AFTER = timedelta(days=3)  # a member's message older than this without an answer shows in the agenda


@dataclass
class Unanswered:
    """A member's message still without an answer (the agenda lists them)."""

    number: int
    kind: str
    text: str
    at: datetime | None
    project: str
    author: str


@dataclass
class AgendaView:
    community: Community
    today: date
    proposed: list[ProjectState]
    projects: list[ProjectState]
    meeting: datetime | None
    week: list[WeekItem]
    unanswered: list[Unanswered] = field(default_factory=list)
    contributions: agenda_contrib.Contributions = field(default_factory=agenda_contrib.Contributions)  # members' ideas, needs…
    late_loans: list[LateLoan] = field(default_factory=list)  # loans with instalments due and not confirmed

    @property
    def waiting(self) -> list[ProjectState]:
        """Prompts out and not answered (reminded ones first: the facilitator should call)."""
        return sorted((s for s in self.projects if s.waiting), key=lambda s: (not s.reminded, s.title))

    @property
    def unsent(self) -> list[WeekItem]:
        return [i for i in self.week if (i.has_rooms and not i.in_rooms) or (i.has_list and not i.on_list)]

    def answered_this_week(self, now: datetime) -> list[ProjectState]:
        return [s for s in self.projects if s.last_answer_at and now - s.last_answer_at < timedelta(days=7)]


@dataclass
class WeekItem:
    kind: str  # news | step
    id: int
    project: str
    text: str
    at: datetime | None
    on_list: bool = False
    in_rooms: bool = False
    has_list: bool = False  # the community has a managed list (it announces every item)
    has_rooms: bool = False  # … and rooms or groups bound


def _chunks(values: list, size: int) -> Iterable[list]:
    for i in range(0, len(values), size):
        yield values[i:i + size]
