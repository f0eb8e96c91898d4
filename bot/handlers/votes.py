"""poll, poll projects, datepoll, polls, vote, results, poll close: the community's votes."""

from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

from bot.core.commands import Arg, command, fold
from bot.core.dates import read_when as read_day_and_time
from bot.core.errors import UsageError, UserError
from bot.core.i18n import N_
from bot.core.parser import tokens
from bot.core.replies import Reply, bold
from bot.handlers.member_polls import add_reasons, may_open_poll
from bot.runtime.context import Context
from bot.services.calendar import local_instant
from bot.services.member_polls import split_reason
from bot.services.votes import read_ballot
from bot.services.votes_text import conditions, in_private, poll_reply, ref, results_reply
from bot.services.votes_text import labels as option_labels
from models import Person, PollKind, Project, ProjectStatus, Role, VotePoll

SECTION = N_("Votes")
POLL = Arg("poll", "poll", N_("poll"), max_length=80)  # the command acts in the poll's community (`other#3`)
SPEC = Arg("spec", "text", N_('"question" "option" "option"… [multiple|ranked] [secret] [hidden] [until <date>]'))
FLAGS = {"multiple": "multiple", "plusieurs": "multiple", "approval": "multiple",
         "ranked": "ranked", "classement": "ranked", "classe": "ranked",
         "secret": "secret", "anonymous": "secret", "anonyme": "secret",
         "hidden": "hidden", "cache": "hidden", "masque": "hidden"}
UNTIL = ("until", "till", "jusqu'au", "jusqu’au", "jusqua", "jusquau", "avant", "before", "closes", "fin")


def read_when(words: str, now: datetime, tz: ZoneInfo, default: time | None, locale: str = "fr") -> tuple[datetime, bool]:
    """A date with an optional time (`15 janvier 19h`, `2027-01-15 18:30`, `friday`), as an instant in the
    community's time zone; (instant, whether a time was given). Past dates are refused."""
    day, at = read_day_and_time(words, now, locale, tz)
    instant = local_instant(day, at or default or time(23, 59), tz)
    if instant < now:
        raise UserError(N_("The date {when} is in the past; give a date from today on."), when=day.isoformat())
    return instant, at is not None


def parse_spec(spec: str, now: datetime, tz: ZoneInfo, with_question_only: bool = False, locale: str = "fr") -> dict:
    words = tokens(spec)
    if not words:
        raise UsageError(N_("Give the poll's question, in quotes: /poll \"Which name?\" \"Relais\" \"Passerelle\"."))
    question = words[0][0]
    options: list[str] = []
    flags: set[str] = set()
    closes_at = None
    rest = words[1:]
    for i, (word, quoted) in enumerate(rest):
        key = fold(word)
        if not quoted and key in UNTIL:
            closes_at, _ = read_when(" ".join(w for w, _ in rest[i + 1:]), now, tz, default=time(23, 59), locale=locale)
            break
        if not quoted and key in FLAGS:
            flags.add(FLAGS[key])
            continue
        if flags and not quoted:
            raise UsageError(N_("“{value}” is not understood here: options come before the words multiple, ranked, secret, "
                                "hidden, until; put an option in quotes."), value=word[:40])
        options.append(word)
    if "multiple" in flags and "ranked" in flags:
        raise UsageError(N_("A poll is either multiple or ranked, not both."))
    if with_question_only and options:
        raise UsageError(N_("The options of this poll are the active projects: give only the question."))
    kind = PollKind.RANKED if "ranked" in flags else PollKind.MULTIPLE if "multiple" in flags else PollKind.SINGLE
    return {"question": question, "options": options, "kind": kind, "secret": "secret" in flags, "hidden": "hidden" in flags,
            "closes_at": closes_at}


async def _created(ctx: Context, poll: VotePoll) -> Reply:
    """Announce the new poll and answer where it was typed."""
    community = ctx.need_community()
    tz = ctx.zone(community)
    here = f"{ctx.incoming.platform}:{ctx.incoming.chat}" if ctx.incoming.chat else ""
    rooms, ballots = await ctx.services.vote_notices.announce(poll, community, ctx.person, shown_in=here)
    reply = poll_reply(ctx.t, poll, community.slug, community.name, tz, in_group=bool(here))
    said = []
    if rooms:
        said.append(ctx.t.n("posted in {count} room", "posted in {count} rooms", rooms))
    if ballots:
        said.append(ctx.t.n("a ballot sent to {count} member", "ballots sent to {count} members", ballots))
    if said:
        reply.para(ctx.t(N_("Poll #{number}: "), number=poll.number), ", ".join(said), ".")
    return reply.choice(ctx.t(N_("Close the poll")), f"poll close {ref(community.slug, poll)}")


