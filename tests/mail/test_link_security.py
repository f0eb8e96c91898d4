"""The link endpoint's pages carry security headers, and a POST from another site's page is refused, while the
one-click unsubscribe of mail clients (a POST with no Origin) keeps working."""

from __future__ import annotations

import aiohttp

from tests.mail.conftest import Relais
from tests.mail.test_outbound import follower, news


async def unsubscribe_url(relais: Relais) -> str:
    await follower(relais, "Ana", "ana@example.org")
    await news(relais)
    [mail] = await relais.wait_mail(predicate=lambda m: m.rcpt_tos == ("ana@example.org",))
    return mail["List-Unsubscribe"].strip("<>")


async def test_pages_carry_csp_and_refuse_framing(relais: Relais):
    """Every page says: no script, no framing, no referrer; the invalid-link page too."""
    url = await unsubscribe_url(relais)
    async with aiohttp.ClientSession() as http:
        for target in (url, relais.web_url + "/l/forged-token", relais.web_url + "/healthz"):
            async with http.get(target) as resp:
                csp = resp.headers.get("Content-Security-Policy", "")
                assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp, target
                assert resp.headers.get("X-Frame-Options") == "DENY"
                assert resp.headers.get("Referrer-Policy") == "no-referrer"
                assert resp.headers.get("X-Content-Type-Options") == "nosniff"


async def test_a_post_from_a_foreign_origin_is_refused_and_one_click_still_works(relais: Relais):
    """A form on another site cannot act for the person; the mail client's one-click POST (no Origin) acts."""
    url = await unsubscribe_url(relais)
    async with aiohttp.ClientSession() as http:
        async with http.post(url, data="List-Unsubscribe=One-Click", headers={"Origin": "https://evil.example"}) as resp:
            assert resp.status == 403
        from models.mail import MailAddress

        assert not (await MailAddress.get_or_none(address="ana@example.org") or MailAddress(unsubscribed=False)).unsubscribed
        async with http.post(url, data="List-Unsubscribe=One-Click",
                             headers={"Content-Type": "application/x-www-form-urlencoded"}) as resp:
            assert resp.status == 200
        async with http.post(url, headers={"Origin": relais.web_url}) as resp:  # the page's own button
            assert resp.status == 200
    assert (await MailAddress.get(address="ana@example.org")).unsubscribed
