"""The link endpoint's responses carry security headers (redirects and aiohttp's own error pages too); a POST acts
only with the page token of the link's own page, while the one-click unsubscribe of mail providers (a POST with no
Origin and no page token) keeps working."""

from __future__ import annotations

import aiohttp
from aiohttp import web

from bot.adapters.console import ConsoleChat
from bot.adapters.web import WebServer
from models import Account, Campaign
from models.mail import MailAddress
from tests.mail.conftest import Relais
from tests.mail.forms import button, press_on
from tests.mail.test_outbound import follower, news

URL = "https://www.helloasso.com/associations/brasserie/collectes/cuve"


async def unsubscribe_url(relais: Relais) -> str:
    await follower(relais, "Ana", "ana@example.org")
    await news(relais)
    [mail] = await relais.wait_mail(predicate=lambda m: m.rcpt_tos == ("ana@example.org",))
    return mail["List-Unsubscribe"].strip("<>")


def secured(resp: aiohttp.ClientResponse) -> None:
    csp = resp.headers.get("Content-Security-Policy", "")
    assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp, (resp.status, resp.url)
    assert resp.headers.get("X-Frame-Options") == "DENY"
    assert resp.headers.get("Referrer-Policy") == "no-referrer"
    assert resp.headers.get("X-Content-Type-Options") == "nosniff"


async def unsubscribed(address: str) -> bool:
    return bool((await MailAddress.get_or_none(address=address) or MailAddress(unsubscribed=False)).unsubscribed)


async def test_pages_carry_csp_and_refuse_framing(relais: Relais):
    """Every page says: no script, no framing, no referrer; the invalid-link page too."""
    url = await unsubscribe_url(relais)
    async with aiohttp.ClientSession() as http:
        for target in (url, relais.web_url + "/l/forged-token", relais.web_url + "/healthz"):
            async with http.get(target) as resp:
                secured(resp)


async def test_every_response_carries_the_headers_redirects_and_aiohttps_own_pages_too(relais: Relais):
    """A 302 to a campaign, aiohttp's own 404 and 405, and its 500 page are answered past any middleware: they carry
    the headers all the same."""
    await ConsoleChat(relais.app.console, "camille").exchange(f"campagne ajouter dombes-brasserie don 12k {URL}")
    ana = await Account.get(platform="console", address="ana")
    link = relais.app.services.pledges.links.url((await Campaign.get()).id, ana.person_id)
    async with aiohttp.ClientSession() as http:
        async with http.get(link, allow_redirects=False) as resp:
            assert resp.status == 302 and resp.headers["Location"] == URL
            secured(resp)
        async with http.get(relais.web_url + "/no/such/page") as resp:
            assert resp.status == 404
            secured(resp)
        async with http.post(link) as resp:  # /p/ answers GET only
            assert resp.status == 405
            secured(resp)
        async with http.put(relais.web_url + "/healthz") as resp:
            assert resp.status == 405
            secured(resp)

    async def boom(request: web.Request) -> web.Response:
        raise RuntimeError("a handler that fails")

    server = WebServer("127.0.0.1:0")
    server.route("GET", "/boom", boom)
    await server.start()
    try:
        async with aiohttp.ClientSession() as http, http.get(f"http://127.0.0.1:{server.port}/boom") as resp:
            assert resp.status == 500
            secured(resp)
    finally:
        await server.stop()


async def test_a_post_acts_only_with_its_pages_token_and_one_click_still_works(relais: Relais):
    """A scanner's POST, another site's form (foreign or `null` Origin), a POST of Relais' own origin without the
    page's token, and a page token of another link: nothing done. The mail provider's one-click POST (no Origin, RFC
    8058 body) acts; so does the page's own button."""
    url = await unsubscribe_url(relais)
    one_click = {"Content-Type": "application/x-www-form-urlencoded"}
    async with aiohttp.ClientSession() as http:
        async with http.get(url) as page:
            body = await page.text()
        action, token = button(body)
        assert url.endswith(action) and token
        account = await Account.get(platform="email", address="ana@example.org")
        other = (await relais.mail.ready()).link("unsub", account.id, r=1)  # another link of hers: get the mails again
        refused = [dict(data="List-Unsubscribe=One-Click", headers={**one_click, "Origin": "https://evil.example"}),
                   dict(data="List-Unsubscribe=One-Click", headers={**one_click, "Origin": "null"}),
                   dict(data="List-Unsubscribe=One-Click", headers={**one_click, "Origin": relais.web_url}),
                   dict(),  # a scanner posting the link
                   dict(data={"page": "forged"}, headers={"Origin": relais.web_url}),
                   dict(data={"page": token[:-2] + "xx"}, headers={"Origin": relais.web_url})]
        for kwargs in refused:
            async with http.post(url, **kwargs) as resp:
                assert resp.status == 403, kwargs
                text = await resp.text()
                assert "Rien n'a été fait" in text.replace("&#39;", "'") and f'href="{action}"' in text
                secured(resp)
        async with http.post(other, data={"page": token}, headers={"Origin": relais.web_url}) as resp:
            assert resp.status == 403  # a page token opens its own link only
        assert not await unsubscribed("ana@example.org")
        async with http.post(url, data="List-Unsubscribe=One-Click", headers=one_click) as resp:
            assert resp.status == 200
            body = await resp.text()
        assert await unsubscribed("ana@example.org")
        status, _ = await press_on(http, body, relais.web_url, "Recevoir de nouveau les courriels")  # its undo
        assert status == 200
    assert not await unsubscribed("ana@example.org")


async def test_a_page_token_is_short_lived(relais: Relais):
    """A page left open for hours: its button no longer acts; opening the link again gives a working one."""
    from datetime import timedelta

    url = await unsubscribe_url(relais)
    async with aiohttp.ClientSession() as http:
        async with http.get(url) as page:
            body = await page.text()
        relais.clock.now += timedelta(hours=3)
        status, _ = await press_on(http, body, relais.web_url)
        assert status == 403 and not await unsubscribed("ana@example.org")
        async with http.get(url) as page:
            body = await page.text()
        status, _ = await press_on(http, body, relais.web_url)
        assert status == 200 and await unsubscribed("ana@example.org")
