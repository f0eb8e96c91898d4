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
        self.adapters: list = self._build_adapters()
        self.started = False

    def _build_adapters(self) -> list:
        """The platforms configured in the settings; each one registers its delivery channel."""
        adapters: list = []
        return adapters

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
