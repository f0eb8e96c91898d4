"""Public pages and feeds over real HTTP (the link endpoint of a served Relais): off by default (404), turned on
by a facilitator; parsed back as HTML, Atom (RFC 4287's required elements) and iCalendar; what must never appear
checked; cached with ETag / Last-Modified; the security headers of the link pages."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import datetime
from html.parser import HTMLParser

import aiohttp
from icalendar import Calendar

from bot.adapters.console import ConsoleChat
from models import Account, ChatBinding, Community, Person, Project, Promise, Role
from tests.mail.conftest import Relais

ATOM = "{http://www.w3.org/2005/Atom}"


class Html(HTMLParser):
    def __init__(self, text: str):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)

    def has(self, tag: str) -> bool:
        return any(t == tag for t, _ in self.tags)

    def links(self) -> list[str]:
        return [a.get("href", "") for t, a in self.tags if t == "a"]


async def get(http, url: str, **headers):
    async with http.get(url, headers=headers, allow_redirects=False) as answer:
        return answer.status, answer.headers.copy(), await answer.text()


async def test_pages_are_off_by_default_then_on_with_projects_news_meetings_and_polls(relais: Relais):
    base = relais.web_url + "/c/usine-vivante"
    me = ConsoleChat(relais.app.console, "me")
    # What must never appear: an address, an account handle, a secret poll, a promise by person.
    jean = await relais.person_with_email("Jean Secret", "jean.secret@example.org")
    await Account.create(person=jean, platform="matrix", address="@jean.handle:example.org")
    await me.exchange('sondage "Question publique ?" "Oui" "Non"')
    await me.exchange('sondage "Question secrète ?" "Oui" "Non" secret')
    await me.exchange("réunion fixer 15 janvier 19h Salle des fêtes")
    await ConsoleChat(relais.app.console, "camille").exchange(
        "campagne ajouter dombes-brasserie don 12k https://www.helloasso.com/brasserie")
    await ConsoleChat(relais.app.console, "ana").exchange("voter 1 1")
    await ConsoleChat(relais.app.console, "ana").exchange("soutenir dombes-brasserie 77")
    assert await Promise.exists()
    await ChatBinding.create(platform="matrix", chat_id="!room:example.org", community=await Community.get(slug="usine-vivante"),
                             bound_by_id=jean.id)
    async with aiohttp.ClientSession() as http:
        status, _, body = await get(http, base)
        assert status == 404 and "Page introuvable" in body
        answer = await me.exchange("pages oui")
        assert "Les pages publiques de Tiers-lieu de l'Usine Vivante sont activées" in answer and "/c/usine-vivante" in answer
        status, headers, body = await get(http, base)
        assert status == 200 and headers["Content-Type"].startswith("text/html")
        assert "frame-ancestors 'none'" in headers["Content-Security-Policy"] and headers["X-Frame-Options"] == "DENY"
        page = Html(body)
        assert all(page.has(tag) for tag in ("header", "main", "footer", "nav", "h1", "h2"))
        assert not page.has("script")
        text = " ".join(page.text)
        for shown in ("Brasserie de la Dombes", "Ressourcerie créative", "Question publique", "Salle des fêtes", "Projets"):
            assert shown in text, shown
        for never in ("@example.org", "jean.secret", "@jean.handle", "Question secrète", "Promis"):
            assert never not in body, never
        assert "77" not in text  # ana's pledge (the page's links carry the server's port, which may hold a 77)
        assert f"{base}/dombes-brasserie?lang=fr" in page.links()
        # The other language, on demand.
        _, _, english = await get(http, base + "?lang=en")
        assert "Projects" in english and 'lang="en"' in english
        # The cache answers 304 to a reader who has the page already.
        status, again, _ = await get(http, base, **{"If-None-Match": headers["ETag"]})
        assert status == 304 and again["ETag"] == headers["ETag"]
        status, _, _ = await get(http, base, **{"If-Modified-Since": headers["Last-Modified"]})
        assert status == 304

        status, _, body = await get(http, base + "/dombes-brasserie")
        project = Html(body)
        assert status == 200 and "Brasserie de la Dombes" in " ".join(project.text)
        links = project.links()
        assert "mailto:relais@relais.test?subject=follow%20dombes-brasserie&body=follow%20dombes-brasserie" in links
        assert "https://matrix.to/#/%21room%3Aexample.org" in links and "https://www.helloasso.com/brasserie" in links
        assert "jean.secret@example.org" not in body
        status, _, _ = await get(http, base + "/no-such-project")
        assert status == 404

        status, headers, feed = await get(http, base + "/feed.atom")
        assert status == 200 and headers["Content-Type"].startswith("application/atom+xml")
        root = ET.fromstring(feed.encode())
        assert root.tag == ATOM + "feed"
        for required in ("id", "title", "updated", "author"):
            assert root.find(ATOM + required) is not None, required
        entries = root.findall(ATOM + "entry")
        assert entries
        for entry in entries:
            for required in ("id", "title", "updated", "link", "content"):
                assert entry.find(ATOM + required) is not None, required
            datetime.fromisoformat(entry.find(ATOM + "updated").text)
        _, _, project_feed = await get(http, base + "/dombes-brasserie/feed.atom")
        titles = [e.find(ATOM + "title").text for e in ET.fromstring(project_feed.encode()).findall(ATOM + "entry")]
        assert titles and all(t.startswith("Brasserie de la Dombes") for t in titles)

        status, _, found = await get(http, base + "/search?q=brasser")  # the memory's search, public items only
        hits = Html(found)
        assert status == 200 and f"{base}/dombes-brasserie?lang=fr" in hits.links() and "Question secrète" not in found
        _, _, secret = await get(http, base + "/search?q=secrète")
        assert "Question secrète" not in secret and "Rien trouvé" in secret

        status, headers, ics = await get(http, base + "/meetings.ics")
        assert status == 200 and headers["Content-Type"].startswith("text/calendar")
        [event] = Calendar.from_ical(ics).walk("VEVENT")
        assert str(event["location"]) == "Salle des fêtes"

        await me.exchange("pages non")
        for path in ("", "/dombes-brasserie", "/feed.atom", "/meetings.ics", "/dombes-brasserie/feed.atom", "/search?q=cuve"):
            status, _, _ = await get(http, base + path)  # at once, cached copies included
            assert status == 404, path
    assert await Person.filter(display_name="Jean Secret").exists()


async def test_the_digest_links_to_the_pages_when_the_community_has_them(relais: Relais):
    from datetime import date

    from bot.services.digest import Recipient, Week, assemble
    from mail.digest import DigestRenderer, digest_links

    person = await relais.person_with_email("Jean", "jean@example.org")
    account = await Account.get(person=person, platform="email")
    community = await Community.get(slug="usine-vivante")
    now = relais.app.clock()

    async def render() -> tuple[str, str]:
        week = Week(community, "2026-W48", now.replace(day=now.day - 14), now, now.date(), date(2026, 11, 7), date(2026, 11, 20))
        prepared = await relais.app.services.digest.prepare(week)
        digest = assemble(prepared, week, Recipient(person.id, "Jean", "fr", account.address, account_id=account.id))
        _, text, html = DigestRenderer(relais.app.services.catalogs).render(digest, digest_links(await relais.mail.ready(), digest))
        return text, html

    page = relais.web_url + "/c/usine-vivante"
    text, html = await render()
    assert page not in text and page not in html  # pages off: no link to a page that answers "not found"
    await Community.filter(id=community.id).update(pages=True)
    community.pages = True
    text, html = await render()
    assert f"Lire sur le web\u202f: {page}" in text and f'href="{page}"' in html
    assert f'href="{page}/dombes-brasserie"' in html


async def test_pages_show_names_never_accounts_and_published_questions(relais: Relais):
    """A person known only by an account (made by `relais community grant`) is « un·e référent·e » on the pages, and a
    question published with its answer shows there under the name its asker chose."""
    base = relais.web_url + "/c/usine-vivante"
    me = ConsoleChat(relais.app.console, "me")
    await me.exchange("pages oui")
    community = await Community.get(slug="usine-vivante")
    for handle in ("email:ref@example.org", "matrix:@mxref:example.org", "telegram:424242"):
        person = await relais.app.services.people.grant(community, handle, Role.REFERENT)
        await (await Project.get(slug="conciergerie-rurale")).referents.add(person)
    named = await relais.app.services.people.grant(community, "telegram:777", Role.REFERENT, name="Zoé Martin")
    await (await Project.get(slug="conciergerie-rurale")).referents.add(named)
    ana, camille = ConsoleChat(relais.app.console, "ana"), ConsoleChat(relais.app.console, "camille")
    await ana.exchange("question dombes-brasserie La bière est-elle bio ?")
    await camille.exchange("réponse 1 Oui, l'orge vient du plateau.")
    await camille.exchange("publier 1")
    await ana.exchange("accord 1 anonyme")
    async with aiohttp.ClientSession() as http:
        status, _, page = await get(http, f"{base}/conciergerie-rurale")
        assert status == 200
        for handle in ("ref@example.org", "@mxref:example.org", "424242", "email:", "matrix:", "telegram:"):
            assert handle not in page, handle
        assert "Zoé Martin" in page and page.count("un·e référent·e") == 3
        status, _, page = await get(http, f"{base}/dombes-brasserie")
        assert "La bière est-elle bio ?" in page and "Oui, l&#39;orge vient du plateau." in page and "un·e membre" in page
        assert "Ana" not in "".join(Html(page).text)
        status, _, page = await get(http, f"{base}/search?q=%00bi%C3%A8re%07")  # control characters cleaned, not a crash
        assert status == 200 and "La bière est-elle bio ?" in page
