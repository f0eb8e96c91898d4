"""The `relais run` processes sharing a database (a heartbeat row each) and the roles they hold by lease."""

from tortoise import fields
from tortoise.models import Model


class RelaisProcess(Model):
    """A running service: `seen_at` is its heartbeat; a row not seen for the lease time is a process that died
    (its claims on the inbox are then given back, see bot/runtime/processes.py)."""

    _no_comments = True  # see models/__init__.py

    id = fields.CharField(max_length=32, primary_key=True)  # random, one per start
    host = fields.CharField(max_length=255)
    pid = fields.IntField()
    started_at = fields.DatetimeField()
    seen_at = fields.DatetimeField(db_index=True)

    class Meta:
        table = "relais_process"


class ProcessRole(Model):
    """A job only one process may run at a time (Telegram polling, the Matrix sync, the scheduler's tick): held by
    `holder` until `expires_at`, renewed every few seconds; once expired, another process takes it."""

    _no_comments = True  # see models/__init__.py

    role = fields.CharField(max_length=32, primary_key=True)
    holder = fields.CharField(max_length=32)
    expires_at = fields.DatetimeField()
    taken_at = fields.DatetimeField()

    class Meta:
        table = "process_role"
