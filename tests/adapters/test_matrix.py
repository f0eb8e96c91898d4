"""Relais' Matrix channel against a real Synapse: members drive it with matrix-nio as Element would."""

from __future__ import annotations

import asyncio
import json

import pytest
from nio import RoomPutStateResponse

from bot.adapters.console import ConsoleChat
from models import AdapterState, Community, Follow, InboundEvent, InboundStatus, Project, Role
from models.matrix import MatrixDirect
from tests.adapters.matrix_helpers import Member, Relais, body, until
from tests.conftest import database_url


async def room_with_relais(member: Member, relais: Relais, **create) -> str:
    room = await member.create_room(invite=[relais.user_id], **create)
    await member.wait(lambda: member.membership(room, relais.user_id) == "join", what="Relais joining")
    return room


async def test_room_command_is_answered_as_a_reply_and_history_is_ignored(people, relais_on):
    ana = await people("ana")
    async with await relais_on(invite_allow=ana.user_id) as relais:
        room = await ana.create_room()
        before = await ana.say(room, "!aide")  # said before Relais was in the room: history, not for it
        await ana.client.room_invite(room, relais.user_id)
        await ana.wait(lambda: ana.notices(room, relais.user_id), what="welcome")
        assert "!lier" in body(ana.notices(room, relais.user_id)[0])

        asked = await ana.say(room, "!aide")
        content = (await ana.reply_to(room, asked, relais.user_id))["content"]
        assert content["msgtype"] == "m.notice"
        assert "Voici ce que je sais faire" in content["body"]
        assert content["format"] == "org.matrix.custom.html" and "<p>" in content["formatted_body"]
        assert content["m.mentions"] == {"user_ids": [ana.user_id]}

        await ana.say(room, "bonjour tout le monde")  # chatter without prefix or mention: silence
        asked = await ana.say(room, "!moi")
        assert "matrix:" + ana.user_id in body(await ana.reply_to(room, asked, relais.user_id))
        await relais.adapter.idle()
        await ana.sync(300)
        assert ana.replies(room, before, relais.user_id) == []
        assert len(ana.notices(room, relais.user_id)) == 3  # welcome, help, me: nothing for the chatter or history
        assert await InboundEvent.filter(platform="matrix").count() == 3  # the invitation and two commands, no chatter


async def test_access_token_instead_of_a_password(people, relais_on):
    ana = await people("ana")
    async with await relais_on(invite_allow=ana.user_id, token=True) as relais:
        assert relais.adapter.client.device_id == relais.registered.device_id
        room = await room_with_relais(ana, relais)
        asked = await ana.say(room, "!moi")
        assert "matrix:" + ana.user_id in body(await ana.reply_to(room, asked, relais.user_id))


async def test_facilitator_binds_a_room_members_mention_and_answer_choices_by_reaction_or_number(people, relais_on):
    fac, ana = await people("fac"), await people("ana")
    async with await relais_on() as relais:  # nobody listed: the facilitator's own role lets the invitation in
        await relais.grant(fac.user_id, Role.FACILITATOR)
        room = await room_with_relais(fac, relais)
        asked = await fac.say(room, "!lier usine-vivante")
        assert "Tiers-lieu de l'Usine Vivante" in body(await fac.reply_to(room, asked, relais.user_id))

        await fac.client.room_invite(room, ana.user_id)
        await ana.client.join(room)
        name = relais.adapter.names[-1] or relais.user_id
        asked = await ana.say(room, "projets", mention=(relais.user_id, name))
        reply = await ana.reply_to(room, asked, relais.user_id)
        assert "Brasserie de la Dombes" in body(reply) and "1\ufe0f\u20e3" in body(reply)

        asked = await ana.say(room, "!suivre conciergerie-rurale")
        prompt = await ana.reply_to(room, asked, relais.user_id)
        assert "Vous suivez désormais Conciergerie rurale." in body(prompt) and "1\ufe0f\u20e3 Annuler" in body(prompt)
        await ana.react(room, prompt["event_id"], "1\ufe0f\u20e3")
        undone = await ana.wait(lambda: [e for e in ana.replies(room, prompt["event_id"], relais.user_id)
                                          if "ne suivez plus" in body(e)], what="the reaction's answer")
        assert "Vous ne suivez plus Conciergerie rurale." in body(undone[0])

        asked = await ana.say(room, "1")  # the number answers the last choices Relais gave ana here: Undo again
        assert "Vous suivez désormais Conciergerie rurale." in body(await ana.reply_to(room, asked, relais.user_id))
        assert await Follow.filter(project__slug="conciergerie-rurale", person__accounts__address=ana.user_id).exists()


