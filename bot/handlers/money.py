"""campaign link, campaign unlink, expense: a campaign's amount read from its platform, what the money paid for."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from bot.core.commands import Arg, command, fold
from bot.core.date_words import PAST
from bot.core.dates import Found, find_date
from bot.core.errors import UsageError, UserError
from bot.core.i18n import N_
from bot.core.replies import Reply
from bot.runtime.context import Context
from bot.services.expenses import balance, money_lines
from bot.services.loans import schedule_line
from bot.services.money_sync import PLATFORM_WORDS, PLATFORMS, read_ref
from bot.services.pledges import money, read_amount
from models import Campaign, Project, Role

SECTION = N_("Campaigns")
PROJECT = Arg("project", "project", N_("project"))
MAX_AMOUNT_WORDS = 4  # `1 234 567,50 €`


async def campaign_money(ctx: Context, campaign: Campaign) -> Reply:
    """The lines a campaign shows under its progress: the amount's source and when it was read, the use of funds, a loan's
    repayments."""
    link = await ctx.services.money.link_of(campaign)
    spending = await ctx.services.expenses.of(campaign)
    reply = money_lines(ctx.t, campaign, link, spending, ctx.now())
    schedule = await ctx.services.loans.of(campaign)
    if schedule is not None:  # a loan's repayments: « 4 / 24 instalments repaid »
        today = ctx.now().astimezone(ZoneInfo(ctx.need_community().timezone)).date()
        reply.extend(schedule_line(ctx.t, schedule, campaign.currency, today))
    return reply


@command("campaign link", fr=("campagne lier", "campagne relier"),
         args=(PROJECT, Arg("platform", "word", N_("helloasso|opencollective")), Arg("page", "text", N_("address"))),
         help=N_("Read the campaign's amount and backers on its platform every 30 minutes instead of typing them: "
                 "/campaign link brasserie helloasso https://www.helloasso.com/associations/…/collectes/… "
                 "or /campaign link brasserie opencollective https://opencollective.com/…"),
         section=SECTION, role=Role.OBSERVER, referent_of="project")
async def campaign_link(ctx: Context, project: Project, platform: str, page: str) -> Reply:
    found = await ctx.services.pledges.running(project)
    if found is None:
        raise UserError(N_("{project} has no running campaign."), project=project.title)
    name = PLATFORM_WORDS.get(fold(platform).replace(" ", ""))
    if name is None:
        raise UsageError(N_("Say which platform: helloasso or opencollective."))
    ref = read_ref(name, page)
    await ctx.services.money.link(found, name, ref)
    minutes = int(ctx.services.money.every.total_seconds() // 60)
    return (Reply().para("🔗 ", ctx.t(N_("The campaign of {project} is linked to {platform}: its amount and backers are read "
                                       "there within a few minutes, then every {minutes} minutes."),
                                     project=project.title, platform=PLATFORMS[name], minutes=minutes))
            .choice(ctx.t(N_("See the campaign")), f"campaign {project.slug}"))


@command("campaign unlink", fr=("campagne délier",), args=(PROJECT,),
         help=N_("Stop reading the campaign's amount on its platform (it is then typed with /campaign progress)."),
         section=SECTION, role=Role.OBSERVER, referent_of="project")
async def campaign_unlink(ctx: Context, project: Project) -> Reply:
    found = await ctx.services.pledges.running(project)
    if found is None or not await ctx.services.money.unlink(found):
        raise UserError(N_("The campaign of {project} is not linked to a platform."), project=project.title)
    return Reply().para(ctx.t(N_("The campaign of {project} is no longer read on its platform."), project=project.title))


def split_amount(text: str) -> tuple[int, str]:
    """The amount first (the strict reading: `1 200 € new tank` is 1 200 €, `120 3 bags` is 120 € and « 3 bags »), then
    the words."""
    words = text.split()
    for size in range(min(MAX_AMOUNT_WORDS, len(words)), 0, -1):
        try:
            amount = read_amount(" ".join(words[:size]))
        except UserError:
            continue
        if size == len(words):
            raise UsageError(N_("Say what the money paid for, after the amount."))
        return amount, " ".join(words[size:])
    if words:
        read_amount(words[0])  # says why the amount is not one
    raise UsageError(N_("Give the amount, then what it paid for."))


def _past_day(found: Found) -> date:
    """The day of an expense: dates are read as due dates (from today on), but an expense was paid before; a day just
    behind (« 3 novembre ») is the one meant."""
    if found.problem is not None and found.problem.message == PAST:
        return date.fromisoformat(found.problem.params["when"])
    return found.due()


@command("expense", fr=("dépense",), args=(PROJECT, Arg("what", "text", N_("<amount> <what it paid for> [date]"))),
         help=N_("Record what the project's money paid for, shown under its campaign and on its public page, and told to "
                 "its backers once a week: /expense brasserie 1 200 € stainless tank 3 november."),
         section=SECTION, role=Role.OBSERVER, referent_of="project")
async def expense(ctx: Context, project: Project, what: str) -> Reply:
    t = ctx.t
    amount, text = split_amount(what)
    community = ctx.need_community()
    now = ctx.now().astimezone(ZoneInfo(community.timezone))
    day = now.date()
    found = find_date(text, now, ctx.locale)
    if found is not None:
        day, text = _past_day(found), found.rest
    if not text.strip():
        raise UsageError(N_("Say what the money paid for, after the amount."))
    recorded, campaign = await ctx.services.expenses.record(project, ctx.person, amount, text.strip(), day, now.date())
    spending = await ctx.services.expenses.of(campaign)
    return (Reply().para("🧾 ", t(N_("Expense recorded for {project}: {amount}, {text} ({day})."), project=project.title,
                                 amount=money(amount, campaign.currency, t.locale), text=recorded.text,
                                 day=t.date(recorded.spent_on, "d MMM y")))
            .para(balance(t, campaign, spending.spent))
            .para(t(N_("Its backers hear of it in their weekly summary of expenses.")))
            .choice(t(N_("See the campaign")), f"campaign {project.slug}"))
