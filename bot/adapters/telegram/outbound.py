"""The way out to Telegram: flood limits kept, 429s waited out and retried, and the delivery channel."""

from __future__ import annotations

import asyncio
import logging
from collections import Counter, deque
from typing import TYPE_CHECKING, Any

from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.methods import SendMessage
from aiolimiter import AsyncLimiter

from bot.core.delivery import TemporaryFailure, Unreachable
from bot.core.replies import Reply
from models import Account, AdapterState, OutboxMessage

if TYPE_CHECKING:
    from bot.adapters.telegram.adapter import TelegramAdapter

log = logging.getLogger("relais.telegram")

CHAT_BURST = 3  # Telegram tolerates a short burst in one private chat, then about one message a second
GROUP_SLACK = 0.25  # seconds added to a group's minute: our clock starts before the request reaches Telegram
MARGIN = 0.02  # a little under each rate: our clock starts before the request reaches Telegram (20 ms a second)
LATE = 0.005  # seconds a turn may start late before it is given up (the margin absorbs that much)
CLUSTER = 10  # 429s in this many chats within a second: the bot as a whole is over the limit, pause every chat
GONE = ("chat not found", "user not found", "PEER_ID_INVALID")


class Send(SendMessage):
    """sendMessage whose answer is checked but not turned into a Message: Relais never reads it, and building
    that object tree took a sixth of the adapter's time (measured with bench/telegram.py)."""

    __returning__ = dict


class Window:
    """At most `count` acquisitions in any `period` seconds: how Telegram counts a group's messages."""

    def __init__(self, count: int, period: float):
        self.count = count
        self.period = period
        self.times: deque[float] = deque()
        self.lock = asyncio.Lock()

    async def acquire(self) -> None:
        async with self.lock:  # one waiter at a time keeps the group's messages in order
            loop = asyncio.get_running_loop()
            while True:
                now = loop.time()
                while self.times and self.times[0] <= now - self.period:
                    self.times.popleft()
                if len(self.times) < self.count:
                    self.times.append(now)
                    return
                await asyncio.sleep(self.times[0] + self.period - now)


