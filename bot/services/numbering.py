"""Rows numbered in their community (idea 4, need 7): the next number taken in the row's own transaction, again when
two are made at once."""

from __future__ import annotations

from typing import Awaitable, Callable

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from bot.core.errors import UserError
from bot.core.i18n import N_
from bot.core.numbers import read_number
from bot.core.sql import sql_for


async def numbered(model, community_id: int, values: dict, then: Callable[..., Awaitable] | None = None):
    """Create `model(**values)` with the community's next number; `then(row, connection)` runs in its transaction
    (its notifications, its search entry), so that both commit or neither does."""
    table = model._meta.db_table
    for _ in range(5):
        try:
            async with in_transaction() as conn:
                rows = await conn.execute_query_dict(sql_for(f'SELECT MAX("number") AS "last" FROM "{table}" WHERE "community_id" = ?',
                                                             conn.capabilities.dialect), [community_id])
                row = await model.create(community_id=community_id, number=int(rows[0]["last"] or 0) + 1, using_db=conn, **values)
                if then is not None:
                    await then(row, conn)
                return row
        except IntegrityError:
            continue
    raise UserError(N_("Too many at once; try again."))


async def community_named(community, slug: str, person, missing: str, ref: str):
    """The community a numbered reference points to: the current one, or the one its `slug#` names when the person
    belongs to it (a digest link, a reference written elsewhere); `missing` (a message id) when it names none of hers."""
    from models import Community, Membership

    if slug and (community is None or slug != community.slug):
        other = await Community.get_or_none(slug=slug)
        if other is None or not await Membership.exists(community_id=other.id, person_id=person.id):
            raise UserError(missing, ref=ref[:60])
        community = other
    if community is None:
        raise UserError(N_("You are not in any community yet. Type /join <community> to join one."))
    return community


def number_of(ref: str) -> tuple[str, int | None]:
    """`4`, `#4`, `n°4` or `usine-vivante#4`: (the community's slug or "", the number or None)."""
    slug, _, digits = ref.strip().rpartition("#")
    digits = digits.removeprefix("n°").removeprefix("no").strip()
    return slug, read_number(digits)
