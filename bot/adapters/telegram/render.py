"""Pure Telegram renderer: a Reply becomes HTML messages of at most 4096 characters with inline keyboards
(plain JSON, stored with the event before it is sent); link buttons become URL buttons."""

from __future__ import annotations

import re
from dataclasses import dataclass
from html import escape

from aiogram.filters.callback_data import CallbackData

from bot.core.render import fallback, span_html, to_text
from bot.core.replies import About, Attachment, Block, Choice, LinkButton, Picture, Poll, Reply, Span

LIMIT = 4096  # characters of a message after its HTML is parsed
SHORT_LABEL = 18  # two buttons this short share a row
# A deep-link payload is at most 64 characters of [A-Za-z0-9_-]; "follow-" takes 7 of them.
FOLLOW = re.compile(r"^follow ([A-Za-z0-9_-]{1,57})$")
WEB = re.compile(r"^https?://", re.IGNORECASE)

Line = list[Span]


class ChoiceData(CallbackData, prefix="c"):
    """A choice button: the stored keyboard and the choice's index (command lines stay server-side, 64-byte limit)."""

    k: int
    i: int


Button = dict  # {"text": ..., "callback_data": ...} or {"text": ..., "url": ...}
# Attachments are sent by the adapter (sendDocument); polls are native in groups when Telegram can show them
# (polls.py), otherwise `_paragraphs` gives them the core's text fallback.
NATIVE: tuple[type, ...] = (Block, LinkButton, Attachment, Picture, Poll, About)  # About: a reply to the message answers


@dataclass(frozen=True)
class Rendered:
    html: str
    markup: dict | None = None  # reply_markup as the Bot API takes it


def deep_link(username: str, slug: str) -> str:
    return f"https://t.me/{username}?start=follow-{slug}"