class Pace:
    """Evenly spaced turns for the bot's overall rate, a little under it (Telegram counts any one-second window).

    Turns are booked on a schedule as callers arrive, so waiting callers keep their pace even when the event
    loop wakes them a little late (a capacity-1 aiolimiter counts from the late wake-up and lost 11 % of the
    rate, measured); a caller woken much too late takes a new turn instead of bunching up with the next ones,
    and a larger aiolimiter bucket would burst past the one-second count."""

    def __init__(self, rate: float):
        self.gap = 1.0 / (rate * (1.0 - MARGIN))
        self.next = 0.0

    async def acquire(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            now = loop.time()
            turn = max(now, self.next)
            self.next = turn + self.gap
            if turn > now:
                await asyncio.sleep(turn - now)
            if loop.time() - turn <= LATE:
                return


class Sender:
    """Every call that posts to a chat goes through here, so the whole bot keeps Telegram's limits.

    Sends are spaced evenly for the global rate (Telegram counts any one-second window), each private chat
    gets a short burst then `chat_rate` (aiolimiter's leaky bucket), each group `group_per_minute` in any minute. A 429 holds its chat for
    `retry_after` and the call is tried again; 429s in several chats at once pause every chat.
    """

    def __init__(self, bot, global_rate: float = 30.0, chat_rate: float = 1.0, group_per_minute: int = 20,
                 group_period: float = 60.0, retry_base: float = 0.5):
        self.bot = bot
        self.global_limit = Pace(global_rate)
        self.chat_rate = chat_rate
        self.group_per_minute = group_per_minute
        self.group_period = group_period + GROUP_SLACK
        self.retry_base = retry_base
        self._chats: dict[int, AsyncLimiter] = {}
        self._groups: dict[int, Window] = {}
        self._held: dict[int, float] = {}
        self._paused_until = 0.0
        self._recent: deque[tuple[float, int]] = deque()
        self.counts: Counter[str] = Counter()  # sent, retry_after, retried: read by tests and the benchmark

    def held_for(self, chat_id: int) -> float:
        """Seconds before a 429 lets this chat (or the whole bot) be sent to again."""
        until = max(self._paused_until, self._held.get(chat_id, 0.0))
        return max(0.0, until - asyncio.get_running_loop().time())

    async def call(self, method, chat_id: int | None = None, kind: str = "send", attempts: int | None = None,
                   wait_429: bool = True) -> Any:
        """Run a Bot API method; `kind` is send (counts everywhere), edit (global and private chat) or answer.

        A 429 is waited out and the call tried again; with `wait_429=False` it is raised after the chat is held
        (the outbox then retries later, and does not keep its other messages waiting). Network and server errors
        are retried with back-off, `attempts` times at most (None: until it works)."""
        failures = 0
        while True:
            await self._turn(chat_id, kind)
            try:
                result = await self.bot(method)
            except TelegramRetryAfter as exc:
                self._hold(chat_id, exc.retry_after)
                if not wait_429:
                    raise
                continue
            except (TelegramNetworkError, TelegramServerError) as exc:
                failures += 1
                self.counts["retried"] += 1
                log.warning("telegram call failed", extra={"method": type(method).__name__, "error": str(exc)[:200], "failures": failures})
                if attempts is not None and failures >= attempts:
                    raise
                await asyncio.sleep(min(30.0, self.retry_base * 2 ** failures))
                continue
            self.counts[kind] += 1
            return result

    async def _turn(self, chat_id: int | None, kind: str) -> None:
        loop = asyncio.get_running_loop()
        while True:  # a 429 may arrive while this call waits: look again after each wait
            until = max(self._paused_until, self._held.get(chat_id, 0.0) if chat_id is not None else 0.0)
            if until <= loop.time():
                break
            await asyncio.sleep(until - loop.time())
        if kind == "answer" or chat_id is None:
            return
        if chat_id > 0:
            limiter = self._chats.get(chat_id)
            if limiter is None:
                if len(self._chats) > 50_000:  # forget chats whose bucket is empty again
                    self._chats = {k: v for k, v in self._chats.items() if not v.has_capacity(CHAT_BURST)}
                limiter = self._chats[chat_id] = AsyncLimiter(CHAT_BURST, CHAT_BURST / (self.chat_rate * (1.0 - MARGIN)))
            await limiter.acquire()
        elif kind == "send":
            window = self._groups.get(chat_id)
            if window is None:
                window = self._groups[chat_id] = Window(self.group_per_minute, self.group_period)
            await window.acquire()
        await self.global_limit.acquire()

    def _hold(self, chat_id: int | None, retry_after: float) -> None:
        loop = asyncio.get_running_loop()
        now = loop.time()
        self.counts["retry_after"] += 1
        log.warning("telegram flood control", extra={"chat_id": chat_id, "retry_after": retry_after})
        if chat_id is not None:
            self._held[chat_id] = max(self._held.get(chat_id, 0.0), now + retry_after)
        self._recent.append((now, chat_id or 0))
        while self._recent and self._recent[0][0] < now - 1.0:
            self._recent.popleft()
        if chat_id is None or len({c for _, c in self._recent}) >= CLUSTER:
            self._paused_until = max(self._paused_until, now + retry_after)


class TelegramChannel:
    """Delivery of notifications to a person's private chat with the bot (they must have pressed Start)."""

    platform = "telegram"

    def __init__(self, adapter: TelegramAdapter):
        self.adapter = adapter

    async def deliver(self, account: Account, reply: Reply, message: OutboxMessage) -> None:
        await self._send(int(account.address), reply, message, group=False)

    async def post(self, chat: str, reply: Reply, message: OutboxMessage) -> None:
        """A message for a group bound to a community (the weekly summary); a group that is gone is retried later."""
        try:
            await self._send(int(chat), reply, message, group=True)
        except Unreachable as exc:
            raise TemporaryFailure(str(exc)) from exc

    async def _send(self, chat_id: int, reply: Reply, message: OutboxMessage, group: bool) -> None:
        if not await self.adapter.wait_ready(10.0):
            raise TemporaryFailure("Telegram is not connected yet")
        parts = await self.adapter.render(reply, group=group)
        # Telegram has no idempotency key; a long notification remembers its parts so a retry sends only the rest.
        progress = f"telegram:outbox:{message.id}"
        done = 0
        if len(parts) > 1:
            state = await AdapterState.get_or_none(key=progress)
            done = int(state.value) if state else 0
        sender = self.adapter.sender
        for number, part in enumerate(parts[done:], done + 1):
            held = sender.held_for(chat_id)
            if held:  # Telegram asked to wait: the outbox tries again later, other people's notifications go on
                raise TemporaryFailure(f"flood control: {held:.0f} s to wait")
            method = Send(chat_id=chat_id, text=part.html, parse_mode="HTML", reply_markup=part.markup,
                                 link_preview_options=self.adapter.no_preview)
            try:
                await sender.call(method, chat_id, attempts=3, wait_429=False)
            except TelegramRetryAfter as exc:
                raise TemporaryFailure(f"flood control: retry after {exc.retry_after} s") from exc
            except TelegramForbiddenError as exc:  # blocked the bot, never started it, deactivated
                raise Unreachable(exc.message) from exc
            except TelegramBadRequest as exc:
                if any(gone in exc.message for gone in GONE):
                    raise Unreachable(exc.message) from exc
                raise TemporaryFailure(exc.message) from exc
            except (TelegramNetworkError, TelegramServerError) as exc:
                raise TemporaryFailure(str(exc)) from exc
            if len(parts) > 1 and number < len(parts):
                await AdapterState.update_or_create(key=progress, defaults={"value": str(number)})
        if len(parts) > 1:
            await AdapterState.filter(key=progress).delete()
