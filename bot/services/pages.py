"""What a community's public pages and feeds show: its running projects, their news and next steps, campaigns,
the next general meeting, the open public polls. Never shown: addresses, account handles, secret ballots,
promises by person, private messages — the views below carry none of them, and a community with its pages off
has none."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Callable

from bot.core.i18n import N_
from bot.core.render import percent_of
from bot.core.sql import fetch
from bot.services.pages_contrib import Contributions, contributions
from bot.services.pages_money import BudgetView, FundsView, budget_view, funds_view
from bot.services.pages_polls import PollView, coming_events, poll_views
from models import Campaign, ChatBinding, Community, Event, EventKind, NewsItem, NextStep, Person, Project, ProjectStatus, VotePoll

RUNNING = (ProjectStatus.IDEA, ProjectStatus.ACTIVE, ProjectStatus.FUNDING)
NEWS_SHOWN = 50  # a project page's news history; the feeds carry the latest 50 as well


@dataclass
class CampaignView:
    raised: int  # cents
    goal: int
    currency: str
    backers: int
    until: date | None
    url: str  # the platform's public page (a public page has no personal links)

    @property
    def percent(self) -> int:
        return percent_of(self.raised, self.goal)  # the one rounding rule (bot/core/render.py)

    @property
    def bar(self) -> int:
        return min(100, self.percent)  # how full the bar is drawn


@dataclass
class NewsView:
    id: int
    text: str
    at: datetime
    author: str  # a display name, or "" (a former member, Relais itself)
    project_slug: str = ""
    project_title: str = ""


@dataclass
class ProjectView:
    id: int
    slug: str
    title: str
    summary: str
    status: str  # a message id (the status' label)
    referents: list[str]
    followers: int
    step: str | None = None
    due: date | None = None
    campaign: CampaignView | None = None
    news: list[NewsView] = field(default_factory=list)
    updated: datetime | None = None
    answered: list[AnsweredView] = field(default_factory=list)  # questions published with their answers
    funds: FundsView | None = None  # the use of funds and a loan's repayments (the project page only)


@dataclass
class AnsweredView:
    """A question and its answer, published with both the referent's act and the asker's consent."""

    id: int
    question: str
    answer: str
    asker: str  # "" for « un·e membre »
    answerer: str
    at: datetime


@dataclass
class CommunityView:
    slug: str
    name: str
    locale: str
    timezone: str
    projects: list[ProjectView]
    meeting: Event | None
    meetings: list[Event]
    polls: list[PollView]
    matrix_rooms: list[str]
    updated: datetime
    contributions: Contributions | None = None  # the open ideas, the needs, the projects looking for a referent
    events: list[Event] = field(default_factory=list)  # the coming events (the general meeting aside)
    closed_polls: list[PollView] = field(default_factory=list)  # with their results, unless secret or hidden
    budget: BudgetView | None = None  # the contributive budget and its ledger


@dataclass
class Hit:
    text: str
    at: datetime
    project_slug: str = ""
    project_title: str = ""
    kind: str = ""  # a message id: what the result is (« projet », « nouvelle »…)


# What each kind of result is, as the search page says it (the same words as the chat's search).
HIT_KINDS = {"project": N_("project"), "news": N_("news item"), "step": N_("next step"), "poll": N_("poll"),
             "meeting": N_("General meeting"), "qa": N_("question answered"), "idea": N_("idea"), "need": N_("help wanted"),
             "event": N_("event")}


class PublicPages:
    def __init__(self, clock: Callable[[], datetime], searcher: Callable | None = None, tally: Callable | None = None,
                 named: Callable | None = None, labels: Callable | None = None):
        self.clock = clock
        self.named = named  # who answered what on a public poll (Votes.named_ballots): a date poll's grid
        self.labels = labels or (lambda poll: [str(o) for o in poll.options])  # a poll's options as the page shows them
        self.searcher = searcher  # the memory's full-text search, public items only
        self.tally = tally  # the votes' own count of a poll (Votes.tally)

    async def search(self, community: Community, words: str) -> list[Hit]:
        """The memory's full-text search, public items only: projects, news, next steps, meetings, polls that are not secret
        (never referents' prompt answers, never list posts: a list's archive may be private)."""
        if self.searcher is None:
            return []
        try:
            docs = await self.searcher(community, words, staff=False, limit=30)
        except ValueError:  # only stop words: nothing to look for
            return []
        secret = set(await VotePoll.filter(community_id=community.id, secret=True).values_list("id", flat=True))
        titles = {p.id: (p.slug, p.title) for p in await Project.filter(community_id=community.id, status__in=list(RUNNING))}
        hits = []
        for d in docs:
            if d.kind not in ("project", "news", "step", "meeting", "poll", "qa", "idea", "need", "event") or (d.kind == "poll" and d.item_id in secret):
                continue
            if d.project_id is not None and d.project_id not in titles:
                continue  # a project that is over is not on the pages
            slug, title = titles.get(d.project_id or 0, ("", ""))
            text = d.excerpt if d.kind in ("project", "news", "step", "qa", "need") else " — ".join(x for x in (d.heading, d.excerpt) if x)
            hits.append(Hit(text, d.at, slug, title, HIT_KINDS.get(d.kind, "")))
        return hits[:10]

    async def community(self, slug: str) -> Community | None:
        """The community, only when its pages are on."""
        found = await Community.get_or_none(slug=slug)
        return found if found is not None and found.pages else None

    async def view(self, community: Community, with_news: bool = False) -> CommunityView:
        projects = await Project.filter(community_id=community.id, status__in=list(RUNNING)).order_by("title")
        ids = [p.id for p in projects]
        referents = await fetch('SELECT pr."project_id", p."display_name" FROM "project_referent" pr JOIN "person" p ON p."id" = pr."person_id" '
                                'WHERE pr."project_id" IN (SELECT "id" FROM "project" WHERE "community_id" = ?) ORDER BY p."display_name"',
                                [community.id]) if ids else []
        followers = dict(await fetch('SELECT f."project_id", COUNT(*) FROM "follow" f JOIN "project" p ON p."id" = f."project_id" '
                                     'WHERE p."community_id" = ? GROUP BY f."project_id"', [community.id])) if ids else {}
        steps: dict[int, NextStep] = {}
        for row in await NextStep.filter(project_id__in=ids).order_by("id"):
            steps[row.project_id] = row  # the latest is the current one
        campaigns = {c.project_id: c for c in await Campaign.filter(project_id__in=ids, closed_at__isnull=True)}
        latest = dict(await fetch('SELECT n."project_id", MAX(n."created_at") FROM "news_item" n JOIN "project" p ON p."id" = n."project_id" '
                                  'WHERE p."community_id" = ? GROUP BY n."project_id"', [community.id])) if ids else {}
        views = []
        for p in projects:
            step = steps.get(p.id)
            c = campaigns.get(p.id)
            updated = max([d for d in (_dt(latest.get(p.id)), step.created_at if step else None, p.created_at) if d is not None])
            views.append(ProjectView(
                p.id, p.slug, p.title, p.summary, p.status.label, [public_name(str(n)) for pid, n in referents if pid == p.id],
                int(followers.get(p.id, 0)), step.text if step else None, step.due if step else None,
                CampaignView(c.raised, c.goal, c.currency, c.backers, c.until, c.url) if c else None, updated=updated))
        now = self.clock()
        meetings = await Event.filter(community_id=community.id, kind=EventKind.MEETING, cancelled=False).order_by("starts_at")
        upcoming = next((m for m in meetings if m.starts_at >= now), None)
        polls, closed = await poll_views(community, self.tally, self.named, public_name, self.labels)
        events = await coming_events(community, now)
        rooms = [str(r) for r in await ChatBinding.filter(community_id=community.id, platform="matrix").values_list("chat_id", flat=True)]
        updated = max([v.updated for v in views if v.updated] + [m.updated_at or m.created_at for m in [*meetings, *events]]
                      + [community.created_at])
        return CommunityView(community.slug, community.name, community.locale, community.timezone, views, upcoming,
                             meetings, polls, rooms, updated, await contributions(community.id, public_name), events, closed,
                             budget=await budget_view(community.id))

    async def project(self, community: Community, slug: str) -> ProjectView | None:
        view = await self.view(community)
        found = next((p for p in view.projects if p.slug == slug), None)
        if found is not None:
            found.news = await self.news(community, found.id)
            found.answered = await self.answered(found.id)
            found.funds = await funds_view(found.id)
        return found

    @staticmethod
    async def funds(project_id: int) -> FundsView | None:
        return await funds_view(project_id)

    @staticmethod
    async def answered(project_id: int, limit: int = 20) -> list[AnsweredView]:
        rows = await fetch('SELECT c."id", c."text", c."answer", CASE WHEN c."consent" = ? THEN a."display_name" ELSE \'\' END, '
                           'b."display_name", c."published_at" FROM "comment" c LEFT JOIN "person" a ON a."id" = c."author_id" '
                           'LEFT JOIN "person" b ON b."id" = c."answered_by_id" WHERE c."project_id" = ? AND c."published_at" IS NOT NULL '
                           'AND c."hidden_at" IS NULL ORDER BY c."published_at" DESC, c."id" DESC LIMIT ?', ["name", project_id, limit])
        return [AnsweredView(int(i), str(q), str(a), public_name(asker), public_name(who), _dt(at) or datetime.min)
                for i, q, a, asker, who, at in rows]

    async def news(self, community: Community, project_id: int | None = None, limit: int = NEWS_SHOWN) -> list[NewsView]:
        query = NewsItem.filter(project__community_id=community.id, project__status__in=list(RUNNING))
        if project_id is not None:
            query = query.filter(project_id=project_id)
        items = await query.order_by("-created_at", "-id").limit(limit).select_related("project")
        names = {p.id: p.display_name for p in await Person.filter(id__in=[i.author_id for i in items if i.author_id])}
        return [NewsView(i.id, i.text, i.created_at, public_name(names.get(i.author_id or 0, "")), i.project.slug, i.project.title)
                for i in items]


# A name that is an account rather than a name: an email address, a Matrix id, a number (a Telegram id), `platform:…`.
_HANDLE = re.compile(r"^(?:@[^\s:]+:\S+|[^\s@]+@[^\s@]+\.[^\s@]+|\+?[\d\s().-]{3,}|[a-z]+:\S+)$", re.IGNORECASE)


def public_name(name: str | None) -> str:
    """A person's name as the public pages show it: their display name, or "" (shown as « un·e référent·e », « un·e
    membre ») when all Relais knows is an account — an address, an id — which pages must never print."""
    text = (name or "").strip()
    return "" if not text or _HANDLE.match(text) else text


def _dt(value) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))
