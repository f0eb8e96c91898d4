"""Projects, referents, next steps, news and follows."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Callable

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from bot.core.commands import fold
from bot.core.errors import Ambiguous, UserError
from bot.core.i18n import N_
from bot.core.replies import Choice
from bot.core.sql import fetch, load, one
from bot.services import search_index
from bot.services.cache import TTLCache
from bot.services.file_kinds import PHOTOS_PER_NEWS
from bot.services.files import Files
from bot.services.notify import Notifier
from models import Community, Follow, NewsItem, NextStep, OutboxMessage, OutboxStatus, Person, Project, ProjectFile, ProjectStatus

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")


@dataclass(frozen=True)
class Listed:
    """A project as the community's list shows it."""

    id: int
    slug: str
    title: str
    status: ProjectStatus


@dataclass(frozen=True)
class Followed:
    """A project a person follows, as their list shows it."""

    id: int
    slug: str
    title: str
    community_id: int
    community_name: str


class Projects:
    def __init__(self, notifier: Notifier, clock: Callable[[], datetime], cache_ttl: float = 30.0, files: Files | None = None):
        self.notifier = notifier
        self.files = files
        self.clock = clock
        # Most commands read these and few change them; every change this process makes drops what it touches, and
        # another process' changes show within `cache_ttl` seconds (the people cache works the same way).
        self.cache = TTLCache(cache_ttl)  # (community id, slug) → Project: most commands name one
        self.referents_cache = TTLCache(cache_ttl)  # project id → referents: every card and every post reads them
        self.followers_cache = TTLCache(cache_ttl)  # project id → ids of its followers
        self.latest_cache = TTLCache(cache_ttl)  # project id → (its next step, its 3 latest news)
        self.listing_cache = TTLCache(cache_ttl)  # community id → [(project, followers)]
        self.following_cache = TTLCache(cache_ttl)  # person id → the projects they follow

    def _followed(self, person_id: int, project: Project, change: int) -> None:
        """A follow changed by `change` (+1, -1, 0): the project's followers, its community's counts (kept, the
        one count moved) and the person's list."""
        self.followers_cache.discard(project.id)
        self.following_cache.discard(person_id)
        rows = self.listing_cache.get(project.community_id)
        if rows is not None and change:
            self.listing_cache.put(project.community_id, [(p, n + change if p.id == project.id else n) for p, n in rows])

    async def get(self, community: Community, slug: str) -> Project:
        key = (community.id, slug.lower())
        project = self.cache.get(key)
        if project is None:
            project = await one(Project, 'SELECT * FROM "project" WHERE "community_id" = ? AND "slug" = ?', [community.id, slug.lower()])
            if project is None:
                raise await self._unknown(community, slug)
            self.cache.put(key, project)
        return project

    async def by_id(self, project_id: int) -> Project:
        project = await one(Project, 'SELECT * FROM "project" WHERE "id" = ?', [project_id])
        if project is None:
            raise UserError(N_("That project no longer exists."))
        return project

    async def _unknown(self, community: Community, slug: str) -> UserError:
        titles = {str(s): str(title) for s, title in await Project.filter(community_id=community.id).values_list("slug", "title")}
        typed = fold(slug)
        # A word of the project's name (`brasserie`, `crèche`); else names close to what was typed.
        close = [s for s in titles if len(typed) >= 3 and (typed in s or typed in fold(titles[s]))][:3] or \
            difflib.get_close_matches(slug.lower(), list(titles), n=3, cutoff=0.4)
        if close:
            # Each choice shows its project: labelled with the title, which reads the same in every language (the
            # core does not translate an error's choices), not with a bare slug. Given as options, the dispatcher
            # makes each one the command that was typed, with that project (`follow dombes-brasserie`); elsewhere
            # the choices open the project.
            error = Ambiguous(N_("No project “{slug}” in {community}. Did you mean: {close}?"), [(titles[s], s) for s in close],
                              slug=slug, community=community.name, close=", ".join(close))
            error.choices = [Choice(titles[s], f"project {s}") for s in close]
            return error
        return UserError(N_("No project “{slug}” in {community}. Type /projects to see them all."), slug=slug, community=community.name)

    async def listing(self, community: Community) -> list[tuple[Listed, int]]:
        rows = self.listing_cache.get(community.id)
        if rows is None:
            found = await fetch('SELECT p."id", p."slug", p."title", p."status", COUNT(f."id") FROM "project" p '
                                'LEFT JOIN "follow" f ON f."project_id" = p."id" WHERE p."community_id" = ? '
                                'GROUP BY p."id", p."slug", p."title", p."status" ORDER BY p."slug"', [community.id])
            rows = [(Listed(pid, slug, title, ProjectStatus(status)), int(n)) for pid, slug, title, status, n in found]
            self.listing_cache.put(community.id, rows)
        return rows

    async def followers_of(self, project: Project) -> frozenset[int]:
        ids = self.followers_cache.get(project.id)
        if ids is None:
            ids = frozenset(row[0] for row in await fetch('SELECT "person_id" FROM "follow" WHERE "project_id" = ?', [project.id]))
            self.followers_cache.put(project.id, ids)
        return ids

    async def card(self, project: Project) -> dict:
        """What `project <slug>` shows: referents, next step, latest news, followers count."""
        referents = await self.referents(project)
        latest = self.latest_cache.get(project.id)
        if latest is None:
            step = await one(NextStep, 'SELECT * FROM "next_step" WHERE "project_id" = ? ORDER BY "created_at" DESC, "id" DESC '
                                       'LIMIT 1', [project.id])
            news = await load(NewsItem, 'SELECT * FROM "news_item" WHERE "project_id" = ? ORDER BY "created_at" DESC, "id" DESC '
                                        'LIMIT 3', [project.id])
            latest = (step, news)
            self.latest_cache.put(project.id, latest)
        return {"referents": referents, "step": latest[0], "news": latest[1], "followers": await self.followers_of(project)}

    async def create(self, community: Community, slug: str, title: str, summary: str) -> Project:
        slug = slug.lower()
        if not SLUG.match(slug):
            raise UserError(N_("“{slug}” cannot be a project name: use 2 to 63 lower-case letters, digits and dashes."), slug=slug)
        try:
            project = await Project.create(community_id=community.id, slug=slug, title=title, summary=summary)
        except IntegrityError:
            raise UserError(N_("The project {slug} already exists."), slug=slug) from None
        self.listing_cache.discard(community.id)
        await search_index.refresh("project", project.id)  # found by its title and summary
        return project

    async def set_status(self, project: Project, status: ProjectStatus) -> ProjectStatus:
        previous = project.status
        project.status = status
        await Project.filter(id=project.id).update(status=status)
        self.cache.clear()
        self.listing_cache.discard(project.community_id)
        return previous

    async def referents(self, project: Project) -> list[Person]:
        people = self.referents_cache.get(project.id)
        if people is None:
            people = await load(Person, 'SELECT p.* FROM "person" p JOIN "project_referent" r ON r."person_id" = p."id" '
                                        'WHERE r."project_id" = ? ORDER BY p."display_name"', [project.id])
            self.referents_cache.put(project.id, people)
        return people

    async def is_referent(self, project: Project, person: Person) -> bool:
        return any(p.id == person.id for p in await self.referents(project))

    async def add_referent(self, project: Project, person: Person) -> bool:
        if await self.is_referent(project, person):
            return False
        await project.referents.add(person)
        self.referents_cache.clear()
        return True

    async def remove_referent(self, project: Project, person: Person) -> bool:
        if not await self.is_referent(project, person):
            return False
        await project.referents.remove(person)
        self.referents_cache.clear()
        return True

    async def follow(self, person: Person, project: Project) -> bool:
        # One INSERT; the unique constraint says "already".
        added = await fetch('INSERT INTO "follow" ("person_id", "project_id", "created_at") VALUES (?, ?, ?) '
                            'ON CONFLICT DO NOTHING RETURNING "id"', [person.id, project.id, self.clock()])
        self._followed(person.id, project, 1 if added else 0)
        return bool(added)

    async def unfollow(self, person: Person, project: Project) -> bool:
        removed = await fetch('DELETE FROM "follow" WHERE "person_id" = ? AND "project_id" = ? RETURNING "id"',
                              [person.id, project.id])
        self._followed(person.id, project, -1 if removed else 0)
        return bool(removed)

    async def unfollow_community(self, person: Person, community: Community) -> int:
        ids = await Project.filter(community_id=community.id).values_list("id", flat=True)
        removed = await Follow.filter(person_id=person.id, project_id__in=list(ids)).delete()
        for project_id in ids:
            self.followers_cache.discard(project_id)
        self.listing_cache.discard(community.id)
        self.following_cache.discard(person.id)
        return removed

    async def following(self, person: Person, community: Community | None) -> list[Followed]:
        projects = self.following_cache.get(person.id)
        if projects is None:
            rows = await fetch('SELECT p."id", p."slug", p."title", p."community_id", c."name" FROM "follow" f '
                               'JOIN "project" p ON p."id" = f."project_id" JOIN "community" c ON c."id" = p."community_id" '
                               'WHERE f."person_id" = ? ORDER BY p."slug"', [person.id])
            projects = [Followed(*row) for row in rows]
            self.following_cache.put(person.id, projects)
        return [p for p in projects if community is None or p.community_id == community.id]

    async def post_news(self, project: Project, author: Person | None, text: str, platform: str, community: Community,
                        photos: list | None = None) -> tuple[NewsItem, int]:
        """The news item and its notifications commit together, so none is lost or sent twice (no author: Relais'
        own news of the project, a campaign's milestone). `photos`: stored files (`Files.photos`), sent with it."""
        async with in_transaction() as conn:
            item = await NewsItem.create(project_id=project.id, author_id=author.id if author else None, text=text, platform=platform,
                                         created_at=self.clock(), using_db=conn)
            await search_index.refresh("news", item.id, conn)
            pictures = []
            if photos and self.files is not None:
                uses = await self.files.attach_news(project.id, item.id, author.id if author else None, photos, conn)
                pictures = self.files.pictures(photos, urls=[self.files.links.url(u.id, community, project, True) for u in uses])
            people = await self.notifier.followers(project, exclude=author)
            count = await self.notifier.enqueue(people, f"news:{item.id}", "news",
                                                self.notifier.news_reply(project, text, author.display_name if author else "Relais", item.id,
                                                                         pictures),
                                                community.id, connection=conn, default_locale=community.locale)
        self.latest_cache.discard(project.id)
        self.notifier.wake()
        return item, count

    async def add_news_photos(self, project: Project, author: Person, news_id: int, photos: list, community: Community) -> int:
        """Photos sent after their news (the answer to « a photo? »): the item's, and to its followers as a follow-up
        with the same undo (`news delete` takes them back too). Returns how many followers are notified."""
        if self.files is None:
            raise UserError(N_("Photos are not kept on this Relais."))
        async with in_transaction() as conn:
            item = await NewsItem.filter(id=news_id, project_id=project.id).using_db(conn).first()
            if item is None:
                raise UserError(N_("No such news in {project}."), project=project.title)
            had = await ProjectFile.filter(news_id=news_id).using_db(conn).count()
            if had + len(photos) > PHOTOS_PER_NEWS:
                raise UserError(N_("At most {count} photos with one news item."), count=PHOTOS_PER_NEWS)
            uses = (await self.files.attach_news(project.id, news_id, author.id, photos, conn, start=had))[had:]
            pictures = self.files.pictures(photos, urls=[self.files.links.url(u.id, community, project, True) for u in uses])
            people = await self.notifier.followers(project, exclude=author)
            count = await self.notifier.enqueue(people, f"news:{news_id}:photos{had}", "news",
                                                self.notifier.news_reply(project, item.text, author.display_name, news_id,
                                                                         pictures, added=True),
                                                community.id, connection=conn, default_locale=community.locale)
        self.latest_cache.discard(project.id)
        self.notifier.wake()
        return count

    async def delete_news(self, project: Project, news_id: int) -> int:
        """Take back a news item and its notifications not sent yet; returns how many were sent already."""
        return await self._take_back(NewsItem, project, news_id, f"news:{news_id}:", N_("No such news in {project}."))

    async def delete_step(self, project: Project, step_id: int) -> int:
        """Take back a next step (the previous one is current again) and its notifications not sent yet."""
        return await self._take_back(NextStep, project, step_id, f"step:{step_id}:", N_("No such next step in {project}."))

    async def _take_back(self, model, project: Project, row_id: int, keys: str, missing: str) -> int:
        async with in_transaction() as conn:
            deleted = await model.filter(id=row_id, project_id=project.id).using_db(conn).delete()
            if not deleted:
                raise UserError(missing, project=project.title)
            await search_index.drop("news" if model is NewsItem else "step", row_id, conn)
            await OutboxMessage.filter(key__startswith=keys, status=OutboxStatus.PENDING).using_db(conn).delete()
            sent = await OutboxMessage.filter(key__startswith=keys).using_db(conn).count()
        self.latest_cache.discard(project.id)
        return sent

    async def set_next_step(self, project: Project, author: Person, text: str, due: date | None, community: Community) -> tuple[NextStep, int]:
        async with in_transaction() as conn:
            step = await NextStep.create(project_id=project.id, author_id=author.id, text=text, due=due, created_at=self.clock(),
                                         using_db=conn)
            await search_index.refresh("step", step.id, conn)
            people = await self.notifier.followers(project, exclude=author)
            count = await self.notifier.enqueue(people, f"step:{step.id}", "next_step",
                                                self.notifier.next_step_reply(project, text, due, author.display_name, step.id),
                                                community.id, connection=conn, default_locale=community.locale)
        self.latest_cache.discard(project.id)
        self.notifier.wake()
        return step, count
