"""Invitations and ambassadors: each member's personal invitation (to the community, or to one of its projects), its
signed link on the web endpoint (`/i/<token>`: one act, `invite`, on one invitation), its code that a newcomer gives
when joining (`join <community> <code>`, Telegram's `/start inv-<code>`), and who came through whom."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Callable

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F

from bot.core.sql import fetch
from bot.services.signed_links import SignedLinks
from models import Community, Invitation, Person, Project

ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: read aloud and typed again
CODE = 8


class InvitationLinks(SignedLinks):
    """`<public url>/i/<token>`, signed by the web endpoint's token service for the inviter and their invitation."""

    def url(self, invitation: Invitation, community_slug: str) -> str:
        assert self.tokens is not None
        return f"{self.public_url}/i/{self.tokens.sign('invite', invitation.person_id, community_slug, invitation.code)}"


@dataclass(frozen=True)
class Ambassador:
    name: str
    arrivals: int  # people who came through their invitations (to the community or to this project)
    followers: int  # … of whom follow the project
    backers: int  # … of whom promised to its campaign or opened their pledge link


class Invitations:
    def __init__(self, clock: Callable[[], datetime]):
        self.clock = clock
        self.links = InvitationLinks()

    async def of(self, person: Person, community: Community, project: Project | None) -> Invitation:
        """The person's invitation to the community (or the project), made the first time."""
        query = Invitation.filter(person_id=person.id, community_id=community.id,
                                  **({"project_id": project.id} if project else {"project_id__isnull": True}))
        found = await query.first()
        for _ in range(5):
            if found is not None:
                return found
            try:
                found = await Invitation.create(person_id=person.id, community_id=community.id, project_id=project.id if project else None,
                                                code="".join(secrets.choice(ALPHABET) for _ in range(CODE)), created_at=self.clock())
            except IntegrityError:  # a code taken already: another one
                found = None
        raise RuntimeError("no free invitation code")

    async def by_code(self, code: str) -> Invitation | None:
        code = code.strip().lower().removeprefix("inv-")
        if not (0 < len(code) <= 16 and code.isascii() and code.isalnum()):
            return None
        return await Invitation.get_or_none(code=code)

    async def visited(self, invitation: Invitation) -> None:
        await Invitation.filter(id=invitation.id).update(visits=F("visits") + 1)

    async def arrived(self, invitation: Invitation, person: Person) -> bool:
        """Someone came through the invitation: never the inviter themselves, and once per person and community (or
        project): the first invitation they came through counts. (A newcomer's first message may have made them a
        member already: whether they were one before does not tell.)"""
        if person.id == invitation.person_id:
            return False
        same = ('i."project_id" = ?', invitation.project_id) if invitation.project_id else \
            ('i."community_id" = ? AND i."project_id" IS NULL', invitation.community_id)
        if await fetch(f'SELECT 1 FROM "invitation_arrival" a JOIN "invitation" i ON i."id" = a."invitation_id" '
                       f'WHERE a."person_id" = ? AND {same[0]}', [person.id, same[1]]):
            return False
        added = await fetch('INSERT INTO "invitation_arrival" ("invitation_id", "person_id", "at") VALUES (?, ?, ?) '
                            'ON CONFLICT DO NOTHING RETURNING "id"', [invitation.id, person.id, self.clock()])
        return bool(added)

    async def arrivals(self, invitation: Invitation) -> int:
        rows = await fetch('SELECT COUNT(*) FROM "invitation_arrival" WHERE "invitation_id" = ?', [invitation.id])
        return int(rows[0][0])

    async def ambassadors(self, community: Community, project: Project) -> list[Ambassador]:
        """Who brought how many followers or backers to the project, through their invitations to the community or to
        it; the most followers first."""
        rows = await fetch(
            'SELECT i."person_id", a."person_id", '
            'EXISTS (SELECT 1 FROM "follow" f WHERE f."person_id" = a."person_id" AND f."project_id" = ?), '
            'EXISTS (SELECT 1 FROM "campaign" k WHERE k."project_id" = ? AND (EXISTS (SELECT 1 FROM "promise" x WHERE '
            'x."campaign_id" = k."id" AND x."person_id" = a."person_id") OR EXISTS (SELECT 1 FROM "pledge_click" x WHERE '
            'x."campaign_id" = k."id" AND x."person_id" = a."person_id"))) '
            'FROM "invitation_arrival" a JOIN "invitation" i ON i."id" = a."invitation_id" '
            'WHERE i."community_id" = ? AND (i."project_id" IS NULL OR i."project_id" = ?)',
            [project.id, project.id, community.id, project.id])
        counts: dict[int, list[int]] = {}
        for inviter, _, follows, backs in rows:
            row = counts.setdefault(int(inviter), [0, 0, 0])
            row[0] += 1
            row[1] += 1 if follows else 0
            row[2] += 1 if backs else 0
        names = {p.id: p.display_name for p in await Person.filter(id__in=list(counts))}
        found = [Ambassador(names.get(pid, "?"), *c) for pid, c in counts.items() if c[1] or c[2]]
        return sorted(found, key=lambda a: (-a.followers, -a.backers, a.name))