def length(text: str) -> int:
    """Telegram counts UTF-16 code units; counting them never under-estimates."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def follow_slug(command: str) -> str | None:
    match = FOLLOW.match(command)
    return match.group(1) if match else None


def needs_keyboard(choices: list[Choice], username: str, group: bool) -> bool:
    """Whether some choice becomes a callback button (and so needs its commands stored)."""
    return any(not (group and username and follow_slug(c.command)) for c in choices)


def render(reply: Reply, *, username: str = "", group: bool = False, keyboard: int | None = None) -> list[Rendered]:
    """The messages to send, the keyboard on the last one.

    A choice `follow <slug>` is also a deep link: in a group it opens the private chat (where notifications
    arrive) and follows there; in a private chat the link is shown to be shared. Link buttons are URL buttons.
    """
    paragraphs, link_buttons = _paragraphs(reply)
    buttons, shared = choice_buttons(reply.choices, username=username, group=group, keyboard=keyboard)
    paragraphs.extend(shared)
    rows = _rows(buttons) + [[b] for b in link_buttons]
    chunks = _split(paragraphs) or [[[Span("…")]]]
    texts = ["\n".join(_html(line) for line in chunk) for chunk in chunks]
    markup = {"inline_keyboard": rows} if rows else None
    return [Rendered(text) for text in texts[:-1]] + [Rendered(texts[-1], markup)]


def choice_buttons(choices: list[Choice], *, username: str = "", group: bool = False,
                   keyboard: int | None = None) -> tuple[list[Button], list[list[Line]]]:
    """The buttons of the choices (callback buttons of the stored `keyboard`, deep links), and the paragraphs
    sharing a follow link in a private chat."""
    buttons: list[Button] = []
    paragraphs: list[list[Line]] = []
    for index, choice in enumerate(choices):
        slug = follow_slug(choice.command) if username else None
        if slug and group:
            buttons.append({"text": choice.label, "url": deep_link(username, slug)})
            continue
        if slug:
            url = deep_link(username, slug)
            paragraphs.append([[Span("🔗 "), Span(url.removeprefix("https://"), url=url)]])
        if keyboard is not None:
            buttons.append({"text": choice.label, "callback_data": ChoiceData(k=keyboard, i=index).pack()})
    return buttons, paragraphs


def keyboard_of(reply: Reply, *, username: str = "", keyboard: int | None = None) -> dict | None:
    """The inline keyboard alone, as a group sees it (choices, then link buttons), for a message with no text of
    its own: a poll."""
    buttons, _ = choice_buttons(reply.choices, username=username, group=True, keyboard=keyboard)
    links = [{"text": b.label, "url": b.url} for b in reply.elements(LinkButton) if WEB.match(b.url)]
    rows = _rows(buttons) + [[b] for b in links]
    return {"inline_keyboard": rows} if rows else None


def _html(line: Line) -> str:
    return "".join(span_html(span) for span in line)


def _paragraphs(reply: Reply) -> tuple[list[list[Line]], list[Button]]:
    paragraphs: list[list[Line]] = []
    buttons: list[Button] = []
    blocks: list[Block] = []
    for element in reply.blocks:
        if isinstance(element, LinkButton) and WEB.match(element.url):
            buttons.append({"text": element.label, "url": element.url})
        elif not isinstance(element, (Attachment, Picture)):  # files and pictures are sent after the text
            blocks.extend(fallback(element))
    for block in blocks:
        spans = [s for s in block.spans if s.text]
        lines: list[Line] = []
        if block.title:
            lines.append([Span(block.title, "bold")])
        if spans:
            lines.append(spans)
        lines.extend([Span("• "), *item] for item in block.items)
        if lines:
            paragraphs.append(lines)
    if reply.error:
        if paragraphs:
            paragraphs[0][0] = [Span("⚠️ "), *paragraphs[0][0]]
        else:
            paragraphs.append([[Span("⚠️")]])
    return paragraphs, buttons


def _rows(buttons: list[Button]) -> list[list[Button]]:
    rows: list[list[Button]] = []
    for button in buttons:
        last = rows[-1] if rows else None
        if last and len(last) == 1 and len(last[0]["text"]) <= SHORT_LABEL and len(button["text"]) <= SHORT_LABEL:
            last.append(button)
        else:
            rows.append([button])
    return rows


def _line_length(line: Line) -> int:
    return sum(length(s.text) for s in line)


def _split(paragraphs: list[list[Line]], limit: int = LIMIT) -> list[list[Line]]:
    """Pack paragraphs into messages; a paragraph moves whole to the next message when it fits there."""
    count = sum(len(paragraph) for paragraph in paragraphs)
    units = sum(len(span.text) for paragraph in paragraphs for line in paragraph for span in line)
    if paragraphs and 2 * (units + count) <= limit:  # surely one message (a character is 1 or 2 UTF-16 units)
        single: list[Line] = []
        for n, paragraph in enumerate(paragraphs):
            single.extend(([[]] if n else []) + paragraph)  # a blank line between paragraphs
        return [single]
    chunks: list[list[Line]] = []
    current: list[Line] = []
    size = 0
    for paragraph in paragraphs:
        lines = [piece for line in paragraph for piece in _cut(line, limit)]
        whole = sum(_line_length(line) for line in lines) + len(lines) - 1
        if current and size + 2 + whole > limit and whole <= limit:
            chunks.append(current)
            current, size = [], 0
        for n, line in enumerate(lines):
            gap = (2 if n == 0 else 1) if current else 0
            if current and size + gap + _line_length(line) > limit:
                chunks.append(current)
                current, size, gap = [], 0, 0
            if n == 0 and current:
                current.append([])  # the blank line between paragraphs
            current.append(line)
            size += gap + _line_length(line)
    if current:
        chunks.append(current)
    return chunks


def _cut(line: Line, limit: int) -> list[Line]:
    """A line longer than a message, cut between words (inside a span when needed, keeping its style)."""
    if _line_length(line) <= limit:
        return [line]
    pieces: list[Line] = []
    current: Line = []
    room = limit
    for span in line:
        text = span.text
        while length(text) > room:
            head = _fit(text, room)
            if head:
                current.append(Span(head, span.style, span.url))
            pieces.append(current)
            current, room = [], limit
            text = text[len(head):].lstrip(" ")
        if text:
            current.append(Span(text, span.style, span.url))
            room -= length(text)
    if current:
        pieces.append(current)
    return [p for p in pieces if p]


def _fit(text: str, room: int) -> str:
    """The longest head of `text` within `room`, ending at a space or a line break when there is one."""
    used = 0
    for index, char in enumerate(text):
        used += length(char)
        if used > room:
            head = text[:index]
            break
    else:
        return text
    cut = max(head.rfind(" "), head.rfind("\n"))
    return head[:cut] if cut > room // 2 else head


def marked(message_html: str, message_length: int, label: str, who: str | None = None) -> str | None:
    """The keyboard message with the chosen answer noted under it, or None when that would be too long."""
    note = "✓ " + label + (f" — {who}" if who else "")
    if message_length + 2 + length(note) > LIMIT:
        return None
    return f"{message_html}\n\n{escape(note, quote=False)}"


def toast(reply: Reply | None) -> str | None:
    """The short notice shown on a pressed button: only for errors, the reply itself follows in the chat."""
    if reply is None or not reply.error:
        return None
    first = to_text(reply, numbered_choices=False).strip().split("\n")[0]
    return first[:197] + "…" if len(first) > 200 else first
