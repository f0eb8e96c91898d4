"""Search a community's memory with the database's own full-text search, best first: SQLite FTS5 ranked by bm25,
PostgreSQL's tsvector (GIN index) ranked by ts_rank. Only the community's items are searched, its facilitators'
items (referents' raw answers) only by its facilitators.

PostgreSQL ranks a match by reading its row (its tsvector): a word found in 30,000 of a community's 800,000 items
costs 30,000 reads, 230 ms (bench/search.py). So it looks first among the community's newest 10,000 items, then its
newest 100,000 (WINDOWS): as soon as ENOUGH match there, the best of those come first. Otherwise the word is rare
enough (under ENOUGH per window) to rank all of its matches, a few hundred reads at most. A community smaller than a
window is ranked whole. SQLite's FTS5 ranks 100,000 items' matches fast enough without this.
"""

from __future__ import annotations

from typing import Callable

from tortoise import connections

from bot.core.sql import fetch, load
from bot.services import search_index
from bot.services import search_text as st
from bot.services.cache import TTLCache
from models import Community
from models.search import SearchDoc

WINDOWS, ENOUGH = (10_000, 100_000), 20
LIMIT = 8

SQLITE = ('SELECT d.* FROM (SELECT "rowid" AS "id", bm25("search_fts", 0.0, 3.0, 1.0, 0.3) AS "score" FROM "search_fts" '
          'WHERE "search_fts" MATCH ? ORDER BY "score", "rowid" DESC LIMIT ?) m JOIN "search_doc" d ON d."id" = m."id" '
          'ORDER BY m."score", d."id" DESC')
POSTGRES = ('SELECT t."doc_id" FROM "search_tsv" t WHERE t."community_id" = ? AND t."doc_id" > ? '
            'AND (? OR NOT t."staff") AND t."tsv" @@ ({q}) ORDER BY ts_rank(t."tsv", {q}) DESC, t."doc_id" DESC LIMIT ?')
# A searched word on PostgreSQL: the beginning of its stem (a lexeme as it is) or the configuration's stem of the word.
PG_TERM = "(?::tsquery || to_tsquery(?::regconfig, ?))"


class NothingToSearch(ValueError):
    """Only stop words or punctuation: there is nothing to look for."""


class Search:
    def __init__(self, clock: Callable, cache_ttl: float = 300.0):
        self.clock = clock
        self.floors = TTLCache(cache_ttl)  # (community id, window) → the doc id under its newest items (PostgreSQL)

    async def find(self, community: Community, text: str, staff: bool = False, limit: int = LIMIT) -> list[SearchDoc]:
        """The community's items having every word of `text`, best first; raises NothingToSearch."""
        lang = st.language(community.locale)
        terms = st.query_terms(text, lang)
        if not terms:
            raise NothingToSearch(text)
        if connections.get("default").capabilities.dialect != "postgres":
            return await load(SearchDoc, SQLITE, [st.fts_match(terms, community.id, staff), limit])
        query = POSTGRES.format(q=" && ".join([PG_TERM] * len(terms)))
        words = [v for t in terms for v in (f"'{t.key}'", lang, t.word)]
        rows: list[tuple] = []
        for window in WINDOWS:
            floor = await self._floor(community.id, window)
            if not floor:  # the community has fewer items: it is ranked whole
                break
            rows = await fetch(query, [community.id, floor, staff, *words, *words, ENOUGH])
            if len(rows) >= ENOUGH:
                break
        if len(rows) < ENOUGH:
            rows = await fetch(query, [community.id, 0, staff, *words, *words, limit])
        ids = [int(r[0]) for r in rows[:limit]]
        if not ids:
            return []
        found = {d.id: d for d in await load(SearchDoc, f'SELECT * FROM "search_doc" WHERE "id" IN ({", ".join("?" * len(ids))})', ids)}
        return [found[i] for i in ids if i in found]

    async def _floor(self, community_id: int, window: int) -> int:
        """The doc id under the community's newest `window` items (0: it has fewer); ids grow with time."""
        floor = self.floors.get((community_id, window))
        if floor is None:
            rows = await fetch('SELECT "doc_id" FROM "search_tsv" WHERE "community_id" = ? ORDER BY "doc_id" DESC LIMIT 1 OFFSET ?',
                               [community_id, window])
            floor = int(rows[0][0]) if rows else 0
            self.floors.put((community_id, window), floor)
        return floor

    async def refresh(self, kind: str, item_id: int) -> None:
        await search_index.refresh(kind, item_id)

    async def rebuild(self, community_id: int | None = None) -> dict[int, int]:
        self.floors.clear()
        return await search_index.rebuild(community_id)
