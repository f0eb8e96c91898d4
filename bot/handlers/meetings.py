"""meeting, meeting set, meeting poll, meeting cancel, coming, not coming: the community's general meeting."""

from __future__ import annotations

import re
from datetime import datetime, time
from zoneinfo import ZoneInfo

from bot.core.commands import Arg, answers, command
from bot.core.context import Context
from bot.core.conversation import ANSWER_HINT
from bot.core.dates import find_date
from bot.core.errors import UsageError, UserError
from bot.core.i18n import N_
from bot.core.numbers import read_number
from bot.core.parser import tokens
from bot.core.replies import Question, Reply, bold
from bot.handlers.votes import _created, create_date_poll, read_when
from bot.services.meetings import when_text
from models import Meeting, Membership, Role

SECTION = N_("Votes")
WHEN = Arg("when", "text", N_("<date> <hh:mm> [place]"))


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
    coming, not_coming = await ctx.services.meetings.answers(found)
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


@command("meeting set", fr=("réunion fixer", "reunion fixer"), args=(WHEN,),
         help=N_("Set the next general meeting: /meeting set 15 january 19:00 Town hall. It is announced on the list, in "
                 "the rooms and to each member, with an invitation for their calendar."),
         section=SECTION, role=Role.FACILITATOR)
async def meeting_set(ctx: Context, when: str) -> Reply:
    t = ctx.t
    community = ctx.need_community()
    if ctx.role is None or ctx.role < Role.FACILITATOR:
        raise UserError(N_("Only a {role} of {community} can do that."), role=t(Role.FACILITATOR.label), community=community.name)
    tz = ZoneInfo(community.timezone)
    day_words, place = split_place(when, ctx.now().astimezone(tz), ctx.locale)
    if len(place) > 200:
        raise UsageError(N_("The place is {length} characters long; {limit} at most."), length=len(place), limit=200)
    starts, _ = read_when(day_words, ctx.now(), tz, default=time(19, 0), locale=ctx.locale)
    here = f"{ctx.incoming.platform}:{ctx.incoming.chat}" if ctx.incoming.chat else ""
    row = await ctx.services.meetings.set(community, starts, place, ctx.person, shown_in=here)
    reply = Reply().para("📅 ", t(N_("Next general meeting of {community}: "), community=community.name), bold(when_text(t, row, ctx.zone(community))))
    if place:
        reply.para(t(N_("Place: {place}"), place=place))
    reply.para(t(N_("Announced to the members with the invitation; reminders go out 7 days and 1 day before.")))
    return reply.choice(t(N_("Undo")), f"meeting cancel {row.id}")


@command("meeting cancel", fr=("réunion annuler", "reunion annuler"), args=(Arg("number", "word", N_("number"), max_length=12),),
         help=N_("Cancel a general meeting that was set (the Undo of /meeting set)."), section=SECTION, role=Role.FACILITATOR)
async def meeting_cancel(ctx: Context, number: str) -> Reply:
    community = ctx.need_community()
    meeting_id = read_number(number)
    if meeting_id is None or not await Meeting.filter(id=meeting_id, community_id=community.id).update(cancelled=True):
        raise UserError(N_("There is no such meeting."))
    await ctx.services.search.refresh("meeting", meeting_id)  # a cancelled meeting is no longer found
    return Reply().para(ctx.t(N_("The meeting is cancelled.")))


@command("meeting poll", fr=("réunion sondage", "reunion sondage"),
         args=(Arg("dates", "text", N_("<date> <date>… [until <date>]"), required=False),),
         help=N_('Let the members choose the date of the next general meeting: /meeting poll "12 january 19:00" '
                 '"19 january 19:00". The best date becomes the meeting when the poll closes.'),
         section=SECTION, role=Role.FACILITATOR)
async def meeting_poll(ctx: Context, dates: str | None) -> Reply:
    t = ctx.t
    ctx.need_community()
    words = [w for w, _ in tokens(dates or "")]
    if len(words) < 2:
        return Reply().add(Question(t(N_("Which dates should the members choose from? Write them separated by commas: "
                                         "“12 january 19:00, 19 january 19:00, 26 january 19:00”.")), "meeting_dates",
                                    hint=t(ANSWER_HINT)))
    return await _meeting_poll(ctx, words)


@answers("meeting_dates")
async def meeting_dates(ctx: Context, text: str, data: dict) -> Reply:
    words = [w.strip() for w in re.split(r"[,;\n]|\s+(?:et|and|ou|or)\s+", text) if w.strip()]
    if len(words) < 2:
        return Reply().add(Question(ctx.t(N_("Give at least two dates, separated by commas."))
                                    , "meeting_dates", hint=ctx.t(ANSWER_HINT)))
    return await _meeting_poll(ctx, words)


async def _meeting_poll(ctx: Context, words: list[str]) -> Reply:
    t = ctx.t
    community = ctx.need_community()
    title = t(N_("General meeting of {community}: which date?"), community=community.name)
    created = await create_date_poll(ctx, title, words, for_meeting=True)
    return await _created(ctx, created)


async def _meeting_for(ctx: Context, words: str | None) -> Meeting:
    if words and words.strip():
        number = read_number(words)
        if number is None:
            raise UsageError(N_("“{value}” is not a meeting: give its number, or nothing for the next general meeting."),
                             value=words.strip()[:40])
        found = await Meeting.get_or_none(id=number, cancelled=False)
        if found is None or not await Membership.exists(community_id=found.community_id, person_id=ctx.person.id):
            raise UserError(N_("There is no such meeting."))
        return found
    community = ctx.need_community()
    upcoming = await ctx.services.meetings.next(community.id)
    if upcoming is None:
        raise UserError(N_("No general meeting set for {community}."), community=community.name)
    return upcoming


@command("coming", fr=("je viens", "viens", "présent", "présente"), args=(Arg("meeting", "text", N_("meeting"), required=False),),
         help=N_("Say you are coming to the next general meeting."), section=SECTION)
async def coming(ctx: Context, meeting: str | None) -> Reply:
    found = await _meeting_for(ctx, meeting)
    await ctx.services.meetings.answer(found, ctx.person, True)
    community = await ctx.services.people.community_by_id(found.community_id)
    return (Reply().para("🙌 ", ctx.t(N_("Noted: you are coming on {when}."), when=when_text(ctx.t, found, ctx.zone(community))))
            .choice(ctx.t(N_("Undo")), f"not coming {found.id}"))


@command("not coming", fr=("je ne viens pas", "ne viens pas", "viens pas"), args=(Arg("meeting", "text", N_("meeting"), required=False),),
         help=N_("Say you are not coming to the next general meeting (no reminders then)."), section=SECTION)
async def not_coming(ctx: Context, meeting: str | None) -> Reply:
    found = await _meeting_for(ctx, meeting)
    await ctx.services.meetings.answer(found, ctx.person, False)
    return (Reply().para(ctx.t(N_("Noted: you are not coming. Thank you for saying so.")))
            .choice(ctx.t(N_("Undo")), f"coming {found.id}"))
