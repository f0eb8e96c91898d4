"""The weekly digest at scale: 100,000 people in two communities of 30 projects each, a third of them in both (they get
the one mail of their two communities), ~5 follows per community, a week of news on one project in three (one news in
four with two photos).

Why 30 projects: a Relais community is kept moving by one facilitator in about an hour a week (README; bench/agenda.py
seeds 30 projects a community, the demo 4). Two hundred projects with a hundred news a week each is a stress case, not
a community: `--projects 200 --news-every 2` still runs it.

(1) Build every mail (data, text and HTML, signed links, MIME) without sending, as the runs would: wall time, mails per
    second, size, peak RSS (goals: <= 60 s and <= 300 MB).
(2) Send them all through Relais (claims, building, MIME, SMTP over 4 connections) to a local sink that discards, and,
    in the same run, the same sink's bare acceptance rate for pre-built messages of the same kinds over the same
    connections: both rates and the ratio (goal >= 80 %).
Each is run --runs times (3): min / median / max.
Run: .venv/bin/python bench/digest.py [--people 100000] [--projects 30] [--news-every 3] [--runs 3] [--skip-send]
     [--profile FILE]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import pstats
import random
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.app import App  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.core.sql import fetch  # noqa: E402
from bot.services import digest as d  # noqa: E402
from bot.services.calendar import week_key  # noqa: E402
from bot.services.digest_combined import Combined, Planner  # noqa: E402
from mail.smtp import SmtpPool  # noqa: E402
from models import Community  # noqa: E402

SINK = """
import asyncio, sys
from aiosmtpd.controller import Controller
class Discard:
    async def handle_DATA(self, server, session, envelope):
        return "250 OK"
