"""The signed links in mails: a GET shows a page saying in words what the link does, with a button; only a POST acts
(RFC 8058 one-click included)."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from html import escape
from urllib.parse import urlsplit

from aiohttp import web
from jinja2 import Environment, FileSystemLoader, select_autoescape

from bot.adapters.web import WebServer
from bot.core.errors import UserError
from bot.core.i18n import LOCALES, N_, normalize_locale
from bot.core.incoming import Incoming, Origin
from bot.core.render import to_html
from bot.core.replies import Choice, Reply
from mail.render import TEMPLATES
from mail.tokens import LinkError
from models import Account, Community, LinkUse, Membership, Person, Project, VotePoll

log = logging.getLogger("relais.web")
_PAGES = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]))
_DIGEST_ACTIONS = {"follow": "follow {c}/{slug}", "unfollow": "unfollow {c}/{slug}", "off": "digest off {c}",
                   "coming": "coming {slug}", "notcoming": "not coming {slug}"}
_VOTE = re.compile(r"(\d{1,9})-(\d{1,2})")
_SLUG = re.compile(r"[a-z0-9-]{1,64}")


def _digest_command(community: str, match) -> str:
    """The command a digest link stands for; anything else is not a valid link."""
    if match.get("action") == "vote":  # /vote/<poll number>-<option number>
        vote = _VOTE.fullmatch(match.get("slug", ""))
        if vote is None:
            raise LinkError(expired=False)
        return f"vote {community}#{vote.group(1)} {vote.group(2)}"
    template = _DIGEST_ACTIONS.get(match.get("action", ""))
    slug = match.get("slug", "")
    if template is None or ("{slug}" in template) != bool(slug) or (slug and not _SLUG.fullmatch(slug)):
        raise LinkError(expired=False)
    return template.format(c=community, slug=slug)


def _option(poll: VotePoll, number: int) -> str:
    option = str(poll.options[number - 1])
    return option.replace("T", " ")[:16] if poll.kind == "date" else option


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def accepted_language(header: str, default: str) -> str:
    """The first language of an Accept-Language header that Relais speaks (by preference), else `default`."""
    ranked = []
    for i, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        code = tag.strip().split("-")[0].lower()
        if code in LOCALES and quality > 0:
            ranked.append((-quality, i, code))
    return min(ranked)[2] if ranked else default


@dataclass
class Form:
    """A button: a POST to `action` (a path of this site: the pages' policy lets forms post nowhere else)."""

    action: str
    label: str
    primary: bool = True


@dataclass
class Page:
    title: str
    text: list[str] = field(default_factory=list)  # paragraphs, escaped when shown
    html: str = ""  # a reply of the core, already HTML
    forms: list[Form] = field(default_factory=list)
    note: str = ""  # a quieter last paragraph: what else the person can do
    context: str = ""  # the community the link is about, under Relais' name
    status: int = 200


def render_page(t, page: Page) -> str:
    """The page's HTML: pure, so the look tests and the screenshots render exactly what people get."""
    return _PAGES.get_template("page.html").render(lang=t.locale, page=page)


class LinkPages:
    """Routes of the link endpoint; acting goes through the core like any message (origin LINK)."""

    def __init__(self, mail):
        self.mail = mail  # the MailAdapter: its composer signs and reads the links
        self.ports = mail.ports

    def register(self, server: WebServer) -> None:
        # Personal pledge links: the click counted once per person and campaign, then the campaign's own page.
        server.route("GET", "/p/{token}", self.pledge)
        server.route("GET", "/d/{token}/pledge/{slug}", self.digest_pledge)
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
            data = {"k": "cmd", "a": data.get("a"), "c": _digest_command(data.get("c", ""), request.match_info),
                    "community": data.get("c", "")}
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

    def _respond(self, t, page: Page) -> web.Response:
        return web.Response(text=render_page(t, page), content_type="text/html", status=page.status,
                            headers={"Cache-Control": "no-store"})

    async def _invalid(self, request: web.Request, exc: LinkError) -> web.Response:
        """Why the link does not work and what to do instead, in the language the browser asks for."""
        t = self.ports.catalogs.get(accepted_language(request.headers.get("Accept-Language", ""), self.ports.default_locale))
        address = (await self.mail.ready()).address
        if exc.expired:
            page = Page(t(N_("This link has expired")),
                        [t(N_("Links in Relais' mails stop working after a while, so that an old mail cannot act for you."))],
                        status=410)
        else:
            page = Page(t(N_("This link does not work")),
                        [t(N_("It was cut or altered on its way (some mail programs break long links), or it is not a link of "
                              "Relais. Try copying the whole link from the mail into your browser."))],
                        status=404)
        instead = t(N_("You can also write to Relais at {address} with what you wanted to do (for example "
                       "“follow <project>” or “help”), or type the command in a chat with Relais."), address="\x00")
        mailto = f'<a href="mailto:{escape(address)}">{escape(address)}</a>'
        page.html = "<p>" + escape(instead, quote=False).replace("\x00", mailto) + "</p>"
        return self._respond(t, page)

    async def _used(self, community_slug: str, kind: str) -> None:
        community = await Community.get_or_none(slug=community_slug) if community_slug else None
        await LinkUse.create(community_id=community.id if community else None, kind=kind[:32], at=self.ports.clock())

    async def _to_campaign(self, request: web.Request, campaign_id: int, person_id: int) -> web.Response:
        url = await self.ports.services.pledges.click(campaign_id, person_id)
        if url is None:
            return await self._invalid(request, LinkError(expired=False))
        # Only ever the address stored with the campaign: nothing in the link names where to go.
        raise web.HTTPFound(url, headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"})

    async def pledge(self, request: web.Request) -> web.Response:
        ids = self.ports.services.pledges.links.read(request.match_info["token"])
        if ids is None:
            return await self._invalid(request, LinkError(expired=False))
        return await self._to_campaign(request, *ids)

    async def digest_pledge(self, request: web.Request) -> web.Response:
        """The digest's "support" link: the reader's digest token names them, the path the project."""
        try:
            composer = await self.mail.ready()
            data = composer.read_link(request.match_info["token"])
        except LinkError as exc:
            return await self._invalid(request, exc)
        account = await Account.get_or_none(id=data.get("a"), platform="email") if data.get("k") == "digest" else None
        community = await Community.get_or_none(slug=data.get("c", "")) if account is not None else None
        slug = request.match_info["slug"]
        project = await Project.get_or_none(community_id=community.id, slug=slug) if community and _SLUG.fullmatch(slug) else None
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

    async def _project(self, ref: str, account: Account) -> Project | None:
        """The project a command names: `<community>/<slug>`, or a slug of one of the person's communities."""
        community_slug, _, slug = ref.rpartition("/")
        services = self.ports.services
        try:
            if community_slug:
                return await services.projects.get(await services.people.community(community_slug), slug)
        except UserError:
            return None
        communities = await Membership.filter(person_id=account.person_id).values_list("community_id", flat=True)
        found = await Project.filter(slug=slug.lower(), community_id__in=list(communities)).limit(2)
        return found[0] if len(found) == 1 else None  # two communities with that slug: say it plainly, not wrongly

    async def _describe(self, data: dict, account: Account, t) -> tuple[str, list[str], str]:
        """(title, paragraphs, button) saying in words what a command link will do."""
        words = data.get("c", "").split()
        if len(words) == 2 and words[0] in ("follow", "unfollow"):
            project = await self._project(words[1], account)
            if project is not None and words[0] == "follow":
                return (t(N_("Follow {project}?"), project=project.title),
                        [*([project.summary] if project.summary else []),
                         t(N_("You will get its news and next steps at {address}."), address=account.address)], t(N_("Follow")))
            if project is not None:
                return (t(N_("Stop following {project}?"), project=project.title),
                        [t(N_("You will no longer get its news and next steps."))], t(N_("Stop following")))
        if len(words) == 3 and words[:2] in (["digest", "off"], ["digest", "on"]):
            community = await Community.get_or_none(slug=words[2])
            if community is not None and words[1] == "off":
                return (t(N_("Stop the weekly digest of {community}?"), community=community.name),
                        [t(N_("It will no longer come to {address}. The projects you follow stay followed."),
                           address=account.address)], t(N_("Stop the digest")))
            if community is not None:
                return (t(N_("Get the weekly digest of {community}?"), community=community.name),
                        [t(N_("It will come to {address} every week."), address=account.address)], t(N_("Get the digest")))
        if len(words) == 3 and words[0] == "vote" and "#" in words[1]:
            slug, _, number = words[1].rpartition("#")
            community = await Community.get_or_none(slug=slug)
            poll = await VotePoll.get_or_none(community_id=community.id, number=int(number)) if community and number.isdigit() else None
            option = int(words[2]) if words[2].isdigit() else 0
            if poll is not None and 1 <= option <= len(poll.options):
                return (t(N_("Vote “{option}”?"), option=_option(poll, option)),
                        [poll.question, t(N_("Your ballot replaces any earlier one of yours on this poll, until it closes."))],
                        t(N_("Vote")))
        label = data.get("label") or t(N_("Confirm"))
        return (t(N_("“{choice}”: confirm your choice"), choice=label),
                [t(N_("Relais will do it for {address} once you press the button."), address=account.address)], label)

    async def _context(self, data: dict) -> str:
        """The community a digest link comes from, named on its pages."""
        community = await Community.get_or_none(slug=data["community"]) if data.get("community") else None
        return community.name if community is not None else ""

    async def show(self, request: web.Request) -> web.Response:
        """GET: what the link would do and a button; link scanners that fetch it change nothing."""
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
        else:
            title, text, button = await self._describe(data, account, t)
        return self._respond(t, Page(title, text, forms=[Form(request.path, button)], context=await self._context(data)))

    async def _mails_page(self, t, account: Account, stopped: bool) -> Page:
        """After a one-click unsubscribe (or its undo): what happened, and a button that undoes it."""
        composer = await self.mail.ready()
        if stopped:
            undo = composer.link("unsub", account.id, r=1)  # its own token: the resubscribe link is not in any mail
            text = [t(N_("Relais will not send notifications or digests to {address} any more."), address=account.address)]
            if await Account.filter(person_id=account.person_id, confirmed=True, reachable=True).exclude(id=account.id).exists():
                text.append(t(N_("Your notifications now reach you in your chats with Relais.")))
            return Page(t(N_("No more mails to {address}"), address=account.address), text,
                        forms=[Form(urlsplit(undo).path, t(N_("Get the mails again")), primary=False)],
                        note=t(N_("Clicked by mistake? The button above undoes it.")))
        again = composer.link("unsub", account.id)
        return Page(t(N_("Mails are back")),
                    [t(N_("Relais will write to {address} again: notifications and digests."), address=account.address)],
                    forms=[Form(urlsplit(again).path, t(N_("Stop the mails")), primary=False)])

    async def _buttons(self, account: Account, choices: list[Choice]) -> list[Form]:
        """Choices as buttons on a page, each a signed link of the choice memory (what a mail's choices are)."""
        if not choices:
            return []
        composer = await self.mail.ready()
        set_id = await self.ports.choices.store(choices)
        return [Form(urlsplit(composer.link("pick", account.id, s=set_id, i=i)).path, choice.label, primary=False)
                for i, choice in enumerate(choices)]

    async def _done(self, t, account: Account, command: str, reply: Reply, context: str) -> Page:
        """The core's reply and its choices (an undo, mostly); the digest's one-click unsubscribe says what it did in full."""
        words = command.split()
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
                    return await self._invalid(request, LinkError(expired=False))
                self.mail.inbox.wake()  # mail held for this address is pending again
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
            page = await self._done(t, account, data.get("c", ""), reply, await self._context(data))
        except Exception:  # no traceback reaches the person; the log has it
            log.exception("link action failed", extra={"kind": kind})
            return self._respond(t, Page(t(N_("Something went wrong")), [t(N_("Please try again later."))], status=500))
        return self._respond(t, page)
