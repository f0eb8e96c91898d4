"""Relais in Telegram, end to end: aiogram's real HTTP session against the Bot API emulator on loopback."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import aiohttp
import pytest

from bot.app import App
from bot.config import Settings
from bot.core.errors import Unreachable
from bot.core.incoming import Incoming
from bot.core.replies import Reply
from bot.services import demo
from models import Account, ChatBinding, ConsoleInbox, Follow, InboundEvent, InboundStatus, Membership, OutboxMessage, Role
from tests.conftest import database_url
from tests.peers.telegram_client import TelegramEmulator

TOKEN = "123:ABC"
ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 11, 21, 10, 0, tzinfo=timezone.utc)
DEEP_LINK = "https://t.me/relais_bot?start=follow-dombes-brasserie"


class Running:
    """Relais serving with Telegram configured; `stop()` ends it like SIGTERM would."""

    def __init__(self, app: App, stop: asyncio.Event, task: asyncio.Task):
        self.app, self.stop_event, self.task = app, stop, task
        self.adapter = app.adapter("telegram")

    async def stop(self) -> None:
        if not self.task.done():
            self.stop_event.set()
            await self.task
            await self.app.stop()


async def serve(tmp_path: Path, base_url: str, seed: bool = True, **telegram) -> Running:
    settings = Settings(data_dir=tmp_path, database_url=database_url("sqlite", tmp_path), log_format="text",
                        scheduler=False, sections={"telegram": {"token": TOKEN, "api_url": base_url, "chat_rate": 50, **telegram},
                                  "mail": {"listen": ""}, "web": {"web_listen": ""}})  # only Telegram listens
    app = App(settings)
    await app.start()
    if seed:
        await demo.seed("me", NOW)
    stop = asyncio.Event()
    running = Running(app, stop, asyncio.create_task(app.serve(stop)))
    assert await running.adapter.wait_ready(5), "the adapter never reached the emulator"
    return running


@pytest.fixture
async def relais(tmp_path, emu, telegram_emulator):
    running = await serve(tmp_path, telegram_emulator.base_url)
    yield running
    await running.stop()


async def said(emu: TelegramEmulator, user: dict, text: str, chat_id: int | None = None, answers: int = 1) -> list[dict]:
    """The user writes; returns the bot's new messages in that chat (waits for `answers` of them)."""
    chat = chat_id or user["id"]
    before = len(await emu.sent(chat))
    await emu.send(user, text, chat_id=chat_id)
    return (await emu.wait_for_sent(chat, before + answers))[before:]


async def started(emu: TelegramEmulator, **fields) -> dict:
    user = await emu.create_user(**fields)
    await emu.start(user)
    await emu.wait_for_sent(user["id"], 1)
    return user


async def eventually(check, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while True:
        result = await check()
        if result:
            return result
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.05)


def buttons(record: dict) -> list[tuple[str, str]]:
    rows = (record.get("reply_markup") or {}).get("inline_keyboard", [])
    return [(b["text"], b.get("callback_data") or b.get("url")) for row in rows for b in row]


