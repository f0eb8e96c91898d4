"""meeting, meeting set, meeting place, meeting poll, meeting cancel: the community's general meeting (an event of its
own kind; `coming` / `not coming` answer it: bot/handlers/events.py)."""

from __future__ import annotations

import re
from datetime import datetime, time
from zoneinfo import ZoneInfo

from bot.core.commands import Arg, answers, command, fold
from bot.core.conversation import ANSWER_HINT
from bot.core.dates import find_date
from bot.core.errors import UsageError, UserError
from bot.core.i18n import N_
from bot.core.numbers import read_number
from bot.core.parser import tokens
from bot.core.replies import Question, Reply, bold
from bot.handlers.votes import UNTIL, _created, create_date_poll, date_options, read_when
from bot.runtime.context import Context
from bot.services.events_text import when_text
from models import Event, EventKind, Role

SECTION = N_("Votes")
WHEN = Arg("when", "text", N_("<date> <hh:mm> [place]"))
PLACE_WORDS = ("lieu", "place", "where", "location", "adresse", "address")
NONE_WORDS = ("none", "no", "non", "aucun", "aucune", "rien", "-", "later", "plus tard", "pas encore")


@command("meeting", fr=("réunion", "reunion", "ag"), args=(Arg("when", "text", N_("date and time"), required=False),),
         help=N_("The next general meeting: date, place, who comes; with a date and time, set it (like /meeting set)."),
         section=SECTION, role=Role.OBSERVER)
async def meeting(ctx: Context, when: str | None) -> Reply:
    if when:
        return await meeting_set(ctx, when)
    t = ctx.t
    community = ctx.need_community()
    found = await ctx.services.meetings.next(community.id)
    if found is None:
        reply = Reply().para(t(N_("No general meeting set for {community}."), community=community.name))
        if ctx.role is not None and ctx.role >= Role.FACILITATOR:
            reply.para(t(N_("Set it with /meeting set 15 january 19:00 Town hall, or let the members choose with "
                            "/meeting poll <date> <date>…")))
            reply.choice(t(N_("Date poll for the meeting")), "meeting poll")
        return reply
    tz = ctx.zone(community)
    seen = await ctx.services.events.attendance(found)
    coming, not_coming = [n for _, n in seen.coming], [n for _, n in seen.not_coming]
    reply = Reply().para(t(N_("Next general meeting: ")), bold(when_text(t, found, tz)), f" — {found.place}" if found.place else "")
    reply.para(t.n("{count} coming", "{count} coming", len(coming)), f": {', '.join(coming)}" if coming else "", " · ",
               t.n("{count} not coming", "{count} not coming", len(not_coming)))
    return (reply.choice(t(N_("I'm coming")), f"coming {found.id}").choice(t(N_("I'm not coming")), f"not coming {found.id}"))


def split_place(words: str, now: datetime, locale: str) -> tuple[str, str]:
    """`15 janvier 19h Salle des fêtes` → (`15 janvier 19h`, `Salle des fêtes`): the place follows the date and time."""
    found = find_date(words, now, locale)
    if found is None or found.before.strip():  # no date first: the whole is read as one, and refused as one
        return words.strip(), ""
    return found.words, found.after.strip().strip('"“”«»').strip()


def _facilitator(ctx: Context) -> None:
    community = ctx.need_community()
    if ctx.role is None or ctx.role < Role.FACILITATOR:
        raise UserError(N_("Only a {role} of {community} can do that."), role=ctx.t(Role.FACILITATOR.label), community=community.name)


def _here(ctx: Context) -> str:
    return f"{ctx.incoming.platform}:{ctx.incoming.chat}" if ctx.incoming.chat else ""


@command("meeting set", fr=("réunion fixer", "reunion fixer"), args=(WHEN,),
         help=N_("Set the next general meeting: /meeting set 15 january 19:00 Town hall. It is announced on the list, in "
                 "the rooms and to each member, with an invitation for their calendar. On the day of the meeting already "
                 "set, that meeting changes (one update, the answers kept)."),
         section=SECTION, role=Role.FACILITATOR)
