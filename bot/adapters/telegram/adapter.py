"""The Telegram adapter: long polling or a webhook into the core's inbox, rendering, and the Bot API calls.

aiogram is the transport (Bot, its HTTP session, its errors); updates are read as the Bot API's JSON.
"""

from __future__ import annotations

import asyncio
import base64
import hmac
import logging
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from urllib.parse import urlsplit

from aiogram import Bot
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramConflictError,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.types import BufferedInputFile, MessageEntity
from aiogram.utils.text_decorations import html_decoration
from aiohttp import web

from bot.adapters.telegram import menu, poll_rows, polls
from bot.adapters.telegram.render import NATIVE, ChoiceData, length, marked, needs_keyboard, toast
from bot.adapters.telegram.translate import (
    ALBUM,
    ALLOWED_UPDATES,
    PLATFORM,
    album_speaker,
    chat_of,
    display_name,
    file_refs,
    message_incoming,
    message_ref,
    relevant,
    thread_of,
)
from bot.adapters.telegram.transport import (
    GONE,
    AnswerCallback,
    EditMarkup,
    EditText,
    JsonSession,
    RawUpdates,
    Send,
    SendDocument,
    Sender,
    SendPhoto,
    SendPoll,
    StopPoll,
)
from bot.config import TelegramSettings
from bot.core.errors import TemporaryFailure, Unreachable
from bot.core.i18n import N_, normalize_locale
from bot.core.incoming import Incoming, Origin, Upload
from bot.core.numbers import read_number
from bot.core.plan import Plan
from bot.core.replies import Reply
from bot.runtime.adapter import Turn
from bot.runtime.inbox import Event
from bot.runtime.inbox_store import recent
from bot.runtime.ports import Ports
from models import Account, AdapterState, ChatBinding, OutboxMessage

log = logging.getLogger("relais.telegram")

POLL_TIMEOUT = 25  # seconds a getUpdates call waits for news
# An album's messages come within a fraction of a second: it is whole once none has come for ALBUM_QUIET seconds (read
# at most ALBUM_WAIT seconds), among the chat's events of the last ALBUM_LOOK_BACK.
ALBUM_QUIET = 1.0
ALBUM_WAIT = 6.0
ALBUM_LOOK_BACK = timedelta(minutes=2)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
PRESENT = ("creator", "administrator", "member")
EXPIRED = N_("This button no longer works; type the command instead.")
NO_PREVIEW = {"is_disabled": True}


def webhook_secret(token: str) -> str:
    """Without RELAIS_TELEGRAM_WEBHOOK_SECRET, one derived from the token: every process behind the load balancer
    checks the same one."""
    digest = hmac.new(token.encode(), b"relais telegram webhook", "sha256").digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