c = Controller(Discard(), hostname="127.0.0.1", port=int(sys.argv[1]), data_size_limit=0)
c.start()
print("READY", flush=True)
sys.stdin.read()
"""
NAMES = ("Usine Vivante", "Solidons")
PHOTO_SHARE = 4  # one news item in PHOTO_SHARE carries two photos


def seed(path: Path, people: int, projects: int, follows: int, now: datetime, news_every: int = 3) -> None:
    """Rows written with sqlite3 directly: seeding is not what is measured. Community 1 has people 1..2N/3, community 2
    people N/3+1..N: the middle third is in both (and joined community 1 first, so its run sends their one mail)."""
    rnd = random.Random(7)
    db = sqlite3.connect(path)
    ts = (now - timedelta(days=30)).isoformat(" ")
    later = (now - timedelta(days=20)).isoformat(" ")
    week = (now - timedelta(days=3)).isoformat(" ")
    third = people // 3
    members = {1: range(1, people - third + 1), 2: range(third + 1, people + 1)}
    db.executemany("INSERT INTO person (id, display_name, locale, created_at) VALUES (?, ?, ?, ?)",
                   [(i, f"Personne {i}", "fr" if i % 4 else "en", ts) for i in range(1, people + 1)])
    db.executemany("INSERT INTO account (person_id, platform, address, confirmed, reachable, preferred, created_at) "
                   "VALUES (?, 'email', ?, 1, 1, 1, ?)", [(i, f"p{i}@bench.test", ts) for i in range(1, people + 1)])
    news_id = 0
    for c, name in enumerate(NAMES, start=1):
        db.execute("INSERT INTO community (id, slug, name, locale, timezone, created_at) VALUES (?, ?, ?, 'fr', 'Europe/Paris', ?)",
                   (c, f"bench{c}", name, ts))
        ids = range((c - 1) * projects + 1, c * projects + 1)
        db.executemany("INSERT INTO project (id, community_id, slug, title, summary, status, created_at) VALUES (?, ?, ?, ?, ?, 'active', ?)",
                       [(i, c, f"projet-{i}", f"Projet n°{i}", f"Un projet de la communauté, numéro {i}.", ts) for i in ids])
        for i in ids[::news_every]:
            news_id += 1
            db.execute("INSERT INTO news_item (id, project_id, text, author_id, platform, created_at) VALUES (?, ?, ?, NULL, 'console', ?)",
                       (news_id, i, f"Nouvelle de la semaine pour le projet {i} : ça avance bien, le chantier reprend lundi "
                                    f"et tout le monde est bienvenu pour aider à monter la charpente.", week))
            if news_id % PHOTO_SHARE == 0:
                _photos(db, i, news_id, week)
        db.executemany("INSERT INTO next_step (project_id, text, due, author_id, created_at) VALUES (?, ?, ?, NULL, ?)",
                       [(i, f"Étape suivante du projet {i}", (now + timedelta(days=i % 20 - 5)).date().isoformat(), ts) for i in ids])
        db.executemany("INSERT INTO membership (person_id, community_id, role, joined_at) VALUES (?, ?, 10, ?)",
                       [(i, c, ts if c == 1 else later) for i in members[c]])
        db.executemany("INSERT INTO follow (person_id, project_id, created_at) VALUES (?, ?, ?)",
                       [(i, p, ts) for i in members[c] for p in rnd.sample(ids, follows)])
    db.commit()
    db.close()


def _photos(db: sqlite3.Connection, project_id: int, news_id: int, at: str) -> None:
    """Two photos of a news item, as the photo code stores them (their bytes are in the bench's file store)."""
    for n in range(2):
        key = f"{news_id:060d}{n:04d}"
        cur = db.execute("INSERT INTO stored_file (sha256, source_sha256, mime, size, width, height, thumb_sha256, created_at) "
                         "VALUES (?, ?, 'image/jpeg', 180000, 1600, 1200, ?, ?)", (key, key, f"t{key[1:]}", at))
        db.execute("INSERT INTO project_file (project_id, news_id, file_id, person_id, filename, position, created_at) "
                   "VALUES (?, ?, ?, NULL, ?, ?, ?)", (project_id, news_id, cur.lastrowid, f"chantier-{n}.jpg", n, at))


class Thumbs:
    """The file store of the bench: every thumbnail is the same small JPEG-sized blob (reading bytes is not measured)."""

    blob = bytes(random.Random(3).randrange(256) for _ in range(6000))

    async def get(self, key: str) -> bytes:
        return self.blob


async def build_all(app: App, now: datetime) -> tuple[int, int, int]:
    """Every mail of both communities' runs, built as the runs build them (without claims): (mails, combined, bytes)."""
    mailer = await app.digest_mailer()
    count = combined = size = 0
    for community in [await Community.get(id=c) for c in (1, 2)]:
        key = week_key(now.date())
        editions = d.Editions(app.services.digest, community, key, now, now.date())
        planner = Planner(app.services.digest, community, now, editions.today)
        async for people in app.services.digest.recipients(community, chunk=500):
            plan = await planner.plan(people)
            mine = [r for r in people if r.person_id not in plan.elsewhere]
            others: dict[int, list] = {}
            for other in {c.id: c for r in mine for c in plan.combined.get(r.person_id, [])}.values():
                for pid, part in (await planner.parts(other, [r for r in mine if r.person_id in plan.combined])).items():
                    others.setdefault(pid, []).append(part)
            for r in mine:
                digest = await editions.assemble(r)
                parts = others.get(r.person_id)
                if parts:
                    mail = Combined(r, community.id, digest, parts, plan.order[r.person_id])
                    _, data = mailer.compose_combined(mail)
                    combined += 1
                else:
                    _, data = mailer.compose(digest)
                size += len(data)
                count += 1
    return count, combined, size


async def bare_rate(port: int, messages: list[bytes], total: int) -> float:
    """The sink's acceptance of `total` pre-built messages over the pool Relais uses (4 connections, 8 in flight)."""
    pool = SmtpPool(f"smtp://127.0.0.1:{port}", size=4)
    slots = asyncio.Semaphore(8)

    async def one(i: int):
        async with slots:
            await pool.send("relais@bench.test", [f"p{i}@bench.test"], messages[i % len(messages)])

    start = time.perf_counter()
    await asyncio.gather(*(one(i) for i in range(total)))
    elapsed = time.perf_counter() - start
    await pool.close()
    return total / elapsed


async def send_all(app: App, now: datetime) -> tuple[int, int, float]:
    """Both communities' runs, as the scheduler starts them: (mails sent, of them combined, seconds)."""
    runner = await app.digest_runner()
    runner.concurrency = 8
    sent = combined = 0
    t0 = time.perf_counter()
    for community in [await Community.get(id=c) for c in (1, 2)]:
        counts = await runner.run(community, now, week_key(now.date()))
        assert not counts.failed, counts
        sent += counts.sent
        combined += counts.combined
    return sent, combined, time.perf_counter() - t0


async def samples(app: App, now: datetime, size: int) -> list[bytes]:
    """Pre-built messages in the proportions of a run: single digests and one mails of two communities."""
    mailer = await app.digest_mailer()
    out = []
    for community in [await Community.get(id=c) for c in (1, 2)]:
        editions = d.Editions(app.services.digest, community, week_key(now.date()), now, now.date())
        planner = Planner(app.services.digest, community, now, editions.today)
        async for people in app.services.digest.recipients(community, chunk=size):
            plan = await planner.plan(people)
            mine = [r for r in people if r.person_id not in plan.elsewhere]
            parts = await planner.parts(await Community.get(id=2), [r for r in mine if r.person_id in plan.combined]) \
                if community.id == 1 else {}
            for r in mine:
                digest = await editions.assemble(r)
                if r.person_id in parts:
                    mail = Combined(r, 1, digest, [parts[r.person_id]], plan.order[r.person_id])
                    out.append(mailer.compose_combined(mail)[1])
                else:
                    out.append(mailer.compose(digest)[1])
            break
    return out


def spread(values: list[float], fmt: str = "{:.1f}") -> str:
    return " / ".join(fmt.format(v) for v in (min(values), statistics.median(values), max(values)))


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--projects", type=int, default=30, help="per community")
    parser.add_argument("--news-every", type=int, default=3, help="a news item this week on one project in N")
    parser.add_argument("--follows", type=int, default=5, help="per person and community")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--skip-send", action="store_true")
    parser.add_argument("--profile", metavar="FILE", help="cProfile the first build; the top 15 by own time go to FILE")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp())
    now = datetime.now(timezone.utc)
    port = 20000 + random.Random().randrange(20000)
    settings = Settings(data_dir=tmp, database_url=f"sqlite://{tmp / 'bench.sqlite3'}", log_level="WARNING",
                        sections={"smtp": {"url": f"smtp://127.0.0.1:{port}"}, "mail": {"domain": "bench.test"}})
    app = App(settings)
    await app.start()
    await app.stop()
    t0 = time.perf_counter()
    seed(tmp / "bench.sqlite3", args.people, args.projects, args.follows, now, args.news_every)
    print(f"seeded {args.people} people ({args.people // 3} in both communities), {args.projects} projects per community "
          f"(news on one in {args.news_every}), "
          f"{args.follows} follows per person and community, in {time.perf_counter() - t0:.1f} s", flush=True)
    await app.start()
    app.services.files.store = Thumbs()  # type: ignore[assignment]

    walls, cpus, rates, sizes = [], [], [], []
    for run in range(args.runs):
        profiler = cProfile.Profile() if args.profile and run == 0 else None
        t0, cpu0 = time.perf_counter(), time.process_time()
        if profiler:
            profiler.enable()
        count, combined, size = await build_all(app, now)
        if profiler:
            profiler.disable()
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(15)
            Path(args.profile).write_text(out.getvalue())
        wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
        walls.append(wall)
        cpus.append(cpu)
        rates.append(count / wall)
        sizes.append(size / count / 1024)
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"  build run {run + 1}: {count} mails ({combined} of two communities), {size / count / 1024:.1f} KiB each, "
              f"{wall:.1f} s ({cpu:.1f} s of CPU) = {count / wall:.0f} mails/s; peak RSS so far {rss:.0f} MB", flush=True)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"(1) build, min / median / max of {args.runs}: {spread(walls)} s; {spread(rates, '{:.0f}')} mails/s; CPU "
          f"{spread(cpus)} s = {spread(sorted(count / c for c in cpus), '{:.0f}')} mails per CPU-second; "
          f"{spread(sizes)} KiB per mail; peak RSS {rss:.0f} MB   goals: <= 60 s, <= 300 MB", flush=True)
    if args.skip_send:
        await app.stop()
        return

    sink = subprocess.Popen([sys.executable, "-c", SINK, str(port)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert sink.stdout is not None and sink.stdout.readline().startswith("READY")
    try:
        prebuilt = await samples(app, now, 300)
        ours, bare, ratios = [], [], []
        for run in range(args.runs):
            await fetch("DELETE FROM digest_delivery", [])
            sent, combined, seconds = await send_all(app, now)
            base = await bare_rate(port, prebuilt, sent)
            ours.append(sent / seconds)
            bare.append(base)
            ratios.append(sent / seconds / base * 100)
            print(f"  send run {run + 1}: Relais sent {sent} mails ({combined} of two communities) at {sent / seconds:.0f} mails/s; "
                  f"the sink's bare rate {base:.0f} mails/s; ratio {sent / seconds / base:.0%}", flush=True)
        print(f"(2) send, min / median / max of {args.runs}: Relais {spread(ours, '{:.0f}')} mails/s; bare sink "
              f"{spread(bare, '{:.0f}')} mails/s; ratio {spread(ratios, '{:.0f}')} %   goal: >= 80 %")
    finally:
        sink.stdin.close()  # type: ignore[union-attr]
        sink.wait(10)
        await app.stop()


if __name__ == "__main__":
    asyncio.run(main())
