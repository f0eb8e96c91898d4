"""Two `relais run` processes on one PostgreSQL database and a real Synapse: one syncs; killed with SIGKILL, the
other takes the sync over within RELAIS_FAILOVER_S from the stored token, and each command is answered once."""

from __future__ import annotations

import os
import time

import pytest

from tests.adapters.matrix_helpers import PASSWORD, Member, body
from tests.test_processes import FAILOVER, Database, logged, service, stop_all


@pytest.fixture
async def ana(synapse):
    member = await Member.new(synapse, "ana")
    yield member
    await member.close()


async def test_one_process_syncs_and_a_killed_syncer_is_replaced_without_replay(tmp_path, synapse, ana):
    db = Database(f"relais_pm{os.getpid()}")
    await db.reset(tmp_path)
    bot = await synapse.register(synapse.fresh_localpart("relais"), PASSWORD)
    matrix = {"RELAIS_MATRIX_HOMESERVER": synapse.base_url, "RELAIS_MATRIX_USER_ID": bot.user_id,
              "RELAIS_MATRIX_PASSWORD": PASSWORD, "RELAIS_MATRIX_INVITE_ALLOW": ana.user_id}
    procs = {proc.pid: proc for proc in (service(tmp_path, f"m{n}", db.url, **matrix) for n in range(2))}
    try:
        syncing, pid, _ = await db.holder("matrix")
        room = await ana.create_room(invite=[bot.user_id])
        await ana.wait(lambda: ana.membership(room, bot.user_id) == "join", timeout=60, what="Relais joining")
        first = await ana.say(room, "!moi")
        await ana.reply_to(room, first, bot.user_id, timeout=30)

        procs.pop(pid).kill()
        second = await ana.say(room, "!suivis")  # while nobody syncs
        _, _, took = await db.holder("matrix", other_than=syncing)
        assert took < FAILOVER, f"the sync was taken over after {took:.1f} s"
        await ana.reply_to(room, second, bot.user_id, timeout=30)
        third = await ana.say(room, "!moi")
        await ana.reply_to(room, third, bot.user_id, timeout=30)
        await ana.sync(1000)
        for asked in (first, second, third):
            assert len(ana.replies(room, asked, bot.user_id)) == 1
        pending = await db.rows("SELECT count(*) AS n FROM inbound_event WHERE status <> 'done'")
        assert pending[0]["n"] == 0
    finally:
        codes = stop_all(list(procs.values()))
        await db.drop()
    assert codes == [0]
    assert sum(logged(tmp_path, name, "role taken", role="matrix") for name in ("m0", "m1")) == 2


async def test_with_encryption_the_role_holder_serves_matrix_and_the_next_takes_its_keys_from_the_database(tmp_path, synapse):
    """Encrypted rooms with two processes: the holder of the Matrix role holds the keys, answers and delivers; killed
    with SIGKILL, the other takes the role and the keys' copy (encrypted with RELAIS_SECRET_KEY) and reads the room."""
    ana = await Member.encrypted(synapse, "ana", tmp_path / "ana-client")
    db = Database(f"relais_pe{os.getpid()}")
    await db.reset(tmp_path)
    bot = await synapse.register(synapse.fresh_localpart("relais"), PASSWORD)
    matrix = {"RELAIS_MATRIX_HOMESERVER": synapse.base_url, "RELAIS_MATRIX_USER_ID": bot.user_id,
              "RELAIS_MATRIX_PASSWORD": PASSWORD, "RELAIS_MATRIX_INVITE_ALLOW": ana.user_id,
              "RELAIS_SECRET_KEY": "a-test-secret-that-is-long-enough-0123456789"}
    procs = {proc.pid: proc for proc in (service(tmp_path, f"e{n}", db.url, **matrix) for n in range(2))}
    try:
        holding, pid, _ = await db.holder("matrix")
        room = await ana.create_room(invite=[bot.user_id], encrypted=True)
        await ana.wait(lambda: ana.membership(room, bot.user_id) == "join", timeout=60, what="Relais joining")
        said = time.time()  # ana's room key goes out with her first message
        first = await ana.say(room, "!moi")
        answer = await ana.reply_to(room, first, bot.user_id, timeout=30)
        assert answer["event_id"] in ana.decrypted

        async def copied_after_the_key() -> bool:  # the holder's keys, ana's room key among them, in the database
            rows = await db.rows("SELECT saved_at FROM matrix_keys")
            return bool(rows) and rows[0]["saved_at"].timestamp() > said
        for _ in range(200):
            if await copied_after_the_key():
                break
            await ana.sync(100)
        assert await copied_after_the_key(), "no copy of the keys after ana's room key came"

        procs.pop(pid).kill()
        second = await ana.say(room, "!aide")  # the same room key, while nobody holds the role
        _, _, took = await db.holder("matrix", other_than=holding)
        assert took < FAILOVER * 5, f"the role was taken over after {took:.1f} s"
        reply = await ana.reply_to(room, second, bot.user_id, timeout=30)
        assert "Voici ce que je sais faire" in body(reply) and reply["event_id"] in ana.decrypted
        for asked in (first, second):
            assert len(ana.replies(room, asked, bot.user_id)) == 1
    finally:
        codes = stop_all(list(procs.values()))
        await db.drop()
        await ana.close()
    assert codes == [0]
    assert sum(logged(tmp_path, name, "matrix keys restored from the database") for name in ("e0", "e1")) == 1