@command("poll", fr=("sondage",), args=(SPEC,),
         help=N_('Ask the members a question: /poll "Which name?" "Relais" "Passerelle" [multiple|ranked] [secret] [hidden] '
                 "[until 15 january]. Each person has one ballot, which voting again replaces."),
         section=SECTION, role=Role.MEMBER)
async def poll(ctx: Context, spec: str) -> Reply:
    community = ctx.need_community()
    by_member = await may_open_poll(ctx, community)  # referents always; members when the community lets them
    tz = ZoneInfo(community.timezone)
    values = parse_spec(spec, ctx.now(), tz, locale=ctx.locale)
    created = await ctx.services.votes.create(community, ctx.person, posted_in=_posted_in(ctx), **values)
    if by_member:
        await ctx.services.member_polls.tell_facilitators(created, community, ctx.person)
    return await _created(ctx, created)


def _posted_in(ctx: Context) -> str:
    return f"{ctx.incoming.platform}:{ctx.incoming.chat}" if ctx.incoming.chat else ""


@command("poll projects", fr=("sondage projets",), args=(SPEC,),
         help=N_('A poll whose options are the community\'s active projects: /poll projects "Which project do we '
                 'support this season?" [multiple|ranked] [secret] [until <date>].'),
         section=SECTION, role=Role.REFERENT)
async def poll_projects(ctx: Context, spec: str) -> Reply:
    community = ctx.need_community()
    values = parse_spec(spec, ctx.now(), ZoneInfo(community.timezone), with_question_only=True, locale=ctx.locale)
    titles = await Project.filter(community_id=community.id, status__in=[ProjectStatus.ACTIVE, ProjectStatus.FUNDING]
                                  ).order_by("title").values_list("title", flat=True)
    if len(titles) < 2:
        raise UserError(N_("{community} has fewer than 2 active projects: there is nothing to choose between."),
                        community=community.name)
    values["options"] = [str(t)[:100] for t in titles][:20]
    created = await ctx.services.votes.create(community, ctx.person, posted_in=_posted_in(ctx), **values)
    return await _created(ctx, created)


@command("datepoll", fr=("sondage-date", "sondage date"), en=("date poll",),
         args=(Arg("spec", "text", N_('"title" <date> <date>… (each date with an optional time, in quotes when it has spaces)')),),
         help=N_('Find a date: /datepoll "Work day" "12 january 14:00" "19 january 14:00". Each member answers yes, '
                 "if need be, or no for each date; the best date has the most yes, then the most if need be."),
         section=SECTION, role=Role.REFERENT)
async def datepoll(ctx: Context, spec: str) -> Reply:
    ctx.need_community()
    words = tokens(spec)
    if not words:
        raise UsageError(N_("Give a title and the dates."))
    created = await create_date_poll(ctx, words[0][0], [w for w, _ in words[1:]], for_meeting=False)
    return await _created(ctx, created)


async def create_date_poll(ctx: Context, title: str, dates: list[str], for_meeting: bool, closes_at: datetime | None = None,
                           place: str = "") -> VotePoll:
    community = ctx.need_community()
    tz = ZoneInfo(community.timezone)
    cut = next((i for i, w in enumerate(dates) if fold(w) in UNTIL), None)
    if cut is not None:
        closes_at, _ = read_when(" ".join(dates[cut + 1:]), ctx.now(), tz, default=time(23, 59), locale=ctx.locale)
        dates = dates[:cut]
    options = date_options(ctx, dates)
    if for_meeting and closes_at is not None and options and closes_at > min(_instant(o, tz) for o in options):
        raise UserError(N_("The poll would close after the first date: give a closing date before it."))
    return await ctx.services.votes.create(community, ctx.person, title, options, PollKind.DATE, closes_at=closes_at,
                                           posted_in=_posted_in(ctx), for_meeting=for_meeting, place=place)


def _instant(option: str, tz: ZoneInfo) -> datetime:
    return datetime.fromisoformat(option) if "T" in option else local_instant(datetime.fromisoformat(option).date(), time(0, 0), tz)


def date_options(ctx: Context, dates: list[str]) -> list[str]:
    """A date poll's options as stored: ISO date and time (an instant) when a time is given, else the ISO day."""
    tz = ZoneInfo(ctx.need_community().timezone)
    options = []
    for words in dates:
        instant, timed = read_when(words, ctx.now(), tz, default=time(0, 0), locale=ctx.locale)
        options.append(instant.isoformat() if timed else instant.astimezone(tz).date().isoformat())
    return options


@command("polls", fr=("sondages", "votes"), help=N_("The open polls of your community."), section=SECTION, role=Role.OBSERVER,
         reads=True)
