"""The NativePoll rows of the polls Relais sent in Telegram groups: remembered when Telegram accepts one (so an
answer maps back to the poll and its voter), and closed when the poll's close stops it."""

from __future__ import annotations

import logging

from tortoise.exceptions import IntegrityError

from bot.adapters.telegram.translate import PLATFORM
from bot.core.replies import Poll, Reply
from models import NativePoll

log = logging.getLogger("relais.telegram")
ALREADY_CLOSED = "poll has already been closed"  # Telegram's refusal of a second stopPoll: the work is done


async def closing(reply: Reply, chat: int) -> list[dict]:
    """The stopPoll calls for the native polls, in this chat and still open, of the closed polls the reply shows."""
    refs = {int(p.ref) for p in reply.elements(Poll) if p.closed and p.ref.isdigit()}
    if not refs:
        return []
    rows = await NativePoll.filter(platform=PLATFORM, chat=str(chat), poll_id__in=refs, closed=False).order_by("id")
    return [{"op": "stop", "chat": chat, "message": int(row.message_id), "native": row.id}
            for row in rows if row.message_id.isdigit()]


async def sent(action: dict, result: object) -> None:
    """Remember a poll Telegram accepted (the sendPoll's Message); a repeated call keeps the first row."""
    poll = result.get("poll") if isinstance(result, dict) else None
    if not isinstance(poll, dict) or not isinstance(result, dict) or not str(action.get("ref", "")).isdigit():
        return
    try:
        await NativePoll.get_or_create(platform=PLATFORM, native_id=str(poll["id"]), defaults={
            "chat": str(action["chat"]), "message_id": str(result["message_id"]), "poll_id": int(action["ref"]),
            "vote": action["vote"], "options": len(action["options"])})
    except IntegrityError as exc:  # the poll was deleted meanwhile: its answers have nowhere to go
        log.warning("telegram poll not remembered", extra={"poll_id": action["ref"], "error": str(exc)[:200]})


async def stopped(action: dict) -> None:
    await NativePoll.filter(id=action["native"]).update(closed=True)


async def find(native_id: str) -> NativePoll | None:
    return await NativePoll.get_or_none(platform=PLATFORM, native_id=native_id)
