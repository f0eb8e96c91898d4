"""Public pages under load: a community with 200 projects and 10,000 news items (SQLite and PostgreSQL); its page
and its news feed fetched over loopback, 20 at a time, for a few seconds each. Baseline measured in the same run
and on the same server: aiohttp's own "hello" handler, the ceiling. Goals: >= 500 requests/s, p95 <= 50 ms.
Run: .venv/bin/python bench/pages.py [--requests 3000] [--rounds 3] [--only sqlite|postgres]
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import aiohttp
import asyncpg
from aiohttp import web

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.app import App  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.core.sql import execute_many  # noqa: E402
from models import Community  # noqa: E402

PG_SERVER = "postgres://postgres@127.0.0.1:5432/test"
PG = PG_SERVER + "?schema=relais_bench"
NOW = datetime(2026, 11, 23, 8, 0, tzinfo=timezone.utc)
CONCURRENCY = 20


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def seed(projects: int, news: int) -> None:
    old = NOW - timedelta(days=400)
    await execute_many('INSERT INTO "community" ("id", "slug", "name", "locale", "timezone", "created_at", "pages") VALUES (?, ?, ?, ?, ?, ?, ?)',
                       [[1, "grand-reseau", "Grand réseau", "fr", "Europe/Paris", old, True]])
    await execute_many('INSERT INTO "person" ("id", "display_name", "locale", "created_at") VALUES (?, ?, ?, ?)',
                       [[p, f"Personne {p}", None, old] for p in range(1, 201)])
    await execute_many('INSERT INTO "project" ("id", "community_id", "slug", "title", "summary", "status", "created_at") VALUES (?, ?, ?, ?, ?, ?, ?)',
                       [[i, 1, f"projet-{i}", f"Projet {i}", "Un projet de la communauté.", "active" if i % 4 else "funding", old]
                        for i in range(1, projects + 1)])
    await execute_many('INSERT INTO "project_referent" ("project_id", "person_id") VALUES (?, ?)',
                       [[i, i % 200 + 1] for i in range(1, projects + 1)])
    await execute_many('INSERT INTO "news_item" ("project_id", "text", "author_id", "platform", "created_at") VALUES (?, ?, ?, ?, ?)',
                       [[n % projects + 1, f"Nouvelle {n} : le chantier avance, la salle est trouvée.", n % 200 + 1, "console",
                         old + timedelta(minutes=50 * n)] for n in range(news)])


async def load(url: str, requests: int) -> tuple[float, list[float]]:
    latencies: list[float] = []
    left = [requests]
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=CONCURRENCY)) as http:
        async def worker() -> None:
            while left[0] > 0:
                left[0] -= 1
                started = time.perf_counter()
                async with http.get(url) as answer:
                    await answer.read()
                    if answer.status != 200:
                        raise SystemExit(f"{url}: {answer.status}")
                latencies.append(time.perf_counter() - started)
        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
        return requests / (time.perf_counter() - started), latencies


def p95(values: list[float]) -> float:
    return sorted(values)[int(len(values) * 0.95) - 1] * 1000


async def run(kind: str, requests: int) -> dict:
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

        async def hello(request: web.Request) -> web.Response:
            return web.Response(text="Hello, world")
        assert app.web is not None
        app.web.route("GET", "/hello", hello)
        await app.start()
        stop = asyncio.Event()
        serving = asyncio.create_task(app.serve(stop))
        await app.serving.wait()
        try:
            await seed(200, 10_000)
            assert await Community.filter(pages=True).count() == 1
            base = f"http://127.0.0.1:{port}"
            out = {}
            for name, path in (("hello", "/hello"), ("community page", "/c/grand-reseau"), ("news feed", "/c/grand-reseau/feed.atom"),
                               ("project page", "/c/grand-reseau/projet-7")):
                rate, latencies = await load(base + path, requests)
                out[name] = (rate, p95(latencies))
            return out
        finally:
            stop.set()
            await serving
            await app.stop()


def spread(values: list[float]) -> str:
    return f"min {min(values):.0f}  median {statistics.median(values):.0f}  max {max(values):.0f}"


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--only", choices=["sqlite", "postgres"])
    args = parser.parse_args()
    for kind in (["sqlite", "postgres"] if not args.only else [args.only]):
        rounds = [await run(kind, args.requests) for _ in range(args.rounds)]
        print(f"{kind}: 200 projects, 10,000 news, {args.requests} requests {CONCURRENCY} at a time, {args.rounds} rounds")
        for name in rounds[0]:
            rates = [r[name][0] for r in rounds]
            tails = [r[name][1] for r in rounds]
            ratio = [r[name][0] / r["hello"][0] * 100 for r in rounds]
            print(f"  {name:15} req/s {spread(rates)} · p95 ms {spread(tails)} · vs hello {spread(ratio)} %")


if __name__ == "__main__":
    asyncio.run(main())
