"""Persons and their platform accounts (telegram:<id>, matrix:<mxid>, email:<addr>, console:<name>)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from tortoise.fields import ReverseRelation

class Person(Model):
    _no_comments = True  # see models/__init__.py

    id = fields.IntField(primary_key=True)
    display_name = fields.CharField(max_length=200, default="")
    locale = fields.CharField(max_length=8, null=True)
    current_community = fields.ForeignKeyField(
        "models.Community", null=True, related_name=False, on_delete=fields.SET_NULL
    )
    current_community_id: int | None
    away_until = fields.DateField(null=True)  # `away until <date>`: no prompts for this person until then
    timezone = fields.CharField(max_length=64, null=True)  # `timezone Area/City`: dates shown to them; None: the community's
    separated_at = fields.DatetimeField(null=True)  # split off another person by `unlink`: no vote in the polls open then
    created_at = fields.DatetimeField(auto_now_add=True)
    accounts: ReverseRelation[Account]

    class Meta:
        table = "person"


class Account(Model):
    """One way to reach a person; `preferred` picks the delivery channel, `reachable` is cleared on blocks."""

    _no_comments = True  # see models/__init__.py

    id = fields.IntField(primary_key=True)
    person = fields.ForeignKeyField("models.Person", related_name="accounts", on_delete=fields.CASCADE)
    person_id: int
    platform = fields.CharField(max_length=16)
    address = fields.CharField(max_length=320)
    confirmed = fields.BooleanField(default=True)
    reachable = fields.BooleanField(default=True)
    preferred = fields.BooleanField(default=False)
    last_seen = fields.DatetimeField(null=True)
    confirmed_at = fields.DatetimeField(null=True)  # when the person consented (answered the address's confirmation)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "account"
        unique_together = (("platform", "address"),)

    @property
    def handle(self) -> str:
        return f"{self.platform}:{self.address}"


class LinkCode(Model):
    """A code from `link` (`K7QX-48Z9MT`): typed on another account within its validity, it joins that account's person to
    this one. Single use (deleted when used); `code` is its first part (which code is meant), `secret` the hash of the
    whole (checked); 3 wrong tries at one code kill it."""

    _no_comments = True  # see models/__init__.py

    id = fields.IntField(primary_key=True)
    code = fields.CharField(max_length=16, unique=True)
    secret = fields.CharField(max_length=64, default="")
    failures = fields.IntField(default=0)
    person = fields.ForeignKeyField("models.Person", related_name=False, on_delete=fields.CASCADE)
    person_id: int
    account = fields.ForeignKeyField("models.Account", related_name=False, on_delete=fields.CASCADE)
    account_id: int  # the account that asked for it
    created_at = fields.DatetimeField()
    expires_at = fields.DatetimeField(db_index=True)

    class Meta:
        table = "link_code"


class LinkTry(Model):
    """A wrong link code typed on a platform: too many on one platform in a few minutes pause linking there (so that
    many fresh accounts cannot guess together)."""

    _no_comments = True  # see models/__init__.py

    id = fields.BigIntField(primary_key=True)
    platform = fields.CharField(max_length=16)
    at = fields.DatetimeField(db_index=True)

    class Meta:
        table = "link_try"


class LinkAttempt(Model):
    """Wrong codes typed from one account: at the limit, linking is locked for that account for a while."""

    _no_comments = True  # see models/__init__.py

    id = fields.IntField(primary_key=True)
    account = fields.OneToOneField("models.Account", related_name=False, on_delete=fields.CASCADE)
    account_id: int
    failures = fields.IntField(default=0)
    last_failure_at = fields.DatetimeField(null=True)
    locked_until = fields.DatetimeField(null=True)

    class Meta:
        table = "link_attempt"
