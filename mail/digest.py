"""The digest mail: Jinja2 templates (text and HTML) in the person's language, then a MIME message built once."""

from __future__ import annotations

import re
import secrets
from abc import ABC, abstractmethod
from binascii import b2a_base64
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta, timezone
from email.header import Header
from email.utils import format_datetime, formataddr
from functools import lru_cache
from pathlib import Path
from typing import Callable, Sequence

from babel.lists import format_list
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup, escape

from bot.adapters.links.tokens import ReaderSigner
from bot.core.i18n import N_, Catalogs
from bot.services.digest import Digest, Gathering, day_pattern, week_days, week_title
from bot.services.pledges import money
from bot.services.votes_results import TIE_RULE, rounds_lines

TEMPLATES = Path(__file__).resolve().parent / "templates"


_PLACE = re.compile("\x00([a-z]+:[a-z0-9-]*:[0-9]+)\x00")


class _Shapes(ABC):
    """The digest's links as its templates ask for them; `_link` makes one (signed links for a reader, or the
    placeholders of the shared rendering)."""

    @abstractmethod
    def _link(self, act: str, obj: str, option: int = 0) -> str: ...

    def follow(self, slug: str) -> str:
        return self._link("follow", slug)

    def unfollow(self, slug: str) -> str:
        return self._link("unfollow", slug)

    def pledge(self, slug: str) -> str:
        return self._link("support", slug)

    def vote(self, poll: int, option: int) -> str:
        return self._link("vote", str(poll), option)

    def back_idea(self, number: int) -> str:
        return self._link("back", str(number))

    def coming(self, meeting: int, coming: bool = True) -> str:
        return self._link("coming" if coming else "notcoming", str(meeting))

    def unsubscribe(self) -> str:
        return self._link("off", "")


class Links(_Shapes):
    """One reader's digest links, each signed for one act on one object (a vote for one option) with a lifetime that
    fits the act (bot/adapters/links/tokens.py): a copied "Support" link cannot vote, follow or stop the digest.
    Each is signed once, when first asked for: the text and the HTML part share it."""

    def __init__(self, base: str, sign: ReaderSigner, unsubscribe_mailto: str, reply_to: str):
        self.base = base  # `<public url>/d/`
        self.unsubscribe_mailto = unsubscribe_mailto
        self.reply_to = reply_to
        self._sign = sign  # LinkTokens.reader: this reader's tokens
        self._made: dict[str, str] = {}  # "act:object:option" → its link

    def _link(self, act: str, obj: str, option: int = 0) -> str:
        key = f"{act}:{obj}:{option}"
        url = self._made.get(key)
        if url is None:
            url = self._made[key] = self.base + self._sign.many([key])[0]
        return url

    def fill(self, text: str) -> str:
        """`text` with the placeholders of lines rendered for every reader replaced by this reader's own links, the
        missing ones signed in one go."""
        if "\x00" not in text:
            return text
        parts = text.split("\x00")  # text, key, text, key, …, text (a third of the time of a regular expression's split)
        try:
            return self._filled(parts)
        except (KeyError, ValueError):  # a NUL in someone's own words: only the placeholders' own shape counts
            return self._filled(_PLACE.split(text))

    def _filled(self, parts: list[str]) -> str:
        if len(parts) % 2 == 0:
            raise ValueError("unpaired placeholder")
        keys = parts[1::2]
        made = self._made
        missing = [key for key in dict.fromkeys(keys) if key not in made]
        if missing:
            made.update(zip(missing, [self.base + token for token in self._sign.many(missing)]))
        parts[1::2] = [made[key] for key in keys]
        return "".join(parts)


class _Placeholders(_Shapes):
    """Stands for any reader's links in a line rendered once for all its readers (see DigestRenderer)."""

    def _link(self, act: str, obj: str, option: int = 0) -> str:
        return f"\x00{act}:{obj}:{option}\x00"


_SHARED = _Placeholders()


