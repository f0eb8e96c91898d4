"""The choice memory (what a number, a button or a link stands for) and the questions awaiting an answer."""

from tortoise import fields
from tortoise.models import Model


class ChoiceSet(Model):
    """The [label, command] pairs of one reply's choices, stored once per distinct set (a broadcast stores one)."""

    _no_comments = True  # see models/__init__.py

    id = fields.BigIntField(primary_key=True)
    digest = fields.CharField(max_length=64, unique=True)  # sha256 of the choices
    choices = fields.JSONField()
    created_at = fields.DatetimeField(auto_now_add=True, db_index=True)

    class Meta:
        table = "choice_set"


class ChoiceOffer(Model):
    """A set of choices offered in one conversation (a number answers the latest), or on one message (`ref`: a
    Matrix event a keycap reaction points at)."""

    _no_comments = True  # see models/__init__.py

    id = fields.BigIntField(primary_key=True)
    conversation = fields.CharField(max_length=340, db_index=True)  # platform:chat:person, see core/choices.py
    ref = fields.CharField(max_length=255, null=True, db_index=True)
    choice_set = fields.ForeignKeyField("models.ChoiceSet", related_name=False, on_delete=fields.CASCADE)
    choice_set_id: int
    created_at = fields.DatetimeField(auto_now_add=True, db_index=True)

    class Meta:
        table = "choice_offer"


class PendingQuestion(Model):
    """A question Relais asked a person; their next message in a direct chat (or a mail) is its answer."""

    _no_comments = True  # see models/__init__.py

    id = fields.BigIntField(primary_key=True)
    person = fields.OneToOneField("models.Person", related_name=False, on_delete=fields.CASCADE)
    person_id: int
    conversation = fields.CharField(max_length=340, default="")  # where it was asked ("" = wherever it reaches them)
    handler = fields.CharField(max_length=100)
    data = fields.JSONField(default=dict)
    prompt = fields.TextField(default="")
    community = fields.ForeignKeyField("models.Community", null=True, related_name=False, on_delete=fields.CASCADE)
    community_id: int | None
    created_at = fields.DatetimeField()
    expires_at = fields.DatetimeField(db_index=True)

    class Meta:
        table = "pending_question"
