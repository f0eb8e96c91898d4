"""event, events, event show, event change, event cancel, coming, not coming: the community's and its projects'
events, with places and a waiting list; `coming` alone answers the general meeting."""

from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

from bot.core.commands import Arg, command, fold
from bot.core.errors import UsageError, UserError
from bot.core.i18n import N_, Translator
from bot.core.numbers import read_number
from bot.core.parser import tokens
from bot.core.replies import Choice, Reply, bold
from bot.handlers.meetings import PLACE_WORDS, split_place
from bot.handlers.votes import read_when
from bot.runtime.context import Context
from bot.services import events_text as text
from models import Event, EventKind, Project, Role, Rsvp

SECTION = N_("Events")
EVENT = Arg("event", "text", N_("event"), max_length=200)
PROJECT_WORDS = ("projet", "project")
PLACES_WORDS = ("places", "seats", "capacity", "capacite", "capacité", "jauge")
DATE_WORDS = ("date", "quand", "when", "jour", "day")
UNLIMITED = ("none", "aucune", "illimite", "illimité", "unlimited", "sans", "no", "non")


def _here(ctx: Context) -> str:
    return f"{ctx.incoming.platform}:{ctx.incoming.chat}" if ctx.incoming.chat else ""


def read_places(raw: str) -> int | None:
    if fold(raw) in UNLIMITED:
        return None
    found = read_number(raw, 1, 100_000)
    if found is None:
        raise UserError(N_("“{value}” is not a number of places: give a number from 1 to {limit}, or “none”."),
                        value=raw[:20], limit=100_000)
    return found


def parse_event(spec: str, now: datetime, tz: ZoneInfo, locale: str) -> dict:
    """`"<title>" <date> <hh:mm> [place …] [project <slug>] [places <n>]` → its parts (a place may also follow the date
    without its word, as in /meeting set)."""
    words = tokens(spec)
    if not words:
        raise UsageError(N_('Give the event\'s title, in quotes: /event "Presentation evening" 12 march 19:00.'))
    title, rest = words[0][0], words[1:]
    parts: dict[str, list[str]] = {"date": [], "place": [], "project": [], "places": []}
    current = "date"
    for word, quoted in rest:
        key = fold(word)
        if not quoted and key in PLACE_WORDS:
            current = "place"
        elif not quoted and key in PROJECT_WORDS:
            current = "project"
        elif not quoted and key in PLACES_WORDS:
            current = "places"
        else:
            parts[current].append(word)
    if not parts["date"]:
        raise UsageError(N_("Give the event's date and time: 12 march 19:00."))
    day_words, trailing = split_place(" ".join(parts["date"]), now.astimezone(tz), locale)
    starts, _ = read_when(day_words, now, tz, default=time(19, 0), locale=locale)
    place = " ".join(parts["place"]) or trailing
    if len(parts["project"]) > 1 or len(parts["places"]) > 1:
        raise UsageError(N_("After “project” comes one project's short name, after “places” one number."))
    capacity = read_places(parts["places"][0]) if parts["places"] else None
    return {"title": title, "starts": starts, "place": place, "project": parts["project"][0] if parts["project"] else "",
            "capacity": capacity}


async def _may_manage(ctx: Context, event_project: Project | None, creator_id: int | None = None) -> None:
    """Facilitators manage every event; a project's referents its events; whoever created one, that one."""
    if ctx.role is not None and ctx.role >= Role.FACILITATOR:
        return
    if creator_id is not None and creator_id == ctx.person.id:
        return
    if event_project is not None and await ctx.services.projects.is_referent(event_project, ctx.person):
        return
    if event_project is not None:
        raise UserError(N_("Only the referents of {project} and the facilitators can do that."), project=event_project.title)
    raise UserError(N_("Only a {role} of {community} can do that."), role=ctx.t(Role.FACILITATOR.label),
                    community=ctx.need_community().name)


