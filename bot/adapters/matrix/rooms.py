"""Direct chats with people (remembered, created on first need) and the outbox channel that writes to them."""

from __future__ import annotations

import asyncio
import logging
import re

from nio import RoomCreateResponse, RoomPreset
from tortoise.exceptions import IntegrityError

from bot.adapters.matrix.events import PLATFORM
from bot.adapters.matrix.outbound import SendFailed, SendRefused
from bot.adapters.matrix.render import to_content
from bot.core.delivery import TemporaryFailure, Unreachable
from bot.core.replies import Reply
from models import Account, OutboxMessage
from models.matrix import MatrixDirect, MatrixPrompt

log = logging.getLogger("relais.matrix")
USER_ID = re.compile(r"^@[^:\s]+:\S+$")


class DirectRooms:
    """Which rooms are 1:1 chats with whom, cached in memory over the matrix_direct table."""

    def __init__(self):
        self._with: dict[str, str | None] = {}

    async def partner(self, room_id: str) -> str | None:
        """The other person of a direct chat, or None for a group room."""
        if room_id not in self._with:
            row = await MatrixDirect.get_or_none(room_id=room_id)
            self._with[room_id] = row.user_id if row else None
        return self._with[room_id]

    async def room_of(self, user_id: str) -> str | None:
        row = await MatrixDirect.filter(user_id=user_id).order_by("-created_at").first()
        return row.room_id if row else None

    async def remember(self, room_id: str, user_id: str) -> None:
        try:
            await MatrixDirect.create(room_id=room_id, user_id=user_id)
        except IntegrityError:
            await MatrixDirect.filter(room_id=room_id).update(user_id=user_id)
        self._with[room_id] = user_id

    async def forget(self, room_id: str) -> None:
        await MatrixDirect.filter(room_id=room_id).delete()
        self._with[room_id] = None


async def remember_prompt(event_id: str, room_id: str, user_id: str, reply: Reply, connection=None) -> None:
    """What a number or a keycap reaction means from now on for this user in this room (none: [])."""
    if not event_id:
        return
    choices = [[c.label, c.command] for c in reply.choices]
    await MatrixPrompt.bulk_create([MatrixPrompt(event_id=event_id, room_id=room_id, user_id=user_id, choices=choices)],
                                   ignore_conflicts=True, using_db=connection)


class MatrixChannel:
    """Delivery of outbox notifications to a person's direct chat with Relais."""

    platform = PLATFORM

    def __init__(self, adapter):
        self.adapter = adapter
        self._locks: dict[str, asyncio.Lock] = {}

    async def deliver(self, account: Account, reply: Reply, message: OutboxMessage) -> None:
        adapter = self.adapter
        if not USER_ID.match(account.address):
            raise Unreachable(f"not a Matrix user id: {account.address[:80]}")
        if not adapter.connected:
            raise TemporaryFailure("Matrix is not connected yet")
        room_id = await self._room(account.address)
        try:
            # The transaction id comes from the outbox id: a delivery repeated after a crash is not posted twice.
            event_id = await adapter.outbound.send(room_id, to_content(reply), f"relais-outbox-{message.id}")
        except SendRefused as exc:
            # Relais was removed from that chat: forget it, the next try opens a new one.
            await adapter.direct.forget(room_id)
            raise TemporaryFailure(f"direct chat lost: {exc.errcode}") from exc
        except SendFailed as exc:
            raise TemporaryFailure(str(exc)) from exc
        await remember_prompt(event_id, room_id, account.address, reply)

    async def post(self, chat: str, reply: Reply, message: OutboxMessage) -> None:
        """A message for a room bound to a community (the weekly summary): same idempotent send, no prompt owner."""
        if not self.adapter.connected:
            raise TemporaryFailure("Matrix is not connected yet")
        try:
            await self.adapter.outbound.send(chat, to_content(reply), f"relais-outbox-{message.id}")
        except (SendRefused, SendFailed) as exc:
            raise TemporaryFailure(str(exc)) from exc

    async def _room(self, user_id: str) -> str:
        lock = self._locks.setdefault(user_id, asyncio.Lock())
        async with lock:  # two notifications at once must not open two chats
            room_id = await self.adapter.direct.room_of(user_id)
            if room_id:
                return room_id
            return await self.open(user_id)

    async def open(self, user_id: str) -> str:
        """A new unencrypted direct chat with `user_id` (the invitation carries is_direct, as clients expect)."""
        client = self.adapter.client
        try:
            resp = await self.adapter.outbound.call(
                lambda: client.room_create(is_direct=True, invite=[user_id], preset=RoomPreset.trusted_private_chat),
                "create direct chat")
        except SendRefused as exc:
            raise Unreachable(f"cannot invite {user_id[:80]}: {exc.errcode}") from exc
        except SendFailed as exc:
            raise TemporaryFailure(str(exc)) from exc
        if not isinstance(resp, RoomCreateResponse):
            raise TemporaryFailure("room creation failed")
        await self.adapter.direct.remember(resp.room_id, user_id)
        log.info("matrix direct chat opened", extra={"room_id": resp.room_id})
        return resp.room_id
