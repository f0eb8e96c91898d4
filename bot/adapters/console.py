"""The console chat: a terminal or a pipe, one command a line; the embedded default of Relais.

The console is the one channel without a remote peer to acknowledge: a line is read, answered and printed,
so it is not stored in the inbox. Files are written under the data directory and their path printed.
"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import TextIO

from bot.core.choices import conversation
from bot.core.incoming import Incoming, Origin, Upload
from bot.core.numbers import clean, is_number
from bot.core.plan import Plan
from bot.core.render import block_text, fallback
from bot.core.replies import Attachment, Block, LinkButton, Picture, Reply
from bot.runtime.adapter import Turn
from bot.runtime.inbox import Event
from bot.runtime.ports import Ports
from bot.services import channel_data
from models import Account, ConsoleInbox, OutboxMessage

PLATFORM = "console"
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def render_text(reply: Reply, saved: dict[str, Path] | None = None) -> str:
    """The console's text: blocks, links as `label → url`, files as their saved path, numbered choices."""
    saved = saved or {}
    out: list[str] = []
    for element in reply.blocks:
        if isinstance(element, LinkButton):
            out.append(f"🔗 {element.label} → {element.url}")  # no colon: right in French and in English
        elif isinstance(element, (Attachment, Picture)) and element.filename in saved:
            caption = f" — {element.caption}" if element.caption else ""
            out.append(f"📎 {element.filename}{caption}\n   {saved[element.filename]}")
        else:
            out.extend(block_text(b) for b in fallback(element))
    if reply.choices:
        out.append("\n".join(f"  {i}) {c.label}" for i, c in enumerate(reply.choices, 1)))
    text = "\n\n".join(o for o in out if o)
    return ("⚠️  " + text) if reply.error else text


# `news my-project Tasting on Sunday --photo ~/tasting.jpg`, `document my-project --file plans.pdf`: the console's
# way of sending a file with a command (a path on this machine, as its operator typed it).
_FILE_OPTION = re.compile(r"(?:^|\s+)--(?:photo|file|fichier)\s+(\"[^\"]+\"|'[^']+'|\S+)")
_FILE_LIMIT = 25 * 1024 * 1024  # read no further: the core says the limit of what it accepts


async def _uploads(line: str) -> tuple[str, tuple[Upload, ...]]:
    """The line without its file options, and the files they name (an unreadable one comes empty: the core says so)."""
    paths = [m.strip("\"'") for m in _FILE_OPTION.findall(line)]
    if not paths:
        return line, ()
    return _FILE_OPTION.sub("", line), tuple([Upload(Path(p).name, await asyncio.to_thread(_read, p)) for p in paths])


def _read(path: str) -> bytes:
    try:
        with open(Path(path).expanduser(), "rb") as f:
            return f.read(_FILE_LIMIT)
    except OSError:
        return b""


