"""The weekly digest as data: who gets it, and small providers that each add a section.

Everything a digest needs is loaded once per community and week (projects, the week's news, next steps),
then each person's digest is assembled in memory from their follows: no query per person. A provider adds
a section that carries its own data and names its own templates (`mail/templates/digest/<template>.*.j2`);
no template branches on another section's name, so polls, campaigns and meetings add theirs alone.
"""

from __future__ import annotations

import logging
import re
import uuid
from dataclasses import KW_ONLY, dataclass, field
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import Any, AsyncIterator, Callable, Iterable, Protocol
from zoneinfo import ZoneInfo

from babel import Locale

from bot.core import platforms
from bot.core.i18n import N_, Catalogs
from bot.core.render import percent_of
from bot.core.replies import Reply, bold, italic
from bot.core.sql import fetch
from bot.services.schedules import Schedules
from models import Account, Campaign, ChatBinding, Community, DigestSubscription, Event, EventKind, NewsItem, NextStep, OutboxMessage, Project, Role, VotePoll
from models.digest import DigestMode
from models.mail import MailAddress

log = logging.getLogger("relais.digest")
NEWS_CUT = 300  # a news text longer than this is cut at a word, with a link to the project's public page (when on)


THUMBS_PER_NEWS = 3  # a news item's photos shown in a digest (its page has them all)
THUMB_WIDTH = 160  # CSS pixels a thumbnail takes in the mail (two or three side by side on a phone)


@dataclass(frozen=True)
class Photo:
    """A news item's thumbnail in a digest: shown inline (`cid:`), its bytes read once a run."""

    cid: str  # the mail part's Content-ID, without brackets
    filename: str
    width: int  # as shown, in CSS pixels
    height: int
    data: bytes = field(repr=False, default=b"")


@dataclass(frozen=True)
class NewsLine:
    day: date
    text: str  # whole, or cut at a word when the community's public pages hold the rest
    more: bool = False  # cut: "read more" on the project's public page
    photos: tuple[Photo, ...] = ()


def cut_at_word(text: str, limit: int = NEWS_CUT) -> str | None:
    """`text` cut at the last word that fits in `limit` characters, with an ellipsis; None when it fits whole."""
    text = text.strip()
    if len(text) <= limit:
        return None
    head = text[:limit + 1]
    space = max(head.rfind(" "), head.rfind("\n"))
    head = head[:space] if space > limit // 2 else text[:limit]
    return head.rstrip(" \n,;:.-—") + " …"


@dataclass
class ProjectLine:
    slug: str
    title: str
    status: str  # the status' label (a message id)
    summary: str = ""
    news: list[NewsLine] = field(default_factory=list)
    step: str | None = None
    due: date | None = None
    overdue: bool = False
    step_is_new: bool = False
    is_new: bool = False

    @property
    def moving(self) -> bool:
        """Something new in the period: news or a next step set or changed."""
        return bool(self.news) or self.step_is_new


@dataclass
class ProjectList:
    """The data of a project section: its lines, and what each line offers (follow or unfollow, compact or not)."""

    lines: list[ProjectLine]
    action: str  # "follow" | "unfollow"
    compact: bool = False  # one line a project (the community's other projects)
    page: str = ""  # the community's public page, when it has them on: each project's title links to its page


@dataclass
class Section:
    key: str
    title: str  # a message id, translated when rendered
    fresh: bool  # holds something new this week; a digest with no fresh section is not sent
    data: Any  # what the section's templates show
    template: str  # renders with mail/templates/digest/<template>.txt.j2 and .html.j2
    # For a list (data.lines, each with a `slug`): each line rendered with digest/<item_template>.*.j2, once per
    # run and language (it reads the same for every reader), and handed to the section's templates as `items`.
    item_template: str = ""
    # What is new in it, for the mail's opening sentence: (singular id, plural id, count), counts above zero only.
    highlights: list[tuple[str, str, int]] = field(default_factory=list)


