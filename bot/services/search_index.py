"""The search index kept current: each place that writes a searchable item calls `refresh(kind, id)` (in its own
transaction when it has one); `rebuild` makes a community's index again from its items (`relais reindex`).

Indexed, per community: projects (title and summary), news, next steps, referents' confirmed answers to prompts (facilitators only), polls (question,
options and, once closed, the winners: never a ballot), general meetings that are not cancelled, and the list posts
Relais read. One `search_doc` row per item holds what a result shows; the text goes to `search_fts` (FTS5, stems made
here) on SQLite and to `search_tsv` (PostgreSQL's own stems by the `french`/`english` configuration, plus the stems'
beginnings from bot/services/search_text.py) on PostgreSQL.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from tortoise import connections
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from bot.core.sql import sql_for
from bot.services import search_text as st

log = logging.getLogger("relais.search")

KINDS = ("news", "step", "answer", "poll", "meeting", "post", "qa", "project", "event", "idea", "need")
MEETING_WORDS = {"french": "Réunion générale assemblée", "english": "General meeting assembly"}  # what finds a meeting
EXCERPT = 300  # characters kept to show

# Each kind's rows: (id, community id, locale, project id, heading, author, text, at, slug or extra). `{where}` is
# `x."id" = ?` (one item) or `c."id" = ?` (a community).
_PROJECT = 'JOIN "project" p ON p."id" = x."project_id" JOIN "community" c ON c."id" = p."community_id" '
SELECTS = {
    "news": 'SELECT x."id", c."id", c."locale", p."id", p."title", a."display_name", x."text", x."created_at", p."slug" '
            'FROM "news_item" x ' + _PROJECT + 'LEFT JOIN "person" a ON a."id" = x."author_id" WHERE {where}',
    "step": 'SELECT x."id", c."id", c."locale", p."id", p."title", a."display_name", x."text", x."created_at", p."slug" '
            'FROM "next_step" x ' + _PROJECT + 'LEFT JOIN "person" a ON a."id" = x."author_id" WHERE {where}',
    "answer": 'SELECT x."id", c."id", c."locale", p."id", p."title", a."display_name", x."answer", x."answered_at", p."slug" '
              'FROM "prompt" x ' + _PROJECT + 'JOIN "person" a ON a."id" = x."person_id" '
              'WHERE x."status" = \'answered\' AND x."answer" <> \'\' AND x."answered_at" IS NOT NULL AND {where}',
    "poll": 'SELECT x."id", c."id", c."locale", NULL, x."question", \'\', x."options", x."created_at", c."slug", x."number", '
            'x."kind", x."closed_at", x."results", c."timezone" FROM "vote_poll" x JOIN "community" c ON c."id" = x."community_id" '
            'WHERE NOT EXISTS (SELECT 1 FROM "poll_hidden" h WHERE h."poll_id" = x."id") AND {where}',
    "meeting": 'SELECT x."id", c."id", c."locale", NULL, \'\', \'\', x."place", x."starts_at", \'\' '
               'FROM "event" x JOIN "community" c ON c."id" = x."community_id" WHERE x."kind" = \'meeting\' AND x."cancelled" = FALSE '
               'AND {where}',
    # A community's or a project's event (its title, its place), while it is not cancelled.
    "event": 'SELECT x."id", c."id", c."locale", x."project_id", x."title", \'\', x."place", x."starts_at", \'\' '
             'FROM "event" x JOIN "community" c ON c."id" = x."community_id" WHERE x."kind" = \'event\' AND x."cancelled" = FALSE '
             'AND {where}',
    "post": 'SELECT x."id", c."id", c."locale", NULL, x."subject", x."author", x."excerpt", x."posted_at", x."archive_url" '
            'FROM "mail_list_message" x JOIN "community" c ON c."id" = x."community_id" WHERE {where}',
    # A project: its title and summary, so that `search crèche` finds the Crèche itself.
    "project": 'SELECT x."id", c."id", c."locale", x."id", x."title", \'\', x."summary", x."created_at", x."slug" '
               'FROM "project" x JOIN "community" c ON c."id" = x."community_id" WHERE {where}',
    # A question published with its answer (both the referent's act and the asker's consent); the asker's name only
    # when they agreed to it.
    "qa": 'SELECT x."id", c."id", c."locale", p."id", p."title", CASE WHEN x."consent" = \'name\' THEN a."display_name" ELSE \'\' END, '
          'x."text" || \' — \' || x."answer", x."published_at", p."slug" FROM "comment" x ' + _PROJECT +
          'LEFT JOIN "person" a ON a."id" = x."author_id" WHERE x."published_at" IS NOT NULL AND x."hidden_at" IS NULL AND {where}',
}

# Members' ideas (but those declined) and the projects' needs, open or filled.
SELECTS.update({
    "idea": 'SELECT x."id", c."id", c."locale", NULL, x."title", a."display_name", x."summary", x."created_at", x."number" '
            'FROM "idea" x JOIN "community" c ON c."id" = x."community_id" LEFT JOIN "person" a ON a."id" = x."author_id" '
            'WHERE x."status" <> \'declined\' AND {where}',
    "need": 'SELECT x."id", c."id", c."locale", p."id", p."title", a."display_name", x."text", x."created_at", p."slug" '
            'FROM "need" x ' + _PROJECT + 'LEFT JOIN "person" a ON a."id" = x."author_id" WHERE {where}',
})

UPSERT_DOC = ('INSERT INTO "search_doc" ("community_id", "kind", "item_id", "project_id", "heading", "author", "excerpt", "at", '
              '"staff", "opens", "url") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT ("kind", "item_id") DO UPDATE SET '
              '"community_id" = excluded."community_id", "project_id" = excluded."project_id", "heading" = excluded."heading", '
              '"author" = excluded."author", "excerpt" = excluded."excerpt", "at" = excluded."at", "staff" = excluded."staff", '
              '"opens" = excluded."opens", "url" = excluded."url" RETURNING "id"')


def tsv_sql(lang: str, title: str, body: str, context: str, lexemes: str) -> str:
    """PostgreSQL's tsvector of an item from SQL operands (placeholders here, columns in bench/search.py): its
    configuration's stems with positions, weighted (the item's title A, its text B, its project's title D: context,
    which should not outrank an item that says the word), then the stems' beginnings (ranked as D)."""
    return (f"setweight(to_tsvector({lang}, {title}), 'A') || setweight(to_tsvector({lang}, {body}), 'B') || "
            f"setweight(to_tsvector({lang}, {context}), 'D') || array_to_tsvector({lexemes})")


