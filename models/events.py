"""Events: a community's or a project's gatherings (presentation evenings, collection days, workshops) and the general
meeting, one table with a kind; each person's answer (coming, on the waiting list, not coming)."""

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


class EventKind(StrEnum):
    EVENT = "event"
    MEETING = "meeting"  # the general meeting: named after the community, announced to every member


class Rsvp(StrEnum):
    COMING = "coming"
    WAITING = "waiting"  # the event is full: moved up in the order of `at` when a place frees
    NOT_COMING = "not_coming"


class Event(Model):
    """An event of a community (of one of its projects when `project` is set). The general meetings set before
    18_events kept their ids, so the answers and links that name them still do."""

    _no_comments = True  # see models/__init__.py

    id = fields.IntField(primary_key=True)
    community = fields.ForeignKeyField("models.Community", related_name=False, on_delete=fields.CASCADE)
    community_id: int
    project = fields.ForeignKeyField("models.Project", null=True, related_name=False, on_delete=fields.SET_NULL)
    project_id: int | None
    kind = fields.CharEnumField(EventKind, max_length=16, default=EventKind.EVENT)
    title = fields.CharField(max_length=200, default="")  # "" for a general meeting: it is named after the community
    starts_at = fields.DatetimeField(db_index=True)
    place = fields.CharField(max_length=200, default="")
    capacity = fields.IntField(null=True)  # places; None: no limit
    # The iCalendar UID: a random UUID and the instance's domain (a meeting set before 18_events keeps the UID its
    # invitation went out with, so that its update replaces it in the calendars that have it).
    uid = fields.CharField(max_length=255, unique=True)
    sequence = fields.IntField(default=0)  # iCalendar SEQUENCE: one more with each update sent
    created_by = fields.ForeignKeyField("models.Person", null=True, related_name=False, on_delete=fields.SET_NULL)
    created_by_id: int | None
    created_at = fields.DatetimeField()
    updated_at = fields.DatetimeField(null=True)
    cancelled = fields.BooleanField(default=False)
    cancelled_at = fields.DatetimeField(null=True)
    reminded_week_at = fields.DatetimeField(null=True)  # the reminders 7 days and 1 day before, each once
    reminded_day_at = fields.DatetimeField(null=True)

    class Meta:
        table = "event"


class EventAnswer(Model):
    """A person's answer to an event; `at` is when the current status was given (the waiting list's order)."""

    _no_comments = True  # see models/__init__.py

    id = fields.BigIntField(primary_key=True)
    event = fields.ForeignKeyField("models.Event", related_name=False, on_delete=fields.CASCADE)
    event_id: int
    person = fields.ForeignKeyField("models.Person", related_name=False, on_delete=fields.CASCADE)
    person_id: int
    status = fields.CharEnumField(Rsvp, max_length=16)
    at = fields.DatetimeField()

    class Meta:
        table = "event_answer"
        unique_together = (("event", "person"),)
