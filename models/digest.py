"""The weekly digest: schedules, who opted in, one delivery record per person and week, job runs."""

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


class DigestSchedule(Model):
    """When a community's digest goes out, in the community's time zone (default Monday 08:00)."""

    _no_comments = True  # see models/__init__.py

    id = fields.IntField(primary_key=True)
    community = fields.OneToOneField("models.Community", related_name="digest_schedule", on_delete=fields.CASCADE)
    community_id: int
    weekday = fields.SmallIntField(default=0)  # Monday = 0
    hour = fields.SmallIntField(default=8)
    minute = fields.SmallIntField(default=0)
    room_summary = fields.BooleanField(default=False)

    class Meta:
        table = "digest_schedule"


class DigestSubscription(Model):
    """A person's choice for one community; without a row, observers get the digest and members do not."""

    _no_comments = True  # see models/__init__.py

    id = fields.IntField(primary_key=True)
    person = fields.ForeignKeyField("models.Person", related_name="digest_choices", on_delete=fields.CASCADE)
    person_id: int
    community = fields.ForeignKeyField("models.Community", related_name=False, on_delete=fields.CASCADE)
    community_id: int
    enabled = fields.BooleanField()

    class Meta:
        table = "digest_subscription"
        unique_together = (("person", "community"),)


class DeliveryStatus(StrEnum):
    CLAIMED = "claimed"
    SENT = "sent"
    EMPTY = "empty"
    FAILED = "failed"


class DigestDelivery(Model):
    """Claimed before sending: the unique (person, community, week) is what makes a digest go out once."""

    _no_comments = True  # see models/__init__.py

    id = fields.BigIntField(primary_key=True)
    person = fields.ForeignKeyField("models.Person", related_name=False, on_delete=fields.CASCADE)
    person_id: int
    community = fields.ForeignKeyField("models.Community", related_name=False, on_delete=fields.CASCADE)
    community_id: int
    week = fields.CharField(max_length=10)  # ISO week of the due date, e.g. 2026-W48
    status = fields.CharEnumField(DeliveryStatus, max_length=16, default=DeliveryStatus.CLAIMED)
    claimed_until = fields.DatetimeField(null=True)
    claim = fields.CharField(max_length=36, default="", db_index=True)  # which run holds it
    attempts = fields.IntField(default=1)
    error = fields.TextField(default="")
    message_id = fields.CharField(max_length=255, default="")
    updated_at = fields.DatetimeField(auto_now=True)
    period_end = fields.DatetimeField(null=True)  # where the period it covered ends: the reader's next digest starts there
    opened = fields.BooleanField(default=False)  # one of its links was used (no pixel): the report counts digests opened

    class Meta:
        table = "digest_delivery"
        unique_together = (("person", "community", "week"),)


class DigestMode(Model):
    """A person's choice of one mail for all their communities' digests (no row: combined) or one per community."""

    _no_comments = True  # see models/__init__.py

    id = fields.IntField(primary_key=True)
    person = fields.OneToOneField("models.Person", related_name="digest_mode", on_delete=fields.CASCADE)
    person_id: int
    separate = fields.BooleanField(default=False)

    class Meta:
        table = "digest_mode"


class JobRun(Model):
    """One run of a scheduled job for one due time; `key` (job:community:week) makes it run once."""

    _no_comments = True  # see models/__init__.py

    id = fields.BigIntField(primary_key=True)
    key = fields.CharField(max_length=200, unique=True)
    due_at = fields.DatetimeField()
    started_at = fields.DatetimeField()
    finished_at = fields.DatetimeField(null=True)
    status = fields.CharField(max_length=16, default="running")  # running, done, skipped, failed
    detail = fields.JSONField(default=dict)

    class Meta:
        table = "job_run"
