"""The Telegram adapter's lifecycle: a Bot on the configured Bot API server, long polling or a webhook, delivery."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import secrets
from collections import OrderedDict
from urllib.parse import urlsplit

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import TelegramConflictError, TelegramUnauthorizedError
from aiogram.types import LinkPreviewOptions, Update, User
from aiohttp import web
from pydantic import ValidationError
from tortoise.exceptions import IntegrityError

from bot.adapters.telegram import menu
from bot.adapters.telegram.actions import Handler
from bot.adapters.telegram.inbound import ALLOWED_UPDATES, Inbox
from bot.adapters.telegram.outbound import Sender, TelegramChannel
from bot.adapters.telegram.render import Rendered, needs_keyboard, render
from bot.core.replies import Choice, Reply
from models.telegram import TelegramKeyboard

log = logging.getLogger("relais.telegram")

POLL_TIMEOUT = 25  # seconds a getUpdates call waits for news
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


class TelegramAdapter:
    """Members chat with Relais in Telegram; aiogram is only the transport (Bot, types, HTTP session)."""

    name = "telegram"

    def __init__(self, app):
        self.app = app
        self.settings = settings = app.settings.telegram
        session = AiohttpSession(api=TelegramAPIServer.from_base(settings.api_url.rstrip("/")))
        self.bot = Bot(settings.token.get_secret_value(), session=session)
        self.sender = Sender(self.bot, settings.global_rate, settings.chat_rate, settings.group_per_minute)
        self.inbox = Inbox(self, Handler(self))
        self.channel = TelegramChannel(self)
        self.no_preview = LinkPreviewOptions(is_disabled=True)
        self.secret = settings.webhook_secret.get_secret_value() or secrets.token_urlsafe(32)
        self.me: User | None = None
        self._ready = asyncio.Event()
        self._task: asyncio.Task | None = None
        self._runner: web.AppRunner | None = None
        self._keyboards: OrderedDict[str, int] = OrderedDict()
        app.delivery.register(self.channel)

    async def start(self) -> None:
        """Returns at once: connecting waits for Telegram in the background, so other channels are not held up."""
        self._task = asyncio.create_task(self._run())

    async def wait_ready(self, timeout: float | None = None) -> bool:
        try:
            await asyncio.wait_for(self._ready.wait(), timeout)
        except TimeoutError:
            return False
        return True

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        if self._runner is not None:
            await self._runner.cleanup()  # the webhook stays set: Telegram keeps the updates until the next start
        await self.inbox.stop()
        await self.bot.session.close()

    async def _run(self) -> None:
        try:
            await self._connect()
            try:
                await menu.publish(self.bot, self.app.registry, self.app.catalogs, self.app.settings.core.default_locale)
            except Exception:
                log.exception("telegram command menu not published")
            await self.inbox.resume()
            if self.settings.webhook_url:
                await self._serve_webhook()
            else:
                await self._poll()
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("telegram adapter stopped")

    async def _connect(self) -> None:
        delay = 1.0
        while True:
            try:
                self.me = await self.bot.get_me()
                break
            except TelegramUnauthorizedError:
                log.error("telegram refused the token")
                delay = 60.0
            except Exception as exc:
                log.warning("telegram not reachable", extra={"error": str(exc)[:200]})
            await asyncio.sleep(delay)
            delay = min(60.0, delay * 2)
        self._ready.set()
        log.info("telegram connected", extra={"username": self.me.username, "mode": "webhook" if self.settings.webhook_url else "polling"})

    async def _poll(self) -> None:
        """Long polling; asking for offset+1 confirms to Telegram only what `accept` has stored."""
        await self._retry(lambda: self.bot.delete_webhook(drop_pending_updates=False), "deleteWebhook")
        offset = await self.inbox.offset()
        failures = 0
        while True:
            await self.inbox.room()
            try:
                updates = await self.bot.get_updates(offset=offset + 1 if offset else None, timeout=POLL_TIMEOUT,
                                                     allowed_updates=ALLOWED_UPDATES, request_timeout=POLL_TIMEOUT + 15)
                if updates:
                    offset = await self.inbox.accept(updates)
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
            update = Update.model_validate(await request.json(), context={"bot": self.bot})
        except (ValueError, ValidationError):
            return web.Response(status=400)
        try:
            await self.inbox.accept([update])  # stored before the 200 that tells Telegram it arrived
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

    async def render(self, reply: Reply, group: bool) -> list[Rendered]:
        username = self.me.username or "" if self.me else ""
        keyboard = None
        if reply.choices and needs_keyboard(reply, username, group):
            keyboard = await self._keyboard(reply.choices)
        return render(reply, username=username, group=group, keyboard=keyboard)

    async def _keyboard(self, choices: list[Choice]) -> int:
        """The stored keyboard with these choices (one row per distinct set, so a broadcast stores one)."""
        data = [[c.label, c.command] for c in choices]
        digest = hashlib.sha256(json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()).hexdigest()
        found = self._keyboards.get(digest)
        if found is not None:
            self._keyboards.move_to_end(digest)
            return found
        row = await TelegramKeyboard.get_or_none(digest=digest)
        if row is None:
            try:
                row = await TelegramKeyboard.create(digest=digest, choices=data)
            except IntegrityError:  # stored meanwhile by a concurrent reply
                row = await TelegramKeyboard.get(digest=digest)
        self._keyboards[digest] = row.id
        if len(self._keyboards) > 4096:
            self._keyboards.popitem(last=False)
        return row.id
