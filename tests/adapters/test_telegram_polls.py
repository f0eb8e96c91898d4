"""Votes in Telegram: a public single or multiple-choice poll shown in a group is a native, non-anonymous poll whose
answers come back as the person's ballot, and the close stops it; every other poll keeps its text and buttons."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.adapters.telegram import polls
from bot.core.replies import Attachment, Choice, LinkButton, Poll, Reply
from bot.runtime.inbox import Event
from models import Account, Ballot, InboundEvent, InboundStatus, NativePoll, Role, VotePoll
from tests.adapters.test_telegram import TOKEN, buttons, eventually, said, serve, started
from tests.peers.telegram_client import TelegramEmulator

VOTE = "vote usine-vivante#3"
GROUP = -1001234


def poll_reply(poll: Poll | None = None, **changes) -> Reply:
    """What the core answers when a poll is shown: a line, the poll, a vote choice per option, its results."""
    poll = poll or Poll("Quel nom ?", ("Relais", "Passerelle"), vote=VOTE, ref="7", hint="Vote with /vote usine-vivante#3 <number>.")
    poll = replace(poll, **changes)
    reply = Reply().para("🗳 Poll #3 of Usine Vivante").add(poll)
    for n, option in enumerate(poll.options, 1):
        reply.choice(option, f"{VOTE} {n}")
    return reply.choice("Results", "results usine-vivante#3")


def sends(reply: Reply, group: bool = True) -> list[dict]:
    """The planned calls, the choices' keyboard stored as set 5."""
    return polls.plan(reply, GROUP if group else 42, username="relais_bot", group=group, keyboard=5,
                      reply_to=10 if group else None)


# -- the plan (pure) -----------------------------------------------------------------------------------------

def test_a_public_poll_in_a_group_is_a_native_poll_without_vote_buttons():
    reply = poll_reply()
    assert polls.choices(reply, group=True) == [Choice("Results", "results usine-vivante#3")]
    text, poll = sends(reply)
    assert (text["op"], text["text"], text["markup"], text["reply_to"]) == ("send", "🗳 Poll #3 of Usine Vivante", None, 10)
    assert poll == {"op": "poll", "chat": GROUP, "thread": None, "reply_to": None, "question": "Quel nom ?",
                    "options": ["Relais", "Passerelle"], "multiple": False, "ref": "7", "vote": VOTE,
                    "markup": {"inline_keyboard": [[{"text": "Results", "callback_data": "c:5:0"}]]}}


def test_multiple_choice_allows_multiple_answers_and_a_lone_poll_quotes_the_command():
    reply = poll_reply(mode="multiple")
    reply.blocks.pop(0)  # nothing but the poll: it quotes the command itself
    [poll] = sends(reply)
    assert (poll["op"], poll["multiple"], poll["reply_to"]) == ("poll", True, 10)


def test_link_buttons_and_files_stay_beside_a_native_poll():
    reply = poll_reply().add(LinkButton("Le projet", "https://example.org/p")).add(Attachment("a.ics", "text/calendar", b"x"))
    text, poll, document = sends(reply)
    assert text["op"] == "send" and "🔗" not in text["text"]
    assert poll["markup"]["inline_keyboard"][-1] == [{"text": "Le projet", "url": "https://example.org/p"}]
    assert document["op"] == "document"


@pytest.mark.parametrize("reply, group", [
    (poll_reply(anonymous=True), True),  # secret: ballots in private
    (poll_reply(mode="ranked"), True),
    (poll_reply(), False),  # a private chat
    (poll_reply(options=tuple(f"Option {n}" for n in range(1, 12))), True),  # 11 options
    (poll_reply(options=("x" * 101, "y")), True),
    (poll_reply(question="?" * 301), True),
    (poll_reply(ref=""), True),  # nothing to map the answers back to
    (poll_reply(hidden=True), True),  # Telegram would show the counts to whoever answered
])
def test_other_polls_are_text_with_a_button_per_option(reply, group):
    poll = reply.elements(Poll)[0]
    assert polls.choices(reply, group) == reply.choices
    [message] = sends(reply, group)
    assert message["op"] == "send" and poll.question[:50] in message["text"] and "🗳" in message["text"]
    labels = [b["text"] for row in message["markup"]["inline_keyboard"] for b in row]
    assert labels == [*poll.options, "Results"][:len(labels)] and len(labels) == len(poll.options) + 1