@command("event", fr=("événement", "évènement"),
         args=(Arg("spec", "text", N_('"title" <date> <hh:mm> [place <place>] [project <project>] [places <n>]')),),
         help=N_('Announce an event: /event "Presentation evening" 12 march 19:00 place Town hall project dombes-brasserie '
                 "places 40. The project's followers (or the members) get an invitation for their calendar and answer "
                 "/coming or /not coming; when it is full, a waiting list."),
         section=SECTION, role=Role.REFERENT)
async def event(ctx: Context, spec: str) -> Reply:
    t = ctx.t
    community = ctx.need_community()
    tz = ZoneInfo(community.timezone)
    values = parse_event(spec, ctx.now(), tz, ctx.locale)
    project = await ctx.services.projects.get(community, values["project"]) if values["project"] else None
    await _may_manage(ctx, project)
    created = await ctx.services.events.create(community, ctx.person, values["title"], values["starts"], values["place"],
                                               project, values["capacity"])
    rooms, people = await ctx.services.event_notices.announce(created, community, shown_in=_here(ctx))
    reply = Reply().para("📅 ", t(N_("Event #{number}: "), number=created.id), bold(created.title), " — ",
                         bold(text.when_text(t, created, ctx.zone(community))))
    if created.place:
        reply.para(t(N_("Place: {place}"), place=created.place))
    if project is not None:
        reply.para(t(N_("Project: {project}"), project=project.title))
    if created.capacity is not None:
        reply.para(t.n("{count} place", "{count} places", created.capacity), " · ", t(N_("then a waiting list")))
    reply.para(t.n("Invitation sent to {count} person", "Invitation sent to {count} people", people),
               " · ", t.n("posted in {count} room", "posted in {count} rooms", rooms), ". ",
               t(N_("Reminders go to who comes 7 days and 1 day before.")))
    return reply.choice(t(N_("Who comes")), f"event show {created.id}").choice(t(N_("Cancel the event")), f"event cancel {created.id}")


async def _event(ctx: Context, words: str) -> Event:
    """The event named, its community made the context's (the role is the one there)."""
    found = await ctx.services.events.find(ctx.person, ctx.community, words)
    if ctx.community is None or found.community_id != ctx.community.id:
        ctx.community = await ctx.services.people.community_by_id(found.community_id)
        ctx.membership = await ctx.services.people.membership(ctx.person, ctx.community)
    return found


async def _sees_names(ctx: Context, found: Event) -> bool:
    """Names of who comes for the facilitators and the project's referents; counts for the others."""
    if ctx.role is not None and ctx.role >= Role.FACILITATOR:
        return True
    project = await Project.get_or_none(id=found.project_id) if found.project_id else None
    return project is not None and await ctx.services.projects.is_referent(project, ctx.person)


@command("events", fr=("événements", "évènements"), help=N_("The coming events and who comes."),
         section=SECTION, role=Role.OBSERVER)
async def events(ctx: Context) -> Reply:
    t = ctx.t
    community = ctx.need_community()
    tz = ctx.zone(community)
    found = await ctx.services.events.upcoming(community.id)
    if not found:
        reply = Reply().para(t(N_("No event coming in {community}."), community=community.name))
        if ctx.role is not None and ctx.role >= Role.REFERENT:
            reply.choice(t(N_("Help on {command}"), command=ctx.registry.get("event").localized_name(t.locale)), "help event")  # type: ignore[union-attr]
        return reply
    counts = await ctx.services.events.counts([e.id for e in found])
    rows = []
    for e in found:
        rows.append(text.line(t, e, community.name, tz, *counts[e.id]))
        if await _sees_names(ctx, e):
            seen = await ctx.services.events.attendance(e)
            if seen.coming:
                rows.append(("   ", t(N_("coming: {names}"), names=", ".join(n for _, n in seen.coming))))
            if seen.waiting:
                rows.append(("   ", t(N_("waiting: {names}"), names=", ".join(n for _, n in seen.waiting))))
    reply = Reply().items(rows, title=t(N_("Coming events of {community}"), community=community.name))
    for e in found[:8]:
        reply.choice(f"#{e.id} {text.name(t, e, community.name)}"[:60], f"event show {e.id}")
    return reply


