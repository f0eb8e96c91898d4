"""The one composition root: settings → database → services → core → adapters, delivery and the scheduler."""

from __future__ import annotations

import asyncio
import gc
import logging
from datetime import timedelta
from pathlib import Path

from bot import db
from bot.adapters.console import ConsoleAdapter
from bot.adapters.web import WebServer
from bot.config import Settings
from bot.core import platforms
from bot.core.choices import ChoiceMemory
from bot.core.commands import Registry
from bot.core.i18n import Catalogs
from bot.core.metrics import NOTHING, Meter
from bot.handlers import MODULES
from bot.runtime.adapter import Adapter
from bot.runtime.delivery import Delivery
from bot.runtime.dispatcher import Dispatcher
from bot.runtime.ports import Ports
from bot.runtime.processes import Processes, ServiceLock
from bot.services import Services, utcnow
from bot.services.file_store import open_store
from bot.services.howto import HowTo

log = logging.getLogger("relais.app")


class NotMigrated(RuntimeError):
    pass


def tune_gc() -> None:
    """A service allocates many short-lived objects per message; Python's default (a young collection every 700
    allocations) spent a quarter of the Telegram path's time collecting (bench/telegram.py: 629 → 843 updates/s).
    What exists at start is frozen out of the collections, and the young generation collects less often."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 20)


class App:
    def __init__(self, settings: Settings, clock=utcnow, listen: bool = True):
        """`listen`: the service's endpoints (mail gateway, link endpoint, webhooks); the console and the CLI
        are clients of the core and open none."""
        self.settings = settings
        self.clock = clock
        core = settings.core
        self.database_url = core.resolved_database_url()
        self.catalogs = Catalogs()
        self.delivery = Delivery(clock, interval=core.delivery_interval, batch=core.delivery_batch,
                                 max_backoff=core.delivery_max_backoff)
        self.services = Services(self.catalogs, default_community=core.default_community,
                                 default_locale=core.default_locale, clock=clock, on_outbox=self.delivery.wake,
                                 remind_days=core.prompt_remind_days, secret_key=core.secret_key.get_secret_value())
        self.delivery.topics = self.services.topics  # what notifications speak of: a reply to one is a comment
        self.services.files.store = open_store(core.files_url, core.data_dir, core.files_endpoint, core.files_region,
                                               core.files_key_id, core.files_secret.get_secret_value())
        self.services.public_url = settings.web.public_url.rstrip("/") if settings.web.web_listen else ""
        self.services.digest.public_url = self.services.public_url
        self.services.events.domain = settings.mail.domain  # events' iCalendar UIDs and organizer: this instance's
        self.services.event_notices.public_url = self.services.public_url
        from bot.adapters.payments import gateway_from  # the payment platforms' clients: credentials from the settings only
        self.services.money.configure(gateway_from(settings.payments, clock), settings.payments.money_sync_minutes,
                                      settings.payments.money_sync_concurrency)
        self.registry = Registry(MODULES)
        self.services.howto = HowTo(self.registry, self.catalogs)
        self.dispatcher = Dispatcher(self.registry, self.services, self.catalogs, default_locale=core.default_locale)
        self.choices = ChoiceMemory(clock)
        self.delivery.choices = self.choices  # a notification's numbers and keycaps answer its choices
        # SQLite has one service (a lock file says so); on PostgreSQL several share the work, and the jobs only one
        # may run (Telegram polling, the Matrix sync, the scheduler's tick) go by lease (bot/runtime/processes.py).
        sqlite = self.database_url.startswith("sqlite://")
        self.processes = Processes(core.failover_s, alone=sqlite)
        self.ports = Ports(dispatch=self.dispatcher.handle, choices=self.choices, services=self.services,
                           catalogs=self.catalogs, registry=self.registry, clock=clock, default_locale=core.default_locale,
                           data_dir=core.data_dir, role=self.processes.role, process=self.processes.id, alone=sqlite,
                           topics=self.services.topics)
        self.web = WebServer(settings.web.web_listen) if listen and settings.web.web_listen else None
        self.console = ConsoleAdapter(self.ports)
        self.adapters: list[Adapter] = [self.console, *self._channels(listen)]
        self.meter: Meter = NOTHING
        if self.web is not None:  # the communities' public pages and feeds, beside the signed links
            from bot.adapters.pages import Pages
            Pages(self.ports, settings.web.public_url, self._ways).register(self.web)
            from bot.adapters.welcome import Welcome  # `/`: the directory; `/i/<token>`: invitations
            Welcome(self.ports, settings.web.public_url, self._ways).register(self.web)
            from bot.adapters.file_routes import FileRoutes  # a project's documents and photos: `/f/<token>`, public ones
            FileRoutes(self.ports).register(self.web)
            if settings.web.metrics_token.get_secret_value():  # `/metrics` for Prometheus, behind its bearer token
                from bot.adapters.metrics import Metrics
                metrics = Metrics(settings.web.metrics_token.get_secret_value(), self.processes)
                metrics.register(self.web)
                self.meter = self.dispatcher.meter = self.delivery.meter = metrics
        for adapter in self.adapters:
            self.delivery.register(adapter)
        self.listen = listen
        if not listen:  # a client beside the service delivers to console accounts only; the service does the rest
            self.delivery.only = ("console",)
        self.workers: list = self._workers() if listen and core.scheduler else []
        self._digest_mailer = None
        self.started = False
        self.serving = asyncio.Event()  # set once every part is started (the console waits for it)

    def _ways(self):
        """How a public page says to follow a project: the Telegram bot's username, Relais' mail address."""
        from bot.adapters.pages import Ways

        telegram = next((a for a in self.adapters if a.platform == "telegram"), None)
        username = (getattr(telegram, "me", None) or {}).get("username", "") if telegram else ""
        return Ways(telegram=username, email=f"relais@{self.settings.mail.domain}" if self.settings.mail.domain else "")

    def _channels(self, listen: bool) -> list[Adapter]:
        """The platforms of the registry their settings turn on (without `listen`, mail is outbound only: `digest send`)."""
        build = platforms.Build(self.settings, self.ports, listen, self.web)
        made = (p.adapter(build) for p in platforms.everything() if p.adapter is not None)
        return [adapter for adapter in made if adapter is not None]

    def _workers(self) -> list:
        """The scheduler (weekly digests); claims keep two processes from doing a run twice."""
        from bot.services.retention import Retention
        from scheduler.factory import Scheduler
        from scheduler.jobs import AgendaJob, CampaignsJob, DigestJob, Housekeeping, VotesJob
        from scheduler.money import MoneyJob

        def jobs() -> list:
            return [DigestJob(self.digest_runner, self.services, self.clock), AgendaJob(self.agenda_push(), self.services.prompts, self.clock),
                    VotesJob(self.services.vote_notices, self.services.meetings), CampaignsJob(self.services),
                    Housekeeping(Retention(self.clock, files=self.services.files, documents=self.services.documents), self.clock),
                    MoneyJob(self.services)]

        return [Scheduler(jobs, self.clock, every=self.settings.core.scheduler_interval, role=self.processes.role("scheduler"))]

    def agenda_push(self):
        from bot.services.agenda_push import AgendaPush

        s = self.services
        return AgendaPush(s.agenda, s.prompts, s.notifier, self.catalogs, self.clock)

    def adapter(self, platform: str):
        return next(a for a in self.adapters if a.platform == platform)

    @property
    def mail(self):
        return self.adapter("email")

    async def digest_mailer(self):
        """The digest mailer: Jinja2 templates, and the mail adapter's signed links and transport (SMTP or .eml files)."""
        if self._digest_mailer is None:
            from mail.digest import DigestRenderer, digest_links
            from mail.digest_combined import Mailer, whole_links

            composer = await self.mail.ready()
            self._digest_mailer = Mailer(DigestRenderer(self.catalogs), self.mail.transport, lambda dg: digest_links(composer, dg),
                                         sender=composer.address, sender_name="Relais", domain=composer.domain,
                                         whole_for=lambda r: whole_links(composer, r))
        return self._digest_mailer

    async def digest_runner(self):
        from bot.services.digest_run import DigestRunner

        return DigestRunner(await self.digest_mailer(), self.services.digest, self.clock,
                            lease=timedelta(seconds=self.settings.core.digest_lease), on_outbox=self.delivery.wake, meter=self.meter)

    async def start(self, migrate: bool = True) -> None:
        """Connect; apply pending migrations (migrate=True, the documented default) or refuse to start."""
        await db.connect(self.database_url)
        pending = await db.pending_migrations(self.database_url)
        if pending and not migrate:
            await db.close()
            raise NotMigrated(f"the database is not migrated ({len(pending)} pending); run `relais migrate`")
        if pending:
            await db.migrate(self.database_url)
        web = self.settings.web
        if web.web_listen and web.public_url:  # personal pledge links go through the link endpoint (served by `relais run`)
            from bot.adapters.links.tokens import LinkTokens
            from mail.tokens import load_secret
            secret = await load_secret(self.settings.core.secret_key.get_secret_value())
            tokens = LinkTokens(secret, self.clock)
            self.services.pledges.links.configure(web.public_url, tokens)
            self.services.invitations.links.configure(web.public_url, tokens)
            self.services.files.links.configure(web.public_url, tokens)  # documents and photos: public or signed links
        self.started = True
        log.info("started", extra={"database": self.database_url.split("://")[0]})

    async def stop(self) -> None:
        await self.choices.drain()
        await self.services.topics.drain()
        if self._digest_mailer is not None:
            await self._digest_mailer.transport.close()  # shared with the mail adapter; closing twice is harmless
            self._digest_mailer = None
        if self.started:
            await db.close()
            self.started = False

    async def serve(self, stop: asyncio.Event) -> None:
        """Service mode: the adapters, the web endpoint, the scheduler and delivery until `stop`; what is not done
        stays stored for the next start. A port that is taken stops the start with a message naming the setting."""
        started: list = []
        parts = [*self.adapters, *([self.web] if self.web else []), *self.workers] if self.listen else [self.console]
        tune_gc()
        lock = self._service_lock() if self.listen else None
        try:
            if self.listen:
                if lock is not None:
                    lock.acquire()  # a second service on one SQLite database stops here, with a message
                await self.processes.start()
                started.append(self.processes)  # stopped last: its roles go to another process at once
                self.processes.reaped.append(self._wake_inboxes)
            for part in parts:
                await part.start()
                started.append(part)
            self.serving.set()
            await self.delivery.run(stop)
        finally:
            for part in reversed(started):
                try:
                    await part.stop()
                except Exception:
                    log.exception("stop failed", extra={"part": type(part).__name__})
            if lock is not None:
                lock.release()

    def _service_lock(self) -> ServiceLock | None:
        path = self.database_url.removeprefix("sqlite://")
        if not self.database_url.startswith("sqlite://") or path in ("", ":memory:"):
            return None
        return ServiceLock(Path(path + ".lock"))

    def _wake_inboxes(self) -> None:
        """A dead process' events were given back: sweep them now rather than at the next pass."""
        for adapter in self.adapters:
            inbox = getattr(adapter, "inbox", None)
            if inbox is not None:
                inbox.wake()