TSV = tsv_sql("?::regconfig", "?", "?", "?", "?::text[]")  # the language given once per to_tsvector: three times
UPSERT_TSV = (f'INSERT INTO "search_tsv" ("doc_id", "community_id", "staff", "tsv") VALUES (?, ?, ?, {TSV}) '
              'ON CONFLICT ("doc_id") DO UPDATE SET "community_id" = excluded."community_id", "staff" = excluded."staff", '
              '"tsv" = excluded."tsv"')
INSERT_FTS = 'INSERT INTO "search_fts" ("rowid", "scope", "title", "body", "context") VALUES (?, ?, ?, ?, ?)'


@dataclass
class Doc:
    """A searchable item: what a result shows, and the text indexed: its own `title` (a poll's question, a post's
    subject) counts more than its `body`, and its project's title (`context`) less."""

    kind: str
    item_id: int
    community_id: int
    lang: str
    project_id: int | None
    heading: str
    author: str
    excerpt: str
    at: datetime
    staff: bool
    opens: str
    url: str
    title: str
    body: str
    context: str = ""

    def row(self) -> list:
        return [self.community_id, self.kind, self.item_id, self.project_id, self.heading[:300], self.author[:200],
                self.excerpt, self.at, self.staff, self.opens[:200], self.url[:500]]


