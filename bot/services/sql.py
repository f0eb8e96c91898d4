"""Plain SQL for the few hot reads the ORM would make slow, written once with `?` for both dialects."""

from __future__ import annotations

from tortoise import connections


async def fetch(query: str, params: list) -> list[tuple]:
    conn = connections.get("default")
    if conn.capabilities.dialect == "postgres":
        parts = query.split("?")
        query = parts[0] + "".join(f"${i}{part}" for i, part in enumerate(parts[1:], 1))
    _, rows = await conn.execute_query(query, params)
    return [tuple(row.values()) if hasattr(row, "values") else tuple(row) for row in rows]