async def meeting_set(ctx: Context, when: str) -> Reply:
    t = ctx.t
    _facilitator(ctx)
    community = ctx.need_community()
    tz = ZoneInfo(community.timezone)
    day_words, place = split_place(when, ctx.now().astimezone(tz), ctx.locale)
    if len(place) > 200:
        raise UsageError(N_("The place is {length} characters long; {limit} at most."), length=len(place), limit=200)
    starts, _ = read_when(day_words, ctx.now(), tz, default=time(19, 0), locale=ctx.locale)
    before = await ctx.services.meetings.on_day(community, starts)
    was = (before.starts_at, before.place, before.sequence) if before is not None else None
    row, same_day = await ctx.services.meetings.set(community, starts, place, ctx.person, shown_in=_here(ctx))
    shown = when_text(t, row, ctx.zone(community))
    if same_day:
        if was is not None and row.sequence == was[2]:
            return Reply().para("📅 ", t(N_("The general meeting of {community} is set already: "), community=community.name),
                                bold(shown), f" — {row.place}" if row.place else "", ". ", t(N_("Nothing changes.")))
        reply = Reply().para("✏️ ", t(N_("The general meeting of {community} changes: "), community=community.name), bold(shown))
        if row.place:
            reply.para(t(N_("Place: {place}"), place=row.place))
        return reply.para(t(N_("The members get one update of their invitation; their answers stay.")))
    reply = Reply().para("📅 ", t(N_("Next general meeting of {community}: "), community=community.name), bold(shown))
    if place:
        reply.para(t(N_("Place: {place}"), place=place))
    reply.para(t(N_("Announced to the members with the invitation; reminders go out 7 days and 1 day before.")))
    return reply.choice(t(N_("Undo")), f"meeting cancel {row.id}")


@command("meeting place", fr=("réunion lieu", "reunion lieu"), args=(Arg("place", "text", N_("place")),),
         help=N_("Give the next general meeting its place (one set by its date poll, say): /meeting place Town hall. "
                 "The members get one update of their invitation."),
         section=SECTION, role=Role.FACILITATOR)
async def meeting_place(ctx: Context, place: str) -> Reply:
    t = ctx.t
    _facilitator(ctx)
    community = ctx.need_community()
    if len(place) > 200:
        raise UsageError(N_("The place is {length} characters long; {limit} at most."), length=len(place), limit=200)
    row = await ctx.services.meetings.set_place(community, place, shown_in=_here(ctx))
    return (Reply().para("✏️ ", t(N_("The general meeting of {community} changes: "), community=community.name),
                         bold(when_text(t, row, ctx.zone(community))))
            .para(t(N_("Place: {place}"), place=row.place))
            .para(t(N_("The members get one update of their invitation; their answers stay."))))


@command("meeting cancel", fr=("réunion annuler", "reunion annuler"), args=(Arg("number", "word", N_("number"), max_length=12, required=False),),
         help=N_("Cancel the general meeting (the next one, or the one with this number): the members are told, with a "
                 "calendar cancel; their answers stay on record."), section=SECTION, role=Role.FACILITATOR)
async def meeting_cancel(ctx: Context, number: str | None) -> Reply:
    community = ctx.need_community()
    if number:
        meeting_id = read_number(number)
        found = await Event.get_or_none(id=meeting_id, community_id=community.id, kind=EventKind.MEETING) if meeting_id else None
    else:
        found = await ctx.services.meetings.next(community.id)
    if found is None or not await ctx.services.meetings.cancel(community, found, shown_in=_here(ctx)):
        raise UserError(N_("There is no such meeting."))
    return Reply().para(ctx.t(N_("The meeting is cancelled.")), " ",
                        ctx.t(N_("The members are told, with a calendar cancel; their answers stay on record.")))


