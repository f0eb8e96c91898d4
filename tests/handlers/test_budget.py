"""The contributive micro-budget, driven like transcripts in English and French: the facilitators open it and set its
rules (bounded), referents ask (refused above the ceiling or what is left, with the figures), the facilitators get the
request with its two answers and answer once each, approved requests make the ledger shown by `budget` and in the report."""

from __future__ import annotations

from bot.adapters.console import ConsoleChat
from models import BudgetRequest, BudgetVote, Community, Membership, Person, Role
from tests.conftest import Dialog


async def notes(app, name: str, mark: str = "🪙") -> list[str]:
    await app.delivery.drain()
    return [n for n in await ConsoleChat(app.console, name).unseen() if mark in n]


async def test_a_budget_asked_approved_and_refused_in_english(app):
    me, camille, louise, ana = (Dialog(app, n, locale="en") for n in ("me", "camille", "louise", "ana"))
    for who in (me, camille, louise, ana):
        await who.say("lang en")
    await camille.check(("request dombes-brasserie 120 € hop seedlings", "has no contributive budget: the facilitators open it"))
    await ana.check(("budget 2 000 €", "Only a facilitator of"), ("budget", "has no contributive budget"))
    await me.check(
        ("budget douze", "“douze” is not an amount"),
        ("budget 1 000 €", ("The contributive budget of Tiers-lieu de l'Usine Vivante is set.",
                            "€1,000 in all, €0 granted, €1,000 left.", "Up to €300 a request, approved by 1 facilitator.")),
        ("budget approvals 0", "Give a number of approvals between 1 and 20."),
        ("budget approvals 21", "Give a number of approvals between 1 and 20."),
        ("budget ceiling 400 €", "One request may now ask up to €400."),
    )
    await camille.check(
        ("request dombes-brasserie 450 € a new tank", "€450 is above the ceiling of one request (€400)."),
        ("request dombes-brasserie 120 €", "Say what the money paid for, after the amount."),
        ("request dombes-brasserie 120 € hop seedlings", ("Request 1 sent: €120 for Brasserie de la Dombes, hop seedlings.",
                                                          "1 facilitator decides.")),
    )
    await ana.check(("request dombes-brasserie 50 € pens", "Only the referents of Brasserie de la Dombes"))
    got = await notes(app, "me")
    assert len(got) == 1 and "Request 1 on the budget: Camille asks €120 for Brasserie de la Dombes." in got[0], got
    assert "Approve" in got[0] and "Refuse" in got[0]
    await me.check(
        ("1", ("Request 1 approved: Brasserie de la Dombes gets it.", "€1,000 in all, €120 granted, €880 left.",
               "hop seedlings")),  # the first choice of the notification: approve
        ("budget approve 1", "Request 1 is decided already (approved)."),
        ("budget approve 7", "There is no request 7."),
    )
    assert "Request 1 is approved: €120 for Brasserie de la Dombes." in (await notes(app, "camille"))[0]
    await louise.check(("request ressourcerie-creative 300 € workshop tools", "Request 2 sent"))
    await me.check(("budget refuse 2", "Request 2 refused."), ("budget refuse 2", "Request 2 is decided already (refused)."))
    assert "Request 2 is refused" in (await notes(app, "louise"))[0]
    await me.say("budget 400 €")
    await louise.check(("request ressourcerie-creative 300 € workshop tools", "€300 is more than what is left in the budget (€280)."))
    await me.check(("budget 100 €", "€120 is granted already: the budget cannot be less."))
    shown = await ana.say("budget")
    assert "€400 in all, €120 granted, €280 left." in shown and "€120 to Brasserie de la Dombes, hop seedlings" in shown
    assert "workshop" not in shown  # a refused request is not in the ledger
    report = await me.say("report")
    assert "Contributive budget: €120 granted of €400 (1 request), €280 left." in report, report


async def test_two_approvals_one_answer_each_in_french(any_app):
    app = any_app
    community = await Community.get(slug="usine-vivante")
    mehdi = await Person.get(display_name="Mehdi")
    await Membership.filter(person=mehdi, community=community).update(role=Role.FACILITATOR)
    me, camille, mehdi_chat = Dialog(app, "me"), Dialog(app, "camille"), Dialog(app, "mehdi")

    async def said(who: Dialog, line: str) -> str:
        return plain(await who.say(line))

    assert "Le budget contributif de Tiers-lieu de l'Usine Vivante est fixé." in await said(me, "budget 1 500 €")
    assert "Une demande est désormais accordée après 2 validations." in await said(me, "budget validations 2")
    assert "Une demande peut désormais aller jusqu'à 200 €." in await said(me, "budget plafond 200 €")
    assert "250 € est au-dessus du plafond d'une demande (200 €)." in await said(camille, "demande dombes-brasserie 250 € étiquettes")
    got = await said(camille, "demande dombes-brasserie 150 € étiquettes")
    assert "Demande 1 envoyée : 150 € pour Brasserie de la Dombes, étiquettes." in got and "2 facilitateur·rices décident." in got
    assert "Votre validation de la demande 1 est comptée : 1 sur 2." in await said(me, "budget approuver 1")
    assert "Vous avez déjà répondu à la demande 1." in await said(me, "budget approuver 1")
    assert "Vous avez déjà répondu à la demande 1." in await said(me, "budget refuser 1")
    assert (await BudgetRequest.get(number=1)).status == "pending"
    got = await said(mehdi_chat, "budget approuver 1")
    assert "Demande 1 validée : Brasserie de la Dombes l'obtient." in got and "1 500 € en tout, 150 € accordés, reste 1 350 €." in got
    assert await BudgetVote.filter(approve=True).count() == 2
    shown = await said(camille, "budget")
    assert "Budget contributif" in shown and "150 € pour Brasserie de la Dombes, étiquettes" in shown


def plain(text: str) -> str:
    return text.replace("\u202f", " ").replace("\u00a0", " ")
