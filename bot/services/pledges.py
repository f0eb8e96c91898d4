"""Pledge campaigns: the project's campaign on the platform it chose, a personal link per person (a signed
redirect that counts a visit once), promises (what makes a backer), milestones as news, the countdown and the thank-you."""

from __future__ import annotations

import ipaddress
import logging
import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Callable
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from babel import Locale
from babel.numbers import format_currency, get_currency_symbol
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from bot.core.errors import UserError
from bot.core.i18n import N_, Translator
from bot.core.replies import LinkButton, Progress, Reply, bold
from bot.core.sql import execute, fetch
from bot.services.notify import Notifier, answerable
from bot.services.projects import Projects
from bot.services.signed_links import SignedLinks
from models import Campaign, CampaignKind, Community, Follow, Person, Project, ProjectStatus, Promise

log = logging.getLogger("relais.pledges")

MILESTONES = (25, 50, 75, 100)
JUMP = 150  # a progress beyond this percentage of the goal is shown back before anything is published
COUNTDOWN = (7, 2, 0)  # days left when followers who have not pledged are reminded
MAX_AMOUNT = 10**12  # cents: ten billion, more than any community campaign
_SUFFIX = {"k": 1000, "K": 1000, "m": 1_000_000, "M": 1_000_000}
_GROUPED = re.compile(r"\d{1,3}(?:[\s\u00a0\u202f']\d{3})+(?:[.,]\d{1,2})?")
_CURRENCY = re.compile(r"(€|eur(?:os?)?|\$|usd|£|gbp|chf)", re.IGNORECASE)


def read_amount(text: str) -> int:
    """Cents from an amount written the French or the English way: `12 000 €`, `12,000`, `12k`, `1 234,50`,
    `1,234.50`, `4.8k`. Raises a UserError for what is not a positive amount."""
    raw = _CURRENCY.sub("", text).strip()
    # A space (or an apostrophe) inside the number groups thousands, three digits each: `4 800`, `480 030`, never
    # `4800 30` (an amount and something else, which would silently make 480 030).
    digits = raw[:-1] if raw[-1:] in _SUFFIX else raw
    if re.search(r"\d[\s\u00a0\u202f']+\d", digits) and not _GROUPED.fullmatch(digits):
        raise UserError(N_("“{value}” is not an amount: write it like 12 000 €, 12,000 or 12k."), value=text[:40])
    raw = re.sub(r"[\s\u00a0\u202f']", "", raw)
    factor = 1
    if raw[-1:] in _SUFFIX:
        factor, raw = _SUFFIX[raw[-1]], raw[:-1]
    if not re.fullmatch(r"\d{1,3}(?:[.,]\d{3})+(?:[.,]\d{1,2})?|\d+(?:[.,]\d+)?", raw):
        raise UserError(N_("“{value}” is not an amount: write it like 12 000 €, 12,000 or 12k."), value=text[:40])
    if "," in raw and "." in raw:  # the last one is the decimal separator
        decimal_sep = "," if raw.rfind(",") > raw.rfind(".") else "."
        raw = raw.replace("." if decimal_sep == "," else ",", "").replace(",", ".")
    elif raw.count(",") == 1 and not re.search(r",\d{3}$", raw):
        raw = raw.replace(",", ".")  # 12,5: a French decimal
    elif raw.count(".") == 1 and not re.search(r"\.\d{3}$", raw):
        pass  # 12.5: an English decimal
    else:
        raw = raw.replace(",", "").replace(".", "")  # 12,000 / 12.000 / 1,234,567: thousands
    try:
        value = Decimal(raw) * factor
    except InvalidOperation:
        raise UserError(N_("“{value}” is not an amount: write it like 12 000 €, 12,000 or 12k."), value=text[:40]) from None
    cents = int((value * 100).to_integral_value())
    if cents <= 0 or cents > MAX_AMOUNT:
        raise UserError(N_("“{value}” is not an amount: write it like 12 000 €, 12,000 or 12k."), value=text[:40])
    return cents


def money(cents: int, currency: str, locale: str) -> str:
    """`12 000 €`, `€12,000`; cents only when there are some (`1 234,50 €`)."""
    value = Decimal(cents) / 100
    if cents % 100:
        return format_currency(value, currency, locale=locale)
    pattern = Locale.parse(locale).currency_formats["standard"].pattern.replace(".00", "")
    return format_currency(value, currency, locale=locale, format=pattern, currency_digits=False)


