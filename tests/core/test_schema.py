"""The migrations build exactly the tables and columns the models declare, on SQLite and on PostgreSQL."""

from __future__ import annotations

from tortoise import Tortoise, connections

from bot.core.sql import fetch


async def test_every_model_has_its_table_and_columns(any_app):
    conn = connections.get("default")
    postgres = conn.capabilities.dialect == "postgres"
    drift = []
    for model in Tortoise.apps["models"].values():
        table = model._meta.db_table
        if table.startswith("aerich"):
            continue
        if postgres:
            rows = await fetch("SELECT column_name FROM information_schema.columns WHERE table_name = ? "
                               "AND table_schema = current_schema()", [table])
            columns = {r[0] for r in rows}
        else:
            columns = {r[1] for r in await fetch(f'PRAGMA table_info("{table}")', [])}
        wanted = set(model._meta.db_fields)
        if columns != wanted:
            drift.append((table, sorted(wanted - columns), sorted(columns - wanted)))
    assert drift == [], "(table, missing in the database, not in the model)"
