"""Matrix adapter table: the direct chats Relais has with people."""

from tortoise import fields
from tortoise.models import Model


class MatrixDirect(Model):
    """A 1:1 room between Relais and one Matrix user: where that user's notifications go."""

    room_id = fields.CharField(max_length=255, primary_key=True)
    user_id = fields.CharField(max_length=255, db_index=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "matrix_direct"
