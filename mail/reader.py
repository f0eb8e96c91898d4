"""Processes stored mail once: bounces, loops and list traffic first, then consent, then commands and one reply."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from email import message_from_bytes

from flufl.bounce import all_failures
from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from bot.core.i18n import normalize_locale
from bot.core.incoming import Incoming
from bot.core.workloop import WorkLoop, claim
from bot.core.replies import Choice, Reply
from bot.services.email import Email
from bot.services.mailing_lists import Lists
from mail import reading
from mail import tokens as tk
from mail.commands import command_lines, is_number, summary
from models import Account, OutboxMessage, Person
from models.mail import InboundMail, MailStatus, OutgoingMail

log = logging.getLogger("relais.mail")
logging.getLogger("flufl.bounce").setLevel(logging.WARNING)  # it logs every detector it tries at INFO
MAX_ATTEMPTS = 5  # then the mail is parked as failed, with its error, for an operator to look at
AUTO_PRECEDENCE = {"bulk", "junk", "list", "auto_reply"}


class MailWorker(WorkLoop):
    name = "mail worker"

    def __init__(self, mail, interval: float = 1.0, batch: int = 100, concurrency: int = 8, lease: float = 300.0):
        self.mail = mail
        self.app = mail.app
        self.clock = mail.app.clock
        self.interval, self.batch = interval, batch
        self.lease = timedelta(seconds=lease)
        self._limit = asyncio.Semaphore(concurrency)

    async def work_due(self) -> int:
        return await self.process_due()

    async def _claim(self) -> list[InboundMail]:
        now = self.clock()
        due = Q(status=MailStatus.PENDING) & (Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        return await claim(InboundMail, due, MailStatus.WORKING, now, self.lease, self.batch)

    async def process_due(self) -> int:
        rows = await self._claim()
        if not rows:
            return 0
        read = await asyncio.gather(*(self._read(row) for row in rows))
        by_sender: dict[str, list] = {}
        for row, mail in zip(rows, read):
            by_sender.setdefault(mail.sender if mail else f"?{row.id}", []).append((row, mail))
        await asyncio.gather(*(self._sender_batch(items) for items in by_sender.values()))
        return len(rows)

    async def _read(self, row: InboundMail) -> reading.ReadMail | None:
        try:
            if row.size > 256 * 1024:  # parsing a big mail takes a while: keep the loop free
                return await asyncio.to_thread(reading.read, bytes(row.content))
            return reading.read(bytes(row.content))
        except Exception:
            log.exception("mail unreadable", extra={"mail_id": row.id})
            return None

    async def _sender_batch(self, items) -> None:
        async with self._limit:
            for row, mail in items:  # one sender's mails keep their order
                try:
                    if mail is None:
                        raise ValueError("the mail could not be read")
                    outcome = await self.handle(row, mail)
                except Exception as exc:
                    await self._failed(row, exc)
                    continue
                if outcome == "held":
                    await InboundMail.filter(id=row.id).update(status=MailStatus.HELD, outcome=outcome, claimed_until=None,
                                                               sender=row.sender)
                    log.info("mail held until its sender confirms", extra={"mail_id": row.id})
                elif outcome is not None:
                    await self._done(row, outcome)

    async def _done(self, row: InboundMail, outcome: str, connection=None) -> None:
        await InboundMail.filter(id=row.id).using_db(connection).update(
            status=MailStatus.DONE, outcome=outcome, handled_at=self.clock(), claimed_until=None, sender=row.sender)
        log.info("mail handled", extra={"mail_id": row.id, "outcome": outcome})

    async def _failed(self, row: InboundMail, exc: Exception) -> None:
        attempts = row.attempts + 1
        error = f"{type(exc).__name__}: {str(exc)[:300]}"
        log.error("mail processing failed", exc_info=exc, extra={"mail_id": row.id, "attempts": attempts})
        status = MailStatus.FAILED if attempts >= MAX_ATTEMPTS else MailStatus.PENDING
        await InboundMail.filter(id=row.id).update(status=status, attempts=attempts, last_error=error, claimed_until=None,
                                                   next_attempt_at=self.clock() + timedelta(seconds=2.0 ** attempts))

    async def handle(self, row: InboundMail, mail: reading.ReadMail) -> str | None:
        """What became of the mail (the outcome logged and stored); None when it was finished here."""
        composer = await self.mail.ready()
        settings = self.mail.settings.mail
        email = Email(self.app.services)
        row.sender = mail.sender  # stored with the outcome: held mail is released by sender
        if not row.mail_from or _is_report(row):
            return await self._bounce(row, email, settings.bounce_limit)
        if composer.is_ours(mail.sender) or composer.address in mail.headers.get("x-loop", "").lower():
            return "own mail"
        if mail.list_id:
            mlist = await Lists(self.app.services).by_list_id(mail.list_id)
            if mlist is None:
                return "list mail"
            await Lists(self.app.services).record_post(mlist.community_id, mail.sender, row.received_at)
            return "list post"
        if (mail.auto_submitted not in ("", "no") or mail.precedence in AUTO_PRECEDENCE
                or "x-autoreply" in mail.headers or "x-autorespond" in mail.headers):
            return "auto-submitted"
        if not mail.sender:
            return "no sender"
        context = self._context(row, composer)
        if context is not None and context.kind == tk.CONFIRM:
            return await self._confirm(row, mail, context, email)
        account = await email.first_contact(mail.sender, mail.display_name, normalize_locale(mail.language, "") or None)
        if not account.confirmed:
            if await email.queue_confirmation(account, account.person):
                self.mail.queue.wake()
            return "held"
        choices = await self._choices(context, account) if context and not context.expired else None
        return await self._commands(row, mail, account, choices, context is not None and context.expired, email)

    def _context(self, row: InboundMail, composer) -> tk.AddressToken | None:
        for rcpt in row.rcpt_tos:
            token = composer.token_of(rcpt)
            if token:
                return composer.tokens.read_address_token(token)
        return None

    async def _choices(self, context: tk.AddressToken, account: Account) -> list[Choice] | None:
        """The choices of the mail being answered, when the sender is the person it went to."""
        if context.kind == tk.OUTBOX:
            row = await OutboxMessage.get_or_none(id=context.ids[0])
            if row is None or row.person_id != account.person_id:
                return None
            return Reply.from_dict(row.payload).choices
        out = await OutgoingMail.get_or_none(id=context.ids[0])
        if out is None or out.address != account.address:
            return None
        return Reply.from_dict(out.payload["reply"]).choices

    async def _confirm(self, row, mail, context: tk.AddressToken, email: Email) -> str | None:
        account = await Account.get_or_none(id=context.ids[0], platform="email").select_related("person")
        if context.expired:
            if account is not None and not account.confirmed and await email.queue_confirmation(account, account.person):
                self.mail.queue.wake()
            return "confirmation expired"
        done = await email.confirm(context.ids[0], context.ids[1] if len(context.ids) > 1 else None)
        if done is None:
            return "confirmation stale"
        account, _ = done
        self.wake()  # the mail held for this address is pending again
        person = await Person.get(id=account.person_id)
        t = self.app.catalogs.get(person.locale or self.app.settings.core.default_locale)
        reply = Reply().para(t("Thank you: {address} is confirmed. Relais can now write to you there.", address=account.address))
        reply.choice(t("What can I do?"), "help")
        return await self._reply(row, mail, account, reply, t.locale, email, "confirmed")

    async def _commands(self, row, mail, account: Account, choices, expired: bool, email: Email) -> str | None:
        lines = command_lines(mail.subject, mail.text, self.app.registry, choices)
        results = [(item["line"], Reply.from_dict(item["reply"])) for item in row.progress]
        for line, origin in lines.commands[len(results):]:  # a retry skips the lines already run
            incoming = Incoming(platform="email", address=account.address, text=line, display_name=mail.display_name,
                                locale=normalize_locale(mail.language, "") or None, origin=origin, message_id=mail.message_id or None)
            reply = await self.app.dispatcher.handle(incoming) or Reply()
            results.append((line, reply))
            row.progress = [*row.progress, {"line": line, "reply": reply.to_dict()}]
            await InboundMail.filter(id=row.id).update(progress=row.progress)
        person = await Person.get(id=account.person_id)
        t = self.app.catalogs.get(person.locale or mail.language or self.app.settings.core.default_locale)
        out = summary(results, lines.ignored, t, expired_context=expired and is_number(mail.text))
        return await self._reply(row, mail, account, out, t.locale, email, "commands")

    async def _reply(self, row, mail, account: Account, reply: Reply, locale: str, email: Email, outcome: str) -> str | None:
        if not await email.may_reply(account.address, self.mail.settings.mail.replies_per_hour):
            log.warning("reply rate limit reached", extra={"mail_id": row.id})
            return f"{outcome}, not answered (rate limit)"
        payload = {"reply": reply.to_dict(), "subject": mail.subject, "in_reply_to": mail.message_id,
                   "references": [*mail.references, mail.message_id] if mail.message_id else mail.references,
                   "locale": locale, "account": account.id}
        async with in_transaction() as conn:  # the answer is queued exactly when the mail is marked done
            await email.queue(account.address, "reply", f"reply:{row.id}", payload, connection=conn)
            await self._done(row, outcome, connection=conn)
        self.mail.queue.wake()
        return None

    async def _bounce(self, row: InboundMail, email: Email, limit: int) -> str:
        try:
            temporary, permanent = all_failures(message_from_bytes(bytes(row.content)))
        except Exception:  # a detector choking on odd input: nothing is counted
            log.exception("bounce scan failed", extra={"mail_id": row.id})
            return "bounce unreadable"
        for address in permanent:
            text = (address.decode("utf-8", "replace") if isinstance(address, bytes) else str(address)).strip("<>").lower()
            await email.bounced(text, limit)
        log.info("bounce", extra={"mail_id": row.id, "permanent": len(permanent), "temporary": len(temporary)})
        return "bounce" if permanent or temporary else "null sender"


def _is_report(row: InboundMail) -> bool:
    head = bytes(row.content[:4096]).lower()
    return b"multipart/report" in head and b"delivery-status" in head
