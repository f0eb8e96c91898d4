"""member polls on|off, poll hide|unhide, outcome, outcome reviewed: polls opened by members (the facilitators told, and
able to close or hide them), the reasons given with ballots, and what a closed poll decided."""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo

from bot.core.commands import Arg, command
from bot.core.dates import read_date
from bot.core.errors import UsageError, UserError
from bot.core.i18n import N_
from bot.core.replies import Reply, bold, italic
from bot.handlers.digest import SWITCH, SWITCH_WORDS
from bot.runtime.context import Context
from bot.services.votes_text import labels, ref
from models import Community, Role, VotePoll

SECTION = N_("Votes")
POLL = Arg("poll", "poll", N_("poll"), max_length=80)
# `outcome #3 Le local de Crest review 15 june`, `décision 3 On loue le local, à revoir le 15 juin`
_REVIEW = re.compile(r"[\s,;]+(?:à\s+|a\s+|to\s+)?(?:review|revoir|réexaminer|reexaminer)(?:\s+(?:on|le|au|en|in))?\s+(?P<when>.+)$",
                     re.IGNORECASE)


async def may_open_poll(ctx: Context, community: Community) -> bool:
    """Whether the person may open a poll: referents and facilitators always, members when the community lets them
    (`member polls on`). Returns True when it is a member's poll (the facilitators are then told); raises otherwise."""
    if ctx.role is not None and ctx.role >= Role.REFERENT:
        return False
    if ctx.role is not None and ctx.role >= Role.MEMBER and await ctx.services.member_polls.allowed(community):
        return True
    raise UserError(N_("Only a {role} of {community} can open a poll; its facilitators can let the members do it too "
                       "(/member polls on)."), role=ctx.t(Role.REFERENT.label), community=community.name)


async def add_reasons(ctx: Context, poll: VotePoll, reply: Reply) -> Reply:
    """The reasons voters gave (unless the poll is secret, or its results wait for the close), and its recorded outcome."""
    t = ctx.t
    service = ctx.services.member_polls
    if not (poll.hidden and poll.closed_at is None):
        names = labels(t, poll, ctx.zone(ctx.need_community()))
        rows = []
        for reason in await service.reasons(poll):
            chosen = reason.choice.get("yes", []) if isinstance(reason.choice, dict) else (reason.choice or [])
            said = ", ".join(names[n - 1] for n in chosen if 0 < n <= len(names))
            rows.append(("« ", reason.text, " » — ", reason.name or t(N_("a former member")), f" ({said})" if said else ""))
        if rows:
            reply.items(rows, title=t(N_("Why they voted so:")))
    outcome = await service.outcome(poll)
    if outcome is not None:
        reply.para("📌 ", t(N_("Decision: ")), bold(outcome.text),
                   " " + t(N_("(to review on {date})"), date=t.date(outcome.review_on)) if outcome.review_on else "")
    return reply


@command("member polls", fr=("sondages membres",),
         args=(Arg("switch", "choice", N_("on|off"), choices=SWITCH, accept=tuple(SWITCH_WORDS), words={"fr": ("oui", "non")},
                   required=False),),
         help=N_("Whether members may open polls (on), or only referents and facilitators (off, the default). The facilitators "
                 "are told of each member's poll and can close or hide it."), section=SECTION, role=Role.FACILITATOR)
async def member_polls(ctx: Context, switch: str | None) -> Reply:
    t = ctx.t
    community = ctx.need_community()
    if switch is None:
        on = await ctx.services.member_polls.allowed(community)
        said = N_("Members may open polls in {community}.") if on else N_("Only referents and facilitators open polls in {community}.")
        return Reply().para(t(said, community=community.name)).choice(t(N_("Turn it off")) if on else t(N_("Turn it on")),
                                                                      "member polls off" if on else "member polls on")
    on = SWITCH_WORDS[switch]
    previous = await ctx.services.directory.set_member_polls(community, on)
    said = (N_("Members may now open polls in {community}: you are told of each one, and can close or hide it.") if on else
            N_("Only referents and facilitators open polls in {community} now."))
    return Reply().para(t(said, community=community.name)).choice(t(N_("Undo")), f"member polls {'on' if previous else 'off'}")


