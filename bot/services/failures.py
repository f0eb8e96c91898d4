"""What was parked after its last try — inbound events, inbound mail, outgoing mail, outbox messages — and
putting it back: kept, never dropped, and visible to operators (`relais failed`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable

from tortoise.models import Model

from models import InboundEvent, InboundStatus, OutboxMessage, OutboxStatus
from models.mail import InboundMail, MailStatus, OutgoingMail


@dataclass
class Parked:
    ref: str  # kind:id, what `relais failed --retry` takes
    what: str
    attempts: int
    error: str
    at: datetime | None


# kind → (model, parked status, pending status, how to describe a row, its creation time)
KINDS: dict[str, tuple[type[Model], str, str, Callable, str]] = {
    "event": (InboundEvent, InboundStatus.FAILED, InboundStatus.PENDING, lambda r: f"{r.platform} event {r.key}", "created_at"),
    "mail": (InboundMail, MailStatus.FAILED, MailStatus.PENDING, lambda r: f"inbound mail from {r.mail_from or '<>'}", "received_at"),
    "outgoing": (OutgoingMail, MailStatus.FAILED, MailStatus.PENDING, lambda r: f"{r.kind} mail to {r.address}", "created_at"),
    "outbox": (OutboxMessage, OutboxStatus.FAILED, OutboxStatus.PENDING,
               lambda r: f"{r.kind} for {'person ' + str(r.person_id) if r.person_id else r.chat}", "created_at"),
}


class Failures:
    def __init__(self, clock: Callable[[], datetime]):
        self.clock = clock

    async def parked(self, limit: int = 200) -> list[Parked]:
        out: list[Parked] = []
        for kind, (model, failed, _, describe, created) in KINDS.items():
            rows: list[Any] = await model.filter(status=failed).order_by("id").limit(limit)  # the four share these columns
            for row in rows:
                out.append(Parked(f"{kind}:{row.pk}", describe(row), row.attempts, row.last_error or "", getattr(row, created)))
        return out

    async def count(self) -> dict[str, int]:
        return {kind: await model.filter(status=failed).count() for kind, (model, failed, *_) in KINDS.items()}

    async def retry(self, ref: str) -> bool:
        """Put one parked item back (`kind:id`); False when there is no such parked item."""
        kind, _, raw = ref.partition(":")
        if kind not in KINDS or not raw.isdigit():
            raise ValueError(f"{ref!r} is not kind:id with kind one of {', '.join(KINDS)}")
        model, failed, pending, *_ = KINDS[kind]
        return await model.filter(pk=int(raw), status=failed).update(**self._back(model, pending)) > 0

    async def retry_all(self) -> int:
        total = 0
        for model, failed, pending, *_ in KINDS.values():
            total += await model.filter(status=failed).update(**self._back(model, pending))
        return total

    def _back(self, model: type[Model], pending: str) -> dict:
        values: dict = {"status": pending, "attempts": 0, "claimed_until": None}
        if "next_attempt_at" in model._meta.fields_map:
            values["next_attempt_at"] = self.clock()
        return values
