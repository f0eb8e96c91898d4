"""Fuzzing the core: generated command lines (every command of the registry, its names in both languages, well-formed and
hostile arguments) from a facilitator, a referent, a member and a stranger, on SQLite and PostgreSQL. Whatever the line:
no internal error, no exception, nothing stored by a refused command, and nobody's role changed by someone without the
right to change it."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bot.core.sql import fetch
from models import Membership, Role
from tests.conftest import Dialog
from tests.fuzz.strategies import LINES

ACTORS = ["me", "camille", "ana", "stranger"]  # facilitator, referent, member, first contact
# What a refused command must not change (first contact makes a person, an error offers choices: those may grow).
BUSINESS = ["community", "project", "project_referent", "follow", "news_item", "next_step", "comment", "comment_block",
            "vote_poll", "ballot", "ballot_box", "poll_voter", "event", "event_answer", "campaign", "promise",
            "digest_subscription", "chat_binding", "agenda_settings", "digest_schedule"]
INTERNAL = ("Something went wrong", "Quelque chose s'est mal passé")


async def counts() -> dict[str, int]:
    out = {}
    for table in BUSINESS:
        rows = await fetch(f'SELECT COUNT(*) FROM "{table}"', [])
        out[table] = int(rows[0][0])
    return out


async def roles() -> set[tuple[int, int, int]]:
    return {(m.person_id, m.community_id, int(m.role)) for m in await Membership.all()}


@given(line=LINES, actor=st.sampled_from(ACTORS))
async def test_any_line_from_anyone_is_answered_without_an_internal_error(any_app, line, actor):
    dialog = Dialog(any_app, actor)
    before, before_roles = await counts(), await roles()
    me = await any_app.services.people.account("console", actor)
    staff = any((m.role >= Role.FACILITATOR) for m in await Membership.filter(person_id=me.person_id))
    text = await dialog.say(line)  # the console's rendering: an error starts with ⚠️
    assert not any(marker in text for marker in INTERNAL), (line, text)
    if text.startswith("⚠️"):
        assert await counts() == before, f"a refused line changed something: {line!r}"
    if not staff:  # only a facilitator changes roles; a person may change their own membership (join, leave)
        changed = (await roles()) ^ before_roles
        assert {pid for pid, _, _ in changed} <= {me.person_id}, f"{actor} changed someone's role with {line!r}"
