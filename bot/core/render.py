"""Pure renderers of a Reply: plain text and HTML; adapters build on them."""

from __future__ import annotations

from html import escape

from bot.core.replies import Reply, Span

_HTML_TAGS = {"bold": "b", "italic": "i", "code": "code"}


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


def to_text(reply: Reply, numbered_choices: bool = True) -> str:
    """Plain text; choices become a numbered list the person answers with the number."""
    out: list[str] = []
    for block in reply.blocks:
        lines = []
        if block.title:
            lines.append(block.title)
        if block.spans:
            lines.append("".join(span_text(s) for s in block.spans))
        lines.extend("  • " + "".join(span_text(s) for s in item) for item in block.items)
        out.append("\n".join(lines))
    if reply.choices and numbered_choices:
        out.append("\n".join(f"  {i}) {c.label}" for i, c in enumerate(reply.choices, 1)))
    return "\n\n".join(out)


def to_html(reply: Reply) -> str:
    """HTML body (paragraphs, lists, emphasis, links); choices are left to the adapter."""
    out: list[str] = []
    for block in reply.blocks:
        if block.title:
            out.append(f"<p><b>{escape(block.title, quote=False)}</b></p>")
        if block.spans:
            out.append("<p>" + "".join(span_html(s) for s in block.spans) + "</p>")
        if block.items:
            out.append("<ul>" + "".join("<li>" + "".join(span_html(s) for s in item) + "</li>" for item in block.items) + "</ul>")
    return "".join(out)
