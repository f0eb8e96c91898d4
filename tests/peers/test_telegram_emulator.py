"""The Telegram emulator works with aiogram 3's real HTTP session and answers like the Bot API."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import aiohttp
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
    BufferedInputFile,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    ReplyParameters,
)
from aiohttp import web

from tests.peers.telegram_client import EmulatorError, TelegramEmulator
from tests.peers.telegram_fixture import RunningEmulator

TOKEN = "123:ABC"
ICS = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nSUMMARY:Picnic\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
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


async def test_send_document_upload_caption_and_download(
    emu: TelegramEmulator, bot: Bot, telegram_emulator: RunningEmulator  # noqa: F811
) -> None:
    """sendDocument takes aiogram's multipart upload, parses the caption, and keeps the bytes for getFile and tests."""
    alice = await started_user(emu, bot)
    sent = await bot.send_document(
        alice["id"],
        BufferedInputFile(ICS, filename="picnic.ics"),
        caption="<b>Picnic</b> on Sunday",
        parse_mode="HTML",
        reply_markup=KEYBOARD,
    )
    document = sent.document
    assert (document.file_name, document.mime_type, document.file_size) == ("picnic.ics", "text/calendar", len(ICS))
    assert document.file_id and document.file_unique_id
    assert sent.caption == "Picnic on Sunday" and sent.text is None
    assert [(e.type, e.offset, e.length) for e in sent.caption_entities] == [("bold", 0, 6)]
    assert sent.reply_markup.inline_keyboard[0][0].callback_data == "vote:yes"
    assert await emu.document(document.file_id) == ("picnic.ics", "text/calendar", ICS)
    [record] = await emu.sent(alice["id"])
    assert (record["method"], record["caption"], record["text"]) == ("sendDocument", "Picnic on Sunday", None)
    assert record["document"]["file_id"] == document.file_id
    assert record["caption_entities"] == [{"type": "bold", "offset": 0, "length": 6}]

    described = await bot.get_file(document.file_id)
    assert described.file_path.startswith("documents/") and described.file_path.endswith(".ics")
    assert described.file_size == len(ICS)
    assert (await bot.download(document.file_id)).read() == ICS

    # A file_id sends the same file again without uploading it.
    again = await bot.send_document(
        alice["id"], document.file_id, caption="Again", reply_parameters=ReplyParameters(message_id=sent.message_id)
    )
    assert again.document.file_unique_id == document.file_unique_id and again.caption == "Again"
    assert again.reply_to_message.message_id == sent.message_id

    with pytest.raises(TelegramBadRequest, match="wrong file identifier/HTTP URL specified"):
        await bot.send_document(alice["id"], "no-such-file")
    with pytest.raises(TelegramBadRequest, match="file must be non-empty"):
        await bot.send_document(alice["id"], BufferedInputFile(b"", filename="empty.txt"))
    with pytest.raises(TelegramBadRequest, match="message caption is too long"):
        await bot.send_document(alice["id"], document.file_id, caption="c" * 1025)
    with pytest.raises(TelegramBadRequest, match="invalid file_id"):
        await bot.get_file("no-such-file")
    # File ids belong to the bot that uploaded the file.
    other = Bot("456:DEF", session=AiohttpSession(api=TelegramAPIServer.from_base(telegram_emulator.base_url)))
    try:
        with pytest.raises(TelegramBadRequest, match="invalid file_id"):
            await other.get_file(document.file_id)
    finally:
        await other.session.close()
    assert len(await emu.sent(alice["id"])) == 2