@dataclass
class Recipient:
    person_id: int
    name: str
    locale: str
    address: str
    follows: set[int] = field(default_factory=set)
    account_id: int = 0  # the email account the digest goes to (its signed links act as it)
    timezone: str = ""  # theirs (`timezone Area/City`), or "" for the community's: the days the subject names
    since: datetime | None = None  # where their period starts: the end of their previous digest's (None: the last 7 days)


@dataclass
class Digest:
    recipient: Recipient
    community_slug: str
    community_name: str
    week: str
    sections: list[Section]
    edition: str = ""  # one run's data: lines of the same edition read the same for everyone
    page: str = ""  # the community's public page, when it has them on
    _: KW_ONLY
    start: date  # the period's first and last day in the reader's time zone, for the subject and the header
    end: date
    until: datetime | None = None  # where the period ends: the reader's next digest starts there

    @property
    def has_news(self) -> bool:
        return any(s.fresh for s in self.sections)


@dataclass
class Week:
    """One digest period of a community: the items created in [start, end) are its news, each in exactly one period of
    a reader (see `period_end` and Digests.periods)."""

    community: Community
    key: str
    start: datetime  # the period: from the end of the reader's previous digest (or 7 days), to the midnight before the due time
    end: datetime
    today: date
    first_day: date  # the period's first and last day as the community's calendar says
    last_day: date
    edition: str = field(default_factory=lambda: uuid.uuid4().hex)
    page: str = ""  # the community's public page (its pages on), for "read on the web" and the project links
    due: datetime | None = None  # when it goes out: what starts after it is "coming"
    _days: dict = field(default_factory=dict, repr=False)

    def within(self, moment: datetime | None) -> bool:
        """Whether something created at `moment` is new in this period (it is in no other period of the reader)."""
        return moment is not None and self.start <= moment < self.end

    @property
    def sent_at(self) -> datetime:
        return self.due or self.end

    def days_in(self, timezone: str) -> tuple[date, date]:
        """The period's first and last day in a reader's time zone ("" or the community's: the community's calendar)."""
        if not timezone or timezone == self.community.timezone:
            return self.first_day, self.last_day
        days = self._days.get(timezone)
        if days is None:
            days = self._days[timezone] = period_days(self.start, self.end, _zone(timezone) or ZoneInfo(self.community.timezone))
        return days


class Provider(Protocol):
    key: str

    async def prepare(self, week: Week, shared: dict) -> Any:
        """Load, once per community and week, what every person's section is made of; `shared` is a memo
        the providers of one run share (three of them read the same projects)."""

    def section(self, state: Any, recipient: Recipient) -> Section | None:
        """The person's section, from the prepared state only (no database access)."""


@dataclass
class _Projects:
    lines: dict[int, ProjectLine]
    order: list[int]
    # Read per person, so made once: the projects older than the week (in order) and their news count, so that
    # a person's "other projects" are one pass and their news one subtraction.
    settled: list[tuple[int, ProjectLine]] = field(default_factory=list)
    old_news: int = 0
    today: date | None = None
    page: str = ""
    moving: int = 0  # the settled projects with something new (news, a next step set or changed)


async def load_projects(week: Week, shared: dict) -> _Projects:
    """The projects of a community with the week's news and their current next step, loaded once a run."""
    if "projects" not in shared:
        shared["projects"] = await _load_projects(week, shared.get("files"))
        shared["projects"].page = week.page
    return shared["projects"]


async def _photos(files, news_ids: list[int]) -> dict[int, tuple[Photo, ...]]:
    """The first thumbnails of each news item (photos issue: `Files.thumbnails`), their bytes read once; a file store
    that cannot be read leaves the news without photos rather than the digest unsent."""
    if files is None or not news_ids:
        return {}
    out: dict[int, tuple[Photo, ...]] = {}
    read: dict[str, bytes] = {}
    try:
        for news_id, thumbs in (await files.thumbnails(news_ids)).items():
            photos = []
            for thumb in thumbs[:THUMBS_PER_NEWS]:
                if not thumb.thumb or thumb.width <= 0 or thumb.height <= 0:
                    continue
                if thumb.thumb not in read:
                    read[thumb.thumb] = await files.read(thumb.thumb)
                width = min(THUMB_WIDTH, thumb.width)
                photos.append(Photo(f"{thumb.thumb[:32]}@thumb.relais", thumb.filename, width,
                                    max(1, round(thumb.height * width / thumb.width)), read[thumb.thumb]))
            out[news_id] = tuple(photos)
    except Exception:  # noqa: BLE001 - the store is another service: its failure costs the photos, not the mail
        log.warning("digest thumbnails unavailable", exc_info=True)
        return {}
    return out


