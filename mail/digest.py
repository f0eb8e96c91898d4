"""The digest mail: Jinja2 templates (text and HTML) in the person's language, then a MIME message built once."""

from __future__ import annotations

import binascii
import secrets
from dataclasses import dataclass
from email.header import Header
from email.utils import formataddr, formatdate
from pathlib import Path
from typing import Callable

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from bot.core.delivery import TemporaryFailure, Unreachable
from bot.core.i18n import N_, Catalogs
from bot.services.digest import Digest
from mail.smtp import PermanentSmtpError, TemporarySmtpError

TEMPLATES = Path(__file__).resolve().parent / "templates"


@dataclass
class Links:
    """One person's digest links: a single signed token (`base`) authorises that person's follow, unfollow and
    unsubscribe in this community, so a digest of 200 project lines costs one signature, not 400."""

    base: str
    unsubscribe_mailto: str
    reply_to: str

    def follow(self, slug: str) -> str:
        return f"{self.base}/follow/{slug}"

    def unfollow(self, slug: str) -> str:
        return f"{self.base}/unfollow/{slug}"

    def unsubscribe(self) -> str:
        return f"{self.base}/off"


_BASE = "\x00base\x00"  # stands for the person's link base in lines rendered once for everybody
_SHARED = Links(_BASE, "", "")


class DigestRenderer:
    """Renders with Jinja2: the mail's frame, then each section with its own templates
    (`digest/<section.template>.txt.j2` and `.html.j2`). A section's piece that reads the same for every reader
    of a language (a project line) is rendered once with `cached()` and reused, with the reader's own link
    base put in afterwards."""

    def __init__(self, catalogs: Catalogs):
        self.catalogs = catalogs
        self.env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html.j2"]),
                               trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True, auto_reload=False)
        self.frame = {"text": self.env.get_template("digest.txt.j2"), "html": self.env.get_template("digest.html.j2")}
        self._items: dict[tuple, dict[str, str]] = {}  # (kind, locale, section) → slug → the line, rendered once
        self._edition = ""

    def subject(self, digest: Digest) -> str:
        t = self.catalogs.get(digest.recipient.locale)
        return t(N_("{community}: the week {week}"), community=digest.community_name, week=digest.week)

    def _section(self, kind: str, t, digest: Digest, section, links: Links) -> str:
        ext = "txt" if kind == "text" else "html"
        items = ""
        if section.item_template:  # joined here: a template loop calling a helper per line costs five times more
            if digest.edition != self._edition:  # another run: its lines may read differently
                self._items.clear()
                self._edition = digest.edition
            rendered = self._items.setdefault((kind, t.locale, section.key), {})
            template = self.env.get_template(f"digest/{section.item_template}.{ext}.j2")
            parts = []
            for line in section.data.lines:
                text = rendered.get(line.slug)
                if text is None:
                    text = rendered[line.slug] = template.render(line=line, data=section.data, t=t, tn=t.n, links=_SHARED)
                parts.append(text)
            items = "".join(parts)
        return self.env.get_template(f"digest/{section.template}.{ext}.j2").render(
            section=section, data=section.data, t=t, tn=t.n, links=links, items=Markup(items) if kind == "html" else items)

    def render(self, digest: Digest, links: Links) -> tuple[str, str, str]:
        """(subject, text, html) of one digest."""
        t = self.catalogs.get(digest.recipient.locale)
        example = next((line.slug for s in digest.sections if s.template == "projects" for line in s.data.lines), "projet")
        subject = self.subject(digest)
        out = []
        for kind in ("text", "html"):
            def section(sec, kind=kind):
                body = self._section(kind, t, digest, sec, links)
                return Markup(body) if kind == "html" else body
            out.append(self.frame[kind].render(digest=digest, t=t, tn=t.n, links=links, section=section,
                                               example_slug=example, subject=subject).replace(_BASE, links.base))
        return subject, _tidy(out[0]), out[1]


