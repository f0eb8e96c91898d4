"""Relais in end-to-end encrypted Matrix rooms against a real Synapse, members' clients with encryption on as Element's
are (matrix-nio with its own crypto): commands, choices, reactions, direct chats, files, native polls, a `kill -9`, a new
device of a member asking for keys, and several processes."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest
from nio import DownloadResponse, MegolmEvent, RoomGetStateEventResponse, ToDeviceResponse
from nio.crypto import decrypt_attachment

from bot.adapters.console import ConsoleChat
from bot.adapters.matrix.polls import POLL_START
from models import Account, Ballot, Community, Follow, MatrixKeys, NativePoll, Project, Role, VotePoll
from tests.adapters.matrix_helpers import PASSWORD, Member, Relais, body, until
from tests.conftest import database_url
from tests.test_cli import ROOT, env_for

SECRET = "a-test-secret-that-is-long-enough-0123456789"
KEYCAP_1 = "1\ufe0f\u20e3"


@pytest.fixture
async def members(synapse, tmp_path):
    made: list[Member] = []

    async def make(prefix: str, user=None) -> Member:
        member = await Member.encrypted(synapse, prefix, tmp_path / "clients" / f"{prefix}{len(made)}", user)
        made.append(member)
        return member
    yield make
    for member in made:
        await member.close()


def encrypted_from(member: Member, room: str, sender: str) -> list[dict]:
    """What `sender` wrote in the room as `member`'s device decrypted it (nothing came in clear)."""
    return [e for e in member.find(room, lambda e: e.get("sender") == sender and e.get("type") != "m.room.member")
            if e["event_id"] in member.decrypted]


async def encryption_of(member: Member, room: str) -> str | None:
    state = await member.client.room_get_state_event(room, "m.room.encryption")
    return state.content.get("algorithm") if isinstance(state, RoomGetStateEventResponse) else None


async def joined(member: Member, room: str, *user_ids: str) -> None:
    for user_id in user_ids:
        await member.wait(lambda user_id=user_id: member.membership(room, user_id) == "join", what=f"{user_id} joining")


async def test_a_command_in_an_encrypted_room_is_answered_and_read_by_another_members_device(members, synapse, tmp_path):
    fac, bob = await members("fac"), await members("bob")
    async with await Relais.new(synapse, tmp_path, secret=SECRET) as relais:
        await relais.grant(fac.user_id, Role.FACILITATOR)
        room = await fac.create_room(invite=[relais.user_id, bob.user_id], encrypted=True)
        await bob.client.join(room)
        await joined(fac, room, relais.user_id, bob.user_id)

        asked = await fac.say(room, "!lier usine-vivante")
        reply = await bob.reply_to(room, asked, relais.user_id)  # bob's own device decrypts Relais' answer to fac
        assert "Tiers-lieu de l'Usine Vivante" in body(reply)
        assert reply["event_id"] in bob.decrypted and asked in bob.decrypted
        assert reply["content"]["format"] == "org.matrix.custom.html" and "<" in reply["content"]["formatted_body"]

        asked = await bob.say(room, "!suivre conciergerie-rurale")
        prompt = await bob.reply_to(room, asked, relais.user_id)
        assert "Vous suivez désormais Conciergerie rurale." in body(prompt) and f"{KEYCAP_1} Annuler" in body(prompt)
        await bob.react(room, prompt["event_id"], KEYCAP_1)  # an encrypted reaction, as Element sends it
        undone = await bob.wait(lambda: [e for e in bob.replies(room, prompt["event_id"], relais.user_id)
                                          if "ne suivez plus" in body(e)], what="the reaction's answer")
        assert undone[0]["event_id"] in bob.decrypted
        asked = await bob.say(room, "1")  # the number answers the last choices: Undo again
        assert "Vous suivez désormais Conciergerie rurale." in body(await bob.reply_to(room, asked, relais.user_id))

        said = [e for e in bob.find(room, lambda e: e.get("sender") == relais.user_id and e.get("type") == "m.room.message")]
        assert len(said) >= 4 and all(e["event_id"] in bob.decrypted for e in said)  # nothing of Relais' in clear
        assert relais.adapter.crypto.enabled and relais.adapter.parked == 0


