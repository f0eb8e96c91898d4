"""Shared fixtures: an App on SQLite or PostgreSQL with the demo community, a fixed clock, dialogs."""

from __future__ import annotations

import asyncio
import fcntl
import os
import shutil
import subprocess
import sys
import tempfile
from datetime import datetime, timezone
from pathlib import Path

import asyncpg
import pytest

from bot.adapters.console import ConsoleChat
from bot.app import App
from bot.config import Settings
from bot.services import demo
from tests.peers import postgres

# The peers, one each for the whole session: defined here once (a fixture imported into each test module would be a
# fixture of that module, started again for each).
from tests.peers.mailman import mailman  # noqa: F401
from tests.peers.smtp_sink import sink, smtp_sink  # noqa: F401
from tests.peers.synapse import synapse  # noqa: F401
from tests.peers.telegram_fixture import emu, telegram_emulator, telegram_token  # noqa: F401

ROOT = Path(__file__).resolve().parent.parent
PG_SERVER = postgres.server()  # RELAIS_TEST_POSTGRES, the machine's on 127.0.0.1:5432, or a throwaway of the session
# A schema of its own per test session: two sessions on one machine never drop each other's tables.
PG_SCHEMA = f"relais_t{os.getpid()}"
PG_DSN = f"{PG_SERVER}?schema={PG_SCHEMA}"
NOW = datetime(2026, 11, 21, 10, 0, tzinfo=timezone.utc)  # a Saturday


class Clock:
    """A settable clock handed to the App, so dates in dialogs are deterministic."""

    def __init__(self, now: datetime = NOW):
        self.now = now

    def __call__(self) -> datetime:
        return self.now


async def reset_postgres(schema: str = PG_SCHEMA) -> None:
    conn = await asyncpg.connect(PG_SERVER)
    try:
        await conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE; CREATE SCHEMA "{schema}";')
    finally:
        await conn.close()


@pytest.fixture(scope="session", autouse=True)
def _drop_postgres_schema():
    yield
    async def drop():
        try:
            conn = await asyncpg.connect(PG_SERVER)
        except OSError:
            return
        try:
            await conn.execute(f'DROP SCHEMA IF EXISTS "{PG_SCHEMA}" CASCADE')
        finally:
            await conn.close()
    asyncio.run(drop())


_TEMPLATE_DIR: Path | None = None


