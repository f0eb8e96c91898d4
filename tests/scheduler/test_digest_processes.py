"""Digests go out exactly once: a sender really killed midway and restarted, two senders at once on PostgreSQL."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import asyncpg
import pytest

from bot.app import App
from bot.config import Settings
from models import Account, Community, Follow, Membership, NewsItem, Person, Project, Role
from tests.conftest import PG_SERVER, database_url

ROOT = Path(__file__).resolve().parents[2]
OBSERVERS = 20


async def seed(url: str, tmp_path: Path) -> None:
    app = App(Settings(data_dir=tmp_path, database_url=url, log_level="WARNING"))
    await app.start()
    community = await Community.create(slug="paris", name="Paris")
    project = await Project.create(community=community, slug="jardin", title="Jardin")
    await NewsItem.create(project=project, text="Les semis sont faits")
    for i in range(OBSERVERS):
        person = await Person.create(display_name=f"Obs {i}")
        await Account.create(person=person, platform="email", address=f"obs{i}@example.org", confirmed=True)
        await Membership.create(person=person, community=community, role=Role.OBSERVER)
        await Follow.create(person=person, project=project)
    await app.stop()


def env(tmp_path: Path, url: str, port: int) -> dict:
    out = {k: v for k, v in os.environ.items() if not k.startswith("RELAIS_")}
    out.update(RELAIS_DATA_DIR=str(tmp_path), RELAIS_DATABASE_URL=url, RELAIS_SMTP_URL=f"smtp://127.0.0.1:{port}",
               RELAIS_DIGEST_LEASE="1", RELAIS_LOG_LEVEL="WARNING", RELAIS_MAIL_DOMAIN="relais.test")
    return out


def send(tmp_path: Path, url: str, port: int, extra: dict | None = None) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "bot", "digest", "send", "--community", "paris", "--now"], cwd=ROOT,
                            env={**env(tmp_path, url, port), **(extra or {})}, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)


def sent_rows(tmp_path: Path) -> int:
    import sqlite3

    with sqlite3.connect(tmp_path / "relais.sqlite3") as db:
        return db.execute("SELECT COUNT(*) FROM digest_delivery WHERE status = 'sent'").fetchone()[0]


def per_address(sink) -> dict[str, int]:  # noqa: F811
    counts: dict[str, int] = {}
    for message in sink.messages:
        for rcpt in message.rcpt_tos:
            counts[rcpt] = counts.get(rcpt, 0) + 1
    return counts


def test_a_sender_killed_midway_then_restarted_sends_each_missing_digest_once(tmp_path, sink):  # noqa: F811
    url = database_url("sqlite", tmp_path)
    asyncio.run(seed(url, tmp_path))
    sink.hold_after(7)
    proc = send(tmp_path, url, sink.port, extra={"RELAIS_DIGEST_LEASE": "60"})
    assert sink.holding.wait(30), proc.communicate(timeout=5)
    # Kill while mails are in flight (the sink holds their 250), once the ones already accepted are recorded:
    # a mail accepted by the server but not yet recorded is SMTP's own duplicate window, which no sender closes.
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and sent_rows(tmp_path) < len(sink.messages):
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGKILL)  # really killed, mid-conversation with the SMTP server
    proc.wait(10)
    sink.release()
    assert len(sink.messages) == 7
    # Restarted at once, with the dead run's claims still leased (60 s): its process is gone, so they are taken over.
    again = send(tmp_path, url, sink.port, extra={"RELAIS_DIGEST_LEASE": "60"})
    out, err = again.communicate(timeout=60)
    assert again.returncode == 0, err
    assert f"sent: {OBSERVERS - 7}, skipped as empty: 0, already sent: 7, failed: 0" in out
    assert "taken over from a run that was killed:" in out and "in progress elsewhere" not in out
    assert per_address(sink) == {f"obs{i}@example.org": 1 for i in range(OBSERVERS)}
    third = send(tmp_path, url, sink.port)
    out, _ = third.communicate(timeout=60)
    assert f"sent: 0, skipped as empty: 0, already sent: {OBSERVERS}, failed: 0" in out
    assert "paris" in _ and f"{OBSERVERS}/{OBSERVERS}" in _  # the progress bar on standard error


def test_a_run_beside_a_live_one_reports_its_claims_as_in_progress_elsewhere(tmp_path, sink):  # noqa: F811
    """Claims held by a live run are not "already sent": they are counted apart, with when they would be taken over."""
    url = database_url("sqlite", tmp_path)
    asyncio.run(seed(url, tmp_path))
    sink.hold_after(3)
    first = send(tmp_path, url, sink.port, extra={"RELAIS_DIGEST_LEASE": "60"})
    try:
        assert sink.holding.wait(30)
        second = send(tmp_path, url, sink.port)
        out, err = second.communicate(timeout=60)
        assert second.returncode == 0, err
        assert "in progress elsewhere:" in out and "taken over at" in out
        assert f"already sent: {OBSERVERS}" not in out
    finally:
        sink.release()
        first.communicate(timeout=60)
    assert per_address(sink) == {f"obs{i}@example.org": 1 for i in range(OBSERVERS)}


def test_two_senders_on_one_postgresql_database_never_double_send(tmp_path, sink):  # noqa: F811
    schema = f"relais_dg{os.getpid()}"

    async def reset():
        conn = await asyncpg.connect(PG_SERVER)
        await conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE; CREATE SCHEMA "{schema}"')
        await conn.close()

    url = f"{PG_SERVER}?schema={schema}"
    asyncio.run(reset())
    try:
        asyncio.run(seed(url, tmp_path))
        first, second = send(tmp_path, url, sink.port), send(tmp_path, url, sink.port)
        outs = [p.communicate(timeout=60) for p in (first, second)]
        assert first.returncode == second.returncode == 0, outs
        sent = [int(out.split("sent: ")[1].split(",")[0]) for out, _ in outs]
        assert sum(sent) == OBSERVERS
        assert per_address(sink) == {f"obs{i}@example.org": 1 for i in range(OBSERVERS)}
    finally:
        async def drop():
            conn = await asyncpg.connect(PG_SERVER)
            await conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
            await conn.close()
        asyncio.run(drop())