def test_results_without_vote_choices_and_closed_polls_are_text():
    closed = Reply().para("🏁 Results of poll #3").add(Poll("Quel nom ?", ("Relais", "Passerelle"), vote=VOTE, ref="7",
                                                           closed=True, counts=(3, 1)))
    [message] = sends(closed)
    assert "Relais — <b>3</b>" in message["text"] and message["markup"] is None
    shown = Reply().add(Poll("Quel nom ?", ("Relais", "Passerelle"), vote=VOTE, ref="7"))  # no way to vote offered here
    assert [a["op"] for a in sends(shown)] == ["send"]


def test_an_answer_is_the_vote_command_line():
    assert polls.answer_line(VOTE, [1]) == f"{VOTE} 2"
    assert polls.answer_line(VOTE, [2, 0]) == f"{VOTE} 1 3"
    assert polls.answer_line(VOTE, []) == f"{VOTE} clear"


# -- end to end: Relais against the Bot API emulator ---------------------------------------------------------

@pytest.fixture
async def relais(tmp_path, emu, telegram_emulator):
    running = await serve(tmp_path, telegram_emulator.base_url)
    yield running
    await running.stop()


async def bound_group(relais, emu: TelegramEmulator, *members: dict) -> tuple[dict, int]:
    """A group bound to the demo community by its facilitator Camille (who started the bot); its members are members of
    the community before any poll opens (a poll is open to the members at its opening)."""
    camille = await started(emu, first_name="Camille", language_code="en")
    community = await relais.app.services.people.community("usine-vivante")
    await relais.app.services.people.grant(community, f"telegram:{camille['id']}", Role.FACILITATOR)
    for member in members:
        await relais.app.services.people.grant(community, f"telegram:{member['id']}", Role.MEMBER)
    group = await emu.create_group("Usine Vivante", members=[camille, *members], added_by=camille)
    [bound] = await said(emu, camille, "/bind@relais_bot usine-vivante", chat_id=group["id"])
    assert bound["text"].startswith("This chat now speaks for")
    return camille, group["id"]


async def ballots(poll: VotePoll) -> list[tuple[str, list]]:
    return [(b.voter, b.choice) for b in await Ballot.filter(poll_id=poll.id).order_by("id")]


async def person_of(user: dict) -> int:
    return (await Account.get(platform="telegram", address=str(user["id"]))).person_id


async def answered(relais, emu: TelegramEmulator, user: dict, poll_id: str, option_ids: list[int]) -> None:
    """The user answers in the native poll; returns once Relais has handled the poll_answer update."""
    update = (await emu.answer_poll(user, poll_id, option_ids))["poll_answer_update_id"]
    assert update is not None, "a public poll tells the bot who answered"
    key = f"telegram:{relais.adapter.me['id']}:{update}"
    await eventually(lambda: InboundEvent.exists(key=key, status=InboundStatus.DONE))


