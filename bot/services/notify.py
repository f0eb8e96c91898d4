"""Notifications to followers, written to the outbox in the caller's transaction."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Callable

from bot.core.i18n import N_, Catalogs, normalize_locale
from bot.core.replies import Reply, bold
from bot.core.sql import execute_many, load
from models import Person, Project

INSERT = ('INSERT INTO "outbox_message" ("key", "person_id", "community_id", "kind", "payload", "status", "attempts", '
          '"next_attempt_at", "last_error", "channel", "created_at") VALUES (?, ?, ?, ?, ?::json, \'pending\', 0, ?, \'\', \'\', ?) '
          'ON CONFLICT DO NOTHING')


class Notifier:
    def __init__(self, catalogs: Catalogs, clock: Callable[[], datetime], on_outbox: Callable[[], None] | None = None):
        self.catalogs = catalogs
        self.clock = clock
        self.on_outbox = on_outbox

    async def followers(self, project: Project, exclude: Person | None = None) -> list[Person]:
        people = await load(Person, 'SELECT p.* FROM "person" p JOIN "follow" f ON f."person_id" = p."id" '
                                    'WHERE f."project_id" = ? ORDER BY p."id"', [project.id])
        return [p for p in people if exclude is None or p.id != exclude.id]

    async def enqueue(self, people: list[Person], key: str, kind: str, build: Callable, community_id: int | None,
                      connection=None, default_locale: str = "fr") -> int:
        """One outbox row per person, the reply built (and encoded) once per language; `key` keeps it unique.
        Plain SQL: a news item to a few hundred followers is one statement, not a few hundred objects."""
        now = self.clock()
        by_locale: dict[str, str] = {}
        rows = []
        for person in people:
            locale = normalize_locale(person.locale, default_locale)
            if locale not in by_locale:
                by_locale[locale] = json.dumps(build(self.catalogs.get(locale)).to_dict(), ensure_ascii=False)
            rows.append([f"{key}:p{person.id}", person.id, community_id, kind, by_locale[locale], now, now])
        if rows:
            await execute_many(INSERT, rows, connection)
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