@command("meeting poll", fr=("réunion sondage", "reunion sondage"),
         args=(Arg("dates", "text", N_("<date> <date>… [place <place>] [until <date>]"), required=False),),
         help=N_('Let the members choose the date of the next general meeting: /meeting poll "12 january 19:00" '
                 '"19 january 19:00" until 5 january. The best date becomes the meeting when the poll closes. Alone, '
                 "Relais asks for the dates, the place and when the poll closes."),
         section=SECTION, role=Role.FACILITATOR)
async def meeting_poll(ctx: Context, dates: str | None) -> Reply:
    _facilitator(ctx)
    words = [w for w, _ in tokens(dates or "")]
    place = ""
    cut = next((i for i, w in enumerate(words) if fold(w) in PLACE_WORDS), None)
    if cut is not None:
        end = next((i for i in range(cut + 1, len(words)) if fold(words[i]) in UNTIL), len(words))
        place, words = " ".join(words[cut + 1:end]), words[:cut] + words[end:]
    if len([w for w in words if fold(w) not in UNTIL]) < 2:
        return _ask_dates(ctx)
    return await _meeting_poll(ctx, words, place=place)


def _ask_dates(ctx: Context, again: bool = False) -> Reply:
    t = ctx.t
    prompt = t(N_("Give at least two dates, separated by commas.")) if again else \
        t(N_("Which dates should the members choose from? Write them separated by commas: "
             "“12 january 19:00, 19 january 19:00, 26 january 19:00”."))
    return Reply().add(Question(prompt, "meeting_dates", hint=t(ANSWER_HINT)))


@answers("meeting_dates")
async def meeting_dates(ctx: Context, text: str, data: dict) -> Reply:
    words = [w.strip() for w in re.split(r"[,;\n]|\s+(?:et|and|ou|or)\s+", text) if w.strip()]
    if len(words) < 2:
        return _ask_dates(ctx, again=True)
    date_options(ctx, words)  # a date that cannot be read is said now, not after two more questions
    t = ctx.t
    return Reply().add(Question(t(N_("Where will it be? Write the place, or “none” to give it later with /meeting place.")),
                                "meeting_where", data={"dates": words}, hint=t(ANSWER_HINT)))


@answers("meeting_where")
async def meeting_where(ctx: Context, text: str, data: dict) -> Reply:
    place = "" if fold(text.strip(" .")) in NONE_WORDS else text.strip()
    if len(place) > 200:
        raise UsageError(N_("The place is {length} characters long; {limit} at most."), length=len(place), limit=200)
    t = ctx.t
    return Reply().add(Question(t(N_("Until when can the members answer? A date (“5 january”), or “none” to close the poll "
                                     "yourself with /poll close.")), "meeting_until",
                                data={**data, "place": place}, hint=t(ANSWER_HINT)))


@answers("meeting_until")
async def meeting_until(ctx: Context, text: str, data: dict) -> Reply:
    closes_at = None
    if fold(text.strip(" .")) not in NONE_WORDS:
        tz = ZoneInfo(ctx.need_community().timezone)
        closes_at, _ = read_when(text, ctx.now(), tz, default=time(23, 59), locale=ctx.locale)
    return await _meeting_poll(ctx, list(data.get("dates", [])), place=str(data.get("place", "")), closes_at=closes_at)


async def _meeting_poll(ctx: Context, words: list[str], place: str = "", closes_at: datetime | None = None) -> Reply:
    t = ctx.t
    community = ctx.need_community()
    if len(place) > 200:
        raise UsageError(N_("The place is {length} characters long; {limit} at most."), length=len(place), limit=200)
    title = t(N_("General meeting of {community}: which date?"), community=community.name)
    created = await create_date_poll(ctx, title, words, for_meeting=True, closes_at=closes_at, place=place)
    reply = await _created(ctx, created)
    if place:
        reply.para(t(N_("Place: {place}"), place=place))
    return reply
