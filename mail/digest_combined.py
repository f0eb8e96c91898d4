"""The one digest mail of a person's communities: one header, a part per community (each with its own signed links and
its own unsubscribe), one footer whose one-click unsubscribe (RFC 8058) stops them all; and the Mailer that sends
both it and the one-community digest."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Callable, cast

from markupsafe import Markup, escape

from bot.core.errors import TemporaryFailure, Unreachable
from bot.core.i18n import N_
from bot.services.digest import Digest, Recipient, week_days
from bot.services.digest_combined import Combined
from mail.digest import _NAME, _NAME_SAFE, _SLOT, DigestRenderer, Links, _fill, _Placeholders, _Shapes, _tidy, build_mime
from mail.smtp import PermanentSmtpError, TemporarySmtpError


class WholeLinks(Links):
    """The links of the mail as a whole: its unsubscribe stops every community's digest (`digest all off`)."""

    def unsubscribe(self) -> str:
        return self._link("alloff", "")


def whole_links(composer, recipient: Recipient) -> WholeLinks:
    """Signed for no community: the only act they carry is stopping all the person's digests."""
    return WholeLinks(f"{composer.public_url}/d/", composer.tokens.web.reader(recipient.account_id, ""),
                      unsubscribe_mailto=f"mailto:{composer.address}?subject=digest%20all%20off", reply_to=composer.address)


@dataclass
class _Part:
    name: str
    page: str
    highlights: str
    digest: Digest
    links: Links


class _WholePlaceholders(_Placeholders):
    """The placeholders of the whole mail's links (its unsubscribe stops every community's digest)."""

    def unsubscribe(self) -> str:
        return self._link("alloff", "")


_WHOLE = _WholePlaceholders()


class _PartMark(_Shapes):
    """Stands for a part's own links in the frame rendered once (only its unsubscribe is there): `\x03<part>\x03`."""

    def __init__(self, n: int):
        self.n = n

    def _link(self, act: str, obj: str, option: int = 0) -> str:
        return f"\x03{self.n}\x03"


class CombinedRenderer:
    """Renders a Combined with the digest's own section templates, each part with its community's links."""

    def __init__(self, renderer: DigestRenderer):
        self.renderer = renderer
        self._frame_cache: dict[tuple, tuple[list[str], list[str]] | None] = {}  # see _frames
        env = renderer.env
        self.frame = {"text": env.get_template("digest_combined.txt.j2"), "html": env.get_template("digest_combined.html.j2")}

    def subject(self, t, mail: Combined) -> str:
        return t(N_("Your week: {communities}"), communities=", ".join(dg.community_name for dg in mail.digests))

    def render(self, mail: Combined, links_for: Callable[[Digest], Links], whole: Links) -> tuple[str, str, str]:
        """(subject, text, html) of the mail: its frame rendered once for the mails that read the same but for the
        reader's name and links (see DigestRenderer.render), each part's sections with that part's links."""
        r = self.renderer
        t = r.catalogs.get(mail.recipient.locale)
        parts = [_Part(dg.community_name, dg.page, r._highlights(t, dg), dg, links_for(dg)) for dg in mail.digests]
        subject = self.subject(t, mail)
        name = mail.recipient.name
        frames = self._frames(t, mail, parts, subject) if _NAME_SAFE.fullmatch(name) else None
        if frames is None:
            return self._render(t, mail, parts, subject, whole)
        texts = [part.links.fill(r._section("text", t, part.digest, sec, part.links)) for part in parts for sec in part.digest.sections]
        htmls = [part.links.fill(r._section("html", t, part.digest, sec, part.links)) for part in parts for sec in part.digest.sections]
        stops = [part.links.unsubscribe() for part in parts]

        def frame(piece: str, html: bool) -> str:
            piece = whole.fill(piece.replace(_NAME, str(escape(name)) if html else name))
            for n, url in enumerate(stops):
                piece = piece.replace(f"\x03{n}\x03", str(escape(url)) if html else url)
            return piece

        text_pieces, html_pieces = frames
        text = [frame(text_pieces[0], False)]
        for part, piece in zip(texts, text_pieces[1:]):
            text += [part.strip("\n"), frame(piece, False)]
        html = [frame(html_pieces[0], True)]
        for part, piece in zip(htmls, html_pieces[1:]):
            html += [part, frame(piece, True)]
        return subject, "".join(text), "".join(html)

    def _frames(self, t, mail: Combined, parts: list[_Part], subject: str) -> tuple[list[str], list[str]] | None:
        """The frame's text (tidied) and HTML cut where the sections go, with marks for the name and each part's
        unsubscribe and placeholders for the whole mail's links; None when it does not cut cleanly."""
        key = (t.locale, subject, mail.start, mail.end, tuple((p.digest.edition, p.name, p.page, p.highlights,
                                                                tuple(sec.key for sec in p.digest.sections)) for p in parts))
        cache = self._frame_cache
        if key in cache:
            return cache[key]
        if len(cache) > 256:
            cache.clear()
        # The frame's templates only ask a part's links for their shapes (its unsubscribe): a mark stands for them.
        marked = [replace(p, links=cast(Links, _PartMark(n))) for n, p in enumerate(parts)]
        text, html = self._templates(t, mail, marked, subject, _WHOLE, _NAME, lambda part, sec: _SLOT,
                                     lambda part, sec: Markup(_SLOT))
        slots = sum(len(p.digest.sections) for p in parts) + 1
        text_pieces, html_pieces = _tidy(text).split(_SLOT), html.split(_SLOT)
        cache[key] = (text_pieces, html_pieces) if len(text_pieces) == len(html_pieces) == slots else None
        return cache[key]

    def _templates(self, t, mail: Combined, parts: list[_Part], subject: str, links, name: str, text_section,
                   html_section) -> tuple[str, str]:
        start, end = week_days(t, mail.start, mail.end, year=True)
        dates = t(N_("Week of {start} to {end}"), start=start, end=end)
        context = {"t": t, "tn": t.n, "links": links, "subject": subject, "dates": dates, "name": name,
                   "parts": parts, "rule": max(len(t(N_("Your week"))), len(dates))}
        return (self.frame["text"].render(section=text_section, **context),
                self.frame["html"].render(section=html_section, **context))

    def _render(self, t, mail: Combined, parts: list[_Part], subject: str, whole: Links) -> tuple[str, str, str]:
        """The whole mail through its templates (a name the frame's cut cannot carry as is)."""
        r = self.renderer
        sections: list[str] = []

        def text_section(part: _Part, sec) -> str:
            sections.append(part.links.fill(r._section("text", t, part.digest, sec, part.links)))
            return _SLOT

        def html_section(part: _Part, sec) -> Markup:
            return Markup(part.links.fill(r._section("html", t, part.digest, sec, part.links)))

        text, html = self._templates(t, mail, parts, subject, whole, mail.recipient.name, text_section, html_section)
        return subject, _fill(text, sections), html

    def compose(self, mail: Combined, links_for: Callable[[Digest], Links], whole: Links, *, sender: str, sender_name: str,
                domain: str) -> tuple[str, bytes]:
        subject, text, html = self.render(mail, links_for, whole)
        return build_mime(sender=sender, sender_name=sender_name, to=mail.recipient.address, to_name=mail.recipient.name,
                          subject=subject, text=text, html=html, domain=domain, links=whole, list_id=f"<digest.{domain}>",
                          lang=self.renderer.catalogs.get(mail.recipient.locale).locale,
                          images=list({i.cid: i for dg in mail.digests for i in self.renderer.images(dg)}.values()))


