"""Matrix adapter table: the direct chats Relais has with people."""

from tortoise import fields
from tortoise.models import Model


class MatrixDirect(Model):
    """A 1:1 room between Relais and one Matrix user: where that user's notifications go."""

    _no_comments = True  # see models/__init__.py

    room_id = fields.CharField(max_length=255, primary_key=True)
    user_id = fields.CharField(max_length=255, db_index=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "matrix_direct"


class MatrixKeys(Model):
    """The Matrix crypto store of one device, encrypted with a key derived from RELAIS_SECRET_KEY (the database alone
    cannot read it): what a restarted process on another machine, or a second process, needs to read the rooms."""

    _no_comments = True  # see models/__init__.py

    id = fields.IntField(primary_key=True)
    user_id = fields.CharField(max_length=255)
    device_id = fields.CharField(max_length=255)
    data = fields.TextField()  # base64 of nonce + AES-GCM(zlib(the SQLite store))
    digest = fields.CharField(max_length=64)  # of the plain store: an unchanged store is not written again
    saved_at = fields.DatetimeField()

    class Meta:
        table = "matrix_keys"
        unique_together = (("user_id", "device_id"),)
