"""Pure renderers of a Reply: plain text and HTML, and the text fallback of every typed element.

An adapter renders natively the elements its platform has (a native poll, a URL button, an uploaded file)
and asks `fallback()` for the others, so an element added to the core works everywhere the day it lands.
"""

from __future__ import annotations

from dataclasses import replace
from html import escape
from typing import Any

from babel.numbers import format_decimal

from bot.core.replies import About, Attachment, Block, LinkButton, Picture, Poll, Progress, Question, Reply, Span, Table, bold, code, italic

_HTML_TAGS = {"bold": "b", "italic": "i", "code": "code"}
BAR = 10  # cells of a text progress bar
FULL, EMPTY = "▓", "░"


def span_text(span: Span) -> str:
    if span.url:
        return f"{span.text} <{span.url}>" if span.text != span.url else span.url
    return span.text


def span_html(span: Span) -> str:
    body = escape(span.text, quote=False)
    tag = _HTML_TAGS.get(span.style)
    if tag:
        body = f"<{tag}>{body}</{tag}>"
    if span.url:
        body = f'<a href="{escape(span.url, quote=True)}">{body}</a>'
    return body


def number(value: float, locale: str) -> str:
    """A figure the way the reader writes it (12 000 in French, 12,000 in English)."""
    return format_decimal(round(value) if abs(value - round(value)) < 0.005 else round(value, 2), locale=locale)