async def test_private_dialog_in_each_language(relais, emu):
    ana = await emu.create_user(first_name="Ana", last_name="Lopez", language_code="en")
    await emu.start(ana)
    [hello] = await emu.wait_for_sent(ana["id"], 1)
    assert hello["text"].startswith("Hello Ana Lopez! I am Relais")
    assert [label for label, _ in buttons(hello)] == ["See the projects", "All the commands"]
    [listing] = await said(emu, ana, "projects")  # a bare command in a private chat
    assert listing["text"].startswith("Projects of Tiers-lieu de l'Usine Vivante\n• Conciergerie rurale")
    assert {"type": "bold", "offset": 0, "length": len("Projects of Tiers-lieu de l'Usine Vivante")} in listing["entities"]
    assert len(buttons(listing)) == 4
    [done] = await said(emu, ana, "/follow dombes-brasserie")
    assert done["text"] == "You now follow Brasserie de la Dombes. Its news and next steps will reach you."
    [oops] = await said(emu, ana, "/folow dombes-brasserie")
    assert oops["text"].startswith("⚠️ Unknown command “folow”. Did you mean /follow?")

    zoe = await emu.create_user(first_name="Zoé", language_code="fr")
    await emu.start(zoe)
    [bonjour] = await emu.wait_for_sent(zoe["id"], 1)
    assert bonjour["text"].startswith("Bonjour Zoé\u202f! Je suis Relais")
    account = await Account.get(platform="telegram", address=str(ana["id"])).select_related("person")
    assert (account.person.display_name, account.person.locale) == ("Ana Lopez", "en")
    assert await Follow.filter(person_id=account.person_id).count() == 1
    assert set(await InboundEvent.filter(platform="telegram").values_list("status", flat=True)) == {InboundStatus.DONE}


async def test_group_commands_mentions_binding_and_new_members(relais, emu):
    facilitator = await emu.create_user(first_name="Camille", language_code="en")
    jules = await emu.create_user(first_name="Jules", language_code="en")
    lea = await emu.create_user(first_name="Léa")
    community = await relais.app.services.people.community("usine-vivante")
    await relais.app.services.people.grant(community, f"telegram:{facilitator['id']}", Role.FACILITATOR)
    group = await emu.create_group("Usine Vivante", members=[facilitator, jules], added_by=facilitator)
    gid = group["id"]

    [bound] = await said(emu, facilitator, "/bind@relais_bot usine-vivante", chat_id=gid)
    assert bound["text"].startswith("This chat now speaks for Tiers-lieu de l'Usine Vivante.")
    assert bound["reply_to_message_id"] is not None, "in a group the answer quotes the command"
    assert await ChatBinding.exists(platform="telegram", chat_id=str(gid))

    [card] = await said(emu, jules, "/project@relais_bot dombes-brasserie", chat_id=gid)
    assert card["text"].startswith("Brasserie de la Dombes (dombes-brasserie)")
    assert ("Follow", DEEP_LINK) in buttons(card), "in a group, Follow opens the private chat"
    assert (await emu.send(jules, "/help@other_bot", chat_id=gid))["delivered"] is False  # privacy mode

    await emu.join(lea, gid)  # without admin rights the bot sees the service message only
    person = await eventually(lambda: Account.get_or_none(platform="telegram", address=str(lea["id"])).select_related("person"))
    assert await Membership.exists(person_id=person.person_id, community_id=community.id)

    # As an administrator the bot sees everything: it must still pick only what is for it.
    await emu.set_bot_status(gid, "administrator")
    await emu.send(jules, "hello everyone, lovely brewery", chat_id=gid)
    await emu.send(jules, "/help@other_bot", chat_id=gid)
    [answer] = await said(emu, jules, "@relais_bot following", chat_id=gid)
    assert answer["text"].startswith("You follow no project yet.")
    assert len(await emu.sent(gid)) == 3, "chatter and commands for another bot get no answer"
    stored = await InboundEvent.filter(platform="telegram").values_list("payload", flat=True)
    assert not any("lovely brewery" in str(p) for p in stored), "chatter is not stored"

    newbie = await emu.create_user(first_name="Nour")
    joined = await emu.join(newbie, gid)
    assert joined["chat_member_update_id"] is not None
    person = await eventually(lambda: Account.get_or_none(platform="telegram", address=str(newbie["id"])))
    assert await eventually(lambda: Membership.exists(person_id=person.person_id, community_id=community.id))


