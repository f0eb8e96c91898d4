"""Persons and their platform accounts (telegram:<id>, matrix:<mxid>, email:<addr>, console:<name>)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from tortoise.fields import ReverseRelation

PLATFORMS = ("console", "telegram", "matrix", "email")


class Person(Model):
    id = fields.IntField(primary_key=True)
    display_name = fields.CharField(max_length=200, default="")
    locale = fields.CharField(max_length=8, null=True)
    current_community = fields.ForeignKeyField(
        "models.Community", null=True, related_name=False, on_delete=fields.SET_NULL
    )
    current_community_id: int | None
    away_until = fields.DateField(null=True)  # `away until <date>`: no prompts for this person until then
    created_at = fields.DatetimeField(auto_now_add=True)
    accounts: ReverseRelation[Account]

    class Meta:
        table = "person"


class Account(Model):
    """One way to reach a person; `preferred` picks the delivery channel, `reachable` is cleared on blocks."""

    id = fields.IntField(primary_key=True)
    person = fields.ForeignKeyField("models.Person", related_name="accounts", on_delete=fields.CASCADE)
    person_id: int
    platform = fields.CharField(max_length=16)
    address = fields.CharField(max_length=320)
    confirmed = fields.BooleanField(default=True)
    reachable = fields.BooleanField(default=True)
    preferred = fields.BooleanField(default=False)
    last_seen = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "account"
        unique_together = (("platform", "address"),)

    @property
    def handle(self) -> str:
        return f"{self.platform}:{self.address}"