class DigestRenderer:
    """Renders with Jinja2: the mail's frame, then each section with its own templates
    (`digest/<section.template>.txt.j2` and `.html.j2`). A section's piece that reads the same for every reader
    of a language (a project line) is rendered once and reused, with the reader's own links put in afterwards."""

    def __init__(self, catalogs: Catalogs):
        self.catalogs = catalogs
        self.env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html.j2"]),
                               trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True, auto_reload=False)
        self.env.globals["day_pattern"] = day_pattern
        self.env.globals["money"] = money
        self.env.globals["rounds_lines"] = rounds_lines  # a ranked poll's rounds in words (the results section)
        self.env.globals["tie_rule"] = TIE_RULE
        self.frame = {"text": self.env.get_template("digest.txt.j2"), "html": self.env.get_template("digest.html.j2")}
        # (edition, kind, locale, section) → slug → the line, rendered once: a run has an edition per period its readers start
        # at (most share one), and lines of different periods read differently.
        self._items: dict[tuple, dict[str, str]] = {}
        # Strings every reader of a language shares in a week (subject, dates, the opening sentence): made once.
        self._words: dict[tuple, str] = {}
        self._images: dict[str, Image] = {}  # a thumbnail's part, by Content-ID
        self._frame_cache: dict[tuple, tuple[list[str], list[str]] | None] = {}  # see _frames

    def _shared(self, key: tuple, make: Callable[[], str]) -> str:
        text = self._words.get(key)
        if text is None:
            if len(self._words) > 4096:  # a long-lived process sees many weeks
                self._words.clear()
            text = self._words[key] = make()
        return text

    def subject(self, digest: Digest) -> str:
        t = self.catalogs.get(digest.recipient.locale)
        return self._shared(("subject", t.locale, digest.community_name, digest.start, digest.end),
                            lambda: week_title(t, digest.community_name, digest.start, digest.end))

    def _dates(self, t, digest: Digest) -> str:
        def make() -> str:
            start, end = week_days(t, digest.start, digest.end, year=True)
            return t(N_("Week of {start} to {end}"), start=start, end=end)
        return self._shared(("dates", t.locale, digest.start, digest.end), make)

    def _highlights(self, t, digest: Digest) -> str:
        """"This week: 2 news in the projects you follow and 1 new project.", from what each section says it brings."""
        counts = tuple(h for s in digest.sections for h in s.highlights)
        if not counts:
            return ""
        return self._shared(("highlights", t.locale, counts), lambda: t(
            N_("This week: {what}."), what=format_list([t.n(one, many, n) for one, many, n in counts], locale=t.locale)))

    def _reply_hint(self, t, digest: Digest) -> str:
        """How to act by replying, with an example the reader can use as is: following a project they do not follow."""
        slug = next((line.slug for s in digest.sections if getattr(s.data, "action", "") == "follow"
                     for line in s.data.lines), None)
        if slug is None:
            return t(N_("Reply to this mail to act: one command per line; “help” lists them."))
        return t(N_("Reply to this mail to act: one command per line, for example “follow {slug}”."), slug=slug)

    def _section(self, kind: str, t, digest: Digest, section, links: Links) -> str:
        ext = "txt" if kind == "text" else "html"
        items = ""
        if section.item_template:  # joined here: a template loop calling a helper per line costs five times more
            key = (digest.edition, kind, t.locale, section.key)
            rendered = self._items.get(key)
            if rendered is None:
                if len(self._items) > 64:  # earlier runs' lines
                    self._items.clear()
                rendered = self._items[key] = {}
            try:
                items = "".join([rendered[line.slug] for line in section.data.lines])
            except KeyError:  # the run's first readers: render the lines not seen yet, once
                template = self.env.get_template(f"digest/{section.item_template}.{ext}.j2")
                for line in section.data.lines:
                    if line.slug not in rendered:
                        text = template.render(line=line, data=section.data, t=t, tn=t.n, links=_SHARED)
                        rendered[line.slug] = _tidy_piece(text) if kind == "text" else text
                items = "".join([rendered[line.slug] for line in section.data.lines])
        if section.item_template:
            # A list's own frame (its heading around its lines) reads the same for every reader: rendered once, tidied.
            frame = self._shared((digest.edition, kind, t.locale, section.key, "frame"), lambda: self._list_frame(kind, t, section))
            head, _, tail = frame.partition(_SLOT)
            return head + (items.strip("\n") if kind == "text" else items) + tail
        template = self.env.get_template(f"digest/{section.template}.{ext}.j2")
        if kind == "html":
            return template.render(section=section, data=section.data, t=t, tn=t.n, links=links, items=Markup(items))
        # The text is tidied around its lines (each tidied once, when first rendered), not through them: see _fill.
        return _fill(template.render(section=section, data=section.data, t=t, tn=t.n, links=links, items=_SLOT), [items])

    def images(self, digest: Digest) -> list[Image]:
        """The thumbnails the digest's HTML shows (full entries only: the short ones say how many photos), each once;
        each encoded once a run."""
        photos = {photo.cid: photo for section in digest.sections if section.item_template and not section.data.compact
                  for line in section.data.lines if getattr(line, "news", None) for news in line.news for photo in news.photos}
        out = []
        for cid, photo in photos.items():
            image = self._images.get(cid)
            if image is None:
                if len(self._images) > 1024:
                    self._images.clear()
                image = self._images[cid] = Image(cid, photo.filename.rsplit(".", 1)[0] + ".jpg", _base64(photo.data))
            out.append(image)
        return out

    def _list_frame(self, kind: str, t, section) -> str:
        """A list section's template with a slot where its lines go (the text tidied around it)."""
        template = self.env.get_template(f"digest/{section.template}.{'txt' if kind == 'text' else 'html'}.j2")
        if kind == "html":
            return template.render(section=section, data=section.data, t=t, tn=t.n, links=_SHARED, items=Markup(_SLOT))
        return _tidy(template.render(section=section, data=section.data, t=t, tn=t.n, links=_SHARED, items=_SLOT))

    def render(self, digest: Digest, links: Links) -> tuple[str, str, str]:
        """(subject, text, html) of one digest: its frame (header, greeting, footer) rendered once for all the readers
        whose frame reads the same but for their name, its sections each as _section makes them, then the reader's
        name and links put in."""
        t = self.catalogs.get(digest.recipient.locale)
        subject = self.subject(digest)
        dates = self._dates(t, digest)
        highlights, hint = self._highlights(t, digest), self._reply_hint(t, digest)
        name = digest.recipient.name
        if _NAME_SAFE.fullmatch(name):
            frames = self._frames(digest, t, subject, dates, highlights, hint)
            if frames is not None:
                text_pieces, html_pieces = frames
                texts = [self._section("text", t, digest, sec, links) for sec in digest.sections]
                htmls = [self._section("html", t, digest, sec, links) for sec in digest.sections]
                text = [text_pieces[0].replace(_NAME, name)]
                for part, piece in zip(texts, text_pieces[1:]):
                    text += [part.strip("\n"), piece.replace(_NAME, name)]
                html = [html_pieces[0].replace(_NAME, str(escape(name)))]
                for part, piece in zip(htmls, html_pieces[1:]):
                    html += [part, piece.replace(_NAME, str(escape(name)))]
                return subject, links.fill("".join(text)), links.fill("".join(html))
        return self._render(digest, links, t, subject, dates, highlights, hint)

    def _frames(self, digest: Digest, t, subject: str, dates: str, highlights: str, hint: str) -> tuple[list[str], list[str]] | None:
        """The frame's text (tidied) and HTML cut where the sections go, with a mark where the reader's name goes and
        placeholders for the links; made once per edition, language and what the frame says (None: not cut cleanly)."""
        key = (digest.edition, t.locale, digest.community_name, digest.page, subject, dates, highlights, hint,
               tuple(sec.key for sec in digest.sections))
        frames = self._frame_cache.get(key)
        if frames is None:
            if len(self._frame_cache) > 256:
                self._frame_cache.clear()
            context = {"digest": replace(digest, recipient=replace(digest.recipient, name=_NAME)), "t": t, "tn": t.n,
                       "links": _SHARED, "subject": subject, "dates": dates, "highlights": highlights, "reply_hint": hint,
                       "rule": max(len(digest.community_name), len(dates))}
            text = _tidy(self.frame["text"].render(section=lambda sec: _SLOT, **context)).split(_SLOT)
            html = self.frame["html"].render(section=lambda sec: Markup(_SLOT), **context).split(_SLOT)
            frames = self._frame_cache[key] = (text, html) if len(text) == len(html) == len(digest.sections) + 1 else None
        return frames

    def _render(self, digest: Digest, links: Links, t, subject: str, dates: str, highlights: str,
                hint: str) -> tuple[str, str, str]:
        """The whole mail through its templates (a name the frame's cut cannot carry as is)."""
        context = {"digest": digest, "t": t, "tn": t.n, "links": links, "subject": subject, "dates": dates,
                   "highlights": highlights, "reply_hint": hint, "rule": max(len(digest.community_name), len(dates))}
        sections: list[str] = []

        def text_section(sec) -> str:
            sections.append(self._section("text", t, digest, sec, links))
            return _SLOT

        def html_section(sec) -> Markup:
            return Markup(self._section("html", t, digest, sec, links))

        text = _fill(self.frame["text"].render(section=text_section, **context), sections)
        html = self.frame["html"].render(section=html_section, **context)
        return subject, links.fill(text), links.fill(html)


