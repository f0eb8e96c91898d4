"""Events and results where people read them: the community's public page shows the coming events and the closed polls
with their results (a ranked poll's rounds and tie-break, a date poll's grid under public names) but never a secret or
hidden one; the public search finds an event; the digest has a section of coming events with signed "I'm coming"
links that answer, and a section of the week's results."""

from __future__ import annotations

from datetime import date
from html import unescape

import aiohttp

from bot.adapters.console import ConsoleChat
from bot.services import demo
from bot.services.digest import Digest, Recipient, Week
from bot.services.digest_events import ComingEvents, PollResults
from mail.digest import DigestRenderer, digest_links
from models import Account, Community, Event, EventAnswer, Role
from tests.mail.conftest import Relais
from tests.mail.forms import press


async def vote_and_close(relais: Relais, spec: str, ballots: dict[str, str], number: int) -> None:
    me = ConsoleChat(relais.app.console, "me")
    await me.exchange(spec)
    for who, ballot in ballots.items():
        await ConsoleChat(relais.app.console, who).exchange(f"voter {number} {ballot}")
    await me.exchange(f"sondage clore {number}")


async def test_the_page_shows_events_and_closed_polls_with_their_results(relais: Relais):
    me = ConsoleChat(relais.app.console, "me")
    await me.exchange("pages oui")
    await me.exchange('événement "Atelier réparation" 12 décembre 14h lieu Ressourcerie')
    ranked = {"me": "1 2", "camille": "1 3", "ana": "2 1", "jules": "3 2", "louise": "4 2"}
    await vote_and_close(relais, 'sondage "Quel nom ?" "Astre" "Brume" "Comète" "Dune" classement', ranked, 1)
    await vote_and_close(relais, 'sondage-date "Journée chantier" "12 décembre" "13 décembre"', {"ana": "1 oui, 2 non"}, 2)
    await vote_and_close(relais, 'sondage "Question cachée ?" "Oui" "Non" caché', {"ana": "1"}, 3)
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{relais.web_url}/c/usine-vivante") as answer:
            page = unescape(await answer.text())
        async with http.get(f"{relais.web_url}/c/usine-vivante/search", params={"q": "réparation"}) as answer:
            found = unescape(await answer.text())
    assert "Événements à venir" in page and "Atelier réparation" in page and "/c/usine-vivante/events.ics" in page
    assert "Sondages clos et leurs résultats" in page
    assert "Tour 1\u202f: Dune éliminée\u202f; égalité avec Brume, Comète" in page and "Départage (la règle de pyrankvote)" in page
    assert "🏆 <b>Brume</b>" in page
    assert "Journée chantier" in page and "<td>Ana</td>" in page and "Question cachée" not in page
    assert "Atelier réparation" in found


async def test_the_digest_has_coming_events_and_the_weeks_results(relais: Relais):
    person = await relais.person_with_email("Jean", "jean@example.org", role=Role.OBSERVER)
    account = await Account.get(person=person, platform="email")
    community = await Community.get(slug=demo.SLUG)
    await ConsoleChat(relais.app.console, "me").exchange('événement "Atelier réparation" 2 décembre 14h lieu Ressourcerie places 8')
    await vote_and_close(relais, 'sondage "Quel nom ?" "Astre" "Brume" "Comète" "Dune" classement',
                         {"me": "1 2", "camille": "1 3", "ana": "2 1", "jules": "3 2", "louise": "4 2"}, 1)
    event = await Event.get(kind="event")
    now = relais.app.clock()
    week = Week(community, "2026-W48", now.replace(day=now.day - 7), now.replace(hour=23), now.date(), date(2026, 11, 14),
                date(2026, 11, 21))
    recipient = Recipient(person.id, "Jean", "fr", account.address, account_id=account.id)
    sections = []
    for provider in (PollResults(), ComingEvents()):
        section = provider.section(await provider.prepare(week, {}), recipient)
        assert section is not None and section.fresh
        sections.append(section)
    digest = Digest(recipient, community.slug, community.name, week.key, sections, start=week.first_day, end=week.last_day)
    links = digest_links(await relais.mail.ready(), digest)
    _, text, html = DigestRenderer(relais.app.services.catalogs).render(digest, links)
    assert "RÉSULTATS DES SONDAGES DE LA SEMAINE" in text and "Tour 1\u202f: Dune éliminée" in text and "Brume" in text
    assert "ÉVÉNEMENTS À VENIR" in text and "Atelier réparation" in text and "0 vient / 8 places" in text
    assert links.coming(event.id) in text and links.coming(event.id) in html
    async with aiohttp.ClientSession() as http:
        async with http.get(links.coming(event.id)) as page:  # the page says what the link does, in words
            said = unescape(await page.text())
        assert "Vous venez à Atelier réparation\u202f?" in said and "mercredi 2 décembre 2026 14:00 — Ressourcerie" in said
        _, body = await press(http, links.coming(event.id))
    assert "Noté" in unescape(body)
    assert await EventAnswer.filter(event_id=event.id, person_id=person.id, status="coming").exists()
