"""The native polls Relais starts in Matrix rooms (table native_poll): planned and sent, an answer mapped back to
its poll, and each one ended when its poll closes."""

from __future__ import annotations

import logging

from nio import AsyncClient, RoomGetEventResponse
from tortoise.exceptions import IntegrityError

from bot.adapters.matrix.events import PLATFORM, txn_id
from bot.adapters.matrix.outbound import Outbound, SendFailed
from bot.adapters.matrix.polls import POLL_END, POLL_START, closed_polls, end_content, max_selections, start_content
from bot.core.replies import Poll, Reply
from models import NativePoll

log = logging.getLogger("relais.matrix")


def pending(txn: str) -> str:
    """A start event's row before its event id is known: named by its transaction id."""
    return f"txn:{txn}"[:255]


class NativePolls:
    def __init__(self, client: AsyncClient, outbound: Outbound):
        self.client = client
        self.outbound = outbound
        # How many answers each poll takes (max_selections): not a column, so kept here and read back from the
        # start event after a restart, only for responses that pick several answers.
        self.limits: dict[str, int] = {}

    # -- planned calls (JSON, stored before they are made) ----------------------------------------------------

    @staticmethod
    def start(room: str, poll: Poll, txn: str, thread: str | None = None) -> dict:
        return {"op": "poll", "room": room, "content": start_content(poll, thread), "txn": txn,
                "native": {"poll_id": int(poll.ref), "vote": poll.vote, "options": len(poll.options), "max": max_selections(poll)}}

    async def ends(self, reply: Reply, room: str) -> list[dict]:
        """An end event for each native poll still open in the room whose poll this reply reports closed."""
        return [{"op": "poll_end", "room": room, "content": end_content(poll, row.native_id), "native": row.id,
                 "txn": txn_id("poll-end", row.native_id)}
                for poll in closed_polls(reply) for row in await self.open_in(room, int(poll.ref))]

    # -- making them -------------------------------------------------------------------------------------------

    async def send_start(self, action: dict) -> str | None:
        """The row first, under the transaction id (a member may answer before the send returns: the sync binds the
        row to the start event as soon as it sees it come back, see `bind`), then the start event."""
        n, room, txn = action["native"], action["room"], action["txn"]
        await self.remember(room, pending(txn), n["poll_id"], n["vote"], n["options"], n["max"])
        event_id = await self.outbound.send(room, action["content"], txn, POLL_START)
        if event_id:
            self.limits[event_id] = n["max"]
            await self.sent(txn, event_id)
        return event_id or None

    async def sent(self, txn: str, event_id: str) -> None:
        await self.bind(txn, event_id)

    async def bind(self, txn: str, event_id: str) -> None:
        """The row stored before the send gets the start event's id (from the send's answer, or from the sync
        showing Relais its own event with the transaction id, whichever comes first)."""
        rows = NativePoll.filter(platform=PLATFORM, native_id=pending(txn))
        if await NativePoll.exists(platform=PLATFORM, native_id=event_id):  # bound already (a repeated send)
            await rows.delete()
            return
        try:
            await rows.update(native_id=event_id, message_id=event_id)
        except IntegrityError:  # bound at this very moment by the other way
            await rows.delete()

    async def send_end(self, action: dict) -> str | None:
        event_id = await self.outbound.send(action["room"], action["content"], action["txn"], POLL_END)
        await NativePoll.filter(id=action["native"]).update(closed=True)
        return event_id or None

    async def receipt(self, room: str, event_id: str) -> None:
        try:
            await self.outbound.call(lambda: self.client.update_receipt_marker(room, event_id), "receipt", room)
        except SendFailed as exc:  # only a courtesy: the vote is counted
            log.info("matrix receipt failed", extra={"room_id": room, "error": str(exc)[:200]})

    # -- the table ---------------------------------------------------------------------------------------------

    async def remember(self, room_id: str, event_id: str, poll_id: int, vote: str, options: int, limit: int) -> None:
        """The poll start event just sent; sending it again (a repeated call, the same transaction id) is no error."""
        self.limits[event_id] = limit
        try:
            await NativePoll.create(platform=PLATFORM, chat=room_id, native_id=event_id, message_id=event_id,
                                    poll_id=poll_id, vote=vote[:200], options=options)
        except IntegrityError:  # already stored (the same start event), or the poll was deleted meanwhile
            if not await NativePoll.exists(platform=PLATFORM, native_id=event_id):
                log.warning("matrix native poll not stored", extra={"room_id": room_id, "poll": poll_id})

    async def started_by(self, event_id: str) -> NativePoll | None:
        return await NativePoll.get_or_none(platform=PLATFORM, native_id=event_id)

    async def known(self, event_id: str) -> bool:
        return await NativePoll.exists(platform=PLATFORM, native_id=event_id)

    async def open_in(self, room_id: str, poll_id: int) -> list[NativePoll]:
        return await NativePoll.filter(platform=PLATFORM, chat=room_id, poll_id=poll_id, closed=False) \
            .exclude(native_id__startswith="txn:").order_by("id")  # a start never sent has nothing to end

    async def max_selections(self, room_id: str, event_id: str) -> int | None:
        """How many answers the poll takes (MSC3381 cuts a response there), from the start event if not known."""
        if event_id not in self.limits:
            try:
                resp = await self.client.room_get_event(room_id, event_id)
            except Exception as exc:  # the core checks the ballot anyway
                log.warning("matrix poll start unreadable", extra={"room_id": room_id, "error": type(exc).__name__})
                return None
            if not isinstance(resp, RoomGetEventResponse):
                return None
            block = (resp.event.source.get("content") or {}).get(POLL_START) or {}
            value = block.get("max_selections")
            self.limits[event_id] = value if isinstance(value, int) and value >= 1 else 1
        return self.limits[event_id]