async def test_element_style_encrypted_direct_chat_from_the_first_message(members, synapse, tmp_path):
    jules = await members("jules")
    async with await Relais.new(synapse, tmp_path, secret=SECRET) as relais:
        await relais.grant(jules.user_id, Role.MEMBER)
        dm = await jules.create_room(invite=[relais.user_id], direct=True, encrypted=True)
        await joined(jules, dm, relais.user_id)
        asked = await jules.say(dm, "suivre dombes-brasserie")  # the very first message, encrypted, no prefix
        reply = await jules.reply_to(dm, asked, relais.user_id)
        assert "Vous suivez désormais Brasserie de la Dombes." in body(reply) and reply["event_id"] in jules.decrypted
        greeting = encrypted_from(jules, dm, relais.user_id)
        assert any("Je suis Relais" in body(e) for e in greeting)


async def test_direct_chats_relais_opens_are_encrypted_unless_the_community_says_no(members, synapse, tmp_path):
    obs, later = await members("obs"), await members("later")
    async with await Relais.new(synapse, tmp_path, secret=SECRET) as relais:
        brasserie = await Project.get(slug="dombes-brasserie")
        for member in (obs, later):
            await relais.grant(member.user_id, Role.MEMBER)
        follow = relais.app.services.people.account
        await Follow.create(person=(await follow("matrix", obs.user_id)).person, project=brasserie)
        camille = ConsoleChat(relais.app.console, "camille")
        assert "Nouvelle publiée" in await camille.exchange("nouvelle dombes-brasserie Brassage public le 12 décembre")

        invite = await obs.wait(lambda: obs.invites, what="the direct chat invitation")
        dm = next(iter(invite))
        await obs.client.join(dm)
        assert await encryption_of(obs, dm) == "m.megolm.v1.aes-sha2"  # encrypted from its creation
        news = await obs.wait(lambda: [e for e in encrypted_from(obs, dm, relais.user_id) if "Brassage public" in body(e)],
                              what="the news, decrypted")
        assert "Brasserie de la Dombes" in body(news[0])
        asked = await obs.say(dm, "2")  # "Stop following", the news' second choice, answered in the encrypted chat
        assert "Vous ne suivez plus Brasserie de la Dombes." in body(await obs.reply_to(dm, asked, relais.user_id))

        me = ConsoleChat(relais.app.console, "me")  # the demo's facilitator
        said = await me.exchange("matrix chiffrement non")
        assert "ne sont pas chiffrées" in said and "Annuler" in said
        assert not (await Community.get(slug="usine-vivante")).matrix_encryption
        await Follow.create(person=(await follow("matrix", later.user_id)).person, project=brasserie)
        assert "Nouvelle publiée" in await camille.exchange("nouvelle dombes-brasserie Brassin de Noël le 19 décembre")
        invite = await later.wait(lambda: later.invites, what="the direct chat invitation")
        plain = next(iter(invite))
        await later.client.join(plain)
        assert await encryption_of(later, plain) is None
        [news] = await later.wait(lambda: [e for e in later.notices(plain, relais.user_id) if "Brassin de Noël" in body(e)],
                                  what="the news in clear")
        assert news["event_id"] not in later.decrypted
        assert "sont chiffrées" in await me.exchange("matrix chiffrement oui")


