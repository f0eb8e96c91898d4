"""Pure rendering of a Reply as a mail: text/plain with numbered choices plus an HTML alternative; link buttons
as buttons (and their URL in the text), files as MIME attachments."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from html import escape
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape

from bot.core.i18n import N_
from bot.core.render import block_html, block_text, fallback, table_html, to_text
from bot.core.replies import About, Attachment, Block, LinkButton, Poll, Reply, Span, Table, bold, italic
from mail.invites import method_of

TEMPLATES = Path(__file__).resolve().parent / "templates"
# Templates are code shipped with Relais; one environment serves every render.
_ENV = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]), keep_trailing_newline=True)
_TEXT_ENV = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=False, keep_trailing_newline=True)
SUBJECT_MAX = 78
# Signed URLs in List-Unsubscribe have no spaces to fold at; under the default 78 columns the email package
# would turn them into encoded words, which mail clients do not read as URLs. RFC 5322 allows 998.
POLICY = policy.SMTP.clone(max_line_length=998)
BINARY = policy.SMTP.clone(max_line_length=76)  # an image's or a file's base64 in lines of 76 (RFC 2045), not of 998


@dataclass(frozen=True)
class Envelope:
    """Everything about one mail that is not its content; computed by the caller (tokens, ids, dates)."""

    sender: str
    to: str
    subject: str
    message_id: str
    date: datetime
    lang: str = "fr"
    reply_to: str = ""
    in_reply_to: str = ""
    references: tuple[str, ...] = ()
    auto_replied: bool = False
    unsubscribe_url: str = ""
    choice_urls: tuple[str, ...] = ()
    loop: str = ""  # X-Loop: Relais drops incoming mail carrying its own address here
    to_name: str = ""  # the recipient's display name, kept from the mail answered
    list_id: str = ""  # List-Id of the community the mail speaks for (notifications)


def subject_for(reply: Reply, fallback: str) -> str:
    """The first line of the reply, shortened; `fallback` when the reply has no text."""
    for line in to_text(reply, numbered_choices=False).splitlines():
        line = line.strip(" •")
        if line:
            return line if len(line) <= SUBJECT_MAX else line[: SUBJECT_MAX - 1].rstrip() + "…"
    return fallback


def reply_subject(original: str, fallback: str) -> str:
    original = original.strip()
    if not original:
        return fallback
    return original if original.lower().startswith(("re:", "re :")) else f"Re: {original}"


NATIVE: tuple[type, ...] = (Block, LinkButton, Attachment, About, Table, Poll)  # About: a reply answers; Poll: see poll_blocks
# How a ballot mail is answered, by the poll's kind: its options are listed once (as links, or numbered).
BALLOT_HINTS = {
    "single": N_("Follow the link of your choice, or reply to this mail with its number."),
    "multiple": N_("Follow the link of each choice, or reply to this mail with their numbers, like 1 3."),
    "ranked": N_("Reply to this mail with the numbers in your order of preference, like 2 1 3."),
    "date": N_("Reply to this mail with each date's number and yes, if need be or no, like 1 yes, 2 maybe, 3 no."),
}


def poll_blocks(poll: Poll, reply: Reply, t, ballot: bool) -> list[Block]:
    """An open poll in a ballot mail: its question and how to answer; its options once, as the links of the mail's choices
    (single, multiple) or numbered (ranked, date: answered by a plain reply)."""
    if poll.closed or not ballot or t is None:
        return fallback(poll)
    hint = Block(spans=[italic(t(BALLOT_HINTS.get(poll.mode, BALLOT_HINTS["single"])))])
    linked = any(c.command.startswith(poll.vote + " ") for c in reply.choices)
    if poll.mode in ("single", "multiple") and linked:
        return [Block(spans=[Span("🗳 "), bold(poll.question)]), hint]
    items = [[Span(f"{n}. {option}")] for n, option in enumerate(poll.options, 1)]
    return [Block(spans=[Span("🗳 "), bold(poll.question)], items=items), hint]
BUTTON = ("display: inline-block; padding: 0.55em 1.1em; border-radius: 6px; background: #0b57d0; color: #ffffff; "
          "text-decoration: none; font-weight: 600;")


def inline(item: Attachment) -> bool:
    return item.mime in ("image/png", "image/jpeg")


def cid(item: Attachment) -> str:
    """The image's Content-ID: two charts in one mail (a reply to several commands) keep theirs apart."""
    return f"{hashlib.sha256(item.data).hexdigest()[:12]}.{item.filename}@relais"


def body_text(reply: Reply, t=None, ballot: bool = False) -> str:
    out: list[str] = []
    for element in reply.blocks:
        if isinstance(element, Poll):
            out.extend(block_text(b) for b in poll_blocks(element, reply, t, ballot))
        elif isinstance(element, LinkButton):
            out.append(f"{element.label}\n  {element.url}")  # the address under its label (no colon: any language)
        elif isinstance(element, Attachment):
            out.append(f"📎 {element.filename}" + (f" — {element.caption}" if element.caption else "")
                       + (f"\n  {element.url}" if element.url else ""))
        else:
            out.extend(block_text(b) for b in fallback(element))
    return "\n\n".join(o for o in out if o)


