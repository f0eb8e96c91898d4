"""`/metrics` on the web endpoint, in Prometheus' text format: served only when RELAIS_METRICS_TOKEN is set, to a
request that brings it as `Authorization: Bearer <token>`.

The counters and the latency histogram are this process' (each process of a deployment is scraped on its own); the
queues are read from the database at each scrape, so every process shows the same figures for them. Each App has a
registry of its own (not prometheus_client's global one): several apps may run in one process.
"""

from __future__ import annotations

import asyncio
import hmac
import logging

from aiohttp import web
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4, generate_latest

from bot.adapters.web import WebServer
from bot.core.metrics import Meter
from bot.runtime.processes import Processes, database_now

log = logging.getLogger("relais.metrics")
PATH = "/metrics"
# A command answers in tens of milliseconds; a report or a search on a large community may take seconds.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class Metrics(Meter):
    def __init__(self, token: str, processes: Processes):
        self._expected = f"Bearer {token}".encode()
        self.processes = processes
        self.registry = CollectorRegistry()
        r = self.registry
        self.commands = Histogram("relais_command_seconds", "Time from a command's message to its reply, by command.",
                                  ["command"], buckets=LATENCY_BUCKETS, registry=r)
        self.deliveries = Counter("relais_deliveries", "Outbox messages sent, by platform.", ["platform"], registry=r)
        self.failures = Counter("relais_delivery_failures", "Failed tries to send an outbox message, by platform "
                                "(tried again later or through another account).", ["platform"], registry=r)
        self.digests = Counter("relais_digests", "Weekly digests of a person: sent, failed, or skipped (nothing new).",
                               ["outcome"], registry=r)
        self.waiting = Gauge("relais_queue_depth", "Items waiting in a queue (read from the database).", ["queue"], registry=r)
        self.oldest = Gauge("relais_queue_oldest_age_seconds", "Age of a queue's oldest waiting item; 0 when none waits.",
                            ["queue"], registry=r)
        self.parked = Gauge("relais_queue_parked", "Items of a queue failed for good, kept for an operator.", ["queue"], registry=r)
        self.held = Gauge("relais_mail_held", "Inbound mail waiting for its sender to confirm their address.", registry=r)
        self.roles = Gauge("relais_role_held", "1 for each role (lease) this process holds, 0 for one it waits for.",
                           ["role"], registry=r)
        for outcome in ("sent", "failed", "skipped"):  # shown at 0 before the first digest run
            self.digests.labels(outcome)
        self._scraping = asyncio.Lock()

    def register(self, server: WebServer) -> None:
        server.route("GET", PATH, self._serve)
        log.info("metrics served", extra={"path": PATH})

    # -- the Meter the core calls ---------------------------------------------------------------------------

    def command(self, name: str, seconds: float) -> None:
        self.commands.labels(name).observe(seconds)

    def delivered(self, platform: str) -> None:
        self.deliveries.labels(platform).inc()

    def delivery_failed(self, platform: str) -> None:
        self.failures.labels(platform).inc()

    def digest(self, outcome: str) -> None:
        self.digests.labels(outcome).inc()

    # -- the endpoint ---------------------------------------------------------------------------------------

    async def _serve(self, request: web.Request) -> web.Response:
        given = request.headers.get("Authorization", "").encode()
        if not hmac.compare_digest(given, self._expected):
            return web.Response(status=401, headers={"WWW-Authenticate": "Bearer"})
        async with self._scraping:  # one scrape at a time sets the gauges
            await self.read_queues()
            body = generate_latest(self.registry)
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_PLAIN_0_0_4, "Cache-Control": "no-store"})

    async def read_queues(self) -> None:
        """The gauges read at each scrape: the queues (as `relais status` counts them) and this process' roles."""
        from bot.runtime.queues import QUEUES, queues

        figures = await queues(await database_now())
        for name in QUEUES:
            queue, label = figures[name], name.replace(" ", "_")
            self.waiting.labels(label).set(queue["waiting"])
            self.oldest.labels(label).set(max(0.0, queue["oldest_age_s"] or 0.0))
            self.parked.labels(label).set(queue["parked"])
        self.held.set(figures["inbound mail"]["held"])
        for name, role in list(self.processes.roles.items()):
            self.roles.labels(name).set(1 if role.held else 0)
