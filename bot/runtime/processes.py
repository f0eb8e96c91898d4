"""Several Relais processes on one database: a heartbeat row each, and the jobs only one process may run at a time
(Telegram polling, the Matrix sync, the scheduler's tick, the Mailman sync) held by lease in `process_role`.

A lease lasts two thirds of RELAIS_FAILOVER_S and is renewed every quarter of it, so after a kill -9 another
process takes the role within RELAIS_FAILOVER_S and resumes from the stored offset or sync token. A holder that
cannot renew (database out of reach) stops the job on its own before its lease ends, so two processes never run
it together; should one still store a batch late, the inbox's unique keys keep it from being handled twice.
A process not seen for a lease is dead: the inbox events it had claimed are given back at once.
"""

from __future__ import annotations

import asyncio
import fcntl
import logging
import os
import secrets
import socket
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Awaitable, Callable

from tortoise import connections
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from models import InboundEvent, InboundStatus, ProcessRole, RelaisProcess

log = logging.getLogger("relais.processes")


async def database_now() -> datetime:
    """PostgreSQL's clock (the machines' clocks may differ); on SQLite, which has one machine, this one's."""
    conn = connections.get("default")
    if conn.capabilities.dialect == "postgres":
        _, rows = await conn.execute_query("SELECT clock_timestamp()")
        return rows[0][0]
    return datetime.now(timezone.utc)


