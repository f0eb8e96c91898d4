"""One choice memory for every channel: which command a number, a button, a keycap or a signed link stands for.

A set of choices is stored once (by its content: a broadcast of one keyboard stores one row); an *offer* says
that a conversation was shown a set (a number then answers the latest), or that one message carries it (a
Matrix keycap reaction names the message). Telegram buttons and mail links carry the set's id directly.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from collections import OrderedDict
from datetime import datetime, timedelta
from typing import Callable

from tortoise.exceptions import IntegrityError

from bot.core.replies import Choice
from bot.core.sql import execute_many, one
from models import ChoiceOffer, ChoiceSet

log = logging.getLogger("relais.choices")
CACHE = 4096  # sets kept in memory by content and by id
KEEP = timedelta(days=30)  # offers older than this are pruned; sets stay (links in old mails still resolve)


def conversation(platform: str, address: str, chat: str | None = None) -> str:
    """The key of one person's conversation with Relais on a platform: `matrix:!room:@ana`, `console::ana`."""
    return f"{platform}:{chat or ''}:{address}"


def _digest(data: list) -> str:
    return hashlib.sha256(json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()).hexdigest()


class ChoiceMemory:
    def __init__(self, clock: Callable[[], datetime]):
        self.clock = clock
        self._by_digest: OrderedDict[str, int] = OrderedDict()
        self._by_pairs: OrderedDict[tuple, int] = OrderedDict()  # the same, keyed by the pairs (no hashing to do)
        self._by_id: OrderedDict[int, list[Choice]] = OrderedDict()
        self._latest: OrderedDict[str, int | None] = OrderedDict()  # conversation → set id of its latest offer
        self._rows: list[list] = []  # offers to write
        self._unwritten: dict[str, tuple[int | None, datetime]] = {}  # conversation → (set or None: cleared, when) not written yet
        self._unwritten_refs: dict[str, tuple[str, int]] = {}
        self._writer: asyncio.Task | None = None

    def _remember(self, digest: str, set_id: int, choices: list[Choice]) -> None:
        self._by_digest[digest] = set_id
        self._by_id[set_id] = choices
        for cache in (self._by_digest, self._by_id):
            while len(cache) > CACHE:
                cache.popitem(last=False)

    async def store(self, choices: list[Choice]) -> int:
        """The id of the stored set with these choices (stored now if new)."""
        pairs = tuple((c.label, c.command) for c in choices)
        known = self._by_pairs.get(pairs)
        if known is not None:
            return known
        set_id = await self._store(choices)
        self._by_pairs[pairs] = set_id
        while len(self._by_pairs) > CACHE:
            self._by_pairs.popitem(last=False)
        return set_id

    async def _store(self, choices: list[Choice]) -> int:
        data = [[c.label, c.command] for c in choices]
        digest = _digest(data)
        found = self._by_digest.get(digest)
        if found is not None:
            self._by_digest.move_to_end(digest)
            return found
        row = await one(ChoiceSet, 'SELECT * FROM "choice_set" WHERE "digest" = ?', [digest])
        if row is None:
            try:
                row = await ChoiceSet.create(digest=digest, choices=data)
            except IntegrityError:  # stored meanwhile by a concurrent reply
                row = await ChoiceSet.get(digest=digest)
        self._remember(digest, row.id, list(choices))
        return row.id

    async def choices(self, set_id: int) -> list[Choice] | None:
        cached = self._by_id.get(set_id)
        if cached is not None:
            return cached
        row = await ChoiceSet.get_or_none(id=set_id)
        if row is None:
            return None
        choices = [Choice(label, command) for label, command in row.choices]
        self._remember(row.digest, row.id, choices)
        return choices

    async def pick_from(self, set_id: int, index: int) -> Choice | None:
        """Choice `index` (from 0) of a set, as a button or a signed link names it."""
        choices = await self.choices(set_id)
        return choices[index] if choices is not None and 0 <= index < len(choices) else None

    async def offer(self, where: str, choices: list[Choice], ref: str | None = None) -> int | None:
        """Record that `where` was shown these choices (none: earlier numbers stop meaning anything there)."""
        set_id = await self.store(choices) if choices else None
        await self.offer_set(where, set_id, ref)
        return set_id

    async def offer_set(self, where: str, set_id: int | None, ref: str | None = None) -> None:
        """`offer()` with a set stored beforehand (by the renderer that planned the message)."""
        if set_id is None and ref is None:
            # Nothing on offer now: earlier numbers stop meaning anything here. The conversation's offers go rather
            # than a new empty one being written (nothing is left behind a person erased with `forget me`).
            if self._latest.get(where, -1) is not None:
                now = self.clock()
                self._unwritten[where] = (None, now)  # until the offers are gone, this process answers "no choice"
                self._rows.append([where, None, None, now])
                if self._writer is None or self._writer.done():
                    self._writer = asyncio.create_task(self._write())
            self._latest[where] = None
            return
        stored = set_id if set_id is not None else await self.store([])
        now = self.clock()
        # Written behind: the reply does not wait for it (a person answers seconds later, by then it is stored);
        # until the write lands, this process answers from `_unwritten`.
        self._unwritten[where] = (stored, now)
        if ref is not None:
            self._unwritten_refs[ref] = (where, stored)
        self._rows.append([where, ref, stored, now])
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write())
        self._latest[where] = set_id
        self._latest.move_to_end(where)
        while len(self._latest) > CACHE:
            self._latest.popitem(last=False)

    async def _write(self) -> None:
        while self._rows:
            rows, self._rows = self._rows, []
            cleared: list[list] = []
            added: list[list] = []
            for row in rows:  # a clearing drops the conversation's offers, those of this batch made before it too
                if row[2] is None:
                    cleared.append([row[0]])
                    added = [a for a in added if a[0] != row[0]]
                else:
                    added.append(row)
            try:
                if cleared:  # in order: an offer made after a clearing is written after it
                    await execute_many('DELETE FROM "choice_offer" WHERE "conversation" = ?', cleared)
                if added:
                    await execute_many('INSERT INTO "choice_offer" ("conversation", "ref", "choice_set_id", "created_at") '
                                       'VALUES (?, ?, ?, ?)', added)
            except Exception:
                log.exception("choice offers not stored", extra={"count": len(rows)})
            for where, ref, stored, at in rows:
                if self._unwritten.get(where) == (stored, at):
                    del self._unwritten[where]
                if ref is not None and self._unwritten_refs.get(ref) == (where, stored):
                    del self._unwritten_refs[ref]

    async def drain(self) -> None:
        """Store the offers not written yet (at stop, before the database closes)."""
        while self._writer is not None and not self._writer.done():
            await self._writer

    async def pick(self, where: str, number: int, fresh_for: timedelta | None = None) -> Choice | None:
        """What `number` (from 1) answers in this conversation: the latest offer's choice, if recent enough."""
        unwritten = self._unwritten.get(where)
        if unwritten is not None:
            if unwritten[0] is None:  # cleared: nothing on offer here
                return None
            set_id, at = unwritten[0], unwritten[1]
        else:
            row = await ChoiceOffer.filter(conversation=where).order_by("-id").first()
            if row is None:
                return None
            set_id, at = row.choice_set_id, row.created_at
        if fresh_for is not None and self.clock() - at > fresh_for:
            return None
        return await self.pick_from(set_id, number - 1)

    async def pick_by_ref(self, ref: str, number: int) -> tuple[str, Choice] | None:
        """What keycap `number` on the message `ref` answers, with the conversation it was offered in."""
        unwritten = self._unwritten_refs.get(ref)
        if unwritten is not None:
            where, set_id = unwritten
        else:
            row = await ChoiceOffer.filter(ref=ref).order_by("-id").first()
            if row is None:
                return None
            where, set_id = row.conversation, row.choice_set_id
        choice = await self.pick_from(set_id, number - 1)
        return (where, choice) if choice else None

    async def prune(self, keep: timedelta = KEEP) -> int:
        return await ChoiceOffer.filter(created_at__lt=self.clock() - keep).delete()
