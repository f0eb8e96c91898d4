"""Migration 15 (ballots) on a database that already holds votes, on SQLite and on PostgreSQL: the open polls keep
counting their ballots (an open secret poll's move to its box, then under keys made with RELAIS_SECRET_KEY at its next
vote), a closed secret poll's ballots lose their voter and time, the electors of the open polls are their members."""

from __future__ import annotations

import importlib
import json
from datetime import timedelta

import pytest
from tortoise import connections

from bot.core.sql import sql_for
from bot.services.votes_secret import legacy_key
from models import Account, Ballot, BallotBox, PollElector, PollVoter, VotePoll
from tests.conftest import Dialog, make_app

KEY = "a test key that is not in the database"
SALT = "a legacy salt stored beside its poll"
migration = importlib.import_module("models.migrations.models.15_ballots")


@pytest.fixture(params=["sqlite", "postgres"])
async def keyed(request, tmp_path, clock):
    app = await make_app(request.param, tmp_path, clock, secret_key=KEY)
    yield app
    await app.stop()


async def run(conn, sql: str, params: list) -> None:
    await conn.execute_query(sql_for(sql, conn.capabilities.dialect), params)


async def test_votes_stored_before_the_migration_keep_counting(keyed, clock):
    app = keyed
    conn = connections.get("default")
    ana = (await Account.get(platform="console", address="ana")).person_id
    jules = (await Account.get(platform="console", address="jules")).person_id
    community = (await app.services.people.community("usine-vivante")).id
    await conn.execute_script(await migration.downgrade(conn))  # the schema as it was before 15_ballots
    now, before = clock(), clock() - timedelta(days=2, hours=5)
    poll = ('INSERT INTO "vote_poll" ("id", "community_id", "number", "question", "kind", "options", "secret", "hidden", "salt", '
            '"for_meeting", "posted_in", "created_at", "closed_at", "results") VALUES (?, ?, ?, ?, \'single\', ?::json, ?, FALSE, ?, FALSE, '
            '\'\', ?, ?, ?::json)')
    options = json.dumps(["Yes", "No"])
    await run(conn, poll, [101, community, 1, "Public?", options, False, "", before, None, None])
    await run(conn, poll, [102, community, 2, "Secret?", options, True, SALT, before, None, None])
    await run(conn, poll, [103, community, 3, "Closed?", options, True, "", before, now, json.dumps({"voters": 3, "counts": [2, 1]})])
    ballot = 'INSERT INTO "ballot" ("poll_id", "voter", "choice", "cast_at") VALUES (?, ?, ?::json, ?)'
    voter = 'INSERT INTO "poll_voter" ("poll_id", "person_id", "platform", "at") VALUES (?, ?, \'console\', ?)'
    for poll_id, person, choice in ((101, ana, [1]), (101, jules, [2]), (102, ana, [2]), (102, jules, [1]), (103, ana, [1]),
                                    (103, jules, [2])):
        key = legacy_key(SALT, person) if poll_id == 102 else f"p{person}" if poll_id == 101 else f"k{person}"
        await run(conn, ballot, [poll_id, key, json.dumps(choice), before])
        await run(conn, voter, [poll_id, person, before])
    await run(conn, ballot, [103, "k-erased", json.dumps([1]), before])

    await conn.execute_script(await migration.upgrade(conn))

    votes = app.services.votes
    public, secret, closed = [await VotePoll.get(id=i) for i in (101, 102, 103)]
    assert (await votes.tally(public)).counts == [1, 1] and (await votes.tally(secret)).counts == [1, 1]
    assert (await BallotBox.get(poll_id=secret.id)).ballots == {legacy_key(SALT, ana): [2], legacy_key(SALT, jules): [1]}
    assert not await Ballot.filter(poll_id=secret.id).exists()
    old = await Ballot.filter(poll_id=closed.id)
    assert len(old) == 3 and {(b.voter, b.cast_at) for b in old} == {(None, None)}
    assert sorted(json.dumps(b.choice) for b in old) == ["[1]", "[1]", "[2]"]
    assert (await votes.tally(closed)).counts == [2, 1]  # kept as counted
    assert await PollElector.filter(poll_id=public.id).count() == 6 == await PollElector.filter(poll_id=secret.id).count()
    assert not await PollElector.filter(poll_id=closed.id).exists()
    days = {v.at for v in await PollVoter.filter(poll_id__in=[secret.id, closed.id])}
    assert len(days) == 1 and (next(iter(days)).hour, next(iter(days)).minute) == (0, 0)  # a secret vote's day, not its time

    # The next vote on the open secret poll moves its ballots under keys made with RELAIS_SECRET_KEY; the salt is erased.
    await Dialog(app, "ana", locale="en").check(("lang en", "English"), ("vote 2 1", "Your ballot on poll #2 is replaced."))
    secret = await VotePoll.get(id=102)
    assert secret.salt == "" and secret.key_check == votes.keys.check()
    assert (await BallotBox.get(poll_id=secret.id)).ballots == {votes.keys.of(secret.id, ana): [1], votes.keys.of(secret.id, jules): [1]}
    await Dialog(app, "jules", locale="en").check(("lang en", "English"), ("vote 1 1", "Ballot replaced on poll #1"))
    assert (await votes.tally(public)).counts == [2, 0]
    assert (await votes.close(secret)).counts == [2, 0]