async def test_multipart_requests_carry_fields_and_files(
    emu: TelegramEmulator, bot: Bot, telegram_emulator: RunningEmulator  # noqa: F811
) -> None:
    """Any method reads multipart fields; a file part may be named directly or through attach://."""
    alice = await started_user(emu, bot)
    url = f"{telegram_emulator.base_url}/bot{TOKEN}"
    async with aiohttp.ClientSession() as session:
        form = aiohttp.FormData()
        form.add_field("chat_id", str(alice["id"]))
        form.add_field("text", "<i>multipart</i>")
        form.add_field("parse_mode", "HTML")
        form.add_field("stray", b"ignored", filename="stray.bin")
        async with session.post(f"{url}/sendMessage", data=form) as response:
            body = await response.json()
        assert body["ok"] and body["result"]["text"] == "multipart"
        assert body["result"]["entities"] == [{"type": "italic", "offset": 0, "length": 9}]

        form = aiohttp.FormData()
        form.add_field("chat_id", str(alice["id"]))
        form.add_field("document", b"a,b\n1,2\n", filename="table.csv", content_type="application/octet-stream")
        async with session.post(f"{url}/sendDocument", data=form) as response:
            body = await response.json()
        assert body["ok"], body
        assert (body["result"]["document"]["file_name"], body["result"]["document"]["mime_type"]) == (
            "table.csv",
            "text/csv",
        )

        form = aiohttp.FormData()
        form.add_field("chat_id", str(alice["id"]))
        form.add_field("document", "attach://missing")
        form.add_field("other", b"x", filename="x.txt")
        async with session.post(f"{url}/sendDocument", data=form) as response:
            assert response.status == 400
            assert (await response.json())["description"] == "Bad Request: there is no document in the request"


async def test_forum_topics_messages_and_replies(emu: TelegramEmulator, bot: Bot) -> None:
    """Topic messages carry message_thread_id and is_topic_message; replies stay in the topic; General has none."""
    alice = await emu.create_user(first_name="Alice")
    group = await emu.create_group("Relais forum", members=[alice], bot_status="administrator", is_forum=True)
    chat = await bot.get_chat(group["id"])
    assert chat.is_forum is True

    events = await bot.create_forum_topic(group["id"], "Events")
    assert (events.name, events.icon_color) == ("Events", 7322096)
    assert events.message_thread_id > 1, "topic ids are message ids and never General's id 1"
    thread = events.message_thread_id

    opened = await emu.create_topic(group["id"], "Chatter", user=alice)
    [update] = await bot.get_updates(offset=opened["update_id"])
    assert update.message.forum_topic_created.name == "Chatter"
    assert (update.message.message_thread_id, update.message.is_topic_message) == (opened["message_thread_id"], True)
    assert {t["name"] for t in await emu.topics(group["id"])} == {"Events", "Chatter"}

    asked = await emu.send(alice, "Who comes to the picnic?", chat_id=group["id"], thread_id=thread)
    [update] = await bot.get_updates(offset=asked["update_id"])
    message = update.message
    assert (message.message_thread_id, message.is_topic_message) == (thread, True)
    # Telegram shows each topic message as a reply to the topic's creation message.
    assert message.reply_to_message.forum_topic_created.name == "Events"

    # A reply without message_thread_id lands in the topic of the message it answers.
    reply = await message.reply("Me!")
    assert (reply.message_thread_id, reply.is_topic_message) == (thread, True)
    assert reply.reply_to_message.message_id == message.message_id
    explicit = await bot.send_message(group["id"], "Bring food", message_thread_id=thread)
    assert explicit.reply_to_message.message_id == thread
    general = await bot.send_message(group["id"], "Hello everyone")
    assert general.message_thread_id is None and general.is_topic_message is None
    records = {r["text"]: r for r in await emu.sent(group["id"])}
    assert records["Me!"]["message_thread_id"] == thread and records["Bring food"]["message_thread_id"] == thread
    assert records["Me!"]["reply_to_message_id"] == message.message_id
    assert records["Hello everyone"]["message_thread_id"] is None

    in_general = await emu.send(alice, "/help@relais_bot", chat_id=group["id"])
    assert "message_thread_id" not in in_general["message"] and "is_topic_message" not in in_general["message"]

    with pytest.raises(TelegramBadRequest, match="Bad Request: message thread not found"):
        await bot.send_message(group["id"], "lost", message_thread_id=999)
    with pytest.raises(TelegramBadRequest, match="Bad Request: message thread not found"):
        await bot.send_message(group["id"], "General can't be named", message_thread_id=1)
    with pytest.raises(EmulatorError, match="message thread not found"):
        await emu.send(alice, "lost", chat_id=group["id"], thread_id=999)


