"""A project's files over real HTTP (the web endpoint of a served Relais): a document's signed link serves it with its
sniffed type, a safe name and nosniff, refuses a forged token and expires; the public address answers only once the
pages are on and the document public; the project page shows the news thumbnails and the public documents; a news
photo mailed to a follower is its thumbnail inline, linked to the full size."""

from __future__ import annotations

import io
import re
from datetime import timedelta
from email.message import EmailMessage

import aiohttp
from PIL import Image

from bot.adapters.console import ConsoleChat
from models import ProjectFile
from tests.mail.conftest import RELAIS, Relais
from tests.mail.test_photos_mail import email_for
from tests.test_documents import PDF
from tests.test_files import photo


async def get(http: aiohttp.ClientSession, url: str, method: str = "GET", **headers) -> tuple[int, dict, bytes]:
    async with http.request(method, url, headers=headers, allow_redirects=False) as answer:
        return answer.status, dict(answer.headers), await answer.read()


async def test_a_documents_signed_link_serves_it_safely_then_expires_and_public_ones_need_the_pages(relais: Relais):
    console = relais.app.console
    camille, ana = ConsoleChat(console, "camille"), ConsoleChat(console, "ana")
    path = relais.tmp / "plans cuverie\u00e9.pdf"
    path.write_bytes(PDF)
    await camille.exchange(f'document dombes-brasserie Plans --file "{path}"')
    listed = await ana.exchange("documents dombes-brasserie")
    url = re.search(r"<(http[^>]+/f/[^>]+)>", listed)[1]
    public = f"{relais.web_url}/c/usine-vivante/dombes-brasserie/files/{(await ProjectFile.get()).id}"
    async with aiohttp.ClientSession() as http:
        status, headers, body = await get(http, url)
        assert status == 200 and body == PDF and headers["Content-Type"] == "application/pdf"
        assert headers["Content-Disposition"] == "attachment; filename=\"plans cuveriee.pdf\"; filename*=UTF-8''plans%20cuverie%C3%A9.pdf"
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert (await get(http, url, "POST"))[0] == 405  # GET only reads; nothing else is answered
        forged = url[:-3] + ("AAA" if not url.endswith("AAA") else "BBB")
        assert (await get(http, forged))[0] == 404
        assert (await get(http, public))[0] == 404  # pages off: no public address
        relais.clock.now += timedelta(days=31)
        status, _, body = await get(http, url, **{"Accept-Language": "fr"})
        assert status == 410 and "Ce lien a expiré" in body.decode()
        relais.clock.now -= timedelta(days=31)
        await ConsoleChat(console, "me").exchange("pages on")
        assert (await get(http, public))[0] == 404  # pages on, but the document is for members only
        await camille.exchange("document public dombes-brasserie 1")
        assert f"<{public}>" in await ana.exchange("documents dombes-brasserie")
        status, headers, body = await get(http, public)
        assert status == 200 and body == PDF and headers["Cache-Control"].startswith("public")
        await camille.exchange("document retirer dombes-brasserie 1 oui")
        assert (await get(http, public))[0] == 404 and (await get(http, url))[0] == 404


async def test_the_public_page_shows_news_thumbnails_and_public_documents(relais: Relais):
    console = relais.app.console
    camille = ConsoleChat(console, "camille")
    await ConsoleChat(console, "me").exchange("pages on")
    (relais.tmp / "cuves.jpg").write_bytes(photo(1600, 1200))
    (relais.tmp / "plans.pdf").write_bytes(PDF)
    await camille.exchange(f"nouvelle dombes-brasserie Les cuves sont là --photo {relais.tmp / 'cuves.jpg'}")
    await camille.exchange(f"document dombes-brasserie Plans de la cuverie --file {relais.tmp / 'plans.pdf'}")
    await camille.exchange(f"document dombes-brasserie Brouillon --file {relais.tmp / 'plans.pdf'}")
    await camille.exchange("document public dombes-brasserie 1")
    photo_use = await ProjectFile.get(news_id__not_isnull=True)
    base = f"{relais.web_url}/c/usine-vivante/dombes-brasserie"
    async with aiohttp.ClientSession() as http:
        status, _, page = await get(http, base)
        html = page.decode()
        assert status == 200 and f'<img src="{base}/files/{photo_use.id}/thumb"' in html
        assert f'<a href="{base}/files/{photo_use.id}">' in html
        assert "Plans de la cuverie" in html and "Brouillon" not in html  # only what its referent made public
        status, headers, thumb = await get(http, f"{base}/files/{photo_use.id}/thumb")
        assert status == 200 and headers["Content-Type"] == "image/jpeg" and headers["Content-Disposition"].startswith("inline")
        with Image.open(io.BytesIO(thumb)) as image:
            assert max(image.size) == 480
        status, headers, full = await get(http, f"{base}/files/{photo_use.id}")
        assert status == 200 and len(full) > len(thumb)


async def test_a_mailed_news_photo_is_a_thumbnail_linked_to_its_full_size(relais: Relais):
    await email_for("camille", "camille@example.org")
    await email_for("ana", "ana@example.org")
    mail = EmailMessage()
    mail["From"], mail["To"], mail["Subject"], mail["Message-ID"] = "Camille <camille@example.org>", RELAIS, "Brasserie", "<p2@example.org>"
    mail.set_content("nouvelle dombes-brasserie La salle de brassage\n")
    mail.add_attachment(photo(2400, 1600), maintype="image", subtype="jpeg", filename="salle.jpg")
    await relais.send(mail.as_bytes(), mail_from="camille@example.org")
    await relais.settle()
    [note] = await relais.wait_mail(predicate=lambda m: "ana@example.org" in m.rcpt_tos)
    [image] = [part for part in note.message.walk() if part.get_content_maintype() == "image"]
    with Image.open(io.BytesIO(image.get_payload(decode=True))) as shown:
        assert max(shown.size) == 480  # the thumbnail in the mail
    html = next(part for part in note.message.walk() if part.get_content_type() == "text/html").get_content()
    link = re.search(r'<a href="([^"]+)"><img src="cid:', html)[1]
    assert link.startswith(f"{relais.web_url}/f/")  # pages off: a signed link to the full size
    async with aiohttp.ClientSession() as http:
        status, headers, full = await get(http, link)
    with Image.open(io.BytesIO(full)) as big:
        assert status == 200 and headers["Content-Type"] == "image/jpeg" and max(big.size) == 2048