@command("event show", fr=("événement voir",), args=(EVENT,),
         help=N_("An event: when, where, who comes, your answer."), section=SECTION, role=Role.OBSERVER)
async def event_show(ctx: Context, event: str) -> Reply:
    t = ctx.t
    found = await _event(ctx, event)
    community = ctx.need_community()
    tz = ctx.zone(community)
    coming, waiting = (await ctx.services.events.counts([found.id]))[found.id]
    reply = Reply().para("📅 ", bold(text.name(t, found, community.name)), " — ", bold(text.when_text(t, found, tz)))
    if found.cancelled:
        reply.para(t(N_("This event is cancelled.")))
    if found.place:
        reply.para(t(N_("Place: {place}"), place=found.place))
    reply.para(t.n("{count} coming", "{count} coming", coming), *([" · ", t.n("{count} waiting", "{count} waiting", waiting)] if waiting else []))
    if found.capacity is not None:
        reply.para(text.places_text(t, found, coming))
    if await _sees_names(ctx, found):
        seen = await ctx.services.events.attendance(found)
        for label, people in ((N_("coming: {names}"), seen.coming), (N_("waiting: {names}"), seen.waiting),
                              (N_("not coming: {names}"), seen.not_coming)):
            if people:
                reply.para(t(label, names=", ".join(n for _, n in people)))
    mine = await ctx.services.events.status_of(found, ctx.person)
    if mine is not None:
        reply.para(t(N_("Your answer: {answer}"), answer=t(ANSWERS[mine])))
    if not found.cancelled:
        reply.choice(t(N_("I'm coming")), f"coming {found.id}").choice(t(N_("I'm not coming")), f"not coming {found.id}")
    return reply


ANSWERS = {Rsvp.COMING: N_("coming"), Rsvp.WAITING: N_("on the waiting list"), Rsvp.NOT_COMING: N_("not coming")}


@command("event cancel", fr=("événement annuler",), args=(EVENT,),
         help=N_("Cancel an event: everyone who answered is told, with a calendar cancel; the answers stay on record."),
         section=SECTION, role=Role.OBSERVER)
async def event_cancel(ctx: Context, event: str) -> Reply:
    t = ctx.t
    found = await _event(ctx, event)
    community = ctx.need_community()
    if found.kind == EventKind.MEETING:
        raise UserError(N_("This is the general meeting: /meeting cancel cancels it."))
    await _may_manage(ctx, await Project.get_or_none(id=found.project_id) if found.project_id else None, found.created_by_id)
    if not await ctx.services.events.cancel(found):
        raise UserError(N_("This event is cancelled."))
    told = await ctx.services.event_notices.cancelled(found, community, shown_in=_here(ctx))
    return Reply().para("❌ ", t(N_("{event} is cancelled."), event=found.title), " ",
                        t.n("{count} person who answered is told, with a calendar cancel.",
                            "{count} people who answered are told, with a calendar cancel.", told))


CHANGES = {**{w: "date" for w in DATE_WORDS}, **{w: "place" for w in PLACE_WORDS}, **{w: "places" for w in PLACES_WORDS}}


@command("event change", fr=("événement modifier",),
         args=(Arg("number", "word", N_("number"), max_length=12), Arg("what", "choice", N_("date|place|places"),
               choices=("date", "place", "places"), accept=tuple(CHANGES), words={"fr": ("date", "lieu", "places")}),
               Arg("value", "text", N_("value"))),
         help=N_("Change an event's date, place or number of places: /event change 12 date 14 march 19:00, /event change "
                 "12 place Town hall, /event change 12 places 60. One update goes to who was invited; the answers stay."),
         section=SECTION, role=Role.OBSERVER)