_LOCAL_NAMES = (".localhost", ".local", ".internal", ".lan", ".home", ".intranet", ".corp", ".test", ".invalid", ".example")


def check_url(url: str) -> str:
    """A campaign's page: an https:// address on a public host (every member gets it as a link; a loopback, private or
    link-local address would point them at their own machine or network)."""
    parts = urlsplit(url.strip())
    try:
        host = (parts.hostname or "").rstrip(".").lower()
    except ValueError:
        host = ""
    if parts.scheme not in ("http", "https") or not host or len(url) > 2000 or parts.username or parts.password:
        raise UserError(N_("“{value}” is not a web address: give the campaign page's https:// address."), value=url[:80])
    if parts.scheme != "https":
        raise UserError(N_("The campaign's address must be secure: https://, not http:// (“{value}”)."), value=url[:80])
    if not _public_host(host):
        raise UserError(N_("“{value}” is not on a public host: give the campaign page's address on the web."), value=url[:80])
    return url.strip()


def _public_host(host: str) -> bool:
    try:
        address = ipaddress.ip_address(host)
    except ValueError:  # a name: a dotted one that is not a local or reserved name
        return "." in host and host != "localhost" and not host.endswith(_LOCAL_NAMES) and not host.replace(".", "").isdigit()
    return address.is_global and not address.is_multicast


@dataclass
class Standing:
    campaign: Campaign
    project: Project
    promised: int  # cents
    promisers: int
    visits: int  # people who opened their link: a visit, never support


class PledgeLinks(SignedLinks):
    """Personal pledge links: `<public url>/p/<token>`, signed by the web endpoint's token service for one person and
    one campaign; the endpoint counts a visit and redirects to the campaign's stored address only (never to an
    address read from the link)."""

    def url(self, campaign_id: int, person_id: int) -> str:
        assert self.tokens is not None
        return f"{self.public_url}/p/{self.tokens.sign('pledge', person_id, obj=str(campaign_id))}"


