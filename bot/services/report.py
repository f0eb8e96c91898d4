"""The impact report: over the last weeks, who took part (set against the method's 10–20 % benchmark), how the
referents answer the prompts, how the projects stand, the votes' turnout, the campaigns, the digest."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Callable
from zoneinfo import ZoneInfo

from bot.core.sql import fetch
from bot.services.budget import Figures
from bot.services.budget import figures as budget_figures
from bot.services.calendar import local_instant
from models import Campaign, Community, Project, ProjectStatus, VotePoll

BENCHMARK = (10, 20)  # % of members active in a week: what the seeds call a lively community
STALE = timedelta(weeks=4)

# Each a (person, when) of the community: what counts as taking part.
ACTIONS = {
    "follow": 'SELECT f."person_id", f."created_at" FROM "follow" f JOIN "project" p ON p."id" = f."project_id" '
              'WHERE p."community_id" = ? AND f."created_at" >= ?',
    "vote": 'SELECT v."person_id", v."at" FROM "poll_voter" v JOIN "vote_poll" p ON p."id" = v."poll_id" '
            'WHERE p."community_id" = ? AND v."at" >= ?',
    "answer": 'SELECT "person_id", "answered_at" FROM "prompt" WHERE "community_id" = ? AND "answered_at" >= ?',
    "news": 'SELECT n."author_id", n."created_at" FROM "news_item" n JOIN "project" p ON p."id" = n."project_id" '
            'WHERE p."community_id" = ? AND n."created_at" >= ? AND n."author_id" IS NOT NULL',
    "step": 'SELECT s."author_id", s."created_at" FROM "next_step" s JOIN "project" p ON p."id" = s."project_id" '
            'WHERE p."community_id" = ? AND s."created_at" >= ? AND s."author_id" IS NOT NULL',
    "pledge": 'SELECT c."person_id", c."at" FROM "pledge_click" c JOIN "campaign" k ON k."id" = c."campaign_id" '
              'JOIN "project" p ON p."id" = k."project_id" WHERE p."community_id" = ? AND c."at" >= ?',
    "promise": 'SELECT c."person_id", c."at" FROM "promise" c JOIN "campaign" k ON k."id" = c."campaign_id" '
               'JOIN "project" p ON p."id" = k."project_id" WHERE p."community_id" = ? AND c."at" >= ?',
    "meeting": 'SELECT a."person_id", a."at" FROM "event_answer" a JOIN "event" m ON m."id" = a."event_id" '
               'WHERE m."community_id" = ? AND a."at" >= ?',
}

# Members contributing count as taking part: an idea proposed, an idea supported, help offered on a need.
ACTIONS.update({
    "idea": 'SELECT "author_id", "created_at" FROM "idea" WHERE "community_id" = ? AND "created_at" >= ?',
    "support": 'SELECT s."person_id", s."at" FROM "idea_support" s JOIN "idea" i ON i."id" = s."idea_id" '
               'WHERE i."community_id" = ? AND s."at" >= ?',
    "offer": 'SELECT o."person_id", o."at" FROM "need_offer" o JOIN "need" n ON n."id" = o."need_id" '
             'WHERE n."community_id" = ? AND o."at" >= ?',
})


@dataclass
class Week:
    start: date  # its Monday, in the community's time zone
    members: int = 0
    active: int = 0
    actions: dict[str, int] = field(default_factory=dict)
    digests: int = 0
    opened: int = 0  # of those digests, the ones whose reader used one of its links (no pixel)
    links: int = 0

    @property
    def participation(self) -> float:
        return 100.0 * self.active / self.members if self.members else 0.0


@dataclass
class Turnout:
    number: int
    question: str
    voters: int
    members: int
    closed: bool

    @property
    def percent(self) -> float:
        return 100.0 * self.voters / self.members if self.members else 0.0


@dataclass
class Funding:
    title: str
    raised: int
    promised: int
    goal: int
    currency: str
    closed: bool


@dataclass
class Report:
    community: str
    locale: str
    weeks: list[Week]
    members: int
    prompts_asked: int = 0
    prompts_answered: int = 0
    answer_hours: float | None = None  # median time to answer
    projects_active: int = 0
    projects_stale: int = 0
    steps_overdue: int = 0
    turnout: list[Turnout] = field(default_factory=list)
    funding: list[Funding] = field(default_factory=list)
    digest_unsubscribed: int = 0
    invited: int = 0  # people who came through a member's invitation in the period
    budget: Figures | None = None  # the contributive budget: granted, total

    @property
    def response_rate(self) -> float | None:
        return 100.0 * self.prompts_answered / self.prompts_asked if self.prompts_asked else None

    @property
    def last(self) -> Week | None:
        return self.weeks[-1] if self.weeks else None


def _when(value) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))


class Reports:
    def __init__(self, clock: Callable[[], datetime]):
        self.clock = clock

    def _weeks(self, community: Community, count: int) -> list[tuple[date, datetime, datetime]]:
        """The last `count` weeks, Monday to Sunday in the community's time zone, the current one last."""
        tz = ZoneInfo(community.timezone)
        today = self.clock().astimezone(tz).date()
        monday = today - timedelta(days=today.weekday())
        starts = [monday - timedelta(weeks=n) for n in range(count - 1, -1, -1)]
        return [(d, local_instant(d, time(0), tz), local_instant(d + timedelta(days=7), time(0), tz)) for d in starts]

    async def build(self, community: Community, weeks: int = 12) -> Report:
        weeks = max(1, min(weeks, 104))
        spans = self._weeks(community, weeks)
        since = spans[0][1]
        joined = await fetch('SELECT "person_id", "joined_at" FROM "membership" WHERE "community_id" = ?', [community.id])
        report = Report(community.name, community.locale, [Week(d) for d, _, _ in spans], len(joined))
        members = {int(p) for p, _ in joined}
        for week, (_, _, end) in zip(report.weeks, spans):
            week.members = sum(1 for _, at in joined if at is None or _when(at) < end)
        active: list[set[int]] = [set() for _ in spans]
        for kind, query in ACTIONS.items():
            for person, at in await fetch(query, [community.id, since]):
                if person is None or int(person) not in members or at is None:
                    continue
                moment = _when(at)
                for n, (_, start, end) in enumerate(spans):
                    if start <= moment < end:
                        active[n].add(int(person))
                        report.weeks[n].actions[kind] = report.weeks[n].actions.get(kind, 0) + 1
                        break
        for week, people in zip(report.weeks, active):
            week.active = len(people)
        await self._prompts(report, community, since)
        await self._projects(report, community)
        await self._votes(report, community, since)
        await self._campaigns(report, community, since)
        report.budget = await budget_figures(community.id)
        await self._digest(report, community, spans)
        rows = await fetch('SELECT COUNT(*) FROM "invitation_arrival" a JOIN "invitation" i ON i."id" = a."invitation_id" '
                           'WHERE i."community_id" = ? AND a."at" >= ?', [community.id, since])
        report.invited = int(rows[0][0])
        return report

    async def _prompts(self, report: Report, community: Community, since: datetime) -> None:
        rows = await fetch('SELECT "asked_at", "answered_at" FROM "prompt" WHERE "community_id" = ? AND "asked_at" >= ? '
                           'AND "status" != ?', [community.id, since, "cancelled"])
        report.prompts_asked = len(rows)
        waits = [(_when(a) - _when(q)).total_seconds() / 3600 for q, a in rows if a is not None]
        report.prompts_answered = len(waits)
        report.answer_hours = statistics.median(waits) if waits else None

    async def _projects(self, report: Report, community: Community) -> None:
        now = self.clock()
        today = now.astimezone(ZoneInfo(community.timezone)).date()
        projects = await Project.filter(community_id=community.id, status__in=[ProjectStatus.ACTIVE, ProjectStatus.FUNDING])
        report.projects_active = len(projects)
        latest = dict(await fetch('SELECT p."id", MAX(x."at") FROM "project" p JOIN ('
                                  'SELECT "project_id", "created_at" AS "at" FROM "news_item" UNION ALL '
                                  'SELECT "project_id", "created_at" AS "at" FROM "next_step") x ON x."project_id" = p."id" '
                                  'WHERE p."community_id" = ? GROUP BY p."id"', [community.id]))
        report.projects_stale = sum(1 for p in projects if latest.get(p.id) is None or _when(latest[p.id]) < now - STALE)
        due = await fetch('SELECT s."project_id", s."due" FROM "next_step" s JOIN "project" p ON p."id" = s."project_id" '
                          'WHERE p."community_id" = ? ORDER BY s."id"', [community.id])
        current: dict[int, object] = {}
        for project_id, when in due:
            current[int(project_id)] = when  # the latest next step of each project is its current one
        running = {p.id for p in projects}
        report.steps_overdue = sum(1 for pid, when in current.items()
                                   if pid in running and when is not None and date.fromisoformat(str(when)[:10]) < today)

    async def _votes(self, report: Report, community: Community, since: datetime) -> None:
        polls = await VotePoll.filter(community_id=community.id, created_at__gte=since).order_by("number")
        counts = dict(await fetch('SELECT v."poll_id", COUNT(*) FROM "poll_voter" v JOIN "vote_poll" p ON p."id" = v."poll_id" '
                                  'WHERE p."community_id" = ? GROUP BY v."poll_id"', [community.id]))
        report.turnout = [Turnout(p.number, p.question, int(counts.get(p.id, 0)), report.members, p.closed_at is not None)
                          for p in polls]

    async def _campaigns(self, report: Report, community: Community, since: datetime) -> None:
        projects = {p.id: p.title for p in await Project.filter(community_id=community.id)}
        for c in await Campaign.filter(project_id__in=list(projects)).order_by("id"):
            if c.closed_at is not None and c.closed_at < since:
                continue
            rows = await fetch('SELECT COALESCE(SUM("amount"), 0) FROM "promise" WHERE "campaign_id" = ?', [c.id])
            promised = int(rows[0][0])
            report.funding.append(Funding(projects[c.project_id], c.raised, int(promised), c.goal, c.currency, c.closed_at is not None))

    async def _digest(self, report: Report, community: Community, spans) -> None:
        sent = await fetch('SELECT "week", COUNT(*) FROM "digest_delivery" WHERE "community_id" = ? AND "status" = ? GROUP BY "week"',
                           [community.id, "sent"])
        by_week = {str(w): int(n) for w, n in sent}
        opened = {str(w): int(n) for w, n in await fetch(
            'SELECT "week", COUNT(*) FROM "digest_delivery" WHERE "community_id" = ? AND "status" = ? AND "opened" GROUP BY "week"',
            [community.id, "sent"])}
        for week in report.weeks:
            year, number, _ = week.start.isocalendar()
            week.digests = by_week.get(f"{year}-W{number:02d}", 0)
            week.opened = opened.get(f"{year}-W{number:02d}", 0)
        for at, in await fetch('SELECT "at" FROM "link_use" WHERE "community_id" = ? AND "at" >= ?', [community.id, spans[0][1]]):
            moment = _when(at)
            for week, (_, start, end) in zip(report.weeks, spans):
                if start <= moment < end:
                    week.links += 1
        rows = await fetch('SELECT COUNT(*) FROM "digest_subscription" WHERE "community_id" = ? AND NOT "enabled"', [community.id])
        report.digest_unsubscribed = int(rows[0][0])
