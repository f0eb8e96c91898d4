"""Money counted where it is given, driven like transcripts in English and French: a campaign linked to its platform
and unlinked, expenses recorded (strict amounts, dates, bad input answered and nothing stored), raised / spent / left
under the campaign, and the backers' summary of new expenses, one a week at most, under a moving clock."""

from __future__ import annotations

from datetime import timedelta

from bot.adapters.console import ConsoleChat
from models import CampaignLink, Expense
from scheduler.money import MoneyJob
from tests.conftest import Dialog

URL = "https://www.helloasso.com/associations/usine-vivante/collectes/cuve-inox"
OC = "https://opencollective.com/brasserie-dombes"


async def test_linking_a_campaign_in_english(talk):
    camille, ana = talk("camille", locale="en"), talk("ana", locale="en")
    await camille.say("lang en")
    await ana.say("lang en")
    await camille.check(
        (f"campaign link dombes-brasserie opencollective {OC}", "Brasserie de la Dombes has no running campaign."),
        (f"campaign add dombes-brasserie donation 10 000 € {URL}", "Campaign started"),
        (f"campaign link dombes-brasserie helloasso {URL}", "HelloAsso is not set up on this Relais"),
        ("campaign link dombes-brasserie paypal https://paypal.me/x", "Say which platform: helloasso or opencollective."),
        ("campaign link dombes-brasserie opencollective https://example.org/x", "“https://example.org/x” is not an Open Collective page"),
        ("campaign link dombes-brasserie", "Usage"),
        (f"campaign link dombes-brasserie opencollective {OC}",
         "The campaign of Brasserie de la Dombes is linked to Open Collective: its amount and backers are read there within "
         "a few minutes, then every 30 minutes."),
        ("campaign dombes-brasserie", "The amount will be read on Open Collective within a few minutes."),
        ("campaign progress dombes-brasserie 4 000 €", "The amount of Brasserie de la Dombes is read on its platform: "
                                                      "/campaign unlink dombes-brasserie to type it instead."),
    )
    await ana.check((f"campaign link dombes-brasserie opencollective {OC}", "Only the referents of Brasserie de la Dombes"))
    assert await CampaignLink.filter(ref="brasserie-dombes").count() == 1
    await camille.check(
        ("campaign unlink dombes-brasserie", "The campaign of Brasserie de la Dombes is no longer read on its platform."),
        ("campaign unlink dombes-brasserie", "The campaign of Brasserie de la Dombes is not linked to a platform."),
        ("campaign progress dombes-brasserie 4 000 €", "Recorded for Brasserie de la Dombes."),
    )
    assert not await CampaignLink.exists()


async def test_linking_a_campaign_in_french(talk):
    camille = talk("camille")
    await camille.check(
        (f"campagne ajouter dombes-brasserie don 10 000 € {URL}", "Campagne lancée"),
        (f"campagne lier dombes-brasserie helloasso {URL}", "HelloAsso n'est pas configuré sur ce Relais"),
        ("campagne lier dombes-brasserie opencollective https://example.org/x", "n'est pas une page Open Collective"),
        ("campagne lier dombes-brasserie helloasso https://www.helloasso.com/x", "n'est pas un formulaire HelloAsso"),
        (f"campagne lier dombes-brasserie opencollective {OC}", "La campagne de Brasserie de la Dombes est reliée à Open Collective"),
        ("campagne dombes-brasserie", "Le montant sera lu sur Open Collective d'ici quelques minutes."),
        ("campagne délier dombes-brasserie", "La campagne de Brasserie de la Dombes n'est plus lue sur sa plateforme."),
    )


async def test_expenses_in_english_with_raised_spent_left(talk):
    camille, louise = talk("camille", locale="en"), talk("louise", locale="en")
    await camille.say("lang en")
    await louise.say("lang en")
    await louise.check(("expense ressourcerie-creative 50 € glue", "Ressourcerie créative has no campaign"))
    await camille.check(
        (f"campaign add dombes-brasserie donation 10 000 € {URL}", "Campaign started"),
        ("campaign progress dombes-brasserie 4 000 € 30", "Recorded"),
        ("expense dombes-brasserie 1 200 € stainless tank 3 november",
         ("Expense recorded for Brasserie de la Dombes: €1,200, stainless tank (3 Nov 2026).",
          "Raised €4,000, spent €1,200, left €2,800.", "weekly summary")),
        ("expense dombes-brasserie 4800 30 bags of malt", "€4,800, 30 bags of malt"),  # strict: `4800 30` is no amount
        ("expense dombes-brasserie douze sacs", "“douze” is not an amount"),
        ("expense dombes-brasserie 50 €", "Say what the money paid for, after the amount."),
        ("expense dombes-brasserie 50 € labels 25 december", "The date 2026-12-25 is in the future"),
        ("expense dombes-brasserie", "Usage"),
    )
    await louise.check(("expense dombes-brasserie 10 € pens", "Only the referents of Brasserie de la Dombes"))
    assert await Expense.all().count() == 2
    shown = await camille.say("campaign dombes-brasserie")
    assert "Use of funds — Raised €4,000, spent €6,000, left −€2,000." in shown
    assert "3 Nov 2026: €1,200, stainless tank" in shown and "30 bags of malt" in shown


async def test_expenses_in_french(talk):
    camille = talk("camille")
    await camille.check(
        (f"campagne ajouter dombes-brasserie don 10 000 € {URL}", "Campagne lancée"),
        ("campagne avance dombes-brasserie 4 000 € 30", "Brasserie de la Dombes"),
        ("dépense dombes-brasserie 1 200 € cuve inox 3 novembre", ("Dépense notée pour Brasserie de la Dombes", "cuve inox",
                                                                    "Collecté 4\u202f000\u00a0€, dépensé 1\u202f200\u00a0€, reste 2\u202f800\u00a0€.")),
        ("dépense dombes-brasserie douze sacs", "n'est pas un montant"),
        ("dépense dombes-brasserie 50 €", "Dites ce que l'argent a payé, après le montant."),
        ("campagne dombes-brasserie", ("Utilisation des fonds", "3 nov. 2026\u202f: 1\u202f200\u00a0€, cuve inox")),
    )


async def test_backers_hear_of_new_expenses_once_a_week_at_most(any_app, clock):
    app = any_app
    camille, ana = Dialog(app, "camille", locale="en"), Dialog(app, "ana", locale="en")
    await camille.say("lang en")
    await ana.say("lang en")
    await camille.say(f"campaign add dombes-brasserie donation 10 000 € {URL}")
    await ana.say("pledge dombes-brasserie 50 €")  # a backer
    job = MoneyJob(app.services)
    inbox = ConsoleChat(app.console, "ana")

    async def notes() -> list[str]:
        await app.delivery.drain()
        return [n for n in await inbox.unseen() if "🧾" in n]

    assert await job.tick() and await notes() == []
    await camille.say("expense dombes-brasserie 1 200 € stainless tank")
    await camille.say("expense dombes-brasserie 300 € labels")
    await job.tick()
    got = await notes()
    assert len(got) == 1 and "Brasserie de la Dombes: 2 new expenses." in got[0] and "labels" in got[0]
    await camille.say("expense dombes-brasserie 80 € caps")
    clock.now += timedelta(days=6, hours=23)
    await job.tick()
    assert await notes() == []  # a week has not passed since the last summary
    clock.now += timedelta(hours=1)
    await job.tick()
    got = await notes()
    assert len(got) == 1 and "1 new expense." in got[0] and "caps" in got[0] and "labels" not in got[0]
    await job.tick()
    assert await notes() == []