_SLOT = "\x01"  # where a big part goes in a small text while the small text is tidied
_NAME = "\x02"  # where the reader's name goes in a frame rendered for all the readers of a language
# A name the shared frame carries as is: no line break or control character for the text's tidying to act on, no edge
# spaces (a name typed in a chat may hold any of them: that mail is rendered whole).
_NAME_SAFE = re.compile(r"[^\x00-\x1f\x7f\s](?:[^\x00-\x1f\x7f]*[^\x00-\x1f\x7f\s])?")


def _tidy(text: str) -> str:
    """At most one blank line in a row (templates leave runs where optional parts were empty), no trailing blanks
    except in the signature separator "-- " (RFC 3676: mail clients find the signature by its space)."""
    lines, blank = [], False
    for line in text.split("\n"):
        line = line if line == "-- " else line.rstrip()
        if line or not blank:
            lines.append(line)
        blank = not line
    return "\n".join(lines).strip("\n") + "\n"


def _tidy_piece(text: str) -> str:
    """A project line, tidied once for all its readers; a line that ends with a blank line (a card) keeps it."""
    return _tidy(text) + ("\n" if text.rstrip(" ").endswith("\n\n") else "")


def _fill(frame: str, parts: list[str]) -> str:
    """`frame` tidied, each slot replaced by its part. Tidying a 40 KB digest line by line took a third of its rendering
    time; the small frame is tidied instead and the big parts, tidy already, go in with their edges trimmed."""
    pieces = _tidy(frame).split(_SLOT)
    out = [pieces[0]]
    for part, piece in zip(parts, pieces[1:]):
        out += [part.strip("\n"), piece]
    return "".join(out)


