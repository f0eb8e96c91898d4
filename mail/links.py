"""The signed links in mails: a GET shows a page with a button, only a POST acts (RFC 8058 one-click included)."""

from __future__ import annotations

import logging
import re
from html import escape
from urllib.parse import urlsplit

from aiohttp import web
from jinja2 import Environment, FileSystemLoader, select_autoescape

from bot.adapters.web import WebServer
from bot.core.i18n import normalize_locale
from bot.core.incoming import Incoming, Origin
from bot.core.render import to_html
from bot.core.replies import Reply
from mail.render import TEMPLATES
from mail.tokens import LinkError
from models import Account, Person

log = logging.getLogger("relais.web")
_PAGES = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]))
_DIGEST_ACTIONS = {"follow": "follow {c}/{slug}", "unfollow": "unfollow {c}/{slug}", "off": "digest off {c}"}


def _digest_command(community: str, match) -> str:
    """The command a digest link stands for; anything else is not a valid link."""
    template = _DIGEST_ACTIONS.get(match.get("action", ""))
    slug = match.get("slug", "")
    if template is None or ("{slug}" in template) != bool(slug) or (slug and not re.fullmatch(r"[a-z0-9-]{1,64}", slug)):
        raise LinkError(expired=False)
    return template.format(c=community, slug=slug)


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


class LinkPages:
    """Routes of the link endpoint; acting goes through the core like any message (origin LINK)."""

    def __init__(self, mail):
        self.mail = mail  # the MailAdapter: its composer signs and reads the links
        self.ports = mail.ports

    def register(self, server: WebServer) -> None:
        server.route("GET", "/l/{token}", self.show)
        server.route("POST", "/l/{token}", self.act)
        # Digest links: one signed token per person and community; the path says what to do with which project.
        for path in ("/d/{token}/{action}", "/d/{token}/{action}/{slug}"):
            server.route("GET", path, self.show)
            server.route("POST", path, self.act)

    async def _resolve(self, request: web.Request) -> tuple[dict, Account | None, object]:
        composer = await self.mail.ready()
        data = composer.read_link(request.match_info["token"])
        if data.get("k") == "digest":
            data = {"k": "cmd", "a": data.get("a"), "c": _digest_command(data.get("c", ""), request.match_info)}
        elif data.get("k") == "pick":  # a choice of the choice memory: its command as the mail offered it
            choice = await self.ports.choices.pick_from(int(data.get("s", 0)), int(data.get("i", -1)))
            if choice is None:
                raise LinkError(expired=False)
            data = {"k": "cmd", "a": data.get("a"), "c": choice.command, "label": choice.label}
        account = await Account.get_or_none(id=data.get("a"), platform="email")
        locale = self.ports.default_locale
        if account is not None:
            person = await Person.get(id=account.person_id)
            locale = person.locale or locale
        return data, account, self.ports.catalogs.get(normalize_locale(locale))

    def _page(self, t, title: str, body: str, action: str = "", button: str = "", status: int = 200) -> web.Response:
        html = _PAGES.get_template("page.html").render(lang=t.locale, title=title, body=body, action=action, button=button)
        return web.Response(text=html, content_type="text/html", status=status, headers={"Cache-Control": "no-store"})

    def _invalid(self, exc: LinkError) -> web.Response:
        t = self.ports.catalogs.get(self.ports.default_locale)
        message = t("This link has expired. Write to Relais to get a new one.") if exc.expired else t("This link is not valid.")
        return self._page(t, t("Link not valid"), f"<p>{message}</p>", status=410 if exc.expired else 404)

    async def _open(self, request: web.Request):
        """The link's payload, account and translator, or the page saying the link is not valid."""
        try:
            data, account, t = await self._resolve(request)
        except LinkError as exc:
            return self._invalid(exc)
        if account is None:
            return self._invalid(LinkError(expired=False))
        return data, account, t

    async def show(self, request: web.Request) -> web.Response:
        """GET: what the link would do and a button; link scanners that fetch it change nothing."""
        opened = await self._open(request)
        if isinstance(opened, web.Response):
            return opened
        data, account, t = opened
        kind = data["k"]
        if kind == "confirm":
            title, text, button = t("Confirm your address"), t("Confirm that {address} is yours.", address=account.address), t("Confirm")
        elif kind == "unsub":
            title = t("Stop mails from Relais")
            text = t("Relais will stop sending notifications to {address}.", address=account.address)
            button = t("Unsubscribe")
        else:
            title, text, button = t("Confirm your choice"), t("Run “{command}” as {address}?", command=data.get("c", ""), address=account.address), t("Go")
        return self._page(t, title, f"<p>{escape(text, quote=False)}</p>", action=request.path, button=button)

    async def act(self, request: web.Request) -> web.Response:
        """POST: the action; the one-click unsubscribe of mail clients is a POST with no cookie, no login, no Origin."""
        origin = request.headers.get("Origin")
        if origin and origin.lower() != "null" and origin.lower() != _origin(self.mail.public_url):
            log.warning("link post refused: foreign origin")
            return web.Response(status=403, text="Forbidden")
        opened = await self._open(request)
        if isinstance(opened, web.Response):
            return opened
        data, account, t = opened
        kind = data["k"]
        services = self.ports.services
        try:
            if kind == "confirm":
                done = await services.email.confirm(account.id, data.get("p"))
                if done is None:
                    return self._invalid(LinkError(expired=False))
                self.mail.inbox.wake()  # mail held for this address is pending again
                done_text = t("Thank you: {address} is confirmed. Relais can now write to you there.", address=account.address)
                return self._page(t, t("Address confirmed"), f"<p>{escape(done_text, quote=False)}</p>")
            if kind == "unsub":
                await services.email.unsubscribe_address(account.id)
                log.info("one-click unsubscribe", extra={"account_id": account.id})
                done_text = t("Relais will not send notifications to {address} any more.", address=account.address)
                return self._page(t, t("Unsubscribed"), f"<p>{escape(done_text, quote=False)}</p>")
            if not account.confirmed:
                return self._invalid(LinkError(expired=False))
            reply = await self.ports.dispatch(Incoming(platform="email", address=account.address, text=data.get("c", ""),
                                                       origin=Origin.LINK)) or Reply()
        except Exception:  # no traceback reaches the person; the log has it
            log.exception("link action failed", extra={"kind": kind})
            later = t("Please try again later.")
            return self._page(t, t("Something went wrong"), f"<p>{escape(later, quote=False)}</p>", status=500)
        return self._page(t, t("Done") if not reply.error else t("Not done"), to_html(reply))
