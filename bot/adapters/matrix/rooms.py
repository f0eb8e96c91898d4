"""Direct chats with people: remembered, and opened on first need (where their notifications go)."""

from __future__ import annotations

import asyncio
import logging
from typing import Awaitable, Callable

from nio import AsyncClient, RoomCreateResponse, RoomPreset
from nio.event_builders import EnableEncryptionBuilder
from tortoise.exceptions import IntegrityError

from bot.adapters.matrix.outbound import Outbound, SendFailed, SendRefused
from bot.core.errors import TemporaryFailure, Unreachable
from models.matrix import MatrixDirect

log = logging.getLogger("relais.matrix")


class DirectRooms:
    """Which rooms are 1:1 chats with whom, cached in memory over the matrix_direct table."""

    def __init__(self, client: AsyncClient, outbound: Outbound, encrypt: Callable[[str], Awaitable[bool]] | None = None):
        self.client = client
        self.outbound = outbound
        self.encrypt = encrypt  # whether a chat opened with this person is end-to-end encrypted
        self._with: dict[str, str | None] = {}
        self._locks: dict[str, asyncio.Lock] = {}

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

    async def with_user(self, user_id: str) -> str:
        """The direct chat with `user_id`, opened now if there is none."""
        lock = self._locks.setdefault(user_id, asyncio.Lock())
        async with lock:  # two notifications at once must not open two chats
            room_id = await self.room_of(user_id)
            return room_id or await self.open(user_id)

    async def open(self, user_id: str) -> str:
        """A new direct chat with `user_id` (the invitation carries is_direct, as clients expect), end-to-end encrypted
        as Element's are unless the person's community chose otherwise."""
        encrypted = self.encrypt is not None and await self.encrypt(user_id)
        state = [EnableEncryptionBuilder().as_dict()] if encrypted else []
        try:
            resp = await self.outbound.call(
                lambda: self.client.room_create(is_direct=True, invite=[user_id], preset=RoomPreset.trusted_private_chat,
                                                initial_state=state), "create direct chat")
        except SendRefused as exc:
            raise Unreachable(f"cannot invite {user_id[:80]}: {exc.errcode}") from exc
        except SendFailed as exc:
            raise TemporaryFailure(str(exc)) from exc
        if not isinstance(resp, RoomCreateResponse):
            raise TemporaryFailure("room creation failed")
        await self.remember(resp.room_id, user_id)
        log.info("matrix direct chat opened", extra={"room_id": resp.room_id})
        return resp.room_id
