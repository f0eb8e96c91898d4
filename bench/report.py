"""The impact report at scale: a community of 5,000 members and 200 projects with 12 weeks of activity (follows,
votes, prompt answers, news, next steps, pledge clicks: about 60,000 actions), on SQLite and PostgreSQL. Measured:
the report's figures (build) and its chart (draw), 3 rounds. Baseline measured in the same run: reading the same
action rows once with plain SQL (what any report must at least do); the ratio says what the counting costs above it.
Run: .venv/bin/python bench/report.py [--members 5000] [--rounds 3] [--only sqlite|postgres]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import asyncpg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.app import App  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.core.sql import execute_many, fetch  # noqa: E402
from bot.services.report import ACTIONS  # noqa: E402
from bot.services.report_chart import chart  # noqa: E402
from models import Community  # noqa: E402

PG_SERVER = "postgres://postgres@127.0.0.1:5432/test"
PG = PG_SERVER + "?schema=relais_bench"
NOW = datetime(2026, 11, 23, 8, 0, tzinfo=timezone.utc)


async def seed(members: int, projects: int) -> None:
    rnd = random.Random(5)
    old = NOW - timedelta(days=400)

    def when() -> datetime:
        return NOW - timedelta(minutes=rnd.randrange(12 * 7 * 24 * 60))
    await execute_many('INSERT INTO "community" ("id", "slug", "name", "locale", "timezone", "created_at") VALUES (?, ?, ?, ?, ?, ?)',
                       [[1, "reseau", "Réseau", "fr", "Europe/Paris", old]])
    await execute_many('INSERT INTO "person" ("id", "display_name", "locale", "created_at") VALUES (?, ?, ?, ?)',
                       [[p, f"P{p}", "fr", old] for p in range(1, members + 1)])
    await execute_many('INSERT INTO "membership" ("person_id", "community_id", "role", "joined_at") VALUES (?, ?, ?, ?)',
                       [[p, 1, 40 if p == 1 else 20, old] for p in range(1, members + 1)])
    await execute_many('INSERT INTO "project" ("id", "community_id", "slug", "title", "summary", "status", "created_at") VALUES (?, ?, ?, ?, ?, ?, ?)',
                       [[i, 1, f"p{i}", f"Projet {i}", "", "active", old] for i in range(1, projects + 1)])
    follows = {(rnd.randrange(1, members + 1), rnd.randrange(1, projects + 1)) for _ in range(20_000)}
    await execute_many('INSERT INTO "follow" ("person_id", "project_id", "created_at") VALUES (?, ?, ?)',
                       [[p, j, when()] for p, j in follows])
    await execute_many('INSERT INTO "news_item" ("project_id", "text", "author_id", "platform", "created_at") VALUES (?, ?, ?, ?, ?)',
                       [[rnd.randrange(1, projects + 1), "Nouvelle", rnd.randrange(1, members + 1), "console", when()] for _ in range(10_000)])
    await execute_many('INSERT INTO "next_step" ("project_id", "text", "author_id", "created_at") VALUES (?, ?, ?, ?)',
                       [[rnd.randrange(1, projects + 1), "Étape", rnd.randrange(1, members + 1), when()] for _ in range(5_000)])
    for number in range(1, 7):
        await execute_many('INSERT INTO "vote_poll" ("id", "community_id", "number", "question", "kind", "options", "secret", "hidden", '
                           '"salt", "for_meeting", "posted_in", "created_at") VALUES (?, ?, ?, ?, ?, ?::json, ?, ?, ?, ?, ?, ?)',
                           [[number, 1, number, f"Question {number}", "single", '["a", "b"]', False, False, "", False, "", when()]])
        voters = rnd.sample(range(1, members + 1), members // 3)
        await execute_many('INSERT INTO "poll_voter" ("poll_id", "person_id", "platform", "at") VALUES (?, ?, ?, ?)',
                           [[number, v, "console", when()] for v in voters])


async def baseline() -> float:
    started = time.perf_counter()
    for query in ACTIONS.values():
        await fetch(query, [1, NOW - timedelta(weeks=12)])
    return time.perf_counter() - started


async def run(kind: str, members: int, rounds: int) -> tuple[list[float], list[float], list[float]]:
    with tempfile.TemporaryDirectory() as tmp:
        if kind == "postgres":
            conn = await asyncpg.connect(PG_SERVER)
            await conn.execute('DROP SCHEMA IF EXISTS "relais_bench" CASCADE; CREATE SCHEMA "relais_bench";')
            await conn.close()
        url = PG if kind == "postgres" else f"sqlite://{Path(tmp) / 'bench.sqlite3'}"
        app = App(Settings(data_dir=Path(tmp), database_url=url, log_format="text", log_level="WARNING"), clock=lambda: NOW)
        await app.start()
        try:
            await seed(members, 200)
            community = await Community.get(id=1)
            t = app.catalogs.get("fr")
            builds, draws, floors = [], [], []
            for _ in range(rounds):
                floors.append(await baseline())
                started = time.perf_counter()
                report = await app.services.reports.build(community, 12)
                builds.append(time.perf_counter() - started)
                started = time.perf_counter()
                png = chart(t, report)
                draws.append(time.perf_counter() - started)
                assert png.startswith(b"\x89PNG") and sum(w.active for w in report.weeks) > 0
            return builds, draws, floors
        finally:
            await app.stop()


def spread(values: list[float]) -> str:
    return f"min {min(values):.3f} s  median {statistics.median(values):.3f} s  max {max(values):.3f} s"


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--members", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--only", choices=["sqlite", "postgres"])
    args = parser.parse_args()
    for kind in (["sqlite", "postgres"] if not args.only else [args.only]):
        builds, draws, floors = await run(kind, args.members, args.rounds)
        print(f"{kind}: {args.members} members, 200 projects, 12 weeks of activity, {args.rounds} rounds")
        print(f"  report figures   {spread(builds)}")
        print(f"  chart (PNG)      {spread(draws)}")
        print(f"  baseline (rows read once) {spread(floors)} — figures / baseline: "
              f"{statistics.median(builds) / statistics.median(floors):.1f}×")


if __name__ == "__main__":
    asyncio.run(main())
