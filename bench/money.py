"""1,000 linked campaigns refreshed by the scheduler's money job against fakes of HelloAsso and Open Collective on loopback
(each answer delayed by --latency ms, as a network would): half HelloAsso forms of 150 orders (a token, then two pages
each), half Open Collective accounts. Checked: every campaign read, its amount and backers stored, at most
--concurrency requests in flight per platform (counted by the fakes). Baseline measured in the same run: the same reads
straight from the API clients, with the same concurrency and no database (what the storage adds).
Goal: ≤ 30 s with at most 4 requests in flight per platform.
Run: .venv/bin/python bench/money.py [--campaigns 1000] [--rounds 3] [--latency 5] [--only sqlite|postgres]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import asyncpg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.app import App  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.services import demo  # noqa: E402
from models import Campaign, CampaignKind, CampaignLink, Community, Project, ProjectStatus  # noqa: E402
from scheduler.money import MoneyJob  # noqa: E402
from tests.peers.fake_payments import FakePayments, Form, settings_for, start  # noqa: E402

PG_SERVER = "postgres://postgres@127.0.0.1:5432/test"
PG_SCHEMA = "relais_bench_money"
NOW = datetime(2026, 11, 23, 8, 0, tzinfo=timezone.utc)
ORDERS = 150


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


async def setup(app: App, fake: FakePayments, count: int) -> None:
    community = await Community.get()
    await Project.bulk_create([Project(community=community, slug=f"p{i}", title=f"Projet {i}", status=ProjectStatus.FUNDING,
                                       summary="", created_at=NOW) for i in range(count)])
    projects = await Project.filter(slug__startswith="p").exclude(slug__contains="-").order_by("id")
    await Campaign.bulk_create([Campaign(project_id=p.id, kind=CampaignKind.DONATION, goal=100_000_000,
                                         url="https://www.helloasso.com/x", created_at=NOW) for p in projects])
    links = []
    for n, campaign in enumerate(await Campaign.filter(project_id__in=[p.id for p in projects]).order_by("id")):
        if n % 2:
            fake.accounts[f"oc-{n}"] = (100_000 + n, 10 + n % 7, "EUR")
            links.append(CampaignLink(campaign_id=campaign.id, platform="opencollective", ref=f"oc-{n}", next_at=NOW, created_at=NOW))
        else:
            fake.forms[f"asso/CrowdFunding/form-{n}"] = Form([1000 + n % 5] * ORDERS)
            links.append(CampaignLink(campaign_id=campaign.id, platform="helloasso", ref=f"asso/CrowdFunding/form-{n}",
                                      next_at=NOW, created_at=NOW))
    await CampaignLink.bulk_create(links)


async def baseline(app: App, fake: FakePayments, concurrency: int) -> float:
    gateway = app.services.money.gateway
    assert gateway is not None
    links = await CampaignLink.all()
    gates = {name: asyncio.Semaphore(concurrency) for name in gateway.names}
    started = time.perf_counter()
    async with gateway.open() as read:
        async def one(link: CampaignLink) -> None:
            async with gates[link.platform]:
                await read(link.platform, link.ref)
        await asyncio.gather(*(one(link) for link in links))
    return time.perf_counter() - started


async def run(kind: str, count: int, rounds: int, latency: float, concurrency: int) -> None:
    fake = FakePayments(delay=latency / 1000)
    runner = await start(fake)
    folder = Path(tempfile.mkdtemp(prefix="relais-bench-money-"))
    if kind == "postgres":
        conn = await asyncpg.connect(PG_SERVER)
        await conn.execute(f'DROP SCHEMA IF EXISTS "{PG_SCHEMA}" CASCADE; CREATE SCHEMA "{PG_SCHEMA}"')
        await conn.close()
        url = f"{PG_SERVER}?schema={PG_SCHEMA}"
    else:
        url = f"sqlite://{folder / 'relais.sqlite3'}"
    clock = Clock()
    settings = Settings(data_dir=folder, database_url=url, log_level="WARNING", scheduler=False, web_listen="",
                        sections={"payments": settings_for(fake, money_sync_concurrency=concurrency),
                                  "mail": {"listen": ""}})
    app = App(settings, clock=clock)
    await app.start()
    try:
        await demo.seed("me", NOW)
        await setup(app, fake, count)
        job = MoneyJob(app.services)
        times, bases = [], []
        for round_ in range(rounds):
            fake.max_flying = {k: 0 for k in fake.max_flying}
            for form in fake.forms.values():
                form.orders.append(500)  # a new order each round: every campaign's amount changes and is stored
            clock.now += app.services.money.every
            started = time.perf_counter()
            counts, *_ = await job.tick()
            times.append(time.perf_counter() - started)
            if counts.read != count or counts.failed:
                raise SystemExit(f"round {round_}: {counts}")
            if max(fake.max_flying.values()) > concurrency:
                raise SystemExit(f"more than {concurrency} requests in flight: {fake.max_flying}")
            flying = dict(fake.max_flying)
            bases.append(await baseline(app, fake, concurrency))
        stored = await Campaign.filter(raised__gt=0).count()
        if stored < count:
            raise SystemExit(f"only {stored} campaigns stored an amount")
        print(f"{kind}: {count} linked campaigns ({count // 2} HelloAsso forms of {ORDERS + rounds} orders, {count - count // 2} "
              f"Open Collective accounts), {latency:g} ms per answer, ≤ {concurrency} in flight per platform "
              f"(most seen: {flying})")
        print(f"  refresh through the job: min {min(times):.2f} s, median {statistics.median(times):.2f} s, max {max(times):.2f} s")
        print(f"  baseline, API reads only: min {min(bases):.2f} s, median {statistics.median(bases):.2f} s, max {max(bases):.2f} s")
        print(f"  goal ≤ 30 s: {'met' if max(times) <= 30 else 'NOT met'}")
    finally:
        await app.stop()
        await runner.cleanup()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--campaigns", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--latency", type=float, default=5.0, help="milliseconds each fake answer takes")
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--only", choices=("sqlite", "postgres"))
    args = parser.parse_args()
    for kind in ("sqlite", "postgres"):
        if args.only in (None, kind):
            asyncio.run(run(kind, args.campaigns, args.rounds, args.latency, args.concurrency))


if __name__ == "__main__":
    main()
