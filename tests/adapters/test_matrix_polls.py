"""Native Matrix polls (MSC3381): the event shapes Element reads, and against a real Synapse a poll posted in a
community room, answered through nio in both forms without a word from Relais in the room, then ended."""

from __future__ import annotations

import asyncio
import inspect
from datetime import datetime, timezone
from pathlib import Path

import pytest

from bot.adapters.matrix.events import TYPES, job_from_event
from bot.adapters.matrix.polls import (
    POLL_END,
    POLL_START,
    ballot,
    closed_polls,
    end_content,
    response_answers,
    split,
    start_content,
)
from bot.adapters.matrix.render import NATIVE, to_content
from bot.core.incoming import Incoming
from bot.core.replies import Poll, Reply
from models import Account, Ballot, Community, InboundEvent, NativePoll, OutboxMessage, Role, VotePoll
from tests.adapters.matrix_helpers import Member, Relais, body, until
from tests.conftest import database_url

ME = "@relais:example.org"
VOTE = "vote usine-vivante#3"


def poll(**changes) -> Poll:
    values = dict(question="Quel nom ?", options=("Relais", "Passerelle", "Agora"), vote=VOTE, ref="7",
                  hint="Votez avec !vote usine-vivante#3 <numéro>.")
    values.update(changes)
    return Poll(**values)


def with_choices(p: Poll) -> Reply:
    reply = Reply().para("Sondage #3 ouvert.").add(p)
    for n, label in enumerate(p.options, 1):
        reply.choice(label, f"{p.vote} {n}")
    return reply.choice("Résultats", "poll results usine-vivante#3")


# -- the event shapes (pure) -----------------------------------------------------------------------------------

def test_single_choice_poll_start_carries_the_unstable_block_element_reads_and_the_final_form():
    content = start_content(poll())
    assert content[POLL_START] == {
        "question": {"org.matrix.msc1767.text": "Quel nom ?"},
        "kind": "org.matrix.msc3381.poll.disclosed",
        "max_selections": 1,
        "answers": [{"id": "1", "org.matrix.msc1767.text": "Relais"}, {"id": "2", "org.matrix.msc1767.text": "Passerelle"},
                    {"id": "3", "org.matrix.msc1767.text": "Agora"}],
    }
    assert content["m.poll"] == {
        "kind": "m.disclosed", "max_selections": 1, "question": {"m.text": [{"body": "Quel nom ?"}]},
        "answers": [{"m.id": "1", "m.text": [{"body": "Relais"}]}, {"m.id": "2", "m.text": [{"body": "Passerelle"}]},
                    {"m.id": "3", "m.text": [{"body": "Agora"}]}],
    }
    text = "🗳 Quel nom ?\n  • 1. Relais\n  • 2. Passerelle\n  • 3. Agora\n\nVotez avec !vote usine-vivante#3 <numéro>."
    assert content["org.matrix.msc1767.text"] == content["body"] == text
    assert content["msgtype"] == "m.notice" and content["m.mentions"] == {}
    assert "<b>Quel nom ?</b>" in content["formatted_body"]
    # matrix-js-sdk reads `m.text` before `org.matrix.msc1767.text` and wants a string: no final-form array there.
    assert "m.text" not in content and "m.poll.start" not in content and "m.relates_to" not in content
    assert POLL_START == "org.matrix.msc3381.poll.start"


def test_a_poll_hidden_until_its_close_is_undisclosed():
    content = start_content(poll(hidden=True))
    assert content[POLL_START]["kind"] == "org.matrix.msc3381.poll.undisclosed" and content["m.poll"]["kind"] == "m.undisclosed"
    assert start_content(poll())[POLL_START]["kind"] == "org.matrix.msc3381.poll.disclosed"


def test_multiple_choice_poll_takes_every_option_and_a_thread_keeps_it_there():
    content = start_content(poll(mode="multiple"), thread_root="$root")
    assert content[POLL_START]["max_selections"] == 3 and content["m.poll"]["max_selections"] == 3
    assert content["m.relates_to"] == {"rel_type": "m.thread", "event_id": "$root", "is_falling_back": False}


def test_community_room_poll_is_native_and_its_vote_choices_are_dropped():
    p = poll()
    rest, polls = split(with_choices(p), direct=False)
    assert polls == [p]
    assert [b for b in rest.blocks if isinstance(b, Poll)] == []
    assert [c.command for c in rest.choices] == ["poll results usine-vivante#3"]
    assert to_content(rest)["body"] == "Sondage #3 ouvert.\n\n1️⃣ Résultats"
    assert Poll in NATIVE  # the adapter gets the element whole, not its text


