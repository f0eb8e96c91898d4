"""Telegram updates in: translated to Incoming, persisted before Telegram is told, handled once, in order per chat."""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Awaitable, Callable

from aiogram.types import Message, Update, User
from tortoise import connections
from tortoise.transactions import in_transaction

from bot.core.incoming import Incoming
from bot.core.parser import split_line
from models import AdapterState, InboundEvent, InboundStatus

if TYPE_CHECKING:
    from bot.adapters.telegram.adapter import TelegramAdapter

log = logging.getLogger("relais.telegram")

PLATFORM = "telegram"
# chat_member is opt-in on Telegram, and reaches only bots that are administrators of the group.
ALLOWED_UPDATES = ["message", "callback_query", "my_chat_member", "chat_member"]
MAX_ATTEMPTS = 5
IN_FLIGHT = 2000  # accepted but unhandled updates before the poller waits for the workers


def display_name(user: User) -> str:
    return " ".join(p for p in (user.first_name, user.last_name) if p) or str(user.id)


def to_incoming(message: Message, me: User) -> Incoming | None:
    """The Incoming for a text message, or None when it is not for Relais (chatter, `/cmd@otherbot`)."""
    text, user = message.text, message.from_user
    if not text or user is None or user.is_bot:
        return None
    group = message.chat.type != "private"
    addressed = False
    entities = message.entities or []
    first = entities[0] if entities else None
    if first is not None and first.type == "bot_command" and first.offset == 0:
        _, _, addressee = first.extract_from(text).partition("@")
        if addressee and addressee.lower() != (me.username or "").lower():
            return None  # Telegram marks it as a command for another bot
    # A mention of the bot addresses it and is removed from the text (offsets count UTF-16 units).
    mention = "@" + (me.username or "").lower()
    encoded = text.encode("utf-16-le")
    for entity in sorted(entities, key=lambda e: -e.offset):
        if entity.type == "mention" and entity.extract_from(text).lower() == mention:
            encoded = encoded[:entity.offset * 2] + encoded[(entity.offset + entity.length) * 2:]
            addressed = True
    text = " ".join(encoded.decode("utf-16-le").split(" ")).strip()
    replied = message.reply_to_message
    if replied is not None and replied.from_user is not None and replied.from_user.id == me.id:
        addressed = True  # answering one of Relais' messages
    if group and not addressed:
        line = split_line(text)
        if line is None or not line.prefixed:
            return None  # group chatter is none of Relais' business (and is not stored)
    if not text:
        return None
    return Incoming(platform=PLATFORM, address=str(user.id), text=text, display_name=display_name(user),
                    chat=str(message.chat.id) if group else None, locale=user.language_code,
                    addressed=addressed, message_id=str(message.message_id))


def chat_of(update: Update) -> int | None:
    """The chat an update is about: its handling is ordered with the other updates of that chat."""
    if update.message is not None:
        return update.message.chat.id
    if update.callback_query is not None:
        query = update.callback_query
        return query.message.chat.id if query.message is not None else query.from_user.id
    member = update.my_chat_member or update.chat_member
    return member.chat.id if member is not None else None


def relevant(update: Update, me: User) -> bool:
    """Whether Relais has anything to do with the update (only those are stored)."""
    message = update.message
    if message is not None:
        return bool(message.new_chat_members or message.migrate_to_chat_id or to_incoming(message, me))
    return update.callback_query is not None or update.my_chat_member is not None or update.chat_member is not None


@dataclass
class Event:
    key: str
    chat: int
    update: Update
    state: dict  # {"update": raw JSON, "actions": [...], "next": n} once planned
    attempts: int


