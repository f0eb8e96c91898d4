"""One inbox for every channel: events stored before they are acknowledged, handled in per-conversation lanes
(order kept within a chat, chats side by side), retried with one back-off policy, parked after the last try.

The store is a table (`InboundEvent` for chat platforms, `InboundMail` for mail); the engine is the same.
A process holds the events it works on with a lease, so a crash leaves them to the next start (or to another
process), and `sweep()` picks up what is due: leftovers of a previous run, held mail released, retries.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Awaitable, Callable, Protocol

from bot.core.numbers import clean_all

log = logging.getLogger("relais.inbox")


@dataclass(frozen=True)
class Policy:
    """How often and how patiently an event is tried: 2, 4, 8 … seconds apart, at most `cap`, `tries` times."""

    tries: int = 5
    base: float = 2.0
    cap: float = 60.0

    def delay(self, attempts: int) -> float:
        return min(self.cap, self.base ** attempts)


@dataclass
class Event:
    """One stored event: `lane` orders it with the others of its conversation; `obj` is the parsed platform
    object when the event was just received (so the hot path does not parse it twice); `state` is what the
    handler stored of its progress (the planned calls)."""

    key: str
    lane: str
    payload: dict
    id: int | None = None
    attempts: int = 0
    obj: Any = None
    state: dict = field(default_factory=dict)


class Held(Exception):
    """The event waits for something outside Relais (mail from an address not confirmed yet): kept, not retried."""


class Store(Protocol):
    async def insert(self, events: list[Event], also: Callable | None, lease_until: datetime) -> list[Event]:
        """Store the events not known yet (claimed by this process), and run `also(connection)` in the same
        transaction (the adapter's cursor: Telegram's offset, Matrix's sync token); returns the new ones."""

    async def claim(self, now: datetime, lease_until: datetime, limit: int, takeover: bool = False) -> list[Event]:
        """Take due events nobody holds: pending, not waiting for a retry, lease over (`takeover`: whatever
        the lease, at the start of the only process allowed to run)."""

    async def release(self, events: list[Event]) -> None:
        """Give back the leases of events this process will not finish (it is stopping)."""

    async def drain(self) -> None:
        """Finish the writes under way (a group commit) before the database closes."""

    async def save(self, event: Event) -> None:
        """Store the event's progress (`event.state`) before its next side effect."""

    async def done(self, event: Event, outcome: str) -> None: ...

    async def retry(self, event: Event, error: str, at: datetime) -> None: ...

    async def park(self, event: Event, error: str) -> None: ...

    async def hold(self, event: Event, reason: str) -> None: ...


Handler = Callable[[Event], Awaitable[str | None]]


class Inbox:
    """The engine: lanes, retries, parking. `handler(event)` does the work and returns an outcome (logged)."""

    def __init__(self, name: str, store: Store, handler: Handler, clock: Callable[[], datetime], policy: Policy = Policy(),
                 concurrency: int = 32, lease: float = 300.0, max_in_flight: int = 2000, sweep_every: float = 5.0,
                 alone: bool = True):
        """`alone`: the only process on its database (SQLite), so it may take over every lease at start."""
        self.name = name
        self.alone = alone
        self.store = store
        self.handler = handler
        self.clock = clock
        self.policy = policy
        self.slots = asyncio.Semaphore(concurrency)
        self.lease = timedelta(seconds=lease)
        self.max_in_flight = max_in_flight
        self.sweep_every = sweep_every
        self.parked = 0
        self._lanes: dict[str, list[Event]] = {}
        self._workers: dict[str, asyncio.Task] = {}
        self._keys: set[str] = set()
        self._room = asyncio.Event()
        self._room.set()
        self._wake = asyncio.Event()
        self._stopping = False

    # -- in ---------------------------------------------------------------------------------------------

    async def accept(self, events: list[Event], also: Callable | None = None) -> list[Event]:
        """Store the events (and the adapter's cursor, in one transaction), then schedule the new ones. Their text is
        cleaned first (a NUL would be refused by PostgreSQL); an event the database still refuses is parked alone and
        the others go on: one message never stops a channel."""
        for event in events:
            event.payload = clean_all(event.payload)
        try:
            fresh = await self.store.insert(events, also, self.clock() + self.lease)
        except Exception as exc:
            if not events:
                raise  # the cursor alone: the database is down, the adapter tries again
            log.warning("inbox batch refused: storing its events one by one", extra={"inbox": self.name, "count": len(events),
                                                                                      "error": type(exc).__name__})
            fresh = await self._one_by_one(events, also)
        self.submit(fresh)
        return fresh

    async def _one_by_one(self, events: list[Event], also: Callable | None) -> list[Event]:
        lease = self.clock() + self.lease
        fresh: list[Event] = []
        for event in events:
            try:
                fresh += await self.store.insert([event], None, lease)
            except Exception as exc:
                error = f"not storable: {type(exc).__name__}: {str(exc)[:200]}"
                placeholder = Event(event.key, event.lane, {"unstorable": True, "error": error})
                if await self.store.insert([placeholder], None, lease):
                    await self.store.park(placeholder, error)  # `relais failed` shows it; the channel goes on
                    self.parked += 1
                log.error("inbox event parked: the database refused it", extra={"inbox": self.name, "key": event.key[:100],
                                                                                "error": error})
        await self.store.insert([], also, lease)  # the cursor moves past the batch
        return fresh

    def submit(self, events: list[Event]) -> None:
        for event in events:
            if event.key in self._keys:
                continue
            self._keys.add(event.key)
            self._lanes.setdefault(event.lane, []).append(event)
            if event.lane not in self._workers:
                self._workers[event.lane] = asyncio.create_task(self._work(event.lane), name=f"{self.name}:{event.lane}")
        if len(self._keys) >= self.max_in_flight:
            self._room.clear()

    async def room(self) -> None:
        """Wait while too many events are in flight (the poller slows down instead of piling up)."""
        await self._room.wait()

    async def resume(self) -> int:
        """At start: schedule every pending event, the previous run's leases included (it is gone) when this is
        the only process; beside others, what a dead one held is given back by bot/runtime/processes.py."""
        return await self.sweep(takeover=self.alone)

    async def sweep(self, limit: int = 500, takeover: bool = False) -> int:
        """Schedule what is due in the store: a previous run's leftovers, released mail, another process' dead work."""
        now = self.clock()
        events = await self.store.claim(now, now + self.lease, limit, takeover)
        events = [e for e in events if e.key not in self._keys]
        self.submit(events)
        if events:
            log.info("inbox resumed events", extra={"inbox": self.name, "count": len(events)})
        return len(events)

    def wake(self) -> None:
        self._wake.set()

    async def run(self, stop: asyncio.Event) -> None:
        """Sweep now, then whenever woken or every `sweep_every` seconds, until `stop`."""
        while not stop.is_set():
            try:
                while await self.sweep() and not stop.is_set():
                    await self.room()
            except Exception:
                log.exception("inbox sweep failed", extra={"inbox": self.name})
            self._wake.clear()
            waiters = [asyncio.ensure_future(self._wake.wait()), asyncio.ensure_future(stop.wait())]
            await asyncio.wait(waiters, timeout=self.sweep_every, return_when=asyncio.FIRST_COMPLETED)
            for w in waiters:
                w.cancel()

    # -- work -------------------------------------------------------------------------------------------

    async def _work(self, lane: str) -> None:
        queue = self._lanes[lane]
        try:
            while queue and not self._stopping:
                event = queue[0]
                await self._attempt(event)
                queue.pop(0)
                self._keys.discard(event.key)
                if len(self._keys) < self.max_in_flight:
                    self._room.set()
        finally:
            if not queue:  # stopping leaves the rest here, for stop() to give back
                self._lanes.pop(lane, None)
            self._workers.pop(lane, None)

    async def _attempt(self, event: Event) -> None:
        """Run one event until done, held or parked; failures wait in the lane, so the chat's order is kept."""
        while True:
            try:
                async with self.slots:
                    outcome = await self.handler(event)
                await self.store.done(event, outcome or "done")
                return
            except asyncio.CancelledError:
                raise
            except Held as held:
                await self._quietly(self.store.hold(event, str(held)), event)
                return
            except Exception as exc:
                event.attempts += 1
                error = f"{type(exc).__name__}: {str(exc)[:300]}"
                parked = event.attempts >= self.policy.tries
                log.warning("inbox event failed", exc_info=exc,
                            extra={"inbox": self.name, "key": event.key, "attempts": event.attempts, "parked": parked})
                delay = self.policy.delay(event.attempts)
                if parked:
                    self.parked += 1
                    if await self._quietly(self.store.park(event, error), event):
                        return
                else:
                    await self._quietly(self.store.retry(event, error, self.clock() + timedelta(seconds=delay)), event)
                await asyncio.sleep(delay)

    async def _quietly(self, write: Awaitable, event: Event) -> bool:
        """A bookkeeping write; when the database itself fails the event stays pending and is tried again here."""
        try:
            await write
            return True
        except Exception:
            log.exception("inbox bookkeeping failed", extra={"inbox": self.name, "key": event.key})
            return False

    async def idle(self) -> None:
        """Wait until every scheduled event is handled (tests and benchmarks)."""
        while self._workers:
            await asyncio.gather(*list(self._workers.values()), return_exceptions=True)

    async def stop(self, grace: float = 5.0) -> None:
        """Let the lanes finish the event under way for `grace` seconds; the rest stays stored for the next start."""
        self._stopping = True
        workers = list(self._workers.values())
        if workers:
            _, late = await asyncio.wait(workers, timeout=grace)
            for task in late:
                task.cancel()
            await asyncio.gather(*late, return_exceptions=True)
        left = [event for queue in self._lanes.values() for event in queue]
        if left:
            await self._quietly(self.store.release(left), left[0])
        await self.store.drain()
        self._lanes.clear()
        self._keys.clear()
        self._room.set()
        self._stopping = False
