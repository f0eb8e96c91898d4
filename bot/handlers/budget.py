"""budget, budget ceiling|approvals|approve|refuse, request: the community's contributive micro-budget."""

from __future__ import annotations

from bot.core.commands import Arg, command
from bot.core.errors import UsageError, UserError
from bot.core.i18n import N_
from bot.core.numbers import read_number
from bot.core.replies import Reply
from bot.handlers.money import split_amount
from bot.runtime.context import Context
from bot.services.budget import MAX_APPROVALS, budget_reply
from bot.services.pledges import money, read_amount
from models import Community, Project, Role

SECTION = N_("Contributive budget")
PROJECT = Arg("project", "project", N_("project"))
NUMBER = Arg("number", "word", N_("number"), max_length=12)


def _staff_only(ctx: Context) -> Community:
    community = ctx.need_community()
    if ctx.role is None or ctx.role < Role.FACILITATOR:
        raise UserError(N_("Only a {role} of {community} can do that."), role=ctx.t(Role.FACILITATOR.label), community=community.name)
    return community


async def _shown(ctx: Context, community: Community) -> Reply:
    standing = await ctx.services.budgets.standing(community)
    if standing is None:
        return Reply().para(ctx.t(N_("{community} has no contributive budget: the facilitators open it with /budget <amount>."),
                                  community=community.name))
    return budget_reply(ctx.t, standing)


@command("budget", fr=("budget",), args=(Arg("amount", "text", N_("amount"), required=False),),
         help=N_("The community's contributive budget: what is in it, granted and left, and its ledger. Facilitators set its "
                 "amount: /budget 2 000 €."),
         section=SECTION, role=Role.OBSERVER)
async def budget(ctx: Context, amount: str | None) -> Reply:
    community = ctx.need_community()
    if not amount:
        return await _shown(ctx, community)
    _staff_only(ctx)
    await ctx.services.budgets.set_total(community, read_amount(amount), ctx.locale)
    return (Reply().para("✅ ", ctx.t(N_("The contributive budget of {community} is set."), community=community.name))
            .extend(await _shown(ctx, community)))


@command("budget ceiling", fr=("budget plafond",), args=(Arg("amount", "text", N_("amount")),),
         help=N_("The most one request on the budget may ask (300 € unless set): /budget ceiling 500 €."),
         section=SECTION, role=Role.FACILITATOR)
async def budget_ceiling(ctx: Context, amount: str) -> Reply:
    community = _staff_only(ctx)
    found = await ctx.services.budgets.set_rules(community, ceiling=read_amount(amount))
    return (Reply().para("✅ ", ctx.t(N_("One request may now ask up to {amount}."), amount=money(found.ceiling, found.currency, ctx.locale)))
            .extend(await _shown(ctx, community)))


@command("budget approvals", fr=("budget validations", "budget approbations"), args=(Arg("count", "word", N_("number"), max_length=12),),
         help=N_("How many facilitators approve a request on the budget before it is granted (1 unless set): /budget approvals 2."),
         section=SECTION, role=Role.FACILITATOR)
async def budget_approvals(ctx: Context, count: str) -> Reply:
    community = _staff_only(ctx)
    number = read_number(count, 1, MAX_APPROVALS)
    if number is None:
        raise UsageError(N_("Give a number of approvals between 1 and {max}."), max=MAX_APPROVALS)
    await ctx.services.budgets.set_rules(community, approvals=number)
    return (Reply().para("✅ ", ctx.t.n("A request is now granted after {count} approval.", "A request is now granted after {count} approvals.",
                                        number))
            .extend(await _shown(ctx, community)))


@command("request", fr=("demande",), args=(PROJECT, Arg("what", "text", N_("<amount> <reason>"))),
         help=N_("Ask the community's contributive budget for a small sum for your project; the facilitators approve or refuse it: "
                 "/request brasserie 120 € hop seedlings."),
         section=SECTION, role=Role.OBSERVER, referent_of="project")
async def request(ctx: Context, project: Project, what: str) -> Reply:
    t = ctx.t
    community = ctx.need_community()
    amount, reason = split_amount(what)
    budgets = ctx.services.budgets
    asked = await budgets.ask(community, project, ctx.person, amount, reason.strip(), t.locale)
    sent = await budgets.tell_facilitators(asked, community, ctx.person)
    found = await budgets.of(community)
    currency = found.currency if found else "EUR"
    return Reply().para("🪙 ", t(N_("Request {number} sent: {amount} for {project}, {reason}."), number=asked.number,
                                 amount=money(amount, currency, t.locale), project=project.title, reason=asked.reason),
                        " ", t.n("{count} facilitator decides.", "{count} facilitators decide.", sent))


async def _answer(ctx: Context, number: str, approve: bool) -> Reply:
    t = ctx.t
    community = _staff_only(ctx)
    value = read_number(number, 1, 10_000_000)
    if value is None:
        raise UsageError(N_("Give the request's number."))
    budgets = ctx.services.budgets
    found = await budgets.find(community, value)
    if found.person_id == ctx.person.id:
        raise UserError(N_("You asked for it: another facilitator decides."))
    done = await budgets.answer(found, ctx.person, approve)
    params = {"number": found.number, "project": found.title}
    if done.outcome == "already":
        raise UserError(N_("You answered request {number} already."), number=found.number)
    if done.outcome == "closed":
        raise UserError(N_("Request {number} is decided already ({status})."), number=found.number,
                        status=t(N_("approved")) if found.status == "approved" else t(N_("refused")))
    if done.outcome == "short":
        raise UserError(N_("What is left in the budget no longer covers request {number}: nothing is granted."), number=found.number)
    if done.outcome == "counted":
        budget = await budgets.of(community)
        needed = budget.approvals if budget else 1
        return Reply().para("👍 ", t(N_("Your approval of request {number} is counted: {count} of {needed}."), count=done.approvals,
                                     needed=needed, **params))
    await budgets.tell_asker(found, community)
    reply = Reply().para("✅ " if done.outcome == "approved" else "✖️ ",
                         t(N_("Request {number} approved: {project} gets it.") if done.outcome == "approved" else
                           N_("Request {number} refused."), **params))
    return reply.extend(await _shown(ctx, community))


@command("budget approve", fr=("budget approuver", "budget accepter"), args=(NUMBER,),
         help=N_("Approve a request on the contributive budget (each facilitator answers once)."), section=SECTION, role=Role.FACILITATOR)
async def budget_approve(ctx: Context, number: str) -> Reply:
    return await _answer(ctx, number, True)


@command("budget refuse", fr=("budget refuser",), args=(NUMBER,),
         help=N_("Refuse a request on the contributive budget (each facilitator answers once; a refusal closes it)."),
         section=SECTION, role=Role.FACILITATOR)
async def budget_refuse(ctx: Context, number: str) -> Reply:
    return await _answer(ctx, number, False)