async def test_a_button_press_runs_the_choice_and_edits_the_keyboard_message(relais, emu):
    ana = await started(emu, first_name="Ana", language_code="en")
    [listing] = await said(emu, ana, "/projects")
    await emu.press(ana, listing["message_id"], text="Brasserie de la Dombes")
    [_, _, card] = await emu.wait_for_sent(ana["id"], 3)
    assert card["text"].startswith("Brasserie de la Dombes (dombes-brasserie)")
    [edited] = [r for r in await emu.sent(ana["id"]) if r["message_id"] == listing["message_id"]]
    assert edited["text"].endswith("\n\n✓ Brasserie de la Dombes") and edited["reply_markup"] is None
    assert {"type": "bold", "offset": 0, "length": 41} in edited["entities"], "the edit keeps the formatting"
    [answer] = await emu.callback_answers()
    assert (answer["from_id"], answer["text"]) == (ana["id"], None)

    await emu.press(ana, card["message_id"], text="Follow")
    followed = (await emu.wait_for_sent(ana["id"], 4))[3]
    assert followed["text"].startswith("You now follow Brasserie de la Dombes.")
    assert await Follow.filter(project__slug="dombes-brasserie", person__accounts__address=str(ana["id"])).exists()

    await emu.press(ana, card["message_id"], data="c:999999:0", force=True)  # a button Relais no longer knows
    answers = await eventually(lambda: _answers(emu, 3))
    assert answers[-1]["text"] == "This button no longer works; type the command instead."


async def _answers(emu, count):
    answers = await emu.callback_answers()
    return answers if len(answers) >= count else None


async def test_a_deep_link_follows_in_one_tap(relais, emu):
    ana = await started(emu, first_name="Ana", language_code="en")
    [card] = await said(emu, ana, "/project dombes-brasserie")
    assert {"type": "text_link", "url": DEEP_LINK} in [{k: e[k] for k in ("type", "url")} for e in card["entities"] if "url" in e]
    newcomer = await emu.create_user(first_name="Hugo", language_code="en")
    await emu.start(newcomer, payload="follow-dombes-brasserie")
    [followed] = await emu.wait_for_sent(newcomer["id"], 1)
    assert followed["text"].startswith("You now follow Brasserie de la Dombes.")
    assert await Follow.filter(project__slug="dombes-brasserie", person__accounts__address=str(newcomer["id"])).exists()


async def test_command_menu_in_both_languages_private_and_group(relais, emu):
    menus = await eventually(lambda: _menus(emu))
    assert set(menus) == {(scope, lang) for scope in ("all_private_chats", "all_group_chats") for lang in ("fr", "en", "")}
    french, english = menus[("all_private_chats", "fr")], menus[("all_private_chats", "en")]
    assert french["projets"] == "Lister les projets de votre communauté."
    assert english["projects"] == "List the projects of your community."
    assert {"aide", "suivre", "lier", "role"} <= set(french) and {"help", "follow", "bind", "role"} <= set(english)
    assert menus[("all_private_chats", "")] == french, "people whose Telegram speaks neither get the default, French"
    assert "role" not in menus[("all_group_chats", "en")] and "follow" in menus[("all_group_chats", "en")]
    assert not any(" " in c or "_" in c for c in english), "subcommands stay out of the menu"


async def _menus(emu):
    stored = await emu.commands()
    if len(stored) < 6:
        return None
    return {(e["scope"]["type"], e["language_code"]): {c["command"]: c["description"] for c in e["commands"]} for e in stored}


async def test_a_429_is_waited_out_then_retried(relais, emu):
    ana = await started(emu, first_name="Ana", language_code="en")
    await emu.inject_429("sendMessage", count=1, retry_after=2)
    [reply] = await said(emu, ana, "/following")
    assert reply["text"].startswith("You follow no project yet.")
    calls = [c for c in await emu.calls() if c["method"] == "sendMessage"][-2:]
    assert [c["status"] for c in calls] == [429, 200]
    assert calls[1]["at"] - calls[0]["at"] >= 2.0, "retried only after retry_after"
    assert len(await emu.sent(ana["id"])) == 2 and relais.adapter.sender.counts["retry_after"] == 1


