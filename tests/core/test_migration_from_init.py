"""A database made at the first migration (0_init) with rows in every table of that time, migrated to the last one, on
SQLite and on PostgreSQL: every row is still there with every value it had, and today's models read them."""

from __future__ import annotations

import json
import shutil
from datetime import date, datetime, timedelta, timezone

import asyncpg
import pytest
from tortoise import Tortoise, connections

from bot import db
from bot.core.sql import sql_for
from models import (
    Account,
    AdapterState,
    ChatBinding,
    Community,
    ConsoleInbox,
    Follow,
    InboundEvent,
    Membership,
    NewsItem,
    NextStep,
    OutboxMessage,
    Person,
    Project,
)
from tests.conftest import PG_SERVER

T0 = datetime(2025, 3, 3, 9, 30, tzinfo=timezone.utc)


def at(days: float) -> datetime:
    return T0 + timedelta(days=days)


# Every table of 0_init, two rows or more each, as Relais wrote them then (statuses, roles and payloads of that time).
ROWS: dict[str, list[dict]] = {
    "community": [dict(id=1, slug="usine-vivante", name="Tiers-lieu de l'Usine Vivante", locale="fr", timezone="Europe/Paris", created_at=at(0)),
                  dict(id=2, slug="coop", name="Coop des Communs", locale="en", timezone="Europe/Brussels", created_at=at(1))],
    "person": [dict(id=1, display_name="Léa Martin", locale="fr", created_at=at(0), current_community_id=1),
               dict(id=2, display_name="Ana", locale=None, created_at=at(1), current_community_id=None),
               dict(id=3, display_name="Jules", locale="en", created_at=at(2), current_community_id=2)],
    "account": [dict(id=1, platform="console", address="lea", confirmed=True, reachable=True, preferred=True, last_seen=at(3),
                     created_at=at(0), person_id=1),
                dict(id=2, platform="email", address="lea@example.org", confirmed=True, reachable=False, preferred=False,
                     last_seen=None, created_at=at(0.5), person_id=1),
                dict(id=3, platform="telegram", address="4242", confirmed=False, reachable=True, preferred=True, last_seen=at(2),
                     created_at=at(1), person_id=2),
                dict(id=4, platform="matrix", address="@jules:example.org", confirmed=True, reachable=True, preferred=True,
                     last_seen=None, created_at=at(2), person_id=3)],
    "chat_binding": [dict(id=1, platform="telegram", chat_id="-100123", created_at=at(1), bound_by_id=1, community_id=1),
                     dict(id=2, platform="matrix", chat_id="!room:example.org", created_at=at(2), bound_by_id=None, community_id=2)],
    "membership": [dict(id=1, role=40, joined_at=at(0), community_id=1, person_id=1),
                   dict(id=2, role=20, joined_at=at(1), community_id=1, person_id=2),
                   dict(id=3, role=10, joined_at=at(2), community_id=2, person_id=3)],
    "outbox_message": [dict(id=1, key="news:1:2", kind="notification", payload={"text": "Le brassin est lancé"}, status="sent",
                            attempts=1, next_attempt_at=at(3), claimed_until=None, last_error="", channel="console:ana",
                            chat=None, created_at=at(3), sent_at=at(3.1), community_id=1, person_id=2),
                       dict(id=2, key="news:1:3", kind="notification", payload={"text": "Le brassin est lancé", "choices": []},
                            status="pending", attempts=2, next_attempt_at=at(4), claimed_until=at(4.1), last_error="timeout",
                            channel="matrix:@jules:example.org", chat="!dm:example.org", created_at=at(3), sent_at=None,
                            community_id=None, person_id=3)],
    "console_inbox": [dict(id=1, address="ana", text="Le brassin est lancé", seen=False, created_at=at(3.1), outbox_id=1),
                      dict(id=2, address="jules", text="Prochaine étape", seen=True, created_at=at(3.2), outbox_id=2)],
    "project": [dict(id=1, slug="dombes-brasserie", title="Brasserie de la Dombes", summary="Une gamme de bières", status="funding",
                     created_at=at(1), community_id=1),
                dict(id=2, slug="conciergerie", title="Conciergerie rurale", summary="", status="idea", created_at=at(2), community_id=1),
                dict(id=3, slug="creche", title="Crèche inter-entreprises", summary="Pour les salariés", status="done",
                     created_at=at(2), community_id=2)],
    "follow": [dict(id=1, created_at=at(2), person_id=2, project_id=1),
               dict(id=2, created_at=at(2.5), person_id=3, project_id=1),
               dict(id=3, created_at=at(3), person_id=3, project_id=3)],
    "news_item": [dict(id=1, text="Le brassin est lancé", platform="telegram", created_at=at(3), author_id=1, project_id=1),
                  dict(id=2, text="Ouverture en septembre", platform="console", created_at=at(4), author_id=None, project_id=3)],
    "next_step": [dict(id=1, text="Relancer la mairie", due=date(2025, 4, 1), created_at=at(3), author_id=1, project_id=1),
                  dict(id=2, text="Trouver un local", due=None, created_at=at(4), author_id=3, project_id=2)],
    "project_referent": [dict(project_id=1, person_id=1), dict(project_id=3, person_id=3)],
    "inbound_event": [dict(id=1, platform="telegram", key="telegram:update:77", payload={"update_id": 77}, status="done", attempts=1,
                           last_error="", created_at=at(3), handled_at=at(3.01)),
                      dict(id=2, platform="matrix", key="matrix:$ev:example.org", payload={"type": "m.room.message"},
                           status="failed", attempts=5, last_error="boom", created_at=at(3.5), handled_at=None)],
    "adapter_state": [dict(key="telegram:offset", value="78", updated_at=at(3)),
                      dict(key="matrix:sync_token", value="s72_1", updated_at=at(3.5))],
}
JSON_COLUMNS = {("outbox_message", "payload"), ("inbound_event", "payload")}
ORDER = {"project_referent": '"project_id", "person_id"', "adapter_state": '"key"'}
MODELS = (Community, Person, Account, ChatBinding, Membership, OutboxMessage, ConsoleInbox, Project, Follow, NewsItem, NextStep,
          InboundEvent, AdapterState)


