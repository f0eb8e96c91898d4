"""The inbox's table for chat platforms (`inbound_event`), with a group commit for the hot writes."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime
from typing import Callable

from tortoise import connections
from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from bot.core.sql import sql_for
from bot.runtime.inbox import Event
from models import InboundEvent, InboundStatus

# The two writes every event makes (its plan, then done) are grouped: one executemany stores what all the lanes
# wrote meanwhile (per-row ORM updates cost a third of the Telegram adapter's time, measured with bench/telegram.py).
_SQL = {
    "save": 'UPDATE "inbound_event" SET "state" = ?::json, "attempts" = ? WHERE "key" = ?',
    "done": 'UPDATE "inbound_event" SET "status" = \'done\', "attempts" = ?, "handled_at" = ?, "claimed_until" = NULL, '
            '"last_error" = ? WHERE "key" = ?',
    # A sensitive event (a secret ballot: Reply.sensitive) keeps only what its reply said of it, once handled.
    "reduce": 'UPDATE "inbound_event" SET "payload" = ?::json, "state" = ?::json, "lane" = \'\' WHERE "key" = ?',
}


class Journal:
    """Group commit: each caller waits until its own row is stored; one flush stores everyone's rows."""

    def __init__(self) -> None:
        self._rows: dict[str, list[list]] = {}
        self._waiters: list[asyncio.Future] = []
        self._flusher: asyncio.Task | None = None

    def rows_for(self, kind: str, row: list) -> None:
        """A row stored with the next flush, without waiting for it (the caller's next write waits for both)."""
        self._rows.setdefault(kind, []).append(row)

    async def write(self, kind: str, row: list) -> None:
        future = asyncio.get_running_loop().create_future()
        self._rows.setdefault(kind, []).append(row)
        self._waiters.append(future)
        if self._flusher is None:
            self._flusher = asyncio.create_task(self._flush())
        await future

    async def _flush(self) -> None:
        try:
            while self._rows:
                batches, waiters = self._rows, self._waiters
                self._rows, self._waiters = {}, []
                try:
                    conn = connections.get("default")
                    dialect = conn.capabilities.dialect
                    for kind in ("save", "done", "reduce"):
                        if kind in batches:
                            await conn.execute_many(sql_for(_SQL[kind], dialect), batches[kind])
                except BaseException as exc:
                    for waiter in waiters:
                        if not waiter.done():
                            waiter.set_exception(exc if isinstance(exc, Exception) else RuntimeError("journal stopped"))
                    if not isinstance(exc, Exception):
                        raise
                else:
                    for waiter in waiters:
                        if not waiter.done():
                            waiter.set_result(None)
        finally:
            self._flusher = None

    async def drain(self) -> None:
        if self._flusher is not None:
            await asyncio.gather(self._flusher, return_exceptions=True)


