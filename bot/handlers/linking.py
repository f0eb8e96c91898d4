"""link, unlink, channel, timezone: one person across platforms, where their notifications go, their time zone."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from bot.core import platforms
from bot.core.commands import Arg, command, fold
from bot.core.errors import UsageError, UserError
from bot.core.i18n import N_
from bot.core.replies import Reply, bold
from bot.core.replies import code as mono
from bot.runtime.context import Context
from bot.services.linking import normalize_code
from bot.services.people import find_timezone
from models import Account

SECTION = N_("You")
DEFAULT_ZONE = ("default", "defaut", "community", "communaute", "reset", "aucun", "none")


@command("link", fr=("relier",), args=(Arg("code", "text", N_("code"), required=False, max_length=24),),
         help=N_("One person on several platforms: /link here gives a code; type /link <code> on your other account, or "
                 "send it in a mail to Relais, within 10 minutes."), section=SECTION, group=False)
async def link(ctx: Context, code: str | None) -> Reply:
    t = ctx.t
    if not ctx.incoming.direct:
        raise UserError(N_("Link your accounts in a direct chat with me or by mail, not here: the code must stay yours. "
                           "(To bind this group to a community, it is /bind <community>.)"))
    linking = ctx.services.linking
    if not code:
        shown = await linking.new_code(ctx.account)
        return (Reply().para("🔗 ", t(N_("Your code: ")), bold(shown))
                .para(t(N_("On your other account (another platform, or a mail to Relais), send “link {code}” within "
                           "10 minutes. It works once."), code=shown)))
    normalized = normalize_code(code)
    if normalized is None:
        raise UsageError(N_("A link code has 10 letters and digits, like K7QX-48Z9MT."))
    linked = await linking.use_code(ctx.account, normalized)
    handles = [a.handle for a in await Account.filter(person_id=linked.person.id).order_by("id")]
    if linked.already:
        return Reply().para(t(N_("This code is your own: you are already one person on {accounts}."), accounts=", ".join(handles)))
    channel = await linking.channel(linked.person)
    return (Reply().para("🔗 ", t(N_("Linked: you are one person on {accounts}."), accounts=", ".join(handles)))
            .para(t(N_("Your follows, communities and roles, ballots (one per poll), answers and settings are together now.")))
            .para(t(N_("Notifications go to {account}; /channel changes it."), account=channel.handle if channel else "—"))
            .choice(t(N_("Unlink this account")), f"unlink {ctx.account.handle}"))


@command("unlink", fr=("délier-compte",), args=(Arg("account", "word", N_("account")),),
         help=N_("Separate one of your accounts again (telegram:<id>, email:<address>…): it becomes a person of its own, "
                 "without your follows."), section=SECTION)
async def unlink(ctx: Context, account: str) -> Reply:
    t = ctx.t
    separated = await ctx.services.linking.unlink(ctx.person, account)
    return Reply().para(t(N_("{handle} is on its own now: a person of its own in the same communities, without your follows, "
                             "roles or settings."), handle=separated.handle))


@command("channel", fr=("canal",), args=(Arg("platform", "word", N_("platform"), required=False, max_length=64),),
         help=N_("Choose where your notifications go: one of the platforms of your accounts (/channel email); alone, say "
                 "where they go."), section=SECTION)
async def channel(ctx: Context, platform: str | None) -> Reply:
    t = ctx.t
    linking = ctx.services.linking
    current = await linking.channel(ctx.person)
    if platform is None:
        reply = Reply().para(t(N_("Your notifications go to {account}."), account=current.handle) if current else
                             t(N_("None of your accounts can receive notifications now.")))
        others = sorted({a.platform for a in await Account.filter(person_id=ctx.person.id)} - {current.platform if current else ""})
        for other in others:
            reply.choice(other, f"channel {other}")
        return reply
    meant = platforms.by_word(platform)  # the platforms are those of the registry (bot/core/platforms.py)
    if meant is None:
        raise UsageError(N_("“{value}” is not one of: {options}."), value=platform,
                         options=", ".join(p.name for p in platforms.linkable()))
    chosen = await linking.choose(ctx.person, meant.name)
    reply = Reply().para(t(N_("From now on your notifications go to {account}."), account=chosen.handle))
    if current is not None and current.platform != chosen.platform:
        reply.choice(t(N_("Undo")), f"channel {current.platform}")
    return reply


@command("timezone", fr=("fuseau",), en=("tz",), args=(Arg("zone", "word", N_("Area/City"), required=False, max_length=64),),
         help=N_("See dates in your own time zone: /timezone America/Montreal; /timezone default goes back to the "
                 "community's."), section=SECTION)
async def timezone(ctx: Context, zone: str | None) -> Reply:
    t = ctx.t
    people = ctx.services.people
    previous = ctx.person.timezone
    if zone is None:
        if previous:
            return Reply().para(t(N_("Dates are shown to you in {zone}."), zone=previous))
        shown = ctx.community.timezone if ctx.community else "Europe/Paris"
        return (Reply().para(t(N_("Dates are shown to you in your community's time zone, {zone}."), zone=shown))
                .para(t(N_("Choose yours with ")), mono("/timezone America/Montreal")))
    if fold(zone) in DEFAULT_ZONE:
        await people.set_timezone(ctx.person, None)
        reply = Reply().para(t(N_("Dates are shown to you in your community's time zone again.")))
    else:
        name = find_timezone(zone)
        await people.set_timezone(ctx.person, name)
        local = ctx.now().astimezone(ZoneInfo(name))
        reply = Reply().para(t(N_("Dates are now shown to you in {zone} (it is {time} there)."), zone=name,
                               time=local.strftime("%H:%M")))
    return reply.choice(t(N_("Undo")), f"timezone {previous or 'default'}")
