"""campaign, campaigns, campaign add|progress|close|repayment, pledge: a project's pledge campaign."""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo

from bot.core.commands import Arg, command, fold
from bot.core.dates import read_date
from bot.core.errors import UsageError, UserError
from bot.core.i18n import N_, Translator
from bot.core.numbers import read_number
from bot.core.parser import tokens
from bot.core.replies import Reply
from bot.handlers.money import campaign_money
from bot.handlers.votes import UNTIL
from bot.runtime.context import Context
from bot.services.pledges import JUMP, MILESTONES, campaign_reply, money, read_amount
from models import Campaign, CampaignKind, Project, Role
from models.pledges import KIND_WORDS

SECTION = N_("Campaigns")
PROJECT = Arg("project", "project", N_("project"))
_MARKED = re.compile(r"[€$£]|eur|[0-9][kKmM]$", re.IGNORECASE)
_URL = re.compile(r"^https?://|^[a-z][a-z0-9+.-]*://", re.IGNORECASE)


def _today(ctx: Context):
    community = ctx.need_community()
    return ctx.now().astimezone(ZoneInfo(community.timezone)).date()


async def _running(ctx: Context, project: Project) -> Campaign:
    found = await ctx.services.pledges.running(project)
    if found is None:
        raise UserError(N_("{project} has no running campaign."), project=project.title)
    return found


async def _show(ctx: Context, campaign: Campaign, project: Project) -> Reply:
    pledges = ctx.services.pledges
    standing = await pledges.standing(campaign, project)
    mine = await pledges.my_promise(campaign, ctx.person)
    reply = campaign_reply(ctx.t, standing, _today(ctx), link=pledges.link_for(campaign, ctx.person), mine=mine)
    return reply.extend(await campaign_money(ctx, campaign))  # where the amount comes from, the use of funds


@command("campaign", fr=("campagne",), args=(PROJECT,),
         help=N_("A project's pledge campaign: its progress, the days left, and your own link to support it."),
         section=SECTION, role=Role.OBSERVER, reads=True)
async def campaign(ctx: Context, project: Project) -> Reply:
    found = await ctx.services.pledges.running(project) or await ctx.services.pledges.latest(project)
    if found is None:
        reply = Reply().para(ctx.t(N_("{project} has no campaign."), project=project.title))
        if ctx.role is not None and ctx.role >= Role.REFERENT:
            name = ctx.registry.get("campaign add").localized_name(ctx.locale)  # type: ignore[union-attr]
            reply.choice(ctx.t(N_("Help on {command}"), command=name), "help campaign add")
        return reply
    reply = await _show(ctx, found, project)
    if found.closed_at is None:
        reply.choice(ctx.t(N_("Promise an amount")), "help pledge")
    return reply


@command("campaigns", fr=("campagnes",), help=N_("The community's running campaigns."), section=SECTION, role=Role.OBSERVER)
async def campaigns(ctx: Context) -> Reply:
    t = ctx.t
    community = ctx.need_community()
    running = await ctx.services.pledges.running_in(community)
    if not running:
        return Reply().para(t(N_("No running campaign in {community}."), community=community.name))
    reply = Reply().para(t(N_("Running campaigns of {community}:"), community=community.name))
    for found, project in running:
        reply.extend(await _show(ctx, found, project))
    for _, project in running[:8]:
        reply.choice(t(N_("Support {project}"), project=project.title), f"pledge {project.slug}")
    return reply


@command("campaign add", fr=("campagne ajouter", "campagne créer"),
         args=(PROJECT, Arg("spec", "text", N_("<donation|reward|loan|equity> <goal> <url> [terms] [until <date>]"))),
         help=N_("Start a project's campaign on the platform it chose: /campaign add brasserie donation 12000 "
                 "https://www.helloasso.com/… until 31 january. For a loan, the terms after the address: "
                 "“2 % over 5 years”."),
         section=SECTION, role=Role.OBSERVER, referent_of="project")
