"""Matrix adapter tables: the direct chats Relais has with people, and the choices offered in its messages."""

from tortoise import fields
from tortoise.models import Model


class MatrixDirect(Model):
    """A 1:1 room between Relais and one Matrix user: where that user's notifications go."""

    room_id = fields.CharField(max_length=255, primary_key=True)
    user_id = fields.CharField(max_length=255, db_index=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "matrix_direct"


class MatrixPrompt(Model):
    """A message Relais sent to a user in a room, with the choices a number or a keycap reaction stands for."""

    event_id = fields.CharField(max_length=255, primary_key=True)
    room_id = fields.CharField(max_length=255)
    user_id = fields.CharField(max_length=255)
    choices = fields.JSONField()  # [[label, command], ...]; [] ends the previous choices of this user here
    created_at = fields.DatetimeField(auto_now_add=True, db_index=True)

    class Meta:
        table = "matrix_prompt"
        indexes = (("room_id", "user_id"),)