class Pledges:
    def __init__(self, clock: Callable[[], datetime], notifier: Notifier, projects: Projects):
        self.clock = clock
        self.notifier = notifier
        self.projects = projects
        self.links = PledgeLinks()
        self._urls: dict[int, str] = {}  # campaign id → its page (the address never changes once stored)
        self._counted: set[tuple[int, int]] = set()  # (campaign, person) visits this process has stored

    # -- campaigns ----------------------------------------------------------------------------------------

    async def running(self, project: Project) -> Campaign | None:
        return await Campaign.filter(project_id=project.id, closed_at__isnull=True).first()

    async def latest(self, project: Project) -> Campaign | None:
        return await Campaign.filter(project_id=project.id).order_by("-id").first()

    async def create(self, project: Project, by: Person, kind: CampaignKind, goal: int, url: str, until: date | None,
                     terms: str, today: date) -> Campaign:
        if until is not None and until < today:
            raise UserError(N_("The date {when} is in the past; give a date from today on."), when=until.isoformat())
        if await self.running(project) is not None:
            raise UserError(N_("{project} already has a running campaign: close it first (/campaign close {slug})."),
                            project=project.title, slug=project.slug)
        try:
            campaign = await Campaign.create(project_id=project.id, kind=kind, goal=goal, url=check_url(url), until=until,
                                             terms=terms[:300], created_by_id=by.id, created_at=self.clock())
        except IntegrityError:  # created by someone else at the same moment
            raise UserError(N_("{project} already has a running campaign: close it first (/campaign close {slug})."),
                            project=project.title, slug=project.slug) from None
        await self.projects.set_status(project, ProjectStatus.FUNDING)
        return campaign

    async def standing(self, campaign: Campaign, project: Project) -> Standing:
        rows = await fetch('SELECT COALESCE(SUM("amount"), 0), COUNT(*) FROM "promise" WHERE "campaign_id" = ?', [campaign.id])
        visits = await fetch('SELECT COUNT(*) FROM "pledge_click" WHERE "campaign_id" = ?', [campaign.id])
        return Standing(campaign, project, int(rows[0][0]), int(rows[0][1]), int(visits[0][0]))

    async def running_in(self, community: Community) -> list[tuple[Campaign, Project]]:
        projects = {p.id: p for p in await Project.filter(community_id=community.id)}
        found = await Campaign.filter(project_id__in=list(projects), closed_at__isnull=True).order_by("until", "id")
        return [(c, projects[c.project_id]) for c in found]

    async def progress(self, campaign: Campaign, project: Project, community: Community, raised: int, backers: int | None,
                       t_community: Translator) -> list[int]:
        """Record the amount raised; returns the milestones crossed now (each becomes news once)."""
        updates: dict = {"raised": raised}
        if backers is not None:
            updates["backers"] = backers
        await Campaign.filter(id=campaign.id).update(**updates)
        campaign.raised = raised
        if backers is not None:
            campaign.backers = backers
        percent = raised * 100 // campaign.goal if campaign.goal else 0
        reached = max((m for m in MILESTONES if percent >= m), default=0)
        crossed = [m for m in MILESTONES if campaign.milestone < m <= reached]
        if crossed and await Campaign.filter(id=campaign.id, milestone=campaign.milestone).update(milestone=reached):
            campaign.milestone = reached
            t = t_community
            text = (t(N_("🎉 The campaign reached its goal: {raised} raised!"), raised=money(raised, campaign.currency, t.locale))
                    if reached >= 100 else
                    t(N_("🎯 {percent} % of the campaign's goal: {raised} of {goal}."), percent=reached,
                      raised=money(raised, campaign.currency, t.locale), goal=money(campaign.goal, campaign.currency, t.locale)))
            await self.projects.post_news(project, None, text, "relais", community)
            return crossed
        return []

    async def close(self, campaign: Campaign, project: Project) -> bool:
        if not await Campaign.filter(id=campaign.id, closed_at__isnull=True).update(closed_at=self.clock()):
            return False
        campaign.closed_at = self.clock()
        if project.status == ProjectStatus.FUNDING:
            await self.projects.set_status(project, ProjectStatus.ACTIVE)
        return True

    async def backers_of(self, campaign: Campaign) -> list[Person]:
        """Who promised: the people the thank-you and the repayment news go to. Opening a pledge link is a visit
        (mail scanners open every link), never support."""
        ids = await Promise.filter(campaign_id=campaign.id).values_list("person_id", flat=True)
        return await Person.filter(id__in=list(ids)).order_by("id")

    async def thank(self, campaign: Campaign, project: Project, community: Community,
                    build: Callable[[Translator], Reply]) -> int:
        """Once after the close: thanks to each backer, who then follows the project (its news keep coming)."""
        if not await Campaign.filter(id=campaign.id, thanked_at__isnull=True).update(thanked_at=self.clock()):
            return 0
        people = await self.backers_of(campaign)
        following = set(await Follow.filter(project_id=project.id).values_list("person_id", flat=True))
        for person in people:
            if person.id not in following:
                await self.projects.follow(person, project)
        sent = await self.notifier.enqueue(people, f"thanks:{campaign.id}", "campaign", build, community.id,
                                           default_locale=community.locale)
        self.notifier.wake()
        return sent

    # -- people -------------------------------------------------------------------------------------------

    async def visit(self, campaign_id: int, person_id: int) -> str | None:
        """A personal link opened: a visit, counted once per person and campaign for the report (the database's
        unique key decides, across processes), never support; returns the campaign's page to redirect to, None when
        there is no such campaign. A visit this process has counted already, and the campaign's address, are
        remembered: a link opened again costs no query."""
        url = self._urls.get(campaign_id)
        if url is None:
            rows = await fetch('SELECT "url" FROM "campaign" WHERE "id" = ?', [campaign_id])
            if not rows:
                return None
            url = str(rows[0][0])
            if len(self._urls) > 10_000:
                self._urls.clear()
            self._urls[campaign_id] = url
        key = (campaign_id, person_id)
        if key not in self._counted:
            try:
                await execute('INSERT INTO "pledge_click" ("campaign_id", "person_id", "at") VALUES (?, ?, ?) '
                              'ON CONFLICT ("campaign_id", "person_id") DO NOTHING', [campaign_id, person_id, self.clock()])
            except IntegrityError:  # the person is gone (forgotten): the page still opens, nothing is counted
                return url
            if len(self._counted) > 200_000:
                self._counted.clear()
            self._counted.add(key)
        return url

    async def promise(self, campaign: Campaign, person: Person, amount: int | None) -> int | None:
        """Record, change (amount) or withdraw (None) a promise; returns the previous amount."""
        if campaign.closed_at is not None:
            raise UserError(N_("This campaign is closed."))
        async with in_transaction():
            previous = await Promise.get_or_none(campaign_id=campaign.id, person_id=person.id)
            if amount is None:
                if previous is not None:
                    await Promise.filter(id=previous.id).delete()
            elif previous is None:
                await Promise.create(campaign_id=campaign.id, person_id=person.id, amount=amount, at=self.clock())
            else:
                await Promise.filter(id=previous.id).update(amount=amount, at=self.clock())
        return previous.amount if previous else None

    async def my_promise(self, campaign: Campaign, person: Person) -> int | None:
        row = await Promise.get_or_none(campaign_id=campaign.id, person_id=person.id)
        return row.amount if row else None

    def link_for(self, campaign: Campaign, person: Person) -> str:
        return self.links.url(campaign.id, person.id) if self.links.ready else campaign.url

    # -- the countdown ------------------------------------------------------------------------------------

    async def countdown_due(self) -> list[tuple[Campaign, int]]:
        """The running campaigns whose next countdown step is due (7, 2, 0 days left in their community's time
        zone), each claimed once."""
        due = []
        for campaign in await Campaign.filter(closed_at__isnull=True, until__isnull=False):
            project = await Project.get(id=campaign.project_id)
            community = await Community.get(id=project.community_id)
            today = self.clock().astimezone(ZoneInfo(community.timezone)).date()
            if campaign.until is None:
                continue
            left = (campaign.until - today).days
            step = min((d for d in COUNTDOWN if d >= left), default=None)
            if step is None or left < 0:
                continue
            if campaign.reminded != -1 and campaign.reminded <= step:
                continue
            if await Campaign.filter(id=campaign.id, reminded=campaign.reminded).update(reminded=step):
                due.append((campaign, left))
        return due

    async def not_pledged_followers(self, campaign: Campaign, project: Project) -> list[Person]:
        """The followers who have not promised (a visit to the campaign's page is not a promise)."""
        followers = await self.notifier.followers(project)
        done = {p.id for p in await self.backers_of(campaign)}
        return [p for p in followers if p.id not in done]