async def campaign_add(ctx: Context, project: Project, spec: str) -> Reply:
    t = ctx.t
    words = [w for w, _ in tokens(spec)]
    if not words or fold(words[0]) not in {fold(k) for k in KIND_WORDS}:
        raise UsageError(N_("Say what kind of campaign: donation, reward, loan or equity."))
    kind = next(v for k, v in KIND_WORDS.items() if fold(k) == fold(words[0]))
    at = next((i for i, w in enumerate(words) if _URL.match(w)), None)
    if at is None:
        raise UsageError(N_("Give the campaign page's address (https://…)."))
    goal = read_amount(" ".join(words[1:at])) if at > 1 else None
    if goal is None:
        raise UsageError(N_("Give the goal before the address: 12 000 €, 12,000 or 12k."))
    rest = words[at + 1:]
    cut = next((i for i, w in enumerate(rest) if fold(w) in UNTIL), None)
    until = None
    if cut is not None:
        until = read_date(" ".join(rest[cut + 1:]), ctx.now().astimezone(ZoneInfo(ctx.need_community().timezone)), ctx.locale)
        rest = rest[:cut]
    created = await ctx.services.pledges.create(project, ctx.person, kind, goal, words[at], until, " ".join(rest), _today(ctx))
    reply = Reply().para("✅ ", t(N_("Campaign started for {project}: {goal} to raise."), project=project.title,
                                 goal=money(goal, created.currency, t.locale)))
    reply.extend(await _show(ctx, created, project))
    reply.para(t(N_("Members get their own link with /pledge {project}; record the amount raised with "
                    "/campaign progress {project} <amount> [backers]."), project=project.slug))
    return reply.choice(t(N_("Close the campaign")), f"campaign close {project.slug}")


@command("campaign progress", fr=("campagne avance", "campagne progrès"),
         args=(PROJECT, Arg("amount", "text", N_("<amount> [backers]"))),
         help=N_("Record the amount raised so far, and after its currency the number of backers: /campaign progress brasserie 4 800 € 37."),
         section=SECTION, role=Role.OBSERVER, referent_of="project")
async def campaign_progress(ctx: Context, project: Project, amount: str) -> Reply:
    found = await _running(ctx, project)
    if await ctx.services.money.link_of(found) is not None:  # the platform's figure would overwrite a typed one
        raise UserError(N_("The amount of {project} is read on its platform: /campaign unlink {slug} to type it instead."),
                        project=project.title, slug=project.slug)
    words = amount.split()
    confirmed = bool(words) and fold(words[-1]) in CONFIRM_WORDS  # the answer to the check below
    if confirmed:
        words.pop()
    backers = None
    # The backers come after the amount's currency or suffix (`4 800 € 37`, `4.8k 37`): `4 800` alone is an amount.
    if len(words) > 1 and read_number(words[-1], 0, 10_000_000) is not None and _MARKED.search(words[-2]):
        backers = read_number(words.pop(), 0, 10_000_000)
    try:
        raised = read_amount(" ".join(words))
    except UserError:
        if len(words) > 1 and read_number(words[-1], 0, 10_000_000) is not None:  # `4800 30`: the backers unmarked
            raise UserError(N_("“{value}” is not an amount. For an amount and its backers, put the currency between them: "
                               "/campaign progress {project} 4 800 € 30."), value=" ".join(words)[:40], project=project.slug) from None
        raise
    if not confirmed and (jump := _jump(found, raised)):
        return _check(ctx, project, found, raised, backers, amount, jump)
    community = ctx.need_community()
    crossed = await ctx.services.pledges.progress(found, project, community, raised, backers,
                                                 ctx.services.catalogs.get(community.locale))
    reply = Reply().para("✅ ", ctx.t(N_("Recorded for {project}."), project=project.title))
    reply.extend(await _show(ctx, found, project))
    if crossed:
        reply.para(ctx.t(N_("{percent} % reached: posted as news to the followers."), percent=max(crossed)))
    return reply


CONFIRM_WORDS = ("confirm", "confirmer", "yes", "oui")


def _jump(campaign: Campaign, raised: int) -> str:
    """What makes an update worth a second look before it goes out as news: two milestones crossed at once, or far
    beyond the goal (a typo such as an extra zero)."""
    if not campaign.goal:
        return ""
    percent = raised * 100 // campaign.goal
    crossed = [m for m in MILESTONES if campaign.milestone < m <= percent]
    if percent > JUMP:
        return "beyond"
    return "milestones" if len(crossed) >= 2 else ""


