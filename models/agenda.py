"""The facilitator's hour: next-step prompts to referents, the weekly agenda's settings, announcements (the general
meeting is an event: models/events.py)."""

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


class PromptStatus(StrEnum):
    ASKED = "asked"  # the three questions went out; no answer yet
    UNDERSTOOD = "understood"  # an answer was read; the referent is asked to confirm it
    ANSWERED = "answered"  # confirmed: the next step is set
    CANCELLED = "cancelled"  # taken back by a facilitator, or replaced by a newer prompt


class Prompt(Model):
    """The method's three questions (next step? by when? on the list?) asked to one referent about one project."""

    _no_comments = True  # see models/__init__.py

    id = fields.BigIntField(primary_key=True)
    community = fields.ForeignKeyField("models.Community", related_name=False, on_delete=fields.CASCADE)
    community_id: int
    project = fields.ForeignKeyField("models.Project", related_name=False, on_delete=fields.CASCADE)
    project_id: int
    person = fields.ForeignKeyField("models.Person", related_name=False, on_delete=fields.CASCADE)
    person_id: int
    asked_by = fields.ForeignKeyField("models.Person", null=True, related_name=False, on_delete=fields.SET_NULL)
    asked_by_id: int | None
    batch = fields.CharField(max_length=64, db_index=True)  # the prompts sent together: one summary to whoever asked
    status = fields.CharEnumField(PromptStatus, default=PromptStatus.ASKED, max_length=16, db_index=True)
    asked_at = fields.DatetimeField(db_index=True)
    reminded_at = fields.DatetimeField(null=True)
    answered_at = fields.DatetimeField(null=True)
    answer = fields.TextField(default="")  # what the referent wrote
    step_text = fields.TextField(default="")  # what Relais understood of it
    step_due = fields.DateField(null=True)
    dated = fields.BooleanField(default=False)  # the date question is answered (`step_due` may be None: "no date")
    on_list = fields.BooleanField(null=True)  # None: the referent did not say
    step = fields.ForeignKeyField("models.NextStep", null=True, related_name=False, on_delete=fields.SET_NULL)
    step_id: int | None
    summarized = fields.BooleanField(default=False)  # the batch's summary included it

    class Meta:
        table = "prompt"
        unique_together = (("batch", "project", "person"),)


class AgendaSettings(Model):
    """When a community's agenda goes to its facilitators (default Monday 09:00, its time zone), and whether the
    agenda sends the prompts by itself."""

    _no_comments = True  # see models/__init__.py

    id = fields.IntField(primary_key=True)
    community = fields.OneToOneField("models.Community", related_name=False, on_delete=fields.CASCADE)
    community_id: int
    weekday = fields.SmallIntField(default=0)
    hour = fields.SmallIntField(default=9)
    minute = fields.SmallIntField(default=0)
    auto_prompt = fields.BooleanField(default=False)

    class Meta:
        table = "agenda_settings"


class Announcement(Model):
    """A news item or next step posted to the community's list or rooms (the agenda's list check)."""

    _no_comments = True  # see models/__init__.py

    id = fields.BigIntField(primary_key=True)
    community = fields.ForeignKeyField("models.Community", related_name=False, on_delete=fields.CASCADE)
    community_id: int
    kind = fields.CharField(max_length=16)  # news | step
    item_id = fields.BigIntField()
    channel = fields.CharField(max_length=16)  # list | rooms
    at = fields.DatetimeField()

    class Meta:
        table = "announcement"
        unique_together = (("kind", "item_id", "channel"),)
