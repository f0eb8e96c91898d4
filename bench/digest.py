"""The weekly digest at scale: 100,000 observers, 200 projects, ~5 follows each, a week of news.

(1) Build every personalised digest (data, text and HTML, signed links) without sending: wall time,
    digests per second, peak RSS (goals: <= 60 s and <= 300 MB).
(2) Send them all through Relais (claims, rendering, MIME, SMTP over 4 connections) to a local sink
    that discards, and, in the same run, the same sink's raw acceptance rate for as many pre-built
    messages over the same connections: both rates and the ratio (goal >= 50 %).
Run: .venv/bin/python bench/digest.py [--observers 100000] [--projects 200] [--skip-send]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.app import App  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.services import digest as d  # noqa: E402
from bot.services.calendar import week_key  # noqa: E402
from mail.digest import digest_links  # noqa: E402
from mail.smtp import SmtpPool  # noqa: E402
from models import Community  # noqa: E402

SINK = """
import asyncio, sys
from aiosmtpd.controller import Controller
class Discard:
    async def handle_DATA(self, server, session, envelope):
        return "250 OK"
c = Controller(Discard(), hostname="127.0.0.1", port=int(sys.argv[1]))
c.start()
print("READY", flush=True)
sys.stdin.read()
"""


def seed(path: Path, observers: int, projects: int, follows: int, now: datetime) -> None:
    """Rows written with sqlite3 directly: seeding is not what is measured."""
    rnd = random.Random(7)
    db = sqlite3.connect(path)
    ts = (now - timedelta(days=30)).isoformat(" ")
    db.execute("INSERT INTO community (id, slug, name, locale, timezone, created_at) VALUES (1, 'bench', 'Bench', 'fr', 'Europe/Paris', ?)", (ts,))
    db.executemany("INSERT INTO project (id, community_id, slug, title, summary, status, created_at) VALUES (?, 1, ?, ?, ?, 'active', ?)",
                   [(i, f"projet-{i}", f"Projet n°{i}", f"Un projet de la communauté, numéro {i}.", ts) for i in range(1, projects + 1)])
    week = now - timedelta(days=3)
    db.executemany("INSERT INTO news_item (project_id, text, author_id, platform, created_at) VALUES (?, ?, NULL, 'console', ?)",
                   [(i, f"Nouvelle de la semaine pour le projet {i} : ça avance bien.", week.isoformat(" ")) for i in range(1, projects + 1, 2)])
    db.executemany("INSERT INTO next_step (project_id, text, due, author_id, created_at) VALUES (?, ?, ?, NULL, ?)",
                   [(i, f"Étape suivante du projet {i}", (now + timedelta(days=i % 20 - 5)).date().isoformat(), ts)
                    for i in range(1, projects + 1)])
    db.executemany("INSERT INTO person (id, display_name, locale, created_at) VALUES (?, ?, ?, ?)",
                   [(i, f"Observateur {i}", "fr" if i % 4 else "en", ts) for i in range(1, observers + 1)])
    db.executemany("INSERT INTO account (person_id, platform, address, confirmed, reachable, preferred, created_at) "
                   "VALUES (?, 'email', ?, 1, 1, 1, ?)", [(i, f"obs{i}@bench.test", ts) for i in range(1, observers + 1)])
    db.executemany("INSERT INTO membership (person_id, community_id, role, joined_at) VALUES (?, 1, 10, ?)",
                   [(i, ts) for i in range(1, observers + 1)])
    db.executemany("INSERT INTO follow (person_id, project_id, created_at) VALUES (?, ?, ?)",
                   [(i, p, ts) for i in range(1, observers + 1) for p in rnd.sample(range(1, projects + 1), follows)])
    db.commit()
    db.close()


async def build_all(app: App, community: Community, now: datetime) -> tuple[int, int]:
    mailer = await app.digest_mailer()
    key = week_key(now.date())
    window = d.week_window(community, key, now, now.date())
    prepared = await app.services.digest.prepare(window)
    count = size = 0
    async for people in app.services.digest.recipients(community, chunk=2000):
        for recipient in people:
            digest = d.assemble(prepared, window, recipient)
            _, text, html = mailer.renderer.render(digest, digest_links(mailer_composer(app), digest))
            size += len(text) + len(html)
            count += 1
    return count, size


def mailer_composer(app: App):
    if not hasattr(app, "_bench_composer"):
        from mail.compose import Composer
        from mail.tokens import Tokens
        app._bench_composer = Composer("bench.test", "http://links.bench.test", Tokens("bench-secret", app.clock), app.catalogs, app.clock)
    return app._bench_composer


async def raw_rate(port: int, messages: list[bytes]) -> float:
    pool = SmtpPool(f"smtp://127.0.0.1:{port}", size=4)
    slots = asyncio.Semaphore(8)

    async def one(i: int, data: bytes):
        async with slots:
            await pool.send("relais@bench.test", [f"obs{i}@bench.test"], data)

    start = time.perf_counter()
    await asyncio.gather(*(one(i, m) for i, m in enumerate(messages)))
    elapsed = time.perf_counter() - start
    await pool.close()
    return len(messages) / elapsed


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--observers", type=int, default=100_000)
    parser.add_argument("--projects", type=int, default=200)
    parser.add_argument("--follows", type=int, default=5)
    parser.add_argument("--skip-send", action="store_true")
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
    seed(tmp / "bench.sqlite3", args.observers, args.projects, args.follows, now)
    print(f"seeded {args.observers} observers, {args.projects} projects, {args.follows} follows each in {time.perf_counter() - t0:.1f} s")
    await app.start()
    community = await Community.get(slug="bench")

    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    t0 = time.perf_counter()
    count, size = await build_all(app, community, now)
    wall = time.perf_counter() - t0
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"(1) built {count} digests (text + HTML, {size / count / 1024:.1f} KiB each) in {wall:.1f} s = {count / wall:.0f} digests/s; "
          f"peak RSS {rss:.0f} MB (before building: {rss_before:.0f} MB)   goals: <= 60 s, <= 300 MB")
    if args.skip_send:
        await app.stop()
        return

    sink = subprocess.Popen([sys.executable, "-c", SINK, str(port)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert sink.stdout.readline().startswith("READY")
    try:
        runner = await app.digest_runner()
        runner.concurrency = 8
        t0 = time.perf_counter()
        counts = await runner.run(community, now, week_key(now.date()))
        relais_rate = counts.sent / (time.perf_counter() - t0)
        # Baseline over the same kind of pool: the same number of pre-built messages of the same size.
        mailer = await app.digest_mailer()
        window = d.week_window(community, "bench", now, now.date())
        prepared = await app.services.digest.prepare(window)
        sample = []
        async for people in app.services.digest.recipients(community, chunk=200):
            sample = [mailer.compose(d.assemble(prepared, window, r))[1] for r in people]
            break
        messages = [sample[i % len(sample)] for i in range(counts.sent)]
        base = await raw_rate(port, messages)
        print(f"(2) Relais sent {counts.sent} digests at {relais_rate:.0f} mails/s (empty {counts.empty}, failed {counts.failed}); "
              f"raw sink acceptance of pre-built messages {base:.0f} mails/s; ratio {relais_rate / base:.0%}   goal: >= 50 %")
    finally:
        sink.stdin.close()
        sink.wait(10)
        await app.stop()


if __name__ == "__main__":
    asyncio.run(main())