class Inbox:
    """Accepted updates: stored with the offset in one transaction, then handled by one worker per chat."""

    def __init__(self, adapter: TelegramAdapter, run: Callable[[Event], Awaitable[None]], concurrency: int = 32):
        self.adapter = adapter
        self.run = run
        self.slots = asyncio.Semaphore(concurrency)
        self.journal = Journal()
        self._queues: dict[int, list[Event]] = {}
        self._workers: dict[int, asyncio.Task] = {}
        self._keys: set[str] = set()
        self._room = asyncio.Event()
        self._room.set()

    def key(self, update_id: int) -> str:
        return f"telegram:{self.adapter.me.id}:{update_id}"

    @property
    def offset_key(self) -> str:
        return f"telegram:{self.adapter.me.id}:offset"

    async def offset(self) -> int:
        state = await AdapterState.get_or_none(key=self.offset_key)
        return int(state.value) if state else 0

    async def accept(self, updates: list[Update]) -> int:
        """Store what concerns Relais and the new offset together; returns the highest update id."""
        me = self.adapter.me
        wanted = {self.key(u.update_id): u for u in updates if relevant(u, me)}
        last = max(u.update_id for u in updates)
        async with in_transaction() as conn:
            known = set(await InboundEvent.filter(key__in=list(wanted)).using_db(conn).values_list("key", flat=True)) if wanted else set()
            fresh = {k: (u, {"update": _raw(u)}) for k, u in wanted.items() if k not in known}  # Telegram may repeat one
            if fresh:
                await InboundEvent.bulk_create(
                    [InboundEvent(platform=PLATFORM, key=k, payload=state) for k, (_, state) in fresh.items()], using_db=conn)
            await AdapterState.update_or_create(key=self.offset_key, defaults={"value": str(last)}, using_db=conn)
        for key, (update, state) in fresh.items():
            self._schedule(Event(key, chat_of(update) or 0, update, state, 0))
        return last

    async def resume(self) -> int:
        """Schedule what a previous run accepted but did not finish."""
        rows = await InboundEvent.filter(platform=PLATFORM, status=InboundStatus.PENDING,
                                         key__startswith=f"telegram:{self.adapter.me.id}:").order_by("id")
        for row in rows:
            if row.key in self._keys:
                continue
            update = Update.model_validate(row.payload["update"], context={"bot": self.adapter.bot})
            self._schedule(Event(row.key, chat_of(update) or 0, update, row.payload, row.attempts))
        if rows:
            log.info("telegram updates resumed", extra={"count": len(rows)})
        return len(rows)

    async def room(self) -> None:
        await self._room.wait()

    def in_flight(self) -> int:
        return len(self._keys)

    def _schedule(self, event: Event) -> None:
        self._keys.add(event.key)
        self._queues.setdefault(event.chat, []).append(event)
        if event.chat not in self._workers:
            self._workers[event.chat] = asyncio.create_task(self._work(event.chat))
        if len(self._keys) >= IN_FLIGHT:
            self._room.clear()

    async def _work(self, chat: int) -> None:
        queue = self._queues[chat]
        try:
            while queue:
                event = queue[0]
                await self._attempt(event)
                queue.pop(0)
                self._keys.discard(event.key)
                if len(self._keys) < IN_FLIGHT:
                    self._room.set()
        finally:
            self._queues.pop(chat, None)
            self._workers.pop(chat, None)

    async def _attempt(self, event: Event) -> None:
        """Run one event until done; a failure is logged and retried, and parked as failed after MAX_ATTEMPTS."""
        while True:
            try:
                await self.run(event)
                return
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                event.attempts += 1
                failed = event.attempts >= MAX_ATTEMPTS
                log.exception("telegram update failed", extra={"key": event.key, "attempts": event.attempts})
                try:
                    await InboundEvent.filter(key=event.key).update(
                        attempts=event.attempts, last_error=f"{type(exc).__name__}: {str(exc)[:300]}",
                        status=InboundStatus.FAILED if failed else InboundStatus.PENDING)
                except Exception:  # the database itself is failing: the event stays pending there, try again here
                    log.exception("telegram update not marked", extra={"key": event.key})
                    failed = False
                if failed:
                    return
                await asyncio.sleep(min(60.0, 2.0 ** event.attempts))

    async def stop(self, grace: float = 5.0) -> None:
        """Let the workers finish what they do for `grace` seconds; the rest stays pending for the next start."""
        workers = list(self._workers.values())
        if workers:
            _, late = await asyncio.wait(workers, timeout=grace)
            for task in late:
                task.cancel()
            await asyncio.gather(*late, return_exceptions=True)
        await self.journal.drain()
        self._queues.clear()
        self._keys.clear()
        self._room.set()


# One statement for both steps of an event: its plan stored (payload), then done (status, handled_at).
_PROGRESS = {
    "sqlite": 'UPDATE "inbound_event" SET "payload" = COALESCE(?, "payload"), "status" = ?, "attempts" = ?, '
              '"handled_at" = ? WHERE "key" = ?',
    "postgres": 'UPDATE "inbound_event" SET "payload" = COALESCE($1::jsonb, "payload"), "status" = $2, "attempts" = $3, '
                '"handled_at" = $4 WHERE "key" = $5',
}


class Journal:
    """Group commit of the events' progress: each worker waits until its own row is stored, and one executemany
    stores what all the workers wrote meanwhile (per-row ORM updates cost a third of the adapter's time)."""

    def __init__(self) -> None:
        self._rows: list[list] = []
        self._waiters: list[asyncio.Future] = []
        self._flusher: asyncio.Task | None = None

    async def write(self, event: Event, status: InboundStatus, payload: dict | None = None) -> None:
        done = datetime.now(timezone.utc) if status == InboundStatus.DONE else None
        future = asyncio.get_running_loop().create_future()
        self._rows.append([None if payload is None else json.dumps(payload, ensure_ascii=False), status.value,
                           max(1, event.attempts), done, event.key])
        self._waiters.append(future)
        if self._flusher is None:
            self._flusher = asyncio.create_task(self._flush())
        await future

    async def _flush(self) -> None:
        try:
            while self._rows:
                rows, waiters = self._rows, self._waiters
                self._rows, self._waiters = [], []
                try:
                    conn = connections.get("default")
                    await conn.execute_many(_PROGRESS[conn.capabilities.dialect], rows)
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


def _raw(update: Update) -> dict:
    return update.model_dump(mode="json", exclude_unset=True, exclude_none=True, by_alias=True)
