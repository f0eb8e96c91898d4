"""pages on|off: a community's public pages and feeds."""

from __future__ import annotations

from bot.core.commands import Arg, command
from bot.core.i18n import N_
from bot.core.replies import LinkButton, Reply
from bot.handlers.digest import SWITCH, SWITCH_WORDS
from bot.runtime.context import Context
from models import Community, Role

SECTION = N_("Your community")


@command("pages", fr=("pages",),
         args=(Arg("switch", "choice", N_("on|off"), choices=SWITCH, accept=tuple(SWITCH_WORDS), words={"fr": ("oui", "non")},
                   required=False),),
         help=N_("The community's public pages and feeds (its projects, news, meetings and open polls, readable without "
                 "an account): on or off. Off by default."),
         section=SECTION, role=Role.FACILITATOR)
async def pages(ctx: Context, switch: str | None) -> Reply:
    t = ctx.t
    community = ctx.need_community()
    url = f"{ctx.services.public_url}/c/{community.slug}" if ctx.services.public_url else ""
    if switch is None:
        said = N_("The public pages of {community} are on.") if community.pages else N_("The public pages of {community} are off.")
        reply = Reply().para(t(said, community=community.name))
        if community.pages and url:
            reply.add(LinkButton(t(N_("Open the public page")), url))
        return reply.choice(t(N_("Turn them off")) if community.pages else t(N_("Turn them on")),
                            "pages off" if community.pages else "pages on")
    on = SWITCH_WORDS[switch]
    await Community.filter(id=community.id).update(pages=on)
    community.pages = on
    ctx.services.people.changed()
    if not on:
        return (Reply().para(t(N_("The public pages of {community} are off: their addresses now answer “not found”."),
                               community=community.name))
                .choice(t(N_("Undo")), "pages on"))
    reply = Reply().para("🌐 ", t(N_("The public pages of {community} are on: its running projects, their news and next "
                                     "steps, campaigns, meetings and open public polls, readable without an account. Never "
                                     "shown: addresses, secret ballots, promises, private messages."), community=community.name))
    if url:
        reply.add(LinkButton(t(N_("Open the public page")), url))
    return reply.choice(t(N_("Undo")), "pages off")
