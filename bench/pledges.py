"""Personal pledge links under load: 10,000 clicks over HTTP on loopback (1,000 people clicking 10 times each,
50 at a time) through Relais' link endpoint, on SQLite and PostgreSQL. Checked: every one answered 302 to the
campaign's page, each person's visit counted exactly once (0 lost, 0 double-counted; a visit, never a backer:
only a promise makes one, so no promise is made here). Baseline measured in the same run: the same aiohttp server
answering a bare 302 (goal: Relais >= 50 % of its rate).
Run: .venv/bin/python bench/pledges.py [--clicks 10000] [--people 1000] [--rounds 3] [--only sqlite|postgres]
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import statistics
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import aiohttp
import asyncpg
from aiohttp import web

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.app import App  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.core.sql import execute_many, fetch  # noqa: E402
from bot.services import demo  # noqa: E402
from models import Campaign, CampaignKind, Project  # noqa: E402

PG_SERVER = "postgres://postgres@127.0.0.1:5432/test"
PG = PG_SERVER + "?schema=relais_bench"
NOW = datetime(2026, 11, 23, 8, 0, tzinfo=timezone.utc)
URL = "https://www.helloasso.com/associations/brasserie/collectes/cuve"
CONCURRENCY = 50


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def fire(urls: list[str]) -> float:
    """Every URL fetched once, CONCURRENCY at a time; each must be a 302 to the campaign page."""
    queue = list(reversed(urls))
    connector = aiohttp.TCPConnector(limit=CONCURRENCY)
    async with aiohttp.ClientSession(connector=connector) as http:
        async def worker() -> None:
            while queue:
                url = queue.pop()
                async with http.get(url, allow_redirects=False) as answer:
                    if answer.status != 302 or answer.headers.get("Location") != URL:
                        raise SystemExit(f"unexpected answer {answer.status} {answer.headers.get('Location')}")
        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
        return time.perf_counter() - started


async def baseline(clicks: int) -> float:
    async def redirect(request: web.Request) -> web.Response:
        raise web.HTTPFound(URL)
    app = web.Application()
    app.router.add_get("/p/{token}", redirect)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        return clicks / await fire([f"http://127.0.0.1:{port}/p/{i % 1000}" for i in range(clicks)])
    finally:
        await runner.cleanup()


async def relais(kind: str, clicks: int, people: int) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        if kind == "postgres":
            conn = await asyncpg.connect(PG_SERVER)
            await conn.execute('DROP SCHEMA IF EXISTS "relais_bench" CASCADE; CREATE SCHEMA "relais_bench";')
            await conn.close()
        port = free_port()
        url = PG if kind == "postgres" else f"sqlite://{Path(tmp) / 'bench.sqlite3'}"
        settings = Settings(data_dir=Path(tmp), database_url=url, log_format="text", log_level="WARNING", secret_key="bench",
                            sections={"web": {"web_listen": f"127.0.0.1:{port}", "public_url": f"http://127.0.0.1:{port}"},
                                      "mail": {"listen": ""}})
        app = App(settings, clock=lambda: NOW)
        await app.start()
        stop = asyncio.Event()
        serving = asyncio.create_task(app.serve(stop))
        await app.serving.wait()
        try:
            await demo.seed("boss", NOW)
            first = int((await fetch('SELECT COALESCE(MAX("id"), 0) FROM "person"', []))[0][0]) + 1
            ids = list(range(first, first + people))
            await execute_many('INSERT INTO "person" ("id", "display_name", "locale", "created_at") VALUES (?, ?, ?, ?)',
                               [[i, f"P{i}", "fr", NOW] for i in ids])
            project = await Project.get(slug="dombes-brasserie")
            campaign = await Campaign.create(project_id=project.id, kind=CampaignKind.DONATION, goal=1_200_000, url=URL,
                                             created_at=NOW)
            links = [app.services.pledges.links.url(campaign.id, i) for i in ids]
            rate = clicks / await fire([links[n % people] for n in range(clicks)])
            counted = await fetch('SELECT COUNT(*), COUNT(DISTINCT "person_id") FROM "pledge_click" WHERE "campaign_id" = ?', [campaign.id])
            assert tuple(int(x) for x in counted[0]) == (people, people), f"visits counted: {counted}"
            assert not await fetch('SELECT 1 FROM "promise" WHERE "campaign_id" = ?', [campaign.id])  # nobody a backer
            return rate
        finally:
            stop.set()
            await serving
            await app.stop()


def spread(values: list[float], fmt: str = "{:.0f}") -> str:
    return f"min {fmt.format(min(values))}  median {fmt.format(statistics.median(values))}  max {fmt.format(max(values))}"


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clicks", type=int, default=10_000)
    parser.add_argument("--people", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--only", choices=["sqlite", "postgres"])
    args = parser.parse_args()
    for kind in (["sqlite", "postgres"] if not args.only else [args.only]):
        ours, bare = [], []
        for _ in range(args.rounds):
            ours.append(await relais(kind, args.clicks, args.people))
            bare.append(await baseline(args.clicks))
        ratios = [o / b * 100 for o, b in zip(ours, bare)]
        print(f"{kind}: {args.clicks} clicks by {args.people} people, {CONCURRENCY} at a time, {args.rounds} rounds — "
              f"each person's visit counted once, every click a 302 to the campaign page")
        print(f"  Relais link endpoint clicks/s   {spread(ours)}")
        print(f"  bare aiohttp 302 clicks/s       {spread(bare)}")
        print(f"  Relais / bare                   {spread(ratios)} %   (goal >= 50 %)")


if __name__ == "__main__":
    asyncio.run(main())
