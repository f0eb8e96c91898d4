"""The one digest mail of a person's communities: one header, a part per community (each with its own signed links and
its own unsubscribe), one footer whose one-click unsubscribe (RFC 8058) stops them all; and the Mailer that sends
both it and the one-community digest."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from markupsafe import Markup

from bot.core.delivery import TemporaryFailure, Unreachable
from bot.core.i18n import N_
from bot.services.digest import Digest, Recipient, week_days
from bot.services.digest_combined import Combined
from mail.digest import _SLOT, DigestRenderer, Links, _fill, build_mime
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


class CombinedRenderer:
    """Renders a Combined with the digest's own section templates, each part with its community's links."""

    def __init__(self, renderer: DigestRenderer):
        self.renderer = renderer
        env = renderer.env
        self.frame = {"text": env.get_template("digest_combined.txt.j2"), "html": env.get_template("digest_combined.html.j2")}

    def subject(self, t, mail: Combined) -> str:
        return t(N_("Your week: {communities}"), communities=", ".join(dg.community_name for dg in mail.digests))

    def render(self, mail: Combined, links_for: Callable[[Digest], Links], whole: Links) -> tuple[str, str, str]:
        """(subject, text, html) of the mail."""
        r = self.renderer
        t = r.catalogs.get(mail.recipient.locale)
        parts = []
        for dg in mail.digests:
            parts.append(_Part(dg.community_name, dg.page, r._highlights(t, dg), dg, links_for(dg)))
        start, end = week_days(t, mail.start, mail.end, year=True)
        dates = t(N_("Week of {start} to {end}"), start=start, end=end)
        subject = self.subject(t, mail)
        context = {"t": t, "tn": t.n, "links": whole, "subject": subject, "dates": dates, "name": mail.recipient.name,
                   "parts": parts, "rule": max(len(t(N_("Your week"))), len(dates))}
        sections: list[str] = []

        def text_section(part: _Part, sec) -> str:
            sections.append(part.links.fill(r._section("text", t, part.digest, sec, part.links)))
            return _SLOT

        def html_section(part: _Part, sec) -> Markup:
            return Markup(part.links.fill(r._section("html", t, part.digest, sec, part.links)))

        text = _fill(self.frame["text"].render(section=text_section, **context), sections)
        html = self.frame["html"].render(section=html_section, **context)
        return subject, text, html

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