async def insert(conn, table: str, row: dict) -> None:
    names = ", ".join(f'"{c}"' for c in row)
    marks = ", ".join("?::json" if (table, c) in JSON_COLUMNS else "?" for c in row)
    values = [json.dumps(v) if (table, c) in JSON_COLUMNS else v for c, v in row.items()]
    await conn.execute_query(sql_for(f'INSERT INTO "{table}" ({names}) VALUES ({marks})', conn.capabilities.dialect), values)


async def rows(conn, table: str, columns: list[str]) -> list[dict]:
    found = await conn.execute_query_dict(f'SELECT * FROM "{table}" ORDER BY {ORDER.get(table, "id")}')
    return [{c: row[c] for c in columns} for row in found]


@pytest.fixture(params=["sqlite", "postgres"])
async def database(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite://{tmp_path / 'relais.sqlite3'}"
        return
    schema = f"relais_mig{abs(hash(tmp_path)) % 10**8}"
    conn = await asyncpg.connect(PG_SERVER)
    await conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE; CREATE SCHEMA "{schema}"')
    await conn.close()
    try:
        yield f"{PG_SERVER}?schema={schema}"
    finally:
        conn = await asyncpg.connect(PG_SERVER)
        await conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        await conn.close()


async def test_a_database_of_the_first_migration_keeps_every_row_through_every_migration(database, tmp_path):
    from aerich import Command

    first = tmp_path / "first" / "models"  # the migrations as they were at the start: 0_init alone
    first.mkdir(parents=True)
    shutil.copy(db.MIGRATIONS / "models" / "0_init.py", first / "0_init.py")
    config = db.tortoise_config(database, migrations=True)  # with aerich's own model: the test may run first
    db.EXECUTOR_CACHE.clear()  # as db.connect does: statements cached for the other dialect must go
    await Tortoise.init(config=config)
    try:
        command = Command(tortoise_config=config, app="models", location=str(first.parent))
        await command.init()
        assert await command.upgrade(run_in_transaction=True) == ["0_init.py"]
        conn = connections.get("default")
        for table, table_rows in ROWS.items():
            for row in table_rows:
                await insert(conn, table, row)
        before = {table: await rows(conn, table, list(table_rows[0])) for table, table_rows in ROWS.items()}
        assert all(len(before[t]) == len(ROWS[t]) for t in ROWS)

        applied = await db.migrate(database)
        assert applied[0] == "1_telegram.py" and len(applied) == len(list((db.MIGRATIONS / "models").glob("[0-9]*_*.py"))) - 1
        assert await db.pending_migrations(database) == []

        conn = connections.get("default")
        for table, table_rows in ROWS.items():
            assert await rows(conn, table, list(table_rows[0])) == before[table], table
        # Today's models read the old rows.
        for model in MODELS:
            assert len(await model.all()) == len(ROWS[model._meta.db_table]), model.__name__
        project = await Project.get(slug="dombes-brasserie").prefetch_related("referents")
        assert [p.display_name for p in project.referents] == ["Léa Martin"]  # type: ignore[attr-defined]
        assert (await OutboxMessage.get(id=2)).payload == {"text": "Le brassin est lancé", "choices": []}
    finally:
        await db.close()