class Mailer:
    """Renders and sends one digest; links come from `links_for` (signed, per person), bytes go to `transport`."""

    def __init__(self, renderer: DigestRenderer, transport, links_for: Callable[[Digest], Links], sender: str,
                 sender_name: str, domain: str, whole_for: Callable[[Recipient], Links] | None = None):
        """`sender_name` names the sender of a community without a name (and of the one mail of several communities);
        `whole_for` makes the links of that one mail (its unsubscribe stops every community's digest)."""
        self.renderer = renderer
        self.combined = CombinedRenderer(renderer)
        self.whole_for = whole_for
        self.transport = transport
        self.links_for = links_for
        self.sender = sender
        self.sender_name = sender_name
        self.domain = domain

    def compose(self, digest: Digest) -> tuple[str, bytes]:
        links = self.links_for(digest)
        subject, text, html = self.renderer.render(digest, links)
        return build_mime(sender=self.sender, sender_name=digest.community_name or self.sender_name,
                          to=digest.recipient.address, to_name=digest.recipient.name, subject=subject, text=text, html=html,
                          domain=self.domain, links=links, list_id=f"<{digest.community_slug}.digest.{self.domain}>",
                          lang=self.renderer.catalogs.get(digest.recipient.locale).locale, images=self.renderer.images(digest))

    def compose_combined(self, mail: Combined) -> tuple[str, bytes]:
        if self.whole_for is None:
            raise RuntimeError("the one mail of several communities needs its links (whole_for)")
        return self.combined.compose(mail, self.links_for, self.whole_for(mail.recipient), sender=self.sender,
                                     sender_name=self.sender_name, domain=self.domain)

    async def send_combined(self, mail: Combined) -> str:
        message_id, data = self.compose_combined(mail)
        await self._deliver(mail.recipient, data)
        return message_id

    async def send(self, digest: Digest) -> str:
        message_id, data = self.compose(digest)
        await self._deliver(digest.recipient, data)
        return message_id

    async def _deliver(self, recipient: Recipient, data: bytes) -> None:
        try:
            await self.transport.send(self.sender, [recipient.address], data, account_id=recipient.account_id or None)
        except TemporarySmtpError as exc:
            raise TemporaryFailure(str(exc)) from None
        except PermanentSmtpError as exc:
            raise Unreachable(str(exc)) from None
