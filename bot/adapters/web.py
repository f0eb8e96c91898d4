"""Relais' one HTTP endpoint (signed links in mails, and whatever else registers a route): aiohttp, with the
security headers every page gets."""

from __future__ import annotations

import logging
from typing import Awaitable, Callable

from aiohttp import web

log = logging.getLogger("relais.web")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
# Pages have no script and are never framed; forms post only to Relais itself.
HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
                               "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


def split_listen(listen: str) -> tuple[str, int]:
    """`host:port` (port 0 = any free port), `[::1]:8080` for IPv6."""
    host, _, port = listen.rpartition(":")
    return host.strip("[]") or "127.0.0.1", int(port)


class ListenError(RuntimeError):
    """A port Relais must listen on is taken: the message names the setting to change."""


async def _secure(request: web.Request, response: web.StreamResponse) -> None:
    """Every response as it is sent: pages, redirects, aiohttp's own 404 and 405, and its error pages (which a
    middleware never sees: they are raised past it)."""
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)


class WebServer:
    def __init__(self, listen: str, setting: str = "RELAIS_WEB_LISTEN"):
        self.host, self.port = split_listen(listen)
        self.setting = setting
        self.not_found: Handler | None = None  # the page of an address nothing answers (the public pages set it)
        self.app = web.Application(middlewares=[self._missing])
        self.app.on_response_prepare.append(_secure)
        self.app.router.add_get("/healthz", self._health)
        self._runner: web.AppRunner | None = None

    def route(self, method: str, path: str, handler: Handler) -> None:
        self.app.router.add_route(method, path, handler)

    async def start(self) -> None:
        self._runner = web.AppRunner(self.app, access_log=None)  # URLs hold tokens: no access log
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        try:
            await site.start()
        except OSError as exc:
            await self._runner.cleanup()
            self._runner = None
            raise ListenError(f"cannot listen on {self.host}:{self.port} ({exc.strerror or exc}); "
                              f"set {self.setting} to a free host:port (or empty to turn it off)") from None
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        log.info("web endpoint listening", extra={"host": self.host, "port": self.port})

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @web.middleware
    async def _missing(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """An address no route answers gets a page in the visitor's language rather than aiohttp's bare 404."""
        try:
            return await handler(request)
        except web.HTTPNotFound:
            if self.not_found is None or request.method not in ("GET", "HEAD"):
                raise
            return await self.not_found(request)

    async def _health(self, request: web.Request) -> web.Response:
        return web.Response(text="ok")
