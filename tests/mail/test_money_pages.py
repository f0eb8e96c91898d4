"""Money on the public pages, over real HTTP: a project's use of funds (raised / spent / left, every expense) and its
loan's repayments after the campaign closed, the community's contributive budget with its ledger (approved requests
only), in both languages; who recorded or asked never shown."""

from __future__ import annotations

import aiohttp

from bot.adapters.console import ConsoleChat
from models import Community
from tests.mail.conftest import Relais
from tests.mail.test_public_pages import Html, get

URL = "https://www.helloasso.com/associations/usine-vivante/collectes/pret-brasserie"


def plain(text: str) -> str:
    return " ".join(" ".join(Html(text).text).replace("\u202f", " ").replace("\u00a0", " ").split())


async def test_use_of_funds_repayments_and_the_budget_on_the_pages(relais: Relais):
    base = relais.web_url + "/c/usine-vivante"
    me, camille, louise = (ConsoleChat(relais.app.console, n) for n in ("me", "camille", "louise"))
    for line in (f"campagne ajouter dombes-brasserie prêt 20 000 € {URL} 2 % sur 2 ans", "campagne avance dombes-brasserie 12 000 € 40 confirmer",
                 "dépense dombes-brasserie 1 200 € cuve inox 3 novembre", "dépense dombes-brasserie 300 € étiquettes 10 novembre",
                 "campagne clore dombes-brasserie",
                 "campagne échéancier dombes-brasserie 500 € par mois pendant 24 mois à partir du 1er décembre",
                 "remboursé dombes-brasserie"):
        assert "⚠️" not in await camille.exchange(line), line
    await me.exchange("budget 2 000 €")
    await camille.exchange("demande dombes-brasserie 150 € plants de houblon")
    await louise.exchange("demande ressourcerie-creative 80 € une scie sauteuse")
    await me.exchange("budget approuver 1")
    await me.exchange("budget refuser 2")
    await me.exchange("pages oui")
    async with aiohttp.ClientSession() as http:
        status, _, body = await get(http, base + "/dombes-brasserie")
        assert status == 200
        text = plain(body)
        for shown in ("Utilisation des fonds", "Collecté 12 000 €", "Dépensé 1 500 €", "Reste 10 500 €", "1 200 € — cuve inox",
                      "300 € — étiquettes", "1 / 24 échéances versées", "500 € par mois"):
            assert shown in text, (shown, text)
        assert text.index("étiquettes") < text.index("cuve inox")  # the newest first
        _, _, english = await get(http, base + "/dombes-brasserie?lang=en")
        text = plain(english)
        for shown in ("Use of funds", "Raised €12,000", "Spent €1,500", "Left €10,500", "1 / 24 instalments repaid", "€500 a month"):
            assert shown in text, (shown, text)
        _, _, body = await get(http, base)
        text = plain(body)
        for shown in ("Budget contributif", "En tout 2 000 €", "Accordé 150 €", "Reste 1 850 €", "Brasserie de la Dombes · plants de houblon"):
            assert shown in text, (shown, text)
        section = body[body.index('id="budget"'):].split("</section>")[0]
        assert "scie sauteuse" not in section and "Camille" not in section  # a refused request; who asked
        _, _, body = await get(http, base + "/ressourcerie-creative")
        assert "Utilisation des fonds" not in plain(body)  # no campaign, no expense: no section
    await Community.filter(slug="usine-vivante").update(pages=False)
