"""Help wanted at scale: one new need matched against 10,000 members' skills (French and English stems) and its
notifications queued in the outbox, on SQLite and PostgreSQL; min/median/max of 3 runs, each a new need of its own.

Every member has three skills, one of which matches the need: each run reaches all 10,000 (the worst case; the weekly cap
of 3 needs a person is not met in 3 runs). A run is the whole `need` path but the command parsing: the need stored and
indexed, the members matched, 10,000 outbox rows and 10,000 reach rows written, in one transaction. Baseline measured in
the same run: the same 10,000 outbox rows inserted alone (Notifier.insert), the floor of any notification to that many.
Run: .venv/bin/python bench/needs.py [--members 10000] [--runs 3] [--only sqlite|postgres]
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

from bot.app import App, tune_gc  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.core.sql import execute_many, fetch  # noqa: E402
from bot.services import demo  # noqa: E402
from bot.services.skills import terms  # noqa: E402
from models import Community, Membership, Person, Project, Role  # noqa: E402

PG_SERVER = "postgres://postgres@127.0.0.1:5432/test"
PG = PG_SERVER + "?schema=relais_bench_needs"  # its own: other benches drop theirs
GOAL = 1.0  # seconds for one need to 10,000 members
OTHER_SKILLS = ["cuisine", "jardinage", "comptabilité", "anglais", "graphisme", "photographie", "informatique", "couture",
                "electricity", "accounting", "translation", "driving"]


async def setup(kind: str, members: int) -> tuple[App, Community, Project, Person]:
    tmp = Path(tempfile.mkdtemp())
    if kind == "postgres":
        conn = await asyncpg.connect(PG_SERVER)
        await conn.execute("DROP SCHEMA IF EXISTS relais_bench_needs CASCADE; CREATE SCHEMA relais_bench_needs;")
        await conn.close()
    url = f"sqlite://{tmp / 'bench.sqlite3'}" if kind == "sqlite" else PG
    # Delivery is off (batch 0): this measures matching and queueing; the outbox is filled, not drained.
    app = App(Settings(data_dir=tmp, database_url=url, log_level="WARNING", delivery_batch=0, scheduler=False))
    await app.start()
    tune_gc()
    await demo.seed("me", app.clock())
    community = await Community.get(slug=demo.SLUG)
    project = await Project.get(slug="dombes-brasserie")
    referent = await Person.get(id=(await fetch('SELECT "person_id" FROM "project_referent" WHERE "project_id" = ?', [project.id]))[0][0])
    await Person.bulk_create([Person(display_name=f"Membre {n}", locale="fr" if n % 3 else "en") for n in range(members)], batch_size=1000)
    ids = [int(r[0]) for r in await fetch('SELECT "id" FROM "person" WHERE "display_name" LIKE ? ORDER BY "id"', ["Membre %"])]
    await Membership.bulk_create([Membership(person_id=pid, community_id=community.id, role=Role.MEMBER) for pid in ids], batch_size=1000)
    rows = []
    for n, pid in enumerate(ids):  # menuiserie (or carpentry) and two others, as members write them
        words = ("menuiserie" if n % 2 else "carpentry", OTHER_SKILLS[n % len(OTHER_SKILLS)], OTHER_SKILLS[(n * 7 + 3) % len(OTHER_SKILLS)])
        rows += [[pid, t] for t in dict.fromkeys(term for w in words for term in terms(w))]
    await execute_many('INSERT INTO "skill_term" ("person_id", "term") VALUES (?, ?) ON CONFLICT DO NOTHING', rows)
    await execute_many('INSERT INTO "skill" ("person_id", "text", "updated_at") VALUES (?, ?, ?)',
                       [[pid, "menuiserie, …", app.clock()] for pid in ids])
    return app, community, project, referent


async def run(kind: str, members: int, runs: int) -> dict:
    app, community, project, referent = await setup(kind, members)
    needs = app.services.needs
    times, reached = [], []
    for n in range(runs):
        t0 = time.perf_counter()
        _, count = await needs.post(community, project, referent, f"un·e menuisier·e pour le chantier n°{n} (carpenter)", None)
        times.append(time.perf_counter() - t0)
        reached.append(count)
    # Baseline: the same number of outbox rows, built and inserted alone.
    people = await Person.filter(display_name__startswith="Membre ").limit(members)
    notifier = app.services.notifier
    t0 = time.perf_counter()
    await notifier.insert(notifier.rows(people, "bench:floor", "need", lambda t: _floor_reply(), community.id))
    floor = time.perf_counter() - t0
    await app.stop()
    return {"kind": kind, "times": times, "reached": reached, "floor": floor}


def _floor_reply():
    from bot.core.replies import Reply

    return Reply().para("🙋 Brasserie de la Dombes — on cherche de l'aide (besoin 1)").para("un·e menuisier·e")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--only", choices=("sqlite", "postgres"))
    args = parser.parse_args()
    kinds = [args.only] if args.only else ["sqlite", "postgres"]
    print(f"one need matched against {args.members} members' skills, each reached (outbox + reach rows), {args.runs} runs")
    for kind in kinds:
        r = await run(kind, args.members, args.runs)
        t = sorted(r["times"])
        print(f"{r['kind']:9} min {t[0]:.3f} s   median {statistics.median(t):.3f} s   max {t[-1]:.3f} s   "
              f"reached {'/'.join(str(c) for c in r['reached'])}   baseline outbox insert {r['floor']:.3f} s   "
              f"ratio {statistics.median(t) / r['floor']:.2f}   {'ok' if t[-1] <= GOAL else 'OVER'} (goal <= {GOAL:.0f} s)")


if __name__ == "__main__":
    asyncio.run(main())
