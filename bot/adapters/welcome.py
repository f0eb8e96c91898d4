"""The web endpoint's welcome: `/` lists the communities that chose to be in the directory (each with its place, cause,
members, projects and how to join), and `/i/<token>` is a member's invitation, signed for them and their invitation:
it says who invites to what and how to join from each platform with the invitation's code, and counts the visit."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Callable
from urllib.parse import quote

from aiohttp import web
from jinja2 import Environment, FileSystemLoader, select_autoescape

from bot.adapters.links.tokens import LinkError
from bot.adapters.pages import Ways
from bot.adapters.web import WebServer
from bot.core.i18n import normalize_locale
from bot.runtime.ports import Ports
from bot.services.pages import public_name
from mail.link_words import accepted_language
from models import ChatBinding, Community, Person, Project

log = logging.getLogger("relais.pages")
TEMPLATES = Path(__file__).resolve().parent / "templates"
OTHER = {"fr": "en", "en": "fr"}


class Welcome:
    def __init__(self, ports: Ports, public_url: str, ways: Callable[[], Ways] = Ways):
        self.ports = ports
        self.public_url = public_url.rstrip("/")
        self.ways = ways
        self.env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]),
                               trim_blocks=True, lstrip_blocks=True, auto_reload=False)
        self.env.globals["quote"] = quote

    def register(self, server: WebServer) -> None:
        server.route("GET", "/", self.directory)
        server.route("GET", "/i/{token}", self.invitation)

    def _t(self, request: web.Request):
        asked = normalize_locale(request.query.get("lang", ""), "")
        locale = asked or accepted_language(request.headers.get("Accept-Language", ""), self.ports.default_locale)
        return self.ports.catalogs.get(locale)

    def _html(self, name: str, t, status: int = 200, **values) -> web.Response:
        body = self.env.get_template(f"pages/{name}.html").render(t=t, tn=t.n, lang=t.locale, other=OTHER.get(t.locale, "fr"),
                                                                    base=self.public_url, ways=self.ways(), **values)
        return web.Response(text=body, status=status, content_type="text/html",
                            headers={"Cache-Control": "no-store", "Vary": "Accept-Language"})

    async def directory(self, request: web.Request) -> web.Response:
        """The listed communities (none listed: the page says so)."""
        t = self._t(request)
        listed = await self.ports.services.directory.listed()
        rooms = await _matrix_rooms([c.slug for c in listed])
        return self._html("directory", t, communities=listed, rooms=rooms)

    async def invitation(self, request: web.Request) -> web.Response:
        """A member's invitation: who invites, to what, and how to join with its code; a visit is counted."""
        t = self._t(request)
        service = self.ports.services.invitations
        try:
            act = service.links.tokens.read(request.match_info["token"]) if service.links.tokens else None  # type: ignore[attr-defined]
        except LinkError:  # forged, cut, or past its year
            act = None
        if act is None or act.act != "invite":
            return self._html("invite", t, status=404, invitation=None)
        found = await service.by_code(act.obj)
        community = await Community.get_or_none(id=found.community_id) if found is not None else None
        if found is None or community is None or found.person_id != act.who or community.slug != act.community:
            return self._html("invite", t, status=404, invitation=None)
        await service.visited(found)
        project = await Project.get_or_none(id=found.project_id) if found.project_id else None
        inviter = await Person.get_or_none(id=found.person_id)
        profile = await self.ports.services.directory.profile(community)
        rooms = (await _matrix_rooms([community.slug])).get(community.slug, [])
        log.info("invitation opened", extra={"community": community.slug})
        return self._html("invite", t, invitation=found, community=community, project=project, profile=profile, rooms=rooms,
                          inviter=public_name(inviter.display_name if inviter else ""))


async def _matrix_rooms(slugs: list[str]) -> dict[str, list[str]]:
    """The Matrix rooms bound to each community (a way to join it)."""
    if not slugs:
        return {}
    found: dict[str, list[str]] = {}
    for slug, room in await ChatBinding.filter(platform="matrix", community__slug__in=slugs).values_list("community__slug", "chat_id"):
        found.setdefault(str(slug), []).append(str(room))
    return found
