"""What the money paid for: expenses recorded by a project's referents against its campaign, raised / spent / left, and
the backers' summary of new expenses (one a week at most per campaign)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Callable

from bot.core.errors import UserError
from bot.core.i18n import N_, Catalogs, Translator
from bot.core.replies import Reply, bold
from bot.core.sql import fetch
from bot.services.notify import Notifier
from bot.services.pledges import Pledges, money
from models import Campaign, CampaignLink, Community, Expense, Person, Project

log = logging.getLogger("relais.expenses")

WEEK = timedelta(days=7)
SHOWN = 5  # expenses listed under a campaign (the public page lists them all)


@dataclass
class Spending:
    spent: int  # cents
    expenses: list[Expense]  # newest first
    count: int


class Expenses:
    def __init__(self, catalogs: Catalogs, clock: Callable[[], datetime], notifier: Notifier, pledges: Pledges):
        self.catalogs = catalogs
        self.clock = clock
        self.notifier = notifier
        self.pledges = pledges

    async def record(self, project: Project, by: Person, amount: int, text: str, spent_on: date, today: date) -> tuple[Expense, Campaign]:
        campaign = await self.pledges.running(project) or await self.pledges.latest(project)
        if campaign is None:
            raise UserError(N_("{project} has no campaign: an expense is counted against the money a campaign raised."),
                            project=project.title)
        if spent_on > today:
            raise UserError(N_("The date {when} is in the future: record an expense once it is paid."), when=spent_on.isoformat())
        if spent_on < today - timedelta(days=3 * 366):
            raise UserError(N_("The date {when} is more than three years ago."), when=spent_on.isoformat())
        expense = await Expense.create(project_id=project.id, campaign_id=campaign.id, amount=amount, text=text[:300],
                                       spent_on=spent_on, created_by_id=by.id, created_at=self.clock())
        return expense, campaign

    async def of(self, campaign: Campaign, limit: int | None = SHOWN) -> Spending:
        rows = await fetch('SELECT COALESCE(SUM("amount"), 0), COUNT(*) FROM "expense" WHERE "campaign_id" = ?', [campaign.id])
        query = Expense.filter(campaign_id=campaign.id).order_by("-spent_on", "-id")
        listed = await (query.limit(limit) if limit else query)
        return Spending(int(rows[0][0]), listed, int(rows[0][1]))

    async def tell_backers(self) -> int:
        """The campaigns with expenses the backers have not heard of, whose last summary is a week old or more: one
        notification each to their backers (who promised), listing the new expenses and raised / spent / left."""
        now = self.clock()
        rows = await fetch('SELECT "campaign_id", MAX("told_at") FROM "expense" WHERE "campaign_id" IN '
                           '(SELECT "campaign_id" FROM "expense" WHERE "told_at" IS NULL AND "campaign_id" IS NOT NULL) '
                           'GROUP BY "campaign_id"', [])
        sent = 0
        for campaign_id, last in rows:
            if last is not None and now - _aware(last, now) < WEEK:
                continue
            campaign = await Campaign.get_or_none(id=campaign_id)
            if campaign is None:
                continue
            new = await Expense.filter(campaign_id=campaign.id, told_at__isnull=True).order_by("spent_on", "id")
            claimed = await Expense.filter(id__in=[e.id for e in new], told_at__isnull=True).update(told_at=now)
            if claimed != len(new):  # another tick took some of them: it tells them
                continue
            project = await Project.get(id=campaign.project_id)
            community = await Community.get(id=project.community_id)
            backers = await self.pledges.backers_of(campaign)
            spending = await self.of(campaign, limit=None)
            build = summary(project, campaign, new, spending)
            sent += await self.notifier.enqueue(backers, f"expenses:{campaign.id}:{now:%Y%m%d%H%M}", "campaign", build,
                                                community.id, default_locale=community.locale)
        if sent:
            self.notifier.wake()
            log.info("expenses told to backers", extra={"sent": sent})
        return sent


def _aware(value: datetime | str, now: datetime) -> datetime:
    """A stored time as an aware datetime (SQLite's raw rows give text)."""
    found = datetime.fromisoformat(value) if isinstance(value, str) else value
    return found if found.tzinfo is not None or now.tzinfo is None else found.replace(tzinfo=now.tzinfo)


def summary(project: Project, campaign: Campaign, new: list[Expense], spending: Spending) -> Callable[[Translator], Reply]:
    def build(t: Translator) -> Reply:
        reply = Reply().para("🧾 ", t.n("{project}: {count} new expense.", "{project}: {count} new expenses.", len(new),
                                        project=project.title))
        for expense in new:
            reply.para("• ", expense_line(t, expense, campaign.currency))
        reply.para(balance(t, campaign, spending.spent))
        return reply.choice(t(N_("See the campaign")), f"campaign {project.slug}")
    return build


def expense_line(t: Translator, expense: Expense, currency: str) -> str:
    return t(N_("{day}: {amount}, {text}"), day=t.date(expense.spent_on, "d MMM y"), amount=money(expense.amount, currency, t.locale),
             text=expense.text)


def balance(t: Translator, campaign: Campaign, spent: int) -> str:
    left = campaign.raised - spent
    return t(N_("Raised {raised}, spent {spent}, left {left}."), raised=money(campaign.raised, campaign.currency, t.locale),
             spent=money(spent, campaign.currency, t.locale),
             left=("−" + money(-left, campaign.currency, t.locale)) if left < 0 else money(left, campaign.currency, t.locale))


def money_lines(t: Translator, campaign: Campaign, link: CampaignLink | None, spending: Spending, now: datetime) -> Reply:
    """Under a campaign: where its amount comes from and when it was read, then raised / spent / left and the expenses."""
    from bot.services.money_sync import PLATFORMS

    reply = Reply()
    if link is not None:
        platform = PLATFORMS.get(link.platform, link.platform)
        if link.error == "gone":
            reply.para("⚠️ ", t(N_("The amount was read on {platform}, where the form is no longer found: it stays as last read."),
                               platform=platform))
        elif link.read_at is None:
            reply.para("🔗 ", t(N_("The amount will be read on {platform} within a few minutes."), platform=platform))
        else:
            reply.para("🔗 ", t(N_("Amount read on {platform} {ago}."), platform=platform, ago=t.ago(now - _aware(link.read_at, now))))
        if link.error in ("failed", "limited", "unauthorized") and link.read_at is not None:
            reply.para(t(N_("The last read failed: it is tried again later.")))
    if spending.count:
        reply.para(bold(t(N_("Use of funds"))), " — ", balance(t, campaign, spending.spent))
        for expense in spending.expenses:
            reply.para("• ", expense_line(t, expense, campaign.currency))
        if spending.count > len(spending.expenses):
            reply.para(t.n("… and {count} more.", "… and {count} more.", spending.count - len(spending.expenses)))
    return reply