@pytest.mark.parametrize("p, direct", [
    (poll(), True),  # a direct chat: the ballot is the text and its choices
    (poll(anonymous=True), False),  # secret
    (poll(hidden=True), False),  # results at the close: an undisclosed poll's responses are room events anyone reads
    (poll(mode="ranked"), False),
    (poll(mode="date"), False),
    (poll(closed=True, counts=(1, 2, 0)), False),
    (poll(options=("Seule",)), False),
    (poll(options=tuple(f"Option {n}" for n in range(21))), False),
    (poll(ref=""), False),  # not a poll Relais tracks
])
def test_other_polls_keep_the_text_fallback_and_its_choices(p, direct):
    reply = with_choices(p)
    rest, polls = split(reply, direct=direct)
    assert polls == [] and rest is reply
    content = to_content(rest)
    assert "🗳 Quel nom ?" in content["body"] and f"1️⃣ {p.options[0]}" in content["body"]


def test_the_end_event_references_the_start_and_carries_the_results():
    closed = poll(closed=True, counts=(1, 4, 0))
    assert closed_polls(Reply().para("Sondage #3 clos.").add(closed)) == [closed]
    content = end_content(closed, "$start")
    assert content["m.relates_to"] == {"rel_type": "m.reference", "event_id": "$start"}
    assert content[POLL_END] == {} and POLL_END == "org.matrix.msc3381.poll.end"
    assert content["org.matrix.msc1767.text"] == content["body"] == \
        "🗳 Quel nom ?\n  • 1. Relais — 1\n  • 2. Passerelle — 4\n  • 3. Agora — 0"
    assert content["m.poll.results"] == {"1": 1, "2": 4, "3": 0}
    assert "m.text" not in content
    hidden = end_content(poll(closed=True, hint=""), "$start")  # results not shown: the options only
    assert "m.poll.results" not in hidden and hidden["body"].endswith("3. Agora")


def test_responses_are_read_in_every_form():
    rel = {"m.relates_to": {"rel_type": "m.reference", "event_id": "$start"}}
    assert response_answers({**rel, "m.selections": ["2"]}) == ["2"]
    assert response_answers({**rel, "org.matrix.msc3381.poll.response": {"answers": ["1", "3"]}}) == ["1", "3"]
    assert response_answers({**rel, "m.poll.response": {"answers": ["1"]}}) == ["1"]
    assert response_answers({**rel, "org.matrix.msc3381.v2.selections": ["3"]}) == ["3"]
    assert response_answers({**rel, "m.selections": []}) == []
    assert response_answers({**rel, "m.selections": [2]}) == []  # spoiled
    assert response_answers(rel) == []
    # MSC3381: an unknown answer spoils the whole response; repeats count once; cut at max_selections.
    assert ballot(["2", "9"], 3) == [] and ballot(["2", "2", "1"], 3) == ["2", "1"] and ballot(["3", "1"], 3, 1) == ["3"]


def test_response_events_are_synced_and_become_poll_response_jobs():
    assert {"m.poll.response", "org.matrix.msc3381.poll.response"} <= set(TYPES)
    event = {"type": "org.matrix.msc3381.poll.response", "sender": "@ana:example.org", "event_id": "$vote",
             "content": {"m.relates_to": {"rel_type": "m.reference", "event_id": "$start"},
                         "org.matrix.msc3381.poll.response": {"answers": ["2"]}}}
    job = job_from_event("!room", event, ME, "Ana")
    assert job is not None and job.lane == "matrix:!room"
    assert job.payload == {"kind": "poll_response", "room_id": "!room", "event_id": "$vote", "sender": "@ana:example.org",
                           "name": "Ana", "target": "$start", "answers": ["2"]}
    assert job_from_event("!room", {**event, "sender": ME}, ME) is None  # Relais' own
    assert job_from_event("!room", {**event, "content": {"org.matrix.msc3381.poll.response": {"answers": ["2"]}}}, ME) is None


# -- against a real Synapse ------------------------------------------------------------------------------------