def _sqlite_template() -> Path:
    """A database migrated once per test session (`relais migrate` in a process of its own): each test starts from a
    copy of it instead of running every migration again. The workers of one parallel run (pytest-xdist) share it:
    the first makes it under a lock, the others wait for it."""
    global _TEMPLATE_DIR
    if _TEMPLATE_DIR is None:
        run = os.environ.get("PYTEST_XDIST_TESTRUNUID")
        if run:
            folder = Path(tempfile.gettempdir()) / f"relais-template-{run}"
            folder.mkdir(exist_ok=True)
        else:
            folder = Path(tempfile.mkdtemp(prefix="relais-template-"))
        with open(folder / ".lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not (folder / ".done").exists():
                env = {k: v for k, v in os.environ.items() if not k.startswith("RELAIS_")}
                env.update(RELAIS_DATA_DIR=str(folder), RELAIS_LOG_LEVEL="WARNING")
                done = subprocess.run([sys.executable, "-m", "bot", "migrate"], cwd=ROOT, env=env, capture_output=True, text=True,
                                      timeout=120)
                assert done.returncode == 0, f"the template database could not be migrated: {done.stderr[-2000:]}"
                (folder / ".done").touch()
        _TEMPLATE_DIR = folder
    return _TEMPLATE_DIR / "relais.sqlite3"


PEERS = ("synapse", "mailman")  # started once per run: the tests that use one run in one worker (--dist loadgroup)


@pytest.hookimpl(tryfirst=True)  # before xdist's own hook, which reads the groups into the test ids
def pytest_collection_modifyitems(config, items):
    for item in items:
        peer = next((name for name in PEERS if name in item.fixturenames), None)
        if peer is not None:
            item.add_marker(pytest.mark.xdist_group(peer))


def database_url(kind: str, tmp_path: Path) -> str:
    """The test's database; on SQLite a copy of the session's migrated template when the file is not there yet."""
    if kind != "sqlite":
        return PG_DSN
    path = tmp_path / "relais.sqlite3"
    if not path.exists():
        template = _sqlite_template()
        tmp_path.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            if Path(f"{template}{suffix}").exists():
                shutil.copyfile(f"{template}{suffix}", f"{path}{suffix}")
    return f"sqlite://{path}"


async def fresh_postgres(schema: str = PG_SCHEMA) -> None:
    """The session's schema, emptied: migrated once, then every table truncated for each test (a schema left
    half-made or dropped by a test is made again from scratch)."""
    from bot.db import MIGRATIONS

    files = len(list((MIGRATIONS / "models").glob("[0-9]*_*.py")))
    conn = await asyncpg.connect(PG_SERVER)
    try:
        tables = [r["table_name"] for r in await conn.fetch(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = $1 AND table_type = 'BASE TABLE'", schema)]
        applied = 0
        if "aerich" in tables:
            applied = await conn.fetchval(f'SELECT count(*) FROM "{schema}"."aerich" WHERE app = $1', "models")
        if applied != files:
            await conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE; CREATE SCHEMA "{schema}";')
            return
        # Only the tables holding rows are emptied (one probe query finds them), and every sequence starts again at 1.
        probe = " UNION ALL ".join(f"(SELECT '{t}' AS t FROM \"{schema}\".\"{t}\" LIMIT 1)" for t in tables if t != "aerich")
        used = [r["t"] for r in await conn.fetch(probe)] if probe else []
        if used:  # DELETE with the foreign keys' triggers off: far cheaper than TRUNCATE on tables of a few rows
            await conn.execute("SET session_replication_role = replica; "
                               + "".join(f'DELETE FROM "{schema}"."{t}"; ' for t in used)
                               + "SET session_replication_role = DEFAULT")
        await conn.execute("SELECT setval(format('%I.%I', sequence_schema, sequence_name), 1, false) "
                           f"FROM information_schema.sequences WHERE sequence_schema = '{schema}'")
    finally:
        await conn.close()


async def make_app(kind: str, tmp_path: Path, clock: Clock, seed: bool = True, **core) -> App:
    if kind == "postgres":
        await fresh_postgres()
    settings = Settings(data_dir=tmp_path, database_url=database_url(kind, tmp_path), log_format="text", **core)
    app = App(settings, clock=clock)
    await app.start()
    if seed:
        await demo.seed("me", clock())
    return app


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def app(tmp_path, clock):
    """The App on SQLite with the demo community (console:me is its facilitator)."""
    app = await make_app("sqlite", tmp_path, clock)
    yield app
    await app.stop()


@pytest.fixture(params=["sqlite", "postgres"])
async def any_app(request, tmp_path, clock):
    """The same App on SQLite, then on PostgreSQL: storage tests run on both."""
    app = await make_app(request.param, tmp_path, clock)
    yield app
    await app.stop()


class Dialog:
    """A conversation asserted as (said, expected pieces) pairs, like a transcript."""

    def __init__(self, app: App, name: str, room: str | None = None, locale: str | None = None):
        self.chat = ConsoleChat(app.console, name, room=room, locale=locale)

    async def say(self, line: str) -> str:
        return await self.chat.exchange(line)

    async def check(self, *steps) -> None:
        for said, expected in steps:
            got = await self.say(said)
            pieces = [expected] if expected is None or isinstance(expected, str) else list(expected)
            for piece in pieces:
                if piece is None:
                    assert got == "", f"{said!r} should get no answer, got {got!r}"
                else:
                    assert piece in got, f"\n said: {said!r}\n expected: {piece!r}\n got: {got!r}"


@pytest.fixture
def talk(app):
    def make(name: str = "me", room: str | None = None, locale: str | None = None) -> Dialog:
        return Dialog(app, name, room, locale)
    return make


class FakeDialog:
    """The same transcripts, through a platform built only on the adapter contract (tests/fake_platform.py)."""

    def __init__(self, platform, name: str, room: str | None = None):
        self.platform, self.name, self.room = platform, name, room

    async def say(self, line: str) -> str:
        return await self.platform.receive(self.name, line, self.room)

    check = Dialog.check


async def fake_platform(app):
    """The fake platform plugged into a running App, its accounts linked to the demo's people (camille is Camille)."""
    from models import Account
    from tests.fake_platform import FakePlatform

    platform = FakePlatform(app.ports)
    app.adapters.append(platform)
    app.delivery.register(platform)
    for account in await Account.filter(platform="console"):
        await Account.create(person_id=account.person_id, platform="fake", address=account.address, preferred=False)
    await platform.start()
    return platform
