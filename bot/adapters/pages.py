"""The community's public pages and feeds on the link endpoint: server-rendered HTML (no script), Atom feeds of
its news, iCalendar feeds of its events and meetings. Only for a community that turned them on (`pages on`): any other
address is a 404. Rendered pages are kept a few seconds and answered with ETag / Last-Modified."""

from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import format_datetime, parsedate_to_datetime
from pathlib import Path
from typing import Callable
from urllib.parse import quote
from zoneinfo import ZoneInfo

from aiohttp import web
from jinja2 import Environment, FileSystemLoader, select_autoescape

from bot.adapters.web import WebServer
from bot.core.i18n import normalize_locale
from bot.core.numbers import clean
from bot.runtime.ports import Ports
from bot.services import events_text
from bot.services.ical import Organizer, calendar
from bot.services.pages import NEWS_SHOWN, CommunityView, PublicPages
from bot.services.pages_polls import feed_events
from bot.services.pledges import money
from bot.services.votes_results import TIE_RULE, rounds_lines
from bot.services.votes_text import labels as poll_labels
from mail.link_words import accepted_language
from models import Project

log = logging.getLogger("relais.pages")
TEMPLATES = Path(__file__).resolve().parent / "templates"
CACHE_SECONDS = 10.0  # how stale a public page may be; the news of the last seconds shows at the next render
OTHER = {"fr": "en", "en": "fr"}


@dataclass
class Rendered:
    body: bytes
    content_type: str
    etag: str
    modified: datetime
    expires: float
    status: int = 200


@dataclass
class Ways:
    """How to follow a project from each platform, as Relais is configured: the Telegram bot's username (its deep
    links), Relais' mail address."""

    telegram: str = ""
    email: str = ""


