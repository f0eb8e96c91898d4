"""away, back: a person pauses the prompts to them (and hands the agenda to another facilitator) until a date."""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo

from tortoise.expressions import Q

from bot.core.commands import Arg, command
from bot.core.errors import UsageError, UserError
from bot.core.i18n import N_
from bot.core.replies import Reply
from bot.handlers.agenda import SECTION
from bot.runtime.context import Context
from bot.services.prompt_reading import read_date
from models import Membership, Person, Role


@command("away", fr=("absent", "absente"), args=(Arg("date", "text", N_("until <date>")),),
         help=N_("Pause the prompts to you until a date: /away until 15 january. The agenda goes to another facilitator meanwhile."),
         section=SECTION)
async def away(ctx: Context, date: str) -> Reply:
    t = ctx.t
    words = re.sub(r"^(?:until|till|jusqu['’]?(?:au|à|a)|au|le)\s+", "", date.strip(), flags=re.IGNORECASE)
    tz = ZoneInfo(ctx.community.timezone) if ctx.community else ZoneInfo("Europe/Paris")
    try:
        until, _ = read_date(words, ctx.now().astimezone(tz), ctx.locale)
    except UserError as exc:
        raise UsageError(exc.message, **(exc.params or {})) from None
    if until is None:
        raise UsageError(N_("Give the date you are back: /away until 15 january."))
    await ctx.services.prompts.set_away(ctx.person, until)
    reply = (Reply().para("🌴 ", t(N_("Noted: no prompts to you until {date}."), date=t.date(until)))
             .para(t(N_("Type /back when you are back earlier."))))
    await _nobody_stands_in(ctx, reply)
    return reply.choice(t(N_("Undo")), "back")


async def _nobody_stands_in(ctx: Context, reply: Reply) -> None:
    """A facilitator going away with no other one here: the agenda would wait for nobody; the prompts can go by themselves."""
    community = ctx.community
    if community is None or ctx.role is None or ctx.role < Role.FACILITATOR:
        return
    today = ctx.now().astimezone(ZoneInfo(community.timezone)).date()
    others = await Membership.filter(community_id=community.id, role__gte=Role.FACILITATOR).exclude(person_id=ctx.person.id) \
        .values_list("person_id", flat=True)
    if await Person.filter(id__in=list(others)).filter(Q(away_until__isnull=True) | Q(away_until__lt=today)).exists():
        return
    t = ctx.t
    reply.para("⚠️ ", t(N_("You are the only facilitator of {community} here: nobody stands in for the weekly agenda while you "
                          "are away."), community=community.name))
    if not (await ctx.services.agenda.settings(community.id)).auto_prompt:
        reply.para(t(N_("The agenda can prompt the referents by itself meanwhile; you get the summaries when you are back.")))
        reply.choice(t(N_("Let the agenda prompt by itself")), "prompt auto on")


@command("back", fr=("retour", "rentré", "rentrée"),
         help=N_("You are back: prompts and agendas come to you again."), section=SECTION)
async def back(ctx: Context) -> Reply:
    was = await ctx.services.prompts.set_away(ctx.person, None)
    if was is None:
        return Reply().para(ctx.t(N_("You were not away: nothing changes.")))
    return Reply().para("👋 ", ctx.t(N_("Welcome back: prompts and agendas come to you again.")))