class ConsoleAdapter:
    """The console channel: console accounts' notifications (kept in their inbox) and the chat's rendering."""

    platform = PLATFORM
    native: tuple[type, ...] = (Block, LinkButton, Attachment, Picture)

    def __init__(self, ports: Ports):
        self.ports = ports
        self.files = ports.data_dir / "files"  # one folder per account: `forget me` takes it away
        self.on_delivered = None
        ports.services.mydata.erasers.append(self.forget_files)

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
        line, files = await _uploads(line)
        text, origin = clean(line).strip(), Origin.TYPED
        if is_number(text):
            choice = await self.ports.choices.pick(conversation(PLATFORM, address, chat), int(text))
            if choice is not None:
                text, origin = ("/" if chat else "") + choice.command, Origin.BUTTON
        return Incoming(platform=PLATFORM, address=address, text=text, display_name=address, chat=chat, locale=locale,
                        origin=origin, files=files)

    async def render(self, reply: Reply, where: dict) -> Plan:
        """An answer printed; a notification kept in the account's (or the room's) inbox, its files saved for an account."""
        if "outbox" not in where:
            saved = await self.save_files(reply, where.get("to", ""))
            return Plan([{"op": "print", "to": where.get("to", ""), "text": render_text(reply, saved)}])
        to, person = where["to"], where["person"]
        text = render_text(reply, await self.save_files(reply, to) if person else None)
        step = {"op": "inbox", "to": to, "outbox": where["outbox"], "text": text, "person": person}
        if person:  # its numbers answer its choices in the account's conversation
            set_id = await self.ports.choices.store(reply.choices) if reply.choices else None
            step["offer"] = {"where": conversation(PLATFORM, to), "set": set_id}
        return Plan([step])

    async def perform(self, action: dict) -> str | None:
        if action["op"] == "inbox":
            # One row per outbox message: delivering twice after a crash changes nothing.
            await ConsoleInbox.get_or_create(outbox_id=action["outbox"], defaults={"address": action["to"], "text": action["text"]})
            if action["person"] and self.on_delivered:
                self.on_delivered(action["to"])
            return None
        print(action["text"], flush=True)
        return None

    async def save_files(self, reply: Reply, owner: str = "") -> dict[str, Path]:
        """Each attachment written under the data directory, in the account's folder (a new name when one exists);
        returns their paths."""
        saved: dict[str, Path] = {}
        reply = await self.ports.services.files.with_bytes(reply)  # pictures: their stored bytes, saved as files
        for item in reply.elements(Attachment):
            saved[item.filename] = await asyncio.to_thread(self._write, item, self._folder(owner))
        return saved

    def _folder(self, owner: str) -> Path:
        return self.files / (_UNSAFE.sub("-", owner).strip("-.") or "console")

    @staticmethod
    def _write(item: Attachment, folder: Path) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        stem, dot, ext = (_UNSAFE.sub("-", item.filename).strip("-.") or "file").partition(".")
        path = folder / f"{stem}{dot}{ext}"
        n = 1
        while path.exists():
            n += 1
            path = folder / f"{stem}-{n}{dot}{ext}"
        path.write_bytes(item.data)
        return path.resolve()

    async def forget_files(self, accounts: list[tuple[str, str]]) -> int:
        """The files saved for an erased person's console accounts (their data export among them)."""
        folders = [self._folder(address) for platform, address in accounts if platform == PLATFORM]
        return sum(await asyncio.gather(*(asyncio.to_thread(_remove_tree, f) for f in folders))) if folders else 0

    async def destination(self, account: Account | None, chat: str, message: OutboxMessage) -> dict:
        """The account's inbox, or a console room's (`#name`)."""
        return {"to": account.address if account is not None else chat, "person": account is not None, "outbox": message.id}


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
        return render_text(reply, await self.adapter.save_files(reply, self.address))

    async def unseen(self) -> list[str]:
        rows = await ConsoleInbox.filter(address=self.address, seen=False).order_by("id")
        if rows:
            await ConsoleInbox.filter(id__in=[r.id for r in rows]).update(seen=True)
        return [r.text for r in rows]

    async def notes(self, deliver=None) -> str:
        """The account's new notifications as the chat shows them (📬), after `deliver()` ran what is due."""
        if deliver is not None:
            await deliver()
        return "".join("📬 " + note.replace("\n", "\n   ") + "\n\n" for note in await self.unseen())

    async def run_pipe(self, stream: TextIO, out: TextIO, deliver=None) -> int:
        """One command per line in, each reply out followed by a blank line, the account's new notifications
        before it (as a person in the chat would see them); returns the lines handled. `quit` (`quitter`, `exit`)
        ends it as the end of the input does."""
        count = 0
        loop = asyncio.get_running_loop()
        while True:
            line = await loop.run_in_executor(None, stream.readline)
            if not line or leaves(line):
                out.write(await self.notes(deliver))
                out.flush()
                return count
            if not line.strip():
                continue
            reply = await self.exchange(line)
            out.write(await self.notes(deliver) + reply + "\n\n")
            out.flush()
            count += 1

    async def run_terminal(self, stop: asyncio.Event, banner: str, goodbye: str, history: Path | None = None,
                           prompt: str = "› ", again: str = "") -> None:
        """The interactive chat (prompt_toolkit): line editing, the history of earlier sessions (kept in `history`),
        notifications between commands. Ctrl-C drops the line being typed (twice in a row leaves, `again` says so
        after the first), Ctrl-D leaves, and so do `quit`, `quitter` and `exit` (leaving a community is
        `quitter <community>`)."""
        from prompt_toolkit import PromptSession
        from prompt_toolkit.history import FileHistory, History, InMemoryHistory

        store: History = InMemoryHistory()
        if history is not None:
            try:
                history.parent.mkdir(parents=True, exist_ok=True)
                store = FileHistory(str(history))
            except OSError:  # a read-only data directory: this session's history only
                pass
        session: PromptSession = PromptSession(history=store)
        print(banner, flush=True)
        interrupted = False
        try:
            while not stop.is_set():
                notes = await self.notes()
                if notes:
                    print("\n" + notes, end="", flush=True)
                try:
                    line = await session.prompt_async(prompt)
                except KeyboardInterrupt:  # Ctrl-C: the line is dropped; a second one in a row leaves
                    if interrupted:
                        break
                    interrupted = True
                    if again:
                        print(again, flush=True)
                    continue
                except EOFError:  # Ctrl-D
                    break
                interrupted = False
                if leaves(line):
                    break
                if line.strip():
                    print(await self.exchange(line) + "\n", flush=True)
        finally:
            print(goodbye, flush=True)


QUIT = ("quit", "exit", "quitter", "sortir")


def leaves(line: str) -> bool:
    """Whether a line typed in the console leaves it: a quit word alone (with or without /); `quitter <community>` is
    the command that leaves a community."""
    return line.strip().lower().lstrip("/!") in QUIT


def _remove_tree(folder: Path) -> int:
    """Remove a folder of saved files; returns how many files went."""
    if not folder.is_dir():
        return 0
    files = [p for p in folder.rglob("*") if p.is_file()]
    for path in files:
        path.unlink(missing_ok=True)
    for path in sorted(folder.rglob("*"), reverse=True):
        path.rmdir()
    folder.rmdir()
    return len(files)


async def _describe_notes(addresses: list[str]) -> dict[str, dict]:
    return {}  # the notes waiting for a console account are its messages: not data of their own


async def _erase_notes(tx, addresses: list[str]) -> None:
    await ConsoleInbox.filter(address__in=addresses).using_db(tx).delete()


channel_data.register(PLATFORM, _describe_notes, _erase_notes)
