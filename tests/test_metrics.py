"""`/metrics` over real HTTP on the web endpoint of a serving Relais: off unless RELAIS_METRICS_TOKEN is set, then only
with that bearer token; the figures (queues, deliveries, command latency, roles) in Prometheus' text format."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
from datetime import timedelta
from pathlib import Path

import aiohttp
from prometheus_client.parser import text_string_to_metric_families

from bot.adapters.console import ConsoleChat
from bot.adapters.metrics import Metrics
from bot.app import App
from bot.config import Settings
from bot.core.replies import Reply
from bot.services import demo
from bot.services.calendar import week_key
from models import Account, Community, Follow, OutboxMessage, OutboxStatus, Project, Role
from tests.conftest import Clock, database_url
from tests.mail.conftest import person_with_email

TOKEN = "s3cret-metrics-token"
DASHBOARD = Path(__file__).resolve().parent.parent / "deploy" / "grafana-relais.json"


@contextlib.asynccontextmanager
async def serving(tmp_path, token: str = TOKEN):
    """Relais as `relais run` starts it (web endpoint on a free port, no scheduled jobs); yields the App and the
    endpoint's base URL."""
    settings = Settings(data_dir=tmp_path, database_url=database_url("sqlite", tmp_path), log_format="text",
                        delivery_interval=0.05, secret_key="test-secret", scheduler=False,
                        sections={"web": {"web_listen": "127.0.0.1:0", "metrics_token": token},
                                  "mail": {"listen": "", "domain": "relais.test"}})
    clock = Clock()
    app = App(settings, clock=clock)
    await app.start()
    await demo.seed("me", clock())
    stop = asyncio.Event()
    task = asyncio.create_task(app.serve(stop))
    try:
        await asyncio.wait_for(app.serving.wait(), 30)
        assert app.web is not None
        yield app, f"http://127.0.0.1:{app.web.port}"
    finally:
        stop.set()
        await asyncio.wait_for(task, 20)
        await app.stop()


async def scrape(base: str) -> dict[str, float]:
    """Every sample of /metrics, as `name{label="value",...}` → value."""
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{base}/metrics", headers={"Authorization": f"Bearer {TOKEN}"}) as answer:
            assert answer.status == 200
            assert answer.headers["Content-Type"].startswith("text/plain; version=0.0.4")
            text = await answer.text()
    samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            labels = ",".join(f'{k}="{v}"' for k, v in sorted(sample.labels.items()))
            samples[f"{sample.name}{{{labels}}}"] = sample.value
    return samples


async def wait_for(condition, timeout: float = 30.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not await condition():
        assert asyncio.get_running_loop().time() < deadline, "condition not met in time"
        await asyncio.sleep(0.02)


async def test_metrics_are_off_without_a_token(tmp_path):
    async with serving(tmp_path, token="") as (app, base):
        async with aiohttp.ClientSession() as http:
            async with http.get(f"{base}/metrics", headers={"Authorization": f"Bearer {TOKEN}"}) as answer:
                assert answer.status == 404
            async with http.get(f"{base}/healthz") as answer:  # the endpoint itself answers
                assert answer.status == 200


async def test_metrics_need_the_bearer_token(tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    async with serving(tmp_path) as (app, base):
        async with aiohttp.ClientSession() as http:
            for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN}, {"Authorization": f"Basic {TOKEN}"},
                            {"Authorization": f"Bearer {TOKEN}x"}):
                async with http.get(f"{base}/metrics", headers=headers) as answer:
                    assert answer.status == 401, headers
                    assert await answer.text() == ""  # no detail
                    assert "relais_" not in await answer.text()
        samples = await scrape(base)
    assert samples['relais_queue_depth{queue="outbox"}'] == 0
    assert TOKEN not in caplog.text
    assert_the_dashboard_shows_only_what_is_served(app)


def assert_the_dashboard_shows_only_what_is_served(app: App) -> None:
    assert isinstance(app.meter, Metrics)
    families = list(app.meter.registry.collect())
    served = {f"{family.name}{suffix}" for family in families for suffix in ("", "_total", "_bucket", "_count", "_sum")}
    used = {name for panel in json.loads(DASHBOARD.read_text())["panels"] for target in panel["targets"]
            for name in re.findall(r"\brelais_[a-z_]+", target["expr"])}
    assert len(used) >= 9 and used <= served, used - served