@command("poll hide", fr=("sondage masquer",), args=(POLL,),
         help=N_("Hide a poll that should not be there: it is closed, without results, and shown nowhere any more."),
         section=SECTION, role=Role.FACILITATOR)
async def poll_hide(ctx: Context, poll: VotePoll) -> Reply:
    t = ctx.t
    community = ctx.need_community()  # the poll's: the role checked is the one there
    if ctx.role is None or ctx.role < Role.FACILITATOR:
        raise UserError(N_("Only a {role} of {community} can do that."), role=t(Role.FACILITATOR.label), community=community.name)
    if poll.closed_at is None:
        await ctx.services.votes.close(poll)
    if not await ctx.services.member_polls.hide(poll, ctx.person):
        return Reply().para(t(N_("Poll #{number} is hidden already."), number=poll.number))
    return (Reply().para(t(N_("Poll #{number} is closed and hidden: no list, page, digest or search shows it."), number=poll.number))
            .choice(t(N_("Undo")), f"poll unhide {ref(community.slug, poll)}"))


@command("poll unhide", fr=("sondage démasquer", "sondage demasquer"), args=(POLL,),
         help=N_("Show a hidden poll again (it stays closed)."), section=SECTION, role=Role.FACILITATOR)
async def poll_unhide(ctx: Context, poll: VotePoll) -> Reply:
    t = ctx.t
    community = ctx.need_community()
    if ctx.role is None or ctx.role < Role.FACILITATOR:
        raise UserError(N_("Only a {role} of {community} can do that."), role=t(Role.FACILITATOR.label), community=community.name)
    if not await ctx.services.member_polls.unhide(poll):
        raise UserError(N_("Poll #{number} is not hidden."), number=poll.number)
    return Reply().para(t(N_("Poll #{number} is shown again (closed)."), number=poll.number))


@command("outcome", fr=("décision", "decision"), args=(POLL, Arg("text", "text", N_("what was decided"), then=N_("[review <date>]"))),
         help=N_("Record what a closed poll decided, with a date to review it if you like (it comes back in the agenda): "
                 "/outcome #3 We rent the room in Crest review 15 june."), section=SECTION, role=Role.OBSERVER)
async def outcome(ctx: Context, poll: VotePoll, text: str) -> Reply:
    t = ctx.t
    community = ctx.need_community()  # the poll's
    if ctx.role is None or (ctx.role < Role.FACILITATOR and poll.created_by_id != ctx.person.id):
        raise UserError(N_("Only whoever created the poll and the facilitators can record what it decided."))
    review = None
    found = _REVIEW.search(text)
    if found is not None:
        try:
            review = read_date(found.group("when"), ctx.now().astimezone(ZoneInfo(community.timezone)), ctx.locale)
        except UserError as exc:
            raise UsageError(exc.message, **exc.params) from None
        text = text[:found.start()]
    replaced = await ctx.services.member_polls.record(poll, ctx.person, text.strip(" ,;"), review)
    head = t(N_("Decision of poll #{number} replaced: "), number=poll.number) if replaced else \
        t(N_("Decision of poll #{number} recorded: "), number=poll.number)
    reply = Reply().para("📌 ", head, bold(" ".join(text.split()).strip(" ,;")))
    if review is not None:
        reply.para(t(N_("It comes back in the agenda on {date}, to be reviewed."), date=t.date(review)))
    return reply.choice(t(N_("Results")), f"results {ref(community.slug, poll)}")


@command("outcome reviewed", fr=("décision revue", "decision revue"), args=(POLL,),
         help=N_("The decision of a poll was reviewed: it leaves the agenda."), section=SECTION, role=Role.FACILITATOR)
async def outcome_reviewed(ctx: Context, poll: VotePoll) -> Reply:
    t = ctx.t
    if not await ctx.services.member_polls.reviewed(poll):
        raise UserError(N_("Poll #{number} has no decision waiting for a review."), number=poll.number)
    return Reply().para("✅ ", t(N_("The decision of poll #{number} is reviewed."), number=poll.number), " ",
                        italic(t(N_("Record the new one with /outcome if it changed."))))