@lru_cache(maxsize=4096)
def _header(value: str) -> str:
    """A header's words, encoded (RFC 2047) when they are not ASCII; the same subjects and names recur all run long."""
    try:
        value.encode("ascii")
        return value
    except UnicodeEncodeError:
        return Header(value, "utf-8").encode()


def _base64(data: bytes) -> bytes:
    """`data` in base64 lines of 76 characters (57 bytes each), CRLF-ended: a twentieth of the time of quoted-printable
    on a 100 KB digest, 7-bit and unchanged by relays (DKIM stays valid); declared UTF-8, spam filters read it as text."""
    if not data:
        return b""
    # Encoded in one call, then cut into lines: a third less time than a call per line.
    encoded = b2a_base64(data, newline=False)
    return b"\r\n".join([encoded[i:i + 76] for i in range(0, len(encoded), 76)]) + b"\r\n"


@dataclass(frozen=True)
class Image:
    """An image shown inline in a mail's HTML (`<img src="cid:…">`): attached once per mail, its base64 made once a run."""

    cid: str  # without the angle brackets: `thumb.<hash>@<domain>`
    filename: str
    encoded: bytes  # _base64 of the bytes
    mime: str = "image/jpeg"


def build_mime(*, sender: str, sender_name: str, to: str, to_name: str, subject: str, text: str, html: str,
               domain: str, links: Links, list_id: str, lang: str, images: Sequence[Image] = ()) -> tuple[str, bytes]:
    """The message as bytes, written directly (the email package is ten times slower at this volume);
    returns (Message-ID, bytes). With `images`, the HTML and its images go in a multipart/related part (the text part,
    alone, carries none). Tests parse it back with the email package."""
    message_id = f"<digest.{secrets.token_hex(12)}@{domain}>"
    boundary = f"=_relais_{secrets.token_hex(8)}"
    headers = [
        f"From: {formataddr((_header(sender_name), sender))}",
        f"To: {formataddr((_header(to_name), to))}",
        f"Reply-To: {links.reply_to}",
        f"Subject: {_header(subject)}",
        f"Date: {format_datetime(datetime.now(timezone.utc))}",  # +0000: the time is known to be UTC (-0000 says unknown)
        f"Message-ID: {message_id}",
        f"List-Id: {list_id}",
        f"List-Unsubscribe: <{links.unsubscribe()}>, <{links.unsubscribe_mailto}>",
        "List-Unsubscribe-Post: List-Unsubscribe=One-Click",
        "Auto-Submitted: auto-generated",
        "Precedence: list",
        f"Content-Language: {lang}",
        "MIME-Version: 1.0",
        f'Content-Type: multipart/alternative; boundary="{boundary}"',
    ]
    head = "\r\n".join(headers).encode("ascii") + b"\r\n\r\n"
    part = b"Content-Type: text/%s; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n"
    sep = f"--{boundary}\r\n".encode("ascii")
    out = [head, sep, part % b"plain", _base64(text.encode("utf-8")), sep]
    if images:
        related = f"=_relais_r{secrets.token_hex(8)}".encode("ascii")
        out += [b'Content-Type: multipart/related; boundary="%s"; type="text/html"\r\n\r\n--%s\r\n' % (related, related),
                part % b"html", _base64(html.encode("utf-8"))]
        for image in images:
            out.append(b"--%s\r\nContent-Type: %s\r\nContent-Transfer-Encoding: base64\r\nContent-ID: <%s>\r\n"
                       b'Content-Disposition: inline; filename="%s"\r\n\r\n'
                       % (related, image.mime.encode("ascii"), image.cid.encode("ascii"), image.filename.encode("ascii", "replace")))
            out.append(image.encoded)
        out.append(b"--%s--\r\n" % related)
    else:
        out += [part % b"html", _base64(html.encode("utf-8"))]
    out.append(f"--{boundary}--\r\n".encode("ascii"))
    return message_id, b"".join(out)


