"""campaign schedule, repaid: a loan campaign's monthly instalments and their confirmation by the referents."""

from __future__ import annotations

import re
from datetime import date
from zoneinfo import ZoneInfo

from bot.core.commands import Arg, command, fold
from bot.core.date_words import PAST
from bot.core.dates import read_date
from bot.core.errors import UsageError, UserError
from bot.core.i18n import N_
from bot.core.numbers import read_number
from bot.core.replies import Reply
from bot.runtime.context import Context
from bot.services.loans import MAX_INSTALMENTS, due_on, schedule_line
from bot.services.pledges import money, read_amount
from models import Project, Role

SECTION = N_("Campaigns")
PROJECT = Arg("project", "project", N_("project"))
# `250 € par mois pendant 24 mois à partir du 1er mars`, `250 per month for 24 months from 1 march` (either language).
_SPEC = re.compile(r"^(?P<amount>.+?)\s+(?:par\s+mois|per\s+month|a\s+month|/\s*mois|/\s*month)\s+(?:pendant|durant|sur|for|over)\s+"
                   r"(?P<count>\S+)\s+(?:mois|months?)\s+(?:(?:à|a)\s+partir\s+(?:du|de|d')|d[èe]s\s+le|from(?:\s+the)?|starting(?:\s+on)?)"
                   r"\s*(?P<when>.+)$", re.IGNORECASE)
UNDO_WORDS = ("undo", "annuler", "cancel", "défaire")


def _today(ctx: Context) -> date:
    return ctx.now().astimezone(ZoneInfo(ctx.need_community().timezone)).date()


def _start(ctx: Context, words: str) -> date:
    """The first instalment's day: read as the other dates are; a day just behind (the schedule began) is the one meant."""
    now = ctx.now().astimezone(ZoneInfo(ctx.need_community().timezone))
    try:
        return read_date(words, now, ctx.locale)
    except UserError as problem:
        if problem.message == PAST and "when" in problem.params:
            return date.fromisoformat(problem.params["when"])
        raise


@command("campaign schedule", fr=("campagne échéancier", "campagne echeancier"), en=("repayment schedule",),
         args=(PROJECT, Arg("spec", "text", N_("<amount> per month for <n> months from <date>"))),
         help=N_("A loan's repayments: monthly instalments the referents are reminded of 3 days before and confirm with /repaid: "
                 "/campaign schedule brasserie 250 € per month for 24 months from 1 march."),
         section=SECTION, role=Role.OBSERVER, referent_of="project")
async def campaign_schedule(ctx: Context, project: Project, spec: str) -> Reply:
    t = ctx.t
    found = _SPEC.match(spec.strip())
    if found is None:
        raise UsageError(N_("Say it as: <amount> per month for <n> months from <date>."))
    amount = read_amount(found["amount"])
    count = read_number(found["count"], 1, MAX_INSTALMENTS)
    if count is None:
        raise UserError(N_("Give between 1 and {max} monthly instalments."), max=MAX_INSTALMENTS)
    starts_on = _start(ctx, found["when"])
    loans = ctx.services.loans
    campaign = await loans.loan_of(project)
    schedule = await loans.plan(campaign, ctx.person, amount, count, starts_on, _today(ctx))
    last = due_on(starts_on, count - 1)
    return (Reply().para("📅 ", t(N_("Repayment schedule of {project}: {amount} a month from {first} to {last}; instalments: {count}."),
                                 project=project.title, count=count, amount=money(amount, campaign.currency, t.locale),
                                 first=t.date(starts_on, "d MMM y"), last=t.date(last, "d MMM y")))
            .para(t(N_("The referents are reminded 3 days before each instalment and confirm it with /repaid {slug}."), slug=project.slug))
            .extend(schedule_line(t, schedule, campaign.currency, _today(ctx)))
            .choice(t(N_("See the campaign")), f"campaign {project.slug}"))


@command("repaid", fr=("remboursé", "rembourse", "remboursée"), args=(PROJECT, Arg("undo", "word", N_("undo"), required=False)),
         help=N_("Confirm that the loan's next instalment is repaid to the lenders (/repaid brasserie undo takes the last one back)."),
         section=SECTION, role=Role.OBSERVER, referent_of="project")
async def repaid(ctx: Context, project: Project, undo: str | None) -> Reply:
    t = ctx.t
    loans = ctx.services.loans
    campaign = await loans.loan_of(project)
    schedule = await loans.of(campaign)
    if schedule is None:
        raise UserError(N_("{project} has no repayment schedule: set it with /campaign schedule {slug}."), project=project.title,
                        slug=project.slug)
    if undo is not None:
        if fold(undo) not in {fold(w) for w in UNDO_WORDS}:
            raise UsageError(N_("After the project, only “undo” may follow."))
        if not await loans.undo(schedule):
            raise UserError(N_("No instalment of {project} is confirmed yet."), project=project.title)
        return (Reply().para("↩️ ", t(N_("Instalment {number} of {project} is no longer confirmed."), number=schedule.paid + 1,
                                     project=project.title))
                .extend(schedule_line(t, schedule, campaign.currency, _today(ctx))))
    if not await loans.confirm(schedule):
        raise UserError(N_("Every instalment of {project} is confirmed already."), project=project.title)
    reply = Reply().para("✅ ", t(N_("Instalment {number} of {project} confirmed as repaid ({amount}, due {date})."), number=schedule.paid,
                                 project=project.title, amount=money(schedule.amount, campaign.currency, t.locale),
                                 date=t.date(due_on(schedule.starts_on, schedule.paid - 1), "d MMM y")))
    reply.extend(schedule_line(t, schedule, campaign.currency, _today(ctx)))
    if schedule.paid == schedule.count:
        reply.para("🎉 ", t(N_("The loan is fully repaid.")))
    return reply.choice(t(N_("Undo")), f"repaid {project.slug} undo")