async def test_direct_chat_and_notifications_reach_the_direct_chat(people, relais_on):
    jules, obs = await people("jules"), await people("obs")
    async with await relais_on() as relais:
        await relais.grant(jules.user_id, Role.MEMBER)  # a member may open a direct chat without being listed
        await relais.grant(obs.user_id, Role.MEMBER)
        # These clients have no encryption: their community asked for plain direct chats (test_matrix_e2ee has the rest).
        await Community.filter(slug="usine-vivante").update(matrix_encryption=False)
        dm = await room_with_relais(jules, relais, direct=True)
        await jules.wait(lambda: jules.notices(dm, relais.user_id), what="greeting")
        assert "Je suis Relais" in body(jules.notices(dm, relais.user_id)[0])
        asked = await jules.say(dm, "suivre dombes-brasserie")  # no prefix needed in a direct chat
        reply = await jules.reply_to(dm, asked, relais.user_id)
        assert "Vous suivez désormais Brasserie de la Dombes." in body(reply)
        assert reply["content"]["m.mentions"] == {}

        brasserie = await Project.get(slug="dombes-brasserie")
        obs_person = (await relais.app.services.people.account("matrix", obs.user_id)).person
        await Follow.create(person=obs_person, project=brasserie)
        camille = ConsoleChat(relais.app.console, "camille")
        posted = await camille.exchange("nouvelle dombes-brasserie Brassage public le 12 décembre")
        assert "Nouvelle publiée pour Brasserie de la Dombes." in posted

        news = await jules.wait(lambda: [e for e in jules.notices(dm, relais.user_id) if "Brassage public" in body(e)],
                                what="the news")
        assert "Brasserie de la Dombes" in body(news[0]) and "<b>" in news[0]["content"]["formatted_body"]
        # obs never talked to Relais: the notification opens a direct chat with them.
        invite = await obs.wait(lambda: obs.invites, what="direct chat invitation")
        obs_dm = next(iter(invite))
        assert any(e.get("content", {}).get("is_direct") for e in invite[obs_dm])
        await obs.client.join(obs_dm)
        await obs.wait(lambda: [e for e in obs.notices(obs_dm, relais.user_id) if "Brassage public" in body(e)],
                       what="the news in the new direct chat")
        assert await MatrixDirect.filter(user_id=obs.user_id, room_id=obs_dm).exists()

        asked = await obs.say(obs_dm, "2")  # "Stop following", the news' second choice
        assert "Vous ne suivez plus Brasserie de la Dombes." in body(await obs.reply_to(obs_dm, asked, relais.user_id))


async def test_rate_limit_is_waited_out_and_nothing_is_dropped(synapse, people, relais_on):
    ana = await people("ana")
    async with await relais_on(invite_allow=ana.user_id) as relais:
        room = await room_with_relais(ana, relais)
        await ana.wait(lambda: ana.notices(room, relais.user_id), what="welcome")
        await synapse.set_ratelimit(relais.user_id, messages_per_second=1, burst_count=1)
        try:
            asked = [await ana.say(room, f"!aide {name}") for name in ("suivre", "projets", "moi")]
            replies = [await ana.reply_to(room, event_id, relais.user_id, timeout=20) for event_id in asked]
        finally:
            await synapse.clear_ratelimit(relais.user_id)
        assert relais.adapter.outbound.limited >= 1, "the homeserver never answered 429: the test proves nothing"
        print("429 answers waited out:", relais.adapter.outbound.limited)
        timeline = [e["event_id"] for e in ana.events[room]]
        assert [timeline.index(r["event_id"]) for r in replies] == sorted(timeline.index(r["event_id"]) for r in replies)


@pytest.mark.parametrize("database", ["sqlite", "postgres"])
async def test_restart_resumes_from_the_sync_token_without_replay(synapse, people, relais_on, database):
    ana = await people("ana")
    async with await relais_on(invite_allow=ana.user_id, database=database) as relais:
        room = await room_with_relais(ana, relais)
        first = await ana.say(room, "!moi")
        await ana.reply_to(room, first, relais.user_id)
        device = relais.adapter.client.device_id
        await relais.stop()

        await relais.start()
        assert relais.adapter.client.device_id == device  # the kept token: same device, no new login
        second = await ana.say(room, "!suivis")
        await ana.reply_to(room, second, relais.user_id)
        await relais.adapter.idle()
        await ana.sync(500)
        assert len(ana.replies(room, first, relais.user_id)) == 1
        assert len(ana.replies(room, second, relais.user_id)) == 1
        assert await InboundEvent.filter(platform="matrix").exclude(status=InboundStatus.DONE).count() == 0

        # The kept token revoked while Relais is down: it logs in again with its password, on the same device.
        token = json.loads((await AdapterState.get(key="matrix:session")).value)["access_token"]
        await relais.stop()
        await synapse.request("POST", "/_matrix/client/v3/logout", {}, token)
        await relais.start()
        assert relais.adapter.client.device_id == device and relais.adapter.client.access_token != token
        third = await ana.say(room, "!moi")
        await ana.reply_to(room, third, relais.user_id)
        assert len(ana.replies(room, second, relais.user_id)) == 1


