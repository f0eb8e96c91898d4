"""The outbox of notifications to deliver, the console inbox, and adapters' persisted state."""

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


class OutboxStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"  # parked after MAX_ATTEMPTS with its error; `relais failed --retry` puts it back


class OutboxMessage(Model):
    """A reply to deliver to one person, or to one chat (`chat` = platform:chat id, e.g. a weekly summary in a
    group); `key` makes each notification unique (news N → person P)."""

    _no_comments = True  # see models/__init__.py

    id = fields.BigIntField(primary_key=True)
    key = fields.CharField(max_length=200, unique=True)
    person = fields.ForeignKeyField("models.Person", null=True, related_name="outbox", on_delete=fields.CASCADE)
    person_id: int | None
    chat = fields.CharField(max_length=340, null=True)
    community = fields.ForeignKeyField("models.Community", null=True, related_name=False, on_delete=fields.SET_NULL)
    community_id: int | None
    kind = fields.CharField(max_length=32)
    payload = fields.JSONField()
    status = fields.CharEnumField(OutboxStatus, default=OutboxStatus.PENDING, max_length=16, db_index=True)
    attempts = fields.IntField(default=0)
    next_attempt_at = fields.DatetimeField(db_index=True)
    claimed_until = fields.DatetimeField(null=True)
    last_error = fields.TextField(default="")
    channel = fields.CharField(max_length=340, default="")
    created_at = fields.DatetimeField(auto_now_add=True)
    sent_at = fields.DatetimeField(null=True)
    # The platform calls of a notification of several (`{"to": account handle or chat, "steps": [...]}`), stored before
    # the first is made, and how many are made: a retry or a restart carries on after the last one (bot/core/plan.py).
    plan = fields.JSONField(null=True)
    done = fields.IntField(default=0)

    class Meta:
        table = "outbox_message"


class ConsoleInbox(Model):
    """Notifications delivered to a console account; one row per outbox message, so never twice."""

    _no_comments = True  # see models/__init__.py

    id = fields.IntField(primary_key=True)
    address = fields.CharField(max_length=200, db_index=True)
    outbox = fields.OneToOneField("models.OutboxMessage", related_name=False, on_delete=fields.CASCADE)
    outbox_id: int
    text = fields.TextField()
    seen = fields.BooleanField(default=False)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "console_inbox"


class AdapterState(Model):
    """Small persisted values of the adapters: sync tokens, offsets, device ids."""

    _no_comments = True  # see models/__init__.py

    key = fields.CharField(max_length=200, primary_key=True)
    value = fields.TextField()
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "adapter_state"


class InboundStatus(StrEnum):
    PENDING = "pending"
    DONE = "done"
    FAILED = "failed"  # parked after the inbox's tries, with its error; `relais failed --retry` puts it back


class InboundEvent(Model):
    """A platform event persisted before it is confirmed to the platform, handled once, kept if it fails."""

    _no_comments = True  # see models/__init__.py

    id = fields.BigIntField(primary_key=True)
    platform = fields.CharField(max_length=16)
    key = fields.CharField(max_length=200, unique=True)  # e.g. telegram:update:<id>, matrix:<event_id>
    lane = fields.CharField(max_length=340, default="")  # the conversation: its events are handled in order
    payload = fields.JSONField()  # the platform's event as received
    state = fields.JSONField(default=dict)  # the handler's progress: the platform calls planned, how many made
    status = fields.CharEnumField(InboundStatus, default=InboundStatus.PENDING, max_length=16, db_index=True)
    attempts = fields.IntField(default=0)
    last_error = fields.TextField(default="")
    claimed_until = fields.DatetimeField(null=True)  # a process works on it until then
    claimed_by = fields.CharField(max_length=32, null=True)  # which process (models/processes.py): freed when it dies
    created_at = fields.DatetimeField(auto_now_add=True)
    handled_at = fields.DatetimeField(null=True)

    class Meta:
        table = "inbound_event"


class LinkUse(Model):
    """A signed link used (a digest's follow, vote or pledge link…): counted for the impact report, by kind and
    week; no person, no tracking pixel."""

    _no_comments = True  # see models/__init__.py

    id = fields.BigIntField(primary_key=True)
    community = fields.ForeignKeyField("models.Community", null=True, related_name=False, on_delete=fields.CASCADE)
    community_id: int | None
    kind = fields.CharField(max_length=32)
    at = fields.DatetimeField()

    class Meta:
        table = "link_use"