async def test_topic_document_poll_and_button_press(emu: TelegramEmulator, bot: Bot) -> None:
    """sendDocument and sendPoll go to a topic, and a button pressed there brings the topic message back."""
    alice = await emu.create_user(first_name="Alice")
    group = await emu.create_group("Relais forum", members=[alice], bot_status="administrator", is_forum=True)
    thread = (await bot.create_forum_topic(group["id"], "Events")).message_thread_id

    invite = await bot.send_document(
        group["id"], BufferedInputFile(ICS, filename="picnic.ics"), caption="Picnic", message_thread_id=thread
    )
    assert (invite.message_thread_id, invite.is_topic_message) == (thread, True)
    poll = await bot.send_poll(group["id"], "Coming?", ["Yes", "No"], is_anonymous=False, message_thread_id=thread)
    assert poll.message_thread_id == thread
    asked = await bot.send_message(group["id"], "Confirm?", message_thread_id=thread, reply_markup=KEYBOARD)
    assert [r["message_thread_id"] for r in await emu.sent(group["id"])] == [thread, thread, thread]

    pressed = await emu.press(alice, asked.message_id, data="vote:yes", chat_id=group["id"])
    [update] = await bot.get_updates(offset=pressed["update_id"])
    query_message = update.callback_query.message
    assert (query_message.message_id, query_message.message_thread_id) == (asked.message_id, thread)
    assert query_message.is_topic_message is True


async def test_topics_of_the_bot_reach_it_in_privacy_mode(emu: TelegramEmulator, bot: Bot) -> None:
    """In privacy mode the bot sees every message of a topic it created, since each one replies to its message."""
    alice = await emu.create_user(first_name="Alice")
    group = await emu.create_group("Relais forum", members=[alice], bot_status="administrator", is_forum=True)
    own = (await bot.create_forum_topic(group["id"], "Events")).message_thread_id
    other = await emu.create_topic(group["id"], "Chatter", user=alice)
    await emu.set_bot_status(group["id"], "member")

    assert (await emu.send(alice, "chatting", chat_id=group["id"], thread_id=own))["delivered"] is True
    elsewhere = await emu.send(alice, "chatting", chat_id=group["id"], thread_id=other["message_thread_id"])
    assert elsewhere["delivered"] is False
    assert (await emu.send(alice, "chatting", chat_id=group["id"]))["delivered"] is False


async def test_forum_topic_management(emu: TelegramEmulator, bot: Bot) -> None:
    """Topics can be renamed, closed (only admins post then), reopened and deleted with their messages."""
    alice = await emu.create_user(first_name="Alice")
    group = await emu.create_group("Relais forum", members=[alice], bot_status="administrator", is_forum=True)
    thread = (await bot.create_forum_topic(group["id"], "Events")).message_thread_id

    assert await bot.edit_forum_topic(group["id"], thread, name="Events 2025") is True
    with pytest.raises(TelegramBadRequest, match="TOPIC_NOT_MODIFIED"):
        await bot.edit_forum_topic(group["id"], thread, name="Events 2025")
    assert await bot.close_forum_topic(group["id"], thread) is True
    with pytest.raises(TelegramBadRequest, match="TOPIC_NOT_MODIFIED"):
        await bot.close_forum_topic(group["id"], thread)
    assert await emu.topics(group["id"]) == [
        {"message_thread_id": thread, "name": "Events 2025", "icon_color": 7322096, "is_closed": True}
    ]
    with pytest.raises(EmulatorError, match="TOPIC_CLOSED"):
        await emu.send(alice, "can I still write?", chat_id=group["id"], thread_id=thread)
    # An administrator still posts in a closed topic.
    assert (await bot.send_message(group["id"], "Closed", message_thread_id=thread)).message_thread_id == thread
    assert await bot.reopen_forum_topic(group["id"], thread) is True
    await emu.send(alice, "open again", chat_id=group["id"], thread_id=thread)
    messages = await emu.messages(group["id"])
    kinds = [next(k for k in m if k.startswith("forum_topic_") or k == "text") for m in messages]
    assert kinds == [
        "forum_topic_created",
        "forum_topic_edited",
        "forum_topic_closed",
        "text",
        "forum_topic_reopened",
        "text",
    ]
    assert all(m["message_thread_id"] == thread for m in messages)

    assert await bot.delete_forum_topic(group["id"], thread) is True
    assert await emu.topics(group["id"]) == [] and await emu.messages(group["id"]) == []
    [record] = await emu.sent(group["id"])
    assert record["deleted"] is True
    with pytest.raises(TelegramBadRequest, match="message thread not found"):
        await bot.send_message(group["id"], "gone", message_thread_id=thread)
    with pytest.raises(TelegramBadRequest, match="topic not found"):
        await bot.close_forum_topic(group["id"], thread)

    plain = await emu.create_group("Plain group", bot_status="administrator")
    with pytest.raises(TelegramBadRequest, match="the chat is not a forum"):
        await bot.create_forum_topic(plain["id"], "Nope")
    await emu.set_bot_status(group["id"], "member")
    with pytest.raises(TelegramBadRequest, match="not enough rights to create a topic"):
        await bot.create_forum_topic(group["id"], "Nope")