async def event_change(ctx: Context, number: str, what: str, value: str) -> Reply:
    t = ctx.t
    found = await _event(ctx, number)
    community = ctx.need_community()
    if found.kind == EventKind.MEETING:
        raise UserError(N_("This is the general meeting: /meeting set or /meeting place changes it."))
    await _may_manage(ctx, await Project.get_or_none(id=found.project_id) if found.project_id else None, found.created_by_id)
    tz = ZoneInfo(community.timezone)
    kind = CHANGES[fold(what)]
    starts = place = capacity = None
    if kind == "date":
        starts, _ = read_when(value, ctx.now(), tz, default=found.starts_at.astimezone(tz).time(), locale=ctx.locale)
    elif kind == "place":
        place = value.strip()
    else:
        capacity = read_places(value.strip())
    promoted = await ctx.services.events.change(found, starts=starts, place=place, capacity=capacity,
                                                capacity_given=kind == "places")

    def changes(tr: Translator) -> tuple[str, ...]:
        if kind == "date":
            return (tr(N_("the date, now {when}"), when=text.when_text(tr, found, tz)),)
        if kind == "place":
            return (tr(N_("the place, now {place}"), place=found.place),)
        return (tr(N_("the places, now {count}"), count=found.capacity) if found.capacity else tr(N_("no limit of places")),)
    told = await ctx.services.event_notices.updated(found, community, changes, shown_in=_here(ctx))
    await ctx.services.event_notices.promoted(found, community, promoted)
    reply = Reply().para("✏️ ", t(N_("{event} changes: "), event=found.title), ", ".join(changes(t)), ".")
    reply.para(t.n("One update sent to {count} person; the answers stay.", "One update sent to {count} people; the answers stay.", told))
    if promoted:
        reply.para(t.n("{count} person moves up from the waiting list.", "{count} people move up from the waiting list.", len(promoted)))
    return reply


async def _answered(ctx: Context, words: str | None, coming: bool) -> Reply:
    found: Event | None
    if words and words.strip():
        found = await _event(ctx, words)
    else:
        community = ctx.need_community()
        found = await ctx.services.meetings.next(community.id)  # alone, the word answers the general meeting
        if found is None:
            error = UserError(N_("No general meeting set for {community}: name the event (type /events to see them)."),
                              community=community.name)
            error.choices = [Choice(f"#{e.id} {e.title}"[:60], f"{'coming' if coming else 'not coming'} {e.id}")
                             for e in (await ctx.services.events.upcoming(community.id, EventKind.EVENT))[:8]]
            raise error
    events = ctx.services.events
    done = await events.answer(found, ctx.person, coming)
    community = ctx.community if ctx.community is not None and ctx.community.id == found.community_id else \
        await ctx.services.people.community_by_id(found.community_id)
    if done.promoted:
        await ctx.services.event_notices.promoted(found, community, done.promoted)
    position = done.position or (await events.position(found, ctx.person) if done.status == Rsvp.WAITING else 0)
    return text.answer_reply(ctx.t, found, community.name, ctx.zone(community), done.status, done.before, position)


@command("coming", fr=("je viens", "viens", "présent", "présente"), args=(Arg("event", "text", N_("event"), required=False),),
         help=N_("Say you are coming: to the next general meeting, or to an event (its number or words of its title). "
                 "When it is full, you are on the waiting list."), section=SECTION)
async def coming(ctx: Context, event: str | None) -> Reply:
    return await _answered(ctx, event, True)


@command("not coming", fr=("je ne viens pas", "ne viens pas", "viens pas"), args=(Arg("event", "text", N_("event"), required=False),),
         help=N_("Say you are not coming (no reminders then): to the next general meeting, or to an event; your place goes "
                 "to the first on the waiting list."), section=SECTION)
async def not_coming(ctx: Context, event: str | None) -> Reply:
    return await _answered(ctx, event, False)
