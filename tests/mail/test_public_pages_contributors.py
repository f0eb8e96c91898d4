"""Members' contributions on the web endpoint, over real HTTP and parsed back: the public pages show the open ideas (proposers
by their public name only) and the help wanted; `/` lists the communities that chose the directory; a member's invitation
link (`/i/<token>`) says who invites to what and how to join with its code, and counts the visit."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import aiohttp

from bot.adapters.console import ConsoleChat
from models import Invitation, Person
from tests.mail.conftest import Relais


class Html(HTMLParser):
    """The page's text, and each element with a class: (tag, class) → its text."""

    def __init__(self, text: str):
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.links: list[str] = []
        self.classes: dict[str, list[str]] = {}
        self._open: list[str] = []  # the class of each open li and p ("" without one)
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        if tag == "a":
            self.links.append(values.get("href", ""))
        if tag in ("li", "p"):
            self._open.append(values.get("class") or "")
            if values.get("class"):
                self.classes.setdefault(values["class"], []).append("")

    def handle_endtag(self, tag):
        if tag in ("li", "p") and self._open:
            self._open.pop()

    def handle_data(self, data):
        self.text.append(data)
        for name in self._open:
            if name:
                self.classes[name][-1] += " " + data


async def get(http, url: str) -> tuple[int, str]:
    async with http.get(url, allow_redirects=False) as answer:
        return answer.status, await answer.text()


def words(body: str) -> str:
    """A page's text as read (`l'Usine`, not `l&#39;Usine`), on one line."""
    return " ".join(" ".join(Html(body).text).split())


async def test_the_public_pages_show_ideas_and_help_wanted(relais: Relais):
    base = relais.web_url + "/c/usine-vivante"
    me, camille, ana = (ConsoleChat(relais.app.console, n) for n in ("me", "camille", "ana"))
    await ana.exchange('idée "Un four à pain" Un four partagé au village')
    hidden = await relais.person_with_email("x", "x.handle@example.org", console=True)
    await Person.filter(id=hidden.id).update(display_name="x.handle@example.org")  # a name that is an address: never printed
    await ConsoleChat(relais.app.console, "x").exchange('idée "Une grainothèque"')
    await ConsoleChat(relais.app.console, "jules").exchange("+1 1")
    await camille.exchange("besoin dombes-brasserie un·e menuisier·e pour le 12 décembre")
    await me.exchange("pages oui")
    async with aiohttp.ClientSession() as http:
        status, body = await get(http, base)
        assert status == 200
        page = Html(body)
        ideas = [" ".join(text.split()) for text in page.classes.get("card idea", [])]
        assert ideas == ["💡 Un four à pain Un four partagé au village 1 appui · proposée par Ana",
                         "💡 Une grainothèque 0 appui · proposée par un·e membre"]
        needs = [" ".join(text.split()) for text in page.classes.get("need", [])]
        assert needs[0].startswith("un·e menuisier·e (pour le 12 déc. 2026) Brasserie de la Dombes · besoin 1")
        assert any("Crèche inter-entreprises cherche quelqu'un pour le porter" in n for n in needs)
        assert "x.handle" not in body and "@example.org" not in body
        status, body = await get(http, base + "/dombes-brasserie")
        project = Html(body)
        assert status == 200 and [" ".join(t.split()) for t in project.classes.get("need", [])] == ["un·e menuisier·e (pour le 12 déc. 2026)"]
        status, body = await get(http, base + "/search?q=menuisier")
        assert status == 200 and "un·e menuisier·e" in words(body)
        status, body = await get(http, base + "/search?q=grainotheque")
        assert "Une grainothèque" in words(body)
        _, english = await get(http, base + "?lang=en")
        assert "Ideas of the community" in english and "Help wanted" in english and "1 support · proposed by Ana" in words(english)


async def test_the_home_lists_the_communities_in_the_directory(relais: Relais):
    me = ConsoleChat(relais.app.console, "me")
    async with aiohttp.ClientSession() as http:
        status, body = await get(http, relais.web_url + "/")
        assert status == 200 and "Aucune communauté n'est encore inscrite ici." in words(body)
        await me.exchange("communauté lieu Crest, Drôme")
        await me.exchange("communauté cause alimentation, réemploi")
        await me.exchange("annuaire oui")
        status, body = await get(http, relais.web_url + "/")
        page = Html(body)
        assert status == 200 and "Les communautés de ce Relais" in " ".join(page.text)
        [card] = page.classes["card community"]
        card = " ".join(card.split())
        assert card.startswith("Tiers-lieu de l'Usine Vivante 📍 Crest, Drôme alimentation, réemploi 6 membres · 4 projets")
        assert "join usine-vivante" in card  # how to join, from any chat
        assert not any("/c/usine-vivante" in link for link in page.links)  # pages off: no link to them
        await me.exchange("pages oui")
        _, body = await get(http, relais.web_url + "/?lang=en")
        assert "Communities of this Relais" in words(body) and any("/c/usine-vivante" in link for link in Html(body).links)
        await me.exchange("annuaire non")
        _, body = await get(http, relais.web_url + "/")
        assert "Tiers-lieu" not in words(body)


async def test_an_invitation_link_says_how_to_join_and_counts_its_visits(relais: Relais):
    answer = await ConsoleChat(relais.app.console, "ana").exchange("inviter dombes-brasserie")
    link = re.search(r"(http://\S+/i/invite\.\S+)", answer).group(1)
    invitation = await Invitation.get()
    async with aiohttp.ClientSession() as http:
        status, body = await get(http, link)
        page = Html(body)
        text = " ".join(" ".join(page.text).split())
        assert status == 200
        assert "Ana vous invite à rejoindre Brasserie de la Dombes" in text and "un projet de Tiers-lieu de l'Usine Vivante" in text
        assert f"join usine-vivante {invitation.code}" in text
        assert any(link.startswith("mailto:relais@relais.test?subject=join%20usine-vivante%20") for link in page.links)
        assert (await Invitation.get()).visits == 1
        forged = link[:-3] + ("aaa" if not link.endswith("aaa") else "bbb")
        status, body = await get(http, forged)
        assert status == 404 and "Cette invitation ne fonctionne pas" in words(body)
        assert (await Invitation.get()).visits == 1
    assert "Ouverte 1 fois" in await ConsoleChat(relais.app.console, "ana").exchange("inviter dombes-brasserie")