async def test_replies_in_plain_supergroups_form_threads(emu: TelegramEmulator, bot: Bot) -> None:
    """Outside forums a reply carries its thread's root as message_thread_id, and a bot's thread id is ignored."""
    alice = await emu.create_user(first_name="Alice")
    group = await emu.create_group("Plain group", members=[alice], bot_status="administrator")
    root = await bot.send_message(group["id"], "Who comes?", message_thread_id=12345)
    assert root.message_thread_id is None
    answer = await emu.send(alice, "Me", chat_id=group["id"], reply_to_message_id=root.message_id)
    [update] = await bot.get_updates(offset=answer["update_id"])
    assert (update.message.message_thread_id, update.message.is_topic_message) == (root.message_id, None)
    follow_up = await update.message.reply("Great")
    assert follow_up.message_thread_id == root.message_id
    with pytest.raises(EmulatorError, match="is not a forum"):
        await emu.send(alice, "x", chat_id=group["id"], thread_id=root.message_id)


async def test_poll_answers_counts_and_stop_poll(emu: TelegramEmulator, bot: Bot) -> None:
    """Votes in a non-anonymous poll reach the bot as poll_answer and poll updates; stopPoll closes it for good."""
    alice = await emu.create_user(first_name="Alice")
    bob = await emu.create_user(first_name="Bob")
    group = await emu.create_group("Relais fans", members=[alice, bob])
    sent = await bot.send_poll(group["id"], "Picnic on Sunday?", ["Yes", "No", "Maybe"], is_anonymous=False)
    poll = sent.poll
    assert (poll.question, [o.text for o in poll.options], [o.voter_count for o in poll.options]) == (
        "Picnic on Sunday?",
        ["Yes", "No", "Maybe"],
        [0, 0, 0],
    )
    assert (poll.total_voter_count, poll.is_closed, poll.is_anonymous, poll.type) == (0, False, False, "regular")
    assert (poll.allows_multiple_answers, poll.allows_revoting) == (False, True)
    assert (await emu.sent(group["id"]))[0]["poll"]["id"] == poll.id

    voted = await emu.answer_poll(alice, poll.id, [0])
    updates = await bot.get_updates(offset=voted["poll_answer_update_id"])
    assert [u.event_type for u in updates] == ["poll_answer", "poll"]
    answer = updates[0].poll_answer
    assert (answer.poll_id, answer.user.id, answer.option_ids, answer.option_persistent_ids) == (
        poll.id,
        alice["id"],
        [0],
        ["0"],
    )
    assert [o.voter_count for o in updates[1].poll.options] == [1, 0, 0]
    await emu.answer_poll(bob, poll.id, [1])
    changed = await emu.answer_poll(alice, poll.id, [2])
    assert [o["voter_count"] for o in changed["poll"]["options"]] == [0, 1, 1]
    assert changed["poll"]["total_voter_count"] == 2
    retracted = await emu.answer_poll(alice, poll.id, [])
    [update, _] = await bot.get_updates(offset=retracted["poll_answer_update_id"])
    assert update.poll_answer.option_ids == [] and update.poll_answer.user.id == alice["id"]
    assert retracted["poll"]["total_voter_count"] == 1
    with pytest.raises(EmulatorError, match="takes one answer"):
        await emu.answer_poll(alice, poll.id, [0, 1])

    stopped = await bot.stop_poll(group["id"], sent.message_id)
    assert stopped.is_closed is True and [o.voter_count for o in stopped.options] == [0, 1, 0]
    [polls] = await emu.polls()
    assert polls["votes"] == {str(bob["id"]): [1]} and polls["poll"]["is_closed"] is True
    with pytest.raises(EmulatorError, match="is closed"):
        await emu.answer_poll(alice, poll.id, [0])
    with pytest.raises(TelegramBadRequest, match="poll has already been closed"):
        await bot.stop_poll(group["id"], sent.message_id)
    text = await bot.send_message(group["id"], "not a poll")
    with pytest.raises(TelegramBadRequest, match="message is not a poll"):
        await bot.stop_poll(group["id"], text.message_id)
    with pytest.raises(TelegramBadRequest, match="message with poll to stop not found"):
        await bot.stop_poll(group["id"], 999)