def digest_links(composer, digest: Digest) -> Links:
    """The reader's links for this community's digest, acting as their email account (no login), each for one act;
    a vote's link ends with its poll, an answer to the meeting at its start, a pledge link with its campaign."""
    ends: dict[tuple[str, str], datetime] = {}
    for section in digest.sections:
        if isinstance(section.data, Gathering):
            for vote in section.data.votes:
                if vote.closes is not None:
                    ends[("vote", str(vote.number))] = _day_end(vote.closes)
            if section.data.meeting is not None:
                meeting = section.data.meeting
                ends[("coming", str(meeting.id))] = ends[("notcoming", str(meeting.id))] = meeting.starts
        elif section.key == "events":  # an answer to an event, until it starts
            for event in section.data:
                ends[("coming", str(event.id))] = ends[("notcoming", str(event.id))] = event.starts
        elif section.key == "campaigns":
            for campaign in section.data:
                if campaign.until is not None:
                    ends[("support", campaign.slug)] = _day_end(campaign.until)
    return Links(f"{composer.public_url}/d/", composer.tokens.web.reader(digest.recipient.account_id, digest.community_slug, ends),
                 unsubscribe_mailto=f"mailto:{composer.address}?subject=digest%20off%20{digest.community_slug}",
                 reply_to=composer.address)


def _day_end(day: date) -> datetime:
    """The end of `day` wherever the community is (UTC-12 ends it at noon UTC the next day): a poll closing that day
    is refused by the core from its closing minute on, so the link outliving it by hours acts on nothing."""
    return datetime.combine(day + timedelta(days=1), time(12), tzinfo=timezone.utc)
