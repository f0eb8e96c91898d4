"""Help wanted: referents post a project's needs (numbered in the community), sent to the project's followers and to the
members whose skills match (bot/services/skills.py), each person reached by at most 3 needs a week; offers of help,
the need filled (the helper thanked, following the project), and volunteers for a project without referent."""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta
from typing import Callable

from tortoise import connections
from tortoise.transactions import in_transaction

from bot.core.errors import UserError
from bot.core.i18n import N_, Catalogs
from bot.core.sql import execute_many, fetch, load
from bot.services import need_notices as notices
from bot.services import search_index
from bot.services.notify import Notifier
from bot.services.numbering import number_of, numbered
from bot.services.projects import Projects
from bot.services.skills import terms
from models import Community, Membership, Need, NeedOffer, Person, Project, ReferentOffer, Role

log = logging.getLogger("relais.needs")
MAX_TEXT = 1000
PER_WEEK = 3  # needs one person receives in 7 days, whoever posts them
WEEK = timedelta(days=7)
_CHUNK = 500


class Needs:
    def __init__(self, catalogs: Catalogs, clock: Callable[[], datetime], notifier: Notifier, projects: Projects,
                 per_week: int = PER_WEEK):
        self.catalogs = catalogs
        self.clock = clock
        self.notifier = notifier
        self.projects = projects
        self.per_week = per_week

    # -- posting and reaching -------------------------------------------------------------------------------

    async def post(self, community: Community, project: Project, author: Person, text: str, due: date | None) -> tuple[Need, int]:
        """Store the need and send it, in one transaction; returns it and how many people it reached."""
        text = " ".join(text.split())
        if not text:
            raise UserError(N_("Say what help is wanted: /need {project} a carpenter for Saturday."), project=project.slug)
        if len(text) > MAX_TEXT:
            raise UserError(N_("That is too long: at most {limit} characters."), limit=MAX_TEXT)
        reached = 0

        async def then(need: Need, conn) -> None:
            nonlocal reached
            await search_index.refresh("need", need.id, conn)
            reached = await self.reach(need, project, community, author, conn)

        need = await numbered(Need, community.id, {"project_id": project.id, "text": text, "due": due, "author_id": author.id,
                                                   "created_at": self.clock()}, then)
        self.notifier.wake()
        log.info("need", extra={"community": community.slug, "number": need.number, "reached": reached})
        return need, reached

    async def reach(self, need: Need, project: Project, community: Community, author: Person | None, conn=None) -> int:
        """The project's followers and the members whose skills share a stem with the need, but its author and whoever
        got `per_week` needs in the last 7 days: one outbox row and one reach row each."""
        now = self.clock()
        followers = {int(r[0]) for r in await fetch('SELECT "person_id" FROM "follow" WHERE "project_id" = ?', [project.id])}
        matched: set[int] = set()
        wanted = terms(need.text)
        if wanted:
            marks = ",".join("?" * len(wanted))
            matched = {int(r[0]) for r in await fetch(
                f'SELECT DISTINCT t."person_id" FROM "skill_term" t JOIN "membership" m ON m."person_id" = t."person_id" '
                f'WHERE m."community_id" = ? AND m."requested_at" IS NULL AND t."term" IN ({marks})', [community.id, *wanted])}
        full = {int(r[0]) for r in await fetch('SELECT "person_id" FROM "need_reach" WHERE "at" >= ? GROUP BY "person_id" '
                                               'HAVING COUNT(*) >= ?', [now - WEEK, self.per_week])}
        skip = full | ({author.id} if author is not None else set())
        groups = ((sorted(followers - skip), False), (sorted(matched - followers - skip), True))
        count = 0
        for ids, by_skill in groups:
            people = await _people(ids)
            if not people:
                continue
            count += await self.notifier.enqueue(people, f"need:{need.id}", "need", notices.new_need(need, project, by_skill),
                                                 community.id, connection=conn, default_locale=community.locale)
            await _reached(conn, need.id, [p.id for p in people], now)
        return count

    # -- finding ------------------------------------------------------------------------------------------

    async def find(self, community: Community, ref: str) -> Need:
        _, number = number_of(ref)
        if number is None:
            raise UserError(N_("“{value}” is not a need: give its number, like 3 (type /needs to see them)."), value=ref[:40])
        need = await Need.get_or_none(community_id=community.id, number=number)
        if need is None:
            raise UserError(N_("There is no need {number} in {community}."), number=number, community=community.name)
        return need

    async def open_of(self, community: Community, project: Project | None = None) -> list[tuple[Need, Project]]:
        """The open needs, oldest first (a project's only, when given)."""
        query = Need.filter(community_id=community.id, status="open")
        if project is not None:
            query = query.filter(project_id=project.id)
        needs = await query.order_by("created_at", "id").limit(50)
        projects = {p.id: p for p in await Project.filter(id__in=list({n.project_id for n in needs}))}
        return [(n, projects[n.project_id]) for n in needs]

    async def offers(self, need: Need) -> list[tuple[Person, NeedOffer]]:
        offers = await NeedOffer.filter(need_id=need.id).order_by("at", "id")
        people = {p.id: p for p in await Person.filter(id__in=[o.person_id for o in offers])}
        return [(people[o.person_id], o) for o in offers if o.person_id in people]

    async def without_referent(self, community: Community) -> list[Project]:
        """The running projects nobody carries: each is a need of its own (« cherche un·e référent·e »)."""
        return await load(Project, 'SELECT * FROM "project" p WHERE p."community_id" = ? AND p."status" <> \'done\' AND NOT EXISTS '
                                   '(SELECT 1 FROM "project_referent" r WHERE r."project_id" = p."id") ORDER BY p."title"', [community.id])

    # -- helping ------------------------------------------------------------------------------------------

    async def offer(self, need: Need, person: Person, text: str) -> bool:
        """Noted once per person; False when they offered already."""
        if need.status != "open":
            raise UserError(N_("Need {number} is filled already: thank you all the same!"), number=need.number)
        added = await fetch('INSERT INTO "need_offer" ("need_id", "person_id", "text", "at") VALUES (?, ?, ?, ?) '
                            'ON CONFLICT DO NOTHING RETURNING "id"', [need.id, person.id, text[:MAX_TEXT], self.clock()])
        return bool(added)

    async def fill(self, need: Need, helper: Person | None, community: Community) -> Project:
        """The need is filled (by `helper`, thanked and now following the project, when known)."""
        project = await self.projects.by_id(need.project_id)
        claimed = await Need.filter(id=need.id, status="open").update(status="filled", filled_at=self.clock(),
                                                                       helper_id=helper.id if helper else None)
        if not claimed:
            raise UserError(N_("Need {number} is filled already."), number=need.number)
        need.status = "filled"
        await search_index.refresh("need", need.id)
        if helper is not None:
            await self.projects.follow(helper, project)
            await self.notifier.enqueue([helper], f"need:{need.id}:thanks", "need", notices.thanks(need, project), community.id,
                                        default_locale=community.locale)
            self.notifier.wake()
        return project

    # -- a referent wanted --------------------------------------------------------------------------------

    async def volunteer(self, project: Project, person: Person, community: Community) -> bool:
        """`i'll take it <project>`: noted once, and the facilitators are asked to confirm."""
        if await self.projects.referents(project):
            raise UserError(N_("{project} has a referent already: offer them your help with /help-out {slug}."),
                            project=project.title, slug=project.slug)
        added = await fetch('INSERT INTO "referent_offer" ("project_id", "person_id", "at") VALUES (?, ?, ?) '
                            'ON CONFLICT DO NOTHING RETURNING "id"', [project.id, person.id, self.clock()])
        if not added:
            return False
        staff_ids = await Membership.filter(community_id=community.id, role=Role.FACILITATOR).values_list("person_id", flat=True)
        staff = [p for p in await Person.filter(id__in=list(staff_ids)).order_by("id") if p.id != person.id]
        await self.notifier.enqueue(staff, f"volunteer:{project.id}:{person.id}", "need",
                                    notices.volunteer(project, person.display_name or "?"), community.id,
                                    default_locale=community.locale)
        self.notifier.wake()
        return True

    async def confirm(self, project: Project, person: Person, community: Community) -> bool:
        """A facilitator confirms a volunteer: they become the project's referent, and are told."""
        async with in_transaction():
            offered = await ReferentOffer.filter(project_id=project.id, person_id=person.id).delete()
        if not offered:
            return False
        await self.projects.add_referent(project, person)
        membership = await Membership.get_or_none(community_id=community.id, person_id=person.id)
        if membership is not None and membership.role < Role.REFERENT:
            await Membership.filter(id=membership.id).update(role=Role.REFERENT)
        await ReferentOffer.filter(project_id=project.id).delete()  # the others: the project has its referent
        await self.notifier.enqueue([person], f"volunteer:{project.id}:{person.id}:yes", "need", notices.confirmed(project),
                                    community.id, default_locale=community.locale)
        self.notifier.wake()
        return True

    async def volunteers(self, community: Community) -> list[tuple[Project, Person]]:
        rows = await fetch('SELECT o."project_id", o."person_id" FROM "referent_offer" o JOIN "project" p ON p."id" = o."project_id" '
                           'WHERE p."community_id" = ? ORDER BY o."at", o."id"', [community.id])
        projects = {p.id: p for p in await Project.filter(id__in=[r[0] for r in rows])}
        people = {p.id: p for p in await Person.filter(id__in=[r[1] for r in rows])}
        return [(projects[pid], people[person]) for pid, person in rows if pid in projects and person in people]


async def _reached(conn, need_id: int, ids: list[int], now: datetime) -> None:
    """One reach row per person: on PostgreSQL one statement over an array (10,000 rows sent as one parameter), on
    SQLite the rows in one executemany (which costs it little)."""
    client = conn or connections.get("default")
    if client.capabilities.dialect == "postgres":
        await client.execute_query('INSERT INTO "need_reach" ("need_id", "person_id", "at") SELECT $1, unnest($2::int[]), $3',
                                   [need_id, ids, now])
        return
    await execute_many('INSERT INTO "need_reach" ("need_id", "person_id", "at") VALUES (?, ?, ?)', [[need_id, i, now] for i in ids], client)


async def _people(ids: list[int]) -> list[Person]:
    """The people a need goes to, read with what the outbox needs of them only (their id and language): reading whole
    rows spent half of a need's time on 10,000 members parsing dates nobody reads (bench/needs.py)."""
    out: list[Person] = []
    for i in range(0, len(ids), _CHUNK):
        chunk = ids[i:i + _CHUNK]
        out += await load(Person, f'SELECT "id", "locale" FROM "person" WHERE "id" IN ({",".join("?" * len(chunk))}) ORDER BY "id"', chunk)
    return out