async def test_anonymous_multiple_and_quiz_polls(emu: TelegramEmulator, bot: Bot) -> None:
    """Anonymous votes only change counts; poll_answer obeys allowed_updates; quizzes refuse a changed answer."""
    alice = await started_user(emu, bot)
    anonymous = await bot.send_poll(alice["id"], "Which days?", ["Sat", "Sun", "Mon"], allows_multiple_answers=True)
    assert anonymous.poll.is_anonymous is True and anonymous.poll.allows_multiple_answers is True
    voted = await emu.answer_poll(alice, anonymous.poll.id, [0, 2])
    assert voted["poll_answer_update_id"] is None
    [update] = await bot.get_updates(offset=voted["poll_update_id"])
    assert [o.voter_count for o in update.poll.options] == [1, 0, 1] and update.poll.total_voter_count == 1

    named = await bot.send_poll(alice["id"], "Coming?", ["Yes", "No"], is_anonymous=False)
    await bot.get_updates(offset=update.update_id + 1, allowed_updates=["message", "poll"])
    skipped = await emu.answer_poll(alice, named.poll.id, [0])
    assert skipped["poll_answer_update_id"] is None and skipped["poll_update_id"] is not None
    assert (await emu.stats())["dropped_updates"] == 1

    await bot.get_updates(offset=skipped["poll_update_id"] + 1, allowed_updates=[])
    quiz = await bot.send_poll(alice["id"], "2 + 2?", ["3", "4"], type="quiz", correct_option_id=1, is_anonymous=False)
    assert (quiz.poll.type, quiz.poll.correct_option_id, quiz.poll.allows_revoting) == ("quiz", 1, False)
    assert (await emu.answer_poll(alice, quiz.poll.id, [0]))["poll_answer_update_id"] is not None
    with pytest.raises(EmulatorError, match="doesn't let voters change their answer"):
        await emu.answer_poll(alice, quiz.poll.id, [1])


async def test_poll_open_period_closes_it(emu: TelegramEmulator, bot: Bot) -> None:
    """A poll with open_period or close_date reports both, and closes by itself with a final poll update."""
    alice = await started_user(emu, bot)
    closes_at = int(time.time()) + 3600
    later = await bot.send_poll(alice["id"], "Later?", ["Yes", "No"], close_date=closes_at)
    assert int(later.poll.close_date.timestamp()) == closes_at and 3590 <= later.poll.open_period <= 3600
    sent = await bot.send_poll(alice["id"], "Quick?", ["Yes", "No"], open_period=1)
    assert sent.poll.open_period == 1 and sent.poll.close_date is not None
    [update] = await bot.get_updates(timeout=3, allowed_updates=["poll"])
    assert (update.poll.id, update.poll.is_closed) == (sent.poll.id, True)
    with pytest.raises(EmulatorError, match="is closed"):
        await emu.answer_poll(alice, sent.poll.id, [0])
