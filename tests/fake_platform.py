"""A small platform written only through the adapter contract (bot/runtime/adapter.py), for the tests.

It is what a new platform (XMPP, Mastodon…) writes: translate, render, transport. Its events go through the
core's inbox and pipeline like Telegram's and Matrix's; its transport is a list of what it "sent".
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from typing import ClassVar

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from bot.config import Section
from bot.core import platforms
from bot.core.choices import conversation
from bot.core.incoming import Incoming, Origin
from bot.core.numbers import is_number
from bot.core.plan import Plan
from bot.core.render import to_text
from bot.core.replies import Block, Reply
from bot.runtime.adapter import Turn
from bot.runtime.inbox import Event
from bot.runtime.ports import Ports
from models import Account, OutboxMessage

PLATFORM = "fake"


class FakeSettings(Section):
    """The platform's settings section, in its own folder: RELAIS_FAKE_* or a [fake] table."""

    model_config = SettingsConfigDict(env_prefix="RELAIS_FAKE_", env_file=".env", extra="ignore")
    toml_table: ClassVar[str] = "fake"

    enabled: bool = Field(False, description="Serve the fake platform (a real one turns on with its token or server).")


def _adapter(build: platforms.Build) -> FakePlatform | None:
    return FakePlatform(build.ports) if build.settings.section(PLATFORM).enabled else None


# What a platform's package says about itself when imported (bot/adapters/telegram/__init__.py does the same).
DESCRIPTION = platforms.Platform(PLATFORM, "Fake", "fake:<name>", section=PLATFORM, settings=FakeSettings, adapter=_adapter,
                                 words=("faux",), order=40)


@contextmanager
def registered() -> Iterator[platforms.Platform]:
    """The platform in the registry for a test (a package under bot/adapters/ registers for good when imported)."""
    platforms.register(DESCRIPTION)
    try:
        yield DESCRIPTION
    finally:
        platforms.unregister(PLATFORM)


class FakePlatform:
    platform = PLATFORM
    native: tuple[type, ...] = (Block,)  # every other element arrives as the core's text fallback

    def __init__(self, ports: Ports):
        self.ports = ports
        self.inbox = ports.inbox(self)
        self.sent: list[dict] = []  # the transport: what the platform would have shown, in order
        self._ids = itertools.count(1)
        self._waiters: dict[str, asyncio.Future] = {}

    async def start(self) -> None:
        await self.inbox.resume()

    async def stop(self) -> None:
        await self.inbox.stop()

    # -- what a platform's own code does: receive, translate, render, transport ----------------------------

    async def receive(self, user: str, text: str, room: str | None = None, reply_to: str | None = None) -> str:
        """A message arrives (`reply_to`: the ref of the message it replies to): stored in the inbox (as a platform's
        events are), then answered; returns the answer."""
        key = f"fake:{next(self._ids)}:{user}"
        waiter = self._waiters[key] = asyncio.get_running_loop().create_future()
        payload = {"user": user, "text": text, "room": room, "reply_to": reply_to, "id": key}
        fresh = await self.inbox.accept([Event(key, f"fake:{room or user}", payload)])
        assert fresh, "the inbox stores every new event"
        await self.inbox.idle()
        return waiter.result() if waiter.done() else ""

    async def translate(self, event: Event) -> Turn | None:
        p = event.payload
        text, origin = p["text"].strip(), Origin.TYPED
        chat = f"#{p['room']}" if p.get("room") else None
        if is_number(text):
            choice = await self.ports.choices.pick(conversation(PLATFORM, p["user"], chat), int(text))
            if choice is not None:
                text, origin = ("/" if chat else "") + choice.command, Origin.BUTTON
        incoming = Incoming(platform=PLATFORM, address=p["user"], text=text, display_name=p["user"], chat=chat, origin=origin,
                            message_id=p.get("id"), replying_to=(p["reply_to"],) if p.get("reply_to") else ())
        return Turn(incoming, {"key": event.key, "user": p["user"], "chat": chat})

    async def render(self, reply: Reply, where: dict) -> Plan:
        if "outbox" in where:  # a notification; its ref (`n<outbox id>`) is what a reply to it names
            return Plan([{"op": where["op"], "to": where["to"], "text": to_text(reply), "outbox": where["outbox"],
                          "answers": where["answers"]}])
        set_id = await self.ports.choices.store(reply.choices) if reply.choices else None
        text = to_text(reply)
        return Plan([{"op": "show", "key": where["key"], "text": ("⚠️  " + text) if reply.error else text,
                 "offer": {"where": conversation(PLATFORM, where["user"], where["chat"]), "set": set_id}}])

    async def perform(self, action: dict) -> str | None:
        if "outbox" in action:
            self.sent.append({k: v for k, v in action.items() if k != "notice"})
            return f"n{action['outbox']}"
        self.sent.append(action)
        waiter = self._waiters.pop(action["key"], None)
        if waiter is not None and not waiter.done():
            waiter.set_result(action["text"])
        return f"r{len(self.sent)}"

    async def destination(self, account: Account | None, chat: str, message: OutboxMessage) -> dict:
        """A person's account (`notify`) or a room (`post`); `answers`: the message it threads under."""
        return {"op": "notify" if account is not None else "post", "to": account.address if account is not None else chat,
                "outbox": message.id, "answers": _answers(message)}


def _answers(message: OutboxMessage) -> str | None:
    target = (message.payload or {}).get("reply_to") or {}
    return target.get("ref") if target.get("platform") == PLATFORM else None
