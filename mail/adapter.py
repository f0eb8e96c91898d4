"""The email channel as one adapter: gateway, worker, outgoing queue, person delivery, signed links, Mailman."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from mail import tokens as tk
from mail.compose import Composer
from mail.inbound import Gateway
from mail.outbound import EmailChannel, OutgoingQueue
from mail.smtp import FileDrop, SmtpPool
from mail.worker import MailWorker
from models import AdapterState

log = logging.getLogger("relais.mail")
LISTS_DOMAIN_KEY = "mail:lists_domain"  # read by `list create` (bot/handlers/email.py)


class MailAdapter:
    """Built by the App; the channel is registered at once so the outbox can reach email accounts."""

    name = "mail"

    def __init__(self, app):
        self.app = app
        self.settings = app.settings
        smtp_url = self.settings.smtp.url.get_secret_value()
        self.transport = SmtpPool(smtp_url) if smtp_url else FileDrop(self.settings.core.data_dir / "mail-out")
        self.channel = EmailChannel(self)
        app.delivery.register(self.channel)
        self.worker = MailWorker(self)
        self.queue = OutgoingQueue(self)
        self.gateway: Gateway | None = None
        self.web = None
        self.mailman = None
        if self.settings.mailman.url:
            from mail.mailman import MailmanSync

            self.mailman = MailmanSync(self)
        self._composer: Composer | None = None
        self._lock = asyncio.Lock()
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task] = []

    @property
    def lists_domain(self) -> str:
        return (self.settings.mailman.domain or self.settings.mail.domain).lower()

    async def ready(self) -> Composer:
        """The composer, made once the signing key is loaded (or generated and stored)."""
        if self._composer is None:
            async with self._lock:
                if self._composer is None:
                    secret = await tk.load_secret(self.settings.core.secret_key.get_secret_value())
                    tokens = tk.Tokens(secret, self.app.clock)
                    self._composer = Composer(self.settings.mail.domain, self.settings.web.public_url, tokens,
                                              self.app.catalogs, self.app.clock, self.settings.core.default_locale)
        return self._composer

    def accepts(self, recipient: str) -> bool:
        """relais@ and relais+<token>@ whose signature holds (an expired one is accepted and answered)."""
        token = self._composer.token_of(recipient) if self._composer else None
        if token is None:
            return False
        return token == "" or self._composer.tokens.read_address_token(token) is not None

    async def start(self) -> None:
        await self.ready()
        await self._publish_lists_domain()
        mail = self.settings.mail
        if mail.listen:
            gateway = Gateway(mail.listen, mail.domain, mail.max_size, mail.lmtp, self.accepts, self.app.clock, self.worker.wake)
            try:
                await gateway.start()
                self.gateway = gateway
            except OSError as exc:  # a busy port must not take the other channels down; the log says it loudly
                log.error("mail gateway cannot listen", extra={"listen": mail.listen, "error": str(exc)})
        if self.settings.web.web_listen:
            from bot.adapters.web import WebAdapter

            web = WebAdapter(self.app, self, self.settings.web.web_listen)
            try:
                await web.start()
                self.web = web
            except OSError as exc:
                log.error("web endpoint cannot listen", extra={"listen": self.settings.web.web_listen, "error": str(exc)})
        self._stop.clear()
        self._tasks = [asyncio.create_task(self.worker.run(self._stop), name="mail-worker"),
                       asyncio.create_task(self.queue.run(self._stop), name="mail-outgoing")]
        if self.mailman is not None:
            self._tasks.append(asyncio.create_task(self.mailman.run(self._stop), name="mailman-sync"))

    async def stop(self) -> None:
        """Stop taking mail first, then let the loops finish their pass; what is left stays stored."""
        if self.gateway is not None:
            await self.gateway.stop()
            self.gateway = None
        if self.web is not None:
            await self.web.stop()
            self.web = None
        self._stop.set()
        if self._tasks:
            done, pending = await asyncio.wait(self._tasks, timeout=10)
            for task in pending:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        self._tasks = []
        await self.transport.close()

    async def _publish_lists_domain(self) -> None:
        value = self.lists_domain if self.mailman is not None else ""
        await AdapterState.update_or_create(key=LISTS_DOMAIN_KEY, defaults={"value": value})
