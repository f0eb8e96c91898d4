"""What Relais keeps, and for how long: handled events and mails, offered choices and old questions are pruned; so
are the traces of addresses never confirmed, used link codes and mail state no person needs any more."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any, Callable

from tortoise.expressions import Q

from bot.core.topics import KEEP as TOPICS_KEEP
from models import Account, ChoiceOffer, InboundEvent, InboundStatus, LinkAttempt, LinkCode, MessageTopic, PendingQuestion, Person
from models.mail import InboundMail, ListDeparture, MailAddress, MailStatus

KEEP = timedelta(days=30)  # handled events and mails, offered choices; parked ones stay until an operator acts
RATE_WINDOW = timedelta(days=1)  # an address's reply counter matters for an hour; its row, a day after the last reply
FILES_EVERY = timedelta(days=1)  # the file store is swept once a day (listing a bucket is not free)
log = logging.getLogger("relais.retention")


class Retention:
    def __init__(self, clock: Callable[[], datetime], keep: timedelta = KEEP, files: Any = None, documents: Any = None):
        self.clock = clock
        self.keep = keep
        self.files = files  # bot/services/files.py and documents.py: the files nothing uses any more go, once a day
        self.documents = documents
        self._files_at: datetime | None = None

    async def prune(self) -> dict[str, int]:
        """Delete what is past keeping; returns how many of each (logged by the scheduler)."""
        now = self.clock()
        old = now - self.keep
        return {
            "events": await InboundEvent.filter(status=InboundStatus.DONE, created_at__lt=old).delete(),
            "mails": await InboundMail.filter(status=MailStatus.DONE, received_at__lt=old).delete(),
            # Mail from an address never confirmed: its sender did not answer the confirmation within the keep.
            "held": await InboundMail.filter(status=MailStatus.HELD, received_at__lt=old).delete(),
            "unconfirmed": await self._unconfirmed(old),
            "offers": await ChoiceOffer.filter(created_at__lt=old).delete(),
            "questions": await PendingQuestion.filter(expires_at__lte=now).delete(),
            "link_codes": await LinkCode.filter(expires_at__lte=now).delete(),
            "link_attempts": await LinkAttempt.filter(Q(locked_until__isnull=True) | Q(locked_until__lte=now),
                                                      last_failure_at__lt=now - RATE_WINDOW).delete(),
            "addresses": await self._addresses(now),
            "departures": await ListDeparture.filter(created_at__lt=old).delete(),
            # What old messages were about: a reply to one this old is an ordinary message.
            "topics": await MessageTopic.filter(created_at__lt=now - TOPICS_KEEP).delete(),
            **await self._files(now),
        }

    async def _files(self, now: datetime) -> dict[str, int]:
        """Once a day: the documents removed past their Undo, then the files no row uses (rows and bytes, in the data
        directory or the bucket). A store that does not answer leaves the rest of the pruning done."""
        if self.files is None or (self._files_at is not None and now - self._files_at < FILES_EVERY):
            return {}
        self._files_at = now
        try:
            documents = await self.documents.purge() if self.documents is not None else 0
            return {"documents": documents, "files": await self.files.prune()}
        except Exception:
            log.exception("file pruning failed; tried again tomorrow")
            return {}

    @staticmethod
    async def _unconfirmed(old: datetime) -> int:
        """Email accounts whose confirmation was never answered, and the people they alone made (a first mail)."""
        stale = await Account.filter(platform="email", confirmed=False, created_at__lt=old)
        if not stale:
            return 0
        await Account.filter(id__in=[a.id for a in stale]).delete()
        people = {a.person_id for a in stale}
        kept = set(await Account.filter(person_id__in=list(people)).values_list("person_id", flat=True))
        await Person.filter(id__in=list(people - kept)).delete()
        return len(stale)

    @staticmethod
    async def _addresses(now: datetime) -> int:
        """An address's reply counter once no account has it (removed, erased); one that bounced or asked for no mail
        stays on that list."""
        used = await Account.filter(platform="email").values_list("address", flat=True)
        return await MailAddress.filter(Q(window_start__isnull=True) | Q(window_start__lt=now - RATE_WINDOW),
                                        disabled=False, unsubscribed=False).exclude(address__in=list(used)).delete()
