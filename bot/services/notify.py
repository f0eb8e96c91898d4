"""Notifications to followers, written to the outbox in the caller's transaction."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Callable

from tortoise import connections

from bot.core import platforms
from bot.core.i18n import N_, Catalogs, Translator, normalize_locale
from bot.core.replies import About, Reply, Topic, bold
from bot.core.sql import execute_many, fetch, load
from models import ChatBinding, OutboxMessage, Person, Project

INSERT = ('INSERT INTO "outbox_message" ("key", "person_id", "community_id", "kind", "payload", "status", "attempts", '
          '"next_attempt_at", "last_error", "channel", "created_at") VALUES (?, ?, ?, ?, ?::json, \'pending\', 0, ?, \'\', \'\', ?) '
          'ON CONFLICT DO NOTHING')
# PostgreSQL: every row in one statement, its columns as arrays and each language's payload sent once (bench/needs.py:
# 10,000 rows in 0.25 s against 0.65 s for batched executemany).
INSERT_ARRAYS = ('INSERT INTO "outbox_message" ("key", "person_id", "community_id", "kind", "payload", "status", "attempts", '
                 '"next_attempt_at", "last_error", "channel", "created_at") SELECT u.k, u.p, u.c, u.kind, ($5::text[])[u.i]::jsonb, '
                 '\'pending\', 0, u.n, \'\', \'\', u.a FROM unnest($1::text[], $2::int[], $3::int[], $4::text[], $6::int[], '
                 '$7::timestamptz[], $8::timestamptz[]) AS u(k, p, c, kind, i, n, a) ON CONFLICT DO NOTHING')


@dataclass(frozen=True)
class Notice:
    """A project's notification, built per language: the reply, and beside it in the outbox payload what a channel
    with subjects and threads (mail) shows: "[community] project — headline", and the project's thread."""

    project: Project
    build: Callable[[Translator], Reply]
    headline: Callable[[Translator], str]

    def __call__(self, t: Translator) -> Reply:
        return self.build(t)

    def beside(self, t: Translator, community: tuple[str, str]) -> dict:
        slug, name = community
        return {"subject": f"[{name}] {self.project.title} — {self.headline(t)}", "thread": f"project.{self.project.id}",
                "community": {"slug": slug, "name": name}}


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
                      connection=None, default_locale: str = "fr", extra: dict | None = None) -> int:
        """One outbox row per person, the reply built (and encoded) once per language; `key` keeps it unique.
        Plain SQL: a news item to a few hundred followers is one statement, not a few hundred objects."""
        community = None
        if hasattr(build, "beside") and community_id is not None and people:  # a Notice, or one like it (a ballot)
            found = await fetch('SELECT "slug", "name" FROM "community" WHERE "id" = ?', [community_id])
            community = (str(found[0][0]), str(found[0][1])) if found else None
        rows = self.rows(people, key, kind, build, community_id, default_locale, community, extra)
        await self.insert(rows, connection)
        return len(rows)

    def rows(self, people: list[Person], key: str, kind: str, build: Callable, community_id: int | None,
             default_locale: str = "fr", community: tuple[str, str] | None = None, extra: dict | None = None) -> list[list]:
        """`extra` goes into the payload beside the reply (how to route it: `via` an account, `reply_to` a message)."""
        """The outbox rows of `enqueue`, to insert later with others (the weekly push: every community at once)."""
        now = self.clock()
        by_locale: dict[str, str] = {}
        rows = []
        for person in people:
            locale = normalize_locale(person.locale, default_locale)
            if locale not in by_locale:
                t = self.catalogs.get(locale)
                payload = build(t).to_dict()
                if hasattr(build, "beside") and community is not None:
                    payload.update(build.beside(t, community))  # Reply.from_dict reads only its own keys
                if extra:
                    payload.update(extra)
                by_locale[locale] = json.dumps(payload, ensure_ascii=False)
            rows.append([f"{key}:p{person.id}", person.id, community_id, kind, by_locale[locale], now, now])
        return rows

    @staticmethod
    async def insert(rows: list[list], connection=None) -> None:
        conn = connection or connections.get("default")
        if rows and conn.capabilities.dialect == "postgres":
            payloads = list(dict.fromkeys(r[4] for r in rows))  # one per language (and community): each sent once
            index = {p: n for n, p in enumerate(payloads, 1)}
            keys, people, communities, kinds, encoded, due, made = (list(c) for c in zip(*rows))
            await conn.execute_query(INSERT_ARRAYS, [keys, people, communities, kinds, payloads, [index[p] for p in encoded], due, made])
            return
        for i in range(0, len(rows), 500):
            await execute_many(INSERT, rows[i:i + 500], connection)

    async def to_rooms(self, community_id: int, tag: str, reply: Reply, exclude: str = "") -> int:
        """One outbox message per group and room bound to the community (mail bindings are lists: not here), but
        `exclude` (`platform:chat`, where the reply is shown already)."""
        rows = [OutboxMessage(key=f"announce:{tag}:{b.platform}:{b.chat_id}", person_id=None,
                              chat=f"{b.platform}:{b.chat_id}" + (f"/{b.thread}" if b.thread else ""),
                              community_id=community_id, kind="announcement", payload=reply.to_dict(), next_attempt_at=self.clock())
                for b in await ChatBinding.filter(community_id=community_id, platform__in=platforms.room_platforms())
                if f"{b.platform}:{b.chat_id}" != exclude]
        if rows:
            await OutboxMessage.bulk_create(rows, ignore_conflicts=True)
            self.wake()
        return len(rows)

    def wake(self) -> None:
        if self.on_outbox:
            self.on_outbox()

    @staticmethod
    def news_reply(project: Project, text: str, author: str, item_id: int | None = None, pictures: list | None = None,
                   added: bool = False) -> Notice:
        """`added`: the photos sent after their news, under its text shortened."""
        def headline(t: Translator) -> str:
            return t(N_("photos of the news from {author}"), author=author) if added else t(N_("news from {author}"), author=author)

        def build(t: Translator) -> Reply:
            shown = text if not added or len(text) <= 160 else text[:159].rstrip() + "…"
            reply = Reply().para("📰 ", bold(project.title), " — ", headline(t)).para(shown)
            for picture in pictures or ():  # photos by their hash: each platform sends the stored file its own way
                reply.add(picture)
            return (reply
                    .add(answerable(t, ("news", item_id, project.id) if item_id else ("project", project.id, project.id)))
                    .choice(t(N_("See the project")), f"project {project.slug}")
                    .choice(t(N_("Stop following")), f"unfollow {project.slug}"))
        return Notice(project, build, headline)

    @staticmethod
    def next_step_reply(project: Project, text: str, due, author: str, step_id: int | None = None) -> Notice:
        def headline(t: Translator) -> str:
            return t(N_("new next step from {author}"), author=author)

        def build(t: Translator) -> Reply:
            reply = Reply().para("➡️ ", bold(project.title), " — ", headline(t))
            if due:
                reply.para(text, " ", t(N_("(by {date})"), date=t.date(due)))
            else:
                reply.para(text)
            reply.add(answerable(t, ("step", step_id, project.id) if step_id else ("project", project.id, project.id)))
            return reply.choice(t(N_("See the project")), f"project {project.slug}").choice(
                t(N_("Stop following")), f"unfollow {project.slug}")
        return Notice(project, build, headline)


def answerable(t: Translator, topic: Topic) -> About:
    """What a project's notification speaks of: a reply to it goes to the project's referents."""
    return About((topic,), hint=t(N_("↩️ A question, an idea, help to offer? Reply to this message: the referents get it.")),
                 command=t(N_("↩️ A question, an idea, help to offer? /reply <your text>: the referents get it.")))