def _json(value):
    return json.loads(value) if isinstance(value, str) else value


def _date_option(option: str, tz: ZoneInfo, locale: str) -> str:
    """A date poll's option written out in the community's language (« samedi 12 décembre 2026 19:00 »), not ISO."""
    try:
        instant = datetime.fromisoformat(option)
    except ValueError:
        return option
    if not instant.tzinfo:
        return option
    return format_datetime(instant.astimezone(tz), "EEEE d MMMM y HH:mm", locale=(locale or "fr")[:2])


def doc(kind: str, row: tuple) -> Doc:
    """The searchable item of one row of `SELECTS[kind]`."""
    item_id, community_id, locale, project_id, heading, author, text, at, extra = row[:9]
    lang = st.language(locale)
    base = dict(kind=kind, item_id=int(item_id), community_id=int(community_id), lang=lang, project_id=project_id, heading=heading or "",
                author=author or "", excerpt=(text or "")[:EXCERPT], at=at, staff=kind == "answer", opens="", url="",
                title=heading or "", body=text or "")
    if kind in ("news", "step", "answer", "qa"):
        base.update(opens=f"project {extra}", title="", context=heading or "")
        if kind == "answer":  # the answer as the referent wrote it (its first message), not its messages run together
            base.update(excerpt=next((line.strip() for line in (text or "").splitlines() if line.strip()), "")[:EXCERPT])
    elif kind == "project":
        base.update(opens=f"project {extra}")
    elif kind == "poll":
        number, poll_kind, closed_at, results, timezone = row[9:]
        options = [str(o) for o in _json(text) or []]
        if poll_kind == "date":
            options = [_date_option(o, ZoneInfo(timezone), locale) for o in options]
        winners = [options[n - 1] for n in (_json(results) or {}).get("winners", []) if 0 < n <= len(options)] if closed_at else []
        shown = ("🏁 " + ", ".join(winners) + " — " if winners else "") + " · ".join(options)
        base.update(heading=f"#{number} {heading}", excerpt=shown[:EXCERPT], body=" ".join(options), opens=f"poll show {extra}#{number}")
    elif kind == "meeting":
        base.update(title=MEETING_WORDS[lang], opens="meeting")
    elif kind == "event":
        base.update(opens=f"event show {item_id}")
    elif kind == "idea":
        base.update(opens=f"idea {extra}")
    elif kind == "need":
        base.update(opens=f"needs {extra}", title="", context=heading or "")
    elif kind == "post":
        base.update(url=extra or "", body=text or "")
    return Doc(**base)


def _conn(connection: BaseDBAsyncClient | None) -> BaseDBAsyncClient:
    return connection or connections.get("default")


async def _rows(conn: BaseDBAsyncClient, kind: str, where: str, value: int) -> list[tuple]:
    _, rows = await conn.execute_query(sql_for(SELECTS[kind].format(where=where), conn.capabilities.dialect), [value])
    return [tuple(r.values()) if hasattr(r, "values") else tuple(r) for r in rows]


async def refresh(kind: str, item_id: int, connection: BaseDBAsyncClient | None = None) -> None:
    """Index the item as it is now, or take it out of the index when it is gone or no longer searchable (a news
    item taken back, a meeting cancelled)."""
    conn = _conn(connection)
    rows = await _rows(conn, kind, 'x."id" = ?', item_id)
    if not rows:
        await drop(kind, item_id, conn)
        return
    item = doc(kind, rows[0])
    dialect = conn.capabilities.dialect
    [(doc_id,)] = [tuple(r.values()) for r in await conn.execute_query_dict(sql_for(UPSERT_DOC, dialect), item.row())]
    await _write_text(conn, [(int(doc_id), item)], replace=True)


