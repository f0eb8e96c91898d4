"""The facilitator's hour at scale: 1,000 communities × 30 projects (referents, next steps, news, follows, prompts,
list posts), on SQLite and on PostgreSQL.

(1) Every community's agenda with its stalest-first ranking, computed in one pass (what the weekly push does):
    wall time (goal <= 5 s), against the same agendas computed one community at a time (what `agenda` typed in
    each community costs), measured in the same run: the ratio.
(2) The weekly push: every agenda rendered and handed to the outbox, one message per facilitator (goal <= 10 s).
Run: .venv/bin/python bench/agenda.py [--communities 1000] [--projects 30] [--only sqlite|postgres] [--rounds 3]
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
from bot.core.sql import execute_many  # noqa: E402
from models import Community, OutboxMessage  # noqa: E402

PG_SERVER = "postgres://postgres@127.0.0.1:5432/test"
PG = PG_SERVER + "?schema=relais_bench"
NOW = datetime(2026, 11, 23, 8, 0, tzinfo=timezone.utc)
MEMBERS = 8  # per community: the facilitator, referents, followers


async def seed(communities: int, projects: int) -> None:
    """Plain multi-row inserts through the app's connection: seeding is not what is measured."""
    rnd = random.Random(11)
    old = NOW - timedelta(days=120)
    await execute_many('INSERT INTO "community" ("id", "slug", "name", "locale", "timezone", "created_at") VALUES (?, ?, ?, ?, ?, ?)',
                       [[c, f"c{c}", f"Communauté {c}", "fr" if c % 3 else "en", "Europe/Paris", old] for c in range(1, communities + 1)])
    people = communities * MEMBERS
    await execute_many('INSERT INTO "person" ("id", "display_name", "locale", "created_at") VALUES (?, ?, ?, ?)',
                       [[p, f"Personne {p}", None, old] for p in range(1, people + 1)])
    await execute_many('INSERT INTO "account" ("person_id", "platform", "address", "confirmed", "reachable", "preferred", "created_at") '
                       'VALUES (?, ?, ?, ?, ?, ?, ?)',
                       [[p, "console", f"p{p}", True, p % 17 != 0, True, old] for p in range(1, people + 1)])
    await execute_many('INSERT INTO "membership" ("person_id", "community_id", "role", "joined_at") VALUES (?, ?, ?, ?)',
                       [[(c - 1) * MEMBERS + m, c, 40 if m == 1 else 30 if m <= 4 else 20, old]
                        for c in range(1, communities + 1) for m in range(1, MEMBERS + 1)])
    rows, referents, steps, news, follows, prompts = [], [], [], [], [], []
    pid = 0
    for c in range(1, communities + 1):
        base = (c - 1) * MEMBERS
        for i in range(projects):
            pid += 1
            rows.append([pid, c, f"p{i}", f"Projet {i} de {c}", "", "active" if i % 5 else "idea", old])
            referents.append([pid, base + 2 + i % 3])
            age = rnd.randint(0, 60)
            steps.append([pid, f"Étape {i}", (NOW + timedelta(days=rnd.randint(-10, 40))).date(), base + 2 + i % 3,
                          NOW - timedelta(days=age)])
            if i % 2:
                news.append([pid, f"Nouvelle {i}", base + 2 + i % 3, "console", NOW - timedelta(days=rnd.randint(0, 30))])
            for m in rnd.sample(range(5, MEMBERS + 1), 2):
                follows.append([base + m, pid, old])
            if i % 4 == 0:
                prompts.append([c, pid, base + 2 + i % 3, f"b{c}", "answered" if i % 8 else "asked",
                                NOW - timedelta(days=rnd.randint(1, 40)), NOW - timedelta(days=rnd.randint(0, 20))])
    await execute_many('INSERT INTO "project" ("id", "community_id", "slug", "title", "summary", "status", "created_at") '
                       'VALUES (?, ?, ?, ?, ?, ?, ?)', rows)
    await execute_many('INSERT INTO "project_referent" ("project_id", "person_id") VALUES (?, ?)', referents)
    await execute_many('INSERT INTO "next_step" ("project_id", "text", "due", "author_id", "created_at") VALUES (?, ?, ?, ?, ?)', steps)
    await execute_many('INSERT INTO "news_item" ("project_id", "text", "author_id", "platform", "created_at") VALUES (?, ?, ?, ?, ?)', news)
    await execute_many('INSERT INTO "follow" ("person_id", "project_id", "created_at") VALUES (?, ?, ?)', follows)
    await execute_many('INSERT INTO "prompt" ("community_id", "project_id", "person_id", "batch", "status", "asked_at", "answered_at", '
                       '"answer", "step_text", "dated", "summarized") VALUES (?, ?, ?, ?, ?, ?, ?, \'\', \'\', false, false)', prompts)
    await execute_many('INSERT INTO "mail_list_post" ("community_id", "address", "person_id", "last_post_at", "posts") VALUES (?, ?, ?, ?, ?)',
                       [[c, f"p{(c - 1) * MEMBERS + 2}@x.test", (c - 1) * MEMBERS + 2, NOW - timedelta(days=c % 30), 3]
                        for c in range(1, communities + 1)])


async def run(kind: str, communities: int, projects: int, rounds: int) -> dict:
    tmp = Path(tempfile.mkdtemp())
    if kind == "postgres":
        conn = await asyncpg.connect(PG_SERVER)
        await conn.execute("DROP SCHEMA IF EXISTS relais_bench CASCADE; CREATE SCHEMA relais_bench;")
        await conn.close()
    url = f"sqlite://{tmp / 'bench.sqlite3'}" if kind == "sqlite" else PG
    app = App(Settings(data_dir=tmp, database_url=url, log_level="WARNING", delivery_batch=0), clock=lambda: NOW, listen=False)
    await app.start()
    await seed(communities, projects)
    everyone = await Community.all().order_by("id")
    agenda = app.services.agenda
    batched, single, pushed = [], [], []
    for r in range(rounds):
        t0 = time.perf_counter()
        views = await agenda.views(everyone)
        batched.append(time.perf_counter() - t0)
        assert len(views) == communities and all(len(v.proposed) == 3 for v in views.values())
        t0 = time.perf_counter()
        for community in everyone:
            await agenda.view(community)
        single.append(time.perf_counter() - t0)
        await OutboxMessage.all().delete()
        t0 = time.perf_counter()
        done = await app.agenda_push().push(everyone, f"2026-W{48 + r}")
        pushed.append(time.perf_counter() - t0)
        assert done.messages == communities, done
    await app.stop()
    return {"kind": kind, "batched": batched, "single": single, "push": pushed}


def spread(values: list[float]) -> str:
    return f"min {min(values):6.2f} s  median {statistics.median(values):6.2f} s  max {max(values):6.2f} s"


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--communities", type=int, default=1000)
    parser.add_argument("--projects", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--only", choices=("sqlite", "postgres"))
    args = parser.parse_args()
    kinds = [args.only] if args.only else ["sqlite", "postgres"]
    print(f"{args.communities} communities × {args.projects} projects, {args.rounds} rounds")
    for kind in kinds:
        r = await run(kind, args.communities, args.projects, args.rounds)
        ratio = statistics.median(r["single"]) / statistics.median(r["batched"])
        print(f"{kind:9} agendas, one pass       {spread(r['batched'])}   (goal <= 5 s)")
        print(f"{kind:9} agendas, one at a time  {spread(r['single'])}   one pass is {ratio:.1f}× faster")
        print(f"{kind:9} weekly push to outbox   {spread(r['push'])}   (goal <= 10 s)")


if __name__ == "__main__":
    asyncio.run(main())