async def test_an_encrypted_file_and_a_native_poll_counted_in_an_encrypted_room(members, synapse, tmp_path):
    fac, voter = await members("fac"), await members("voter")
    async with await Relais.new(synapse, tmp_path, secret=SECRET) as relais:
        await relais.grant(fac.user_id, Role.FACILITATOR)
        room = await fac.create_room(invite=[relais.user_id, voter.user_id], encrypted=True)
        await voter.client.join(room)
        await joined(fac, room, relais.user_id, voter.user_id)
        asked = await fac.say(room, "!lier usine-vivante")
        await fac.reply_to(room, asked, relais.user_id)
        ana = await Account.get(platform="console", address="ana")
        await Account.create(person_id=ana.person_id, platform="matrix", address=voter.user_id)
        relais.app.services.people.changed()

        await fac.say(room, "!suivi csv")
        [sheet] = await voter.wait(lambda: [e for e in encrypted_from(voter, room, relais.user_id)
                                            if e["content"].get("msgtype") == "m.file"], what="the sheet")
        content = sheet["content"]
        assert "url" not in content and content["file"]["url"].startswith("mxc://")  # the file itself is encrypted
        server, media = content["file"]["url"][len("mxc://"):].split("/", 1)
        resp = await voter.client.download(server_name=server, media_id=media)
        assert isinstance(resp, DownloadResponse), resp
        plain = decrypt_attachment(resp.body, content["file"]["key"]["k"], content["file"]["hashes"]["sha256"],
                                   content["file"]["iv"])
        assert b"Brasserie de la Dombes" in plain and b"Brasserie de la Dombes" not in resp.body

        await fac.say(room, '!poll "Quel nom ?" "Relais" "Passerelle"')
        [start] = await voter.wait(lambda: [e for e in encrypted_from(voter, room, relais.user_id)
                                            if e.get("type") == POLL_START], what="the poll, decrypted")
        [row] = await until(lambda: NativePoll.filter(native_id=start["event_id"]), "the poll's row")
        vote_poll = await VotePoll.get(id=row.poll_id)
        await voter.answer_poll(room, start["event_id"], ["2"])  # encrypted, as Element sends it
        found = await until(lambda: Ballot.filter(poll_id=vote_poll.id).all(), "the ballot")
        assert [(b.voter, b.choice) for b in found] == [(f"p{ana.person_id}", [2])]


def run_relais(data: Path, database: str, matrix: dict) -> subprocess.Popen:
    env = env_for(data, RELAIS_DATABASE_URL=database, RELAIS_SECRET_KEY=SECRET, RELAIS_MAIL_LISTEN="", RELAIS_WEB_LISTEN="",
                  RELAIS_DELIVERY_INTERVAL="0.2", **matrix)
    with open(data / "stderr.log", "a") as err:
        return subprocess.Popen([sys.executable, "-m", "bot", "run"], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=err, cwd=ROOT, env=env)


async def test_killed_with_sigkill_mid_conversation_relais_still_reads_the_room(members, synapse, tmp_path):
    ana = await members("ana")
    bot = await synapse.register(synapse.fresh_localpart("relais"), PASSWORD)
    data = tmp_path / "relais"
    data.mkdir()
    database = database_url("sqlite", data)
    matrix = {"RELAIS_MATRIX_HOMESERVER": synapse.base_url, "RELAIS_MATRIX_USER_ID": bot.user_id,
              "RELAIS_MATRIX_PASSWORD": PASSWORD, "RELAIS_MATRIX_INVITE_ALLOW": ana.user_id}
    proc = run_relais(data, database, matrix)
    try:
        room = await ana.create_room(invite=[bot.user_id], encrypted=True)
        await ana.wait(lambda: ana.membership(room, bot.user_id) == "join", timeout=60, what="Relais joining")
        first = await ana.say(room, "!moi")
        assert "matrix:" + ana.user_id in body(await ana.reply_to(room, first, bot.user_id, timeout=30))

        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        second = await ana.say(room, "!aide")  # encrypted with the same room key, while Relais is down
        proc = run_relais(data, database, matrix)
        reply = await ana.reply_to(room, second, bot.user_id, timeout=60)
        assert "Voici ce que je sais faire" in body(reply) and reply["event_id"] in ana.decrypted
        third = await ana.say(room, "!moi")
        assert "matrix:" + ana.user_id in body(await ana.reply_to(room, third, bot.user_id, timeout=30))
        log = (data / "stderr.log").read_text()
        assert "not decrypted" not in log and "keys of the kept device lost" not in log
    finally:
        proc.terminate()
        assert proc.wait(timeout=30) == 0


