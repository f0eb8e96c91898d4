"""The sync loop: each batch's work is persisted together with its sync token, so nothing is lost or replayed."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from functools import partial
from typing import TYPE_CHECKING

from nio import AsyncClient, MessageDirection, RoomMessagesResponse, SyncResponse

from bot.adapters.matrix.events import (
    PLATFORM,
    after_own_join,
    gap_filter,
    invite_job,
    is_own_join,
    job_from_event,
    replying_to,
    strip_mention,
    strip_reply_fallback,
)
from bot.adapters.matrix.polls import POLL_START
from bot.core import parser
from bot.core.numbers import is_number
from bot.core.topics import Topics
from bot.runtime.inbox import Event, Inbox
from models import AdapterState

if TYPE_CHECKING:
    from bot.adapters.matrix.crypto import Crypto
    from bot.adapters.matrix.native_polls import NativePolls
    from bot.adapters.matrix.outbound import Outbound
    from bot.adapters.matrix.rooms import DirectRooms

log = logging.getLogger("relais.matrix")

SINCE_KEY = "matrix:since"
GAP_PAGE = 100
GAP_PAGES = 50  # at most 5,000 events fetched back for one room's gap


def _sources(events) -> list[dict]:
    return [e.source for e in events if isinstance(getattr(e, "source", None), dict)]


def _stripped(events) -> list[dict]:
    # nio pops `content` out of the source of stripped invite member events; put it back.
    return [{**e.source, "content": getattr(e, "content", None) or e.source.get("content") or {}}
            for e in events if isinstance(getattr(e, "source", None), dict)]


class Syncer:
    """Syncs into the inbox: what the Matrix adapter's parts tell it (who Relais is, its rooms, polls and keys)."""

    def __init__(self, client: AsyncClient, user_id: str, *, inbox: Inbox, outbound: Outbound, crypto: Crypto,
                 polls: NativePolls, direct: DirectRooms, topics: Topics | None, names: Callable[[], list[str]],
                 relogin: Callable[[], Awaitable[bool]], ready: asyncio.Event, timeout_ms: int):
        self.client, self.user_id, self.inbox, self.outbound = client, user_id, inbox, outbound
        self.crypto, self.polls, self.direct, self.topics = crypto, polls, direct, topics
        self.names = names  # the names a message mentions Relais by (known once connected)
        self.relogin = relogin  # a revoked token: log in again (False when it cannot)
        self.ready = ready  # set once the first batch is persisted
        self.timeout_ms = timeout_ms
        self.filter_id: str | None = None
        self.since: str | None = None
        self.gaps = 0  # limited timelines filled from /messages (logged; tests read it)

    async def load(self) -> str | None:
        row = await AdapterState.get_or_none(key=SINCE_KEY)
        saved = json.loads(row.value) if row else {}
        return saved.get("token") if saved.get("user_id") == self.user_id else None

    async def run(self) -> None:
        self.since = await self.load()
        delay = 1.0
        while True:
            try:
                # The first sync of a run returns at once (what came while Relais was away, or on the very first
                # start only the starting point and pending invitations); later ones wait for news.
                resp = await self.client.sync(timeout=self.timeout_ms if self.ready.is_set() else 0,
                                              sync_filter=self.filter_id, since=self.since)
                if not isinstance(resp, SyncResponse):
                    await self._sync_error(resp)
                    continue
                await self.persist(await self.jobs(resp), resp.next_batch)
                self.since = resp.next_batch
                self.crypto.note_requests(resp.to_device_events)
                await self.crypto.after_sync()  # keys to upload, query, claim, send (encrypted rooms)
                self.ready.set()
                delay = 1.0
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # homeserver away, database busy…: the same batch is asked for again
                log.warning("matrix sync failed", extra={"error": f"{type(exc).__name__}: {exc}"[:300], "retry_in": delay})
                await asyncio.sleep(delay)
                delay = min(delay * 2, 60.0)

    async def _sync_error(self, resp) -> None:
        code = getattr(resp, "status_code", None)
        if code == "M_UNKNOWN_TOKEN" and await self.relogin():
            return
        retry_ms = getattr(resp, "retry_after_ms", None) or 0
        log.warning("matrix sync refused", extra={"error": str(code), "retry_after_ms": retry_ms})
        await asyncio.sleep(max(retry_ms / 1000, 2.0))

    async def jobs(self, resp: SyncResponse) -> list[Event]:
        """The work in one sync response, gaps filled; on the very first sync only the invitations."""
        me = self.user_id
        jobs = [job for room_id, info in resp.rooms.invite.items()
                if (job := invite_job(room_id, _stripped(info.invite_state), me, resp.next_batch))]
        if self.since is None:
            return jobs  # history from before Relais' first start is not for it
        for room_id, info in resp.rooms.join.items():
            room = self.client.rooms.get(room_id)
            for event in await self.timeline(room_id, info.timeline):
                if event.get("sender") == me and event.get("type") == POLL_START and \
                        (event.get("unsigned") or {}).get("transaction_id"):  # our poll start, before any answer to it
                    await self.polls.bind(event["unsigned"]["transaction_id"], event["event_id"])
                name = room.user_name(event.get("sender", "")) if room else None
                job = job_from_event(room_id, event, me, name or "")
                if job and await self.wanted(job):
                    jobs.append(job)
        return jobs

    async def wanted(self, job: Event) -> bool:
        """Room chatter is neither stored nor queued: messages not for Relais, answers to polls it did not start."""
        kind = job.payload["kind"]
        if kind == "message":
            return await self.for_relais(job)
        if kind == "poll_response":
            return await self.polls.known(job.payload["target"])
        return True

    async def for_relais(self, job: Event) -> bool:
        """Whether a message may be for Relais (a command, a mention, a number, a direct chat): room chatter is
        neither stored nor queued. The core's own parser says what is a command line."""
        d = job.payload
        body = strip_reply_fallback(d["body"]) if d.get("reply") else d["body"]
        text, addressed = strip_mention(body, self.names(), d.get("mentioned", False))
        line = parser.split_line(text)
        if addressed or is_number(text) or (line is not None and line.prefixed):
            return True
        if await self.direct.partner(d["room_id"]) == d["sender"]:
            return True
        refs = replying_to(d)  # a reply to a message of Relais about something: a comment on it
        topics = self.topics
        return bool(refs) and topics is not None and bool(await topics.of_message(PLATFORM, refs))

    async def timeline(self, room_id: str, timeline) -> list[dict]:
        """The room's new events: after Relais' own join when it is in the batch, the gap fetched when `limited`."""
        me = self.user_id
        events, joined = after_own_join(_sources(timeline.events), me)
        if joined or not timeline.limited or not timeline.prev_batch:
            return events
        older = await self.gap(room_id, timeline.prev_batch)
        self.gaps += 1
        log.info("matrix gap filled", extra={"room_id": room_id, "events": len(older)})
        return after_own_join(older + events, me)[0]

    async def gap(self, room_id: str, start: str) -> list[dict]:
        """Events between the previous sync and this batch, read back from /messages up to Relais' join."""
        client, me, older = self.client, self.user_id, []
        for _ in range(GAP_PAGES):
            resp = await self.outbound.call(partial(client.room_messages, room_id, start=start, end=self.since,
                                                    direction=MessageDirection.back, limit=GAP_PAGE,
                                                    message_filter=gap_filter()), "messages", room_id)
            if not isinstance(resp, RoomMessagesResponse):
                raise RuntimeError(f"cannot read the gap of {room_id}")
            chunk = _sources(resp.chunk)
            older.extend(chunk)
            if not chunk or not resp.end or resp.end == start or any(is_own_join(e, me) for e in chunk):
                break
            start = resp.end
        older.reverse()
        return older

    async def persist(self, jobs: list[Event], token: str) -> None:
        """The batch's events and the new token in one transaction (the inbox then handles the new ones)."""
        value = json.dumps({"user_id": self.user_id, "token": token})

        async def save_token(conn) -> None:
            updated = await AdapterState.filter(key=SINCE_KEY).using_db(conn).update(value=value)
            if not updated:
                await AdapterState.create(key=SINCE_KEY, value=value, using_db=conn)

        await self.inbox.accept(jobs, also=save_token)