async def bound_room(fac: Member, voter: Member, relais: Relais) -> str:
    """A room bound to the demo community by its facilitator, with a voter whose account is the demo's Ana."""
    await relais.grant(fac.user_id, Role.FACILITATOR)
    room = await fac.create_room(invite=[relais.user_id])
    await fac.wait(lambda: fac.membership(room, relais.user_id) == "join", what="Relais joining")
    asked = await fac.say(room, "!lier usine-vivante")
    assert "Tiers-lieu de l'Usine Vivante" in body(await fac.reply_to(room, asked, relais.user_id))
    await fac.client.room_invite(room, voter.user_id)
    await voter.client.join(room)
    ana = await Account.get(platform="console", address="ana")
    await Account.create(person_id=ana.person_id, platform="matrix", address=voter.user_id)
    relais.app.services.people.changed()
    await voter.sync(0)
    return room


def recording(relais: Relais) -> list[Incoming]:
    """What the core receives from the Matrix adapter from now on."""
    pipeline = relais.adapter.inbox.handler
    seen: list[Incoming] = []
    dispatch = pipeline.dispatch

    async def record(incoming: Incoming):
        seen.append(incoming)
        return await dispatch(incoming)
    pipeline.dispatch = record
    return seen


async def post(relais: Relais, room: str, reply: Reply, key: str) -> None:
    await OutboxMessage.create(key=key, chat=f"matrix:{room}", kind="test", payload=reply.to_dict(),
                               next_attempt_at=relais.app.clock())
    relais.app.delivery.wake()


@pytest.mark.parametrize("database", ["sqlite", "postgres"])
async def test_posted_poll_is_native_its_answers_become_silent_votes_and_the_close_ends_it(people, synapse, tmp_path, database):
    fac, voter = await people("fac"), await people("voter")
    async with await Relais.new(synapse, tmp_path, database_url=database_url(database, tmp_path)) as relais:
        room = await bound_room(fac, voter, relais)
        community = await Community.get(slug="usine-vivante")
        vote_poll = await VotePoll.create(community=community, number=1, question="Quel nom ?", options=["Relais", "Passerelle"],
                                          created_at=datetime.now(timezone.utc))
        p = Poll("Quel nom ?", ("Relais", "Passerelle"), vote="vote usine-vivante#1", ref=str(vote_poll.id),
                 hint="Votez avec !vote usine-vivante#1 <numéro>.")
        reply = Reply().para("Nouveau sondage #1.").add(p).choice("Relais", "vote usine-vivante#1 1") \
            .choice("Passerelle", "vote usine-vivante#1 2").choice("Voir les sondages", "polls")
        await post(relais, room, reply, "test:poll")

        [start] = await voter.wait(lambda: voter.poll_starts(room, relais.user_id), what="the poll")
        assert start["content"][POLL_START]["answers"] == [{"id": "1", "org.matrix.msc1767.text": "Relais"},
                                                            {"id": "2", "org.matrix.msc1767.text": "Passerelle"}]
        assert start["content"][POLL_START]["max_selections"] == 1
        [said] = [e for e in voter.notices(room, relais.user_id) if "Nouveau sondage" in body(e)]
        assert body(said) == "Nouveau sondage #1.\n\n1️⃣ Voir les sondages"  # the vote choices are the poll itself
        [row] = await until(lambda: NativePoll.filter(native_id=start["event_id"]), "the poll's row")
        assert (row.platform, row.chat, row.message_id, row.poll_id, row.vote, row.options, row.closed) == \
            ("matrix", room, start["event_id"], vote_poll.id, "vote usine-vivante#1", 2, False)

        seen = recording(relais)
        await voter.sync(300)
        notices = len(voter.notices(room, relais.user_id))
        first = await voter.answer_poll(room, start["event_id"], ["2"])
        await voter.answer_poll(room, start["event_id"], ["1"], unstable=True)
        await voter.answer_poll(room, start["event_id"], [], unstable=True)
        last = await voter.answer_poll(room, start["event_id"], ["9"])  # unknown answer: spoiled, as if none (MSC3381)
        await until(lambda: len(seen) >= 4, "the four votes")
        assert [(i.text, i.address, i.chat, i.addressed) for i in seen] == [
            ("!vote usine-vivante#1 2", voter.user_id, room, True), ("!vote usine-vivante#1 1", voter.user_id, room, True),
            ("!vote usine-vivante#1 clear", voter.user_id, room, True), ("!vote usine-vivante#1 clear", voter.user_id, room, True)]

        await relais.adapter.idle()
        assert last in await voter.read_by(room, relais.user_id) and first not in await voter.read_by(room, relais.user_id)

        # An answer to a poll Relais did not start is chatter: neither stored nor handed to the core.
        own = await voter.send(room, start_content(Poll("Pizza ?", ("Oui", "Non"), vote="x", ref="1")), POLL_START)
        chatter = await voter.answer_poll(room, own, ["1"])
        asked = await fac.say(room, "!aide")  # a command after it: once answered, the response was seen and left out
        await voter.reply_to(room, asked, relais.user_id)
        await relais.adapter.idle()
        assert len(seen) == 5 and seen[-1].text == "!aide"
        assert not await InboundEvent.exists(key=f"matrix:{chatter}")
        await voter.sync(300)
        assert len(voter.notices(room, relais.user_id)) == notices + 1  # the help; nothing for the votes

        closed = Poll("Quel nom ?", ("Relais", "Passerelle"), vote="vote usine-vivante#1", ref=str(vote_poll.id),
                      closed=True, counts=(0, 1))
        await post(relais, room, Reply().para("Sondage #1 clos.").add(closed), "test:close")
        [end] = await voter.wait(lambda: voter.poll_ends(room, relais.user_id, start["event_id"]), what="the end")
        assert "1. Relais — 0" in end["content"]["org.matrix.msc1767.text"]
        assert "2. Passerelle — 1" in end["content"]["body"]
        await until(lambda: NativePoll.exists(id=row.id, closed=True), "the row closed (written once the end is sent)")
        await voter.answer_poll(room, start["event_id"], ["1"])  # too late: clients ignore it, so does Relais
        asked = await fac.say(room, "!aide")
        await voter.reply_to(room, asked, relais.user_id)
        await relais.adapter.idle()
        assert [i.text for i in seen[5:]] == ["!aide"]
        # The close posted again (a repeated delivery) ends nothing twice.
        await post(relais, room, Reply().para("Sondage #1 clos.").add(closed), "test:close-again")
        await voter.wait(lambda: len([e for e in voter.notices(room, relais.user_id) if "#1 clos" in body(e)]) == 2,
                         what="the close posted again")
        await voter.sync(300)
        assert len(voter.poll_ends(room, relais.user_id, start["event_id"])) == 1