async def _load_projects(week: Week, files=None) -> _Projects:
    projects = await Project.filter(community_id=week.community.id, created_at__lt=week.end).order_by("title")
    # New means created within this week's window; older projects, followed or not, are never "new".
    lines = {p.id: ProjectLine(p.slug, p.title, p.status.label, p.summary, is_new=week.start <= p.created_at)
             for p in projects}
    ids = list(lines)
    news = NewsItem.filter(project_id__in=ids, created_at__gte=week.start, created_at__lt=week.end).order_by("created_at")
    tz = ZoneInfo(week.community.timezone)
    items = await news
    photos = await _photos(files, [item.id for item in items])
    for item in items:
        cut = cut_at_word(item.text) if week.page else None  # the whole text is on the project's page
        lines[item.project_id].news.append(NewsLine(item.created_at.astimezone(tz).date(), cut or item.text, cut is not None,
                                                    photos.get(item.id, ())))
    for step in await NextStep.filter(project_id__in=ids, created_at__lt=week.end).order_by("created_at", "id"):
        line = lines[step.project_id]  # the latest one wins
        line.step, line.due = step.text, step.due
        line.overdue = bool(step.due and step.due < week.today)
        line.step_is_new = step.created_at >= week.start
    order = [p.id for p in projects]
    settled = [(i, lines[i]) for i in order if not lines[i].is_new]
    return _Projects(lines, order, settled, sum(len(line.news) for _, line in settled), week.today,
                     moving=sum(line.moving for _, line in settled))


def n(singular: str, plural: str, count: int) -> list[tuple[str, str, int]]:
    """A highlight: a plural message (named `n` so that extraction reads it as one, like `t.n`), translated where it is
    shown; none when the count is zero."""
    return [(singular, plural, count)] if count else []


class FollowedProjects:
    key = "followed"

    async def prepare(self, week: Week, shared: dict) -> _Projects:
        return await load_projects(week, shared)

    def section(self, state: _Projects, r: Recipient) -> Section | None:
        lines = [state.lines[i] for i in state.order if i in r.follows]
        if not lines:
            return None
        fresh = any(line.moving for line in lines)
        highlights = (n("{count} news in the projects you follow", "{count} news in the projects you follow",
                        sum(len(line.news) for line in lines))
                      + n("{count} overdue next step", "{count} overdue next steps", sum(line.overdue for line in lines)))
        return Section(self.key, N_("The projects you follow"), fresh, ProjectList(lines, "unfollow", page=state.page), "projects", "project_line",
                       highlights)


class OtherProjects:
    key = "others"

    async def prepare(self, week: Week, shared: dict) -> _Projects:
        return await load_projects(week, shared)

    def section(self, state: _Projects, r: Recipient) -> Section | None:
        follows = r.follows
        lines = [line for i, line in state.settled if i not in follows]
        if not lines:
            return None
        followed = [state.lines[i] for i in follows if i in state.lines and not state.lines[i].is_new]
        news = state.old_news - sum(len(line.news) for line in followed)
        moving = state.moving - sum(line.moving for line in followed)
        # Other projects' news counts as new too: an observer should hear of a project they could join.
        return Section(self.key, N_("The community's other projects"), moving > 0, ProjectList(lines, "follow", compact=True, page=state.page),
                       "projects", "project_line",
                       n("{count} news in other projects", "{count} news in other projects", news))


class NewProjects:
    key = "new"

    async def prepare(self, week: Week, shared: dict) -> _Projects:
        return await load_projects(week, shared)

    def section(self, state: _Projects, r: Recipient) -> Section | None:
        lines = [state.lines[i] for i in state.order if state.lines[i].is_new and i not in r.follows]
        if not lines:
            return None
        return Section(self.key, N_("New projects"), True, ProjectList(lines, "follow", page=state.page), "projects", "project_line",
                       n("{count} new project", "{count} new projects", len(lines)))


