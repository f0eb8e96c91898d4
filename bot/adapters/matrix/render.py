"""Pure rendering of a Reply as Matrix message content: an m.notice with a plain body and HTML; link buttons
as links, files as m.file events of their own (uploaded by the adapter)."""

from __future__ import annotations

from html import escape

from bot.core.render import block_html, block_text, fallback
from bot.core.replies import About, Attachment, Block, LinkButton, Picture, Poll, Reply

# A Poll is kept whole so the adapter can post it as a native poll; where it cannot (a direct chat, a secret or
# ranked poll) `to_content` writes the core's text fallback of it like any other element.
NATIVE: tuple[type, ...] = (Block, LinkButton, Attachment, Picture, Poll, About)  # About: a reply to the message answers

HTML_FORMAT = "org.matrix.custom.html"
# Keycap emoji answer choices 1 to 10 by reaction; the variation selector U+FE0F is optional when read back.
KEYCAPS = tuple(f"{digit}\ufe0f\u20e3" for digit in "123456789") + ("\U0001f51f",)
_BARE_KEYCAPS = {cap.replace("\ufe0f", ""): i for i, cap in enumerate(KEYCAPS, 1)}
WARNING = "\u26a0\ufe0f"


def keycap_number(key: str) -> int | None:
    """1 for 1️⃣ … 10 for 🔟; None for any other reaction."""
    return _BARE_KEYCAPS.get(key.strip().replace("\ufe0f", ""))


def choice_marker(number: int) -> str:
    """The number a choice is shown with: its keycap (the reaction that picks it) up to 10, then `11.`."""
    return KEYCAPS[number - 1] if number <= len(KEYCAPS) else f"{number}."


def _choices_text(reply: Reply) -> str:
    return "\n".join(f"{choice_marker(i)} {c.label}" for i, c in enumerate(reply.choices, 1))


def _choices_html(reply: Reply) -> str:
    lines = [f"{choice_marker(i)} {escape(c.label, quote=False)}" for i, c in enumerate(reply.choices, 1)]
    return "<p>" + "<br>".join(lines) + "</p>"


def _text(reply: Reply) -> str:
    out: list[str] = []
    for element in reply.blocks:
        if isinstance(element, LinkButton):
            out.append(f"🔗 {element.label}: {element.url}")
        elif not isinstance(element, (Attachment, Picture)):  # sent as events of their own
            out.extend(block_text(b) for b in fallback(element))
    return "\n\n".join(o for o in out if o)


def _html(reply: Reply) -> str:
    out: list[str] = []
    for element in reply.blocks:
        if isinstance(element, LinkButton):
            out.append(f'<p>🔗 <a href="{escape(element.url, quote=True)}"><b>{escape(element.label, quote=False)}</b></a></p>')
        elif not isinstance(element, (Attachment, Picture)):  # sent as events of their own
            out.extend(block_html(b) for b in fallback(element))
    return "".join(out)


def body_text(reply: Reply) -> str:
    """The plain `body`: the core's text, then the choices numbered with keycaps; errors start with ⚠️."""
    parts = [p for p in (_text(reply), _choices_text(reply) if reply.choices else "") if p]
    text = "\n\n".join(parts)
    return f"{WARNING} {text}" if reply.error else text


def body_html(reply: Reply) -> str:
    """The `formatted_body`: the core's HTML, then the choices, one a line."""
    html = _html(reply)
    if reply.error:
        html = f"<p>{WARNING} " + html[3:] if html.startswith("<p>") else f"<p>{WARNING}</p>" + html
    if reply.choices:
        html += _choices_html(reply)
    return html


def relation(in_reply_to: str | None, thread_root: str | None = None) -> dict | None:
    """`m.relates_to` for a reply (inside the thread the command came from, if any)."""
    if thread_root:
        rel = {"rel_type": "m.thread", "event_id": thread_root, "is_falling_back": False}
        if in_reply_to:
            rel["m.in_reply_to"] = {"event_id": in_reply_to}
        return rel
    if in_reply_to:
        return {"m.in_reply_to": {"event_id": in_reply_to}}
    return None


def to_content(reply: Reply, in_reply_to: str | None = None, thread_root: str | None = None,
               mention: str | None = None) -> dict:
    """The content of the m.room.message event that carries `reply`; `mention` notifies that user."""
    content: dict = {
        "msgtype": "m.notice",
        "body": body_text(reply),
        "format": HTML_FORMAT,
        "formatted_body": body_html(reply),
        "m.mentions": {"user_ids": [mention]} if mention else {},
    }
    rel = relation(in_reply_to, thread_root)
    if rel:
        content["m.relates_to"] = rel
    return content


def file_content(item: Attachment, url: str, keys: dict | None = None) -> dict:
    """The m.file event of an uploaded attachment (`url` is its mxc:// URI; `keys`, an encrypted file's, go in `file`)."""
    kind = "m.image" if item.mime in ("image/png", "image/jpeg") else "m.file"  # a chart shows inline
    content = {"msgtype": kind, "body": item.caption or item.filename, "filename": item.filename,
               "info": {"mimetype": item.mime, "size": len(item.data)}}
    if keys is not None:
        content["file"] = {"url": url, "key": keys["key"], "iv": keys["iv"], "hashes": keys["hashes"], "v": keys.get("v", "v2")}
    else:
        content["url"] = url
    return content


def notice(text: str) -> dict:
    """A plain notice the adapter writes itself (refusals, greetings): no reply, no mention."""
    return {"msgtype": "m.notice", "body": text, "format": HTML_FORMAT,
            "formatted_body": "<p>" + escape(text, quote=False).replace("\n", "<br>") + "</p>", "m.mentions": {}}
