"""Your data, of the members' contributions: the ideas you proposed, supported or decided, your skills, the needs you posted,
offered to help with, filled or received, the projects you offered to carry, the reasons you gave with ballots, the
decisions you recorded, your invitations and the one you came through."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from bot.core.sql import fetch, sql_for
from bot.services.ideas import recount as count_supports

# The tables these sections cover (mydata's "other" counts the rest).
TABLES = {"idea", "idea_support", "need", "need_offer", "need_reach", "skill", "skill_term", "referent_offer", "vote_reason",
          "poll_outcome", "poll_hidden", "invitation", "invitation_arrival"}


def _iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, (datetime, date)) else value


async def _rows(query: str, pid: int, keys: tuple[str, ...], times: int = 1) -> list[dict]:
    return [{k: _iso(v) for k, v in zip(keys, row)} for row in await fetch(query, [pid] * times)]


async def export(pid: int) -> dict:
    """The sections of the export, each saying in its keys what it holds."""
    idea = 'c."slug" || \'#\' || CAST(i."number" AS TEXT)'
    need = 'c."slug" || \'#\' || CAST(n."number" AS TEXT)'
    poll = 'c."slug" || \'#\' || CAST(v."number" AS TEXT)'
    skill = await fetch('SELECT "text", "updated_at" FROM "skill" WHERE "person_id" = ?', [pid])
    stems = [str(r[0]) for r in await fetch('SELECT "term" FROM "skill_term" WHERE "person_id" = ? ORDER BY "id"', [pid])]
    reached = await fetch('SELECT COUNT(*), MAX("at") FROM "need_reach" WHERE "person_id" = ?', [pid])
    return {
        "ideas_proposed": await _rows(f'SELECT {idea}, i."title", i."summary", i."status", i."supporters", i."created_at" FROM "idea" i '
                                      f'JOIN "community" c ON c."id" = i."community_id" WHERE i."author_id" = ? ORDER BY i."id"', pid,
                                      ("idea", "title", "summary", "status", "supports", "proposed_at")),
        "ideas_supported": await _rows(f'SELECT {idea}, i."title", s."at" FROM "idea_support" s JOIN "idea" i ON i."id" = s."idea_id" '
                                       f'JOIN "community" c ON c."id" = i."community_id" WHERE s."person_id" = ? ORDER BY s."id"', pid,
                                       ("idea", "title", "supported_at")),
        "ideas_decided": await _rows(f'SELECT {idea}, i."status", i."decided_at" FROM "idea" i JOIN "community" c ON c."id" = i."community_id" '
                                     f'WHERE i."decided_by_id" = ? ORDER BY i."id"', pid, ("idea", "decision", "decided_at")),
        "skills": {"as_written": skill[0][0], "updated_at": _iso(skill[0][1]), "stems_matched_on": stems} if skill else None,
        "needs_posted": await _rows(f'SELECT {need}, p."slug", n."text", n."due", n."status", n."created_at" FROM "need" n '
                                    f'JOIN "community" c ON c."id" = n."community_id" JOIN "project" p ON p."id" = n."project_id" '
                                    f'WHERE n."author_id" = ? ORDER BY n."id"', pid, ("need", "project", "text", "due", "status", "posted_at")),
        "needs_you_filled": await _rows(f'SELECT {need}, n."text", n."filled_at" FROM "need" n JOIN "community" c ON c."id" = n."community_id" '
                                        f'WHERE n."helper_id" = ? ORDER BY n."id"', pid, ("need", "text", "filled_at")),
        "help_offered": await _rows(f'SELECT {need}, n."text", o."text", o."at" FROM "need_offer" o JOIN "need" n ON n."id" = o."need_id" '
                                    f'JOIN "community" c ON c."id" = n."community_id" WHERE o."person_id" = ? ORDER BY o."id"', pid,
                                    ("need", "need_text", "what_you_said", "at")),
        "needs_sent_to_you": {"count": int(reached[0][0]), "last_at": _iso(reached[0][1])},
        "referent_offers": await _rows('SELECT p."slug", o."at" FROM "referent_offer" o JOIN "project" p ON p."id" = o."project_id" '
                                       'WHERE o."person_id" = ? ORDER BY o."id"', pid, ("project", "offered_at")),
        "vote_reasons": await _rows(f'SELECT {poll}, r."text", r."at" FROM "vote_reason" r JOIN "vote_poll" v ON v."id" = r."poll_id" '
                                    f'JOIN "community" c ON c."id" = v."community_id" WHERE r."person_id" = ? ORDER BY r."id"', pid,
                                    ("poll", "reason", "at")),
        "poll_decisions_recorded": await _rows(f'SELECT {poll}, o."text", o."review_on", o."at" FROM "poll_outcome" o JOIN "vote_poll" v '
                                               f'ON v."id" = o."poll_id" JOIN "community" c ON c."id" = v."community_id" '
                                               f'WHERE o."by_id" = ? ORDER BY o."id"', pid, ("poll", "decision", "review_on", "at")),
        "polls_hidden": await _rows(f'SELECT {poll}, h."at" FROM "poll_hidden" h JOIN "vote_poll" v ON v."id" = h."poll_id" '
                                    f'JOIN "community" c ON c."id" = v."community_id" WHERE h."by_id" = ? ORDER BY h."id"', pid, ("poll", "at")),
        "invitations": await _rows('SELECT c."slug", p."slug", i."code", i."visits", (SELECT COUNT(*) FROM "invitation_arrival" a '
                                   'WHERE a."invitation_id" = i."id"), i."created_at" FROM "invitation" i JOIN "community" c ON '
                                   'c."id" = i."community_id" LEFT JOIN "project" p ON p."id" = i."project_id" WHERE i."person_id" = ? '
                                   'ORDER BY i."id"', pid, ("community", "project", "code", "link_opened", "people_who_came", "created_at")),
        "came_through_an_invitation": await _rows('SELECT c."slug", p."slug", a."at" FROM "invitation_arrival" a JOIN "invitation" i '
                                                  'ON i."id" = a."invitation_id" JOIN "community" c ON c."id" = i."community_id" '
                                                  'LEFT JOIN "project" p ON p."id" = i."project_id" WHERE a."person_id" = ? ORDER BY a."id"',
                                                  pid, ("community", "project", "at")),
    }


async def supported(tx, pid: int) -> list[int]:
    """The ideas the person supports (counted again once their supports are erased)."""
    rows = await tx.execute_query_dict(sql_for('SELECT "idea_id" FROM "idea_support" WHERE "person_id" = ?', tx.capabilities.dialect), [pid])
    return [int(r["idea_id"]) for r in rows]


async def recount(tx, ideas: list[int]) -> None:
    for idea_id in ideas:
        await count_supports(tx, idea_id)


async def indexed(pid: int) -> list[tuple[str, int]]:
    """The searchable items that show the person's name (ideas proposed, needs posted): indexed again once they are erased."""
    ideas = [("idea", int(r[0])) for r in await fetch('SELECT "id" FROM "idea" WHERE "author_id" = ?', [pid])]
    return ideas + [("need", int(r[0])) for r in await fetch('SELECT "id" FROM "need" WHERE "author_id" = ?', [pid])]
