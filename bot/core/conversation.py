"""Conversations: a question Relais asked waits, in the database, for the person's next message as its answer.

It survives restarts, expires (7 days by default), and is answered from a direct chat on any platform or by
mail. A line that is a known command still runs as that command; `cancel` drops the question.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Callable

from bot.core.replies import Question
from models import PendingQuestion


class Conversations:
    def __init__(self, clock: Callable[[], datetime]):
        self.clock = clock

    async def ask(self, person_id: int, question: Question, where: str = "", community_id: int | None = None,
                  connection=None) -> None:
        """Store the question as the person's pending one (a newer question replaces an older one)."""
        now = self.clock()
        values = {"conversation": where, "handler": question.handler, "data": question.data, "prompt": question.prompt,
                  "community_id": community_id, "created_at": now, "expires_at": now + timedelta(days=question.days)}
        updated = await PendingQuestion.filter(person_id=person_id).using_db(connection).update(**values)
        if not updated:
            await PendingQuestion.create(person_id=person_id, using_db=connection, **values)

    async def pending(self, person_id: int) -> PendingQuestion | None:
        row = await PendingQuestion.get_or_none(person_id=person_id)
        if row is not None and row.expires_at <= self.clock():
            await PendingQuestion.filter(id=row.id).delete()
            return None
        return row

    async def drop(self, person_id: int) -> bool:
        return await PendingQuestion.filter(person_id=person_id).delete() > 0

    async def prune(self) -> int:
        return await PendingQuestion.filter(expires_at__lte=self.clock()).delete()