class EventStore:
    """Events of one platform in `inbound_event`; the raw event in `payload`, the handler's progress in `state`."""

    def __init__(self, platform: str, clock: Callable[[], datetime], holder: str | None = None):
        self.platform = platform
        self.clock = clock
        self.holder = holder  # this process (models/processes.py), noted on what it claims
        self.journal = Journal()

    async def insert(self, events: list[Event], also: Callable | None, lease_until: datetime) -> list[Event]:
        # Shielded: a poller cancelled while its batch is being stored (stopping, or its role lost) lets the batch
        # commit; a transaction cut in its BEGIN would leave Tortoise's SQLite connection locked for good.
        return await asyncio.shield(self._store(events, also, lease_until))

    async def _store(self, events: list[Event], also: Callable | None, lease_until: datetime) -> list[Event]:
        try:
            return await self._insert(events, also, lease_until)
        except IntegrityError:  # another process stored one of them meanwhile (a webhook sent twice): it is known now
            return await self._insert(events, also, lease_until)

    async def _insert(self, events: list[Event], also: Callable | None, lease_until: datetime) -> list[Event]:
        async with in_transaction() as conn:
            fresh = events
            if events:
                keys = [e.key for e in events]
                known: set[str] = set()
                for i in range(0, len(keys), 500):
                    found = await InboundEvent.filter(key__in=keys[i:i + 500]).using_db(conn).values_list("key", flat=True)
                    known |= {str(key) for key in found}
                fresh = list({e.key: e for e in events if e.key not in known}.values())  # a platform may repeat one
                if fresh:
                    await InboundEvent.bulk_create([InboundEvent(platform=self.platform, key=e.key, lane=e.lane, payload=e.payload,
                                                                 state={}, claimed_until=lease_until, claimed_by=self.holder)
                                                   for e in fresh],
                                                   using_db=conn)
            if also is not None:
                await also(conn)
        return fresh

    async def claim(self, now: datetime, lease_until: datetime, limit: int, takeover: bool = False) -> list[Event]:
        # Shielded like `insert`: an adapter stopped while it resumes or sweeps lets the claim commit; a transaction cut
        # short would keep Tortoise's SQLite connection locked, and every later query (the heartbeat too) would wait.
        return await asyncio.shield(self._claim(now, lease_until, limit, takeover))

    async def _claim(self, now: datetime, lease_until: datetime, limit: int, takeover: bool) -> list[Event]:
        async with in_transaction() as conn:
            query = InboundEvent.filter(platform=self.platform, status=InboundStatus.PENDING)
            if not takeover:
                query = query.filter(Q(claimed_until__lt=now) | Q(claimed_until__isnull=True))
            query = query.order_by("id").limit(limit)
            if conn.capabilities.dialect == "postgres":
                query = query.select_for_update(skip_locked=True)
            rows = await query.using_db(conn)
            if rows:
                await InboundEvent.filter(id__in=[r.id for r in rows]).using_db(conn).update(
                    claimed_until=lease_until, claimed_by=self.holder)
        return [Event(r.key, r.lane, r.payload, id=r.id, attempts=r.attempts, state=r.state or {}) for r in rows]

    async def save(self, event: Event) -> None:
        await self.journal.write("save", [json.dumps(event.state, ensure_ascii=False), event.attempts, event.key])

    async def done(self, event: Event, outcome: str) -> None:
        sensitive = event.state.get("sensitive")
        if sensitive:  # written with the same flush as "done": the raw event and its plan are gone as it is handled
            self.journal.rows_for("reduce", [json.dumps({"sensitive": sensitive}, ensure_ascii=False), "{}", event.key])
        await self.journal.write("done", [max(1, event.attempts), self.clock(), "" if outcome == "done" else outcome[:200],
                                          event.key])

    async def retry(self, event: Event, error: str, at: datetime) -> None:
        await InboundEvent.filter(key=event.key).update(attempts=event.attempts, last_error=error, state=event.state)

    async def park(self, event: Event, error: str) -> None:
        await InboundEvent.filter(key=event.key).update(status=InboundStatus.FAILED, attempts=event.attempts,
                                                        last_error=error, state=event.state, claimed_until=None)

    async def hold(self, event: Event, reason: str) -> None:
        await self.park(event, reason)

    async def release(self, events: list[Event]) -> None:
        await InboundEvent.filter(key__in=[e.key for e in events], status=InboundStatus.PENDING).update(
            claimed_until=None, claimed_by=None)

    async def drain(self) -> None:
        await self.journal.drain()


async def recent(platform: str, lane: str, since: datetime) -> list[tuple[dict, datetime]]:
    """A conversation's events stored since then, whoever stored them, with when (an album's messages, which a webhook
    brings one by one, perhaps to several processes)."""
    rows = await InboundEvent.filter(platform=platform, lane=lane, created_at__gte=since).order_by("id").values_list("payload", "created_at")
    return [(payload, created) for payload, created in rows]
