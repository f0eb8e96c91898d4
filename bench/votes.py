"""Votes under load.

(1) 1,000 members vote at once on one poll, on PostgreSQL (and SQLite): each ballot is a `vote` command through
    the core (parse, check the role, cast under the poll's share lock), all of them started together; then all
    of them vote again (every ballot replaced) while the poll is closed halfway through. Checked: every ballot
    counted exactly once (1,000 ballots, one per person; the close's count equals the ballots stored). Goal:
    >= 500 ballots/s on PostgreSQL. Baseline measured in the same run: the same 1,000 people running `polls`
    (a read-only command of the same core path), the ratio says what casting a ballot costs above it.
(2) The instant-runoff count of 10,000 ranked ballots over 10 options (pyrankvote). Goal: <= 1 s.
Run: .venv/bin/python bench/votes.py [--voters 1000] [--rounds 3] [--only sqlite|postgres]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
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
from bot.core.incoming import Incoming  # noqa: E402
from bot.core.sql import execute_many, fetch  # noqa: E402
from bot.services import demo  # noqa: E402
from bot.services.votes import count  # noqa: E402
from models import Community, PollKind, VotePoll  # noqa: E402

PG_SERVER = "postgres://postgres@127.0.0.1:5432/test"
PG = PG_SERVER + "?schema=relais_bench"
NOW = datetime(2026, 11, 23, 8, 0, tzinfo=timezone.utc)


async def seed_voters(voters: int) -> tuple[Community, list[str]]:
    await demo.seed("boss", NOW)
    community = await Community.get(slug=demo.SLUG)
    first = int((await fetch('SELECT COALESCE(MAX("id"), 0) FROM "person"', []))[0][0]) + 1
    ids = list(range(first, first + voters))
    await execute_many('INSERT INTO "person" ("id", "display_name", "locale", "created_at") VALUES (?, ?, ?, ?)',
                       [[i, f"Votant {i}", "fr", NOW] for i in ids])
    await execute_many('INSERT INTO "account" ("person_id", "platform", "address", "confirmed", "reachable", "preferred", "created_at") '
                       'VALUES (?, ?, ?, ?, ?, ?, ?)', [[i, "console", f"v{i}", True, True, True, NOW] for i in ids])
    await execute_many('INSERT INTO "membership" ("person_id", "community_id", "role", "joined_at") VALUES (?, ?, ?, ?)',
                       [[i, community.id, 20, NOW] for i in ids])
    if await _is_postgres():
        await fetch("SELECT setval(pg_get_serial_sequence('person', 'id'), (SELECT MAX(id) FROM person))", [])
    return community, [f"v{i}" for i in ids]


async def _is_postgres() -> bool:
    from tortoise import connections
    return connections.get("default").capabilities.dialect == "postgres"


async def wave(app: App, voters: list[str], line) -> float:
    started = time.perf_counter()
    replies = await asyncio.gather(*(app.dispatcher.handle(Incoming("console", v, line(i))) for i, v in enumerate(voters)))
    elapsed = time.perf_counter() - started
    errors = [r for r in replies if r.error]
    if errors:
        raise SystemExit(f"{len(errors)} commands failed, e.g. {errors[0].to_dict()}")
    return elapsed


async def run(kind: str, voters: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        if kind == "postgres":
            conn = await asyncpg.connect(PG_SERVER)
            await conn.execute('DROP SCHEMA IF EXISTS "relais_bench" CASCADE; CREATE SCHEMA "relais_bench";')
            await conn.close()
        url = PG if kind == "postgres" else f"sqlite://{Path(tmp) / 'bench.sqlite3'}"
        app = App(Settings(data_dir=Path(tmp), database_url=url, log_format="text", log_level="WARNING"), clock=lambda: NOW)
        await app.start()
        try:
            community, addresses = await seed_voters(voters)
            boss = await app.dispatcher.handle(Incoming("console", "boss", 'sondage "Quel projet ?" "A" "B" "C" "D"'))
            assert not boss.error, boss.to_dict()
            poll = await VotePoll.get(community_id=community.id, number=1)
            read = await wave(app, addresses, lambda i: "sondages")
            cast = await wave(app, addresses, lambda i: f"voter 1 {i % 4 + 1}")
            stored = await fetch('SELECT COUNT(*), COUNT(DISTINCT "voter") FROM "ballot" WHERE "poll_id" = ?', [poll.id])
            assert tuple(int(x) for x in stored[0]) == (voters, voters), f"ballots stored: {stored}"
            # Everybody votes again (each ballot replaced) while the poll is closed in the middle of it.
            again = asyncio.gather(*(app.dispatcher.handle(Incoming("console", v, f"voter 1 {(i + 1) % 4 + 1}"))
                                     for i, v in enumerate(addresses)), return_exceptions=True)
            await asyncio.sleep(0.05)
            closed = await app.services.votes.close(poll)
            await again
            stored_after = int((await fetch('SELECT COUNT(*) FROM "ballot" WHERE "poll_id" = ?', [poll.id]))[0][0])
            assert closed is not None and closed.voters == stored_after == voters, (closed, stored_after)
            rows = await fetch('SELECT "choice" FROM "ballot" WHERE "poll_id" = ?', [poll.id])
            recount = count(PollKind.SINGLE, 4, [json.loads(r[0]) if isinstance(r[0], str) else r[0] for r in rows])
            assert recount.counts == closed.counts, "the close counted exactly the ballots stored, once each"
            return {"ballots_s": voters / cast, "read_s": voters / read, "ratio": read / cast * 100}
        finally:
            await app.stop()


def ranked(ballots: int, options: int) -> float:
    rnd = random.Random(3)
    choices = []
    for _ in range(ballots):
        order = list(range(1, options + 1))
        rnd.shuffle(order)
        choices.append(order[: rnd.randint(1, options)])
    started = time.perf_counter()
    result = count(PollKind.RANKED, options, choices)
    elapsed = time.perf_counter() - started
    assert result.voters == ballots and result.winners
    return elapsed


def spread(values: list[float]) -> str:
    return f"min {min(values):.1f}  median {statistics.median(values):.1f}  max {max(values):.1f}"


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--voters", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--only", choices=["sqlite", "postgres"])
    args = parser.parse_args()
    for kind in (["postgres", "sqlite"] if not args.only else [args.only]):
        results = [await run(kind, args.voters) for _ in range(args.rounds)]
        print(f"{kind}: {args.voters} concurrent voters, {args.rounds} rounds — every ballot counted exactly once")
        print(f"  ballots/s            {spread([r['ballots_s'] for r in results])}   (goal >= 500 on postgres)")
        print(f"  baseline `polls`/s   {spread([r['read_s'] for r in results])}")
        print(f"  vote vs read command {spread([r['ratio'] for r in results])} %")
    times = [ranked(10_000, 10) for _ in range(args.rounds)]
    print(f"ranked count, 10,000 ballots x 10 options: min {min(times):.3f} s  median {statistics.median(times):.3f} s  "
          f"max {max(times):.3f} s   (goal <= 1 s)")


if __name__ == "__main__":
    asyncio.run(main())