class TelegramAdapter:
    """Members chat with Relais in Telegram: private chats and groups (forum topics included)."""

    platform = PLATFORM
    native = NATIVE

    def __init__(self, settings: TelegramSettings, ports: Ports):
        self.settings = settings
        self.ports = ports
        self._uploading: dict[str, asyncio.Lock] = {}  # a stored picture being uploaded: its other sends wait for its file_id
        session = JsonSession(api=TelegramAPIServer.from_base(settings.api_url.rstrip("/")))
        self.bot = Bot(settings.token.get_secret_value(), session=session)
        self.sender = Sender(self.bot, settings.global_rate, settings.chat_rate, settings.group_per_minute)
        self.inbox = ports.inbox(self)
        self.secret = settings.webhook_secret.get_secret_value() or webhook_secret(settings.token.get_secret_value())
        self.me: dict = {}
        self._ready = asyncio.Event()
        self._task: asyncio.Task | None = None
        self._sweeper: asyncio.Task | None = None
        self._stopping = asyncio.Event()
        self._runner: web.AppRunner | None = None

    # -- lifecycle ----------------------------------------------------------------------------------------

    async def start(self) -> None:
        """Returns at once: connecting waits for Telegram in the background, so other channels are not held up."""
        self._task = asyncio.create_task(self._run(), name="telegram")

    async def wait_ready(self, timeout: float | None = None) -> bool:
        try:
            await asyncio.wait_for(self._ready.wait(), timeout)
        except TimeoutError:
            return False
        return True

    async def stop(self) -> None:
        self._stopping.set()
        for task in (self._task, self._sweeper):
            if task is not None:
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
        if self._runner is not None:
            await self._runner.cleanup()  # the webhook stays set: Telegram keeps the updates until the next start
        await self.inbox.stop()
        await self.bot.session.close()

    async def _run(self) -> None:
        try:
            await self._connect()
            try:
                await menu.publish(self.bot, self.ports.registry, self.ports.catalogs, self.ports.default_locale)
            except Exception:
                log.exception("telegram command menu not published")
            await self.inbox.resume()
            # Later sweeps take what an operator put back (`relais failed --retry`) or another process left.
            self._sweeper = asyncio.create_task(self.inbox.run(self._stopping), name="telegram-sweep")
            if self.settings.webhook_url:  # every process takes updates (behind a load balancer): no role
                await self._serve_webhook()
            else:  # Telegram allows one getUpdates consumer: the process holding the role
                await self.ports.role("telegram").run(self._poll)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("telegram adapter stopped")

    async def _connect(self) -> None:
        delay = 1.0
        while True:
            try:
                self.me = (await self.bot.get_me()).model_dump(mode="json", exclude_none=True)
                break
            except TelegramUnauthorizedError:
                log.error("telegram refused the token")
                delay = 60.0
            except Exception as exc:
                log.warning("telegram not reachable", extra={"error": str(exc)[:200]})
            await asyncio.sleep(delay)
            delay = min(60.0, delay * 2)
        self._ready.set()
        log.info("telegram connected", extra={"username": self.me.get("username"),
                                              "mode": "webhook" if self.settings.webhook_url else "polling"})

    # -- in: updates stored with the offset, then handled by the inbox --------------------------------------

    @property
    def offset_key(self) -> str:
        return f"telegram:{self.me['id']}:offset"

    def event(self, update: dict) -> Event:
        return Event(f"telegram:{self.me['id']}:{update['update_id']}", f"telegram:{chat_of(update) or 0}", update)

    async def accept(self, updates: list[dict]) -> int:
        """Store what concerns Relais together with the new offset; returns the highest update id."""
        last = max(u["update_id"] for u in updates)

        async def offset(conn) -> None:
            await AdapterState.update_or_create(key=self.offset_key, defaults={"value": str(last)}, using_db=conn)

        await self.inbox.accept([self.event(u) for u in updates if relevant(u, self.me)], also=offset)
        return last

    async def _poll(self) -> None:
        """Long polling; asking for offset+1 confirms to Telegram only what `accept` has stored."""
        await self._retry(lambda: self.bot.delete_webhook(drop_pending_updates=False), "deleteWebhook")
        state = await AdapterState.get_or_none(key=self.offset_key)
        offset = int(state.value) if state else 0
        failures = 0
        while True:
            await self.inbox.room()
            try:
                updates = await self.bot(RawUpdates.of(offset=offset + 1 if offset else None, timeout=POLL_TIMEOUT,
                                                       allowed_updates=ALLOWED_UPDATES), request_timeout=POLL_TIMEOUT + 15)
                if updates:
                    offset = await self.accept(updates)
                failures = 0
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # network, server, conflict with another instance, database: same offset again
                failures += 1
                level = logging.ERROR if isinstance(exc, (TelegramUnauthorizedError, TelegramConflictError)) else logging.WARNING
                log.log(level, "telegram polling failed", extra={"error": str(exc)[:200], "failures": failures})
                await asyncio.sleep(min(30.0, 0.5 * 2 ** failures))

    async def _serve_webhook(self) -> None:
        settings = self.settings
        web_app = web.Application()
        web_app.router.add_post(urlsplit(settings.webhook_url).path or "/", self._on_webhook)
        host, _, port = settings.webhook_listen.rpartition(":")
        self._runner = web.AppRunner(web_app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, host or "0.0.0.0", int(port)).start()
        await self._retry(lambda: self.bot.set_webhook(settings.webhook_url, secret_token=self.secret,
                                                       allowed_updates=ALLOWED_UPDATES), "setWebhook")

    async def _on_webhook(self, request: web.Request) -> web.Response:
        if not hmac.compare_digest(request.headers.get(SECRET_HEADER, "").encode(), self.secret.encode()):
            log.warning("telegram webhook refused: wrong secret")
            return web.Response(status=401)
        try:
            update = await request.json()
        except ValueError:
            return web.Response(status=400)
        if not isinstance(update, dict) or not isinstance(update.get("update_id"), int):
            return web.Response(status=400)
        try:
            await self.accept([update])  # stored before the 200 that tells Telegram it arrived
        except Exception:
            log.exception("telegram update not stored")
            return web.Response(status=500)  # Telegram sends it again later
        return web.Response()

    async def _retry(self, call, what: str) -> None:
        delay = 1.0
        while True:
            try:
                await call()
                return
            except Exception as exc:
                log.warning("telegram call failed", extra={"method": what, "error": str(exc)[:200]})
            await asyncio.sleep(delay)
            delay = min(60.0, delay * 2)

    # -- the contract: translate, render, perform ---------------------------------------------------------

    async def translate(self, event: Event) -> Turn | None:
        update = event.payload
        if "message" in update:
            message = update["message"]
            if message.get("media_group_id"):
                message = await self._album(message, event.lane)
                if message is None:
                    return None  # a file of an album that another of its messages speaks for
            return await self._message(message)
        if "callback_query" in update:
            return await self._press(update["callback_query"])
        if "poll_answer" in update:
            return await self._vote(update["poll_answer"])
        member = update.get("my_chat_member")
        if member is not None:
            status = member["new_chat_member"]["status"]
            if member["chat"]["type"] == "private":  # the person blocked the bot, or opened the chat again
                await _reachable(str(member["chat"]["id"]), status in PRESENT)
            log.info("telegram bot status", extra={"chat_id": member["chat"]["id"], "status": status})
            return None
        member = update.get("chat_member")
        if member is not None and member["new_chat_member"]["status"] in PRESENT \
                and member["old_chat_member"]["status"] not in PRESENT:
            await self._joined(member["chat"], [member["new_chat_member"]["user"]])
        return None

    async def _album(self, message: dict, lane: str) -> dict | None:
        """An album comes as one message per file, one update each: a webhook may bring them to several processes, a
        long poll in two batches. Its messages are read from the inbox once none has come for ALBUM_QUIET seconds; the
        one that speaks for it (`album_speaker`) gets the others' files, the others are nothing to answer."""
        group = message["media_group_id"]
        loop = asyncio.get_running_loop()
        began = loop.time()
        while True:
            now = datetime.now(timezone.utc)
            stored = [(payload["message"], at) for payload, at in await recent(PLATFORM, lane, now - ALBUM_LOOK_BACK)
                      if (payload.get("message") or {}).get("media_group_id") == group]
            newest = max((at for _, at in stored), default=now)
            if (now - newest).total_seconds() >= ALBUM_QUIET or loop.time() - began >= ALBUM_WAIT:
                break
            await asyncio.sleep(0.2)
        parts = [m for m, _ in stored] or [message]
        speaker = album_speaker(parts)
        if speaker["message_id"] != message["message_id"]:
            return None
        others = [ref for m in sorted(parts, key=lambda m: m["message_id"]) if m["message_id"] != message["message_id"]
                  for ref in file_refs(m)]
        return {**message, ALBUM: others}

    async def _message(self, message: dict) -> Turn | None:
        chat = message["chat"]
        if message.get("migrate_to_chat_id"):  # a group became a supergroup: its binding follows the new id
            await ChatBinding.filter(platform=PLATFORM, chat_id=str(chat["id"])).update(chat_id=str(message["migrate_to_chat_id"]))
            self.ports.services.people.changed()
            return None
        if message.get("new_chat_members"):
            await self._joined(chat, message["new_chat_members"])
            return None
        incoming = message_incoming(message, self.me)
        if incoming is None:
            return None
        refs = file_refs(message)
        if refs:  # a photo or a document with its caption: the files fetched from Telegram, for the core to check
            incoming = replace(incoming, files=tuple([await self._download(ref) for ref in refs]))
        if incoming.direct and incoming.text.startswith("/start"):
            await _reachable(incoming.address, True)  # Start opens the private chat again
        group = not incoming.direct
        return Turn(incoming, {"chat": chat["id"], "group": group, "reply_to": message["message_id"] if group else None,
                               "thread": thread_of(message)})

    async def _download(self, ref: dict) -> Upload:
        """A file a person sent, by getFile (Telegram serves bots files up to 20 MB; a larger one comes empty and is
        refused as unreadable)."""
        try:
            found = await self.bot.get_file(ref["file_id"])
            data = await self.bot.download_file(found.file_path or "") if found.file_path else None
        except TelegramBadRequest as exc:
            log.warning("telegram file not fetched", extra={"error": str(exc)[:200]})
            data = None
        return Upload(ref["name"], data.read() if data is not None else b"")

    async def _press(self, query: dict) -> Turn:
        message, user = query.get("message"), query["from"]
        try:
            data = ChoiceData.unpack(query.get("data") or "")
            choice = await self.ports.choices.pick_from(data.k, data.i)
        except (TypeError, ValueError):
            choice = None
        if choice is None:
            t = self.ports.catalogs.get(user.get("language_code") or self.ports.default_locale)
            return Turn(None, before=[{"op": "answer", "id": query["id"], "text": t(EXPIRED)}])
        chat = message["chat"]["id"] if message else user["id"]
        group = message is not None and message["chat"]["type"] != "private"
        thread = thread_of(message) if message else None
        incoming = Incoming(platform=PLATFORM, address=str(user["id"]), text="/" + choice.command, display_name=display_name(user),
                            chat=str(chat) if group else None, locale=user.get("language_code"), origin=Origin.BUTTON,
                            thread=str(thread) if thread is not None else None)
        where: dict = {"chat": chat, "group": group, "callback": query["id"], "thread": thread,
                       "reply_to": message["message_id"] if group and message else None}
        if message is not None and message.get("text"):
            # The choice made is noted under the message; in a group the buttons stay for the others.
            where["edit"] = {"message": message["message_id"], "length": length(message["text"]), "label": choice.label,
                             "html": _html(message), "who": display_name(user) if group else None,
                             "markup": message.get("reply_markup") if group else None}
        return Turn(incoming, where)

    async def _vote(self, answer: dict) -> Turn:
        """An answer in a native poll: the poll's vote command from that person, as if said in the poll's group (so the
        group's community is the one voted in); what Relais answers goes to the voter's private chat, not the group."""
        user = answer.get("user")
        row = await poll_rows.find(str(answer.get("poll_id")))
        if row is None:
            return Turn(None, outcome="answer to an unknown poll")
        if user is None:  # an anonymous administrator votes as the chat: nobody to count the ballot for
            return Turn(None, outcome="poll answer without a voter")
        line = polls.answer_line(row.vote, answer.get("option_ids") or [])
        incoming = Incoming(platform=PLATFORM, address=str(user["id"]), text="/" + line, display_name=display_name(user),
                            chat=row.chat, locale=user.get("language_code"), origin=Origin.BUTTON, addressed=True)
        return Turn(incoming, {"chat": user["id"], "group": False})  # a private chat's id is its person's id

    async def _joined(self, chat: dict, users: list[dict]) -> None:
        """New members of a bound group become members of its community."""
        binding = await ChatBinding.get_or_none(platform=PLATFORM, chat_id=str(chat["id"])).select_related("community")
        if binding is None:
            return
        people = self.ports.services.people
        for user in users:
            if user.get("is_bot"):
                continue
            account = await people.account(PLATFORM, str(user["id"]), display_name(user),
                                           normalize_locale(user.get("language_code"), "") or None)
            await people.join(account.person, binding.community)
            log.info("telegram member joined", extra={"chat_id": chat["id"], "community": binding.community.slug})

    async def render(self, reply: Reply, where: dict) -> Plan:
        group = bool(where.get("group"))
        actions: list[dict] = []
        edit = where.get("edit")
        if edit is not None:
            html = marked(edit["html"], edit["length"], edit["label"], edit.get("who"))
            if html is not None or not group:
                actions.append({"op": "edit", "chat": where["chat"], "message": edit["message"], "text": html,
                                "markup": edit.get("markup")})
        if where.get("callback"):
            actions.append({"op": "answer", "id": where["callback"], "text": toast(reply)})
        sends = await self.messages(reply, where["chat"], group, where.get("reply_to"), where.get("thread"))
        first = next((step for step in sends if step["op"] != "stop"), None)
        if where.get("answering") and first is not None and first["op"] in ("send", "poll"):
            first["reply_to"] = where["answering"]  # a notification's answer, under the message it answers
        return Plan(actions + sends)

    async def messages(self, reply: Reply, chat: int, group: bool, reply_to: int | None = None,
                       thread: int | None = None) -> list[dict]:
        """The calls that show a reply in a chat: the native polls it closes stopped, then its sends."""
        return await poll_rows.closing(reply, chat) + await self._sends(reply, chat, group, reply_to, thread)

    async def _sends(self, reply: Reply, chat: int, group: bool, reply_to: int | None = None,
                     thread: int | None = None) -> list[dict]:
        """Its messages (keyboard on the last), native polls and files (polls.plan)."""
        username = self.me.get("username") or ""
        choices = polls.choices(reply, group)
        keyboard = None
        if choices and needs_keyboard(choices, username, group):
            keyboard = await self.ports.choices.store(choices)
        return polls.plan(reply, chat, username=username, group=group, keyboard=keyboard, reply_to=reply_to, thread=thread)

    async def perform(self, action: dict) -> str | None:
        """One planned call; refusals that retrying cannot fix are logged and skipped (the rest goes on), except a
        notification's: they say whether to try the person's next account or later."""
        op, chat = action["op"], action.get("chat")
        if action.get("notice"):
            return await self._outbox_call(action, int(action["chat"]))
        try:
            action, result = await self._with_file(action, lambda a: self.sender.call(self._method(a), chat, kind=_kind(op)))
        except (TelegramForbiddenError, TelegramBadRequest) as exc:
            if op == "stop":
                await _not_stopped(action, exc)
                return None
            # Blocked meanwhile, kicked from the group, message gone, query too old, a private chat never
            # started (the answer to a vote in a group's poll): nothing to retry.
            log.warning("telegram call refused", extra={"op": op, "chat_id": chat, "error": exc.message[:200]})
            return None
        await _noted(action, result)
        return _ref(action, result)

    async def _with_file(self, action: dict, call) -> tuple[dict, object]:
        """Make a call; a picture of the file store goes by Telegram's file_id once Telegram has it: the first send
        uploads its bytes while the other sends of it wait, then they all name that id."""
        if action["op"] != "photo" or "file" not in action:
            return action, await call(action)
        files = self.ports.services.files
        remote = await files.remote_id(action["file"], PLATFORM)
        if remote:
            return action, await call({**action, "remote": remote})
        async with self._uploading.setdefault(action["file"], asyncio.Lock()):
            remote = await files.remote_id(action["file"], PLATFORM)
            if remote:
                return action, await call({**action, "remote": remote})
            result = await call({**action, "bytes": await files.read(action["file"])})
            if isinstance(result, dict) and result.get("photo"):
                await files.remember(action["file"], PLATFORM, str(result["photo"][-1].get("file_id", "")))
        self._uploading.pop(action["file"], None)
        return action, result

    def _method(self, action: dict):
        op, chat = action["op"], action.get("chat")
        if op == "send":
            reply_to = {"message_id": action["reply_to"], "allow_sending_without_reply": True} if action.get("reply_to") else None
            return Send.of(chat_id=chat, text=action["text"], parse_mode="HTML", reply_markup=action.get("markup"),
                           reply_parameters=reply_to, message_thread_id=action.get("thread"), link_preview_options=NO_PREVIEW)
        if op == "poll":
            reply_to = {"message_id": action["reply_to"], "allow_sending_without_reply": True} if action.get("reply_to") else None
            return SendPoll.of(chat_id=chat, question=action["question"], options=[{"text": o} for o in action["options"]],
                               is_anonymous=False, allows_multiple_answers=action.get("multiple") or None,
                               reply_markup=action.get("markup"), reply_parameters=reply_to, message_thread_id=action.get("thread"))
        if op == "stop":
            return StopPoll.of(chat_id=chat, message_id=action["message"])
        if op == "photo":
            photo = action.get("remote") or BufferedInputFile(action["bytes"] if "bytes" in action else base64.b64decode(action["data"]),
                                                              filename=action["filename"])
            return SendPhoto.of(chat_id=chat, photo=photo, caption=action.get("caption") or None,
                                message_thread_id=action.get("thread"))
        if op == "document":
            document = BufferedInputFile(base64.b64decode(action["data"]), filename=action["filename"])
            return SendDocument.of(chat_id=chat, document=document, caption=action.get("caption") or None,
                                   message_thread_id=action.get("thread"))
        if op == "edit" and action.get("text"):
            return EditText.of(chat_id=chat, message_id=action["message"], text=action["text"], parse_mode="HTML",
                               reply_markup=action.get("markup"), link_preview_options=NO_PREVIEW)
        if op == "edit":
            return EditMarkup.of(chat_id=chat, message_id=action["message"], reply_markup=action.get("markup"))
        return AnswerCallback.of(callback_query_id=action["id"], text=action.get("text"))

    # -- notifications ------------------------------------------------------------------------------------

    async def destination(self, account: Account | None, chat: str, message: OutboxMessage) -> dict:
        """A person's private chat with the bot (they must have pressed Start), or a group bound to a community
        (`chat` or `chat/topic`; a group that is gone is retried later)."""
        if not await self.wait_ready(10.0):
            raise TemporaryFailure("Telegram is not connected yet")
        if account is not None:
            chat_id, thread = int(account.address), None
        else:
            group, _, topic = chat.partition("/")
            chat_id, thread = int(group), int(topic) if topic else None
        return {"chat": chat_id, "group": account is None, "thread": thread, "answering": _replying(message, chat_id)}

    async def _outbox_call(self, action: dict, chat_id: int) -> str | None:
        """One call of a notification; its failures say whether to try the person's next account or later."""
        if not self._ready.is_set() and not await self.wait_ready(10.0):  # a plan resumed at start
            raise TemporaryFailure("Telegram is not connected yet")
        sender = self.sender
        held = sender.held_for(chat_id)
        if held:  # Telegram asked to wait: the outbox tries again later, other people's notifications go on
            raise TemporaryFailure(f"flood control: {held:.0f} s to wait")
        try:
            action, result = await self._with_file(action, lambda a: sender.call(self._method(a), chat_id, kind=_kind(a["op"]), attempts=3,
                                                                                 wait_429=False))
        except TelegramRetryAfter as exc:
            raise TemporaryFailure(f"flood control: retry after {exc.retry_after} s") from exc
        except TelegramForbiddenError as exc:  # blocked the bot, never started it, deactivated
            raise Unreachable(exc.message) from exc
        except TelegramBadRequest as exc:
            if action["op"] == "stop":  # stopped already, or its message deleted: the notification goes on
                await _not_stopped(action, exc)
                return None
            if any(gone in exc.message for gone in GONE):
                raise Unreachable(exc.message) from exc
            raise TemporaryFailure(exc.message) from exc
        except (TelegramNetworkError, TelegramServerError) as exc:
            raise TemporaryFailure(str(exc)) from exc
        await _noted(action, result)
        return _ref(action, result)