def campaign_reply(t: Translator, standing: Standing, today: date, link: str | None = None, mine: int | None = None) -> Reply:
    """A campaign as people see it: the progress bar, the amount, the backers, the days left, the promises beside."""
    c, project = standing.campaign, standing.project
    caption = []
    if c.backers:
        caption.append(t.n("{count} backer", "{count} backers", c.backers))
    if c.closed_at is not None:
        caption.append(t(N_("closed")))
    elif c.until is not None:
        left = (c.until - today).days
        caption.append(t(N_("last day")) if left == 0 else t.n("{count} day left", "{count} days left", left))
    reply = Reply().para("💶 ", bold(project.title), " — ", t(N_("campaign: {kind}"), kind=t(CampaignKind(c.kind).label)))
    reply.add(Progress(c.raised / 100, c.goal / 100, _symbol(c.currency, t.locale), " — ".join(caption), t.locale))
    if c.terms:
        reply.para(t(N_("Terms: {terms}"), terms=c.terms))
    if standing.promised:
        total = money(standing.promised, c.currency, t.locale)
        reply.para(t.n("Promised: {amount} by {count} person, not counted in the amount raised.",
                       "Promised: {amount} by {count} people, not counted in the amount raised.", standing.promisers, amount=total))
    if mine:
        reply.para(t(N_("Your promise: {amount}."), amount=money(mine, c.currency, t.locale)))
    if link and c.closed_at is None:
        reply.add(LinkButton(t(N_("Support {project}"), project=project.title), link))
    return reply.add(answerable(t, ("campaign", c.id, project.id)))  # a question about it goes to the referents


def _symbol(currency: str, locale: str) -> str:
    return get_currency_symbol(currency, locale=locale)
