"""Communities, memberships with a role, and chats bound to a community."""

from enum import IntEnum

from tortoise import fields
from tortoise.models import Model

from models.labels import N_


class Role(IntEnum):
    """Ordered roles: a command needs at least its declared role."""

    OBSERVER = 10
    MEMBER = 20
    REFERENT = 30
    FACILITATOR = 40

    @property
    def key(self) -> str:
        return self.name.lower()

    @property
    def label(self) -> str:
        """The role as a reader sees it (a message id: translate it where it is shown)."""
        return ROLE_LABELS[self]

    @classmethod
    def parse(cls, word: str) -> "Role":
        return _ROLE_WORDS[word.lower()]


_ROLE_WORDS = {
    "observer": Role.OBSERVER, "observateur": Role.OBSERVER, "observatrice": Role.OBSERVER,
    "member": Role.MEMBER, "membre": Role.MEMBER,
    "referent": Role.REFERENT, "référent": Role.REFERENT, "referente": Role.REFERENT, "référente": Role.REFERENT,
    "facilitator": Role.FACILITATOR, "facilitateur": Role.FACILITATOR, "facilitatrice": Role.FACILITATOR,
    "animateur": Role.FACILITATOR, "animatrice": Role.FACILITATOR,
}
ROLE_WORDS = tuple(_ROLE_WORDS)
ROLE_LABELS = {Role.OBSERVER: N_("observer"), Role.MEMBER: N_("member"), Role.REFERENT: N_("referent"),
               Role.FACILITATOR: N_("facilitator")}


class Community(Model):
    _no_comments = True  # see models/__init__.py

    id = fields.IntField(primary_key=True)
    slug = fields.CharField(max_length=64, unique=True)
    name = fields.CharField(max_length=200)
    locale = fields.CharField(max_length=8, default="fr")
    timezone = fields.CharField(max_length=64, default="Europe/Paris")
    created_at = fields.DatetimeField(auto_now_add=True)
    pages = fields.BooleanField(default=False)  # public pages and feeds on the web endpoint: off until it decides
    member_approval = fields.BooleanField(default=False)  # newcomers wait for a facilitator's approval (observers until then)
    matrix_encryption = fields.BooleanField(default=True)  # the Matrix direct chats Relais opens are end-to-end encrypted

    class Meta:
        table = "community"


class Membership(Model):
    _no_comments = True  # see models/__init__.py

    id = fields.IntField(primary_key=True)
    person = fields.ForeignKeyField("models.Person", related_name="memberships", on_delete=fields.CASCADE)
    person_id: int
    community = fields.ForeignKeyField("models.Community", related_name="memberships", on_delete=fields.CASCADE)
    community_id: int
    role = fields.IntEnumField(Role, default=Role.MEMBER)
    joined_at = fields.DatetimeField(auto_now_add=True)
    requested_at = fields.DatetimeField(null=True)  # waiting for a facilitator's approval since then (an observer until then)

    class Meta:
        table = "membership"
        unique_together = (("person", "community"),)


class ChatBinding(Model):
    """A Telegram group, a Matrix room or a list address that speaks for one community."""

    _no_comments = True  # see models/__init__.py

    id = fields.IntField(primary_key=True)
    platform = fields.CharField(max_length=16)
    chat_id = fields.CharField(max_length=320)
    thread = fields.CharField(max_length=64, null=True)  # the forum topic where announcements go (bound from there)
    community = fields.ForeignKeyField("models.Community", related_name="bindings", on_delete=fields.CASCADE)
    community_id: int
    bound_by = fields.ForeignKeyField("models.Person", null=True, related_name=False, on_delete=fields.SET_NULL)
    bound_by_id: int | None
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "chat_binding"
        unique_together = (("platform", "chat_id"),)