def _tidy(text: str) -> str:
    """Templates leave runs of blank lines where optional parts were empty; keep at most one."""
    lines, blank = [], False
    for line in text.splitlines():
        if not line.strip():
            if not blank:
                lines.append("")
            blank = True
        else:
            lines.append(line.rstrip())
            blank = False
    return "\n".join(lines).strip() + "\n"


def _header(value: str) -> str:
    try:
        value.encode("ascii")
        return value
    except UnicodeEncodeError:
        return Header(value, "utf-8").encode()


def _qp(text: str) -> str:
    body = binascii.b2a_qp(text.encode("utf-8"), istext=True, header=False)  # soft breaks keep lines < 76
    return body.decode("ascii").replace("\n", "\r\n")


def build_mime(*, sender: str, sender_name: str, to: str, to_name: str, subject: str, text: str, html: str,
               domain: str, links: Links, list_id: str) -> tuple[str, bytes]:
    """The message as bytes, written directly (the email package is ten times slower at this volume);
    returns (Message-ID, bytes). Tests parse it back with the email package."""
    message_id = f"<digest.{secrets.token_hex(12)}@{domain}>"
    boundary = f"=_relais_{secrets.token_hex(8)}"
    headers = [
        f"From: {formataddr((_header(sender_name), sender))}",
        f"To: {formataddr((_header(to_name), to))}",
        f"Reply-To: {links.reply_to}",
        f"Subject: {_header(subject)}",
        f"Date: {formatdate(localtime=False)}",
        f"Message-ID: {message_id}",
        f"List-Id: {list_id}",
        f"List-Unsubscribe: <{links.unsubscribe()}>, <{links.unsubscribe_mailto}>",
        "List-Unsubscribe-Post: List-Unsubscribe=One-Click",
        "Auto-Submitted: auto-generated",
        "Precedence: list",
        "MIME-Version: 1.0",
        f'Content-Type: multipart/alternative; boundary="{boundary}"',
    ]
    parts = []
    for subtype, body in (("plain", text), ("html", html)):
        parts.append(f"--{boundary}\r\nContent-Type: text/{subtype}; charset=utf-8\r\n"
                     f"Content-Transfer-Encoding: quoted-printable\r\n\r\n{_qp(body)}\r\n")
    raw = "\r\n".join(headers) + "\r\n\r\n" + "".join(parts) + f"--{boundary}--\r\n"
    return message_id, raw.encode("ascii")


class Mailer:
    """Renders and sends one digest; links come from `links_for` (signed, per person), bytes go to `transport`."""

    def __init__(self, renderer: DigestRenderer, transport, links_for: Callable[[Digest], Links], sender: str,
                 sender_name: str, domain: str):
        self.renderer = renderer
        self.transport = transport
        self.links_for = links_for
        self.sender = sender
        self.sender_name = sender_name
        self.domain = domain

    def compose(self, digest: Digest) -> tuple[str, bytes]:
        links = self.links_for(digest)
        subject, text, html = self.renderer.render(digest, links)
        return build_mime(sender=self.sender, sender_name=self.sender_name, to=digest.recipient.address,
                          to_name=digest.recipient.name, subject=subject, text=text, html=html, domain=self.domain,
                          links=links, list_id=f"<{digest.community_slug}.digest.{self.domain}>")

    async def send(self, digest: Digest) -> str:
        message_id, data = self.compose(digest)
        try:
            await self.transport.send(self.sender, [digest.recipient.address], data)
        except TemporarySmtpError as exc:
            raise TemporaryFailure(str(exc)) from None
        except PermanentSmtpError as exc:
            raise Unreachable(str(exc)) from None
        return message_id


def digest_links(composer, digest: Digest) -> Links:
    """The person's signed link base (acting as their email account, no login) for this community's digest."""
    token = composer.tokens.link({"k": "digest", "a": digest.recipient.account_id, "c": digest.community_slug})
    return Links(base=f"{composer.public_url}/d/{token}",
                 unsubscribe_mailto=f"mailto:{composer.address}?subject=digest%20off%20{digest.community_slug}",
                 reply_to=composer.address)
