"""The email channel as one adapter: the gateway into the core's inbox, the reader, replies and person delivery,
the outgoing queue, signed links on the web endpoint, Mailman lists."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from bot.adapters.web import WebServer
from bot.config import MailmanSettings, MailSettings
from bot.core.errors import TemporaryFailure, Unreachable
from bot.core.plan import Plan
from bot.core.replies import Picture, Reply
from bot.runtime.adapter import Turn
from bot.runtime.inbox import Event, Inbox
from bot.runtime.pipeline import Pipeline
from bot.runtime.ports import Ports
from mail import tokens as tk
from mail.compose import Composer
from mail.inbound import Gateway
from mail.invites import addressed
from mail.links import LinkPages
from mail.outbound import OutgoingQueue, reply_actions
from mail.reader import MailReader
from mail.render import NATIVE, subject_for
from mail.signing import DkimSigner
from mail.smtp import FileDrop, PermanentSmtpError, SmtpPool, TemporarySmtpError
from mail.store import MailStore
from models import Account, OutboxMessage, Person

log = logging.getLogger("relais.mail")
PLATFORM = "email"


class MailAdapter:
    """People act by writing to Relais; links in its mails work without a login; lists live on Mailman."""

    platform = PLATFORM
    native = (*NATIVE, Picture)  # pictures become inline images (their bytes from the file store)

    def __init__(self, settings: MailSettings, ports: Ports, *, smtp_url: str = "", public_url: str = "",
                 secret: str = "", web: WebServer | None = None, mailman: MailmanSettings | None = None):
        self.settings = settings
        self.ports = ports
        self.public_url = public_url.rstrip("/")
        self.secret = secret
        # DKIM: the key is read here, once; a missing or unusable one stops the start with the setting to change.
        signer = DkimSigner.load(settings.dkim_selector, settings.dkim_key_file, settings.dkim_domain or settings.domain)
        self.transport = (SmtpPool(smtp_url, bounce_address=self._bounce_address, signer=signer) if smtp_url
                          else FileDrop(ports.data_dir / "mail-out", signer=signer))
        if isinstance(self.transport, FileDrop):  # mail kept as files: `forget me` takes a person's away
            ports.services.mydata.erasers.append(self.transport.forget)
        self.store = MailStore(ports.clock)
        self.inbox = Inbox("mail", self.store, Pipeline(self, ports.dispatch, self.store, ports.choices, ports.topics), ports.clock,
                           ports.policy, concurrency=8)
        self.queue = OutgoingQueue(self.ready, self.transport, ports.choices, ports.services.email, settings.bounce_limit, ports.clock)
        self.reader = MailReader(ports, self.ready, settings.bounce_limit, self.queue.wake, self.inbox.wake)
        self.gateway: Gateway | None = None
        self.web = web
        self.mailman = None
        self.mailman_settings = mailman
        if mailman is not None and mailman.url:
            from mail.mailman import MailmanSync

            self.mailman = MailmanSync(mailman, self.ready, self.transport, ports.services, ports.catalogs, ports.clock)
        if web is not None:
            LinkPages(ports, self.ready, self.public_url, self.inbox.wake).register(web)
        self._composer: Composer | None = None
        self._lock = asyncio.Lock()
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task] = []

    @property
    def lists_domain(self) -> str:
        domain = self.mailman_settings.domain if self.mailman_settings is not None else ""
        return (domain or self.settings.domain).lower()

    async def ready(self) -> Composer:
        """The composer, made once the signing key is loaded (or generated and stored)."""
        if self._composer is None:
            async with self._lock:
                if self._composer is None:
                    secret = await tk.load_secret(self.secret)
                    tokens = tk.Tokens(secret, self.ports.clock)
                    self._composer = Composer(self.settings.domain, self.public_url, tokens, self.ports.catalogs,
                                              self.ports.clock, self.ports.default_locale)
        return self._composer

    def _bounce_address(self, account_id: int) -> str:
        """For the transport: every sender awaits ready() before sending, so the composer is there."""
        assert self._composer is not None
        return self._composer.bounce_address(account_id)

    def accepts(self, recipient: str) -> bool:
        """relais@ and relais+<token>@ whose signature holds (an expired one is accepted and answered)."""
        token = self._composer.token_of(recipient) if self._composer else None
        if token is None:
            return False
        return token == "" or self._composer.tokens.read_address_token(token) is not None  # type: ignore[union-attr]

    # -- lifecycle ----------------------------------------------------------------------------------------

    async def start(self) -> None:
        """The gateway first (a busy port stops the start, naming the setting), then the loops."""
        await self.ready()
        await self.ports.services.lists.publish_domain(self.lists_domain if self.mailman is not None else "")
        mail = self.settings
        if mail.listen:
            gateway = Gateway(mail.listen, mail.domain, mail.max_size, mail.lmtp, self.accepts, self.ports.clock,
                              self.inbox.wake)
            await gateway.start()
            self.gateway = gateway
        self._stop.clear()
        self._tasks = [asyncio.create_task(self.inbox.run(self._stop), name="mail-inbox"),
                       asyncio.create_task(self.queue.run(self._stop), name="mail-outgoing")]
        if self.mailman is not None:
            # Its passes post each news item once by a cursor: one process at a time runs them.
            mailman = self.mailman
            self._tasks.append(asyncio.create_task(self.ports.role("mailman").run(lambda: mailman.run(self._stop), self._stop),
                                                   name="mailman-sync"))

    async def stop(self) -> None:
        """Stop taking mail first, then let the loops finish their pass; what is left stays stored."""
        if self.gateway is not None:
            await self.gateway.stop()
            self.gateway = None
        self._stop.set()
        if self._tasks:
            done, pending = await asyncio.wait(self._tasks, timeout=10)
            for task in pending:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        self._tasks = []
        await self.inbox.stop()
        await self.transport.close()

    async def drain(self) -> int:
        """Handle what is stored now, until nothing is due (at exit and in tests); returns how many mails."""
        total = 0
        while count := await self.inbox.sweep():
            total += count
            await self.inbox.idle()
        await self.inbox.idle()
        return total

    # -- the contract -------------------------------------------------------------------------------------

    async def translate(self, event: Event) -> Turn | None:
        return await self.reader.translate(event)

    async def combine(self, results: list[tuple[str, Reply]], where: dict) -> Reply:
        return await self.reader.combine(results, where)

    async def render(self, reply: Reply, where: dict) -> Plan:
        if "outbox" in where:  # a notification: one mail, composed when sent (its Message-ID from the outbox row)
            return Plan([{"op": "notify", "outbox": where["outbox"], "account": where["account"], "reply": reply.to_dict()}])
        if not await self.ports.services.email.may_reply(where["to"], self.settings.replies_per_hour):
            log.warning("reply rate limit reached", extra={"mail_id": where.get("mail")})
            where["outcome"] = "commands, not answered (rate limit)"  # the mail was handled; its answer is not sent
            return Plan()
        return Plan(reply_actions(await self.ports.services.files.with_bytes(reply), where))

    async def perform(self, action: dict) -> str | None:
        if action["op"] == "notify":
            message = await OutboxMessage.get(id=action["outbox"])
            return await self._notify(await Account.get(id=action["account"]), Reply.from_dict(action["reply"]), message)
        await self.ports.services.email.queue(action["to"], "reply", action["key"], action["payload"])
        self.queue.wake()
        return None

    async def destination(self, account: Account | None, chat: str, message: OutboxMessage) -> dict:
        """A confirmed address that still receives; mailing lists get the digest and the list announcements, not room
        messages: nothing is posted to them."""
        if account is None:
            raise Unreachable(f"no room summary on a mailing list ({chat[:80]})")
        if not await self.ports.services.email.receives(account.address):
            raise Unreachable("bounced or unsubscribed address")
        return {"outbox": message.id, "account": account.id}

    async def _notify(self, account: Account, reply: Reply, message: OutboxMessage) -> str:
        """A notification to an address; the outbox row id makes the Message-ID, so a repeat is the same mail.
        What the payload says beside the reply (bot/services/notify.py) gives its subject, the thread it belongs to
        (a project's notifications refer to one id) and the community's List-Id."""
        composer = await self.ready()
        email = self.ports.services.email
        person = await Person.get(id=account.person_id)
        choice_set = await self.ports.choices.store(reply.choices) if reply.choices else None
        payload = message.payload
        community, thread = payload.get("community"), payload.get("thread")
        references = (composer.thread_id(thread, community["slug"]),) if thread and community else ()
        answering = _answering(payload, account)  # an answer to a mail the person wrote: in that mail's thread
        if answering:
            references = (*references, *answering)
        message_id = composer.message_id(f"o{message.id}", message.created_at)
        # A mail about something (a prompt, news one may answer): its Reply-To names this message, so that a reply reaches
        # Relais and finds what it answers even from a client that drops In-Reply-To and References (a number in it still
        # picks one of the message's choices).
        reply_to = composer.reply_address(tk.OUTBOX, message.id) if reply.about else ""
        reply = addressed(reply, account.address, person.display_name)  # an invitation names its attendee
        # Photos shown in the mail itself (cid:): a thumbnail linked to the full size when it has a link, else the full size.
        reply = await self.ports.services.files.with_bytes(reply, thumbs=True)
        msg = composer.mail(reply, to=account.address, to_name=person.display_name, reply_to=reply_to,
                            subject=payload.get("subject") or subject_for(reply, "Relais"), locale=person.locale,
                            message_id=message_id, account_id=account.id, choice_set=choice_set,
                            in_reply_to=answering[-1] if answering else "", references=references,
                            list_id=composer.list_id(community["slug"], community["name"]) if community else "")
        try:
            await self.transport.send(composer.address, [account.address], msg.as_bytes(), account_id=account.id)
        except PermanentSmtpError as exc:  # a bounce: the core retries until the address is disabled, then falls back
            if await email.bounced(account.address, self.settings.bounce_limit):
                raise Unreachable(str(exc)) from None
            raise TemporaryFailure(str(exc)) from None
        except TemporarySmtpError as exc:
            raise TemporaryFailure(str(exc)) from None
        return message_id


def _answering(payload: dict, account: Account) -> tuple[str, ...]:
    """The thread of the mail a notification answers (its References, then its Message-ID), when it goes back to the
    address that wrote it."""
    target = payload.get("reply_to") or {}
    if target.get("platform") != PLATFORM or payload.get("via") != account.handle or not target.get("ref"):
        return ()
    refs = [str(r) for r in target.get("references") or () if isinstance(r, str)]
    return tuple(dict.fromkeys([*refs[-9:], str(target["ref"])]))