@dataclass
class DueStep:
    slug: str  # its project's: a line reads the same for every reader of a run (rendered once, see Section.item_template)
    title: str
    step: str
    due: date
    overdue: bool


@dataclass
class DueSteps:
    """The steps section's data: its lines, each rendered once a run (a list, like the project sections)."""

    lines: list[DueStep]
    compact: bool = False  # a list section's lines show their photos unless compact: steps have none


class StepsThisWeek:
    """The followed projects' next steps due in the coming seven days, and the overdue ones: the week at a glance.
    It adds nothing new by itself (a week with only due dates sends no digest)."""

    key = "steps"

    async def prepare(self, week: Week, shared: dict) -> _Projects:
        return await load_projects(week, shared)

    def section(self, state: _Projects, r: Recipient) -> Section | None:
        today = state.today
        if today is None:
            return None
        horizon = today + timedelta(days=7)
        lines = [DueStep(line.slug, line.title, line.step, line.due, line.overdue) for i in state.order if i in r.follows
                 for line in (state.lines[i],) if line.step and line.due and line.due <= horizon]
        if not lines:
            return None
        lines.sort(key=lambda s: (not s.overdue, s.due, s.title))
        return Section(self.key, N_("Next steps this week"), False, DueSteps(lines), "steps", "step_line",
                       highlights=n("{count} next step due this week", "{count} next steps due this week",
                                    sum(not s.overdue for s in lines)))


@dataclass
class OpenVote:
    ref: str  # `<number>` within the community: the digest's vote links name the community already
    number: int
    question: str
    options: list[str]
    kind: str
    closes: date | None
    one_click: bool  # single or multiple choice: one link per option casts that choice
    is_new: bool


@dataclass
class NextMeeting:
    id: int
    starts: datetime  # in the community's time zone
    place: str
    is_new: bool


@dataclass
class Gathering:
    votes: list[OpenVote]
    meeting: NextMeeting | None


class VotesAndMeeting:
    """The open votes, each option a one-click link (observers vote from the digest), and the next general
    meeting with "I'm coming" links. A poll or a meeting new this week is news; otherwise they only remind."""

    key = "votes"

    async def prepare(self, week: Week, shared: dict) -> Gathering:
        tz = ZoneInfo(week.community.timezone)
        polls = await VotePoll.filter(community_id=week.community.id, closed_at__isnull=True).order_by("number")
        votes = []
        for p in polls:
            options = [str(o) for o in p.options]
            if p.kind == "date":
                options = [(datetime.fromisoformat(o).astimezone(tz).strftime("%Y-%m-%d %H:%M") if "T" in o else o) for o in options]
            votes.append(OpenVote(str(p.number), p.number, p.question, options, str(p.kind),
                                  p.closes_at.astimezone(tz).date() if p.closes_at else None,
                                  p.kind in ("single", "multiple"), week.within(p.created_at)))
        meeting = await Event.filter(community_id=week.community.id, kind=EventKind.MEETING, cancelled=False,
                                       starts_at__gte=week.sent_at).order_by("starts_at").first()
        upcoming = NextMeeting(meeting.id, meeting.starts_at.astimezone(tz), meeting.place,
                               week.within(meeting.created_at)) if meeting else None
        return Gathering(votes, upcoming)

    def section(self, state: Gathering, r: Recipient) -> Section | None:
        if not state.votes and state.meeting is None:
            return None
        fresh = any(v.is_new for v in state.votes) or bool(state.meeting and state.meeting.is_new)
        return Section(self.key, N_("Votes and the general meeting"), fresh, state, "votes",
                       highlights=n("{count} open vote", "{count} open votes", len(state.votes)))


@dataclass
class RunningCampaign:
    slug: str
    title: str
    raised: int  # cents
    goal: int
    currency: str
    backers: int
    until: date | None
    is_new: bool

    @property
    def percent(self) -> int:
        return percent_of(self.raised, self.goal)  # the one rounding rule (bot/core/render.py)

    @property
    def bar(self) -> int:
        return min(100, self.percent)  # how full the bar is drawn


