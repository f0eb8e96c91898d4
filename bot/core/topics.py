"""What Relais' messages were about: a reply to one of them (or `/reply <n>` in a conversation) finds its item here.

Recorded when a message carrying an `About` element is sent (a notification by the delivery, an answer by the
pipeline: keyed by the platform's message reference) and when a conversation is shown numbered items (keyed by
the conversation). Kept `KEEP` days: a reply to an older message is an ordinary message.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta
from typing import Callable

from bot.core.replies import Topic
from models import MessageTopic

log = logging.getLogger("relais.topics")

KEEP = timedelta(days=120)


def message_key(platform: str, ref: str) -> str:
    return f"m:{platform}:{ref}"[:400]


def conversation_key(where: str) -> str:
    return f"c:{where}"[:400]


def _items(raw) -> tuple[Topic, ...]:
    return tuple((str(k), int(i), int(p)) for k, i, p in raw)


class Topics:
    def __init__(self, clock: Callable[[], datetime]):
        self.clock = clock
        # What conversations were shown, written behind (a reply does not wait for it): until the write lands, this
        # process answers `/reply` from here.
        self._unwritten: dict[str, tuple[Topic, ...]] = {}
        self._rows: list[MessageTopic] = []
        self._writer: asyncio.Task | None = None

    async def sent(self, platform: str, refs: list[str], items: tuple[Topic, ...], connection=None) -> None:
        """The messages `refs` (one reply may take several) speak of `items`."""
        refs = [r for r in refs if r]
        if refs and items:
            now, data = self.clock(), [list(i) for i in items]
            await MessageTopic.bulk_create([MessageTopic(key=message_key(platform, ref), items=data, created_at=now)
                                            for ref in refs], using_db=connection)

    async def record(self, rows: list[tuple[str, str, tuple[Topic, ...]]]) -> None:
        """Many at once (a delivery pass): (platform, ref, items) for a sent message, ("", conversation, items) for a
        conversation shown them."""
        now = self.clock()
        made = [MessageTopic(key=message_key(platform, ref) if platform else conversation_key(ref), items=[list(i) for i in items],
                             created_at=now) for platform, ref, items in rows if ref and items]
        if made:
            await MessageTopic.bulk_create(made)

    async def shown(self, where: str, items: tuple[Topic, ...]) -> None:
        """The conversation `where` was last shown these numbered items (`/reply <n>` answers them): written behind."""
        if not items:
            return
        self._unwritten[where] = items
        self._rows.append(MessageTopic(key=conversation_key(where), items=[list(i) for i in items], created_at=self.clock()))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write())

    async def _write(self) -> None:
        while self._rows:
            rows, self._rows = self._rows, []
            try:
                await MessageTopic.bulk_create(rows)
            except Exception:  # a /reply then finds the items before these: nothing worse
                log.exception("topics of a conversation not stored", extra={"count": len(rows)})
            for row in rows:
                where = row.key.removeprefix("c:")
                if self._unwritten.get(where) == _items(row.items):
                    del self._unwritten[where]

    async def drain(self) -> None:
        """Store what is not written yet (at stop, before the database closes)."""
        while self._writer is not None and not self._writer.done():
            await self._writer

    async def of_message(self, platform: str, refs: tuple[str, ...]) -> tuple[Topic, ...]:
        """The items of the first of `refs` (nearest first) that Relais sent and still remembers, else ()."""
        keys = [message_key(platform, r) for r in refs[:20] if r]
        if not keys:
            return ()
        rows = await MessageTopic.filter(key__in=keys, created_at__gt=self.clock() - KEEP).order_by("id")
        found = {row.key: row.items for row in rows}  # the latest row of each key wins
        for key in keys:
            if key in found:
                return _items(found[key])
        return ()

    async def latest(self, where: str, elsewhere: tuple[str, ...] = ()) -> tuple[Topic, ...]:
        """The numbered items the conversation was last shown (within KEEP); else the latest shown in one of the
        `elsewhere` conversations (the person's other direct chats: a notification read on one, answered on another)."""
        if where in self._unwritten:
            return self._unwritten[where]
        since = self.clock() - KEEP
        row = await MessageTopic.filter(key=conversation_key(where), created_at__gt=since).order_by("-id").first()
        if row is None and elsewhere:
            keys = [conversation_key(w) for w in elsewhere]
            row = await MessageTopic.filter(key__in=keys, created_at__gt=since).order_by("-id").first()
        return _items(row.items) if row is not None else ()

    async def prune(self) -> int:
        return await MessageTopic.filter(created_at__lt=self.clock() - KEEP).delete()
