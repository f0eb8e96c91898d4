"""The public pages as a visitor reads them: each card with its project's summary, a « Comment participer » block on
every page, search results with their kind and count, one campaign percentage everywhere (one rounding rule), and a
page in the visitor's language for an address nothing answers, never aiohttp's bare `404: Not Found`."""

from __future__ import annotations

import aiohttp

from bot.adapters.console import ConsoleChat
from models import Campaign
from tests.mail.conftest import Relais
from tests.mail.test_public_pages import Html, get


async def test_cards_summaries_how_to_take_part_and_search_kinds(relais: Relais):
    base = relais.web_url + "/c/usine-vivante"
    assert "activées" in await ConsoleChat(relais.app.console, "me").exchange("pages oui")
    async with aiohttp.ClientSession() as http:
        status, _, body = await get(http, base)
        assert status == 200
        text = " ".join(Html(body).text)
        assert "Une crèche partagée par les entreprises du pôle" in text  # the Crèche's card says what it is
        block = body.split('id="participate"')[1].split("</section>")[0]
        assert "Comment participer" in block and "usine-vivante" in block  # how to join, from each way Relais is reached
        for path in ("/dombes-brasserie", "/search?q=orge"):
            status, _, page = await get(http, base + path)
            assert status == 200 and "Comment participer" in page, path
        status, _, page = await get(http, base + "/search?q=crèche")
        assert "1 résultat pour « crèche »" in " ".join(Html(page).text), page
        assert '<span class="status">projet</span>' in page


async def test_one_percentage_in_the_chat_the_page_and_the_digest(relais: Relais):
    camille = ConsoleChat(relais.app.console, "camille")
    await camille.exchange("campagne ajouter dombes-brasserie don 12k https://www.helloasso.com/brasserie")
    await Campaign.filter().update(raised=490_000)  # 4 900 € of 12 000 €: 40.8 %
    await ConsoleChat(relais.app.console, "me").exchange("pages oui")
    chat = await ConsoleChat(relais.app.console, "ana").exchange("campagne dombes-brasserie")
    assert "40\u202f%" in chat and "41\u202f%" not in chat, chat
    async with aiohttp.ClientSession() as http:
        _, _, page = await get(http, relais.web_url + "/c/usine-vivante/dombes-brasserie")
    assert "40\u202f%" in page and "41\u202f%" not in page
    from bot.services.digest import RunningCampaign

    line = RunningCampaign("dombes-brasserie", "Brasserie de la Dombes", 490_000, 1_200_000, "EUR", 0, None, False)
    assert line.percent == 40  # the digest's campaigns section


async def test_an_unknown_address_gets_a_page_in_the_visitors_language(relais: Relais):
    async with aiohttp.ClientSession() as http:
        for path in ("/nulle-part", "/c/usine-vivante", "/x/y/z"):
            status, headers, body = await get(http, relais.web_url + path, **{"Accept-Language": "fr-FR,fr;q=0.9"})
            assert status == 404 and "Page introuvable" in body and "<style>" in body and "404: Not Found" not in body, path
            assert headers["X-Frame-Options"] == "DENY"
        status, _, body = await get(http, relais.web_url + "/nulle-part", **{"Accept-Language": "en-GB,en;q=0.8"})
        assert status == 404 and "Page not found" in body and 'lang="en"' in body
        status, _, body = await get(http, relais.web_url + "/nulle-part?lang=fr", **{"Accept-Language": "en"})
        assert "Page introuvable" in body
