"""Following a signed link as a person does: its page (a GET), then its button (a POST carrying the page's token)."""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import urlsplit

import aiohttp

FORM = re.compile(r'<form method="post" action="([^"]+)"><button[^>]*>([^<]*)</button>'
                  r'(?:<input type="hidden" name="page" value="([^"]*)">)?</form>')


def buttons(body: str) -> dict[str, tuple[str, str]]:
    """A page's buttons: label → (the path it posts to, the page token it carries)."""
    return {unescape(label): (unescape(action), unescape(page or "")) for action, label, page in FORM.findall(body)}


def button(body: str, label: str | None = None) -> tuple[str, str]:
    found = buttons(body)
    assert found, f"no button on the page: {body[:400]}"
    return found[label] if label is not None else next(iter(found.values()))


async def press_on(http: aiohttp.ClientSession, body: str, base: str, label: str | None = None) -> tuple[int, str]:
    """Press a button of a page already shown: (status, body) of the POST."""
    action, page = button(body, label)
    async with http.post(base + action, data={"page": page}, headers={"Origin": base}) as answer:
        return answer.status, await answer.text()


async def press(http: aiohttp.ClientSession, url: str, label: str | None = None) -> tuple[int, str]:
    """Open the link's page, then press its button (the one named `label`, else the first)."""
    async with http.get(url) as page:
        assert page.status == 200, (page.status, url)
        body = await page.text()
    parts = urlsplit(url)
    return await press_on(http, body, f"{parts.scheme}://{parts.netloc}", label)