class Campaigns:
    """The running pledge campaigns, each with its progress and the reader's own pledge link. A campaign started
    this week is news; otherwise it only reminds."""

    key = "campaigns"

    async def prepare(self, week: Week, shared: dict) -> list[RunningCampaign]:
        projects = {p.id: p for p in await Project.filter(community_id=week.community.id)}
        found = await Campaign.filter(project_id__in=list(projects), closed_at__isnull=True).order_by("until", "id")
        return [RunningCampaign(projects[c.project_id].slug, projects[c.project_id].title, c.raised, c.goal, c.currency,
                                c.backers, c.until, week.within(c.created_at)) for c in found]

    def section(self, state: list[RunningCampaign], r: Recipient) -> Section | None:
        if not state:
            return None
        return Section(self.key, N_("Campaigns"), any(c.is_new for c in state), state, "campaigns",
                       highlights=n("{count} running campaign", "{count} running campaigns", len(state)))


PROVIDERS: list[Provider] = [FollowedProjects(), StepsThisWeek(), VotesAndMeeting(), Campaigns(), OtherProjects(), NewProjects()]

# Observers get the digest unless they said no; everyone else only if they said yes (see wants_digest).
_FROM = """
FROM membership m
JOIN person p ON p.id = m.person_id
JOIN account a ON a.person_id = p.id AND a.platform = 'email' AND a.confirmed AND a.reachable
LEFT JOIN digest_subscription s ON s.person_id = p.id AND s.community_id = m.community_id
WHERE m.community_id = ? AND (s.enabled = ? OR (s.enabled IS NULL AND m.role = ?))"""
RECIPIENTS_SQL = "SELECT p.id, p.display_name, p.locale, a.address, a.id, p.timezone" + _FROM + " AND p.id > ? ORDER BY p.id LIMIT ?"
COUNT_SQL = "SELECT COUNT(DISTINCT p.id)" + _FROM


def wants_digest(role: int, enabled: bool | None) -> bool:
    """Observers get it unless they said no; everyone else only if they said yes."""
    if enabled is not None:
        return bool(enabled)
    return role == Role.OBSERVER


def assemble(prepared: list[tuple[Provider, Any]], week: Week, recipient: Recipient) -> Digest:
    sections = [s for p, state in prepared if (s := p.section(state, recipient)) is not None]
    first, last = week.days_in(recipient.timezone)
    return Digest(recipient, week.community.slug, week.community.name, week.key, sections, week.edition, week.page,
                  start=first, end=last, until=week.end)


FIRST_PERIOD = timedelta(days=7)  # a reader's first digest: the last seven days
LONGEST_PERIOD = timedelta(days=28)  # a reader back after weeks without a digest: the last four weeks, not everything since


@lru_cache(maxsize=64)
def _zone(name: str) -> ZoneInfo | None:
    try:
        return ZoneInfo(name)
    except (ValueError, KeyError, OSError):
        return None


def period_end(due: datetime, tz: ZoneInfo) -> datetime:
    """Where the period of a digest due at `due` ends: the midnight before it, in the community's time zone. A digest due
    Monday 08:00 covers up to Sunday night, so that its title's last day (Sunday) is true: what is posted on Monday
    morning opens the next one."""
    return datetime.combine(due.astimezone(tz).date(), time(0), tzinfo=tz).astimezone(due.tzinfo)


def period_days(start: datetime, end: datetime, tz: ZoneInfo) -> tuple[date, date]:
    """The first and last day of [start, end) as a calendar in `tz` shows them."""
    return start.astimezone(tz).date(), (end - timedelta(microseconds=1)).astimezone(tz).date()


