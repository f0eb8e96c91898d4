"""What the public pages show of the members' contributions: the open ideas with their supports (proposers by their
public name only), the projects' open needs, and the projects looking for a referent."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from bot.core.sql import fetch
from bot.services.digest_contrib import day, moment


@dataclass(frozen=True)
class IdeaView:
    number: int
    title: str
    summary: str
    supporters: int
    author: str  # a public name, or "" (« un·e membre »)
    at: datetime


@dataclass(frozen=True)
class NeedView:
    number: int
    text: str
    due: date | None
    project_slug: str
    project_title: str
    at: datetime


@dataclass
class Contributions:
    ideas: list[IdeaView]
    needs: list[NeedView]
    orphans: list[tuple[str, str]]  # (slug, title) of the running projects without referent


async def contributions(community_id: int, public_name) -> Contributions:
    """`public_name` turns a display name into what a page may print (bot/services/pages.py)."""
    ideas = [IdeaView(int(num), str(title), str(summary or ""), int(count), public_name(author), moment(at))
             for num, title, summary, count, author, at in await fetch(
                 'SELECT i."number", i."title", i."summary", i."supporters", a."display_name", i."created_at" FROM "idea" i '
                 'LEFT JOIN "person" a ON a."id" = i."author_id" WHERE i."community_id" = ? AND i."status" = ? '
                 'ORDER BY i."supporters" DESC, i."number" LIMIT 30', [community_id, "open"])]
    needs = [NeedView(int(num), str(text), day(due), str(slug), str(title), moment(at))
             for num, text, due, slug, title, at in await fetch(
                 'SELECT x."number", x."text", x."due", p."slug", p."title", x."created_at" FROM "need" x '
                 'JOIN "project" p ON p."id" = x."project_id" WHERE x."community_id" = ? AND x."status" = ? AND p."status" <> \'done\' '
                 'ORDER BY x."created_at", x."id" LIMIT 50', [community_id, "open"])]
    orphans = [(str(slug), str(title)) for slug, title in await fetch(
        'SELECT p."slug", p."title" FROM "project" p WHERE p."community_id" = ? AND p."status" <> \'done\' AND NOT EXISTS '
        '(SELECT 1 FROM "project_referent" r WHERE r."project_id" = p."id") ORDER BY p."title"', [community_id])]
    return Contributions(ideas, needs, orphans)
