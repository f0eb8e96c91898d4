"""The Telegram emulator works with aiogram 3's real HTTP session and answers like the Bot API."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest
from aiogram import Bot, Dispatcher, F, html
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramConflictError,
    TelegramForbiddenError,
    TelegramRetryAfter,
)
from aiogram.filters import CommandObject, CommandStart
from aiogram.types import (
    BotCommand,
    BotCommandScopeAllGroupChats,
    BotCommandScopeChat,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
)
from aiohttp import web

from tests.peers.telegram_client import EmulatorError, TelegramEmulator
from tests.peers.telegram_fixture import RunningEmulator
from tests.peers.telegram_fixture import telegram_emulator  # noqa: F401

TOKEN = "123:ABC"
KEYBOARD = InlineKeyboardMarkup(
    inline_keyboard=[
        [
            InlineKeyboardButton(text="Yes", callback_data="vote:yes"),
            InlineKeyboardButton(text="Docs", url="https://example.org/docs"),
        ]
    ]
)


@pytest.fixture
async def emu(telegram_emulator: RunningEmulator) -> AsyncIterator[TelegramEmulator]:  # noqa: F811
    client = TelegramEmulator(telegram_emulator.base_url, TOKEN)
    await client.reset()
    await client.set_limits(enabled=False)
    yield client
    await client.close()


@pytest.fixture
async def bot(telegram_emulator: RunningEmulator, emu: TelegramEmulator) -> AsyncIterator[Bot]:  # noqa: F811
    session = AiohttpSession(api=TelegramAPIServer.from_base(telegram_emulator.base_url))
    bot = Bot(TOKEN, session=session)
    yield bot
    await bot.session.close()


async def started_user(emu: TelegramEmulator, bot: Bot, **fields: object) -> dict:
    """A user who pressed Start, with the /start update already confirmed."""
    user = await emu.create_user(**fields)
    started = await emu.start(user)
    await bot.get_updates(offset=started["update_id"] + 1)
    return user


async def test_get_me_and_configurable_username(emu: TelegramEmulator, bot: Bot) -> None:
    me = await bot.get_me()
    assert (me.id, me.is_bot, me.username, me.can_read_all_group_messages) == (123, True, "relais_bot", False)
    await emu.configure_bot(username="other_bot", can_read_all_group_messages=True)
    me = await bot.get_me()
    assert (me.username, me.can_read_all_group_messages) == ("other_bot", True)
    assert await bot.log_out() is True


async def test_long_poll_offset_and_redelivery(emu: TelegramEmulator, bot: Bot) -> None:
    alice = await emu.create_user(first_name="Alice", username="alice", language_code="fr")
    poll = asyncio.create_task(bot.get_updates(timeout=5))
    await asyncio.sleep(0.3)
    assert not poll.done(), "a long poll must wait for an update"
    started_at = time.monotonic()
    started = await emu.start(alice, payload="invite42")
    [update] = await asyncio.wait_for(poll, 2)
    assert time.monotonic() - started_at < 1, "a long poll must return as soon as an update arrives"
    assert update.update_id == started["update_id"]
    message = update.message
    assert message is not None and message.text == "/start invite42"
    assert (message.from_user.id, message.from_user.language_code, message.chat.type) == (alice["id"], "fr", "private")
    assert [(e.type, e.offset, e.length) for e in message.entities] == [("bot_command", 0, 6)]

    # Nothing was confirmed, so a restarted bot gets the same update again.
    assert [u.update_id for u in await bot.get_updates()] == [update.update_id]
    await emu.send(alice, "second")
    assert len(await bot.get_updates()) == 2
    assert len(await bot.get_updates(limit=1)) == 1
    last = (await bot.get_updates())[-1].update_id
    assert await bot.get_updates(offset=last + 1) == []
    assert await emu.pending() == []

    waited_from = time.monotonic()
    assert await bot.get_updates(timeout=1) == []
    assert 0.9 <= time.monotonic() - waited_from < 2

    # A second poller ends the first one with 409, like two running bot instances.
    first = asyncio.create_task(bot.get_updates(timeout=5))
    await asyncio.sleep(0.2)
    await bot.get_updates()
    with pytest.raises(TelegramConflictError, match="terminated by other getUpdates request"):
        await asyncio.wait_for(first, 2)


async def test_html_keyboard_press_edit_and_answer(emu: TelegramEmulator, bot: Bot) -> None:
    alice = await started_user(emu, bot, first_name="Alice")
    sent = await bot.send_message(
        alice["id"], "<b>Vote</b> for <i>R&amp;D</i> &lt;now&gt;", parse_mode="HTML", reply_markup=KEYBOARD
    )
    assert sent.text == "Vote for R&D <now>"
    assert [(e.type, e.offset, e.length) for e in sent.entities] == [("bold", 0, 4), ("italic", 9, 3)]
    assert sent.from_user.id == 123 and sent.reply_markup.inline_keyboard[0][0].callback_data == "vote:yes"

    pressed = await emu.press(alice, sent.message_id, data="vote:yes")
    [update] = await bot.get_updates(offset=pressed["update_id"])
    query = update.callback_query
    assert query is not None and query.id == pressed["callback_query_id"]
    assert (query.data, query.from_user.id, query.message.message_id) == ("vote:yes", alice["id"], sent.message_id)
    assert query.chat_instance
    assert await bot.answer_callback_query(query.id, text="Counted") is True
    with pytest.raises(TelegramBadRequest, match="query is too old"):
        await bot.answer_callback_query(query.id)
    with pytest.raises(EmulatorError, match="no inline button"):
        await emu.press(alice, sent.message_id, data="vote:no")

    edited = await bot.edit_message_text(
        "Vote closed", chat_id=alice["id"], message_id=sent.message_id, reply_markup=KEYBOARD
    )
    assert edited.text == "Vote closed" and edited.edit_date is not None
    with pytest.raises(TelegramBadRequest, match="message is not modified"):
        await bot.edit_message_text(
            "Vote closed", chat_id=alice["id"], message_id=sent.message_id, reply_markup=KEYBOARD
        )
    # Editing the markup without passing one removes the keyboard, as on Telegram.
    unmarked = await bot.edit_message_reply_markup(chat_id=alice["id"], message_id=sent.message_id)
    assert unmarked.reply_markup is None
    with pytest.raises(TelegramBadRequest, match="message to edit not found"):
        await bot.edit_message_text("x", chat_id=alice["id"], message_id=999)

    [record] = await emu.sent(alice["id"])
    assert record["original"]["parse_mode"] == "HTML" and record["original"]["raw_text"].startswith("<b>Vote</b>")
    assert [edit["method"] for edit in record["edits"]] == ["editMessageText", "editMessageReplyMarkup"]
    assert record["text"] == "Vote closed" and record["reply_markup"] is None
    [answer] = await emu.callback_answers()
    assert (answer["text"], answer["data"]) == ("Counted", "vote:yes")

    too_long_data = InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(text="x", callback_data="x" * 65)]])
    with pytest.raises(TelegramBadRequest, match="BUTTON_DATA_INVALID"):
        await bot.send_message(alice["id"], "hi", reply_markup=too_long_data)
    with pytest.raises(TelegramBadRequest, match='can\'t parse entities: Unsupported start tag "div"'):
        await bot.send_message(alice["id"], "<div>x</div>", parse_mode="HTML")
    with pytest.raises(TelegramBadRequest, match='Unsupported start tag "" at byte offset 2'):
        await bot.send_message(alice["id"], "1 < 2", parse_mode="HTML")
    with pytest.raises(TelegramBadRequest, match="Unescaped"):
        await bot.send_message(alice["id"], "R&D", parse_mode="HTML")
    with pytest.raises(TelegramBadRequest, match="Character '.' is reserved"):
        await bot.send_message(alice["id"], "Version 1.0", parse_mode="MarkdownV2")


async def test_commands_per_scope_and_language(emu: TelegramEmulator, bot: Bot) -> None:
    group = await emu.create_group("Relais fans")
    await bot.set_my_commands([BotCommand(command="help", description="Show help")])
    await bot.set_my_commands([BotCommand(command="aide", description="Afficher l'aide")], language_code="fr")
    await bot.set_my_commands(
        [BotCommand(command="rules", description="Group rules")], scope=BotCommandScopeAllGroupChats()
    )
    in_group = BotCommandScopeChat(chat_id=group["id"])
    await bot.set_my_commands([BotCommand(command="event", description="Next event")], scope=in_group)

    assert [c.command for c in await bot.get_my_commands()] == ["help"]
    assert [c.command for c in await bot.get_my_commands(language_code="fr")] == ["aide"]
    assert [c.command for c in await bot.get_my_commands(scope=BotCommandScopeAllGroupChats())] == ["rules"]
    assert await bot.get_my_commands(scope=BotCommandScopeAllGroupChats(), language_code="fr") == []
    assert [c.command for c in await bot.get_my_commands(scope=in_group)] == ["event"]
    stored = await emu.commands()
    assert {(e["scope"]["type"], e["language_code"]) for e in stored} == {
        ("default", ""),
        ("default", "fr"),
        ("all_group_chats", ""),
        ("chat", ""),
    }

    with pytest.raises(TelegramBadRequest, match="BOT_COMMAND_INVALID"):
        await bot.set_my_commands([BotCommand(command="Help-me", description="x")])
    with pytest.raises(TelegramBadRequest, match="command length must not exceed 32"):
        await bot.set_my_commands([BotCommand(command="a" * 33, description="x")])
    with pytest.raises(TelegramBadRequest, match="command description must be non-empty"):
        await bot.set_my_commands([BotCommand(command="ok", description=" ")])
    with pytest.raises(TelegramBadRequest, match="description length must not exceed 256"):
        await bot.set_my_commands([BotCommand(command="ok", description="d" * 257)])
    with pytest.raises(TelegramBadRequest, match="invalid language code"):
        await bot.set_my_commands([BotCommand(command="ok", description="x")], language_code="french")

    assert await bot.delete_my_commands(language_code="fr") is True
    assert await bot.get_my_commands(language_code="fr") == []
    assert [c.command for c in await bot.get_my_commands()] == ["help"]


async def test_injected_429_raises_retry_after(emu: TelegramEmulator, bot: Bot) -> None:
    alice = await started_user(emu, bot)
    await emu.inject_429("sendMessage", count=2, retry_after=7)
    for _ in range(2):
        with pytest.raises(TelegramRetryAfter) as caught:
            await bot.send_message(alice["id"], "hello")
        assert caught.value.retry_after == 7
    sent = await bot.send_message(alice["id"], "hello")

    await emu.inject_429("*", retry_after=3)
    assert (await bot.get_me()).id == 123, "'*' only hits message-producing methods"
    with pytest.raises(TelegramRetryAfter) as caught:
        await bot.edit_message_text("edited", chat_id=alice["id"], message_id=sent.message_id)
    assert caught.value.retry_after == 3
    stats = await emu.stats()
    assert stats["too_many_requests"] == 3 and stats["calls"]["sendMessage"] == 3


async def test_blocked_unstarted_and_unknown_chats(emu: TelegramEmulator, bot: Bot) -> None:
    alice = await started_user(emu, bot)
    bob = await emu.create_user(first_name="Bob")
    blocked = await emu.block(alice)
    with pytest.raises(TelegramForbiddenError, match="Forbidden: bot was blocked by the user"):
        await bot.send_message(alice["id"], "still there?")
    [update] = await bot.get_updates(offset=blocked["update_id"])
    assert update.my_chat_member.new_chat_member.status == "kicked"
    assert update.my_chat_member.old_chat_member.status == "member"
    with pytest.raises(TelegramForbiddenError, match="bot can't initiate conversation with a user"):
        await bot.send_message(bob["id"], "hi")
    with pytest.raises(TelegramBadRequest, match="Bad Request: chat not found"):
        await bot.send_message(424242, "hi")
    with pytest.raises(EmulatorError, match="never started"):
        await emu.send(bob, "hello?")

    restarted = await emu.start(alice)
    assert restarted["my_chat_member_update_id"] is not None
    assert (await bot.send_message(alice["id"], "welcome back")).text == "welcome back"


async def test_message_length_limits(emu: TelegramEmulator, bot: Bot) -> None:
    alice = await started_user(emu, bot)
    with pytest.raises(TelegramBadRequest, match="Bad Request: message is too long"):
        await bot.send_message(alice["id"], "x" * 4097)
    assert len((await bot.send_message(alice["id"], "x" * 4096)).text) == 4096
    # The limit applies after entity parsing, so markup does not count.
    formatted = await bot.send_message(alice["id"], "<b>" + "y" * 4096 + "</b>", parse_mode="HTML")
    assert len(formatted.text) == 4096
    with pytest.raises(TelegramBadRequest, match="message text is empty"):
        await bot.send_message(alice["id"], "<b> </b>", parse_mode="HTML")
    with pytest.raises(TelegramBadRequest, match="MESSAGE_TOO_LONG"):
        await bot.edit_message_text("z" * 4097, chat_id=alice["id"], message_id=formatted.message_id)


async def test_group_limit_rejects_the_21st_message_in_a_minute(emu: TelegramEmulator, bot: Bot) -> None:
    await emu.set_limits(enabled=True, global_rate=1000, group_per_minute=20)
    group = await emu.create_group("Busy group")
    for number in range(20):
        await bot.send_message(group["id"], f"message {number}")
    with pytest.raises(TelegramRetryAfter) as caught:
        await bot.send_message(group["id"], "one too many")
    assert 1 <= caught.value.retry_after <= 60
    assert len(await emu.sent(group["id"])) == 20


async def test_private_and_global_limits(emu: TelegramEmulator, bot: Bot) -> None:
    alice = await started_user(emu, bot)
    bob = await started_user(emu, bot)
    carol = await started_user(emu, bot)
    await emu.set_limits(enabled=True, global_rate=1000, chat_rate=1, chat_burst=3)
    for _ in range(3):
        await bot.send_message(alice["id"], "burst")
    with pytest.raises(TelegramRetryAfter) as caught:
        await bot.send_message(alice["id"], "too fast")
    assert caught.value.retry_after == 1
    await bot.send_message(bob["id"], "other chats are not affected")

    await emu.set_limits(global_rate=2, chat_burst=10)
    await bot.send_message(alice["id"], "1")
    await bot.send_message(bob["id"], "2")
    with pytest.raises(TelegramRetryAfter):
        await bot.send_message(carol["id"], "3")
    assert (await emu.stats())["too_many_requests"] == 2


async def test_group_privacy_and_chat_member_updates(emu: TelegramEmulator, bot: Bot) -> None:
    alice = await emu.create_user(first_name="Alice")
    bob = await emu.create_user(first_name="Bob")
    group = await emu.create_group("Relais fans", members=[alice], added_by=alice)
    added, service = await bot.get_updates(allowed_updates=["message", "my_chat_member", "callback_query"])
    assert added.my_chat_member.new_chat_member.status == "member"
    assert service.message.new_chat_members[0].id == 123
    await bot.get_updates(offset=service.update_id + 1)

    # Privacy mode: plain chatter is hidden, commands for this bot are not.
    assert (await emu.send(alice, "just chatting", chat_id=group["id"]))["delivered"] is False
    assert (await emu.send(alice, "/help@other_bot", chat_id=group["id"]))["delivered"] is False
    command = await emu.send(alice, "/help@relais_bot please", chat_id=group["id"])
    [update] = await bot.get_updates(offset=command["update_id"])
    assert update.message.entities[0].type == "bot_command" and update.message.entities[0].length == 16

    # chat_member reaches only an administrator that asked for it; the service message always does.
    await emu.set_bot_status(group["id"], "administrator")
    joined = await emu.join(bob, group["id"])
    assert joined["chat_member_update_id"] is None
    updates = await bot.get_updates(offset=update.update_id + 1, allowed_updates=["message", "chat_member"])
    assert [u.event_type for u in updates] == ["message"]
    await emu.leave(bob, group["id"])
    rejoined = await emu.join(bob, group["id"])
    updates = await bot.get_updates(offset=updates[-1].update_id + 1)
    kinds = [u.event_type for u in updates]
    assert kinds == ["chat_member", "message", "chat_member", "message"]
    assert updates[2].update_id == rejoined["chat_member_update_id"]
    assert updates[2].chat_member.new_chat_member.status == "member"
    assert updates[3].message.new_chat_members[0].id == bob["id"]


async def test_webhook_delivery_secret_and_reply(emu: TelegramEmulator, bot: Bot) -> None:
    received: asyncio.Queue[tuple[str | None, dict]] = asyncio.Queue()

    async def hook(request: web.Request) -> web.Response:
        update = await request.json()
        received.put_nowait((request.headers.get("X-Telegram-Bot-Api-Secret-Token"), update))
        chat_id = update["message"]["chat"]["id"]
        return web.json_response({"method": "sendMessage", "chat_id": chat_id, "text": "pong"})

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    url = f"http://127.0.0.1:{runner.addresses[0][1]}/hook"
    try:
        alice = await emu.create_user(first_name="Alice")
        assert await bot.set_webhook(url, secret_token="s3cret-token") is True
        with pytest.raises(TelegramConflictError, match="webhook is active"):
            await bot.get_updates()
        await emu.start(alice)
        secret, update = await asyncio.wait_for(received.get(), 3)
        assert secret == "s3cret-token" and update["message"]["text"] == "/start"
        [reply] = await emu.wait_for_sent(alice["id"], 1)
        assert reply["text"] == "pong"
        info = await bot.get_webhook_info()
        assert info.url == url and info.pending_update_count == 0
        assert await bot.delete_webhook() is True
        assert await bot.get_updates() == []
    finally:
        await runner.cleanup()


async def test_dispatcher_polling_end_to_end(emu: TelegramEmulator, bot: Bot) -> None:
    dispatcher = Dispatcher()

    @dispatcher.message(CommandStart())
    async def on_start(message: Message, command: CommandObject) -> None:
        name = html.quote(message.from_user.first_name)
        await message.answer(f"Welcome, <b>{name}</b>! ({command.args})", parse_mode="HTML", reply_markup=KEYBOARD)

    @dispatcher.callback_query(F.data == "vote:yes")
    async def on_vote(query: CallbackQuery) -> None:
        await query.answer("Done")
        await query.message.edit_text("Confirmed")

    polling = asyncio.create_task(dispatcher.start_polling(bot, handle_signals=False, polling_timeout=1))
    try:
        alice = await emu.create_user(first_name="Ali & <Co>")
        await emu.start(alice, payload="ref1")
        [record] = await emu.wait_for_sent(alice["id"], 1)
        assert record["text"] == "Welcome, Ali & <Co>! (ref1)"
        assert record["entities"] == [{"type": "bold", "offset": 9, "length": 10}]
        await emu.press(alice, record["message_id"], data="vote:yes")
        deadline = time.monotonic() + 5
        while not (await emu.sent(alice["id"]))[0]["edits"]:
            assert time.monotonic() < deadline, "the callback handler never edited the message"
            await asyncio.sleep(0.02)
        assert (await emu.sent(alice["id"]))[0]["text"] == "Confirmed"
        assert [a["text"] for a in await emu.callback_answers()] == ["Done"]
        await emu.wait_until_consumed()
    finally:
        await dispatcher.stop_polling()
        await polling
