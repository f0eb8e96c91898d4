"""The console chat: a terminal or a pipe, one command a line; the embedded default of Relais."""

from __future__ import annotations

import asyncio
import sys
from typing import Callable, TextIO

from bot.core.incoming import Incoming, Origin
from bot.core.render import to_text
from bot.core.replies import Reply
from models import Account, ConsoleInbox, OutboxMessage

PLATFORM = "console"


class ConsoleChannel:
    """Delivery to console accounts: an inbox row per outbox message, read by the console chat."""

    platform = PLATFORM

    def __init__(self, on_delivered: Callable[[str], None] | None = None):
        self.on_delivered = on_delivered

    async def deliver(self, account: Account, reply: Reply, message: OutboxMessage) -> None:
        # One row per outbox message: delivering twice after a crash changes nothing.
        await ConsoleInbox.get_or_create(outbox_id=message.id, defaults={"address": account.address, "text": to_text(reply)})
        if self.on_delivered:
            self.on_delivered(account.address)

    async def post(self, chat: str, reply: Reply, message: OutboxMessage) -> None:
        """A message for a console room (`#name`): kept in the room's inbox."""
        await ConsoleInbox.get_or_create(outbox_id=message.id, defaults={"address": chat, "text": to_text(reply)})


class ConsoleChat:
    """One console account talking to the core; numbers answer the last reply's choices."""

    def __init__(self, dispatcher, address: str, room: str | None = None, locale: str | None = None):
        self.dispatcher = dispatcher
        self.address = address
        self.chat = f"#{room}" if room else None
        self.locale = locale
        self._choices: list = []

    def incoming(self, line: str) -> Incoming:
        text, origin = line.strip(), Origin.TYPED
        if text.isdigit() and 1 <= int(text) <= len(self._choices):
            text, origin = self._choices[int(text) - 1].command, Origin.BUTTON
            if self.chat:
                text = "/" + text
        return Incoming(platform=PLATFORM, address=self.address, text=text, display_name=self.address,
                        chat=self.chat, locale=self.locale, origin=origin)

    async def exchange(self, line: str) -> str:
        """What the console prints for one line ("" when Relais stays silent)."""
        reply = await self.dispatcher.handle(self.incoming(line))
        if reply is None:
            return ""
        self._choices = list(reply.choices)
        return render(reply)

    async def unseen(self) -> list[str]:
        rows = await ConsoleInbox.filter(address=self.address, seen=False).order_by("id")
        if rows:
            await ConsoleInbox.filter(id__in=[r.id for r in rows]).update(seen=True)
        return [r.text for r in rows]

    async def run_pipe(self, stream: TextIO, out: TextIO) -> int:
        """One command per line in, each reply out followed by a blank line; returns lines handled."""
        count = 0
        loop = asyncio.get_running_loop()
        while True:
            line = await loop.run_in_executor(None, stream.readline)
            if not line:
                return count
            if not line.strip():
                continue
            out.write((await self.exchange(line)) + "\n\n")
            out.flush()
            count += 1

    async def run_terminal(self, stop: asyncio.Event, banner: str, prompt: str = "› ") -> None:
        """The interactive chat: notifications for this account are shown between commands."""
        loop = asyncio.get_running_loop()
        print(banner, flush=True)
        while not stop.is_set():
            for note in await self.unseen():
                print("\n📬 " + note.replace("\n", "\n   ") + "\n", flush=True)
            try:
                line = await loop.run_in_executor(None, _read, prompt)
            except EOFError:
                break
            if line is None or line.strip() in ("quit", "exit", "quitter"):
                break
            if line.strip():
                print(await self.exchange(line) + "\n", flush=True)


def _read(prompt: str) -> str | None:
    try:
        return input(prompt)
    except (EOFError, KeyboardInterrupt):
        return None


def render(reply: Reply) -> str:
    text = to_text(reply)
    return ("⚠️  " + text) if reply.error else text


def is_terminal(stream=None) -> bool:
    stream = stream or sys.stdin
    return hasattr(stream, "isatty") and stream.isatty()
