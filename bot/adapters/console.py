"""The console chat: a terminal or a pipe, one command a line; the embedded default of Relais.

The console is the one channel without a remote peer to acknowledge: a line is read, answered and printed,
so it is not stored in the inbox. Files are written under the data directory and their path printed.
"""

from __future__ import annotations

import asyncio
import re
import sys
from pathlib import Path
from typing import TextIO

from bot.core.adapter import Turn
from bot.core.choices import conversation
from bot.core.inbox import Event
from bot.core.incoming import Incoming, Origin
from bot.core.ports import Ports
from bot.core.render import block_text, fallback
from bot.core.replies import Attachment, Block, LinkButton, Reply
from models import Account, ConsoleInbox, OutboxMessage

PLATFORM = "console"
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def render_text(reply: Reply, saved: dict[str, Path] | None = None) -> str:
    """The console's text: blocks, links as `label: url`, files as their saved path, numbered choices."""
    saved = saved or {}
    out: list[str] = []
    for element in reply.blocks:
        if isinstance(element, LinkButton):
            out.append(f"🔗 {element.label}: {element.url}")
        elif isinstance(element, Attachment) and element.filename in saved:
            caption = f" — {element.caption}" if element.caption else ""
            out.append(f"📎 {element.filename}{caption}\n   {saved[element.filename]}")
        else:
            out.extend(block_text(b) for b in fallback(element))
    if reply.choices:
        out.append("\n".join(f"  {i}) {c.label}" for i, c in enumerate(reply.choices, 1)))
    text = "\n\n".join(o for o in out if o)
    return ("⚠️  " + text) if reply.error else text


class ConsoleAdapter:
    """The console channel: console accounts' notifications (kept in their inbox) and the chat's rendering."""

    platform = PLATFORM
    native: tuple[type, ...] = (Block, LinkButton, Attachment)

    def __init__(self, ports: Ports):
        self.ports = ports
        self.files = ports.data_dir / "files"
        self.on_delivered = None

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def translate(self, event: Event) -> Turn | None:
        p = event.payload
        return Turn(await self.incoming(p["address"], p["text"], p.get("room"), p.get("locale")), {"to": p["address"]})

    async def incoming(self, address: str, line: str, room: str | None = None, locale: str | None = None) -> Incoming:
        """The Incoming for a typed line; a number answers the choices this account was offered last."""
        chat = f"#{room}" if room else None
        text, origin = line.strip(), Origin.TYPED
        if text.isdigit():
            choice = await self.ports.choices.pick(conversation(PLATFORM, address, chat), int(text))
            if choice is not None:
                text, origin = ("/" if chat else "") + choice.command, Origin.BUTTON
        return Incoming(platform=PLATFORM, address=address, text=text, display_name=address, chat=chat, locale=locale,
                        origin=origin)

    async def render(self, reply: Reply, where: dict) -> list[dict]:
        saved = await self.save_files(reply)
        return [{"op": "print", "to": where.get("to", ""), "text": render_text(reply, saved)}]

    async def perform(self, action: dict) -> str | None:
        print(action["text"], flush=True)
        return None

    async def save_files(self, reply: Reply) -> dict[str, Path]:
        """Each attachment written under the data directory (a new name when one exists); returns their paths."""
        saved: dict[str, Path] = {}
        for item in reply.elements(Attachment):
            saved[item.filename] = await asyncio.to_thread(self._write, item)
        return saved

    def _write(self, item: Attachment) -> Path:
        self.files.mkdir(parents=True, exist_ok=True)
        stem, dot, ext = (_UNSAFE.sub("-", item.filename).strip("-.") or "file").partition(".")
        path = self.files / f"{stem}{dot}{ext}"
        n = 1
        while path.exists():
            n += 1
            path = self.files / f"{stem}-{n}{dot}{ext}"
        path.write_bytes(item.data)
        return path.resolve()

    async def deliver(self, account: Account, reply: Reply, message: OutboxMessage) -> None:
        # One row per outbox message: delivering twice after a crash changes nothing.
        text = render_text(reply, await self.save_files(reply))
        await ConsoleInbox.get_or_create(outbox_id=message.id, defaults={"address": account.address, "text": text})
        await self.ports.choices.offer(conversation(PLATFORM, account.address), reply.choices)
        if self.on_delivered:
            self.on_delivered(account.address)

    async def post(self, chat: str, reply: Reply, message: OutboxMessage) -> None:
        """A message for a console room (`#name`): kept in the room's inbox."""
        await ConsoleInbox.get_or_create(outbox_id=message.id, defaults={"address": chat, "text": render_text(reply)})


class ConsoleChat:
    """One console account talking to the core; numbers answer the last reply's choices."""

    def __init__(self, adapter: ConsoleAdapter, address: str, room: str | None = None, locale: str | None = None):
        self.adapter = adapter
        self.ports = adapter.ports
        self.address = address
        self.room = room
        self.locale = locale
        self.where = conversation(PLATFORM, address, f"#{room}" if room else None)

    async def exchange(self, line: str) -> str:
        """What the console prints for one line ("" when Relais stays silent)."""
        incoming = await self.adapter.incoming(self.address, line, self.room, self.locale)
        reply = await self.ports.dispatch(incoming)
        if reply is None:
            return ""
        await self.ports.choices.offer(self.where, reply.choices)
        return render_text(reply, await self.adapter.save_files(reply))

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


def is_terminal(stream=None) -> bool:
    stream = stream or sys.stdin
    return hasattr(stream, "isatty") and stream.isatty()
