"""One person across platforms, against the Telegram Bot API emulator: a code given on the console and typed in
Telegram joins the two accounts (a vote cast on both leaves one ballot); mydata arrives as a document; forget me,
confirmed with its button, erases the person and the next message starts afresh."""

from __future__ import annotations

import json
import re

from bot.adapters.console import ConsoleChat
from models import Account, Ballot, Follow, Person, PollVoter, VotePoll
from tests.adapters.test_telegram import buttons, relais, said, started  # noqa: F401  (fixtures)
from tests.handlers.test_people_data import code_in


async def test_a_code_from_the_console_typed_in_telegram_joins_the_accounts(relais, emu):
    app = relais.app
    me = ConsoleChat(app.console, "me", locale="en")
    await me.exchange("lang en")
    ana = await started(emu, first_name="Ana", language_code="en")  # a member before the poll opens: it is hers to vote on
    await me.exchange('poll "Which day?" "Monday" "Friday"')
    [_, announced] = await emu.wait_for_sent(ana["id"], 2)  # the poll's announcement reaches her before she votes
    assert "to vote" in announced["text"], announced["text"]
    console = ConsoleChat(app.console, "ana", locale="en")
    await console.exchange("lang en")
    assert "Vote recorded" in await console.exchange("vote 1 1")
    [voted] = await said(emu, ana, "/vote usine-vivante#1 2")
    assert voted["text"].startswith("✅ Vote recorded on poll #1")
    [follow] = await said(emu, ana, "/follow conciergerie-rurale")
    poll = await VotePoll.get(number=1)
    assert await Ballot.filter(poll_id=poll.id).count() == 2  # two people so far

    keep = (await Account.get(platform="console", address="ana")).person_id
    gone = (await Account.get(platform="telegram", address=str(ana["id"]))).person_id
    code = code_in(await console.exchange("link"))
    [linked] = await said(emu, ana, f"/link {code}")
    assert linked["text"].startswith(f"🔗 Linked: you are one person on console:ana, telegram:{ana['id']}.")
    assert ("Unlink this account", ) == tuple(label for label, _ in buttons(linked))
    assert not await Person.filter(id=gone).exists()
    assert await Ballot.filter(poll_id=poll.id).values_list("voter", "choice") == [(f"p{keep}", [2])]  # Telegram's, the later
    assert await PollVoter.filter(poll_id=poll.id).values_list("person_id", flat=True) == [keep]
    assert "1 voter." in await me.exchange("results 1")
    assert await Follow.filter(person_id=keep).count() == 3
    [again] = await said(emu, ana, f"/link {code}")
    assert again["text"].startswith("⚠️ That code is not valid")

    [channel] = await said(emu, ana, "/channel telegram")
    assert channel["text"] == f"From now on your notifications go to telegram:{ana['id']}."
    assert await Account.get(platform="telegram", address=str(ana["id"]), preferred=True)

    text, document = await said(emu, ana, "/mydata", answers=2)
    assert text["text"].startswith("What Relais holds about you") and "3 projects followed" in text["text"]
    name, mime, content = await emu.document(document["document"]["file_id"])
    assert name.startswith("relais-my-data-") and name.endswith(".json") and mime == "application/json"
    data = json.loads(content)
    assert [a["account"] for a in data["accounts"]] == ["console:ana", f"telegram:{ana['id']}"]
    assert [b["choice"] for b in data["ballots"]] == [[2]]


async def test_forget_me_confirmed_with_its_button_then_a_fresh_start(relais, emu):
    ana = await started(emu, first_name="Ana", language_code="en")
    await said(emu, ana, "/follow conciergerie-rurale")
    person = (await Account.get(platform="telegram", address=str(ana["id"]))).person_id
    [asked] = await said(emu, ana, "/forget me")
    assert "Erase everything? Answer yes to erase it" in asked["text"]
    assert [label for label, _ in buttons(asked)] == ["Yes, erase everything", "No, keep it"]
    before = len(await emu.sent(ana["id"]))
    await emu.press(ana, asked["message_id"], text="Yes, erase everything")
    [done] = (await emu.wait_for_sent(ana["id"], before + 1))[before:]
    assert done["text"].startswith("👋 Done: Relais no longer knows you.")
    assert not await Person.filter(id=person).exists()
    assert not await Account.filter(platform="telegram", address=str(ana["id"])).exists()
    [me] = await said(emu, ana, "/me")
    assert f"telegram:{ana['id']}" in me["text"] and "you follow 0 projects" in me["text"]
    assert (await Account.get(platform="telegram", address=str(ana["id"]))).person_id != person