async def test_a_group_gets_at_most_20_messages_a_minute(relais, emu):
    await emu.set_limits(enabled=True, global_rate=1000, chat_burst=100, group_per_minute=20)
    jules = await started(emu, first_name="Jules", language_code="en")
    group = await emu.create_group("Busy", members=[jules])
    for _ in range(22):
        await emu.send(jules, "/start@relais_bot", chat_id=group["id"])
    await emu.wait_for_sent(group["id"], 20)
    [private] = await said(emu, jules, "/following")  # other chats are not held up
    assert private["text"].startswith("You follow no project yet.")
    await asyncio.sleep(1.5)
    assert len(await emu.sent(group["id"])) == 20
    assert (await emu.stats())["too_many_requests"] == 0, "Relais waits instead of hitting Telegram's limit"
    await relais.stop()  # what waits is kept for the next start: the 21st answer decided, the 22nd command not run yet
    pending = await _rows(relais, InboundStatus.PENDING)
    assert [[a["op"] for a in p.get("actions", [])] for p in pending] == [["send"], []]


async def _rows(running, status):
    await running.app.start()
    try:
        return await InboundEvent.filter(status=status).order_by("id").values_list("state", flat=True)
    finally:
        await running.app.stop()


async def test_notifications_keep_the_overall_rate(tmp_path, emu, telegram_emulator):
    await emu.set_limits(enabled=True, global_rate=30, chat_burst=3)
    running = await serve(tmp_path, telegram_emulator.base_url, global_rate=30)
    try:
        users = [await started(emu, first_name=f"U{n}", language_code="en") for n in range(60)]
        for user in users:
            await said(emu, user, "/follow dombes-brasserie")
        await _post_news(running, "Brewing day on Saturday")
        news = [(await emu.wait_for_sent(user["id"], 3, timeout=10))[2] for user in users]
        assert all("Brewing day on Saturday" in n["text"] for n in news)
        # The emulator enforces 30 a second and counts every call over it: none may be refused (speed: bench/scale.py).
        assert (await emu.stats())["too_many_requests"] == 0
    finally:
        await running.stop()


async def _post_news(running: Running, text: str) -> None:
    reply = await running.app.dispatcher.handle(Incoming(platform="console", address="me", text=f"/news dombes-brasserie {text}"))
    assert reply is not None and not reply.error, reply


async def test_a_blocked_user_falls_back_to_the_next_channel(relais, emu):
    ana = await started(emu, first_name="Ana", language_code="en")
    await said(emu, ana, "/follow dombes-brasserie")
    account = await Account.get(platform="telegram", address=str(ana["id"]))
    await Account.create(person_id=account.person_id, platform="console", address="ana-lopez", preferred=False)

    await emu.block(ana)
    with pytest.raises(Unreachable, match="bot was blocked by the user"):
        where = await relais.adapter.destination(account, "", OutboxMessage(id=0, payload={}))
        [step] = (await relais.adapter.render(Reply().para("hi"), where)).steps
        await relais.adapter.perform({**step, "notice": True})
    await _post_news(relais, "Brewing day on Saturday")
    [note] = await eventually(lambda: ConsoleInbox.filter(address="ana-lopez"))
    assert "Brewing day on Saturday" in note.text
    assert not (await Account.get(id=account.id)).reachable
    assert len(await emu.sent(ana["id"])) == 2, "nothing was sent to the blocked chat"

    await emu.start(ana)  # Start again: Telegram is reachable again and preferred
    await emu.wait_for_sent(ana["id"], 3)
    await eventually(lambda: Account.exists(id=account.id, reachable=True))
    await _post_news(relais, "Tasting on Sunday")
    [*_, news] = await emu.wait_for_sent(ana["id"], 4)
    assert "Tasting on Sunday" in news["text"] and [label for label, _ in buttons(news)] == ["See the project", "Stop following"]
    assert await ConsoleInbox.filter(address="ana-lopez").count() == 1


