"""The rule a POST to a signed link meets before the link acts: it carries the page token of that link's own page,
or it is RFC 8058's one-click unsubscribe as mail providers send it."""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from aiohttp import web

from bot.adapters.links.tokens import LinkTokens

log = logging.getLogger("relais.web")

FIELD = "page"  # the form field holding the page token
ONE_CLICK = "List-Unsubscribe=One-Click"


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def _origin_kind(request: web.Request, own: str) -> str:
    """How the POST names where it comes from, for the log (never the link or its token)."""
    origin = request.headers.get("Origin")
    if origin is None:
        return "none"
    if origin.lower() == "null":
        return "null"
    return "own" if origin.lower() == own else "foreign"


async def may_act(request: web.Request, tokens: LinkTokens, link_token: str, own_origin: str, one_click: bool) -> bool:
    """A GET never acts; a POST acts when it carries a valid page token bound to `link_token` (the button of the page
    the GET showed, pressed within PAGE_AGE), whatever its Origin. Without one, only the one-click unsubscribe of
    an unsubscribe link (`one_click`) acts: mail providers post `List-Unsubscribe=One-Click` from their servers,
    with no Origin; a browser form (which always sends an Origin, `null` included) cannot pass for it."""
    form = await request.post()
    if tokens.page_ok(str(form.get(FIELD, "")), link_token):
        return True
    kind = _origin_kind(request, own_origin)
    if one_click and kind == "none":
        said = form.get("List-Unsubscribe") == "One-Click" or (not form and (await request.text()).strip() == ONE_CLICK)
        if said:
            return True
    log.warning("link post refused: no valid page token", extra={"origin": kind, "path": request.path.split("/")[1]})
    return False
