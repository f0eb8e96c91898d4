"""The one composition root: settings → database → services → core → delivery and adapters."""

from __future__ import annotations

import asyncio
import logging

from bot import db
from bot.adapters.console import ConsoleChannel
from bot.config import Settings
from bot.core.commands import Registry
from bot.core.delivery import Delivery
from bot.core.dispatcher import Dispatcher
from bot.core.i18n import Catalogs
from bot.handlers import MODULES
from bot.services import Services, utcnow

log = logging.getLogger("relais.app")


class NotMigrated(RuntimeError):
    pass


class App:
    def __init__(self, settings: Settings, clock=utcnow):
        self.settings = settings
        self.clock = clock
        core = settings.core
        self.database_url = core.resolved_database_url()
        self.catalogs = Catalogs()
        self.delivery = Delivery(clock, interval=core.delivery_interval, batch=core.delivery_batch,
                                 max_backoff=core.delivery_max_backoff)
        self.services = Services(self.catalogs, default_community=core.default_community,
                                 default_locale=core.default_locale, clock=clock, on_outbox=self.delivery.wake)
        self.registry = Registry(MODULES)
        self.dispatcher = Dispatcher(self.registry, self.services, self.catalogs, default_locale=core.default_locale)
        self.console_channel = ConsoleChannel()
        self.delivery.register(self.console_channel)
        self._digest_mailer = None
        self.adapters: list = self._build_adapters()
        self.started = False

    def _build_adapters(self) -> list:
        """The platforms configured in the settings; each one registers its delivery channel."""
        adapters: list = []
        if self.settings.telegram.token.get_secret_value():
            from bot.adapters.telegram import TelegramAdapter
            adapters.append(TelegramAdapter(self))
        if self.settings.matrix.homeserver:
            from bot.adapters.matrix import MatrixAdapter
            adapters.append(MatrixAdapter(self))
        # Email in every mode: the gateway (mail.listen) and signed links (web.web_listen) when set, outbound, Mailman.
        from mail.adapter import MailAdapter
        adapters.append(MailAdapter(self))
        # The scheduler (weekly digests) runs in every service process; claims keep two processes from doubling.
        from scheduler.factory import Scheduler
        from scheduler.jobs import DigestJob

        adapters.append(Scheduler(lambda: DigestJob(self.digest_runner, self.clock), self.clock,
                                  every=self.settings.core.scheduler_interval))
        return adapters

    async def digest_mailer(self):
        """The digest mailer: Jinja2 templates, and the mail adapter's signed links and transport (SMTP or .eml files)."""
        if self._digest_mailer is None:
            from mail.digest import DigestRenderer, Mailer, digest_links

            mail = next(a for a in self.adapters if a.name == "mail")
            composer = await mail.ready()
            self._digest_mailer = Mailer(DigestRenderer(self.catalogs), mail.transport, lambda dg: digest_links(composer, dg),
                                         sender=composer.address, sender_name="Relais", domain=composer.domain)
        return self._digest_mailer

    async def digest_runner(self):
        from datetime import timedelta

        from bot.services.digest_run import DigestRunner

        return DigestRunner(await self.digest_mailer(), self.clock, self.settings.core.default_locale,
                            lease=timedelta(seconds=self.settings.core.digest_lease), catalogs=self.catalogs,
                            on_outbox=self.delivery.wake)

    async def start(self, migrate: bool = True) -> None:
        """Connect; apply pending migrations (migrate=True, the documented default) or refuse to start."""
        await db.connect(self.database_url)
        pending = await db.pending_migrations(self.database_url)
        if pending and not migrate:
            await db.close()
            raise NotMigrated(f"the database is not migrated ({len(pending)} pending); run `relais migrate`")
        if pending:
            await db.migrate(self.database_url)
        self.started = True
        log.info("started", extra={"database": self.database_url.split("://")[0]})

    async def stop(self) -> None:
        if self._digest_mailer is not None:
            await self._digest_mailer.transport.close()  # shared with the mail adapter; closing twice is harmless
            self._digest_mailer = None
        if self.started:
            await db.close()
            self.started = False

    async def serve(self, stop: asyncio.Event) -> None:
        """Service mode: the adapters and delivery until `stop`; what is not done stays persisted for the next start."""
        started = []
        try:
            for adapter in self.adapters:
                await adapter.start()
                started.append(adapter)
            await self.delivery.run(stop)
        finally:
            for adapter in reversed(started):
                try:
                    await adapter.stop()
                except Exception:
                    log.exception("adapter stop failed", extra={"adapter": getattr(adapter, "name", type(adapter).__name__)})
