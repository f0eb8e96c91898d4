"""Events under load: one event with 5,000 invited members, 200 places and a waiting list.

(1) The facilitator announces it through the core (`événement "…" … places 200`): 5,000 invitations, each with its
    .ics, queued in the outbox (counted: one per member).
(2) The 5,000 members answer `je viens <n>` through the core, all started together (parse, check, the event row's
    lock, the answer): checked, every answer counted once — 5,000 answers, 200 coming, 4,800 on the waiting list in
    the order they were taken, no one twice. Goal: >= 500 RSVPs/s on SQLite and PostgreSQL.
(3) 100 of those who come say `je ne viens pas`: the first 100 who wait move up, each told once.
Baseline measured in the same run: the same 5,000 people running `événements` (a read-only command of the same
path); the ratio says what an answer costs above it. Printed: min / median / max of 3 runs.
Run: .venv/bin/python bench/events.py [--members 5000] [--places 200] [--rounds 3] [--only sqlite|postgres]
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

from bot.app import App, tune_gc  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.core.incoming import Incoming  # noqa: E402
from bot.core.sql import execute_many, fetch  # noqa: E402
from bot.services import demo  # noqa: E402
from models import Community, Event  # noqa: E402

PG_SERVER = "postgres://postgres@127.0.0.1:5432/test"
PG = PG_SERVER + "?schema=relais_bench_events"
NOW = datetime(2026, 11, 23, 8, 0, tzinfo=timezone.utc)


async def seed_members(members: int) -> list[str]:
    """`members` observers of the demo community with a console account each (they answer from it)."""
    await demo.seed("boss", NOW)
    community = await Community.get(slug=demo.SLUG)
    first = int((await fetch('SELECT COALESCE(MAX("id"), 0) FROM "person"', []))[0][0]) + 1
    ids = list(range(first, first + members))
    await execute_many('INSERT INTO "person" ("id", "display_name", "locale", "created_at") VALUES (?, ?, ?, ?)',
                       [[i, f"Membre {i}", "fr", NOW] for i in ids])
    await execute_many('INSERT INTO "account" ("person_id", "platform", "address", "confirmed", "reachable", "preferred", "created_at") '
                       'VALUES (?, ?, ?, ?, ?, ?, ?)', [[i, "console", f"m{i}", True, True, True, NOW] for i in ids])
    await execute_many('INSERT INTO "membership" ("person_id", "community_id", "role", "joined_at") VALUES (?, ?, ?, ?)',
                       [[i, community.id, 10, NOW] for i in ids])
    if _postgres():
        await fetch("SELECT setval(pg_get_serial_sequence('person', 'id'), (SELECT MAX(id) FROM person))", [])
    return [f"m{i}" for i in ids]


def _postgres() -> bool:
    from tortoise import connections
    return connections.get("default").capabilities.dialect == "postgres"


async def wave(app: App, people: list[str], line) -> float:
    started = time.perf_counter()
    replies = await asyncio.gather(*(app.dispatcher.handle(Incoming("console", p, line(i))) for i, p in enumerate(people)))
    elapsed = time.perf_counter() - started
    errors = [r for r in replies if r is None or r.error]
    if errors:
        raise SystemExit(f"{len(errors)} commands failed, e.g. {errors[0].to_dict() if errors[0] else None}")
    return elapsed


async def run(kind: str, members: int, places: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        if kind == "postgres":
            conn = await asyncpg.connect(PG_SERVER)
            await conn.execute('DROP SCHEMA IF EXISTS "relais_bench_events" CASCADE; CREATE SCHEMA "relais_bench_events";')
            await conn.close()
        url = PG if kind == "postgres" else f"sqlite://{Path(tmp) / 'bench.sqlite3'}"
        # Delivery is off (batch 0): the invitations are queued, not sent; this measures the command path.
        app = App(Settings(data_dir=Path(tmp), database_url=url, log_format="text", log_level="WARNING", delivery_batch=0),
                  clock=lambda: NOW)
        await app.start()
        tune_gc()
        try:
            people = await seed_members(members)
            started = time.perf_counter()
            made = await app.dispatcher.handle(Incoming("console", "boss", f'événement "Soirée de présentation" 12 décembre 19h '
                                                                            f'lieu Salle des fêtes places {places}'))
            announce = time.perf_counter() - started
            assert made is not None and not made.error, made.to_dict() if made else None
            event = await Event.get(kind="event")
            queued = int((await fetch('SELECT COUNT(*) FROM "outbox_message" WHERE "key" LIKE ?', [f"event:{event.id}:%"]))[0][0])
            everyone = int((await fetch('SELECT COUNT(*) FROM "membership" WHERE "community_id" = ?', [event.community_id]))[0][0])
            assert queued == everyone >= members, f"invitations queued: {queued} for {everyone} members"
            read = await wave(app, people, lambda i: "événements")
            rsvp = await wave(app, people, lambda i: f"je viens {event.id}")
            rows = await fetch('SELECT "status", COUNT(*), COUNT(DISTINCT "person_id") FROM "event_answer" WHERE "event_id" = ? '
                               'GROUP BY "status"', [event.id])
            counted = {str(s): (int(n), int(d)) for s, n, d in rows}
            assert counted == {"coming": (places, places), "waiting": (members - places, members - places)}, counted
            # Who comes leaves: the first who wait move up, in order, each once.
            waiting = [int(r[0]) for r in await fetch('SELECT "person_id" FROM "event_answer" WHERE "event_id" = ? AND "status" = '
                                                       '\'waiting\' ORDER BY "at", "id"', [event.id])]
            leaving = [f"m{int(r[0])}" for r in await fetch('SELECT "person_id" FROM "event_answer" WHERE "event_id" = ? AND '
                                                             '"status" = \'coming\' ORDER BY "id" LIMIT 100', [event.id])]
            await wave(app, leaving, lambda i: f"je ne viens pas {event.id}")
            moved = {int(r[0]) for r in await fetch('SELECT "person_id" FROM "event_answer" WHERE "event_id" = ? AND "status" = '
                                                     '\'coming\'', [event.id])}
            assert set(waiting[:len(leaving)]) <= moved and len(moved) == places, "the first who waited took the places"
            told = int((await fetch('SELECT COUNT(*) FROM "outbox_message" WHERE "key" LIKE ?', [f"event-promoted:{event.id}:%"]))[0][0])
            assert told == len(leaving), f"moved up and told: {told}"
            return {"rsvp_s": members / rsvp, "read_s": members / read, "ratio": read / rsvp * 100, "announce": announce}
        finally:
            await app.stop()


def spread(values: list[float], fmt: str = ".0f") -> str:
    return f"min {min(values):{fmt}}  median {statistics.median(values):{fmt}}  max {max(values):{fmt}}"


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=5000)
    parser.add_argument("--places", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--only", choices=["sqlite", "postgres"])
    args = parser.parse_args()
    for kind in ([args.only] if args.only else ["sqlite", "postgres"]):
        results = [await run(kind, args.members, args.places) for _ in range(args.rounds)]
        print(f"{kind}: {args.members} invited members, {args.places} places, {args.rounds} runs — every answer counted once")
        print(f"  announce + {args.members} invitations queued (s)  {spread([r['announce'] for r in results], '.2f')}")
        print(f"  RSVPs/s                               {spread([r['rsvp_s'] for r in results])}   (goal >= 500)")
        print(f"  baseline `événements`/s               {spread([r['read_s'] for r in results])}")
        print(f"  answer vs read command                {spread([r['ratio'] for r in results])} %")


if __name__ == "__main__":
    asyncio.run(main())