def week_window(community: Community, key: str, due: datetime, today: date, since: datetime | None = None,
                exact: bool = False) -> Week:
    """The period of the digest due at `due`: from `since` (the end of the reader's previous digest's period) or, for a
    first digest, the seven days before its end, to the midnight before `due` in the community's time zone (in UTC a
    Monday morning in Auckland is still Sunday), or to `due` itself when `exact` (a digest sent by hand, now)."""
    tz = ZoneInfo(community.timezone)
    end = due if exact else period_end(due, tz)
    first = datetime.combine(end.astimezone(tz).date() - FIRST_PERIOD, time(0), tzinfo=tz).astimezone(due.tzinfo)
    # A period a digest already covered (the schedule moved back a day) is empty: nothing in it is sent twice.
    start = first if since is None else min(max(since, end - LONGEST_PERIOD), end)
    return Week(community, key, start, end, today, *period_days(start, end, tz), due=due)


@lru_cache(maxsize=16)
def day_pattern(locale: str, skeleton: str = "MMMMd") -> str:
    """The language's own way to write a day and its month: "d MMMM" in French, "MMMM d" in English (Babel's CLDR data)."""
    return Locale.parse(locale).datetime_skeletons[skeleton].pattern


def week_days(t, first: date, last: date, year: bool = False) -> tuple[str, str]:
    """The week's first and last day as a title says them ("30 novembre", "6 décembre"); within one month, the month
    is said once, where the language puts it: "du 16 au 22 novembre", "November 16 to 22"."""
    day = day_pattern(t.locale)
    end = day_pattern(t.locale, "yMMMMd") if year else day
    if (first.year, first.month) != (last.year, last.month):
        return t.date(first, day), t.date(last, end)
    if day.index("d") < day.index("M"):  # day before month: the last day carries the month
        return t.date(first, "d"), t.date(last, end)
    return t.date(first, day), t.date(last, re.sub(r"M+\s*", "", end).strip())


def week_title(t, community: str, first: date, last: date) -> str:
    """"Tiers-lieu de l'Usine Vivante: week of November 30 to December 6", the digest's subject and the room summary's title."""
    start, end = week_days(t, first, last)
    return t(N_("{community}: week of {start} to {end}"), community=community, start=start, end=end)


def room_summary(state: _Projects, week: Week, t) -> Reply | None:
    """The week in one message for the community's groups and rooms: the same for everyone, so not personal."""
    moving = [state.lines[i] for i in state.order if state.lines[i].moving or state.lines[i].is_new]
    if not moving:
        return None
    reply = Reply().para("🗞 ", bold(week_title(t, week.community.name, week.first_day, week.last_day)))
    rows = []
    for line in moving:
        parts: list = [bold(line.title)]
        if line.is_new:
            parts += [" — ", italic(t(N_("new project")))]
        for news in line.news:
            parts += [" — ", news.text]
        if line.step_is_new and line.step:
            parts += [" — ", t(N_("next step: {step}"), step=line.step)]
        rows.append(tuple(parts))
    reply.items(rows)
    reply.choice(t(N_("See the projects")), "projects")
    return reply


def _monday(week: str) -> date:
    year, _, number = week.partition("-W")
    return date.fromisocalendar(int(year), int(number), 1)


def _moment(value) -> datetime:
    """A timestamp read with plain SQL: a datetime on PostgreSQL, its ISO text on SQLite."""
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))


class Editions:
    """One run's prepared data, per period: most readers share the usual one (their previous digest ended where this
    one starts), a few start elsewhere (a first digest, a week missed); each distinct start is prepared once."""

    def __init__(self, digests: Digests, community: Community, key: str, due: datetime, today: date, exact: bool = False):
        self.digests = digests
        self.community = community
        self.key = key
        self.due = due
        self.today = today
        self.exact = exact
        self.usual = week_window(community, key, due, today, exact=exact)
        self._made: dict[datetime | None, tuple[Week, list[tuple[Provider, Any]]]] = {}

    async def of(self, since: datetime | None) -> tuple[Week, list[tuple[Provider, Any]]]:
        if since == self.usual.start:
            since = None
        made = self._made.get(since)
        if made is None:
            week = self.usual if since is None else week_window(self.community, self.key, self.due, self.today, since, self.exact)
            made = self._made[since] = (week, await self.digests.prepare(week))
        return made

    async def assemble(self, recipient: Recipient) -> Digest:
        week, prepared = await self.of(recipient.since)
        return assemble(prepared, week, recipient)