def _check(ctx: Context, project: Project, campaign: Campaign, raised: int, backers: int | None, typed: str,
           jump: str) -> Reply:
    t = ctx.t
    percent = raised * 100 // campaign.goal
    amount = money(raised, campaign.currency, t.locale)
    what = (t(N_("{amount} is {percent} % of the goal ({goal}), far beyond it."), amount=amount, percent=percent,
              goal=money(campaign.goal, campaign.currency, t.locale)) if jump == "beyond" else
            t(N_("{amount} takes the campaign from {before} % to {percent} % of its goal at once: each milestone crossed goes "
                 "out as news to the followers."), amount=amount, before=campaign.raised * 100 // campaign.goal, percent=percent))
    reply = Reply().para("⚠️ ", what)
    if backers is not None:
        reply.para(t.n("With {count} backer.", "With {count} backers.", backers))
    reply.para(t(N_("Is it right? Nothing is recorded or published until you say so.")))
    return (reply.choice(t(N_("Yes, record it")), f"campaign progress {project.slug} {typed} confirm")
            .choice(t(N_("No, I will type it again")), f"campaign {project.slug}"))


def thanks(project: Project, campaign: Campaign):
    def build(t: Translator) -> Reply:
        return (Reply().para("🙏 ", t(N_("Thank you for supporting {project}!"), project=project.title))
                .para(t(N_("The campaign is closed: {raised} raised of {goal}. You will keep receiving the project's news."),
                        raised=money(campaign.raised, campaign.currency, t.locale), goal=money(campaign.goal, campaign.currency, t.locale)))
                .choice(t(N_("See the project")), f"project {project.slug}")
                .choice(t(N_("Stop following")), f"unfollow {project.slug}"))
    return build


@command("campaign close", fr=("campagne clore", "campagne fermer"), args=(PROJECT,),
         help=N_("Close the campaign: its backers are thanked once and keep receiving the project's news."),
         section=SECTION, role=Role.OBSERVER, referent_of="project")
async def campaign_close(ctx: Context, project: Project) -> Reply:
    found = await _running(ctx, project)
    pledges = ctx.services.pledges
    if not await pledges.close(found, project):
        raise UserError(N_("This campaign is closed."))
    sent = await pledges.thank(found, project, ctx.need_community(), thanks(project, found))
    reply = Reply().para("🏁 ", ctx.t(N_("The campaign of {project} is closed."), project=project.title))
    reply.extend(campaign_reply(ctx.t, await pledges.standing(found, project), _today(ctx)))
    reply.para(ctx.t.n("{count} backer thanked.", "{count} backers thanked.", sent))
    if found.kind == CampaignKind.LOAN:
        reply.para(ctx.t(N_("Tell the lenders about repayments with /campaign repayment {project} <text>."), project=project.slug))
    return reply


@command("campaign repayment", fr=("campagne remboursement",), args=(PROJECT, Arg("text", "text", N_("text"))),
         help=N_("After a loan campaign: news of the repayments, posted to the project and sent to every backer."),
         section=SECTION, role=Role.OBSERVER, referent_of="project")
async def campaign_repayment(ctx: Context, project: Project, text: str) -> Reply:
    latest = await ctx.services.pledges.latest(project)
    if latest is None or latest.kind != CampaignKind.LOAN or latest.closed_at is None:
        raise UserError(N_("{project} has no closed loan campaign."), project=project.title)
    community = ctx.need_community()
    item, count = await ctx.services.projects.post_news(project, ctx.person, "💶 " + text, ctx.incoming.platform, community)
    backers = [p for p in await ctx.services.pledges.backers_of(latest)
               if p.id not in await ctx.services.projects.followers_of(project) and p.id != ctx.person.id]
    if backers:  # those who unfollowed since still hear of the repayment they are owed
        await ctx.services.notifier.enqueue(backers, f"news:{item.id}", "news",
                                            ctx.services.notifier.news_reply(project, "💶 " + text, ctx.person.display_name),
                                            community.id, default_locale=community.locale)
    return Reply().para(ctx.t(N_("Repayment news posted to {project}."), project=project.title), " ",
                        ctx.t.n("{count} backer notified.", "{count} backers notified.", count + len(backers)))


@command("pledge", fr=("soutenir",), args=(PROJECT, Arg("amount", "text", N_("amount"), required=False)),
         help=N_("Your own link to the project's campaign; with an amount, also a promise you can change "
                 "(/pledge brasserie 50 €) or withdraw (/pledge brasserie withdraw)."),
         section=SECTION, role=Role.OBSERVER)
async def pledge(ctx: Context, project: Project, amount: str | None) -> Reply:
    t = ctx.t
    pledges = ctx.services.pledges
    found = await pledges.running(project)
    if found is None:
        latest = await pledges.latest(project)
        raise UserError(N_("The campaign of {project} is closed.") if latest else N_("{project} has no running campaign."),
                        project=project.title)
    reply = Reply()
    if amount:
        if fold(amount.strip()) in ("withdraw", "retirer", "annuler", "cancel", "0"):
            was = await pledges.promise(found, ctx.person, None)
            reply.para(t(N_("Your promise is withdrawn.")) if was else t(N_("You had made no promise.")))
        else:
            cents = read_amount(amount)
            was = await pledges.promise(found, ctx.person, cents)
            said = money(cents, found.currency, t.locale)
            reply.para("🤝 ", t(N_("Promise changed to {amount}.") if was else N_("Promise recorded: {amount}."), amount=said))
            reply.para(t(N_("A promise is a commitment, not a payment: pay on the campaign's page with your link.")))
            reply.choice(t(N_("Withdraw my promise")), f"pledge {project.slug} withdraw")
    else:
        reply.para(t(N_("Your own link to support {project}:"), project=project.title))
    reply.extend(await _show(ctx, found, project))
    return reply

