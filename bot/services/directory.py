"""A community's profile (its place and cause, whether the directory lists it, its contributors' settings) and the
directory of the communities of this instance that chose to be listed."""

from __future__ import annotations

from dataclasses import dataclass

from tortoise.exceptions import IntegrityError

from bot.core.errors import UserError
from bot.core.i18n import N_
from bot.core.sql import fetch
from models import Community, CommunityProfile

PLACE_MAX, CAUSE_MAX = 200, 300
THRESHOLD_MAX = 10_000


@dataclass(frozen=True)
class Listed:
    """A community as the directory shows it."""

    slug: str
    name: str
    place: str
    cause: str
    members: int
    projects: int
    pages: bool


async def profile(community_id: int) -> CommunityProfile:
    """The community's profile, made with its defaults the first time it is asked for."""
    found = await CommunityProfile.get_or_none(community_id=community_id)
    if found is not None:
        return found
    try:
        return await CommunityProfile.create(community_id=community_id)
    except IntegrityError:  # made meanwhile by another command
        return await CommunityProfile.get(community_id=community_id)


class Directory:
    async def profile(self, community: Community) -> CommunityProfile:
        return await profile(community.id)

    async def set_place(self, community: Community, text: str) -> str:
        return await self._set(community, "place", _checked(text, PLACE_MAX))

    async def set_cause(self, community: Community, text: str) -> str:
        return await self._set(community, "cause", _checked(text, CAUSE_MAX))

    async def set_listed(self, community: Community, on: bool) -> bool:
        return bool(await self._set(community, "listed", on))

    async def set_member_polls(self, community: Community, on: bool) -> bool:
        return bool(await self._set(community, "member_polls", on))

    async def set_threshold(self, community: Community, supports: int) -> int:
        return int(await self._set(community, "idea_threshold", supports))

    async def _set(self, community: Community, name: str, value):
        """Set one setting; returns what it was."""
        row = await profile(community.id)
        previous = getattr(row, name)
        await CommunityProfile.filter(id=row.id).update(**{name: value})
        return previous

    async def listed(self) -> list[Listed]:
        """The listed communities with their members and running projects, by name."""
        rows = await fetch(
            'SELECT c."slug", c."name", f."place", f."cause", c."pages", '
            '(SELECT COUNT(*) FROM "membership" m WHERE m."community_id" = c."id" AND m."requested_at" IS NULL), '
            '(SELECT COUNT(*) FROM "project" p WHERE p."community_id" = c."id" AND p."status" <> \'done\') '
            'FROM "community" c JOIN "community_profile" f ON f."community_id" = c."id" WHERE f."listed" ORDER BY c."name"', [])
        return [Listed(str(slug), str(name), str(place), str(cause), int(members), int(projects), bool(pages))
                for slug, name, place, cause, pages, members, projects in rows]


def _checked(text: str, limit: int) -> str:
    text = " ".join(text.split())
    if len(text) > limit:
        raise UserError(N_("That is too long: at most {limit} characters."), limit=limit)
    return text
