"""What Relais keeps, and for how long: handled events and mails, offered choices and old questions are pruned."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Callable

from models import ChoiceOffer, InboundEvent, InboundStatus, PendingQuestion
from models.mail import InboundMail, MailStatus

KEEP = timedelta(days=30)  # handled events and mails, offered choices; parked ones stay until an operator acts


class Retention:
    def __init__(self, clock: Callable[[], datetime], keep: timedelta = KEEP):
        self.clock = clock
        self.keep = keep

    async def prune(self) -> dict[str, int]:
        """Delete what is past keeping; returns how many of each (logged by the scheduler)."""
        now = self.clock()
        old = now - self.keep
        return {
            "events": await InboundEvent.filter(status=InboundStatus.DONE, created_at__lt=old).delete(),
            "mails": await InboundMail.filter(status=MailStatus.DONE, received_at__lt=old).delete(),
            # Mail from an address never confirmed: its sender did not answer the confirmation within the keep.
            "held": await InboundMail.filter(status=MailStatus.HELD, received_at__lt=old).delete(),
            "offers": await ChoiceOffer.filter(created_at__lt=old).delete(),
            "questions": await PendingQuestion.filter(expires_at__lte=now).delete(),
        }
