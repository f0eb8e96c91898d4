"""digest separate|combined, digest all on|off: the digests of a person in several communities, in one mail or apart."""

from __future__ import annotations

from bot.core.commands import Arg, command
from bot.core.i18n import N_
from bot.core.replies import Reply
from bot.handlers.digest import SECTION, SWITCH, SWITCH_WORDS
from bot.runtime.context import Context
from models import Membership


@command("digest separate", fr=("lettre séparée", "résumé séparé"),
         help=N_("Get one digest mail per community instead of one mail for all your communities."), section=SECTION)
async def digest_separate(ctx: Context) -> Reply:
    t = ctx.t
    await ctx.services.digest.set_separate(ctx.person.id, True)
    return (Reply().para(t(N_("Your communities' digests will now come in separate mails, one per community.")))
            .choice(t(N_("Undo")), "digest combined"))


@command("digest combined", fr=("lettre groupée", "résumé groupé"),
         help=N_("Get one digest mail a week for all your communities (the default)."), section=SECTION)
async def digest_combined(ctx: Context) -> Reply:
    t = ctx.t
    await ctx.services.digest.set_separate(ctx.person.id, False)
    return (Reply().para(t(N_("Your communities' digests will now come in one mail a week, at the earliest of their times.")))
            .choice(t(N_("Undo")), "digest separate"))


@command("digest all", fr=("lettre toutes", "résumé tous"),
         args=(Arg("switch", "choice", N_("on|off"), choices=SWITCH, accept=tuple(SWITCH_WORDS)),),
         help=N_("Get (on) or stop (off) the weekly digest of every community you are in."), section=SECTION)
async def digest_all(ctx: Context, switch: str) -> Reply:
    t = ctx.t
    enabled = SWITCH_WORDS[switch]
    memberships = await Membership.filter(person_id=ctx.person.id).select_related("community").order_by("community_id")
    for membership in memberships:
        await ctx.services.digest.set_choice(ctx.person.id, membership.community_id, enabled)
    names = ", ".join(m.community.name for m in memberships)
    if not memberships:
        return Reply().para(t(N_("You are in no community yet.")))
    text = (N_("You will get the weekly digest of {communities}.") if enabled
            else N_("You will no longer get the weekly digest of {communities}."))
    return Reply().para(t(text, communities=names)).choice(t(N_("Undo")), f"digest all {'off' if enabled else 'on'}")