async def test_an_answer_sent_but_not_recorded_is_found_by_a_new_device_and_not_sent_again(people, relais_on):
    """The homeserver deduplicates a repeated transaction id only for the device that sent it: a process taking
    over on a new device (keys not copied) looks for its own event before sending the call again."""
    ana = await people("ana")
    async with await relais_on(invite_allow=ana.user_id) as relais:
        room = await room_with_relais(ana, relais)
        await ana.wait(lambda: ana.notices(room, relais.user_id), what="welcome")
        await relais.adapter.idle()
        real = relais.adapter.perform

        async def sent_then_lost(action: dict):
            ref = await real(action)
            if "m.relates_to" in (action.get("content") or {}):  # the answer to the command, not the welcome
                raise ConnectionError("stopped after the send, before recording it")
            return ref
        relais.adapter.perform = sent_then_lost
        asked = await ana.say(room, "!moi")
        await ana.reply_to(room, asked, relais.user_id)

        async def failed_once() -> bool:
            event = await InboundEvent.get_or_none(platform="matrix", key=f"matrix:{asked}")
            return event is not None and event.status == InboundStatus.PENDING and event.attempts >= 1 and bool(event.last_error)
        await until(failed_once, "the answer's failure recorded")
        device = relais.adapter.client.device_id
        await relais.stop()
        await AdapterState.filter(key="matrix:session").delete()  # its session lost: the next start is a new device

        await relais.start()
        assert relais.adapter.client.device_id != device
        await until(lambda: InboundEvent.filter(platform="matrix", status=InboundStatus.DONE,
                                                key=f"matrix:{asked}").exists(), "the answer taken up again")
        await ana.sync(500)
        assert len(ana.replies(room, asked, relais.user_id)) == 1
        assert relais.adapter.outbound.found == 1


async def test_limited_sync_gap_is_fetched_so_no_command_is_missed(people, relais_on):
    ana = await people("ana")
    async with await relais_on(invite_allow=ana.user_id) as relais:
        room = await room_with_relais(ana, relais)
        await relais.stop()
        early = await ana.say(room, "!aide suivre")  # sent while Relais is down, then buried under chatter
        for i in range(relais.adapter.timeline_limit + 10):
            await ana.say(room, f"discussion {i}")
        late = await ana.say(room, "!moi")

        await relais.start()
        assert "/suivre" in body(await ana.reply_to(room, early, relais.user_id))
        await ana.reply_to(room, late, relais.user_id)
        assert relais.adapter.syncer.gaps >= 1


async def test_without_encryption_encrypted_rooms_get_a_plain_notice_and_are_left(people, relais_on):
    ana = await people("ana")
    async with await relais_on(invite_allow=ana.user_id, encryption=False) as relais:
        secret = await ana.create_room(invite=[relais.user_id], encrypted=True)
        await ana.wait(lambda: ana.membership(secret, relais.user_id) == "leave", what="Relais leaving")
        notice = ana.notices(secret, relais.user_id)
        assert notice and "chiffré" in body(notice[0])
        leave = ana.find(secret, lambda e: e.get("type") == "m.room.member" and e.get("state_key") == relais.user_id
                         and e["content"].get("membership") == "leave")
        assert "chiffré" in leave[-1]["content"].get("reason", "")

        # Encryption turned on later in a room Relais is in: the same notice, then it leaves.
        room = await room_with_relais(ana, relais)
        resp = await ana.client.room_put_state(room, "m.room.encryption", {"algorithm": "m.megolm.v1.aes-sha2"})
        assert isinstance(resp, RoomPutStateResponse), resp
        await ana.wait(lambda: ana.membership(room, relais.user_id) == "leave", what="Relais leaving")
        assert any("chiffré" in body(e) for e in ana.notices(room, relais.user_id))


async def test_invitation_from_a_stranger_is_refused_politely(people, relais_on):
    ana, stranger = await people("ana"), await people("stranger")
    async with await relais_on(invite_allow=f"{ana.user_id},:elsewhere.example") as relais:
        room = await stranger.create_room(invite=[relais.user_id])
        await stranger.wait(lambda: stranger.membership(room, relais.user_id) == "leave", what="Relais leaving")
        notices = stranger.notices(room, relais.user_id)
        assert len(notices) == 1 and "facilitat" in body(notices[0])
        dm = await stranger.create_room(invite=[relais.user_id], direct=True)
        await stranger.wait(lambda: stranger.membership(dm, relais.user_id) == "leave", what="Relais leaving the DM")
        assert not await MatrixDirect.filter(user_id=stranger.user_id).exists()
        assert await asyncio.wait_for(relais.adapter.idle(), 10) is None