async def test_webhook_mode_checks_the_secret(tmp_path, emu, telegram_emulator):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}/telegram/hook"
    running = await serve(tmp_path, telegram_emulator.base_url, webhook_url=url, webhook_listen=f"127.0.0.1:{port}",
                          webhook_secret="s3cret-token")
    try:
        ana = await emu.create_user(first_name="Ana", language_code="en")
        await emu.start(ana)
        [hello] = await emu.wait_for_sent(ana["id"], 1)
        assert hello["text"].startswith("Hello Ana!")
        assert (await emu.stats())["webhook_deliveries"] == 1
        forged = {"update_id": 999999, "message": {"message_id": 1, "date": 0, "chat": {"id": ana["id"], "type": "private"},
                                                   "from": {"id": ana["id"], "is_bot": False, "first_name": "Ana"}, "text": "/me"}}
        async with aiohttp.ClientSession() as http:
            for headers in ({}, {"X-Telegram-Bot-Api-Secret-Token": "guess"}):
                async with http.post(url, json=forged, headers=headers) as response:
                    assert response.status == 401
        [me] = await said(emu, ana, "/me")
        assert me["text"].startswith("Ana")
    finally:
        await running.stop()


def _run_relais(tmp_path: Path, base_url: str) -> subprocess.Popen:
    env = {**os.environ, "RELAIS_DATA_DIR": str(tmp_path), "RELAIS_DATABASE_URL": database_url("sqlite", tmp_path),
           "RELAIS_TELEGRAM_TOKEN": TOKEN, "RELAIS_TELEGRAM_API_URL": base_url, "RELAIS_TELEGRAM_CHAT_RATE": "50",
           "RELAIS_LOG_FORMAT": "text", "RELAIS_LOG_FILE": str(tmp_path / "relais.log"),
           "RELAIS_MAIL_LISTEN": "", "RELAIS_WEB_LISTEN": "",  # only Telegram: no ports shared with other tests
           "RELAIS_SCHEDULER": "false"}  # its jobs would follow the real clock
    return subprocess.Popen([sys.executable, "-m", "bot", "run"], cwd=ROOT, env=env, stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


async def _refused(emu: TelegramEmulator, count: int) -> bool:
    return (await emu.stats())["too_many_requests"] >= count


def _events(db: Path) -> list[tuple[str, int, bool]]:
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT status, attempts, state FROM inbound_event ORDER BY id").fetchall()
    return [(status, attempts, "\"actions\"" in state) for status, attempts, state in rows]


async def test_killed_mid_batch_then_restarted_loses_nothing_and_handles_nothing_twice(tmp_path, emu, telegram_emulator):
    app = App(Settings(data_dir=tmp_path, database_url=database_url("sqlite", tmp_path),
                       sections={"mail": {"listen": ""}, "web": {"web_listen": ""}}))
    await app.start()
    await demo.seed("me", NOW)
    await app.stop()
    db = tmp_path / "relais.sqlite3"
    users = [await emu.create_user(first_name=f"U{n}", language_code="en") for n in range(4)]
    for user in users:
        await emu.start(user)

    relais = _run_relais(tmp_path, telegram_emulator.base_url)
    try:
        for user in users:
            await emu.wait_for_sent(user["id"], 1, timeout=60)
        await emu.inject_429("sendMessage", count=10_000, retry_after=60)  # Telegram holds every answer back
        script = ["/follow dombes-brasserie", "/unfollow dombes-brasserie", "/follow dombes-brasserie", "/following"]
        for line in script:
            for user in users:
                await emu.send(user, line)
        await emu.wait_until_consumed()  # Telegram was told: from now on only Relais has these updates
        await eventually(lambda: asyncio.to_thread(lambda: sum(a for _, _, a in _events(db)) == 4 + 4))
        await eventually(lambda: _refused(emu, 4))  # each chat's next answer was tried and refused with a 429
        relais.send_signal(signal.SIGKILL)  # mid-batch: 4 answers decided but unsent, 12 commands not run yet
        relais.wait(5)
    finally:
        if relais.poll() is None:
            relais.kill()
    events = await asyncio.to_thread(_events, db)
    assert [s for s, _, _ in events].count("pending") == 16
    await emu.inject_429("sendMessage", count=0)  # Telegram lets messages through again
    assert (await emu.stats())["sent_messages"] == 4

    relais = _run_relais(tmp_path, telegram_emulator.base_url)
    try:
        for user in users:
            await emu.wait_for_sent(user["id"], 5, timeout=60)
        await asyncio.sleep(0.5)
    finally:
        relais.send_signal(signal.SIGTERM)
        assert relais.wait(10) == 0
    for user in users:
        texts = [r["text"] for r in await emu.sent(user["id"])]
        assert [t.split(".")[0].split("\n")[0] for t in texts] == [
            f"Hello {user['first_name']}! I am Relais, the assistant of your community", "You now follow Brasserie de la Dombes",
            "You no longer follow Brasserie de la Dombes", "You now follow Brasserie de la Dombes", "You follow:"]
    events = await asyncio.to_thread(_events, db)
    assert len(events) == 20 and {(s, a) for s, a, _ in events} == {("done", 1)}, "each update handled exactly once"
    assert "Traceback" not in (tmp_path / "relais.log").read_text()


async def test_forum_topics_get_their_answers_and_the_bound_topic_gets_announcements(relais, emu):
    """In a group with topics, a command is answered in its topic; `bind` typed in a topic sends the community's
    posts (the weekly summary) there; the General topic stays quiet."""
    camille = await emu.create_user(first_name="Camille", language_code="en")
    community = await relais.app.services.people.community("usine-vivante")
    await relais.app.services.people.grant(community, f"telegram:{camille['id']}", Role.FACILITATOR)
    group = await emu.create_group("Usine Vivante", members=[camille], added_by=camille, is_forum=True)
    gid = group["id"]
    news = (await emu.create_topic(gid, "Nouvelles", user=camille))["message_thread_id"]
    chatter = (await emu.create_topic(gid, "Bavardage", user=camille))["message_thread_id"]

    before = len(await emu.sent(gid))
    await emu.send(camille, "/bind@relais_bot usine-vivante", chat_id=gid, thread_id=news)
    [bound] = (await emu.wait_for_sent(gid, before + 1))[before:]
    assert bound["message_thread_id"] == news
    binding = await ChatBinding.get(platform="telegram", chat_id=str(gid))
    assert binding.thread == str(news)

    await emu.send(camille, "/projects@relais_bot", chat_id=gid, thread_id=chatter)
    [listing] = (await emu.wait_for_sent(gid, before + 2))[before + 1:]
    assert listing["text"].startswith("Projets de Tiers-lieu") and listing["message_thread_id"] == chatter

    await emu.send(camille, "/bind@relais_bot usine-vivante", chat_id=gid, thread_id=chatter)
    [moved] = (await emu.wait_for_sent(gid, before + 3))[before + 2:]
    assert "seront désormais publiées dans ce sujet" in moved["text"] and moved["message_thread_id"] == chatter
    await emu.send(camille, "/bind@relais_bot usine-vivante", chat_id=gid, thread_id=news)
    await emu.wait_for_sent(gid, before + 4)

    summary = Reply().para("The week of Tiers-lieu de l'Usine Vivante")
    await OutboxMessage.create(key="test:summary", person_id=None, chat=f"telegram:{gid}/{news}", kind="digest_room",
                               payload=summary.to_dict(), next_attempt_at=relais.app.clock())
    relais.app.delivery.wake()
    [posted] = (await emu.wait_for_sent(gid, before + 5))[before + 4:]
    assert posted["text"] == "The week of Tiers-lieu de l'Usine Vivante" and posted["message_thread_id"] == news
