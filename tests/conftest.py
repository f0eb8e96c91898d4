"""Shared fixtures: an App on SQLite or PostgreSQL with the demo community, a fixed clock, dialogs."""

from __future__ import annotations

import asyncio
import os
from datetime import datetime, timezone
from pathlib import Path

import asyncpg
import pytest

from bot.adapters.console import ConsoleChat
from bot.app import App
from bot.config import Settings
from bot.services import demo

ROOT = Path(__file__).resolve().parent.parent
PG_SERVER = os.environ.get("RELAIS_TEST_POSTGRES", "postgres://postgres@127.0.0.1:5432/test")
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


def database_url(kind: str, tmp_path: Path) -> str:
    return f"sqlite://{tmp_path / 'relais.sqlite3'}" if kind == "sqlite" else PG_DSN


async def make_app(kind: str, tmp_path: Path, clock: Clock, seed: bool = True, **core) -> App:
    if kind == "postgres":
        await reset_postgres()
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
