"""A project's files on the web endpoint: `/f/<token>`, a signed and expiring link to one file (a document, a news photo
at full size), and `/c/<community>/<project>/files/<n>[/thumb]`, what the public pages show (a public document, the
photos of a public project's news). GET only reads: the file's sniffed type, a safe name, never sniffed again."""

from __future__ import annotations

import logging
import re
import unicodedata
from urllib.parse import quote

from aiohttp import web

from bot.adapters.links.tokens import LinkError
from bot.adapters.web import WebServer
from bot.core.i18n import N_
from bot.runtime.ports import Ports
from bot.services.file_kinds import IMAGES
from mail.link_words import Page, accepted_language, render_page
from models import ProjectFile

log = logging.getLogger("relais.web")
_DIGITS = re.compile(r"[0-9]{1,9}")
_UNSAFE = re.compile(r"[^A-Za-z0-9._ -]+")


def disposition(filename: str, inline: bool) -> str:
    """Content-Disposition with the name twice (RFC 6266): plain ASCII for old clients, UTF-8 (RFC 5987) for the rest;
    neither can carry a quote, a slash or a line break."""
    ascii_name = _UNSAFE.sub("_", unicodedata.normalize("NFKD", filename).encode("ascii", "ignore").decode()).strip(" .") or "file"
    return f"{'inline' if inline else 'attachment'}; filename=\"{ascii_name[:150]}\"; filename*=UTF-8''{quote(filename[:150], safe='')}"


class FileRoutes:
    def __init__(self, ports: Ports):
        self.ports = ports
        self.server: WebServer | None = None

    def register(self, server: WebServer) -> None:
        self.server = server
        server.route("GET", "/f/{token}", self.signed)
        server.route("GET", "/c/{community}/{project}/files/{number}", self.public)
        server.route("GET", "/c/{community}/{project}/files/{number}/thumb", self.public)

    async def signed(self, request: web.Request) -> web.StreamResponse:
        """A file by its signed link: the token names one file of one community; removed or expired, it is gone."""
        tokens = self.ports.services.files.links.tokens
        try:
            act = tokens.read(request.match_info["token"]) if tokens is not None else None  # type: ignore[attr-defined]
        except LinkError as exc:
            return self._refused(request, exc.expired)
        if act is None or act.act != "file" or not _DIGITS.fullmatch(act.obj):
            return self._refused(request, False)
        use = await ProjectFile.get_or_none(id=int(act.obj)).prefetch_related("file", "project__community")
        if use is None or use.removed_at is not None or use.project.community.slug != act.community:
            return self._refused(request, False)
        return await self._send(request, use, thumb=False, public=False)

    async def public(self, request: web.Request) -> web.StreamResponse:
        """A file the public pages show, for anyone: only while its community's pages are on, its project running and
        the file public (a document its referent made public, a news item's photo)."""
        number = request.match_info["number"]
        use = await ProjectFile.get_or_none(id=int(number)).prefetch_related("file", "project__community") \
            if _DIGITS.fullmatch(number) else None
        links = self.ports.services.files.links
        if (use is None or use.removed_at is not None or use.project.community.slug != request.match_info["community"]
                or use.project.slug != request.match_info["project"]
                or not links.public(use.project.community, use.project, use.public or use.news_id is not None)):
            return await self._missing(request)
        return await self._send(request, use, thumb=request.path.endswith("/thumb"), public=True)

    async def _send(self, request: web.Request, use: ProjectFile, thumb: bool, public: bool) -> web.StreamResponse:
        row = use.file
        key = row.thumb_sha256 if thumb else row.sha256
        if not key:  # a document has no thumbnail
            return await self._missing(request)
        etag = f'"{key[:32]}"'  # the bytes never change under their hash
        headers = {"ETag": etag, "X-Content-Type-Options": "nosniff",
                   "Cache-Control": "public, max-age=3600" if public else "private, max-age=3600"}
        if etag in [m.strip() for m in request.headers.get("If-None-Match", "").split(",")]:
            return web.Response(status=304, headers=headers)
        try:
            data = await self.ports.services.files.read(key)
        except (FileNotFoundError, OSError):
            log.warning("stored file missing", extra={"file_id": row.id})
            return await self._missing(request)
        mime = "image/jpeg" if thumb else row.mime
        name = use.filename.rsplit(".", 1)[0] + "-small.jpg" if thumb else use.filename
        headers["Content-Disposition"] = disposition(name, inline=mime in IMAGES)
        headers["Content-Type"] = mime
        return web.Response(body=data, headers=headers)

    async def _missing(self, request: web.Request) -> web.StreamResponse:
        if self.server is not None and self.server.not_found is not None:
            return await self.server.not_found(request)
        raise web.HTTPNotFound()

    def _refused(self, request: web.Request, expired: bool) -> web.Response:
        t = self.ports.catalogs.get(accepted_language(request.headers.get("Accept-Language", ""), self.ports.default_locale))
        if expired:
            page = Page(t(N_("This link has expired")),
                        [t(N_("Links to a project's files stop working after a while. Ask Relais for the list again: "
                              "“documents <project>”."))], status=410)
        else:
            page = Page(t(N_("This link does not work")),
                        [t(N_("The file was removed, or the link was cut or altered on its way. Ask Relais for the list "
                              "again: “documents <project>”."))], status=404)
        return web.Response(text=render_page(t, page), content_type="text/html", status=page.status,
                            headers={"Cache-Control": "no-store"})