def percent_of(value: float, goal: float) -> int:
    """The share of a goal reached, in whole percent, rounded down — the one rule of the chat, the mails, the digest and
    the pages (4 900 € of 12 000 € is 40 %, everywhere; 99.6 % is not the goal reached)."""
    return int(max(0.0, value) * 100 // goal) if goal > 0 else 0


def progress_line(p: Progress) -> str:
    """▓▓▓▓░░░░░░ 40 % — 4 800 € / 12 000 € — 26 jours restants"""
    filled = min(BAR, int(p.ratio * BAR + 1e-9))
    shown = percent_of(p.value, p.goal)
    percent = f"{shown}\u202f%" if p.locale == "fr" else f"{shown}%"
    unit = f"\u202f{p.unit}" if p.unit and p.locale == "fr" else (f" {p.unit}" if p.unit else "")
    parts = [f"{FULL * filled}{EMPTY * (BAR - filled)} {percent}", f"{number(p.value, p.locale)}{unit} / {number(p.goal, p.locale)}{unit}"]
    if p.caption:
        parts.append(p.caption)
    return " — ".join(parts)


def fallback(element: Any) -> list[Block]:
    """The text rendering of an element, made once here for every adapter without a native one."""
    if isinstance(element, Block):
        return [element]
    if isinstance(element, LinkButton):
        return [Block(spans=[Span("🔗 "), Span(element.label, "", element.url)])]
    if isinstance(element, Attachment):
        spans = [Span("📎 "), bold(element.filename)]
        if element.caption:
            spans += [Span(" — "), Span(element.caption)]
        return [Block(spans=spans)]
    if isinstance(element, Picture):
        name = Span(element.filename, "bold", element.url or None)
        return [Block(spans=[Span("🖼 "), name] + ([Span(" — "), Span(element.caption)] if element.caption else []))]
    if isinstance(element, Progress):
        return [Block(spans=[Span(progress_line(element))])]
    if isinstance(element, Poll):
        if element.closed and element.counts:  # the results: each option with its count
            items = [[Span(f"{n}. {option} — "), bold(count)] for n, (option, count) in
                     enumerate(zip(element.options, element.counts), 1)]
        else:
            items = [[Span(f"{n}. {option}")] for n, option in enumerate(element.options, 1)]
        blocks = [Block(spans=[Span("🗳 "), bold(element.question)], items=items)]
        if element.hint and not element.closed:
            blocks.append(Block(spans=[italic(element.hint)]))
        return blocks
    if isinstance(element, Table):  # aligned monospace lines, the header first
        return [Block(items=[[code(line)] for line in aligned(element)], title=element.title)]
    if isinstance(element, About):  # a platform without threaded replies: answered with /reply
        return [Block(spans=[italic(element.command)])] if element.command else []
    if isinstance(element, Question):
        blocks = [Block(spans=[Span("❓ "), bold(element.prompt)])]
        if element.hint:
            blocks.append(Block(spans=[italic(element.hint)]))
        return blocks
    raise TypeError(f"no text rendering for {type(element).__name__}")


def aligned(table: Table) -> list[str]:
    """The table as lines of equal columns: the first column left-aligned, the others centred."""
    rows = [table.header, *table.rows]
    widths = [max(len(row[i]) if i < len(row) else 0 for row in rows) for i in range(max(len(r) for r in rows))]
    lines = []
    for row in rows:
        cells = [(row[i] if i < len(row) else "") for i in range(len(widths))]
        lines.append("  ".join([cells[0].ljust(widths[0])] + [c.center(w) for c, w in zip(cells[1:], widths[1:])]).rstrip())
    return lines


def table_html(table: Table) -> str:
    head = "".join(f"<th>{escape(h, quote=False)}</th>" for h in table.header)
    body = "".join("<tr>" + "".join(f"<td>{escape(c, quote=False)}</td>" for c in row) + "</tr>" for row in table.rows)
    title = f"<p><b>{escape(table.title, quote=False)}</b></p>" if table.title else ""
    return f'{title}<table border="1" cellpadding="4" style="border-collapse: collapse;"><tr>{head}</tr>{body}</table>'


def for_platform(reply: Reply, native: tuple[type, ...]) -> Reply:
    """The reply as a platform sees it: its native elements kept, every other one replaced by its text blocks, so
    an adapter renders only what it declared (`Adapter.native`) and a new element works everywhere at once.
    `About` is never handed on: a platform that threads replies declares it and shows its hint ("reply to this
    message"), the others show how to answer with /reply. A question's `reply_hint` replaces its hint there likewise."""
    if all(isinstance(element, native) and not isinstance(element, About) for element in reply.blocks):
        return reply
    blocks = [b for element in reply.blocks for b in _shown(element, native)]
    return Reply(blocks=blocks, choices=list(reply.choices), error=reply.error)


def _shown(element: Any, native: tuple[type, ...]) -> list:
    if isinstance(element, About) and About in native:
        return [Block(spans=[italic(element.hint)])] if element.hint else []
    if isinstance(element, Question) and About in native and element.reply_hint:  # a reply to the message answers it
        return fallback(replace(element, hint=element.reply_hint))
    return [element] if isinstance(element, native) and not isinstance(element, About) else fallback(element)


def text_blocks(reply: Reply, skip: tuple[type, ...] = ()) -> list[Block]:
    """The reply as text blocks: each element not in `skip` (rendered natively by the adapter) by its fallback."""
    return [block for element in reply.blocks if not isinstance(element, skip) for block in fallback(element)]


def block_text(block: Block) -> str:
    lines = []
    if block.title:
        lines.append(block.title)
    if block.spans:
        lines.append("".join(span_text(s) for s in block.spans))
    lines.extend("  • " + "".join(span_text(s) for s in item) for item in block.items)
    return "\n".join(lines)


def block_html(block: Block) -> str:
    out = []
    if block.title:
        out.append(f"<p><b>{escape(block.title, quote=False)}</b></p>")
    if block.spans:
        out.append("<p>" + "".join(span_html(s) for s in block.spans) + "</p>")
    if block.items:
        out.append("<ul>" + "".join("<li>" + "".join(span_html(s) for s in item) + "</li>" for item in block.items) + "</ul>")
    return "".join(out)


def to_text(reply: Reply, numbered_choices: bool = True, skip: tuple[type, ...] = ()) -> str:
    """Plain text; choices become a numbered list the person answers with the number."""
    out = [block_text(b) for b in text_blocks(reply, skip)]
    if reply.choices and numbered_choices:
        out.append("\n".join(f"  {i}) {c.label}" for i, c in enumerate(reply.choices, 1)))
    return "\n\n".join(o for o in out if o)


def to_html(reply: Reply, skip: tuple[type, ...] = ()) -> str:
    """HTML body (paragraphs, lists, emphasis, links); choices and the elements in `skip` are left to the adapter."""
    return "".join(block_html(b) for b in text_blocks(reply, skip))
