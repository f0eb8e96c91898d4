"""Conversations: a question Relais asked waits, in the database, for the person's next message as its answer.

It survives restarts, expires (7 days by default), and is answered from a direct chat on any platform or by
mail. While it waits it owns the person's next message; a /command still runs, and `cancel` drops the question.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from typing import Callable

from bot.core.i18n import N_
from bot.core.replies import Question
from bot.core.sql import one
from models import PendingQuestion

# What a question says once, below it: how its answer is given.
ANSWER_HINT = N_("Answer in your next message (a line starting with / still runs as a command), or type /cancel.")
# Every line of a direct chat asks whether a question waits before anything else: "none" is remembered this long
# (this process drops it when it asks one; a question another process asks is seen within it, far below the time a
# person takes to read and answer it).
NONE_FOR = 2.0


class Conversations:
    def __init__(self, clock: Callable[[], datetime]):
        self.clock = clock
        self._none: dict[int, float] = {}  # person → until when they have no question waiting (monotonic)

    async def ask(self, person_id: int, question: Question, where: str = "", community_id: int | None = None,
                  connection=None) -> None:
        """Store the question as the person's pending one (a newer question replaces an older one)."""
        self._none.pop(person_id, None)
        now = self.clock()
        values = {"conversation": where, "handler": question.handler, "data": question.data, "prompt": question.prompt,
                  "community_id": community_id, "created_at": now, "expires_at": now + timedelta(days=question.days)}
        updated = await PendingQuestion.filter(person_id=person_id).using_db(connection).update(**values)
        if not updated:
            await PendingQuestion.create(person_id=person_id, using_db=connection, **values)

    async def pending(self, person_id: int) -> PendingQuestion | None:
        now = time.monotonic()
        if self._none.get(person_id, 0.0) > now:
            return None
        row = await one(PendingQuestion, 'SELECT * FROM "pending_question" WHERE "person_id" = ?', [person_id])
        if row is not None and row.expires_at <= self.clock():
            await PendingQuestion.filter(id=row.id).delete()
            row = None
        if row is None:
            if len(self._none) > 20000:
                self._none = {p: until for p, until in self._none.items() if until > now}
            self._none[person_id] = now + NONE_FOR
        return row

    async def drop(self, person_id: int) -> bool:
        return await PendingQuestion.filter(person_id=person_id).delete() > 0

    async def prune(self) -> int:
        return await PendingQuestion.filter(expires_at__lte=self.clock()).delete()
