"""The outgoing mail queue: mails to an address that are not a person delivery (confirmations, command replies),
sent with retries: 4xx waits with back-off, 5xx counts a bounce; parked after MAX_ATTEMPTS, never dropped."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import TYPE_CHECKING

from tortoise.expressions import Q

from bot.core.choices import ChoiceMemory
from bot.core.replies import Reply
from bot.runtime.workloop import WorkLoop, claim
from mail.compose import Composer
from mail.render import reply_subject, subject_for
from mail.smtp import FileDrop, PermanentSmtpError, SmtpPool
from models.mail import MailAddress, MailStatus, OutgoingMail

if TYPE_CHECKING:
    from bot.services.email import Email

log = logging.getLogger("relais.mail")
MAX_ATTEMPTS = 30  # with back-off capped at an hour: about a day of tries before a mail is parked
Ready = Callable[[], Awaitable[Composer]]  # the mail channel's composer, made once its signing key is loaded


def reply_actions(reply: Reply, where: dict) -> list[dict]:
    """A reply in the sender's thread, queued (once: its key) as outgoing mail."""
    payload = {"reply": reply.to_dict(), "subject": where.get("subject", ""), "in_reply_to": where.get("in_reply_to", ""),
               "references": where.get("references", []), "locale": where.get("locale"), "account": where.get("account"),
               "name": where.get("name", "")}
    return [{"op": "reply", "to": where["to"], "key": f"reply:{where['mail']}", "payload": payload}]


class OutgoingQueue(WorkLoop):
    name = "outgoing mail"

    def __init__(self, ready: Ready, transport: SmtpPool | FileDrop, choices: ChoiceMemory, email: Email, bounce_limit: int,
                 clock: Callable[[], datetime], interval: float = 1.0, batch: int = 50, max_backoff: float = 3600.0,
                 lease: float = 120.0):
        self.ready, self.transport, self.choices, self.email = ready, transport, choices, email
        self.bounce_limit = bounce_limit
        self.clock = clock
        self.interval, self.batch, self.max_backoff = interval, batch, max_backoff
        self.lease = timedelta(seconds=lease)

    async def work_due(self) -> int:
        return await self.send_due()

    async def _claim(self) -> list[OutgoingMail]:
        now = self.clock()
        return await claim(OutgoingMail, Q(status=MailStatus.PENDING, next_attempt_at__lte=now), MailStatus.WORKING,
                           now, self.lease, self.batch)

    async def send_due(self) -> int:
        rows = await self._claim()
        await asyncio.gather(*(self._send(row) for row in rows))
        return len(rows)

    async def build(self, row: OutgoingMail, composer: Composer) -> EmailMessage:
        p = row.payload
        reply = Reply.from_dict(p["reply"])
        message_id = composer.message_id(f"m{row.id}", row.created_at)
        if row.kind == "confirm":  # `re`: the subject of the mail that caused it, answered in its thread
            return composer.confirmation(reply, to=row.address, to_name=p.get("name", ""),
                                         subject=reply_subject(p.get("re", ""), p["subject"]), message_id=message_id,
                                         locale=p.get("locale"), account_id=p["account"], person_id=p["person"],
                                         in_reply_to=p.get("in_reply_to", ""), references=tuple(p.get("references", ())))
        choice_set = await self.choices.store(reply.choices) if reply.choices else None
        return composer.mail(reply, to=row.address, to_name=p.get("name", ""),
                             subject=reply_subject(p.get("subject", ""), subject_for(reply, "Relais")),
                             message_id=message_id, locale=p.get("locale"), account_id=p.get("account"), choice_set=choice_set,
                             in_reply_to=p.get("in_reply_to", ""), references=tuple(p.get("references", ())),
                             auto_replied=True)

    async def _send(self, row: OutgoingMail) -> None:
        composer = await self.ready()
        state = await MailAddress.get_or_none(address=row.address)
        if state is not None and state.disabled:
            await self._finish(row, MailStatus.FAILED, "address disabled after bounces")
            return
        try:
            message = await self.build(row, composer)
            await self.transport.send(composer.address, [row.address], message.as_bytes(), account_id=row.payload.get("account"))
        except PermanentSmtpError as exc:
            await self.email.bounced(row.address, self.bounce_limit)
            log.warning("mail rejected", extra={"mail_id": row.id, "kind": row.kind, "error": str(exc)[:200]})
            await self._finish(row, MailStatus.FAILED, str(exc))
        except Exception as exc:  # TemporarySmtpError, or a bug while building: retry later, keep the row
            attempts = row.attempts + 1
            error = f"{type(exc).__name__}: {str(exc)[:300]}"
            log.warning("mail deferred", extra={"mail_id": row.id, "kind": row.kind, "attempts": attempts, "error": error})
            if attempts >= MAX_ATTEMPTS:
                await self._finish(row, MailStatus.FAILED, error, attempts)
                return
            delay = min(self.max_backoff, 2.0 ** min(attempts, 20))
            await OutgoingMail.filter(id=row.id).update(status=MailStatus.PENDING, attempts=attempts, last_error=error,
                                                        next_attempt_at=self.clock() + timedelta(seconds=delay), claimed_until=None)
        else:
            await self._finish(row, MailStatus.DONE, "")

    async def _finish(self, row: OutgoingMail, status: MailStatus, error: str, attempts: int | None = None) -> None:
        await OutgoingMail.filter(id=row.id).update(status=status, last_error=error, claimed_until=None,
                                                    attempts=row.attempts + 1 if attempts is None else attempts,
                                                    sent_at=self.clock() if status == MailStatus.DONE else None)