def body_html(reply: Reply, t=None, ballot: bool = False) -> str:
    out: list[str] = []
    for element in reply.blocks:
        if isinstance(element, Poll):
            out.extend(block_html(b) for b in poll_blocks(element, reply, t, ballot))
        elif isinstance(element, Table):
            out.append(table_html(element))
        elif isinstance(element, LinkButton):
            out.append(f'<p><a href="{escape(element.url, quote=True)}" style="{BUTTON}">{escape(element.label, quote=False)}</a></p>')
        elif isinstance(element, Attachment) and inline(element):  # a chart, a photo: shown in the mail itself
            alt = escape(element.caption or element.filename, quote=True)
            if element.url:  # a photo shown small: its full size on the web
                image = (f'<a href="{escape(element.url, quote=True)}"><img src="cid:{escape(cid(element), quote=True)}" alt="{alt}" '
                         'style="display: block; max-width: 100%; height: auto; border: 0;"></a>')
                out.append(f"<p>{image}</p>")
            else:  # a chart: the frame's width on a computer, the screen's on a phone, its caption under it
                image = (f'<img src="cid:{escape(cid(element), quote=True)}" alt="{alt}" width="600" '
                         'style="display: block; width: 100%; max-width: 600px; height: auto; border: 0;">')
                caption = (f'<br><span style="font-size: 14px; color: #5f6368;">{escape(element.caption, quote=False)}</span>'
                           if element.caption else "")
                out.append(f"<p>{image}{caption}</p>")
        elif isinstance(element, Attachment):
            caption = f" — {escape(element.caption, quote=False)}" if element.caption else ""
            out.append(f"<p>📎 <b>{escape(element.filename, quote=False)}</b>{caption}</p>")
        else:
            out.extend(block_html(b) for b in fallback(element))
    return "".join(out)


def _choices(reply: Reply, urls: tuple[str, ...]) -> list[dict]:
    return [{"label": c.label, "url": urls[i] if i < len(urls) else ""} for i, c in enumerate(reply.choices)]


def _binary(data: bytes, maintype: str, subtype: str, **params) -> EmailMessage:
    part = EmailMessage(policy=BINARY)
    part.set_content(data, maintype=maintype, subtype=subtype, **params)
    return part


def render(reply: Reply, env: Envelope, t, ballot: bool = False) -> EmailMessage:
    """The mail for `reply`; the same input gives the same bytes (the MIME boundary comes from the Message-ID). A ballot
    (its reply address votes) says how to answer beside the poll."""
    choices = _choices(reply, env.choice_urls)
    if ballot:
        hint = t("Reply to this mail with the number of your choice, or follow a link.")
    elif env.reply_to and any(c["url"] for c in choices):
        hint = t("Reply to this mail with the number of your choice, or follow a link.")
    elif env.reply_to:
        hint = t("Reply to this mail with the number of your choice.")
    else:
        hint = t("Follow a link to choose.")
    context = {
        "lang": env.lang, "subject": env.subject, "choices": choices, "hint": hint,
        "footer": t("Relais, the assistant of your community. Write to it: reply, or send commands such as “help”."),
        "unsubscribe_url": env.unsubscribe_url, "unsubscribe_label": t("Stop these mails"),
        # « Ne plus recevoir ces courriels : <url> »: the reader's typography, from the catalog
        "unsubscribe_line": t("{label}: {url}", label=t("Stop these mails"), url=env.unsubscribe_url),
    }
    text = _TEXT_ENV.get_template("mail.txt").render(body=body_text(reply, t, ballot), **context)
    html = _ENV.get_template("mail.html").render(body=body_html(reply, t, ballot), **context)
    msg = EmailMessage(policy=POLICY)
    msg["From"] = env.sender
    name = " ".join(env.to_name.split())  # a name typed in a chat may hold line breaks, which a header may not
    msg["To"] = Address(display_name=name, addr_spec=env.to) if name else env.to
    msg["Subject"] = env.subject
    msg["Date"] = format_datetime(env.date)
    msg["Message-ID"] = env.message_id
    if env.in_reply_to:
        msg["In-Reply-To"] = env.in_reply_to
    if env.references:
        msg["References"] = " ".join(env.references)
    if env.reply_to:
        msg["Reply-To"] = env.reply_to
    msg["Auto-Submitted"] = "auto-replied" if env.auto_replied else "auto-generated"
    if env.loop:
        msg["X-Loop"] = env.loop
    if env.list_id:
        msg["List-Id"] = env.list_id
    if env.unsubscribe_url:
        msg["List-Unsubscribe"] = f"<{env.unsubscribe_url}>"
        msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"  # RFC 8058: a POST needs no login
    msg.set_content(text, charset="utf-8")
    msg.add_alternative(html, subtype="html", charset="utf-8")
    images = [item for item in reply.elements(Attachment) if inline(item)]
    if images:  # multipart/related inside the HTML part: the chart shows in the mail, where the <img> names it
        html_part = msg.get_body(("html",))
        assert html_part is not None
        html_part.make_related()
        for item in images:
            maintype, _, subtype = item.mime.partition("/")
            html_part.attach(_binary(item.data, maintype, subtype, cid=f"<{cid(item)}>", filename=item.filename,
                                     disposition="inline"))
    files = [item for item in reply.elements(Attachment) if not inline(item)]
    if files:  # multipart/mixed: the alternative body first, then each file
        msg.make_mixed()
        for item in files:
            maintype, _, subtype = item.mime.partition("/")
            method = method_of(item)  # an invitation: clients show it as one when its type names the method
            msg.attach(_binary(item.data, maintype or "application", subtype or "octet-stream", filename=item.filename,
                               params={"method": method} if method else None, disposition="attachment"))
    msg["Content-Language"] = env.lang  # after the content: set_content() drops Content-* headers
    boundary = "=_relais_" + hashlib.sha256(env.message_id.encode()).hexdigest()[:24]
    msg.set_boundary(boundary)
    if files:
        body = next(msg.iter_parts())  # the alternative (text and HTML), before the files
        body.set_boundary(boundary + "_alt")
    return msg
