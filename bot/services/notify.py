"""Notifications to followers, written to the outbox in the caller's transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Callable

from bot.core.i18n import N_, Catalogs, normalize_locale
from bot.core.replies import Reply, bold
from models import Follow, OutboxMessage, Person, Project


class Notifier:
    def __init__(self, catalogs: Catalogs, clock: Callable[[], datetime], on_outbox: Callable[[], None] | None = None):
        self.catalogs = catalogs
        self.clock = clock
        self.on_outbox = on_outbox

    async def followers(self, project: Project, exclude: Person | None = None) -> list[Person]:
        rows = await Follow.filter(project_id=project.id).select_related("person")
        return [f.person for f in rows if exclude is None or f.person_id != exclude.id]

    async def enqueue(self, people: list[Person], key: str, kind: str, build: Callable, community_id: int | None,
                      connection=None, default_locale: str = "fr") -> int:
        """One outbox row per person, the reply built once per language; `key` keeps it unique."""
        now = self.clock()
        by_locale: dict[str, dict] = {}
        rows = []
        for person in people:
            locale = normalize_locale(person.locale, default_locale)
            if locale not in by_locale:
                by_locale[locale] = build(self.catalogs.get(locale)).to_dict()
            rows.append(OutboxMessage(key=f"{key}:p{person.id}", person_id=person.id, community_id=community_id,
                                      kind=kind, payload=by_locale[locale], next_attempt_at=now))
        if rows:
            await OutboxMessage.bulk_create(rows, using_db=connection, ignore_conflicts=True)
        return len(rows)

    def wake(self) -> None:
        if self.on_outbox:
            self.on_outbox()

    @staticmethod
    def news_reply(project: Project, text: str, author: str):
        def build(t) -> Reply:
            return (Reply().para("📰 ", bold(project.title), " — ", t(N_("news from {author}"), author=author))
                    .para(text)
                    .choice(t(N_("See the project")), f"project {project.slug}")
                    .choice(t(N_("Stop following")), f"unfollow {project.slug}"))
        return build

    @staticmethod
    def next_step_reply(project: Project, text: str, due, author: str):
        def build(t) -> Reply:
            reply = Reply().para("➡️ ", bold(project.title), " — ", t(N_("new next step from {author}"), author=author))
            if due:
                reply.para(text, " ", t(N_("(by {date})"), date=t.date(due)))
            else:
                reply.para(text)
            return reply.choice(t(N_("See the project")), f"project {project.slug}").choice(
                t(N_("Stop following")), f"unfollow {project.slug}")
        return build