async def test_a_poll_typed_in_the_group_is_answered_natively_then_stopped_at_the_close(relais, emu):
    jules = await emu.create_user(first_name="Jules", language_code="en")  # never started the bot
    ana = await started(emu, first_name="Ana", language_code="en")
    camille, gid = await bound_group(relais, emu, jules, ana)

    text, native = await said(emu, camille, '/poll "Quel nom ?" "Relais" "Passerelle"', chat_id=gid, answers=2)
    assert text["text"].startswith("🗳 Poll #1 of Tiers-lieu de l'Usine Vivante") and buttons(text) == []
    poll = native["poll"]
    assert (poll["question"], [o["text"] for o in poll["options"]]) == ("Quel nom ?", ["Relais", "Passerelle"])
    assert (poll["is_anonymous"], poll["allows_multiple_answers"], poll["is_closed"]) == (False, False, False)
    assert [label for label, _ in buttons(native)] == ["Results", "Close the poll"], "no vote buttons: the poll is the vote"
    voted = await VotePoll.get(number=1)
    row = await NativePoll.get(platform="telegram", native_id=poll["id"])
    assert (row.chat, row.message_id, row.poll_id, row.vote, row.options, row.closed) == (
        str(gid), str(native["message_id"]), voted.id, "vote usine-vivante#1", 2, False)
    in_group = len(await emu.sent(gid))

    await answered(relais, emu, jules, poll["id"], [1])
    assert await ballots(voted) == [(f"p{await person_of(jules)}", [2])]
    await answered(relais, emu, jules, poll["id"], [0])  # changes their mind: the ballot is replaced
    assert await ballots(voted) == [(f"p{await person_of(jules)}", [1])]
    assert await emu.sent(jules["id"]) == [], "Jules never started the bot: the confirmation is dropped, not retried"

    before = len(await emu.sent(ana["id"]))
    await answered(relais, emu, ana, poll["id"], [1])
    [confirmed] = (await emu.wait_for_sent(ana["id"], before + 1))[before:]
    assert confirmed["text"].startswith("✅ Vote recorded on poll #1: Passerelle"), "the answer to a vote goes in private"
    await answered(relais, emu, ana, poll["id"], [])  # takes the vote back
    await emu.wait_for_sent(ana["id"], before + 2)
    assert await ballots(voted) == [(f"p{await person_of(jules)}", [1])]
    assert len(await emu.sent(gid)) == in_group, "votes are not answered in the group"
    assert not await InboundEvent.filter(status__in=[InboundStatus.PENDING, InboundStatus.FAILED]).exists()

    [results] = await said(emu, camille, "/poll close usine-vivante#1", chat_id=gid)
    assert results["text"].startswith("🏁 Results of poll #1") and "1. Relais — 1" in results["text"]
    [state] = [p for p in await emu.polls() if p["poll"]["id"] == poll["id"]]
    assert state["poll"]["is_closed"] and state["votes"] == {str(jules["id"]): [0]}
    assert (await NativePoll.get(id=row.id)).closed
    assert not [r for r in (await emu.sent(gid))[in_group:] if r["poll"]], "no new native poll for a closed one"
    again = {"op": "stop", "chat": gid, "message": native["message_id"], "native": row.id}  # a retried event's call
    assert await relais.adapter.perform(again) is None
    assert [c["status"] for c in await emu.calls() if c["method"] == "stopPoll"] == [200, 400]
    assert await NativePoll.filter(poll_id=voted.id).count() == 1


async def test_a_poll_posted_to_the_group_through_the_outbox_is_native_and_its_close_stops_it(relais, emu):
    """Created in private, a multiple-choice poll is announced in the bound group (adapter.post); closed in private,
    its results are posted there and the native poll is stopped."""
    jules = await emu.create_user(first_name="Jules", language_code="en")
    camille, gid = await bound_group(relais, emu, jules)
    in_group = len(await emu.sent(gid))
    await said(emu, camille, '/poll "Which days?" "Monday" "Tuesday" "Friday" multiple')
    native = await eventually(lambda: _native_in(emu, gid, in_group))
    assert native["poll"]["allows_multiple_answers"] and not native["poll"]["is_anonymous"]
    voted = await VotePoll.get(number=1)
    assert await eventually(lambda: NativePoll.exists(native_id=native["poll"]["id"], poll_id=voted.id))

    await answered(relais, emu, jules, native["poll"]["id"], [2, 0])
    assert await ballots(voted) == [(f"p{await person_of(jules)}", [1, 3])]

    sent = len(await emu.sent(gid))
    await said(emu, camille, "/poll close usine-vivante#1")
    [*_, results] = await emu.wait_for_sent(gid, sent + 1)
    assert results["text"].startswith("🏁 Résultats du sondage #1"), "posted in the community's language"
    await eventually(lambda: NativePoll.exists(native_id=native["poll"]["id"], closed=True))
    [state] = [p for p in await emu.polls() if p["poll"]["id"] == native["poll"]["id"]]
    assert state["poll"]["is_closed"]


async def _native_in(emu: TelegramEmulator, gid: int, after: int) -> dict | None:
    return next((r for r in (await emu.sent(gid))[after:] if r["poll"]), None)


async def test_an_answer_to_a_poll_relais_does_not_know_is_ignored(relais):
    update = {"update_id": 7, "poll_answer": {"poll_id": "404", "user": {"id": 5, "is_bot": False, "first_name": "X"},
                                              "option_ids": [0]}}
    turn = await relais.adapter.translate(Event("telegram:x:7", "telegram:5", update))
    assert turn is not None and turn.incoming is None and turn.outcome == "answer to an unknown poll"
