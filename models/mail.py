"""Email channel tables: stored inbound mail, queued outgoing mail, address health, Mailman lists."""

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


class MailStatus(StrEnum):
    PENDING = "pending"
    WORKING = "working"
    HELD = "held"  # from an address not confirmed yet: processed once it is
    DONE = "done"
    FAILED = "failed"  # parked with its error after repeated failures, never dropped


class InboundMail(Model):
    """A mail accepted by the gateway, stored raw before the 250, processed afterwards, once."""

    _no_comments = True  # see models/__init__.py

    id = fields.BigIntField(primary_key=True)
    mail_from = fields.CharField(max_length=320, default="")
    rcpt_tos = fields.JSONField()
    content = fields.BinaryField()  # the message as received, bytes for bytes
    size = fields.IntField(default=0)
    sender = fields.CharField(max_length=320, default="", db_index=True)  # the From address, once read
    status = fields.CharEnumField(MailStatus, default=MailStatus.PENDING, max_length=16, db_index=True)
    attempts = fields.IntField(default=0)
    next_attempt_at = fields.DatetimeField(null=True)
    claimed_until = fields.DatetimeField(null=True)
    progress = fields.JSONField(default=dict)  # the inbox pipeline's state: commands already run, the reply planned
    outcome = fields.CharField(max_length=64, default="")
    last_error = fields.TextField(default="")
    received_at = fields.DatetimeField()
    handled_at = fields.DatetimeField(null=True)

    class Meta:
        table = "mail_inbound"


class OutgoingMail(Model):
    """A mail to one address that is not a person delivery (confirmations, command replies), sent with retries."""

    _no_comments = True  # see models/__init__.py

    id = fields.BigIntField(primary_key=True)
    key = fields.CharField(max_length=200, unique=True)
    address = fields.CharField(max_length=320)
    kind = fields.CharField(max_length=32)
    payload = fields.JSONField()
    status = fields.CharEnumField(MailStatus, default=MailStatus.PENDING, max_length=16, db_index=True)
    attempts = fields.IntField(default=0)
    next_attempt_at = fields.DatetimeField(db_index=True)
    claimed_until = fields.DatetimeField(null=True)
    last_error = fields.TextField(default="")
    created_at = fields.DatetimeField()
    sent_at = fields.DatetimeField(null=True)

    class Meta:
        table = "mail_outgoing"


class MailAddress(Model):
    """What Relais knows of one address: bounces, one-click unsubscribe, replies sent this hour."""

    _no_comments = True  # see models/__init__.py

    address = fields.CharField(max_length=320, primary_key=True)
    bounces = fields.IntField(default=0)
    last_bounce_at = fields.DatetimeField(null=True)
    disabled = fields.BooleanField(default=False)  # too many bounces: receives nothing more
    unsubscribed = fields.BooleanField(default=False)  # asked (one click) to receive no notifications
    window_start = fields.DatetimeField(null=True)
    replies_in_window = fields.IntField(default=0)

    class Meta:
        table = "mail_address"


class ListStatus(StrEnum):
    PENDING = "pending"
    READY = "ready"
    FAILED = "failed"


class MailingList(Model):
    """A community's discussion list on Mailman 3: created, read and posted to by Relais."""

    _no_comments = True  # see models/__init__.py

    id = fields.IntField(primary_key=True)
    community = fields.OneToOneField("models.Community", related_name=False, on_delete=fields.CASCADE)
    community_id: int
    address = fields.CharField(max_length=320, unique=True)
    list_id = fields.CharField(max_length=320, default="", db_index=True)
    status = fields.CharEnumField(ListStatus, default=ListStatus.PENDING, max_length=16)
    attempts = fields.IntField(default=0)
    last_error = fields.TextField(default="")
    created_by = fields.ForeignKeyField("models.Person", null=True, related_name=False, on_delete=fields.SET_NULL)
    created_by_id: int | None
    news_cursor = fields.IntField(default=0)  # last news item announced on the list
    step_cursor = fields.IntField(default=0)  # last next step announced on the list
    meeting_cursor = fields.IntField(default=0)  # last general meeting announced on the list
    created_at = fields.DatetimeField()

    class Meta:
        table = "mail_list"


class ListSubscription(Model):
    """A person's wish to receive a community's list (`wanted`) and the address Mailman has for them."""

    _no_comments = True  # see models/__init__.py

    id = fields.IntField(primary_key=True)
    community = fields.ForeignKeyField("models.Community", related_name=False, on_delete=fields.CASCADE)
    community_id: int
    person = fields.ForeignKeyField("models.Person", related_name=False, on_delete=fields.CASCADE)
    person_id: int
    wanted = fields.BooleanField(default=True)
    address = fields.CharField(max_length=320, null=True)  # subscribed on Mailman with this address
    attempts = fields.IntField(default=0)
    last_error = fields.TextField(default="")

    class Meta:
        table = "mail_list_subscription"
        unique_together = (("community", "person"),)


class ListDeparture(Model):
    """An address to take off a community's list on Mailman whose person is gone (erased, or merged into another):
    the Mailman side unsubscribes it, then deletes the row."""

    _no_comments = True  # see models/__init__.py

    id = fields.IntField(primary_key=True)
    community = fields.ForeignKeyField("models.Community", related_name=False, on_delete=fields.CASCADE)
    community_id: int
    address = fields.CharField(max_length=320)
    created_at = fields.DatetimeField()

    class Meta:
        table = "mail_list_departure"


class ListPost(Model):
    """The last post of an address on a community's list (read from the list traffic)."""

    _no_comments = True  # see models/__init__.py

    id = fields.IntField(primary_key=True)
    community = fields.ForeignKeyField("models.Community", related_name=False, on_delete=fields.CASCADE)
    community_id: int
    address = fields.CharField(max_length=320)
    person = fields.ForeignKeyField("models.Person", null=True, related_name=False, on_delete=fields.SET_NULL)
    person_id: int | None
    last_post_at = fields.DatetimeField()
    posts = fields.IntField(default=0)

    class Meta:
        table = "mail_list_post"
        unique_together = (("community", "address"),)
