"""email add/remove, subscribe/unsubscribe, list create: a person's addresses and a community's mailing list."""

from __future__ import annotations

from bot.core.commands import Arg, command
from bot.core.errors import UserError
from bot.core.i18n import N_
from bot.core.replies import Reply, code
from bot.runtime.context import Context
from models import Community, Role

SECTION = N_("Email")
ADDRESS = Arg("address", "word", N_("address"))
COMMUNITY = Arg("community", "community", N_("community"), required=False)


@command("email add", fr=("email ajouter", "courriel ajouter", "mail ajouter"), args=(ADDRESS,),
         help=N_("Receive Relais' mail at an address (after you confirm it): /email add you@example.org."), section=SECTION)
async def email_add(ctx: Context, address: str) -> Reply:
    t = ctx.t
    account, sent = await ctx.services.email.add(ctx.person, address)
    if sent:
        reply = Reply().para(t(N_("I sent a confirmation mail to {address}. Reply to it or open its link; "
                                  "until then Relais sends nothing else there."), address=account.address))
    else:
        reply = Reply().para(t(N_("A confirmation mail went to {address} less than an hour ago: answer that one."),
                               address=account.address))
    return reply.choice(t(N_("Undo")), f"email remove {account.address}")


@command("email remove", fr=("email retirer", "courriel retirer", "mail retirer"), args=(ADDRESS,),
         help=N_("Stop using one of your addresses."), section=SECTION)
async def email_remove(ctx: Context, address: str) -> Reply:
    removed = await ctx.services.email.remove(ctx.person, ctx.account, address)
    return Reply().para(ctx.t(N_("{address} is no longer one of your addresses."), address=removed))


async def _community(ctx: Context, community: Community | None) -> Community:
    return community if community is not None else ctx.need_community()


@command("subscribe", fr=("abonner", "sabonner", "inscrire"), args=(COMMUNITY,),
         help=N_("Follow a community from afar, as an observer, with its mailing list if it has one."), section=SECTION)
async def subscribe(ctx: Context, community: Community | None) -> Reply:
    t = ctx.t
    community = await _community(ctx, community)
    # Did this very message make the person a member (the dispatcher joins first-time writers)?
    joined_now = (ctx.membership is not None and ctx.community is not None and ctx.community.id == community.id
                  and ctx.membership.joined_at >= ctx.incoming.received_at)
    membership, mlist, address = await ctx.services.lists.subscribe(ctx.person, community, joined_now)
    reply = Reply()
    if membership.role == Role.OBSERVER:
        reply.para(t(N_("You now follow {community} as an observer."), community=community.name))
    else:
        reply.para(t(N_("You are already in {community}."), community=community.name))
    if mlist is not None and address:
        reply.para(t(N_("Its list {list} will write to {address}."), list=mlist.address, address=address))
    elif mlist is not None:
        reply.para(t(N_("To receive its list {list}, add an address:"), list=mlist.address), " ", code("/email add you@example.org"))
    reply.choice(t(N_("See the projects")), "projects")
    return reply.choice(t(N_("Undo")), f"unsubscribe {community.slug}")


@command("unsubscribe", fr=("désabonner", "désinscrire"), args=(COMMUNITY,),
         help=N_("Stop a community's mailing list; an observer also leaves the community."), section=SECTION)
async def unsubscribe(ctx: Context, community: Community | None) -> Reply:
    t = ctx.t
    community = await _community(ctx, community)
    was, left = await ctx.services.lists.unsubscribe(ctx.person, community)
    if left:
        return Reply().para(t(N_("You no longer follow {community}."), community=community.name)).choice(
            t(N_("Undo")), f"subscribe {community.slug}")
    if was:
        return Reply().para(t(N_("You will no longer receive the list of {community}."), community=community.name))
    return Reply().para(t(N_("You were not subscribed to {community}."), community=community.name))


@command("list create", fr=("liste créer", "liste ajouter"), args=(Arg("name", "word", N_("name"), required=False),),
         help=N_("Create the community's discussion list on Mailman; Relais posts the news and next steps there."),
         section=SECTION, role=Role.FACILITATOR, group=False)
async def list_create(ctx: Context, name: str | None) -> Reply:
    t = ctx.t
    community = ctx.need_community()
    domain = await ctx.services.lists.domain()
    if domain is None:
        raise UserError(N_("Mailing lists are not set up on this Relais (no Mailman server configured)."))
    mlist = await ctx.services.lists.request(community, ctx.person, name or community.slug, domain)
    return Reply().para(t(N_("Creating the list {address} for {community}; I will tell you when it is ready."),
                          address=mlist.address, community=community.name))