async def test_an_answer_that_comes_before_the_send_returns_is_counted(people, synapse, tmp_path):
    """A fast voter: the answer reaches Relais' sync before the send of the start event has returned (here held until
    the answer is stored). The poll's row is written before the send and bound from the sync as soon as the start event
    comes back, so the answer is kept, then counted."""
    fac, voter = await people("fac"), await people("voter")
    async with await Relais.new(synapse, tmp_path, database_url=database_url("sqlite", tmp_path)) as relais:
        room = await bound_room(fac, voter, relais)
        polls = relais.adapter.polls
        returned = polls.sent
        answered: list[str] = []
        kept: list[bool] = []

        async def stored() -> bool:
            return bool(answered) and await InboundEvent.exists(key=f"matrix:{answered[0]}")

        async def slow_return(txn: str, event_id: str) -> None:  # the send's answer comes back after the vote
            try:
                await until(stored, "the answer stored before the send returns", timeout=20)
                kept.append(True)
            finally:
                await returned(txn, event_id)
        polls.sent = slow_return
        await fac.say(room, '!poll "Quel nom ?" "Relais" "Passerelle"')
        [start] = await voter.wait(lambda: voter.poll_starts(room, relais.user_id), what="the poll")
        answered.append(await voter.answer_poll(room, start["event_id"], ["2"]))
        [row] = await until(lambda: NativePoll.filter(native_id=start["event_id"]), "the poll's row", timeout=25)
        found = await until(lambda: Ballot.filter(poll_id=row.poll_id), "the ballot")
        assert kept == [True] and [b.choice for b in found] == [[2]]
        assert await NativePoll.all().count() == 1 and row.message_id == start["event_id"]


# -- the votes feature end to end (the core's commands) ------------------------------------------------------------

CORE = Path(__file__).resolve().parents[2] / "bot" / "handlers" / "votes.py"