class Digests:
    """The digest's reads and settings: recipients, the week's data, each person's choice, the room summary."""

    def __init__(self, catalogs: Catalogs, clock: Callable[[], datetime], default_locale: str, schedules: Schedules,
                 providers: list[Provider] | None = None):
        self.catalogs = catalogs
        self.clock = clock
        self.default_locale = default_locale
        self.schedules = schedules
        self.providers = providers if providers is not None else list(PROVIDERS)
        self.public_url = ""  # the link endpoint's address, set by the App: the public pages' links
        self.files: Any = None  # the photos' service (`thumbnails`, `read`), set by the services: news thumbnails

    async def count_recipients(self, community: Community) -> int:
        return int((await fetch(COUNT_SQL, [community.id, True, int(Role.OBSERVER)]))[0][0])

    async def recipients(self, community: Community, chunk: int = 1000,
                         only: Iterable[int] | None = None) -> AsyncIterator[list[Recipient]]:
        """Everyone who gets this community's digest, in chunks, each with their follows in the community."""
        wanted = set(only) if only is not None else None
        after = 0
        while True:
            rows = await fetch(RECIPIENTS_SQL, [community.id, True, int(Role.OBSERVER), after, chunk])
            if not rows:
                return
            after = rows[-1][0]
            people: dict[int, Recipient] = {}
            for pid, name, locale, address, account_id, timezone in rows:
                if pid in people or (wanted is not None and pid not in wanted):
                    continue  # a person with two email accounts gets one digest
                people[pid] = Recipient(pid, name, locale or community.locale or self.default_locale, address,
                                        account_id=account_id, timezone=timezone or "")
            if people:
                await self.add_follows(community, people)
                yield list(people.values())

    async def add_follows(self, community: Community, people: dict[int, Recipient]) -> None:
        """Each person's follows in the community, added to their `follows`."""
        marks = ",".join("?" * len(people))
        for pid, project_id in await fetch(
                f"SELECT f.person_id, f.project_id FROM follow f JOIN project pr ON pr.id = f.project_id "
                f"WHERE pr.community_id = ? AND f.person_id IN ({marks})", [community.id, *people]):
            people[pid].follows.add(project_id)

    async def follows(self, person_id: int, community: Community) -> set[int]:
        return {row[0] for row in await fetch("SELECT f.project_id FROM follow f JOIN project p ON p.id = f.project_id "
                                              "WHERE f.person_id = ? AND p.community_id = ?", [person_id, community.id])}

    async def periods(self, community: Community, week: str, end: datetime, people: list[Recipient]) -> None:
        """Each reader's `since`: where the period of their previous digest in this community ended (a digest sent, or
        settled as having nothing new), so that their digests follow one another with no gap and no overlap; None for a
        first one. A delivery recorded before periods were ends its week's run (its due time), else whole weeks back."""
        if not people:
            return
        marks = ",".join("?" * len(people))
        rows = await fetch(f'SELECT "person_id", MAX("period_end"), MAX("week") FROM "digest_delivery" WHERE "community_id" = ? '
                           f'AND "week" < ? AND "status" IN (\'sent\', \'empty\') AND "person_id" IN ({marks}) GROUP BY "person_id"',
                           [community.id, week, *(r.person_id for r in people)])
        if not rows:
            return
        by_id = {r.person_id: r for r in people}
        older = {str(w) for _, until, w in rows if until is None}
        ends = await self._old_ends(community, week, end, older) if older else {}
        for pid, until, w in rows:
            by_id[pid].since = _moment(until) if until is not None else ends[str(w)]

    async def _old_ends(self, community: Community, week: str, end: datetime, weeks: set[str]) -> dict[str, datetime]:
        tz = ZoneInfo(community.timezone)
        keys = {f"digest:{community.slug}:{w}": w for w in weeks}
        marks = ",".join("?" * len(keys))
        dues = {keys[str(k)]: _moment(due) for k, due in await fetch(
            f'SELECT "key", "due_at" FROM "job_run" WHERE "key" IN ({marks})', list(keys))}
        local = end.astimezone(tz).date()
        return {w: period_end(dues[w], tz) if w in dues else
                datetime.combine(local - (_monday(week) - _monday(w)), time(0), tzinfo=tz).astimezone(end.tzinfo) for w in weeks}

    async def prepare(self, week: Week) -> list[tuple[Provider, Any]]:
        if week.community.pages and self.public_url:
            week.page = f"{self.public_url}/c/{week.community.slug}"
        shared: dict = {"files": self.files}
        return [(p, await p.prepare(week, shared)) for p in self.providers]

    async def opened(self, person_id: int, community_slug: str) -> None:
        """One of the person's digest links of this community was used: their latest digest from it counts as opened."""
        await fetch('UPDATE "digest_delivery" SET "opened" = ? WHERE "id" = (SELECT "id" FROM "digest_delivery" '
                    'WHERE "person_id" = ? AND "community_id" = (SELECT "id" FROM "community" WHERE "slug" = ?) '
                    'AND "status" = ? ORDER BY "week" DESC LIMIT 1)', [True, person_id, community_slug, "sent"])

    async def set_separate(self, person_id: int, separate: bool) -> None:
        """One digest mail for all the person's communities (False, the default) or one per community."""
        await DigestMode.update_or_create(person_id=person_id, defaults={"separate": separate})

    async def separate(self, person_id: int) -> bool:
        row = await DigestMode.get_or_none(person_id=person_id)
        return bool(row and row.separate)

    async def set_choice(self, person_id: int, community_id: int, enabled: bool) -> None:
        await DigestSubscription.update_or_create(person_id=person_id, community_id=community_id, defaults={"enabled": enabled})

    async def receives(self, person_id: int, community_id: int, role: int) -> bool:
        row = await DigestSubscription.get_or_none(person_id=person_id, community_id=community_id)
        return wants_digest(role, row.enabled if row else None)

    async def why_not(self, person_id: int, community_id: int, role: int) -> tuple[str, str] | None:
        """Why this person gets no digest from the community, as (reason, address), or None when they get it.
        The reasons mirror RECIPIENTS_SQL: "off" (said no), "not asked" (not an observer, never said yes), and for their
        best email address "no address", "unconfirmed", "unsubscribed" (one click), "bounced" or "unreachable"."""
        row = await DigestSubscription.get_or_none(person_id=person_id, community_id=community_id)
        if not wants_digest(role, row.enabled if row else None):
            return ("off" if row is not None else "not asked"), ""
        accounts = await Account.filter(person_id=person_id, platform="email").order_by("-confirmed", "-reachable", "id")
        if not accounts:
            return "no address", ""
        best = accounts[0]
        if best.confirmed and best.reachable:
            return None
        if not best.confirmed:
            return "unconfirmed", best.address
        state = await MailAddress.get_or_none(address=best.address)
        if state is not None and state.unsubscribed:
            return "unsubscribed", best.address
        return ("bounced" if state is not None and state.disabled else "unreachable"), best.address

    async def post_room_summary(self, week: Week, prepared: list[tuple[Provider, Any]]) -> int:
        """Queue the summary for every group and room bound to the community (not mailing lists: they get digests)."""
        if not await self.schedules.room_summary_wanted(week.community):
            return 0
        state = next((s for p, s in prepared if isinstance(s, _Projects)), None)
        if state is None:
            return 0
        reply = room_summary(state, week, self.catalogs.get(week.community.locale))
        if reply is None:
            return 0
        rows = [OutboxMessage(key=f"digest-room:{week.community.id}:{week.key}:{b.platform}:{b.chat_id}", person_id=None,
                              chat=f"{b.platform}:{b.chat_id}" + (f"/{b.thread}" if b.thread else ""),
                              community_id=week.community.id, kind="digest_room",
                              payload=reply.to_dict(), next_attempt_at=self.clock())
                for b in await ChatBinding.filter(community_id=week.community.id, platform__in=platforms.room_platforms())]
        if rows:
            await OutboxMessage.bulk_create(rows, ignore_conflicts=True)
        return len(rows)
