"""Commands per second and latency through the console path, on SQLite and PostgreSQL.

A mix of projects, project, follow, unfollow and news from 50 console members, one command at a
time, as a chat would send them. Baseline measured in the same run: the bare ORM round trip
(one project fetched by slug), the floor of any command that reads the database.
Run: .venv/bin/python bench/core.py [--commands 6000] [--only sqlite|postgres]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import asyncpg  # noqa: E402

from bot.adapters.console import ConsoleChat  # noqa: E402
from bot.app import App, tune_gc  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.services import demo  # noqa: E402
from models import Project  # noqa: E402

PG_SERVER = "postgres://postgres@127.0.0.1:5432/test"
PG = PG_SERVER + "?schema=relais_bench"
SLUGS = ["dombes-brasserie", "conciergerie-rurale", "ressourcerie-creative", "creche-interentreprises"]


def mix(n: int, members: int) -> list[tuple[str, str]]:
    """(who, line) pairs: reads dominate, as in a community chat; a referent posts news now and then."""
    lines = []
    for i in range(n):
        who = f"m{i % members}"
        slug = SLUGS[i % len(SLUGS)]
        kind = i % 10
        if kind in (0, 1, 2):
            lines.append((who, "projets"))
        elif kind in (3, 4, 5):
            lines.append((who, f"projet {slug}"))
        elif kind in (6, 7):
            lines.append((who, f"suivre {slug}"))
        elif kind == 8:
            lines.append((who, f"ne-plus-suivre {slug}"))
        else:
            lines.append(("camille", f"nouvelle dombes-brasserie Nouvelle n°{i}"))
    return lines


async def run(kind: str, commands: int, members: int) -> dict:
    tmp = Path(tempfile.mkdtemp())
    if kind == "postgres":
        conn = await asyncpg.connect(PG_SERVER)
        await conn.execute("DROP SCHEMA IF EXISTS relais_bench CASCADE; CREATE SCHEMA relais_bench;")
        await conn.close()
    url = f"sqlite://{tmp / 'bench.sqlite3'}" if kind == "sqlite" else PG
    # Delivery is off (batch 0): this measures the command path; the outbox is filled, not drained.
    app = App(Settings(data_dir=tmp, database_url=url, log_level="WARNING", delivery_batch=0))
    await app.start()
    tune_gc()  # as `relais run` and `relais console` do when they start serving
    await demo.seed("me", app.clock())
    chats = {f"m{i}": ConsoleChat(app.console, f"m{i}") for i in range(members)}
    chats["camille"] = ConsoleChat(app.console, "camille")
    for chat in chats.values():  # first contact creates the person: not part of the steady state
        await chat.exchange("aide")
    work = mix(commands, members)
    latencies = []
    start = time.perf_counter()
    for who, line in work:
        t0 = time.perf_counter()
        out = await chats[who].exchange(line)
        latencies.append(time.perf_counter() - t0)
        if "⚠️" in out and "Vous suivez déjà" not in out:
            raise SystemExit(f"unexpected error reply to {line!r}: {out}")
    elapsed = time.perf_counter() - start
    # Baseline: the bare ORM round trip every command pays at least once.
    t0 = time.perf_counter()
    for i in range(commands):
        await Project.get(slug=SLUGS[i % len(SLUGS)])
    base = commands / (time.perf_counter() - t0)
    await app.stop()
    latencies.sort()
    return {"kind": kind, "cps": commands / elapsed, "p50": statistics.median(latencies) * 1000,
            "p99": latencies[int(len(latencies) * 0.99) - 1] * 1000, "base": base}


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--commands", type=int, default=6000)
    parser.add_argument("--members", type=int, default=50)
    parser.add_argument("--only", choices=("sqlite", "postgres"))
    args = parser.parse_args()
    kinds = [args.only] if args.only else ["sqlite", "postgres"]
    print(f"{args.commands} commands (projects 30 %, project 30 %, follow 20 %, unfollow 10 %, news 10 %), {args.members} members")
    for kind in kinds:
        r = await run(kind, args.commands, args.members)
        print(f"{r['kind']:9} {r['cps']:8.0f} commands/s   p50 {r['p50']:6.2f} ms   p99 {r['p99']:6.2f} ms   "
              f"baseline ORM fetch {r['base']:8.0f}/s   ratio {r['cps'] / r['base']:.2f}")
    print("goal: >= 1500 commands/s on SQLite")


if __name__ == "__main__":
    asyncio.run(main())
