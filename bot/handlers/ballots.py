"""ballot: a ranked or a date poll answered one option at a time, each answer a button (or its number), as a
conversation — « Votre premier choix ? », « Samedi 12 décembre : pouvez-vous venir ? » — then cast as `vote`.

A public poll's answers so far ride in the choices' command lines (`ballot usine-vivante#5 2 1`): nothing is stored
until the vote. A secret poll's choices are the same at every step for everyone (`ballot usine-vivante#5 2`), its answers
so far wait in memory under the voter's key (bot/services/ballot_drafts.py), and no step repeats them."""

from __future__ import annotations

from bot.core.commands import Arg, command, fold
from bot.core.errors import UserError
from bot.core.i18n import N_
from bot.core.numbers import read_number
from bot.core.replies import Reply, bold
from bot.handlers.votes import POLL, SECTION, vote
from bot.runtime.context import Context
from bot.services.votes_text import OPEN_KINDS, labels, poll_reply, ref
from models import PollKind, Role, VotePoll

DONE = ("done", "fini", "fin", "stop", "ok")
ANSWERS = {"y": "yes", "yes": "yes", "oui": "yes", "m": "maybe", "maybe": "maybe", "peut-etre": "maybe", "n": "no", "no": "no",
           "non": "no"}
ORDINALS = {1: N_("Your first choice?"), 2: N_("Your second choice?"), 3: N_("Your third choice?")}


@command("ballot", fr=("bulletin",), args=(POLL, Arg("answers", "text", N_("answers so far"), required=False, max_length=200)),
         help=N_("Answer a ranked or a date poll one option at a time, each answer a button: /ballot #5."),
         section=SECTION, role=Role.OBSERVER)
async def ballot(ctx: Context, poll: VotePoll, answers: str | None) -> Reply:
    community = ctx.need_community()  # the poll's
    r = ref(community.slug, poll)
    if poll.closed_at is not None:
        raise UserError(N_("Poll #{number} is closed: votes are no longer taken."), number=poll.number)
    if poll.kind in OPEN_KINDS:  # one answer: its choices are the ballot
        return poll_reply(ctx.t, poll, community.slug, community.name, ctx.zone(community), in_group=False)
    words = [fold(w) for w in (answers or "").split()]
    key = ""
    if poll.secret:  # the command carries this step only; the steps before wait in memory
        key = f"{poll.id}:{ctx.services.votes.voter_key(poll, ctx.person.id)}"
        words = (ctx.services.votes.drafts.get(key) + words[-1:]) if words else []
    steps = _checked(poll, words)
    finished = _finished(poll, steps)
    if finished is not None:
        if key:
            ctx.services.votes.drafts.drop(key)
        return await vote(ctx, poll, finished)
    if key:
        ctx.services.votes.drafts.put(key, steps)
    return _ask(ctx, poll, r, steps)


def _checked(poll: VotePoll, words: list[str]) -> list[str]:
    """The answers so far, each checked (a number of an option not ranked yet; yes / maybe / no for a date)."""
    steps: list[str] = []
    for word in words:
        if poll.kind == PollKind.DATE:
            if word not in ANSWERS or len(steps) >= len(poll.options):
                raise UserError(N_("Answer yes, if need be or no."))
            steps.append(ANSWERS[word])
            continue
        if word in DONE and steps:
            steps.append("done")
            break
        number = read_number(word, 1, len(poll.options))
        if number is None:
            raise UserError(N_("There is no option {number}: the options go from 1 to {last}."), number=word[:6], last=len(poll.options))
        if str(number) in steps:
            if poll.secret:  # saying which would repeat the ballot
                raise UserError(N_("You have ranked that option already: choose another."))
            raise UserError(N_("Option {number} is ranked twice: give each option once, in order of preference."), number=number)
        steps.append(str(number))
    return steps


def _finished(poll: VotePoll, steps: list[str]) -> str | None:
    """The `vote` line once every answer is in: a ranking (the last option follows by itself), each date answered."""
    if poll.kind == PollKind.DATE:
        if len(steps) < len(poll.options):
            return None
        return ", ".join(f"{n} {answer}" for n, answer in enumerate(steps, 1))
    picks = [s for s in steps if s != "done"]
    if "done" in steps:
        return " ".join(picks)
    if len(picks) >= len(poll.options) - 1:
        rest = [str(n) for n in range(1, len(poll.options) + 1) if str(n) not in picks]
        return " ".join(picks + rest)
    return None


def _ask(ctx: Context, poll: VotePoll, r: str, steps: list[str]) -> Reply:
    t = ctx.t
    community = ctx.need_community()
    names = labels(t, poll, ctx.zone(community))
    reply = Reply(sensitive=f"ballot {r}" if poll.secret else "").para("🗳 ", bold(poll.question))
    prefix = f"ballot {r}" if poll.secret else " ".join(["ballot", r, *steps])
    if poll.kind == PollKind.DATE:
        n = len(steps) + 1
        reply.para(t(N_("Date {number} of {count}: "), number=n, count=len(names)), bold(names[n - 1]))
        reply.para(bold(t(N_("Can you come?"))))
        for label, word in ((N_("Yes"), "y"), (N_("If need be"), "m"), (N_("No"), "n")):
            reply.choice(t(label), f"{prefix} {word}")
        return reply
    if steps and not poll.secret:
        reply.para(t(N_("Your ranking so far: {ranking}"), ranking=" > ".join(names[int(s) - 1] for s in steps)))
    n = len(steps) + 1
    reply.para(bold(t(ORDINALS[n]) if n in ORDINALS else t(N_("Your choice number {number}?"), number=n)))
    for number, label in enumerate(names, 1):
        if poll.secret or str(number) not in steps:
            reply.choice(label[:60], f"{prefix} {number}")
    if steps:
        reply.choice(t(N_("That's all: vote")), f"ballot {r} done" if poll.secret else f"vote {r} {' '.join(steps)}")
    return reply
