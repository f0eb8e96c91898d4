"""The web endpoint of signed links in mails: a GET shows a page with a button, only a POST acts (RFC 8058)."""

from __future__ import annotations

import logging
import re
from html import escape

from aiohttp import web
from jinja2 import Environment, FileSystemLoader, select_autoescape

from bot.core.i18n import normalize_locale
from bot.core.incoming import Incoming, Origin
from bot.core.render import to_html
from bot.core.replies import Reply
from bot.services.email import Email
from mail.render import TEMPLATES
from mail.tokens import LinkError
from models import Account, Person

log = logging.getLogger("relais.web")
_PAGES = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]))


def split_listen(listen: str) -> tuple[str, int]:
    host, _, port = listen.rpartition(":")
    return host.strip("[]") or "127.0.0.1", int(port)


class WebAdapter:
    name = "web"

    def __init__(self, app, mail, listen: str):
        self.app = app
        self.mail = mail  # the MailAdapter: its composer signs and reads the links
        self.host, self.port = split_listen(listen)
        self._runner: web.AppRunner | None = None

    def application(self) -> web.Application:
        routes = web.Application()
        routes.router.add_get("/l/{token}", self.show)
        routes.router.add_post("/l/{token}", self.act)
        # Digest links: one signed token per person and community; the path says what to do with which project.
        for path in ("/d/{token}/{action}", "/d/{token}/{action}/{slug}"):
            routes.router.add_get(path, self.show)
            routes.router.add_post(path, self.act)
        routes.router.add_get("/healthz", self.health)
        return routes

    async def start(self) -> None:
        self._runner = web.AppRunner(self.application(), access_log=None)  # URLs hold tokens: no access log
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]
        log.info("web endpoint listening", extra={"host": self.host, "port": self.port})

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def health(self, request: web.Request) -> web.Response:
        return web.Response(text="ok")

    async def _resolve(self, token: str, request: web.Request | None = None) -> tuple[dict, Account | None, object]:
        composer = await self.mail.ready()
        data = composer.read_link(token)
        if data.get("k") == "digest":
            data = {"k": "cmd", "a": data.get("a"), "c": _digest_command(data.get("c", ""), request.match_info)}
        account = await Account.get_or_none(id=data.get("a"), platform="email")
        locale = self.app.settings.core.default_locale
        if account is not None:
            person = await Person.get(id=account.person_id)
            locale = person.locale or locale
        return data, account, self.app.catalogs.get(normalize_locale(locale))

    def _page(self, t, title: str, body: str, action: str = "", button: str = "", status: int = 200) -> web.Response:
        html = _PAGES.get_template("page.html").render(lang=t.locale, title=title, body=body, action=action, button=button)
        return web.Response(text=html, content_type="text/html", status=status,
                            headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"})

    def _invalid(self, exc: LinkError) -> web.Response:
        t = self.app.catalogs.get(self.app.settings.core.default_locale)
        message = t("This link has expired. Write to Relais to get a new one.") if exc.expired else t("This link is not valid.")
        return self._page(t, t("Link not valid"), f"<p>{message}</p>", status=410 if exc.expired else 404)

    async def _open(self, request: web.Request):
        """The link's payload, account and translator, or the page saying the link is not valid."""
        try:
            data, account, t = await self._resolve(request.match_info["token"], request)
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
        """POST: the action; the one-click unsubscribe of mail clients is a POST with no cookie and no login."""
        opened = await self._open(request)
        if isinstance(opened, web.Response):
            return opened
        data, account, t = opened
        kind = data["k"]
        try:
            if kind == "confirm":
                if await Email(self.app.services).confirm(account.id, data.get("p")) is None:
                    return self._invalid(LinkError(expired=False))
                self.mail.worker.wake()  # mail held for this address is pending again
                done = t("Thank you: {address} is confirmed. Relais can now write to you there.", address=account.address)
                return self._page(t, t("Address confirmed"), f"<p>{escape(done, quote=False)}</p>")
            if kind == "unsub":
                await Email(self.app.services).unsubscribe_address(account.id)
                log.info("one-click unsubscribe", extra={"account_id": account.id})
                done = t("Relais will not send notifications to {address} any more.", address=account.address)
                return self._page(t, t("Unsubscribed"), f"<p>{escape(done, quote=False)}</p>")
            if not account.confirmed:
                return self._invalid(LinkError(expired=False))
            reply = await self.app.dispatcher.handle(Incoming(platform="email", address=account.address, text=data.get("c", ""),
                                                              origin=Origin.LINK)) or Reply()
        except Exception:  # no traceback reaches the person; the log has it
            log.exception("link action failed", extra={"kind": kind})
            later = t("Please try again later.")
            return self._page(t, t("Something went wrong"), f"<p>{escape(later, quote=False)}</p>", status=500)
        return self._page(t, t("Done") if not reply.error else t("Not done"), to_html(reply))


_DIGEST_ACTIONS = {"follow": "follow {c}/{slug}", "unfollow": "unfollow {c}/{slug}", "off": "digest off {c}"}


def _digest_command(community: str, match: dict) -> str:
    """The command a digest link stands for; anything else is not a valid link."""
    template = _DIGEST_ACTIONS.get(match.get("action", ""))
    slug = match.get("slug", "")
    if template is None or ("{slug}" in template) != bool(slug) or (slug and not re.fullmatch(r"[a-z0-9-]{1,64}", slug)):
        raise LinkError(expired=False)
    return template.format(c=community, slug=slug)
