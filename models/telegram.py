"""Telegram adapter table: the choices behind inline keyboard buttons (callback data holds only a short id)."""

from tortoise import fields
from tortoise.models import Model


class TelegramKeyboard(Model):
    """The [label, command] pairs of one keyboard; shared by every message showing the same choices."""

    id = fields.BigIntField(primary_key=True)
    digest = fields.CharField(max_length=64, unique=True)  # sha256 of the choices: a broadcast stores one row
    choices = fields.JSONField()
    created_at = fields.DatetimeField(auto_now_add=True, db_index=True)

    class Meta:
        table = "telegram_keyboard"
