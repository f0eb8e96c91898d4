"""Projects, referents, next steps, news and follows."""

from __future__ import annotations

import difflib
import re
from datetime import date, datetime
from typing import Callable

from tortoise.exceptions import IntegrityError
from tortoise.functions import Count
from tortoise.transactions import in_transaction

from bot.core.errors import UserError
from bot.core.i18n import N_
from bot.core.replies import Choice
from bot.services.cache import TTLCache
from bot.services.notify import Notifier
from models import Community, Follow, NewsItem, NextStep, Person, Project, ProjectStatus

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")


class Projects:
    def __init__(self, notifier: Notifier, clock: Callable[[], datetime], cache_ttl: float = 30.0):
        self.notifier = notifier
        self.clock = clock
        self.cache = TTLCache(cache_ttl)  # (community id, slug) → Project: most commands name one
        self.referents_cache = TTLCache(cache_ttl)  # project id → referents: every card and every post reads them

    async def get(self, community: Community, slug: str) -> Project:
        key = (community.id, slug.lower())
        project = self.cache.get(key)
        if project is None:
            project = await Project.get_or_none(community_id=community.id, slug=slug.lower())
            if project is None:
                raise await self._unknown(community, slug)
            self.cache.put(key, project)
        return project

    async def _unknown(self, community: Community, slug: str) -> UserError:
        slugs = await Project.filter(community_id=community.id).values_list("slug", flat=True)
        close = difflib.get_close_matches(slug.lower(), slugs, n=3, cutoff=0.4)
        if close:
            return UserError(N_("No project “{slug}” in {community}. Did you mean: {close}?"), slug=slug,
                             community=community.name, close=", ".join(close),
                             choices=[Choice(s, f"project {s}") for s in close])
        return UserError(N_("No project “{slug}” in {community}. Type /projects to see them all."), slug=slug, community=community.name)

    async def listing(self, community: Community) -> list[tuple[Project, int]]:
        projects = await Project.filter(community_id=community.id).annotate(followers=Count("follows")).order_by("slug")
        return [(p, p.followers) for p in projects]

    async def card(self, project: Project) -> dict:
        """What `project <slug>` shows: referents, next step, latest news, followers count."""
        referents = await self.referents(project)
        step = await NextStep.filter(project_id=project.id).order_by("-created_at", "-id").first()
        news = await NewsItem.filter(project_id=project.id).order_by("-created_at", "-id").limit(3).select_related("author")
        followers = set(await Follow.filter(project_id=project.id).values_list("person_id", flat=True))
        return {"referents": referents, "step": step, "news": news, "followers": followers}

    async def create(self, community: Community, slug: str, title: str, summary: str) -> Project:
        slug = slug.lower()
        if not SLUG.match(slug):
            raise UserError(N_("“{slug}” cannot be a project name: use 2 to 63 lower-case letters, digits and dashes."), slug=slug)
        try:
            return await Project.create(community_id=community.id, slug=slug, title=title, summary=summary)
        except IntegrityError:
            raise UserError(N_("The project {slug} already exists."), slug=slug) from None

    async def set_status(self, project: Project, status: ProjectStatus) -> ProjectStatus:
        previous = project.status
        project.status = status
        await Project.filter(id=project.id).update(status=status)
        self.cache.clear()
        return previous

    async def referents(self, project: Project) -> list[Person]:
        people = self.referents_cache.get(project.id)
        if people is None:
            people = await project.referents.all().order_by("display_name")
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
        try:  # one INSERT in the common case; the unique constraint says "already"
            await Follow.create(person_id=person.id, project_id=project.id)
        except IntegrityError:
            return False
        return True

    async def unfollow(self, person: Person, project: Project) -> bool:
        return await Follow.filter(person_id=person.id, project_id=project.id).delete() > 0

    async def unfollow_community(self, person: Person, community: Community) -> int:
        ids = await Project.filter(community_id=community.id).values_list("id", flat=True)
        return await Follow.filter(person_id=person.id, project_id__in=list(ids)).delete()

    async def following(self, person: Person, community: Community | None) -> list[Project]:
        query = Project.filter(follows__person_id=person.id)
        if community is not None:
            query = query.filter(community_id=community.id)
        return await query.order_by("slug").select_related("community")

    async def post_news(self, project: Project, author: Person, text: str, platform: str, community: Community) -> tuple[NewsItem, int]:
        """The news item and its notifications commit together, so none is lost or sent twice."""
        async with in_transaction() as conn:
            item = await NewsItem.create(project_id=project.id, author_id=author.id, text=text, platform=platform, using_db=conn)
            people = await self.notifier.followers(project, exclude=author)
            count = await self.notifier.enqueue(people, f"news:{item.id}", "news",
                                                self.notifier.news_reply(project, text, author.display_name),
                                                community.id, connection=conn, default_locale=community.locale)
        self.notifier.wake()
        return item, count

    async def set_next_step(self, project: Project, author: Person, text: str, due: date | None, community: Community) -> tuple[NextStep, int]:
        async with in_transaction() as conn:
            step = await NextStep.create(project_id=project.id, author_id=author.id, text=text, due=due, using_db=conn)
            people = await self.notifier.followers(project, exclude=author)
            count = await self.notifier.enqueue(people, f"step:{step.id}", "next_step",
                                                self.notifier.next_step_reply(project, text, due, author.display_name),
                                                community.id, connection=conn, default_locale=community.locale)
        self.notifier.wake()
        return step, count