async def drop(kind: str, item_id: int, connection: BaseDBAsyncClient | None = None) -> None:
    conn = _conn(connection)
    dialect = conn.capabilities.dialect
    gone = await conn.execute_query_dict(sql_for('DELETE FROM "search_doc" WHERE "kind" = ? AND "item_id" = ? RETURNING "id"', dialect),
                                         [kind, item_id])
    if gone and dialect != "postgres":  # PostgreSQL's search_tsv rows go with their doc (ON DELETE CASCADE)
        await conn.execute_query('DELETE FROM "search_fts" WHERE "rowid" = ?', [int(gone[0]["id"])])


async def _write_text(conn: BaseDBAsyncClient, items: list[tuple[int, Doc]], replace: bool) -> None:
    if conn.capabilities.dialect == "postgres":
        rows = [[doc_id, d.community_id, d.staff, d.lang, d.title, d.lang, d.body, d.lang, d.context,
                 st.lexemes("\n".join((d.title, d.body, d.context)), d.lang)] for doc_id, d in items]
        await conn.execute_many(sql_for(UPSERT_TSV, "postgres"), rows)
        return
    if replace:
        await conn.execute_many('DELETE FROM "search_fts" WHERE "rowid" = ?', [[doc_id] for doc_id, _ in items])
    await conn.execute_many(INSERT_FTS, [[doc_id, st.scope_of(d.community_id, d.staff), *(" ".join(st.terms(text, d.lang))
                                                                                          for text in (d.title, d.body, d.context))]
                                         for doc_id, d in items])


async def rebuild(community_id: int | None = None, batch: int = 2000) -> dict[int, int]:
    """Make the index of one community (or of all) again from its items, oldest first; one transaction per community,
    so a search never sees it half made. Returns {community id: items indexed}."""
    conn = connections.get("default")
    if community_id is None:
        _, rows = await conn.execute_query('SELECT "id" FROM "community" ORDER BY "id"')
        ids = [int(tuple(r.values())[0] if hasattr(r, "values") else r[0]) for r in rows]
    else:
        ids = [community_id]
    done = {}
    for cid in ids:
        async with in_transaction() as tx:
            done[cid] = await _rebuild_one(tx, cid, batch)
        log.info("search index rebuilt", extra={"community": cid, "items": done[cid]})
    return done


async def _rebuild_one(tx: BaseDBAsyncClient, community_id: int, batch: int) -> int:
    dialect = tx.capabilities.dialect
    if dialect != "postgres":  # every row of the community, those whose item went with its project included
        await tx.execute_query('DELETE FROM "search_fts" WHERE "search_fts" MATCH ?', [f'scope:"c{community_id}"'])
    await tx.execute_query(sql_for('DELETE FROM "search_doc" WHERE "community_id" = ?', dialect), [community_id])
    docs = [doc(kind, row) for kind in KINDS for row in await _rows(tx, kind, 'c."id" = ?', community_id)]
    docs.sort(key=lambda d: (d.at, KINDS.index(d.kind), d.item_id))  # ids in time order: PostgreSQL ranks the newest first
    last = 0
    for start in range(0, len(docs), batch):
        chunk = docs[start:start + batch]
        await tx.execute_many(sql_for(UPSERT_DOC.removesuffix(' RETURNING "id"'), dialect), [d.row() for d in chunk])
        rows = await tx.execute_query_dict(sql_for('SELECT "id", "kind", "item_id" FROM "search_doc" WHERE "community_id" = ? '
                                                   'AND "id" > ?', dialect), [community_id, last])
        ids = {(r["kind"], int(r["item_id"])): int(r["id"]) for r in rows}
        for d in chunk:
            if (d.kind, d.item_id) not in ids:  # written meanwhile by a `refresh` (PostgreSQL), with an older id
                [row] = await tx.execute_query_dict(sql_for('SELECT "id" FROM "search_doc" WHERE "kind" = ? AND "item_id" = ?', dialect),
                                                    [d.kind, d.item_id])
                ids[(d.kind, d.item_id)] = int(row["id"])
        last = max([last, *ids.values()])
        await _write_text(tx, [(ids[(d.kind, d.item_id)], d) for d in chunk], replace=False)
    return len(docs)
