"""How an event reads: its name and date, the invitation and its update, cancel, reminders and the waiting list's
news, each with the `.ics` for calendars and the answers as choices."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from bot.core.i18n import N_, Translator
from bot.core.replies import About, Attachment, Reply, bold
from bot.services.notify import answerable
from models import Event, EventKind, Rsvp

MEETING_NAME = N_("General meeting of {community}")
HEADS = {  # (meeting, event): what the notice says first
    "": (N_("General meeting of {community}: "), N_("{title}: ")),
    "week": (N_("In a week, the general meeting of {community}: "), N_("In a week, {title}: ")),
    "day": (N_("Tomorrow, the general meeting of {community}: "), N_("Tomorrow, {title}: ")),
    "update": (N_("The general meeting of {community} changes: "), N_("{title} changes: ")),
    "cancel": (N_("Cancelled: the general meeting of {community} on "), N_("Cancelled: {title} on ")),
    "promoted": (N_("A place is free for you at the general meeting of {community}: "),
                 N_("A place is free for you at {title}: ")),
}
ICONS = {"": "📅 ", "week": "📅 ", "day": "📅 ", "update": "✏️ ", "cancel": "❌ ", "promoted": "🎉 "}


def name(t: Translator, event: Event, community: str, in_sentence: bool = False) -> str:
    """The event's name: its title, or the general meeting of the community (« la réunion générale de … » in a sentence)."""
    if event.kind != EventKind.MEETING:
        return event.title
    return t(N_("the general meeting of {community}"), community=community) if in_sentence else t(MEETING_NAME, community=community)


def when_text(t: Translator, event: Event, tz: ZoneInfo) -> str:
    local = event.starts_at.astimezone(tz)
    return f"{t.date(local.date())} {local:%H:%M}"


def topic(event: Event) -> tuple[str, int, int]:
    """What a reply to a notice about the event speaks of: a project's event goes to its referents, the others (and the
    general meeting) to the facilitators."""
    if event.kind == EventKind.MEETING:
        return ("meeting", event.id, 0)
    return ("event", event.id, event.project_id or 0)


def about(t: Translator, event: Event) -> About:
    if event.project_id and event.kind == EventKind.EVENT:
        return answerable(t, topic(event))
    return About((topic(event),), hint=t(N_("↩️ A question about it? Reply to this message: the facilitators get it.")),
                 command=t(N_("↩️ A question about it? /reply <your text>: the facilitators get it.")))


def places_text(t: Translator, event: Event, coming: int) -> str:
    if event.capacity is None:
        return ""
    left = max(0, event.capacity - coming)
    return t.n("{count} place", "{count} places", event.capacity) + " · " + (
        t.n("{count} left", "{count} left", left) if left else t(N_("full: a waiting list")))


def notice(t: Translator, event: Event, community: str, tz: ZoneInfo, ics: bytes, reminder: str = "", project: str = "",
           coming: int = 0, changes: tuple[str, ...] = ()) -> Reply:
    """The invitation (reminder "" ), a reminder ("week", "day"), an update ("update", with what changed), a cancel
    ("cancel") or the waiting list's good news ("promoted"): with the invitation (or its cancel) attached."""
    meeting, other = HEADS[reminder]
    head = t(meeting, community=community) if event.kind == EventKind.MEETING else t(other, title=event.title)
    reply = Reply().para(ICONS[reminder], head, bold(when_text(t, event, tz)))
    if changes:
        reply.para(t(N_("What changed: {changes}."), changes=", ".join(changes)))
    if project:
        reply.para(t(N_("Project: {project}"), project=project))
    if event.place:
        reply.para(t(N_("Place: {place}"), place=event.place))
    if reminder == "cancel":
        reply.para(t(N_("Your answer stays on record; nothing more to do.")))
        return reply.add(Attachment(f"event-{event.id}.ics", "text/calendar", ics, t(N_("Removes it from your calendar"))))
    places = places_text(t, event, coming)
    if places and reminder in ("", "update"):
        reply.para(places)
    if reminder == "" and event.kind == EventKind.MEETING:
        reply.para(t(N_("Will you come? Your answer helps to prepare it.")))
    elif reminder == "":
        reply.para(t(N_("Will you come? Saying so helps the organisers.")))
    reply.add(Attachment(f"event-{event.id}.ics", "text/calendar", ics, t(N_("The invitation for your calendar"))))
    reply.add(about(t, event))
    if reminder == "promoted":
        return reply.choice(t(N_("I'm not coming")), f"not coming {event.id}")
    return reply.choice(t(N_("I'm coming")), f"coming {event.id}").choice(t(N_("I'm not coming")), f"not coming {event.id}")


def answer_reply(t: Translator, event: Event, community: str, tz: ZoneInfo, status: Rsvp, before: Rsvp | None,
                 position: int = 0) -> Reply:
    """What the person who answered reads."""
    what, when = name(t, event, community, in_sentence=True), when_text(t, event, tz)
    if status == Rsvp.WAITING:
        reply = Reply().para("⏳ ", t(N_("{event} is full: you are number {position} on the waiting list. You will be told "
                                         "if a place frees up."), event=what, position=position))
        return reply.choice(t(N_("Leave the waiting list")), f"not coming {event.id}")
    if status == Rsvp.COMING:
        said = N_("You had said so: you are coming to {event} on {when}.") if before == Rsvp.COMING else \
            N_("Noted: you are coming to {event} on {when}.")
        return Reply().para("🙌 ", t(said, event=what, when=when)).choice(t(N_("Undo")), f"not coming {event.id}")
    said = N_("Noted: you are not coming to {event}. Thank you for saying so.")
    return Reply().para(t(said, event=what)).choice(t(N_("Undo")), f"coming {event.id}")


def line(t: Translator, event: Event, community: str, tz: ZoneInfo, coming: int, waiting: int) -> tuple:
    """An event in a list: its number, name, date, place and counts."""
    parts: list = [bold(f"#{event.id} {name(t, event, community)}"), " — ", when_text(t, event, tz)]
    if event.place:
        parts.append(f" · {event.place}")
    parts.append(" · " + t.n("{count} coming", "{count} coming", coming))
    if event.capacity is not None:
        parts.append(" / " + t.n("{count} place", "{count} places", event.capacity))
    if waiting:
        parts.append(" · " + t.n("{count} waiting", "{count} waiting", waiting))
    return tuple(parts)
