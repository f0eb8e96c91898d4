"""The signed links of mails on the web endpoint: a GET shows a page saying in words what the link does, with a button
carrying a page token; only a POST with it acts (or RFC 8058's one-click unsubscribe). A link that only reads (a project,
the polls) opens what it shows at once. Pledge links count a visit."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from html import escape
from urllib.parse import urlsplit

from aiohttp import web

from bot.adapters.links.guard import may_act, origin_of
from bot.adapters.links.tokens import Act, LinkError
from bot.adapters.web import WebServer
from bot.core.i18n import N_, normalize_locale
from bot.core.incoming import Incoming, Origin
from bot.core.render import to_html
from bot.core.replies import Choice, Reply
from bot.runtime.ports import Ports
from bot.services.pages import RUNNING
from mail.link_words import Form, Page, accepted_language, describe, link_project, render_page
from mail.outbound import Ready
from models import Account, Community, LinkUse, Person, Project

log = logging.getLogger("relais.web")
# What each act of a digest link runs, as the reader's email account: one act on one object, nothing else.
_COMMANDS = {"follow": "follow {c}/{o}", "unfollow": "unfollow {c}/{o}", "vote": "vote {c}#{o} {n}",
             "coming": "coming {o}", "notcoming": "not coming {o}", "off": "digest off {c}", "back": "back-idea {c}#{o}"}
_NUMBER = re.compile(r"[0-9]{1,9}")


def _command(act: Act) -> str:
    """The command an act link stands for; an act with no command here (a pledge link) is not valid on /d/."""
    if act.act == "alloff":  # the one mail of several communities: it names none, and only stops them all
        if act.community or act.obj or act.option:
            raise LinkError(expired=False)
        return "digest all off"
    template = _COMMANDS.get(act.act)
    numbered = act.act in ("vote", "coming", "notcoming", "back")
    if (template is None or not act.community or (act.act == "off") == bool(act.obj)
            or (numbered and not _NUMBER.fullmatch(act.obj)) or (act.act == "vote") != (act.option > 0)):
        raise LinkError(expired=False)
    return template.format(c=act.community, o=act.obj, n=act.option)


class LinkPages:
    """Routes of the link endpoint; acting goes through the core like any message (origin LINK)."""

    def __init__(self, ports: Ports, ready: Ready, public_url: str, wake_inbox: Callable[[], None]):
        self.ports = ports
        self.ready = ready  # the mail channel's composer signs and reads the links
        self.public_url = public_url
        self.wake_inbox = wake_inbox  # mail held for an address confirmed here is pending again

    def register(self, server: WebServer) -> None:
        # Pledge links: a visit counted once per person and campaign, then the campaign's own page.
        server.route("GET", "/p/{token}", self.pledge)
        # A mail's links (its choices, its unsubscribe, the address confirmation) and the digests' act links.
        for path in ("/l/{token}", "/d/{token}"):
            server.route("GET", path, self.show)
            server.route("POST", path, self.act)
        # Digest links of before act links (one token for everything a person could do): they no longer act.
        for path in ("/d/{token}/{action}", "/d/{token}/{action}/{slug}"):
            server.route("GET", path, self.older)
            server.route("POST", path, self.older)

    async def _resolve(self, request: web.Request) -> tuple[dict, Account | None, object]:
        composer = await self.ready()
        token = request.match_info["token"]
        if request.path.startswith("/d/"):
            act = composer.tokens.web.read(token)
            data: dict = {"k": "cmd", "a": act.who, "c": _command(act), "community": act.community,
                    "one_click": act.act in ("off", "alloff")}
        else:
            data = composer.read_link(token)
            data["one_click"] = data.get("k") == "unsub" and not data.get("r")
            if data.get("k") == "pick":  # a choice of the choice memory: its command as the mail offered it
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

    def _respond(self, t, page: Page) -> web.Response:
        return web.Response(text=render_page(t, page), content_type="text/html", status=page.status,
                            headers={"Cache-Control": "no-store"})

    def _browser_t(self, request: web.Request):
        return self.ports.catalogs.get(accepted_language(request.headers.get("Accept-Language", ""), self.ports.default_locale))

    async def _instead(self, t) -> str:
        """What to do instead of a link that does not act: write to Relais, or type the command in a chat."""
        address = (await self.ready()).address
        instead = t(N_("You can also write to Relais at {address} with what you wanted to do (for example "
                       "“follow <project>” or “help”), or type the command in a chat with Relais."), address="\x00")
        mailto = f'<a href="mailto:{escape(address)}">{escape(address)}</a>'
        return "<p>" + escape(instead, quote=False).replace("\x00", mailto) + "</p>"

    async def _invalid(self, request: web.Request, exc: LinkError) -> web.Response:
        """Why the link does not work and what to do instead, in the language the browser asks for."""
        t = self._browser_t(request)
        if exc.expired:
            page = Page(t(N_("This link has expired")),
                        [t(N_("Links in Relais' mails stop working after a while, so that an old mail cannot act for you."))],
                        status=410)
        else:
            page = Page(t(N_("This link does not work")),
                        [t(N_("It was cut or altered on its way (some mail programs break long links), or it is not a link of "
                              "Relais. Try copying the whole link from the mail into your browser."))],
                        status=404)
        page.html = await self._instead(t)
        return self._respond(t, page)

    async def older(self, request: web.Request) -> web.Response:
        """A digest link of before act links (its one token acted for the person on everything): said, never obeyed."""
        try:
            (await self.ready()).tokens.web.read_old_digest(request.match_info["token"])
        except LinkError as exc:
            if not exc.expired:
                return await self._invalid(request, exc)
        t = self._browser_t(request)
        page = Page(t(N_("This link is from an older mail")),
                    [t(N_("Each link of Relais' mails now does one thing only, for a limited time. This one comes from a "
                          "mail sent before that, so it no longer does anything.")),
                     t(N_("The next weekly digest will have links that work."))],
                    html=await self._instead(t), status=410)
        return self._respond(t, page)

    async def _opened(self, request: web.Request, account: Account, data: dict) -> None:
        """A digest's link used: that digest counts as opened in the report (no pixel; the link says which community)."""
        if request.path.startswith("/d/") and data.get("community") and not data.get("one_click"):
            await self.ports.services.digest.opened(account.person_id, data["community"])

    async def _used(self, community_slug: str, kind: str) -> None:
        community = await Community.get_or_none(slug=community_slug) if community_slug else None
        await LinkUse.create(community_id=community.id if community else None, kind=kind[:32], at=self.ports.clock())

    async def _to_campaign(self, request: web.Request, campaign_id: int, person_id: int) -> web.Response:
        """A visit (for the report: nobody becomes a backer by opening a link), then the campaign's stored page."""
        url = await self.ports.services.pledges.visit(campaign_id, person_id)
        if url is None:
            return await self._invalid(request, LinkError(expired=False))
        # Only ever the address stored with the campaign: nothing in the link names where to go.
        raise web.HTTPFound(url, headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"})

    async def pledge(self, request: web.Request) -> web.Response:
        """A person's own pledge link (`pledge <project>` in a chat)."""
        token = request.match_info["token"]
        tokens = (await self.ready()).tokens.web
        try:
            act = tokens.read(token)
        except LinkError as exc:
            ids = tokens.read_old_pledge(token)  # given before act links: it still opens the page, a visit
            if ids is None:
                return await self._invalid(request, exc)
            return await self._to_campaign(request, *ids)
        if act.act != "pledge" or not _NUMBER.fullmatch(act.obj):
            return await self._invalid(request, LinkError(expired=False))
        return await self._to_campaign(request, int(act.obj), act.who)

    async def _support(self, request: web.Request, act: Act) -> web.Response:
        """The digest's "Support <project>" link: the reader's visit to the project's running campaign."""
        account = await Account.get_or_none(id=act.who, platform="email")
        community = await Community.get_or_none(slug=act.community) if account is not None else None
        project = await Project.get_or_none(community_id=community.id, slug=act.obj) if community is not None else None
        campaign = await self.ports.services.pledges.running(project) if project is not None else None
        if account is None or campaign is None:
            return await self._invalid(request, LinkError(expired=False))
        return await self._to_campaign(request, campaign.id, account.person_id)

    async def _open(self, request: web.Request):
        """The link's payload, account and translator, or the page saying the link is not valid."""
        try:
            data, account, t = await self._resolve(request)
        except LinkError as exc:
            return await self._invalid(request, exc)
        if account is None:
            return await self._invalid(request, LinkError(expired=False))
        return data, account, t

    async def _context(self, data: dict) -> str:
        """The community a digest link comes from, named on its pages."""
        community = await Community.get_or_none(slug=data["community"]) if data.get("community") else None
        return community.name if community is not None else ""

    async def _form(self, url: str, label: str, primary: bool = True) -> Form:
        """A button posting to a link (a path of this site), with the page token bound to that link."""
        path = urlsplit(url).path
        return Form(path, label, primary, (await self.ready()).tokens.web.page(path.rsplit("/", 1)[-1]))

    async def show(self, request: web.Request) -> web.Response:
        """GET: what the link would do and a button; link scanners that fetch it change nothing."""
        if request.path.startswith("/d/support."):
            try:
                return await self._support(request, (await self.ready()).tokens.web.read(request.match_info["token"]))
            except LinkError as exc:
                return await self._invalid(request, exc)
        opened = await self._open(request)
        if isinstance(opened, web.Response):
            return opened
        data, account, t = opened
        kind = data["k"]
        if kind == "confirm":
            title = t(N_("Confirm your address"))
            text = [t(N_("Confirm that {address} is yours: Relais will then write to you there."), address=account.address)]
            button = t(N_("Confirm my address"))
        elif kind == "unsub" and data.get("r"):
            title = t(N_("Get Relais' mails again at {address}?"), address=account.address)
            text = [t(N_("Your notifications and digests will come to {address} again."), address=account.address)]
            button = t(N_("Get the mails again"))
        elif kind == "unsub":
            title = t(N_("Stop Relais' mails to {address}?"), address=account.address)
            text = [t(N_("Relais will stop sending notifications and digests to {address}."), address=account.address)]
            button = t(N_("Stop the mails"))
        elif self._reads(data.get("c", "")):  # a link that only shows something opens it: nothing to confirm
            return await self._read(request, data, account, t)
        else:
            title, text, button = await describe(self.ports.services, data.get("c", ""), data.get("label", ""), account, t)
        return self._respond(t, Page(title, text, forms=[await self._form(request.path, button)], context=await self._context(data)))

    def _reads(self, command: str) -> bool:
        found, _ = self.ports.registry.resolve(command.split())
        return found is not None and found.reads

    async def _read(self, request: web.Request, data: dict, account: Account, t) -> web.Response:
        """A link whose command only reads (« Voir le projet », « Voir les sondages »): the project's public page when the
        community has its pages on, else a page showing what the command shows (its choices as buttons)."""
        if not account.confirmed:
            return await self._invalid(request, LinkError(expired=False))
        command = data.get("c", "")
        words = command.split()
        title = data.get("label") or "Relais"
        if len(words) == 2 and words[0] == "project":
            project = await link_project(self.ports.services, words[1], account)
            community = await Community.get_or_none(id=project.community_id) if project is not None else None
            if project is not None and community is not None and community.pages and project.status in RUNNING:
                raise web.HTTPFound(f"{self.public_url}/c/{community.slug}/{project.slug}?lang={t.locale}",
                                    headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"})
            title = project.title if project is not None else title
        reply = await self.ports.dispatch(Incoming(platform="email", address=account.address, text=command,
                                                   origin=Origin.LINK)) or Reply()
        if not reply.error:
            await self._used(data.get("community", ""), (words or ["link"])[0])
            await self._opened(request, account, data)
        title = t(N_("Not done")) if reply.error else title
        return self._respond(t, Page(title, html=to_html(reply), forms=await self._buttons(account, reply.choices),
                                     context=await self._context(data)))

    def _press_first(self, t, request: web.Request) -> web.Response:
        """A POST without the page's token (a scanner, another site's form, a page left open for hours): nothing done;
        the link's page, a GET, is one click away."""
        label = escape(t(N_("Open the link's page")))
        page = Page(t(N_("Press the button on the link's page")),
                    [t(N_("Relais acts on a link only when the button of its page is pressed, so that nothing else can act "
                          "for you. Nothing was done."))],
                    html=f'<p><a href="{escape(request.path)}">{label}</a></p>', status=403)
        return self._respond(t, page)

    async def _mails_page(self, t, account: Account, stopped: bool) -> Page:
        """After a one-click unsubscribe (or its undo): what happened, and a button that undoes it."""
        composer = await self.ready()
        if stopped:
            undo = composer.link("unsub", account.id, r=1)  # its own token: the resubscribe link is not in any mail
            text = [t(N_("Relais will not send notifications or digests to {address} any more."), address=account.address)]
            if await Account.filter(person_id=account.person_id, confirmed=True, reachable=True).exclude(id=account.id).exists():
                text.append(t(N_("Your notifications now reach you in your chats with Relais.")))
            return Page(t(N_("No more mails to {address}"), address=account.address), text,
                        forms=[await self._form(undo, t(N_("Get the mails again")), primary=False)],
                        note=t(N_("Clicked by mistake? The button above undoes it.")))
        again = composer.link("unsub", account.id)
        return Page(t(N_("Mails are back")),
                    [t(N_("Relais will write to {address} again: notifications and digests."), address=account.address)],
                    forms=[await self._form(again, t(N_("Stop the mails")), primary=False)])

    async def _buttons(self, account: Account, choices: list[Choice]) -> list[Form]:
        """Choices as buttons on a page, each a signed link of the choice memory (what a mail's choices are)."""
        if not choices:
            return []
        composer = await self.ready()
        set_id = await self.ports.choices.store(choices)
        return [await self._form(composer.link("pick", account.id, s=set_id, i=i), choice.label, primary=False)
                for i, choice in enumerate(choices)]

    async def _done(self, t, account: Account, command: str, reply: Reply, context: str) -> Page:
        """The core's reply and its choices (an undo, mostly); the digest's one-click unsubscribe says what it did in full."""
        words = command.split()
        if words == ["digest", "all", "off"] and not reply.error:
            again = Choice(t(N_("Get the digests again")), "digest all on")
            return Page(t(N_("No more weekly digests")),
                        [t(N_("None of your communities' digests will come to {address} any more. The projects you follow "
                              "stay followed."), address=account.address)],
                        forms=await self._buttons(account, [again]), note=t(N_("Clicked by mistake? The button above undoes it.")))
        if words[:2] == ["digest", "off"] and len(words) == 3 and not reply.error:
            again = Choice(t(N_("Get the digest again")), f"digest on {words[2]}")
            return Page(t(N_("No more weekly digest")),
                        [t(N_("It will no longer come to {address}. The projects you follow stay followed."),
                           address=account.address)],
                        forms=await self._buttons(account, [again]), note=t(N_("Clicked by mistake? The button above undoes it.")),
                        context=context)
        return Page(t(N_("Not done")) if reply.error else t(N_("Done")), html=to_html(reply),
                    forms=await self._buttons(account, reply.choices), context=context)

    async def act(self, request: web.Request) -> web.Response:
        """POST: the action, when it carries the page's token; the one-click unsubscribe of mail providers is a POST
        with no cookie, no login, no Origin and no page token."""
        opened = await self._open(request)
        if isinstance(opened, web.Response):
            return opened
        data, account, t = opened
        tokens = (await self.ready()).tokens.web
        if not await may_act(request, tokens, request.match_info["token"], origin_of(self.public_url),
                              data.get("one_click", False)):
            return self._press_first(t, request)
        kind = data["k"]
        services = self.ports.services
        try:
            if kind == "confirm":
                done = await services.email.confirm(account.id, data.get("p"))
                if done is None:
                    return await self._invalid(request, LinkError(expired=False))
                self.wake_inbox()  # mail held for this address is pending again
                text = t(N_("Thank you: {address} is confirmed. Relais can now write to you there."), address=account.address)
                return self._respond(t, Page(t(N_("Address confirmed")), [text]))
            if kind == "unsub" and data.get("r"):
                await services.email.resubscribe_address(account.id)
                log.info("mail resubscribed", extra={"account_id": account.id})
                return self._respond(t, await self._mails_page(t, account, stopped=False))
            if kind == "unsub":
                await services.email.unsubscribe_address(account.id)
                log.info("one-click unsubscribe", extra={"account_id": account.id})
                return self._respond(t, await self._mails_page(t, account, stopped=True))
            if not account.confirmed:
                return await self._invalid(request, LinkError(expired=False))
            reply = await self.ports.dispatch(Incoming(platform="email", address=account.address, text=data.get("c", ""),
                                                       origin=Origin.LINK)) or Reply()
            if not reply.error:  # the impact report counts the links used (by kind, never by person)
                await self._used(data.get("community", ""), (data.get("c", "").split() or ["link"])[0])
                await self._opened(request, account, data)
            page = await self._done(t, account, data.get("c", ""), reply, await self._context(data))
        except Exception:  # no traceback reaches the person; the log has it
            log.exception("link action failed", extra={"kind": kind})
            return self._respond(t, Page(t(N_("Something went wrong")), [t(N_("Please try again later."))], status=500))
        return self._respond(t, page)
