"""Database lifecycle: Tortoise configuration, aerich migrations, the migrated-or-not check."""

from __future__ import annotations

import contextlib
import logging
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from tortoise import Tortoise, connections
from tortoise.backends.base.executor import EXECUTOR_CACHE

log = logging.getLogger("relais.db")

MIGRATIONS = Path(__file__).resolve().parent.parent / "models" / "migrations"


def tortoise_config(url: str, migrations: bool = False) -> dict:
    if url.startswith("sqlite://"):
        path = url.removeprefix("sqlite://")
        if path not in (":memory:", "") and not path.startswith("/"):
            path = str(Path(path).resolve())
        if path not in (":memory:", ""):
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        # WAL + synchronous=NORMAL: durable across a process crash, and fast commits.
        conn: dict | str = {
            "engine": "tortoise.backends.sqlite",
            "credentials": {"file_path": path, "journal_mode": "WAL", "synchronous": "NORMAL", "foreign_keys": "ON"},
        }
    else:
        conn = url
    return {
        "connections": {"default": conn},
        # aerich's own model only to migrate: importing aerich costs a third of a second that a start does not need.
        "apps": {"models": {"models": ["models", "aerich.models"] if migrations else ["models"], "default_connection": "default"}},
        "use_tz": True,
        "timezone": "UTC",
    }


async def connect(url: str) -> None:
    # Tortoise caches INSERT statements by connection name, not dialect: a process that moves from SQLite to
    # PostgreSQL (the storage tests do) must drop them or it sends `?` placeholders to PostgreSQL.
    EXECUTOR_CACHE.clear()
    await Tortoise.init(config=tortoise_config(url))


async def close() -> None:
    await connections.close_all()


def _command(url: str):
    from aerich import Command

    return Command(tortoise_config=tortoise_config(url, migrations=True), app="models", location=str(MIGRATIONS))


async def pending_migrations(url: str) -> list[str]:
    """Migration files not yet applied to the database at `url` (Tortoise must be initialised)."""
    files = sorted(p.name for p in (MIGRATIONS / "models").glob("[0-9]*_*.py"))
    try:
        rows = await connections.get("default").execute_query_dict("SELECT version FROM aerich WHERE app = 'models'")
        applied = {row["version"] for row in rows}
    except Exception as exc:  # no aerich table yet: nothing applied
        log.debug("no migration table: %s", type(exc).__name__)
        applied = set()
    return [f for f in files if f not in applied]


@contextlib.asynccontextmanager
async def _one_at_a_time(url: str):
    """On PostgreSQL, one process migrates at a time (several starting together: `--scale relais=3`), by an advisory
    lock held on a connection of its own; per schema, so that databases sharing a server do not wait for each other."""
    if url.startswith("sqlite"):
        yield
        return
    key = "relais:migrate:" + (parse_qs(urlsplit(url).query).get("schema") or ["public"])[0]
    async with connections.get("default").acquire_connection() as raw:
        await raw.execute("SELECT pg_advisory_lock(hashtext($1))", key)
        try:
            yield
        finally:
            await raw.execute("SELECT pg_advisory_unlock(hashtext($1))", key)


def _with_aerich() -> bool:
    apps = Tortoise.apps
    registry = getattr(apps, "apps", None) or {}
    return "Aerich" in (registry.get("models") or {})


async def migrate(url: str) -> list[str]:
    """Apply every pending migration; returns the names applied."""
    command = _command(url)
    if not _with_aerich():  # connected for serving: again with aerich's model
        await close()
        await Tortoise.init(config=tortoise_config(url, migrations=True))
    async with _one_at_a_time(url):  # the others wait, then find nothing left to apply
        await command.init()
        applied = await command.upgrade(run_in_transaction=True)
    if "9_search.py" in applied:  # the index starts with what the database already holds (stems are made in Python)
        from bot.services.search_index import rebuild

        await rebuild()
    for name in applied:
        log.info("migration applied", extra={"migration": name})
    return applied
