"""Who may vote on a poll: the community's members at its opening (not those waiting for approval, not those who
come later, not an account split off by `unlink` afterwards), and whoever a facilitator adds."""

from __future__ import annotations

from datetime import datetime

from tortoise.exceptions import IntegrityError

from bot.core.errors import UserError
from bot.core.i18n import N_
from bot.core.sql import sql_for
from models import Community, Membership, Person, PollElector, Role, VotePoll

OPEN_TO_MEMBERS = ('INSERT INTO "poll_elector" ("poll_id", "person_id") SELECT ?, "person_id" FROM "membership" '
                   'WHERE "community_id" = ? AND "role" >= ? AND "requested_at" IS NULL')


async def open_to_members(conn, poll: VotePoll) -> None:
    """The electorate of a new poll: the members of its community right now (in the poll's transaction)."""
    await conn.execute_query(sql_for(OPEN_TO_MEMBERS, conn.capabilities.dialect), [poll.id, poll.community_id, int(Role.OBSERVER)])


async def is_elector(conn, poll_id: int, person_id: int) -> bool:
    _, rows = await conn.execute_query(sql_for('SELECT 1 FROM "poll_elector" WHERE "poll_id" = ? AND "person_id" = ?',
                                               conn.capabilities.dialect), [poll_id, person_id])
    return bool(rows)


async def refuse(poll: VotePoll, person: Person) -> None:
    """Why this person may not vote on the poll, as the error they read."""
    community = await Community.get(id=poll.community_id)
    row = await Person.get_or_none(id=person.id)
    separated: datetime | None = row.separated_at if row is not None else None
    if separated is not None and separated >= poll.created_at:
        raise UserError(N_("This account was separated from another one (/unlink) after poll #{number} opened: a person votes "
                           "once, and the ballot stays with the accounts it was cast from. You can vote in the polls opened "
                           "from now on."), number=poll.number)
    membership = await Membership.get_or_none(person_id=person.id, community_id=poll.community_id)
    if membership is not None and membership.requested_at is not None:
        raise UserError(N_("Your membership of {community} waits for a facilitator's approval: once approved, you vote in "
                           "the polls opened from then on."), community=community.name)
    raise UserError(N_("Poll #{number} is open to the members of {community} at its opening, and you were not one then. "
                       "A facilitator can add you: /poll add {ref} <you>."), number=poll.number, community=community.name,
                    ref=f"{community.slug}#{poll.number}")


async def add(poll: VotePoll, person: Person) -> bool:
    """A facilitator lets someone vote on the poll; False when they could already."""
    if await PollElector.exists(poll_id=poll.id, person_id=person.id):
        return False
    try:
        await PollElector.create(poll_id=poll.id, person_id=person.id)
    except IntegrityError:  # added at the same moment by another facilitator
        return False
    return True


async def electors(poll: VotePoll) -> list[Person]:
    ids = await PollElector.filter(poll_id=poll.id).values_list("person_id", flat=True)
    return await Person.filter(id__in=list(ids)).order_by("id")
