"""`relais forget` as operators use it, and migration 10 applied after 7 (8 and 9 may be absent), undone and redone."""

from __future__ import annotations

import asyncio
import importlib
import sqlite3

from tortoise import connections

from bot import db as database
from tests.test_cli import query, relais


def test_relais_forget_erases_a_person_after_saying_who(tmp_path):
    assert relais(tmp_path, "community", "create", "coop", "Coop", "--facilitator", "console:lea").returncode == 0
    assert relais(tmp_path, "community", "grant", "coop", "console:tom", "member").returncode == 0
    piped = relais(tmp_path, "forget", "console:tom")
    assert piped.returncode == 1 and "add --yes" in piped.stderr  # no terminal, no --yes: nothing erased
    assert query(tmp_path, "select count(*) from account where address = 'tom'") == [(1,)]
    unknown = relais(tmp_path, "forget", "console:nobody", "--yes")
    assert unknown.returncode == 1 and "Nobody has the account console:nobody" in unknown.stderr
    done = relais(tmp_path, "forget", "console:tom", "--yes")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("tom: console:tom\n") and "erased: 1 accounts" in done.stdout
    assert query(tmp_path, "select count(*) from account where address = 'tom'") == [(0,)]
    # The last facilitator too, with a warning saying how to name another.
    last = relais(tmp_path, "forget", "console:lea", "--yes")
    assert last.returncode == 0 and "coop has no facilitator left" in last.stderr
    assert query(tmp_path, "select platform, address from account") == []
    assert query(tmp_path, "select count(*) from person") == [(0,)]


def test_migration_10_comes_after_7_and_is_undone_and_redone(tmp_path):
    applied = relais(tmp_path, "migrate")
    names = applied.stdout.removeprefix("applied: ").strip().split(", ")
    assert "10_people.py" in names and names.index("7_votes.py") < names.index("10_people.py")  # by number, gaps or not
    db = tmp_path / "relais.sqlite3"

    def columns(table: str) -> set[str]:
        with sqlite3.connect(db) as conn:
            return {r[1] for r in conn.execute(f'PRAGMA table_info("{table}")')}

    assert "timezone" in columns("person") and "confirmed_at" in columns("account") and columns("link_code")
    migration = importlib.import_module("models.migrations.models.10_people")

    async def script(name: str) -> None:
        url = f"sqlite://{db}"
        await database.connect(url)
        try:
            conn = connections.get("default")
            await conn.execute_script(await getattr(migration, name)(conn))
        finally:
            await database.close()

    asyncio.run(script("downgrade"))
    assert "timezone" not in columns("person") and "former_author" not in columns("news_item") and not columns("link_code")
    asyncio.run(script("upgrade"))
    assert "former_author" in columns("news_item") and columns("mail_list_departure") and columns("link_attempt")
