"""Ideas: any member proposes a project idea (numbered in the community), members support it once each, and the
facilitators accept it (a project, its supporters following it), merge it into a project, or decline it with a word."""

from __future__ import annotations

import logging
import re
from datetime import datetime, timedelta
from typing import Callable

from tortoise.transactions import in_transaction

from bot.core.commands import fold
from bot.core.errors import UserError
from bot.core.i18n import N_, Catalogs
from bot.core.sql import fetch, load, sql_for
from bot.services import idea_notices as notices
from bot.services import search_index
from bot.services.notify import Notifier
from bot.services.numbering import community_named, number_of, numbered
from bot.services.projects import Projects
from models import Community, Idea, IdeaStatus, Membership, Person, Project, ProjectStatus, Role

log = logging.getLogger("relais.ideas")
MAX_TITLE, MAX_SUMMARY = 200, 2000
PER_DAY = 5  # ideas one person may propose in a day
_SLUG = re.compile(r"[^a-z0-9]+")


class Ideas:
    def __init__(self, catalogs: Catalogs, clock: Callable[[], datetime], notifier: Notifier, projects: Projects):
        self.catalogs = catalogs
        self.clock = clock
        self.notifier = notifier
        self.projects = projects

    # -- proposing and finding ----------------------------------------------------------------------------

    async def propose(self, community: Community, author: Person, title: str, summary: str) -> tuple[Idea, int]:
        """Store the idea and tell the facilitators (in its transaction), then post it to the community's rooms;
        returns the idea and how many rooms it went to."""
        title, summary = " ".join(title.split()), summary.strip()
        if not title:
            raise UserError(N_("Give the idea a title: /idea \"A bread oven for the village\" what it is about."))
        if len(title) > MAX_TITLE or len(summary) > MAX_SUMMARY:
            raise UserError(N_("That is too long: at most {limit} characters."), limit=MAX_TITLE if len(title) > MAX_TITLE else MAX_SUMMARY)
        recent = await fetch('SELECT COUNT(*) FROM "idea" WHERE "author_id" = ? AND "created_at" >= ?',
                             [author.id, self.clock() - timedelta(days=1)])
        if int(recent[0][0]) >= PER_DAY:
            raise UserError(N_("You have proposed {count} ideas today: let them be supported before the next one."), count=PER_DAY)
        name = author.display_name or "?"

        async def then(idea: Idea, conn) -> None:
            await search_index.refresh("idea", idea.id, conn)
            staff = [p for p in await self.facilitators(community) if p.id != author.id]
            await self.notifier.enqueue(staff, f"idea:{idea.id}:new", "idea", notices.new_idea(idea, name, staff=True), community.id,
                                        connection=conn, default_locale=community.locale)

        idea = await numbered(Idea, community.id, {"title": title, "summary": summary, "author_id": author.id,
                                                   "created_at": self.clock()}, then)
        rooms = await self.notifier.to_rooms(community.id, f"idea{idea.id}",
                                             notices.new_idea(idea, name, staff=False)(self.catalogs.get(community.locale)))
        self.notifier.wake()
        log.info("idea", extra={"community": community.slug, "number": idea.number})
        return idea, rooms

    async def find(self, community: Community | None, ref: str, person: Person) -> Idea:
        """An idea by its number: `4`, `#4`, or `usine-vivante#4` (a community the person belongs to, as a digest link
        names it)."""
        slug, number = number_of(ref)
        if number is None:
            raise UserError(N_("“{value}” is not an idea: give its number, like 4 (type /ideas to see them)."), value=ref[:40])
        community = await community_named(community, slug, person, N_("There is no idea {ref}."), ref)
        idea = await Idea.get_or_none(community_id=community.id, number=number)
        if idea is None:
            raise UserError(N_("There is no idea {ref}."), ref=ref[:60])
        return idea

    async def listing(self, community: Community, limit: int = 30) -> list[tuple[Idea, str]]:
        """The open ideas, most supported first, each with its proposer's name ("" once they erased their data)."""
        ideas = await load(Idea, 'SELECT * FROM "idea" WHERE "community_id" = ? AND "status" = ? '
                                 'ORDER BY "supporters" DESC, "number" LIMIT ?', [community.id, IdeaStatus.OPEN.value, limit])
        return [(i, n) for i, n in zip(ideas, await self.names([i.author_id for i in ideas]))]

    @staticmethod
    async def names(ids: list[int | None]) -> list[str]:
        wanted = [i for i in ids if i]
        found = {p.id: p.display_name for p in await Person.filter(id__in=wanted)} if wanted else {}
        return [found.get(i or 0, "") for i in ids]

    async def supported(self, person: Person, ideas: list[Idea]) -> set[int]:
        if not ideas:
            return set()
        marks = ",".join("?" * len(ideas))
        rows = await fetch(f'SELECT "idea_id" FROM "idea_support" WHERE "person_id" = ? AND "idea_id" IN ({marks})',
                           [person.id, *[i.id for i in ideas]])
        return {int(r[0]) for r in rows}

    async def supporters(self, idea: Idea) -> list[Person]:
        return await load(Person, 'SELECT p.* FROM "person" p JOIN "idea_support" s ON s."person_id" = p."id" '
                                  'WHERE s."idea_id" = ? ORDER BY p."id"', [idea.id])

    @staticmethod
    async def facilitators(community: Community) -> list[Person]:
        ids = await Membership.filter(community_id=community.id, role=Role.FACILITATOR).values_list("person_id", flat=True)
        return list(await Person.filter(id__in=list(ids)).order_by("id"))

    # -- supporting ---------------------------------------------------------------------------------------

    async def support(self, idea: Idea, person: Person) -> bool:
        """Once each: False when the person supports it already. The count moves in the same transaction."""
        if idea.status != IdeaStatus.OPEN:
            raise UserError(N_("Idea {number} is decided already: supports are no longer taken."), number=idea.number)
        if idea.author_id == person.id:
            raise UserError(N_("You proposed idea {number}: your support goes without saying."), number=idea.number)
        async with in_transaction() as conn:
            added = await conn.execute_query_dict(_sql(conn, 'INSERT INTO "idea_support" ("idea_id", "person_id", "at") VALUES (?, ?, ?) '
                                                             'ON CONFLICT DO NOTHING RETURNING "id"'), [idea.id, person.id, self.clock()])
            if added:
                idea.supporters = await recount(conn, idea.id)
        return bool(added)

    async def withdraw(self, idea: Idea, person: Person) -> bool:
        async with in_transaction() as conn:
            removed = await conn.execute_query_dict(_sql(conn, 'DELETE FROM "idea_support" WHERE "idea_id" = ? AND "person_id" = ? '
                                                               'RETURNING "id"'), [idea.id, person.id])
            if removed:
                idea.supporters = await recount(conn, idea.id)
        return bool(removed)

    # -- deciding -----------------------------------------------------------------------------------------

    async def accept(self, idea: Idea, community: Community, by: Person, status: ProjectStatus, slug: str | None) -> tuple[Project, int]:
        """The idea becomes a project (its title and summary), its proposer and supporters follow it, and the proposer
        is asked whether they will be its referent. Returns the project and how many were told."""
        self._open(idea)
        project = await self.projects.create(community, slug or await self._free_slug(community, idea), idea.title, idea.summary)
        if status != ProjectStatus.IDEA:
            await self.projects.set_status(project, status)
        try:
            told = await self._decided(idea, community, by, IdeaStatus.ACCEPTED, project, notices.became(idea, project, merged=False))
        except UserError:  # decided by someone else meanwhile: the project made for it goes
            await Project.filter(id=project.id).delete()
            self.projects.listing_cache.discard(community.id)
            raise
        author = await Person.get_or_none(id=idea.author_id) if idea.author_id else None
        if author is not None:
            await Idea.filter(id=idea.id).update(lead="asked")
            await self.notifier.enqueue([author], f"idea:{idea.id}:lead", "idea", notices.lead_question(idea, project), community.id,
                                        default_locale=community.locale)
            self.notifier.wake()
        return project, told

    async def merge(self, idea: Idea, community: Community, project: Project, by: Person) -> int:
        self._open(idea)
        return await self._decided(idea, community, by, IdeaStatus.MERGED, project, notices.became(idea, project, merged=True))

    async def decline(self, idea: Idea, community: Community, by: Person, note: str) -> int:
        self._open(idea)
        if len(note) > MAX_SUMMARY:
            raise UserError(N_("That is too long: at most {limit} characters."), limit=MAX_SUMMARY)
        return await self._decided(idea, community, by, IdeaStatus.DECLINED, None, notices.declined(idea, note.strip()), note.strip())

    @staticmethod
    def _open(idea: Idea) -> None:
        if idea.status != IdeaStatus.OPEN:
            raise UserError(N_("Idea {number} is decided already."), number=idea.number)

    async def _decided(self, idea: Idea, community: Community, by: Person, status: IdeaStatus, project: Project | None,
                       build, note: str = "") -> int:
        """Record the decision once (a second facilitator at the same moment is told it is done), make the proposer and
        the supporters follow the project, and tell them."""
        now = self.clock()
        claimed = await Idea.filter(id=idea.id, status=IdeaStatus.OPEN).update(
            status=status, project_id=project.id if project else None, note=note, decided_by_id=by.id, decided_at=now)
        if not claimed:
            raise UserError(N_("Idea {number} is decided already."), number=idea.number)
        idea.status, idea.project_id, idea.note = status, project.id if project else None, note
        people = await self.supporters(idea)
        author = await Person.get_or_none(id=idea.author_id) if idea.author_id else None
        if author is not None and all(p.id != author.id for p in people):
            people.append(author)
        if project is not None:
            for person in people:
                await self.projects.follow(person, project)
        await search_index.refresh("idea", idea.id)
        told = [p for p in people if p.id != by.id]
        count = await self.notifier.enqueue(told, f"idea:{idea.id}:{status.value}", "idea", build, community.id,
                                            default_locale=community.locale)
        self.notifier.wake()
        log.info("idea decided", extra={"community": community.slug, "number": idea.number, "status": status.value})
        return count

    async def lead(self, idea: Idea, community: Community, person: Person, yes: bool) -> Project:
        """The proposer's answer: yes makes them the project's referent. The facilitators are told either way."""
        if idea.author_id != person.id:
            raise UserError(N_("Only the proposer of idea {number} can say that."), number=idea.number)
        if idea.status != IdeaStatus.ACCEPTED or idea.project_id is None:
            raise UserError(N_("Idea {number} is not a project (yet)."), number=idea.number)
        project = await self.projects.by_id(idea.project_id)
        await Idea.filter(id=idea.id).update(lead="yes" if yes else "no")
        if yes:
            await self.projects.add_referent(project, person)
            membership = await Membership.get_or_none(community_id=community.id, person_id=person.id)
            if membership is not None and membership.role < Role.REFERENT:
                await Membership.filter(id=membership.id).update(role=Role.REFERENT)
        staff = [p for p in await self.facilitators(community) if p.id != person.id]
        await self.notifier.enqueue(staff, f"idea:{idea.id}:lead-{'yes' if yes else 'no'}", "idea",
                                    notices.lead_answer(idea, project, person.display_name or "?", yes), community.id,
                                    default_locale=community.locale)
        self.notifier.wake()
        return project

    async def _free_slug(self, community: Community, idea: Idea) -> str:
        """A project name from the idea's title (`Un four à pain !` → `un-four-a-pain`), free in the community."""
        base = _SLUG.sub("-", fold(idea.title)).strip("-")[:40].strip("-")
        if "-" not in base:  # one word could be one a command reads after a project's name (`add`, `csv`…)
            base = f"{base or 'idee'}-{idea.number}"
        taken = set(await Project.filter(community_id=community.id, slug__startswith=base).values_list("slug", flat=True))
        for n in range(1, 100):
            slug = base if n == 1 else f"{base}-{n}"
            if slug not in taken:
                return slug
        return f"{base}-{idea.number}"


def _sql(conn, query: str) -> str:
    return sql_for(query, conn.capabilities.dialect)


async def recount(conn, idea_id: int) -> int:
    """The idea's count of supports made again from its rows (never +1 / -1: an erased supporter's row goes without it)."""
    await conn.execute_query(_sql(conn, 'UPDATE "idea" SET "supporters" = (SELECT COUNT(*) FROM "idea_support" s '
                                        'WHERE s."idea_id" = "idea"."id") WHERE "id" = ?'), [idea_id])
    rows = await conn.execute_query_dict(_sql(conn, 'SELECT "supporters" FROM "idea" WHERE "id" = ?'), [idea_id])
    return int(rows[0]["supporters"])
