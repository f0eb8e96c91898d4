"""Reads stored mail once: bounces, loops and list traffic first, then consent, then command lines for the core."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable
from email import message_from_bytes

from bot.core.errors import UserError
from bot.core.i18n import normalize_locale
from bot.core.incoming import Incoming, Origin, Upload
from bot.core.replies import Choice, Reply
from bot.runtime.adapter import Turn
from bot.runtime.inbox import Event, Held
from bot.runtime.ports import Ports
from bot.services.votes_count import read_ballot
from mail import reading
from mail import tokens as tk
from mail.commands import Lines, command_lines, is_number, summary
from mail.compose import Composer
from mail.outbound import Ready, reply_actions
from models import Account, Community, OutboxMessage, Person, VotePoll
from models.mail import InboundMail, OutgoingMail

log = logging.getLogger("relais.mail")
logging.getLogger("flufl.bounce").setLevel(logging.WARNING)  # it logs every detector it tries at INFO
AUTO_PRECEDENCE = {"bulk", "junk", "list", "auto_reply"}
# RFC 3834 §2: mail from these local parts is never answered, whatever it says (a DSN too broken to be read as one,
# a list robot, a no-reply address); French senders write "ne-pas-repondre".
_AUTOMATIC = re.compile(r"(mailer-daemon|postmaster|listserv|majordomo|owner-.+|.+-(request|bounces|owner)"
                        r"|no[-_.]?reply|do[-_.]?not[-_.]?reply|ne[-_.]?pas[-_.]?repondre)")


def automatic_sender(address: str) -> bool:
    """Whether the address (From or envelope sender) belongs to a robot that must not be answered."""
    local = address.strip("<>").rsplit("@", 1)[0].lower().split("+", 1)[0]
    return bool(local) and _AUTOMATIC.fullmatch(local) is not None


class MailReader:
    """What a stored mail means: a bounce, list traffic, a loop to ignore, a confirmation, mail to hold until its
    sender confirms, or command lines for the core (answered together in one reply: `combine`)."""

    def __init__(self, ports: Ports, ready: Ready, bounce_limit: int, wake_queue: Callable[[], None],
                 wake_inbox: Callable[[], None]):
        self.ports = ports
        self.services = ports.services
        self.clock = ports.clock
        self.ready = ready  # the composer: addresses, tokens, Message-IDs
        self.bounce_limit = bounce_limit
        self.wake_queue = wake_queue  # a confirmation was queued as outgoing mail
        self.wake_inbox = wake_inbox  # mail held for a confirmed address is pending again

    async def translate(self, event: Event) -> Turn:
        row = event.obj if isinstance(event.obj, InboundMail) else await InboundMail.get(id=event.id)
        event.obj = row
        if row.size > 256 * 1024:  # parsing a big mail takes a while: keep the loop free
            mail = await asyncio.to_thread(reading.read, bytes(row.content))
        else:
            mail = reading.read(bytes(row.content))
        turn = await self.read(row, mail)
        if turn.outcome == "held":
            log.info("mail held until its sender confirms", extra={"mail_id": row.id})
            raise Held("held")
        return turn

    async def read(self, row: InboundMail, mail: reading.ReadMail) -> Turn:
        composer = await self.ready()
        email = self.services.email
        row.sender = mail.sender  # stored with the outcome: held mail is released by sender
        if not row.mail_from or _is_report(row):
            return Turn(None, outcome=await self._bounce(row, email, self.bounce_limit, composer))
        if composer.is_ours(mail.sender) or composer.address in mail.headers.get("x-loop", "").lower():
            return Turn(None, outcome="own mail")
        if mail.list_id:
            mlist = await self.services.lists.by_list_id(mail.list_id)
            if mlist is None:
                return Turn(None, outcome="list mail")
            await self.services.lists.record_post(mlist.community_id, mail.sender, row.received_at, subject=mail.subject, text=mail.text,
                                                  author=mail.display_name, message_id=mail.message_id,
                                                  archive_url=mail.headers.get("archived-at", ""))
            return Turn(None, outcome="list post")
        if (mail.auto_submitted not in ("", "no") or mail.precedence in AUTO_PRECEDENCE
                or "x-autoreply" in mail.headers or "x-autorespond" in mail.headers):
            return Turn(None, outcome="auto-submitted")
        if automatic_sender(mail.sender) or automatic_sender(row.mail_from):
            return Turn(None, outcome="automatic sender")
        if not mail.sender:
            return Turn(None, outcome="no sender")
        context = self._token(row, composer, bounce=False)
        if context is not None and context.kind == tk.CONFIRM:
            return await self._confirm(row, mail, context, email)
        account = await email.first_contact(mail.sender, mail.display_name, normalize_locale(mail.language, "") or None)
        if not account.confirmed:
            if await email.queue_confirmation(account, account.person, _answering(mail), held=True):
                self.wake_queue()
            return Turn(None, outcome="held")
        choices = await self._choices(context, account) if context and not context.expired else None
        names = [mail.display_name, *re.split(r"[._-]", mail.sender.partition("@")[0])]
        ballot = await self._ballot(context, account, mail.text) if context and not context.expired else None
        lines = Lines(commands=[(ballot, Origin.EMAIL)]) if ballot else \
            command_lines(mail.subject, mail.text, self.ports.registry, choices, names)
        ignored = lines.ignored
        refs = tuple(reversed(mail.references))  # nearest first: the mail it answers, then the thread before it
        named = await self._named(context, account, composer)
        if named and named not in refs:  # sent to the Reply-To of a notification: that one is answered
            refs = (named, *refs)
        words = None if ballot else await self._in_words(mail, account, refs, lines)
        if words is not None:  # what the person wrote is one message (a comment, an answer), not command lines
            lines.commands = [(words, Origin.EMAIL)]
            ignored = []
        locale = normalize_locale(mail.language, "") or None
        files = tuple(Upload(name, data) for name, data in mail.files)  # each command that takes files finds them
        incomings = [Incoming(platform="email", address=account.address, text=line, display_name=mail.display_name,
                              locale=locale, origin=origin, message_id=mail.message_id or None, replying_to=refs, files=files)
                     for line, origin in lines.commands]
        where = self._where(row, mail, account)
        where.update(ignored=ignored, expired=bool(context and context.expired and is_number(mail.text)))
        return Turn(incomings, where, outcome="commands")

    async def _in_words(self, mail: reading.ReadMail, account: Account, refs: tuple[str, ...], lines) -> str | None:
        """The text of a mail that is one message rather than command lines: a reply to a notification about something
        (a comment on it, the answer to a prompt) — its whole text —, or, while a question of Relais waits, a reply to
        one of Relais' mails or a mail with no command in it — its first paragraph (a sign-off or a name comes after a
        blank line). A number answering the mail's choices, or a first line that is a /command, stays a command."""
        text = mail.text.strip()
        if not text or any(origin == Origin.BUTTON for _, origin in lines.commands) or text[:1] in ("/", "!"):
            return None
        first = " ".join(re.split(r"\n\s*\n", text, maxsplit=1)[0].split())[:2000]
        topics = await self.ports.topics.of_message("email", refs) if refs and self.ports.topics is not None else ()
        if topics:  # an answer to a prompt is one paragraph; a comment is all they wrote
            return first if topics[0][0] == "prompt" else text[:4000]
        if not await self.services.conversations.pending(account.person_id):
            return None
        composer = await self.ready()
        ours = any(ref.lower().startswith("<relais.") and ref.lower().endswith(f"@{composer.domain}>") for ref in refs)
        return first if ours or lines.unknown_only else None

    @staticmethod
    async def _named(context: tk.AddressToken | None, account: Account, composer: Composer) -> str:
        """The Message-ID of the notification whose reply address (OUTBOX) the mail was sent to, when it went to this
        person."""
        if context is None or context.kind != tk.OUTBOX or context.expired:
            return ""
        row = await OutboxMessage.get_or_none(id=context.ids[0])
        if row is None or row.person_id != account.person_id:
            return ""
        return composer.message_id(f"o{row.id}", row.created_at)

    @staticmethod
    def _where(row: InboundMail, mail: reading.ReadMail, account: Account) -> dict:
        """Where the answer goes: a reply in the sender's thread (Re: subject, In-Reply-To, References)."""
        return {"mail": row.id, "to": account.address, "account": account.id, "person": account.person_id,
                "subject": mail.subject, "in_reply_to": mail.message_id, "language": mail.language,
                "references": _references(mail), "name": mail.display_name}

    async def combine(self, results: list[tuple[str, Reply]], where: dict) -> Reply:
        # After the commands: a `lang` among them counts; a `link` may have joined the sender to another person, and
        # `forget me` erased them (the answer then goes in the mail's own language).
        account = await Account.get_or_none(id=where["account"])
        person = await Person.get_or_none(id=account.person_id) if account is not None else None
        t = self.ports.catalogs.get((person.locale if person else None) or where.get("language") or self.ports.default_locale)
        where["locale"] = t.locale
        if any(reply.sensitive for _, reply in results):  # a secret ballot written in the subject is not echoed back
            where["subject"] = ""
        return summary(results, where.get("ignored", []), t, expired_context=where.get("expired", False))

    @staticmethod
    def _token(row: InboundMail, composer: Composer, bounce: bool) -> tk.AddressToken | None:
        """The token of the address the mail was sent to: a bounce address (VERP) or a reply address (its context)."""
        for rcpt in row.rcpt_tos:
            token = composer.token_of(rcpt)
            read = composer.tokens.read_address_token(token) if token else None
            if read is not None and (read.kind == tk.BOUNCE) == bounce:
                return read
        return None

    async def _ballot(self, context: tk.AddressToken, account: Account, text: str) -> str | None:
        """A reply to a ballot mail whose first line is a ballot (`2 1 3`, `1 oui, 2 peut-être, 3 non`, `2`): the vote
        command it stands for, checked by the core like any other; None for anything else (a command, a question)."""
        if context.kind != tk.VOTE or len(context.ids) < 2 or context.ids[1] != account.id:
            return None
        first = next((line.strip() for line in text.splitlines() if line.strip()), "")
        poll = await VotePoll.get_or_none(id=context.ids[0]) if first and len(first) <= 200 else None
        if poll is None:
            return None
        try:
            read_ballot(poll.kind, len(poll.options), first.split())
        except UserError:
            return None
        community = await Community.get(id=poll.community_id)
        return f"vote {community.slug}#{poll.number} {first}"

    async def _choices(self, context: tk.AddressToken, account: Account) -> list[Choice] | None:
        """The choices of the mail being answered, when the sender is the person it went to."""
        if context.kind == tk.VOTE:  # (poll, account, choice set or 0): a number answers the ballot mail's choices
            if len(context.ids) < 3 or context.ids[1] != account.id or not context.ids[2]:
                return None
            return await self.ports.choices.choices(context.ids[2])
        if context.kind == tk.CHOICES:  # (set, account): the choice memory
            if len(context.ids) < 2 or context.ids[1] != account.id:
                return None
            return await self.ports.choices.choices(context.ids[0])
        # Mails sent before the choice memory name the outbox message or outgoing mail they answer.
        if context.kind == tk.OUTBOX:
            row = await OutboxMessage.get_or_none(id=context.ids[0])
            if row is None or row.person_id != account.person_id:
                return None
            return Reply.from_dict(row.payload).choices
        out = await OutgoingMail.get_or_none(id=context.ids[0])
        if out is None or out.address != account.address:
            return None
        return Reply.from_dict(out.payload["reply"]).choices

    async def _confirm(self, row, mail, context: tk.AddressToken, email) -> Turn:
        account = await Account.get_or_none(id=context.ids[0], platform="email").select_related("person")
        if context.expired:
            if (account is not None and not account.confirmed
                    and await email.queue_confirmation(account, account.person, _answering(mail))):
                self.wake_queue()
            return Turn(None, outcome="confirmation expired")
        done = await email.confirm(context.ids[0], context.ids[1] if len(context.ids) > 1 else None)
        if done is None:
            return Turn(None, outcome="confirmation stale")
        account, newly = done
        self.wake_inbox()  # the mail held for this address is pending again
        if not newly:
            return Turn(None, outcome="confirmation replayed")  # recorded, not answered again
        person = await Person.get(id=account.person_id)
        t = self.ports.catalogs.get(person.locale or self.ports.default_locale)
        reply = Reply().para(t("Thank you: {address} is confirmed. Relais can now write to you there.", address=account.address))
        reply.choice(t("What can I do?"), "help")
        where = {**self._where(row, mail, account), "locale": t.locale}
        return Turn(None, before=reply_actions(reply, where), outcome="confirmed")

    async def _bounce(self, row: InboundMail, email, limit: int, composer: Composer) -> str:
        """A DSN counts against the account whose bounce address (VERP) it came back to, never against whoever
        it names: anybody can write a DSN naming alice@ to relais@."""
        try:
            from flufl.bounce import all_failures  # imported when a bounce comes

            temporary, permanent = all_failures(message_from_bytes(bytes(row.content)))
        except Exception:  # a detector choking on odd input: nothing is counted
            log.exception("bounce scan failed", extra={"mail_id": row.id})
            return "bounce unreadable"
        if not permanent and not temporary:
            return "null sender"
        verp = self._token(row, composer, bounce=True)
        if verp is None:
            log.info("bounce to no VERP address: not counted", extra={"mail_id": row.id})
            return "bounce to no VERP address"
        if verp.expired:
            return "bounce to an expired VERP address"
        account = await Account.get_or_none(id=verp.ids[0], platform="email")
        if account is None:
            return "bounce for a removed address"
        if permanent:
            await email.bounced(account.address, limit)
        log.info("bounce", extra={"mail_id": row.id, "permanent": len(permanent), "temporary": len(temporary)})
        return "bounce"


def _references(mail: reading.ReadMail) -> list[str]:
    return [*mail.references, mail.message_id] if mail.message_id else list(mail.references)


def _answering(mail: reading.ReadMail) -> dict:
    """What a confirmation needs to answer the mail that caused it in its thread, to its sender by name."""
    return {"re": mail.subject, "in_reply_to": mail.message_id, "references": _references(mail), "name": mail.display_name}


def _is_report(row: InboundMail) -> bool:
    head = bytes(row.content[:4096]).lower()
    return b"multipart/report" in head and b"delivery-status" in head
