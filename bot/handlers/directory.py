"""communities, community place|cause, directory on|off: the communities of this instance that chose to be listed,
with their place and cause, and how to join them."""

from __future__ import annotations

from bot.core.commands import Arg, command
from bot.core.i18n import N_
from bot.core.replies import Reply, bold, italic
from bot.handlers.digest import SWITCH, SWITCH_WORDS
from bot.runtime.context import Context
from models import Role

SECTION = N_("Your community")


@command("communities", fr=("communautés", "communautes"),
         help=N_("The communities of this Relais that are listed, with their place, cause, members and projects, and how to "
                 "join them."), section=N_("You"))
async def communities(ctx: Context) -> Reply:
    t = ctx.t
    found = await ctx.services.directory.listed()
    if not found:
        return Reply().para(t(N_("No community is listed here yet: ask a facilitator for the name of theirs, then /join <name>.")))
    rows = []
    for c in found:
        row: list = [bold(c.name), f" ({c.slug})"]
        if c.place:
            row += [" — ", c.place]
        if c.cause:
            row += [" — ", italic(c.cause)]
        row += [" · ", t.n("{count} member", "{count} members", c.members), ", ", t.n("{count} project", "{count} projects", c.projects)]
        if c.pages and ctx.services.public_url:
            row += [" · ", f"{ctx.services.public_url}/c/{c.slug}"]
        rows.append(tuple(row))
    reply = Reply().items(rows, title=t(N_("Communities of this Relais")))
    reply.para(t(N_("To join one: /join <name>, from any chat with Relais or by mail.")))
    for c in found[:8]:
        reply.choice(t(N_("Join {community}"), community=c.name)[:60], f"join {c.slug}")
    return reply


@command("community place", fr=("communauté lieu", "communaute lieu"), args=(Arg("text", "text", N_("place"), max_length=200),),
         help=N_("Where the community is (a town, a district, a region), for the directory."), section=SECTION,
         role=Role.FACILITATOR)
async def community_place(ctx: Context, text: str) -> Reply:
    t = ctx.t
    community = ctx.need_community()
    previous = await ctx.services.directory.set_place(community, text)
    reply = Reply().para(t(N_("The place of {community}: {place}."), community=community.name, place=" ".join(text.split())))
    return reply.choice(t(N_("Undo")), f"community place {previous}") if previous else reply


@command("community cause", fr=("communauté cause", "communaute cause"), args=(Arg("text", "text", N_("words"), max_length=300),),
         help=N_("What the community is about, in a few words (food, reuse, childcare…), for the directory."), section=SECTION,
         role=Role.FACILITATOR)
async def community_cause(ctx: Context, text: str) -> Reply:
    t = ctx.t
    community = ctx.need_community()
    previous = await ctx.services.directory.set_cause(community, text)
    reply = Reply().para(t(N_("The cause of {community}: {cause}."), community=community.name, cause=" ".join(text.split())))
    return reply.choice(t(N_("Undo")), f"community cause {previous}") if previous else reply


@command("directory", fr=("annuaire",),
         args=(Arg("switch", "choice", N_("on|off"), choices=SWITCH, accept=tuple(SWITCH_WORDS), words={"fr": ("oui", "non")},
                   required=False),),
         help=N_("Whether the community is listed in this Relais' directory (/communities, and the web endpoint's home when "
                 "it has public pages): on or off. Off by default."), section=SECTION, role=Role.FACILITATOR)
async def directory(ctx: Context, switch: str | None) -> Reply:
    t = ctx.t
    community = ctx.need_community()
    service = ctx.services.directory
    if switch is None:
        found = await service.profile(community)
        said = N_("{community} is listed in the directory.") if found.listed else N_("{community} is not listed in the directory.")
        reply = Reply().para(t(said, community=community.name))
        if not (found.place and found.cause):
            reply.para(t(N_("Give it a place and a cause: /community place <text>, /community cause <words>.")))
        return reply.choice(t(N_("Unlist it")) if found.listed else t(N_("List it")), "directory off" if found.listed else "directory on")
    on = SWITCH_WORDS[switch]
    previous = await service.set_listed(community, on)
    said = (N_("{community} is now listed: /communities shows it, with its place, cause, members and projects.") if on else
            N_("{community} is no longer listed in the directory."))
    return Reply().para(t(said, community=community.name)).choice(t(N_("Undo")), f"directory {'on' if previous else 'off'}")
