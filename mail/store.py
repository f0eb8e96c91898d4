"""The inbox's table for mail: `mail_inbound`, the raw mail stored by the gateway before its 250."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime
from typing import Callable

from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from bot.core.sql import fetch
from bot.runtime.inbox import Event
from models.mail import InboundMail, MailStatus


def event_of(row: InboundMail) -> Event:
    """A stored mail as an inbox event: one lane per envelope sender keeps a person's mails in order; the
    pipeline's progress (commands already run, replies planned) is kept in `progress`."""
    state = row.progress if isinstance(row.progress, dict) else {}
    return Event(f"mail:{row.id}", f"email:{(row.mail_from or '?').lower()}", {"id": row.id}, id=row.id,
                 attempts=row.attempts, obj=row, state=state)


class MailStore:
    def __init__(self, clock: Callable[[], datetime]):
        self.clock = clock

    async def insert(self, events: list[Event], also: Callable | None, lease_until: datetime) -> list[Event]:
        raise NotImplementedError("mail is stored by the gateway (mail/inbound.py), then swept")

    async def claim(self, now: datetime, lease_until: datetime, limit: int, takeover: bool = False) -> list[Event]:
        # Shielded: a stop arriving mid-claim lets its transaction commit (cut short, it would keep SQLite locked).
        return await asyncio.shield(self._claim(now, lease_until, limit, takeover))

    async def _claim(self, now: datetime, lease_until: datetime, limit: int, takeover: bool) -> list[Event]:
        due = Q(status=MailStatus.PENDING) & (Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        free = Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)
        async with in_transaction() as conn:
            # Work left by a process that died (its lease is over), or by the previous run at start (takeover).
            left = Q(status=MailStatus.WORKING) if takeover else Q(status=MailStatus.WORKING, claimed_until__lt=now)
            query = InboundMail.filter((due if takeover else due & free) | left).order_by("id").limit(limit)
            if conn.capabilities.dialect == "postgres":
                query = query.select_for_update(skip_locked=True)
            rows = await query.using_db(conn)
            if rows:
                await InboundMail.filter(id__in=[r.id for r in rows]).using_db(conn).update(
                    status=MailStatus.WORKING, claimed_until=lease_until)
        return [event_of(row) for row in rows]

    async def save(self, event: Event) -> None:
        await fetch('UPDATE "mail_inbound" SET "progress" = ?::json, "attempts" = ? WHERE "id" = ? RETURNING "id"',
                    [json.dumps(event.state, ensure_ascii=False), event.attempts, event.id])

    async def done(self, event: Event, outcome: str) -> None:
        sensitive = event.state.get("sensitive")
        if sensitive:  # a secret ballot, `forget me` (Reply.sensitive): reduced to what its reply said of it, as it is handled
            await fetch('UPDATE "mail_inbound" SET "status" = \'done\', "outcome" = ?, "handled_at" = ?, "claimed_until" = NULL, '
                        '"sender" = \'\', "mail_from" = \'\', "rcpt_tos" = ?::json, "content" = ?, "size" = 0, "progress" = ?::json '
                        'WHERE "id" = ? RETURNING "id"', [sensitive[:64], self.clock(), "[]", b"", "{}", event.id])
            return
        await fetch('UPDATE "mail_inbound" SET "status" = \'done\', "outcome" = ?, "handled_at" = ?, "claimed_until" = NULL, '
                    '"sender" = ? WHERE "id" = ? RETURNING "id"',
                    [outcome[:64], self.clock(), getattr(event.obj, "sender", ""), event.id])

    async def retry(self, event: Event, error: str, at: datetime) -> None:
        await InboundMail.filter(id=event.id).update(attempts=event.attempts, last_error=error, next_attempt_at=at)

    async def park(self, event: Event, error: str) -> None:
        await InboundMail.filter(id=event.id).update(status=MailStatus.FAILED, attempts=event.attempts, last_error=error,
                                                     claimed_until=None)

    async def hold(self, event: Event, reason: str) -> None:
        """Mail from an address not confirmed yet: kept until the address is confirmed (see Email.confirm)."""
        await InboundMail.filter(id=event.id).update(status=MailStatus.HELD, outcome=reason[:64], claimed_until=None,
                                                     sender=getattr(event.obj, "sender", ""))

    async def drain(self) -> None:
        return None  # every write is made at once

    async def release(self, events: list[Event]) -> None:
        await InboundMail.filter(id__in=[e.id for e in events], status=MailStatus.WORKING).update(
            status=MailStatus.PENDING, claimed_until=None)