class Pages:
    def __init__(self, ports: Ports, public_url: str, ways: Callable[[], Ways] = Ways):
        self.ports = ports
        self.public_url = public_url.rstrip("/")
        self.ways = ways
        self.data = PublicPages(ports.clock, ports.services.search.find, ports.services.votes.tally, ports.services.votes.named_ballots,
                                self._labels)
        self.env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html", "atom"]),
                               trim_blocks=True, lstrip_blocks=True, auto_reload=False)
        self.env.globals["money"] = money
        self.env.globals["quote"] = quote
        self.env.globals["rounds_lines"] = rounds_lines  # a ranked poll's rounds in words, as in chat and mail
        self.env.globals["tie_rule"] = TIE_RULE
        self._cache: dict[tuple, Rendered] = {}
        self._communities: dict[int, tuple[str, str]] = {}  # id → (locale, time zone), for the polls' date labels

    def register(self, server: WebServer) -> None:
        server.not_found = self._missing  # any address nothing answers: the styled 404
        server.route("GET", "/c/{community}", self.community)
        server.route("GET", "/c/{community}/feed.atom", self.community_feed)
        server.route("GET", "/c/{community}/meetings.ics", self.meetings)  # kept answering for its old subscribers
        server.route("GET", "/c/{community}/events.ics", self.events)
        server.route("GET", "/c/{community}/search", self.search)
        server.route("GET", "/c/{community}/{project}", self.project)
        server.route("GET", "/c/{community}/{project}/feed.atom", self.project_feed)

    # -- plumbing -----------------------------------------------------------------------------------------

    def _locale(self, request: web.Request, default: str) -> str:
        asked = request.query.get("lang", "")
        return normalize_locale(asked, "") or normalize_locale(default, "fr")

    async def _serve(self, request: web.Request, key: tuple, make) -> web.StreamResponse:
        found_community = await self.data.community(request.match_info["community"])
        if found_community is None:
            return self._not_found(request)  # pages off take effect at once, whatever is cached
        self._communities[found_community.id] = (found_community.locale, found_community.timezone)
        now = time.monotonic()
        found = self._cache.get(key)
        if found is None or found.expires <= now:
            made = await make()
            if made is None:
                return self._not_found(request)
            body, content_type, modified = made
            etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
            if len(self._cache) > 2000:
                self._cache.clear()
            found = self._cache[key] = Rendered(body, content_type, etag, modified.replace(microsecond=0), now + CACHE_SECONDS)
        headers = {"ETag": found.etag, "Last-Modified": format_datetime(found.modified.astimezone(timezone.utc), usegmt=True),
                   "Cache-Control": f"public, max-age={int(CACHE_SECONDS)}", "Vary": "Accept-Language"}
        if _not_modified(request, found):
            return web.Response(status=304, headers=headers)
        return web.Response(body=found.body, status=found.status, headers={**headers, "Content-Type": found.content_type})

    def _not_found(self, request: web.Request) -> web.Response:
        """The 404 page, in the visitor's language (`?lang=`, else what the browser asks for)."""
        asked = normalize_locale(request.query.get("lang", ""), "")
        locale = asked or accepted_language(request.headers.get("Accept-Language", ""), self.ports.default_locale)
        t = self.ports.catalogs.get(locale)
        html = self.env.get_template("pages/missing.html").render(t=t, lang=t.locale, other=OTHER.get(t.locale, "fr"),
                                                                  base=self.public_url)
        return web.Response(text=html, status=404, content_type="text/html", headers={"Cache-Control": "no-store"})

    async def _missing(self, request: web.Request) -> web.Response:
        return self._not_found(request)

    def _page(self, name: str, locale: str, view: CommunityView, **values) -> bytes:
        t = self.ports.catalogs.get(locale)
        tz = ZoneInfo(view.timezone)
        return self.env.get_template(f"pages/{name}.html").render(
            t=t, tn=t.n, lang=locale, other=OTHER.get(locale, "fr"), view=view, tz=tz, base=self.public_url,
            ways=self.ways(), **values).encode()

    # -- routes -------------------------------------------------------------------------------------------

    async def community(self, request: web.Request) -> web.StreamResponse:
        slug = request.match_info["community"]

        async def make():
            found = await self.data.community(slug)
            if found is None:
                return None
            view = await self.data.view(found)
            locale = self._locale(request, found.locale)
            news = await self.data.news(found, limit=10)
            return self._page("community", locale, view, news=news), "text/html; charset=utf-8", view.updated
        return await self._serve(request, ("c", slug, request.query.get("lang", "")), make)

    async def project(self, request: web.Request) -> web.StreamResponse:
        slug, project = request.match_info["community"], request.match_info["project"]

        async def make():
            found = await self.data.community(slug)
            if found is None:
                return None
            view = await self.data.view(found)
            shown = next((p for p in view.projects if p.slug == project), None)
            if shown is None:
                return None
            shown.news = await self.data.news(found, shown.id)
            shown.answered = await self.data.answered(shown.id)
            shown.funds = await self.data.funds(shown.id)  # the use of funds, a loan's repayments
            locale = self._locale(request, found.locale)
            # The news items' photos (thumbnails linking to the full size) and the documents its referents made public.
            photos = await self.ports.services.files.thumbnails([n.id for n in shown.news])
            project_row = await Project.get(id=shown.id)
            documents = await self.ports.services.documents.listed(project_row, found, public_only=True)
            return (self._page("project", locale, view, project=shown, photos=photos, documents=documents), "text/html; charset=utf-8",
                    max([shown.updated or view.updated] + [n.at for n in shown.news] + [a.at for a in shown.answered]
                        + [d.at for d in documents]))
        return await self._serve(request, ("p", slug, project, request.query.get("lang", "")), make)

    async def community_feed(self, request: web.Request) -> web.StreamResponse:
        return await self._feed(request, request.match_info["community"], None)

    async def project_feed(self, request: web.Request) -> web.StreamResponse:
        return await self._feed(request, request.match_info["community"], request.match_info["project"])

    async def _feed(self, request: web.Request, slug: str, project: str | None) -> web.StreamResponse:
        async def make():
            found = await self.data.community(slug)
            if found is None:
                return None
            view = await self.data.view(found)
            shown = None
            if project is not None:
                shown = next((p for p in view.projects if p.slug == project), None)
                if shown is None:
                    return None
            news = await self.data.news(found, shown.id if shown else None, limit=NEWS_SHOWN)
            t = self.ports.catalogs.get(found.locale)
            updated = max([n.at for n in news] + [view.updated])
            body = self.env.get_template("pages/feed.atom").render(
                t=t, view=view, project=shown, news=news, base=self.public_url, updated=updated).encode()
            return body, "application/atom+xml; charset=utf-8", updated
        return await self._serve(request, ("f", slug, project or ""), make)

    async def meetings(self, request: web.Request) -> web.StreamResponse:
        return await self._calendar(request, meetings_only=True)

    async def events(self, request: web.Request) -> web.StreamResponse:
        return await self._calendar(request, meetings_only=False)

    async def _calendar(self, request: web.Request, meetings_only: bool) -> web.StreamResponse:
        """The community's calendar feed (no METHOD: calendars subscribe to it), every TZID with its VTIMEZONE."""
        slug = request.match_info["community"]

        async def make():
            found = await self.data.community(slug)
            if found is None:
                return None
            t = self.ports.catalogs.get(found.locale)
            items = await feed_events(found, meetings_only)
            name = t("General meetings of {community}", community=found.name) if meetings_only else \
                t("Events of {community}", community=found.name)
            domain = self.ports.services.events.domain
            body = calendar([(e, events_text.name(t, e, found.name)) for e in items], found.timezone, name,
                            Organizer(f"relais@{domain}", found.name), url=f"{self.public_url}/c/{slug}")
            changed = max([e.updated_at or e.created_at for e in items] + [found.created_at])
            return body, "text/calendar; charset=utf-8", changed
        return await self._serve(request, ("m" if meetings_only else "e", slug), make)

    def _labels(self, poll) -> list[str]:
        """A poll's options as the pages show them: a date poll's dates written out in the community's language."""
        community = self._communities.get(poll.community_id)
        if community is None or poll.kind != "date":
            return [str(o) for o in poll.options]
        return list(poll_labels(self.ports.catalogs.get(community[0]), poll, ZoneInfo(community[1])))

    async def search(self, request: web.Request) -> web.StreamResponse:
        slug = request.match_info["community"]
        words = clean(request.query.get("q", "")).strip()[:200]  # what a visitor types: no control character goes on

        async def make():
            found = await self.data.community(slug)
            if found is None:
                return None
            view = await self.data.view(found)
            locale = self._locale(request, found.locale)
            hits = await self.data.search(found, words) if words else []
            return self._page("search", locale, view, words=words, hits=hits), "text/html; charset=utf-8", view.updated
        return await self._serve(request, ("s", slug, words, request.query.get("lang", "")), make)


def _not_modified(request: web.Request, found: Rendered) -> bool:
    match = request.headers.get("If-None-Match")
    if match is not None:
        return found.etag in [m.strip() for m in match.split(",")] or match.strip() == "*"
    since = request.headers.get("If-Modified-Since")
    if since:
        try:
            return found.modified.astimezone(timezone.utc) <= parsedate_to_datetime(since)
        except (TypeError, ValueError):
            return False
    return False

