"""The shape every queue of Relais shares: claim due rows with a lease, work them, sleep until woken."""

from __future__ import annotations

import asyncio
import logging
from abc import ABC, abstractmethod
from datetime import datetime, timedelta

from tortoise import connections
from tortoise.expressions import Q
from tortoise.transactions import in_transaction

log = logging.getLogger("relais.work")


async def claim(model, due: Q, working_status, now: datetime, lease: timedelta, batch: int) -> list:
    """Take up to `batch` rows that are `due` or whose lease ran out, and lease them to this process.

    On PostgreSQL the rows are locked with SKIP LOCKED, so two processes never take the same row. Shielded: a loop
    stopped mid-claim lets the transaction commit (cut short, it would keep SQLite's one connection locked)."""
    if batch <= 0:
        return []
    return await asyncio.shield(_claim(model, due, working_status, now, lease, batch))


async def _claim(model, due: Q, working_status, now: datetime, lease: timedelta, batch: int) -> list:
    async with in_transaction() as conn:
        query = model.filter(due | Q(status=working_status, claimed_until__lt=now)).order_by("id").limit(batch)
        if connections.get("default").capabilities.dialect == "postgres":
            query = query.select_for_update(skip_locked=True)
        rows = await query.using_db(conn)
        if rows:
            await model.filter(id__in=[r.id for r in rows]).using_db(conn).update(status=working_status,
                                                                                  claimed_until=now + lease)
    return rows


class WorkLoop(ABC):
    """Runs `work_due()` (returns how many rows it handled) until stopped; `wake()` cuts the wait short."""

    interval: float = 1.0
    name = "work loop"

    def _wake_event(self) -> asyncio.Event:
        if not hasattr(self, "_wake"):
            self._wake = asyncio.Event()
        return self._wake

    def wake(self) -> None:
        self._wake_event().set()

    @abstractmethod
    async def work_due(self) -> int:
        """One pass: claim what is due, work it, return how many rows were handled."""

    async def run(self, stop: asyncio.Event) -> None:
        """Until `stop` is set; the pass under way is finished first, the rest stays stored."""
        wake = self._wake_event()
        while not stop.is_set():
            try:
                if await self.work_due():
                    continue
            except Exception:
                log.exception("pass failed", extra={"loop": self.name})
            wake.clear()
            waiters = [asyncio.ensure_future(wake.wait()), asyncio.ensure_future(stop.wait())]
            await asyncio.wait(waiters, timeout=self.interval, return_when=asyncio.FIRST_COMPLETED)
            for w in waiters:
                w.cancel()

    async def drain(self, rounds: int = 50) -> int:
        """Work what is due now, pass after pass, until nothing is left (at exit and in tests)."""
        total = 0
        for _ in range(rounds):
            done = await self.work_due()
            total += done
            if not done:
                break
        return total
