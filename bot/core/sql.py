"""Plain SQL for the few hot statements the ORM would make slow, written once with `?` for both dialects.

Tortoise builds each query anew (pypika), which costs more than the query on SQLite: the statements every
command runs (follows, the listing) are written here instead (measured with bench/telegram.py and bench/core.py).
"""

from __future__ import annotations

from functools import lru_cache

from tortoise import connections


@lru_cache(maxsize=1024)
def sql_for(query: str, dialect: str) -> str:
    """`?` placeholders for both dialects; `?::json` marks a JSON parameter (a cast on PostgreSQL only). A `?` inside a
    quoted literal ('…') or name ("…") is text, left as it is."""
    out: list[str] = []
    number, quote, i = 0, "", 0
    while i < len(query):
        char = query[i]
        if quote:
            if char == quote:
                quote = "" if query[i + 1:i + 2] != quote else quote  # '' inside a literal is a quote, not its end
                if quote:
                    out.append(char)
                    i += 1
            out.append(char)
        elif char in "'\"":
            quote = char
            out.append(char)
        elif char == "?":
            cast = query.startswith("?::json", i)
            if dialect == "postgres":
                number += 1
                out.append(f"${number}::jsonb" if cast else f"${number}")
            else:
                out.append("?")
            i += len("?::json") if cast else 1
            continue
        else:
            out.append(char)
        i += 1
    return "".join(out)


async def fetch(query: str, params: list) -> list[tuple]:
    """The rows as tuples (columns of the same name kept apart); `INSERT/DELETE ... RETURNING` rows too."""
    conn = connections.get("default")
    sql = sql_for(query, conn.capabilities.dialect)
    if query.lstrip()[:6].upper() in ("INSERT", "UPDATE", "DELETE"):
        # Tortoise's execute_query runs these without reading rows on PostgreSQL: ask for them.
        return [tuple(row.values()) for row in await conn.execute_query_dict(sql, params)]
    _, rows = await conn.execute_query(sql, params)
    return [tuple(row.values()) if hasattr(row, "values") else tuple(row) for row in rows]


async def load(model, query: str, params: list) -> list:
    """Model instances from a plain SELECT of all their columns (`SELECT * FROM ...`), without the query builder."""
    conn = connections.get("default")
    return await conn.executor_class(model=model, db=conn).execute_select(sql_for(query, conn.capabilities.dialect), params)


async def one(model, query: str, params: list):
    found = await load(model, query, params)
    return found[0] if found else None


async def execute_many(query: str, rows: list[list], connection=None) -> None:
    """One statement for many rows (in `connection`'s transaction when given)."""
    conn = connection or connections.get("default")
    await conn.execute_many(sql_for(query, conn.capabilities.dialect), rows)


async def execute(query: str, params: list) -> None:
    """One statement whose rows are not read (an insert that may do nothing)."""
    conn = connections.get("default")
    await conn.execute_query(sql_for(query, conn.capabilities.dialect), params)