async def polls(ctx: Context) -> Reply:
    t = ctx.t
    community = ctx.need_community()
    tz = ctx.zone(community)
    found = await ctx.services.votes.open_polls(community)
    if not found:
        reply = Reply().para(t(N_("No open poll in {community}."), community=community.name))
        if ctx.role is not None and ctx.role >= Role.REFERENT:
            reply.choice(t(N_("Help on {command}"), command=ctx.registry.get("poll").localized_name(t.locale)), "help poll")  # type: ignore[union-attr]
        return reply
    votes = ctx.services.votes
    rows = []
    for p in found:
        voted = t(N_("you voted")) if await votes.has_voted(p, ctx.person) else t(N_("you have not voted"))
        rows.append((bold(f"#{p.number} {p.question}"), " — ", conditions(t, p, tz), " · ",
                     t.n("{count} voter", "{count} voters", await votes.voters(p)), " · ", voted))
    reply = Reply().items(rows, title=t(N_("Open polls of {community}"), community=community.name))
    for p in found[:8]:
        reply.choice(f"#{p.number} {p.question}"[:60], f"poll show {ref(community.slug, p)}")
    return reply


@command("poll show", fr=("sondage voir",), args=(POLL,), help=N_("Show a poll and how to vote."), section=SECTION, role=Role.OBSERVER,
         reads=True)
async def poll_show(ctx: Context, poll: VotePoll) -> Reply:
    community = ctx.need_community()  # the poll's
    tz = ctx.zone(community)
    if poll.closed_at is not None:
        return await results(ctx, poll)
    in_group = bool(ctx.incoming.chat) and in_private(poll)
    reply = poll_reply(ctx.t, poll, community.slug, community.name, tz, in_group=in_group)
    mine = await ctx.services.votes.ballot_of(poll, ctx.person)
    if mine is not None:
        reply.para(ctx.t(N_("Your ballot: {ballot}"), ballot=_ballot_text(ctx, poll, mine)))
    elif poll.secret and await ctx.services.votes.has_voted(poll, ctx.person):  # what is shown could be kept: not a secret one
        reply.para(ctx.t(N_("You have voted; voting again replaces your ballot.")))
    return reply


def _ballot_text(ctx: Context, poll: VotePoll, ballot) -> str:
    if isinstance(ballot, dict):
        yes = " ".join(str(n) for n in ballot.get("yes", []))
        maybe = " ".join(str(n) for n in ballot.get("maybe", []))
        return yes + (f" — {ctx.t(N_('if need be: {count}'), count=maybe)}" if maybe else "")
    return " ".join(str(n) for n in ballot)


CLEAR = ("clear", "effacer", "retirer", "none", "aucun")


@command("vote", fr=("voter",), args=(POLL, Arg("options", "text", N_("option numbers"))),
         help=N_("Vote: /vote #3 2 (ranked: the numbers in order of preference; date poll: /vote #3 1 3 maybe 2). "
                 "Voting again replaces your ballot; /vote #3 clear withdraws it."),
         section=SECTION, role=Role.OBSERVER)
async def vote(ctx: Context, poll: VotePoll, options: str) -> Reply:
    t = ctx.t
    votes = ctx.services.votes
    community = ctx.need_community()  # the poll's
    r = ref(community.slug, poll)
    options, reason = split_reason(options)  # `vote 3 2 because …`: the reason is shown with the results (never a secret poll's)
    if fold(options.strip()) in CLEAR:
        await ctx.services.member_polls.drop_reason(poll, ctx.person)
        removed = await votes.clear(poll, ctx.person)
        return Reply().para(t(N_("Your ballot on poll #{number} is withdrawn."), number=poll.number) if removed else
                            t(N_("You had not voted on poll #{number}."), number=poll.number))
    try:
        if poll.closed_at is not None:
            raise UserError(N_("Poll #{number} is closed: votes are no longer taken."), number=poll.number)
        choice = read_ballot(poll.kind, len(poll.options), options.split())
        replaced = await votes.vote(poll, ctx.person, choice, ctx.incoming.platform)
        await ctx.services.member_polls.keep_reason(poll, ctx.person, reason)
    except UserError as exc:
        if not poll.secret:
            raise
        # Even a refused secret ballot says what its voter wanted: the event keeps only `vote <poll>` (Reply.sensitive).
        refused = Reply(error=True, sensitive=f"vote {r}").para(t(exc.message, **exc.params))
        refused.choices.extend(exc.choices)
        return refused
    if poll.secret:
        return _secret_vote_reply(ctx, poll, r, replaced)
    tz = ctx.zone(community)
    labels = list(option_labels(t, poll, tz))
    if isinstance(choice, dict):
        said = ", ".join(labels[n - 1] for n in choice["yes"]) or "—"
        if choice["maybe"]:
            said += " — " + t(N_("if need be: {count}"), count=", ".join(labels[n - 1] for n in choice["maybe"]))
    else:
        said = (" > " if poll.kind == PollKind.RANKED else ", ").join(labels[n - 1] for n in choice)
    head = t(N_("Ballot replaced on poll #{number}: "), number=poll.number) if replaced else \
        t(N_("Vote recorded on poll #{number}: "), number=poll.number)
    reply = Reply().para("✅ ", head, bold(said))
    if reason:
        reply.para(t(N_("Your reason, shown with the results: ")), f"« {reason} »")
    reply.para(t(N_("You can change it until the close.")))
    reply.choice(t(N_("Withdraw my ballot")), f"vote {r} clear")
    if not poll.hidden:
        reply.choice(t(N_("Results")), f"results {r}")
    return reply