async def test_a_members_new_device_gets_the_keys_it_asks_for(members, synapse, tmp_path):
    ana = await members("ana")
    async with await Relais.new(synapse, tmp_path, secret=SECRET) as relais:
        await relais.grant(ana.user_id, Role.FACILITATOR)  # a facilitator brings Relais into a room
        room = await ana.create_room(invite=[relais.user_id], encrypted=True)
        await joined(ana, room, relais.user_id)
        asked = await ana.say(room, "!moi")
        reply = await ana.reply_to(room, asked, relais.user_id)

        phone = await synapse.login(ana.user_id, PASSWORD)  # a new device of ana's, born after Relais' answer
        second = await members("ana-phone", user=phone)
        await second.wait(lambda: [e for e in second.undecrypted if e.event_id == reply["event_id"]], what="the old answer")
        old = next(e for e in second.undecrypted if e.event_id == reply["event_id"])
        assert isinstance(old, MegolmEvent)
        # nio takes forwarded keys from its own user's devices only; Element (matrix-rust-sdk) also takes a session's key
        # from the very device that made the session, which is what Relais sends: the test device is given that rule.
        olm, accept = second.client.olm, second.client.olm._should_accept_forward
        olm._should_accept_forward = lambda sender, key, event: (key == old.sender_key and event.session_id in olm.outgoing_key_requests) \
            or accept(sender, key, event)
        # What Element does for a message it cannot read: a key request to the user's own devices (nio's request_room_key,
        # which also makes the device accept the forwarded key) and to the sender's devices.
        await second.client.request_room_key(old)
        resp = await second.client.to_device(old.as_key_request(relais.user_id, second.device_id))
        assert isinstance(resp, ToDeviceResponse), resp
        await until(lambda: relais.adapter.crypto.shared >= 1, "the key shared", timeout=30)

        async def readable():
            await second.sync(300)
            try:
                return second.client.decrypt_event(old)
            except Exception:
                return None
        decrypted = await until(readable, "the old answer decrypted", timeout=30)
        assert "matrix:" + ana.user_id in decrypted.body
        assert relais.adapter.crypto.shared == 1


async def test_the_keys_are_copied_encrypted_to_the_database_and_a_lost_store_is_taken_up(members, synapse, tmp_path):
    ana = await members("ana")
    relais = await Relais.new(synapse, tmp_path, invite_allow="", secret=SECRET)
    async with relais:
        await relais.grant(ana.user_id, Role.FACILITATOR)
        room = await ana.create_room(invite=[relais.user_id], encrypted=True)
        await joined(ana, room, relais.user_id)
        asked = await ana.say(room, "!moi")
        await ana.reply_to(room, asked, relais.user_id)
        device = relais.adapter.client.device_id
    row = await MatrixKeys.get(user_id=relais.user_id, device_id=device)  # the copy written at stop
    assert b"SQLite format" not in row.data.encode() and len(row.data) > 1000

    store = tmp_path / "matrix-store"
    for path in store.iterdir():  # the volume is lost: only the database is left
        path.unlink()
    asked = await ana.say(room, "!aide")  # the same room key, while Relais is away
    await relais.start()
    try:
        assert relais.adapter.client.device_id == device  # the same device, its keys taken up from the copy
        reply = await ana.reply_to(room, asked, relais.user_id)
        assert "Voici ce que je sais faire" in body(reply)
    finally:
        await relais.stop()


async def test_encryption_off_leaves_encrypted_rooms_with_a_notice(members, synapse, tmp_path):
    ana = await members("ana")
    async with await Relais.new(synapse, tmp_path, invite_allow=ana.user_id, encryption=False) as relais:
        assert not relais.adapter.crypto.enabled
        secret = await ana.create_room(invite=[relais.user_id], encrypted=True)
        await ana.wait(lambda: ana.membership(secret, relais.user_id) == "leave", what="Relais leaving")
        assert "chiffré" in body(ana.notices(secret, relais.user_id)[0])



async def test_with_trust_listed_only_the_listed_devices_get_the_room_keys(members, synapse, tmp_path):
    fac, bob = await members("fac"), await members("bob")
    async with await Relais.new(synapse, tmp_path, secret=SECRET, trust="listed",
                                trusted_devices=f"{fac.user_id}/{fac.device_id}") as relais:
        await relais.grant(fac.user_id, Role.FACILITATOR)
        room = await fac.create_room(invite=[relais.user_id, bob.user_id], encrypted=True)
        await bob.client.join(room)
        await joined(fac, room, relais.user_id, bob.user_id)
        asked = await fac.say(room, "!aide")
        reply = await fac.reply_to(room, asked, relais.user_id)
        assert reply["event_id"] in fac.decrypted and "Voici ce que je sais faire" in body(reply)
        await bob.wait(lambda: [e for e in bob.undecrypted if e.event_id == reply["event_id"]], what="the answer, unreadable")
        assert reply["event_id"] not in bob.decrypted  # bob's device is not listed: no room key for it
