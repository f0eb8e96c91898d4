"""Every column that points at a person, read from the models themselves: what a merge moves and an erasure clears.

Read from Tortoise's registry rather than listed by hand, so a table added by a later feature (a pledge, a search
log) is merged and erased the day it lands; the few tables whose rows need more than "move" or "delete" are named
in `bot/services/linking.py` and `bot/services/mydata.py`.
"""

from __future__ import annotations

from dataclasses import dataclass

from tortoise import Tortoise

from bot.core.sql import sql_for


@dataclass(frozen=True)
class PersonColumn:
    table: str
    column: str
    keep_row: bool  # ON DELETE SET NULL: the row is the community's (a news item, a poll), only the name goes
    unique_with: tuple[tuple[str, ...], ...] = ()  # the other columns of each unique constraint it is part of


def person_columns() -> list[PersonColumn]:
    """The (table, column) pairs that reference `person`, with their unique constraints; many-to-many tables too."""
    from models import Person

    found: list[PersonColumn] = []
    seen: set[str] = set()
    for model in Tortoise.apps["models"].values():
        meta = model._meta
        for name in sorted(meta.fk_fields | meta.o2o_fields):
            field = meta.fields_map[name]
            if field.related_model is not Person:
                continue
            column = field.source_field or f"{name}_id"
            groups = []
            for group in meta.unique_together:
                if name in group:
                    groups.append(tuple(_column(meta, other) for other in group if other != name))
            if name in meta.o2o_fields or getattr(field, "unique", False):
                groups.append(())
            found.append(PersonColumn(meta.db_table, column, str(field.on_delete).upper().endswith("SET NULL"), tuple(groups)))
        for name in meta.m2m_fields:
            field = meta.fields_map[name]
            if field.through in seen or (field.related_model is not Person and model is not Person):
                continue
            seen.add(field.through)
            # Seen from either side, the through table has one column for the person and one for the other side.
            person_key, other_key = ((field.forward_key, field.backward_key) if field.related_model is Person
                                     else (field.backward_key, field.forward_key))
            found.append(PersonColumn(field.through, person_key, False, ((other_key,),)))
    return found


def _column(meta, name: str) -> str:
    field = meta.fields_map[name]
    return getattr(field, "source_field", None) or (f"{name}_id" if name in meta.fk_fields else name)


async def move(conn, col: PersonColumn, keep: int, gone: int) -> None:
    """Move `gone`'s rows to `keep`; where both have one (a unique constraint), `keep`'s row stays."""
    dialect = conn.capabilities.dialect
    t, c = col.table, col.column
    for others in col.unique_with:
        same = "".join(f' AND k."{o}" = "{t}"."{o}"' for o in others)
        await conn.execute_query(sql_for(f'DELETE FROM "{t}" WHERE "{c}" = ? AND EXISTS '
                                         f'(SELECT 1 FROM "{t}" AS k WHERE k."{c}" = ?{same})', dialect), [gone, keep])
    await conn.execute_query(sql_for(f'UPDATE "{t}" SET "{c}" = ? WHERE "{c}" = ?', dialect), [keep, gone])


async def prefer_latest(conn, col: PersonColumn, at: str, keep: int, gone: int) -> None:
    """Where both have a row, `gone`'s newer one wins: `keep`'s older row goes, and `move` then takes `gone`'s."""
    dialect = conn.capabilities.dialect
    t, c = col.table, col.column
    for others in col.unique_with:
        same = "".join(f' AND g."{o}" = "{t}"."{o}"' for o in others)
        await conn.execute_query(sql_for(f'DELETE FROM "{t}" WHERE "{c}" = ? AND EXISTS (SELECT 1 FROM "{t}" AS g '
                                         f'WHERE g."{c}" = ?{same} AND g."{at}" > "{t}"."{at}")', dialect), [keep, gone])


async def clear(conn, col: PersonColumn, person: int) -> int:
    """Erase the person from one column: the community's rows keep going without a name, the person's own go."""
    dialect = conn.capabilities.dialect
    t, c = col.table, col.column
    if col.keep_row:
        sql = f'UPDATE "{t}" SET "{c}" = NULL WHERE "{c}" = ?'
    else:
        sql = f'DELETE FROM "{t}" WHERE "{c}" = ?'
    count, _ = await conn.execute_query(sql_for(sql, dialect), [person])
    return int(count or 0)