def _secret_vote_reply(ctx: Context, poll: VotePoll, r: str, replaced: bool) -> Reply:
    """A secret ballot's answer does not repeat the choice (it would be kept with the chat, the mail sent, the outbox),
    and marks the event for reduction once handled."""
    t = ctx.t
    head = t(N_("Your ballot on poll #{number} is replaced."), number=poll.number) if replaced else \
        t(N_("Your vote on poll #{number} is recorded."), number=poll.number)
    reply = Reply(sensitive=f"vote {r}").para("✅ ", head)
    reply.para(t(N_("Secret poll: nobody can see what you voted.")), " ", t(N_("This answer does not repeat it.")))
    reply.para(t(N_("You can change it until the close.")))
    reply.choice(t(N_("Withdraw my ballot")), f"vote {r} clear")
    if not poll.hidden:
        reply.choice(t(N_("Results")), f"results {r}")
    return reply


@command("results", fr=("résultats", "resultats"), args=(POLL,),
         help=N_("The results of a poll (so far, unless they are hidden until the close)."), section=SECTION, role=Role.OBSERVER,
         reads=True)
async def results(ctx: Context, poll: VotePoll) -> Reply:
    community = ctx.need_community()  # the poll's
    if (ctx.role is None or ctx.role < Role.FACILITATOR) and await ctx.services.member_polls.hidden(poll):
        raise UserError(N_("Poll #{number} was hidden by the facilitators."), number=poll.number)
    result = await ctx.services.votes.tally(poll)
    if poll.closed_at is None:
        result.voters = await ctx.services.votes.voters(poll)
    tz = ctx.zone(community)
    ballots = await ctx.services.votes.named_ballots(poll) if poll.kind == PollKind.DATE else None  # the grid: never a secret one's
    return await add_reasons(ctx, poll, results_reply(ctx.t, poll, community.slug, community.name, tz, result,
                                                      final=poll.closed_at is not None, ballots=ballots))


@command("poll close", fr=("sondage clore", "sondage fermer"), args=(POLL,),
         help=N_("Close a poll now: the results go where it was posted."), section=SECTION, role=Role.MEMBER)
async def poll_close(ctx: Context, poll: VotePoll) -> Reply:
    votes = ctx.services.votes
    ctx.need_community()  # the poll's: the role checked is the one there
    if ctx.role is None or (ctx.role < Role.FACILITATOR and poll.created_by_id != ctx.person.id):
        raise UserError(N_("Only whoever created the poll and the facilitators can close it."))
    result = await votes.close(poll)
    if result is None:
        raise UserError(N_("Poll #{number} is closed already."), number=poll.number)
    here = f"{ctx.incoming.platform}:{ctx.incoming.chat}" if ctx.incoming.chat else ""
    return await add_reasons(ctx, poll, await ctx.services.vote_notices.closed(poll, result, shown_in=here, reader=ctx.t))


@command("poll add", fr=("sondage ajouter",), args=(POLL, Arg("person", "person", N_("person"))),
         help=N_("Let someone vote on an open poll although they were not a member when it opened (they joined later, "
                 "or waited for approval): /poll add #3 @ana. They get the ballot."),
         section=SECTION, role=Role.FACILITATOR)
async def poll_add(ctx: Context, poll: VotePoll, person: Person) -> Reply:
    t = ctx.t
    community = ctx.need_community()  # the poll's: the person is looked for among its members
    if poll.closed_at is not None:
        raise UserError(N_("Poll #{number} is closed: votes are no longer taken."), number=poll.number)
    if await ctx.services.people.membership(person, community) is None:
        raise UserError(N_("{name} is not a member of {community}."), name=person.display_name, community=community.name)
    if not await ctx.services.votes.add_elector(poll, person):
        return Reply().para(t(N_("{name} can already vote on poll #{number}."), name=person.display_name, number=poll.number))
    await ctx.services.vote_notices.ballot_to(poll, community, person)
    return Reply().para("🗳 ", t(N_("{name} can now vote on poll #{number}; the ballot is on its way."), name=person.display_name,
                                 number=poll.number))