def _ref(action: dict, result: object) -> str | None:
    """The message a call created, as Relais names it (a reply to it is then recognised)."""
    if isinstance(result, dict) and "message_id" in result:
        return message_ref(action.get("chat", ""), result["message_id"])
    return None


def _replying(message: OutboxMessage, chat_id: int) -> int | None:
    """The message of this chat a notification answers (a comment's answer goes under the comment)."""
    target = (message.payload or {}).get("reply_to") or {}
    if target.get("platform") != PLATFORM or read_number(str(target.get("ref", ""))) is None:
        return None
    chat = target.get("chat")
    if chat is not None and str(chat) != str(chat_id):
        return None
    if chat is None and (message.payload or {}).get("via") != f"{PLATFORM}:{chat_id}":
        return None  # a direct answer goes under the message only in the private chat it was written in
    return int(target["ref"])


def _kind(op: str) -> str:
    """How the Sender counts a call: a stopPoll edits a message, a poll is sent like one."""
    return {"answer": "answer", "edit": "edit", "stop": "edit"}.get(op, "send")


async def _noted(action: dict, result: object) -> None:
    """What Relais keeps of a call that worked: the poll sent (to map its answers), the poll stopped."""
    if action["op"] == "poll":
        await poll_rows.sent(action, result)
    elif action["op"] == "stop":
        await poll_rows.stopped(action)


async def _not_stopped(action: dict, exc: TelegramBadRequest | TelegramForbiddenError) -> None:
    if poll_rows.ALREADY_CLOSED in exc.message:  # closed by hand in Telegram, or a repeated call
        await poll_rows.stopped(action)
    else:
        log.warning("telegram poll not stopped", extra={"chat_id": action["chat"], "error": exc.message[:200]})


async def _reachable(address: str, value: bool) -> None:
    await Account.filter(platform=PLATFORM, address=address, reachable=not value).update(reachable=value)


def _html(message: dict) -> str:
    """The message's text as HTML, its formatting kept (what an edit must send back)."""
    entities = [MessageEntity.model_validate(e) for e in message.get("entities") or []]
    return html_decoration.unparse(message.get("text") or "", entities)