async def test_a_command_gets_a_latency_sample_by_its_name(tmp_path):
    async with serving(tmp_path) as (app, base):
        chat = ConsoleChat(app.console, "me")
        await chat.exchange("aide")
        before = await scrape(base)
        assert 'relais_command_seconds_count{command="follow"}' not in before
        assert "Vous suivez" in await chat.exchange("suivre conciergerie-rurale")  # its French name
        await chat.exchange("les tomates poussent bien cette année")  # free text: no command, no sample
        samples = await scrape(base)
    counts = {name: value - before.get(name, 0.0) for name, value in samples.items() if name.startswith("relais_command_seconds_count")}
    assert {name: value for name, value in counts.items() if value} == {'relais_command_seconds_count{command="follow"}': 1.0}
    assert samples['relais_command_seconds_sum{command="follow"}'] > 0
    assert samples['relais_command_seconds_bucket{command="follow",le="+Inf"}'] == 1.0
    names = {c.name for c in app.registry.commands}
    assert {name.partition('"')[2].rpartition('"')[0] for name in counts} <= names  # labels are command names only


async def test_an_outbox_delivery_is_counted_and_pending_rows_are_the_depth(tmp_path):
    async with serving(tmp_path) as (app, base):
        account = await Account.get(platform="console", address="me")
        payload = Reply().para("Une nouvelle").to_dict()
        before = (await scrape(base)).get('relais_deliveries_total{platform="console"}', 0.0)
        sent = await OutboxMessage.create(key="metrics:now", person_id=account.person_id, kind="news", payload=payload,
                                          next_attempt_at=app.clock())
        app.delivery.wake()

        async def delivered() -> bool:
            return await OutboxMessage.filter(id=sent.id, status=OutboxStatus.SENT).exists()

        await wait_for(delivered)
        samples = await scrape(base)
        assert samples['relais_deliveries_total{platform="console"}'] == before + 1
        assert samples['relais_queue_depth{queue="outbox"}'] == 0
        later = app.clock() + timedelta(days=1)  # not due yet: they wait
        for n in range(3):
            await OutboxMessage.create(key=f"metrics:later:{n}", person_id=account.person_id, kind="news", payload=payload,
                                       next_attempt_at=later)
        await OutboxMessage.create(key="metrics:parked", person_id=account.person_id, kind="news", payload=payload,
                                   next_attempt_at=later, status=OutboxStatus.FAILED, attempts=40)
        samples = await scrape(base)
    assert samples['relais_queue_depth{queue="outbox"}'] == 3
    assert samples['relais_queue_parked{queue="outbox"}'] == 1
    assert samples['relais_queue_oldest_age_seconds{queue="outbox"}'] >= 0
    assert samples['relais_queue_depth{queue="inbox"}'] == 0
    assert samples['relais_deliveries_total{platform="console"}'] == before + 1


async def test_the_roles_this_process_holds(tmp_path):
    async with serving(tmp_path) as (app, base):
        role = app.processes.role("scheduler")
        job = asyncio.create_task(role.run(asyncio.Event().wait))
        try:
            async def held() -> bool:
                return role.held

            await wait_for(held, 30)
            samples = await scrape(base)
        finally:
            job.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await job
    assert samples['relais_role_held{role="scheduler"}'] == 1
    for outcome in ("sent", "failed", "skipped"):
        assert samples[f'relais_digests_total{{outcome="{outcome}"}}'] == 0


async def test_digests_sent_and_skipped_are_counted(tmp_path):
    """A digest run (mail written to files): each person's digest counted by its outcome, as the run counts them."""
    async with serving(tmp_path) as (app, base):
        community = await Community.get(slug=demo.SLUG)
        await person_with_email("Bea", "bea@example.org", role=Role.OBSERVER)  # follows nothing
        ana = await person_with_email("Ana", "ana@example.org", role=Role.OBSERVER)
        await Follow.create(person=ana, project=await Project.get(slug="dombes-brasserie"))
        runner = await app.digest_runner()
        counts = await runner.run(community, app.clock(), week_key(app.clock().date()))
        samples = await scrape(base)
    assert counts.sent >= 1
    assert samples['relais_digests_total{outcome="sent"}'] == counts.sent
    assert samples['relais_digests_total{outcome="skipped"}'] == counts.empty
    assert samples['relais_digests_total{outcome="failed"}'] == counts.failed == 0
