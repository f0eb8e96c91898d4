"""Sends to Matrix: one ordered queue per room; M_LIMIT_EXCEEDED pauses every send and is retried, never dropped."""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from functools import partial
from typing import Awaitable, Callable

from aiohttp import ClientError
from nio import AsyncClient, ErrorResponse, MessageDirection, RoomMessagesResponse, RoomSendResponse

log = logging.getLogger("relais.matrix")

RETRIES = 4  # tries of a send that fails for another reason than the rate limit (network, 5xx)
# M_UNKNOWN_TOKEN is not among them: the sync loop logs in again and the retries then go through.
REFUSED = ("M_FORBIDDEN", "M_NOT_FOUND", "M_INVALID_PARAM", "M_BAD_JSON", "M_TOO_LARGE")
# Every event Relais sends carries its transaction id in its content: the homeserver deduplicates a repeated send only
# for the device that made it, so a process that took over on a new device finds the event by this key instead.
MARKER = "org.relais.txn"
LOOK_BACK = 50  # Relais' own latest events of a room looked through for a send that may have been made already


class SendRefused(Exception):
    """The homeserver refused for good (not in the room, no such user…): trying again cannot help."""

    def __init__(self, errcode: str, message: str = ""):
        super().__init__(f"{errcode}: {message[:200]}")
        self.errcode = errcode


class SendFailed(Exception):
    """Still failing after the retries (homeserver unreachable, server errors): try again later."""


def _errcode(resp: ErrorResponse) -> str:
    return str(resp.status_code or getattr(getattr(resp, "transport_response", None), "status", "") or "error")


def _rate_limited(resp) -> bool:
    transport = getattr(resp, "transport_response", None)
    return isinstance(resp, ErrorResponse) and (resp.status_code == "M_LIMIT_EXCEEDED" or getattr(transport, "status", 0) == 429)


class Outbound:
    """The adapter's way out. The rate limit is per user on the homeserver, so a 429 holds back every room."""

    def __init__(self, client: AsyncClient, retry_base: float = 0.5, prepare: Callable[[str], Awaitable[None]] | None = None):
        self.client = client
        self.retry_base = retry_base
        self.prepare = prepare  # before a send: the room made known to nio (an encrypted room's send is encrypted)
        self.limited = 0  # 429 answers seen (logged; tests read it)
        self._resume_at = 0.0
        self._queues: dict[str, deque] = {}
        self._workers: set[asyncio.Task] = set()
        self._maybe_sent: set[str] = set()  # transaction ids a stopped process may have sent before recording it
        self.found = 0  # sends found already made, not repeated (logged; tests read it)

    def may_be_sent(self, txn: str) -> None:
        """The next send of this transaction id repeats a call a previous run may have made: looked for first."""
        self._maybe_sent.add(txn)

    async def sent_before(self, room_id: str, txn: str) -> str | None:
        """The event Relais sent with this transaction id among its latest in the room, if any (an encrypted one is
        read when this device holds its room key: a copy of the keys restored, or the same device)."""
        me = self.client.user_id
        resp = await self.call(partial(self.client.room_messages, room_id, direction=MessageDirection.back,
                                       limit=LOOK_BACK, message_filter={"senders": [me]}), "messages", room_id)
        if not isinstance(resp, RoomMessagesResponse):
            return None
        for event in resp.chunk:
            source = getattr(event, "source", None) or {}
            if source.get("sender") != me:
                continue
            content = source.get("content") or {}
            if (source.get("unsigned") or {}).get("transaction_id") == txn or content.get(MARKER) == txn:
                return source.get("event_id") or None
        return None

    async def call(self, request: Callable[[], Awaitable], what: str, room_id: str = ""):
        """One homeserver request: waits out rate limits as often as they come, retries other failures a few times."""
        loop = asyncio.get_running_loop()
        failures = 0
        while True:
            pause = self._resume_at - loop.time()
            if pause > 0:
                await asyncio.sleep(pause)
            try:
                resp = await request()
            except (ClientError, asyncio.TimeoutError, OSError) as exc:
                resp, error = None, f"{type(exc).__name__}: {exc}"[:200]
            else:
                if not isinstance(resp, ErrorResponse):
                    return resp
                if _rate_limited(resp):
                    self.limited += 1
                    retry_ms = getattr(resp, "retry_after_ms", None) or 1000
                    self._resume_at = max(self._resume_at, loop.time() + retry_ms / 1000)
                    log.warning("matrix rate limited", extra={"request": what, "room_id": room_id, "retry_after_ms": retry_ms})
                    continue
                code = _errcode(resp)
                if code in REFUSED:
                    raise SendRefused(code, str(resp.message or ""))
                error = f"{code}: {str(resp.message or '')[:200]}"
            failures += 1
            log.warning("matrix request failed", extra={"request": what, "room_id": room_id, "error": error, "try": failures})
            if failures >= RETRIES:
                raise SendFailed(error)
            await asyncio.sleep(self.retry_base * 2 ** failures)

    async def send(self, room_id: str, content: dict, txn: str, event_type: str = "m.room.message") -> str:
        """Queue an event for the room and return its event id once sent; the room's events keep their order."""
        if txn in self._maybe_sent:
            self._maybe_sent.discard(txn)
            found = await self.sent_before(room_id, txn)
            if found:
                self.found += 1
                log.info("matrix send found already made", extra={"room_id": room_id, "event_id": found})
                return found
        content = {**content, MARKER: txn}
        future = asyncio.get_running_loop().create_future()
        queue = self._queues.get(room_id)
        if queue is None:
            queue = self._queues[room_id] = deque()
            task = asyncio.create_task(self._drain(room_id, queue))
            self._workers.add(task)
            task.add_done_callback(self._workers.discard)
        queue.append((event_type, content, txn, future))
        return await future

    async def _drain(self, room_id: str, queue: deque) -> None:
        try:
            while queue:
                event_type, content, txn, future = queue[0]
                if not future.done():  # a caller that gave up (stopping) needs no send
                    try:
                        if self.prepare is not None:
                            await self.prepare(room_id)
                        # Members' devices are trusted on first use (crypto.py): none is left out of the room key.
                        resp = await self.call(partial(self.client.room_send, room_id, event_type, content, tx_id=txn,
                                                       ignore_unverified_devices=True), "send", room_id)
                    except Exception as exc:
                        if not future.done():
                            future.set_exception(exc)
                    else:
                        if not future.done():
                            future.set_result(resp.event_id if isinstance(resp, RoomSendResponse) else "")
                queue.popleft()
        finally:
            if self._queues.get(room_id) is queue:
                del self._queues[room_id]
            for *_, future in queue:
                if not future.done():
                    future.set_exception(SendFailed("stopped before sending"))

    async def stop(self) -> None:
        for task in list(self._workers):
            task.cancel()
        await asyncio.gather(*self._workers, return_exceptions=True)