class Role:
    """One single-consumer job: `run(work)` runs `work()` only while this process holds the lease."""

    def __init__(self, name: str, lease: float, wake: Callable[[], None] = lambda: None):
        self.name = name
        self.lease = lease
        self.wanted = False
        self.until = 0.0  # monotonic time until which the lease is surely this process'
        self._wake = wake
        self._changed = asyncio.Event()

    @property
    def held(self) -> bool:
        return time.monotonic() < self.until

    def granted(self, sent: float) -> None:
        """Taken or renewed by a statement sent at monotonic time `sent`: the database's lease ends later still."""
        was = self.held
        self.until = sent + self.lease
        if not was:
            self._signal()

    def lost(self) -> None:
        if self.until:
            self.until = 0.0
            self._signal()

    def _signal(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    async def run(self, work: Callable[[], Awaitable[object]], stop: asyncio.Event | None = None) -> None:
        """Until cancelled: wait for the lease, run `work()` while it is held, cancel it when the lease is lost and
        wait again. Returns when `work()` ends by itself, or when `stop` is set while waiting."""
        self.wanted = True
        self._wake()
        while True:
            while not self.held:
                if stop is None:
                    await self._changed.wait()
                    continue
                waiters = [asyncio.ensure_future(self._changed.wait()), asyncio.ensure_future(stop.wait())]
                try:
                    await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
                finally:
                    for waiter in waiters:
                        waiter.cancel()
                if stop.is_set():
                    return
            log.info("role taken", extra={"role": self.name})
            task = asyncio.create_task(self._job(work), name=f"role:{self.name}")
            try:
                while not task.done() and self.held:
                    changed = asyncio.ensure_future(self._changed.wait())
                    try:
                        await asyncio.wait([task, changed], timeout=max(0.0, self.until - time.monotonic()),
                                           return_when=asyncio.FIRST_COMPLETED)
                    finally:
                        changed.cancel()
            finally:
                ended = task.done()
                if not ended:
                    task.cancel()
                    await asyncio.gather(task, return_exceptions=True)
            if ended:
                task.result()
                return
            log.warning("role lost: its job stopped here", extra={"role": self.name})

    @staticmethod
    async def _job(work: Callable[[], Awaitable[object]]) -> None:
        await work()


def solo(name: str) -> Role:
    """A role nobody contends for (a platform run outside `relais run`, in tests): held as long as it runs."""
    role = Role(name, lease=float("inf"))
    role.until = float("inf")
    return role


class Processes:
    """This process' heartbeat row and its roles; `alone`: the only service on its database (SQLite, locked)."""

    def __init__(self, failover: float = 15.0, alone: bool = False):
        self.id = secrets.token_hex(8)
        self.host = socket.gethostname()
        self.pid = os.getpid()
        self.alone = alone
        self.lease = failover * 2 / 3
        self.beat = failover / 4
        self.roles: dict[str, Role] = {}
        self.reaped: list[Callable[[], None]] = []  # called when a dead process' claims were given back
        self._wake = asyncio.Event()
        self._beating = asyncio.Lock()
        self._stopping = False
        self._task: asyncio.Task | None = None
        self.registered = False

    def role(self, name: str) -> Role:
        if name not in self.roles:
            # Alone, a role once taken is never lost: a slow heartbeat must not stop the job (its rows are for status).
            self.roles[name] = Role(name, float("inf") if self.alone else self.lease, self._wake.set)
        return self.roles[name]

    async def start(self) -> None:
        now = await database_now()
        if self.alone:  # what a killed service left: nobody else can hold it
            await ProcessRole.all().delete()
            await RelaisProcess.all().delete()
        await RelaisProcess.create(id=self.id, host=self.host[:255], pid=self.pid, started_at=now, seen_at=now)
        self.registered = True
        self._task = asyncio.create_task(self._loop(), name="processes")

    async def stop(self) -> None:
        """Give the roles back at once (another process takes them without waiting for the lease to end)."""
        task, self._task = self._task, None
        if task is not None and not task.done():
            self._stopping = True  # the beat under way ends first: a transaction cut short would keep SQLite locked
            self._wake.set()
            try:
                await asyncio.wait_for(asyncio.shield(task), self.beat + 5)
            except TimeoutError:  # the database does not answer: nothing more to wait for
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
        for role in self.roles.values():
            role.lost()
        if self.registered:
            try:  # what this process still held (a batch stored as it stopped) is for the others' sweeps now
                await InboundEvent.filter(claimed_by=self.id, status=InboundStatus.PENDING).update(claimed_until=None, claimed_by=None)
                await ProcessRole.filter(holder=self.id).delete()
                await RelaisProcess.filter(id=self.id).delete()
            except Exception:
                log.exception("process not unregistered")
            self.registered = False

    async def _loop(self) -> None:
        while not self._stopping:
            self._wake.clear()  # a role wanted from now on wakes the next beat
            try:
                await self.heartbeat()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # database out of reach: the roles end by themselves when their lease does
                log.warning("heartbeat failed", extra={"error": f"{type(exc).__name__}: {exc}"[:300]})
            if self._stopping:
                return
            try:
                await asyncio.wait_for(self._wake.wait(), self.beat)
            except TimeoutError:
                pass

    async def heartbeat(self) -> None:
        """Seen now; take or renew the roles wanted; give back the claims of processes that died."""
        async with self._beating:  # one at a time: two beats of one process would undo each other's lease
            await self._heartbeat()

    async def _heartbeat(self) -> None:
        sent = time.monotonic()
        now = await database_now()
        if not await RelaisProcess.filter(id=self.id).update(seen_at=now):
            log.error("this process was taken for dead (no heartbeat for a lease): registering again")
            await RelaisProcess.create(id=self.id, host=self.host[:255], pid=self.pid, started_at=now, seen_at=now)
        for role in list(self.roles.values()):  # a role may be asked for meanwhile
            if role.wanted:
                if await self._lease(role.name, now):
                    role.granted(sent)
                else:
                    role.lost()
        await self.reap(now)

    async def _lease(self, name: str, now: datetime) -> bool:
        """Renew the lease, or take it when it ran out; one UPDATE each, so two processes never both take it."""
        until = now + timedelta(seconds=self.lease)
        if await ProcessRole.filter(role=name, holder=self.id).update(expires_at=until):
            return True
        if await ProcessRole.filter(role=name, expires_at__lt=now).update(holder=self.id, expires_at=until, taken_at=now):
            return True
        if await ProcessRole.exists(role=name):
            return False
        try:
            await ProcessRole.create(role=name, holder=self.id, expires_at=until, taken_at=now)
        except IntegrityError:  # another process created it first
            return False
        return True

    async def reap(self, now: datetime) -> int:
        """Processes not seen for a lease are gone: the inbox events they held are free for the others' sweeps."""
        dead = await RelaisProcess.filter(seen_at__lt=now - timedelta(seconds=self.lease)).exclude(id=self.id) \
            .values_list("id", flat=True)
        reaped = 0
        for gone in dead:
            async with in_transaction() as conn:  # the process that deletes the row frees its claims; the others skip it
                if not await RelaisProcess.filter(id=gone).using_db(conn).delete():
                    continue
                freed = await InboundEvent.filter(claimed_by=gone, status=InboundStatus.PENDING).using_db(conn).update(
                    claimed_until=None, claimed_by=None)
                await ProcessRole.filter(holder=gone, expires_at__lt=now).using_db(conn).delete()
            reaped += 1
            log.warning("a process is gone: its work is taken over", extra={"gone": gone, "events": freed})
        if reaped:
            for callback in self.reaped:
                callback()
        return reaped


class AlreadyRunning(RuntimeError):
    pass


class ServiceLock:
    """SQLite has room for one service: `relais run` holds an exclusive lock on a file beside the database while it
    serves (the system frees it when the process ends, kill -9 included); the console and the CLI take none."""

    def __init__(self, path: Path):
        self.path = path
        self._fd: int | None = None

    def acquire(self) -> None:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 200, 0).decode(errors="replace").strip() or "another process"
            os.close(fd)
            raise AlreadyRunning(f"a Relais service already runs on this SQLite database ({holder}); SQLite has room for one. "
                                 "Stop it first, or use PostgreSQL (RELAIS_DATABASE_URL) to run several. "
                                 "`relais console`, `relais status` and the other commands work beside it.") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()} on {socket.gethostname()}, since {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC\n".encode(), 0)
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the file lets the lock go
            self._fd = None
