"""membership approval, member accept|refuse: a community that lets its facilitators approve newcomers (who read as
observers until then, and vote in the polls opened once they are members)."""

from __future__ import annotations

from datetime import datetime

from bot.core.commands import Arg, command
from bot.core.errors import UserError
from bot.core.i18n import N_, Translator
from bot.core.replies import Reply, bold
from bot.handlers.digest import SWITCH, SWITCH_WORDS
from bot.runtime.context import Context
from models import Account, Community, Person, Role

SECTION = N_("Your community")
PERSON = Arg("person", "person", N_("person"))


@command("membership approval", fr=("adhésion sur validation", "adhésion validation"),
         args=(Arg("switch", "choice", N_("on|off"), choices=SWITCH, accept=tuple(SWITCH_WORDS), words={"fr": ("oui", "non")},
                   required=False),),
         help=N_("Whether newcomers wait for a facilitator's approval (on) or are members at once (off, the default). "
                 "Waiting, they read as observers and do not vote; their requests are in the agenda."),
         section=SECTION, role=Role.FACILITATOR)
async def membership_approval(ctx: Context, switch: str | None) -> Reply:
    t = ctx.t
    community = ctx.need_community()
    people = ctx.services.people
    if switch is not None:
        on = SWITCH_WORDS[switch]
        await people.set_approval(community, on)
        said = (N_("Newcomers to {community} now wait for a facilitator's approval: until then they read as observers "
                   "and do not vote.") if on else N_("Whoever joins {community} is now a member at once."))
        reply = Reply().para(t(said, community=community.name)).choice(t(N_("Undo")), f"membership approval {'off' if on else 'on'}")
    else:
        said = N_("Newcomers to {community} wait for a facilitator's approval.") if community.member_approval else \
            N_("Whoever joins {community} is a member at once.")
        reply = Reply().para(t(said, community=community.name))
    await add_requests(ctx, reply, community)
    return reply


@command("member accept", fr=("membre accepter", "membre valider"), args=(PERSON,),
         help=N_("Accept a newcomer waiting for approval: they become a member."), section=SECTION, role=Role.FACILITATOR)
async def member_accept(ctx: Context, person: Person) -> Reply:
    t = ctx.t
    community = ctx.need_community()
    if not await ctx.services.people.approve(community, person):
        raise UserError(N_("{name} is not waiting for approval in {community}."), name=person.display_name, community=community.name)
    await _tell(ctx, person, community, N_("Welcome: your membership of {community} is approved. You vote in its polls from now "
                                           "on."), "accepted")
    return Reply().para("✅ ", t(N_("{name} is now a member of {community}."), name=person.display_name, community=community.name))


@command("member refuse", fr=("membre refuser",), args=(PERSON,),
         help=N_("Refuse a newcomer's request to join: they are no longer in the community."), section=SECTION,
         role=Role.FACILITATOR)
async def member_refuse(ctx: Context, person: Person) -> Reply:
    t = ctx.t
    community = ctx.need_community()
    if not await ctx.services.people.refuse(community, person):
        raise UserError(N_("{name} is not waiting for approval in {community}."), name=person.display_name, community=community.name)
    await ctx.services.projects.unfollow_community(person, community)
    await _tell(ctx, person, community, N_("Your request to join {community} was not accepted."), "refused")
    return Reply().para(t(N_("{name}'s request to join {community} is refused."), name=person.display_name, community=community.name))


async def _tell(ctx: Context, person: Person, community: Community, message: str, what: str) -> None:
    """The newcomer hears of the answer, wherever they are reached."""
    at = int(ctx.now().timestamp())
    await ctx.services.notifier.enqueue([person], f"membership:{community.id}:{what}:{at}", "membership",
                                        lambda t: Reply().para(t(message, community=community.name)), community.id,
                                        default_locale=community.locale)
    ctx.services.notifier.wake()


async def add_requests(ctx: Context, reply: Reply, community: Community) -> None:
    """The requests waiting for approval, each with its accept and refuse choices (the agenda shows them too)."""
    waiting = await ctx.services.people.requests(community)
    if not waiting:
        return
    t, now = ctx.t, ctx.now()
    rows = [(bold(person.display_name), " — ", _since(t, m.requested_at, now)) for person, m in waiting]
    reply.items(rows, title=t(N_("Waiting for approval:")))
    for person, _ in waiting[:5]:
        handle = await _handle(person)
        reply.choice(t(N_("Accept {name}"), name=person.display_name), f"member accept {handle}")
        reply.choice(t(N_("Refuse {name}"), name=person.display_name), f"member refuse {handle}")


def _since(t: Translator, at: datetime | None, now: datetime) -> str:
    return t(N_("asked {when}"), when=t.ago(now - at)) if at else ""


async def _handle(person: Person) -> str:
    account = await Account.filter(person_id=person.id).order_by("id").first()
    return account.handle if account else person.display_name

