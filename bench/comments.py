"""Comments routed to referents: 1,000 questions from 1,000 people on 50 projects, each stored in the inbox, answered,
and delivered to the project's referent exactly once — against `follow` commands through the same path in the same run.

Both go through the fake platform (tests/fake_platform.py: the adapter contract, the inbox and the pipeline, as Telegram
and Matrix do), one message at a time; a comment's time counts its delivery to the referent (the outbox drained).
Run: .venv/bin/python bench/comments.py [--people 1000] [--projects 50] [--only sqlite|postgres]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import asyncpg  # noqa: E402

from bot.app import App, tune_gc  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.services import demo  # noqa: E402
from models import Account, Comment, Community, Membership, OutboxMessage, Person, Project, ProjectStatus, Role  # noqa: E402
from tests.fake_platform import FakePlatform  # noqa: E402

PG_SERVER = "postgres://postgres@127.0.0.1:5432/test"
PG = PG_SERVER + "?schema=relais_bench"


async def setup(kind: str, people: int, projects: int) -> tuple[App, FakePlatform]:
    tmp = Path(tempfile.mkdtemp())
    if kind == "postgres":
        conn = await asyncpg.connect(PG_SERVER)
        await conn.execute("DROP SCHEMA IF EXISTS relais_bench CASCADE; CREATE SCHEMA relais_bench;")
        await conn.close()
    url = f"sqlite://{tmp / 'bench.sqlite3'}" if kind == "sqlite" else PG
    app = App(Settings(data_dir=tmp, database_url=url, log_level="WARNING", delivery_batch=500))
    await app.start()
    tune_gc()
    await demo.seed("me", app.clock())
    community = await Community.get(slug=demo.SLUG)
    for n in range(projects):  # each project with its own referent, reached on the fake platform
        project = await Project.create(community=community, slug=f"p{n:03d}", title=f"Projet {n}", status=ProjectStatus.ACTIVE)
        referent = await Person.create(display_name=f"Référent {n}")
        await Account.create(person=referent, platform="fake", address=f"r{n}", preferred=True)
        await Membership.create(person=referent, community=community, role=Role.REFERENT)
        await project.referents.add(referent)
    for n in range(people):
        person = await Person.create(display_name=f"Membre {n}")
        await Account.create(person=person, platform="fake", address=f"m{n}", preferred=True)
        await Membership.create(person=person, community=community, role=Role.MEMBER)
    platform = FakePlatform(app.ports)
    app.adapters.append(platform)
    app.delivery.register(platform)
    await platform.start()
    return app, platform


async def run(kind: str, people: int, projects: int) -> dict:
    app, platform = await setup(kind, people, projects)
    try:
        t0 = time.perf_counter()
        for n in range(people):
            got = await platform.receive(f"m{n}", f"suivre p{n % projects:03d}")
            assert "Vous suivez" in got, got
        follows = people / (time.perf_counter() - t0)
        platform.sent.clear()
        t0 = time.perf_counter()
        for n in range(people):
            got = await platform.receive(f"m{n}", f"question p{(n * 7) % projects:03d} Question n°{n} : quand commence-t-on ?")
            assert "Transmis aux référent·es" in got, got
        while await app.delivery.deliver_due():
            pass
        comments = people / (time.perf_counter() - t0)
        told = Counter(s["outbox"] for s in platform.sent if s["op"] == "notify")
        rows = await OutboxMessage.filter(kind="comment").count()
        assert await Comment.all().count() == people and rows == people, (rows, people)
        assert len(told) == people and set(told.values()) == {1}, "each comment delivered exactly once"
        assert {s["to"] for s in platform.sent if s["op"] == "notify"} == {f"r{n}" for n in range(projects)}
        return {"kind": kind, "follows": follows, "comments": comments}
    finally:
        await platform.stop()
        await app.stop()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=1000)
    parser.add_argument("--projects", type=int, default=50)
    parser.add_argument("--only", choices=("sqlite", "postgres"))
    args = parser.parse_args()
    print(f"{args.people} people, {args.projects} projects, one referent each, through the fake platform's inbox and pipeline")
    for kind in [args.only] if args.only else ["sqlite", "postgres"]:
        r = await run(kind, args.people, args.projects)
        print(f"{r['kind']:9} follow {r['follows']:7.0f}/s   comment routed and delivered {r['comments']:7.0f}/s   "
              f"ratio {r['comments'] / r['follows']:.2f}   (each of the {args.people} delivered exactly once)")
    print("goal: comments >= 0.50 of follows")


if __name__ == "__main__":
    asyncio.run(main())
