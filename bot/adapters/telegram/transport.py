"""The way to Telegram: aiogram's HTTP session sending JSON, Relais' own light method types, and the flood limits.

Relais builds its calls from plain dicts (its renderer's output, stored with the event): the methods below
carry them as they are and return the raw result, and the session posts JSON (multipart only for uploads).
Building aiogram's form data and result objects took a third of the adapter's time (bench/telegram.py).
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter, deque
from typing import Any

from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.exceptions import TelegramNetworkError, TelegramRetryAfter, TelegramServerError
from aiogram.methods.base import TelegramMethod
from aiogram.types import InputFile
from aiohttp import ClientError, ClientTimeout
from aiolimiter import AsyncLimiter

log = logging.getLogger("relais.telegram")


class Light(TelegramMethod[Any]):
    """A Relais call: made of plain JSON (its renderer's output), built without validation (`of`), posted as is."""

    __returning__ = Any

    @classmethod
    def of(cls, **fields: Any):
        return cls.model_construct(**{k: v for k, v in fields.items() if v is not None})

    def payload(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if v is not None}


class JsonSession(AiohttpSession):
    """Posts each call as JSON and reads a successful answer as JSON; errors are classified by aiogram (its
    exceptions: TelegramRetryAfter, TelegramForbiddenError…); uploads go as multipart form data, as aiogram does."""

    async def make_request(self, bot, method: TelegramMethod, timeout: int | None = None) -> Any:
        if isinstance(method, Light):
            payload = method.payload()
            if any(isinstance(v, InputFile) for v in payload.values()):
                return await super().make_request(bot, method, timeout)
        else:
            files: dict[str, InputFile] = {}
            payload = {}
            for key, value in method.model_dump(warnings=False, exclude_none=True).items():
                prepared = self.prepare_value(value, bot=bot, files=files, _dumps_json=False)
                if prepared is not None:
                    payload[key] = prepared
            if files:
                return await super().make_request(bot, method, timeout)
        session = await self.create_session()
        url = self.api.api_url(token=bot.token, method=method.__api_method__)
        try:
            async with session.post(url, data=self.json_dumps(payload), headers={"Content-Type": "application/json"},
                                    timeout=ClientTimeout(total=self.timeout if timeout is None else timeout)) as resp:
                raw = await resp.text()
        except asyncio.TimeoutError as exc:
            raise TelegramNetworkError(method=method, message="Request timeout error") from exc
        except ClientError as exc:
            raise TelegramNetworkError(method=method, message=f"{type(exc).__name__}: {exc}") from exc
        if resp.status == 200 and isinstance(method, Light):  # Relais reads the result as JSON: no objects to build
            try:
                answer = self.json_loads(raw)
            except ValueError:
                answer = None
            if isinstance(answer, dict) and answer.get("ok"):
                return answer.get("result")
        return self.check_response(bot=bot, method=method, status_code=resp.status, content=raw).result


class RawUpdates(Light):
    """getUpdates returning the updates as JSON: Relais stores them as they came and reads them as dicts."""

    __api_method__ = "getUpdates"

    offset: int | None = None
    limit: int | None = None
    timeout: int | None = None
    allowed_updates: list[str] | None = None


class Send(Light):
    __api_method__ = "sendMessage"

    chat_id: int | str
    text: str
    parse_mode: str | None = None
    message_thread_id: int | None = None
    reply_markup: dict | None = None
    reply_parameters: dict | None = None
    link_preview_options: dict | None = None


class EditText(Light):
    __api_method__ = "editMessageText"

    chat_id: int | str
    message_id: int
    text: str
    parse_mode: str | None = None
    reply_markup: dict | None = None
    link_preview_options: dict | None = None


class EditMarkup(Light):
    __api_method__ = "editMessageReplyMarkup"

    chat_id: int | str
    message_id: int
    reply_markup: dict | None = None


class AnswerCallback(Light):
    __api_method__ = "answerCallbackQuery"

    callback_query_id: str
    text: str | None = None


class SendDocument(Light):
    __api_method__ = "sendDocument"

    chat_id: int | str
    document: InputFile
    caption: str | None = None
    parse_mode: str | None = None
    message_thread_id: int | None = None
    reply_markup: dict | None = None


class SendPhoto(Light):
    __api_method__ = "sendPhoto"

    chat_id: int | str
    photo: InputFile
    caption: str | None = None
    message_thread_id: int | None = None


class SendPoll(Light):
    __api_method__ = "sendPoll"

    chat_id: int | str
    question: str
    options: list[dict]  # InputPollOption: {"text": ...}
    is_anonymous: bool | None = None
    allows_multiple_answers: bool | None = None
    message_thread_id: int | None = None
    reply_markup: dict | None = None
    reply_parameters: dict | None = None


class StopPoll(Light):
    __api_method__ = "stopPoll"

    chat_id: int | str
    message_id: int


CHAT_BURST = 3  # Telegram tolerates a short burst in one private chat, then about one message a second
GROUP_SLACK = 0.25  # seconds added to a group's minute: our clock starts before the request reaches Telegram
MARGIN = 0.02  # a little under each rate: our clock starts before the request reaches Telegram (20 ms a second)
LATE = 0.005  # seconds a turn may start late before it is given up (the margin absorbs that much)
CLUSTER = 10  # 429s in this many chats within a second: the bot as a whole is over the limit, pause every chat
GONE = ("chat not found", "user not found", "PEER_ID_INVALID")


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

    def __init__(self, rate: float, margin: float = MARGIN, late: float = LATE):
        self.gap = 1.0 / (rate * (1.0 - margin))
        self.late = late
        self.next = 0.0

    async def acquire(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            now = loop.time()
            turn = max(now, self.next)
            self.next = turn + self.gap
            if turn > now:
                await asyncio.sleep(turn - now)
            if loop.time() - turn <= self.late:
                return


class SharedPace(Pace):
    """The bot's overall rate shared by every process of one PostgreSQL database: Telegram counts the token, not the
    process. Turns are booked on the database's clock (the next free turn kept in `adapter_state`), so three processes
    together keep the one rate; the sends waiting in a process are booked together, one statement for all of them
    (a statement per send queued for the database's connections, and their turns came too late to be used). On SQLite
    (one process) and when the database cannot be asked, the process paces itself alone."""

    KEY = "telegram:pace"
    BOOK = ("INSERT INTO adapter_state (key, value, updated_at) VALUES ($1, (extract(epoch FROM clock_timestamp()) + $2)::text, now()) "
            "ON CONFLICT (key) DO UPDATE SET updated_at = now(), "
            "value = (greatest(adapter_state.value::float8, extract(epoch FROM clock_timestamp())) + $2)::text "
            "RETURNING value::float8 - $2 - extract(epoch FROM clock_timestamp()) AS wait")
    BATCH = 64  # turns booked in one statement at most

    def __init__(self, rate: float):
        # Turns booked ahead are kept when woken up to 30 ms late (a turn given up is lost to every process), so the
        # margin under the rate is wider: at most rate × (1 + 0.03) × (1 - 0.04) in any second.
        super().__init__(rate, margin=0.04, late=0.03)
        self._shared: bool | None = None
        self._waiting: list[asyncio.Future] = []
        self._booker: asyncio.Task | None = None

    def _database(self):
        if self._shared is False:
            return None
        try:
            from tortoise import connections

            conn = connections.get("default")
            self._shared = conn.capabilities.dialect == "postgres"
        except Exception:  # no database (a bare Sender): this process alone
            return None
        return conn if self._shared else None

    async def acquire(self) -> None:
        conn = self._database()
        if conn is None:
            return await super().acquire()
        loop = asyncio.get_running_loop()
        while True:
            future: asyncio.Future = loop.create_future()
            self._waiting.append(future)
            if self._booker is None or self._booker.done():
                self._booker = asyncio.create_task(self._book(conn))
            turn = await future
            if turn is None:  # the database could not be asked
                return await super().acquire()
            earliest, latest = turn
            if latest > loop.time():
                await asyncio.sleep(latest - loop.time())  # never early
            if loop.time() - earliest <= self.late:  # lateness never underestimated: no second holds more than the rate
                return

    async def _book(self, conn) -> None:
        """Book a turn for each send waiting, in as few statements as there are batches. A turn lies between the asking
        plus the wait the database answered and the answer plus that wait."""
        loop = asyncio.get_running_loop()
        while self._waiting:
            batch, self._waiting = self._waiting[:self.BATCH], self._waiting[self.BATCH:]
            asked = loop.time()
            try:
                rows = await conn.execute_query_dict(self.BOOK, [self.KEY, self.gap * len(batch)])
            except Exception as exc:
                log.warning("shared telegram pace unavailable: pacing this process alone", extra={"error": str(exc)[:200]})
                for future in batch:
                    if not future.done():
                        future.set_result(None)
                continue
            answered, wait = loop.time(), max(0.0, float(rows[0]["wait"]))
            for n, future in enumerate(batch):
                if not future.done():  # a send cancelled meanwhile leaves its turn unused
                    future.set_result((asked + wait + n * self.gap, answered + wait + n * self.gap))


class Sender:
    """Every call that posts to a chat goes through here, so the whole bot keeps Telegram's limits.

    Sends are spaced evenly for the global rate (Telegram counts any one-second window), each private chat
    gets a short burst then `chat_rate` (aiolimiter's leaky bucket), each group `group_per_minute` in any minute. A 429 holds its chat for
    `retry_after` and the call is tried again; 429s in several chats at once pause every chat.
    """

    def __init__(self, bot, global_rate: float = 30.0, chat_rate: float = 1.0, group_per_minute: int = 20,
                 group_period: float = 60.0, retry_base: float = 0.5):
        self.bot = bot
        self.global_limit = SharedPace(global_rate)
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
