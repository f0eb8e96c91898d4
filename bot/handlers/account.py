"""me, lang, join, leave, use: a person's own settings and communities."""

from __future__ import annotations

from bot.core.commands import Arg, command
from bot.core.errors import UserError
from bot.core.i18n import N_
from bot.core.replies import Reply, bold
from bot.handlers.invitations import join_invited
from bot.runtime.context import Context
from models import Community

SECTION = N_("You")
LANGS = {"fr": "fr", "francais": "fr", "en": "en", "english": "en", "anglais": "en"}


@command("me", fr=("moi",), help=N_("What Relais knows about you: accounts, communities, roles, language."), section=SECTION)
async def me(ctx: Context) -> Reply:
    t = ctx.t
    accounts = await ctx.person.accounts.all().order_by("id")
    memberships = await ctx.services.people.communities_of(ctx.person)
    follows = await ctx.services.projects.following(ctx.person, None)
    reply = Reply().para(bold(ctx.person.display_name))
    reply.items([a.handle + ("" if a.reachable else " — " + t(N_("unreachable"))) for a in accounts], title=t(N_("Accounts")))
    if memberships:
        current = ctx.community.id if ctx.community else None
        reply.items([(bold(m.community.name), f" ({m.community.slug}) — ", t(m.role.label),
                      " ← " + t(N_("current")) if m.community_id == current else "") for m in memberships],
                    title=t(N_("Communities")))
    else:
        reply.para(t(N_("You are in no community yet.")))
    reply.para(t(N_("Language: {lang}"), lang=t.locale), " · ",
               t.n("you follow {count} project", "you follow {count} projects", len(follows)))
    zone = ctx.person.timezone or (ctx.community.timezone + " " + t(N_("(the community's)")) if ctx.community else "—")
    channel = await ctx.services.linking.channel(ctx.person)
    reply.para(t(N_("Time zone: {zone}"), zone=zone), " · ",
               t(N_("notifications go to {account}"), account=channel.handle if channel else "—"))
    return reply


@command("lang", fr=("langue",), en=("language",), args=(Arg("lang", "choice", N_("language"), choices=("fr", "en"), accept=tuple(LANGS)),),
         help=N_("Choose the language Relais speaks to you: fr or en."), section=SECTION)
async def lang(ctx: Context, lang: str) -> Reply:
    previous = ctx.person.locale or ctx.locale
    await ctx.services.people.set_locale(ctx.person, LANGS[lang])
    t = ctx.services.catalogs.get(LANGS[lang])
    return Reply().para(t(N_("From now on I speak English with you."))).choice(t(N_("Undo")), f"lang {previous}")


@command("join", fr=("rejoindre", "adhérer"), args=(Arg("community", "community", N_("community")),
                                                     Arg("code", "word", N_("invitation code"), required=False, max_length=20)),
         help=N_("Join a community (with the code of the invitation you got, if any); your direct messages then go to it."),
         section=SECTION)
async def join(ctx: Context, community: Community, code: str | None = None) -> Reply:
    t = ctx.t
    if code:  # invited: counted as coming through whoever invited (bot/handlers/invitations.py)
        return await join_invited(ctx, code, community)
    existing = await ctx.services.people.membership(ctx.person, community)
    joined = await ctx.services.people.join(ctx.person, community)
    await ctx.services.people.use(ctx.person, community)
    if joined.requested_at is not None:  # the community approves its members (membership approval)
        return (Reply().para(t(N_("Your request to join {community} goes to its facilitators. Until they approve it you can read "
                                  "everything, as an observer."), community=community.name))
                .choice(t(N_("See the projects")), "projects").choice(t(N_("Undo")), f"leave {community.slug} yes"))
    if existing:
        return Reply().para(t(N_("You are already a member of {community}; your direct messages now go to it."), community=community.name))
    return (Reply().para(t(N_("Welcome to {community}! Type /projects to see its projects."), community=community.name))
            .choice(t(N_("See the projects")), "projects").choice(t(N_("Undo")), f"leave {community.slug} yes"))


@command("leave", fr=("quitter",), args=(Arg("community", "community", N_("community")),
                                         Arg("confirm", "choice", N_("yes"), choices=("yes",), accept=("yes", "oui", "confirm"),
                                             words={"fr": ("oui",)}, required=False)),
         help=N_("Leave a community (you stop following its projects); you are asked to confirm."), section=SECTION)
async def leave(ctx: Context, community: Community, confirm: str | None) -> Reply:
    t = ctx.t
    membership = await ctx.services.people.membership(ctx.person, community)
    if membership is None:
        raise UserError(N_("You are not a member of {community}."), community=community.name)
    await ctx.services.people.keep_a_facilitator(ctx.person, community, None)
    if confirm is None:  # leaving takes the follows and the role away: asked once
        return (Reply().para(t(N_("Leave {community}? You will stop following its projects and lose your role there."),
                               community=community.name))
                .choice(t(N_("Yes, leave {community}"), community=community.name), f"leave {community.slug} yes")
                .choice(t(N_("No, stay")), "projects"))
    await ctx.services.projects.unfollow_community(ctx.person, community)
    await ctx.services.people.leave(ctx.person, membership)
    return Reply().para(t(N_("You left {community}."), community=community.name)).choice(t(N_("Undo")), f"join {community.slug}")


@command("use", fr=("utiliser", "choisir"), args=(Arg("community", "community", N_("community")),),
         help=N_("Pick the community your direct messages are about."), section=SECTION)
async def use(ctx: Context, community: Community) -> Reply:
    t = ctx.t
    if await ctx.services.people.membership(ctx.person, community) is None:
        raise UserError(N_("You are not a member of {community}. Type /join {slug} first."), community=community.name, slug=community.slug)
    await ctx.services.people.use(ctx.person, community)
    return Reply().para(t(N_("Your direct messages now go to {community}."), community=community.name))