@pytest.mark.skipif(not CORE.exists(), reason="the votes commands (bot/handlers/votes.py) are not there yet")
async def test_poll_typed_in_the_room_is_answered_natively_and_closed_with_its_results(people, synapse, tmp_path):
    fac, voter = await people("fac"), await people("voter")
    async with await Relais.new(synapse, tmp_path, database_url=database_url("sqlite", tmp_path)) as relais:
        room = await bound_room(fac, voter, relais)
        asked = await fac.say(room, '!poll "Quel nom ?" "Relais" "Passerelle"')
        [start] = await voter.wait(lambda: voter.poll_starts(room, relais.user_id), what="the poll")
        said = body(await voter.reply_to(room, asked, relais.user_id))  # the rest of the answer, without the vote choices
        assert "Sondage #1 de Tiers-lieu de l'Usine Vivante" in said, said
        assert "Passerelle" not in said and "Résultats" in said
        answers = start["content"][POLL_START]["answers"]
        assert [(a["id"], a["org.matrix.msc1767.text"]) for a in answers] == [("1", "Relais"), ("2", "Passerelle")]
        [row] = await until(lambda: NativePoll.filter(native_id=start["event_id"]), "the poll's row")
        vote_poll = await VotePoll.get(id=row.poll_id)
        ana = await Account.get(platform="console", address="ana")
        await voter.sync(300)
        said = len(voter.find(room, lambda e: e.get("sender") == relais.user_id))

        await voter.answer_poll(room, start["event_id"], ["2"])
        found = await until(lambda: Ballot.filter(poll_id=vote_poll.id).all(), "the ballot")
        assert [(b.voter, b.choice) for b in found] == [(f"p{ana.person_id}", [2])]
        await voter.answer_poll(room, start["event_id"], ["1"], unstable=True)

        async def changed() -> bool:
            return [b.choice for b in await Ballot.filter(poll_id=vote_poll.id)] == [[1]]
        await until(changed, "the changed ballot")
        await relais.adapter.idle()
        await voter.sync(300)
        assert len(voter.find(room, lambda e: e.get("sender") == relais.user_id)) == said  # not a word in the room

        ref = f"usine-vivante#{vote_poll.number}"
        await fac.say(room, f"!poll close {ref}")
        [end] = await voter.wait(lambda: voter.poll_ends(room, relais.user_id, start["event_id"]), what="the end")
        text = end["content"]["org.matrix.msc1767.text"]
        assert "1. Relais — 1" in text and "2. Passerelle — 0" in text and "/vote" not in text
        assert end["content"]["m.poll.results"] == {"1": 1, "2": 0}
        await until(lambda: NativePoll.exists(id=row.id, closed=True), "the row closed (written once the end is sent)")


async def test_a_poll_hidden_until_its_close_goes_out_as_private_ballots(people, synapse, tmp_path):
    """Typed in the room, a hidden poll is no native poll there (its responses would be room events every member reads):
    the room is told to answer in private, the ballot comes in a direct chat, and the vote leaves no trace in the room."""
    fac, voter = await people("fac"), await people("voter")
    async with await Relais.new(synapse, tmp_path, database_url=database_url("sqlite", tmp_path)) as relais:
        room = await bound_room(fac, voter, relais)
        await Account.filter(platform="console", address="ana").update(preferred=False)  # Ana is reached on Matrix
        await Account.filter(platform="matrix", address=voter.user_id).update(preferred=True)
        await Community.filter(slug="usine-vivante").update(matrix_encryption=False)  # a client without encryption
        asked = await fac.say(room, '!poll "Quel nom ?" "Relais" "Passerelle" hidden')
        said = body(await fac.reply_to(room, asked, relais.user_id))
        assert "en privé" in said and "2. Passerelle" in said
        await voter.sync(300)
        assert voter.poll_starts(room, relais.user_id) == []  # no native poll in the room
        in_room = len(voter.find(room, lambda e: e.get("sender") == relais.user_id))

        invite = await voter.wait(lambda: voter.invites, what="the ballot's direct chat")
        dm = next(iter(invite))
        await voter.client.join(dm)
        [ballot] = await voter.wait(lambda: [e for e in voter.notices(dm, relais.user_id) if "Quel nom" in body(e)],
                                    what="the ballot")
        assert "2️⃣ Passerelle" in body(ballot)
        asked = await voter.say(dm, "2")  # the ballot's second choice, answered in private
        assert "Passerelle" in body(await voter.reply_to(dm, asked, relais.user_id))
        vote_poll = await VotePoll.get(number=1)
        ana = await Account.get(platform="console", address="ana")
        assert await Ballot.filter(poll_id=vote_poll.id).values_list("voter", "choice") == [(f"p{ana.person_id}", [2])]
        await voter.sync(300)
        assert len(voter.find(room, lambda e: e.get("sender") == relais.user_id)) == in_room  # not a word in the room
        assert not voter.find(room, lambda e: e.get("type") in ("m.poll.response", "org.matrix.msc3381.poll.response"))
