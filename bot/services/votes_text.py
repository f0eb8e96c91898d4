"""How a poll reads: the poll itself (a native poll where the platform has them, numbered options elsewhere), a
ballot in a direct chat, the results so far and at the close."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.core.i18n import N_, Translator
from bot.core.replies import About, Poll, Reply, bold
from bot.services import votes_results
from bot.services.votes_count import Count
from models import PollKind, VotePoll

# Kinds a group can answer in the open: the others (and every secret or hidden poll) go to each member in private.
OPEN_KINDS = (PollKind.SINGLE, PollKind.MULTIPLE)
KIND_NAMES = {PollKind.SINGLE: N_("one choice"), PollKind.MULTIPLE: N_("several choices"),
              PollKind.RANKED: N_("ranked, preferred first"), PollKind.DATE: N_("date poll")}


def ref(slug: str, poll: VotePoll) -> str:
    return f"{slug}#{poll.number}"


def in_private(poll: VotePoll) -> bool:
    """Ballots go to members one by one: a secret poll; a poll hidden until its close (answers given in a room are
    seen there, a Matrix poll's responses are room events anyone reads, a Telegram button notes who chose what); a kind a
    group poll cannot express."""
    return poll.secret or poll.hidden or poll.kind not in OPEN_KINDS


def option_label(t: Translator, poll: VotePoll, option: str, tz: ZoneInfo) -> str:
    """A date poll's option is an ISO date or date and time: shown in the reader's words."""
    if poll.kind != PollKind.DATE:
        return option
    if "T" in option:
        when = datetime.fromisoformat(option).astimezone(tz)
        return f"{t.date(when.date(), 'full')} {when:%H:%M}"
    return t.date(datetime.fromisoformat(option).date(), "full")


def labels(t: Translator, poll: VotePoll, tz: ZoneInfo) -> tuple[str, ...]:
    return tuple(option_label(t, poll, o, tz) for o in poll.options)


def how_to_vote(t: Translator, poll: VotePoll, slug: str) -> str:
    r = ref(slug, poll)
    hints = {
        PollKind.SINGLE: N_("Vote with /vote {ref} <number>."),
        PollKind.MULTIPLE: N_("Choose one or more: /vote {ref} 1 3."),
        PollKind.RANKED: N_("Rank the options, preferred first: /vote {ref} 2 1 3."),
        PollKind.DATE: N_("Say which dates suit you, and which would do if need be: /vote {ref} 1 3 maybe 2."),
    }
    return t(hints[poll.kind], ref=r)


def conditions(t: Translator, poll: VotePoll, tz: ZoneInfo) -> str:
    said = [t(KIND_NAMES[poll.kind])]
    if poll.secret:
        said.append(t(N_("secret: nobody sees who voted what")))
    if poll.hidden:
        said.append(t(N_("results at the close")))
    if poll.closes_at is not None:
        local = poll.closes_at.astimezone(tz)
        said.append(t(N_("closes {date} at {time}"), date=t.date(local.date(), "medium"), time=f"{local:%H:%M}"))
    else:
        said.append(t(N_("open until closed")))
    said.append(t(N_("voting again replaces your ballot")))
    return " · ".join(said)


def element(t: Translator, poll: VotePoll, slug: str, tz: ZoneInfo, result: Count | None = None) -> Poll:
    """The poll as an element: open (a native poll where it can be one), or closed with its counts."""
    options = labels(t, poll, tz)
    counts: tuple[int, ...] = ()
    if result is not None:
        counts = tuple(result.counts)
        if poll.kind == PollKind.DATE:
            options = tuple(f"{o} ({t(N_('if need be: {count}'), count=m)})" for o, m in zip(options, result.maybe))
    return Poll(question=poll.question, options=options, mode=str(poll.kind), closes_at=poll.closes_at,  # type: ignore[arg-type]
                anonymous=poll.secret, vote=f"vote {ref(slug, poll)}", hint=how_to_vote(t, poll, slug), ref=str(poll.id),
                closed=result is not None, counts=counts, hidden=poll.hidden)


def vote_choices(reply: Reply, t: Translator, poll: VotePoll, slug: str, tz: ZoneInfo) -> Reply:
    """One choice per option (the platforms without native polls show them as numbered choices or buttons)."""
    if poll.kind in OPEN_KINDS:
        for n, label in enumerate(labels(t, poll, tz), 1):
            reply.choice(label[:60], f"vote {ref(slug, poll)} {n}")
    else:  # a ranked or date poll answered as a conversation, one option at a time (bot/handlers/ballots.py)
        reply.choice(t(N_("Vote one option at a time")), f"ballot {ref(slug, poll)}")
    return reply


def poll_reply(t: Translator, poll: VotePoll, slug: str, community: str, tz: ZoneInfo, in_group: bool) -> Reply:
    """The poll where it was asked, or announced in a room: in a group, a poll answered in private says so."""
    reply = Reply().para("🗳 ", t(N_("Poll #{number} of {community}"), number=poll.number, community=community), " — ",
                         conditions(t, poll, tz))
    if in_group:  # a reply to the poll in a room is a comment for the facilitators (a ballot in private is answered by voting)
        reply.add(About((("poll", poll.id, 0),)))
    if in_group and in_private(poll):
        reply.items([f"{n}. {label}" for n, label in enumerate(labels(t, poll, tz), 1)], title=poll.question)
        return reply.para(t(N_("Each member gets a ballot in private: answer there."))).choice(
            t(N_("Results")), f"results {ref(slug, poll)}")
    reply.add(element(t, poll, slug, tz))
    return vote_choices(reply, t, poll, slug, tz).choice(t(N_("Results")), f"results {ref(slug, poll)}")


def ballot_reply(t: Translator, poll: VotePoll, slug: str, community: str, tz: ZoneInfo, by: str, nudge: bool = False) -> Reply:
    """A member's ballot in a direct chat or a mail: the options as choices (links in a mail), or the line to write."""
    reply = Reply()
    if nudge:
        reply.para("⏰ ", t(N_("Last day to vote in {community}: you have not voted yet."), community=community))
    elif by:
        reply.para("🗳 ", t(N_("{name} asks the members of {community} to vote."), name=by, community=community))
    else:
        reply.para("🗳 ", t(N_("The members of {community} are asked to vote."), community=community))
    reply.para(conditions(t, poll, tz))
    reply.add(element(t, poll, slug, tz))
    return vote_choices(reply, t, poll, slug, tz)


def results_reply(t: Translator, poll: VotePoll, slug: str, community: str, tz: ZoneInfo, result: Count, final: bool,
                  ballots: list[tuple[str, list[int] | dict]] | None = None) -> Reply:
    """The count: so far (unless hidden until the close) or at the close, with the winner; a ranked poll's rounds and
    its tie-break, a date poll's grid (who answered what, unless secret: `ballots`)."""
    title = poll.question
    if not final and poll.hidden:
        return (Reply().para("🗳 ", bold(title)).para(t.n("{count} person has voted; the results come at the close.",
                                                           "{count} people have voted; the results come at the close.",
                                                           result.voters)))
    reply = Reply().para("🏁 " if final else "📊 ", t(N_("Results of poll #{number} ({community})"), number=poll.number,
                                                       community=community) if final else
                         t(N_("Results so far of poll #{number} ({community})"), number=poll.number, community=community))
    names = labels(t, poll, tz)
    if poll.kind == PollKind.DATE:
        reply.items([f"{n}. {label}" for n, label in enumerate(names, 1)], title=title)
        reply.add(votes_results.date_grid(t, list(names), result, ballots))
    elif poll.kind == PollKind.RANKED:
        reply.items([(f"{n}. {label} — ", bold(c)) for n, (label, c) in enumerate(zip(names, result.counts), 1)], title=title)
        table = votes_results.rounds_table(t, list(names), result)
        if table is not None:
            reply.add(table)
            reply.items(votes_results.rounds_lines(t, list(names), result))
    elif final:
        reply.add(element(t, poll, slug, tz, result))
    else:
        reply.items([(f"{n}. {label} — ", bold(c)) for n, (label, c) in enumerate(zip(names, result.counts), 1)], title=title)
    reply.para(t.n("{count} voter.", "{count} voters.", result.voters))
    if poll.kind == PollKind.RANKED and result.voters:
        reply.para(t.n("Counts are first preferences; the winner is found by instant runoff ({count} round).",
                       "Counts are first preferences; the winner is found by instant runoff ({count} rounds).", result.rounds))
        if votes_results.needs_tie_rule(result):
            reply.para(t(votes_results.TIE_RULE))
    if result.winners:
        won = ", ".join(names[n - 1] for n in result.winners)
        if final:
            reply.para("🏆 ", t.n("Chosen: ", "Tied: ", len(result.winners)), bold(won))
        else:
            reply.para(t.n("Leading: ", "Tied in the lead: ", len(result.winners)), bold(won))
    elif final and result.voters:
        reply.para(t(N_("No option has a yes: none is chosen.")))
    elif final:
        reply.para(t(N_("Nobody voted.")))
    return reply
