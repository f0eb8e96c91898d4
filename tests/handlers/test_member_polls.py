"""Members' polls: off by default (a member's poll refused), turned on by a facilitator, who is told of each one and can close
or hide it; a ballot may carry a reason, shown with the results (never on a secret poll); a closed poll gets its recorded
decision, whose review date brings it back to the agenda — in French and English, on the console and the fake platform."""

from __future__ import annotations

from datetime import timedelta

from bot.adapters.console import ConsoleChat
from bot.core.i18n import french_typography as fr
from models import PollHidden, PollOutcome, SearchDoc, VotePoll, VoteReason
from tests.conftest import Dialog


async def notes(app, name: str) -> list[str]:
    await app.delivery.drain()
    return await ConsoleChat(app.console, name).unseen()


async def test_members_open_polls_only_where_the_community_lets_them(talk, app):
    ana, me = talk("ana"), talk("me")
    await ana.check(('sondage "Quel jour pour la fête ?" "Samedi" "Dimanche"', fr(
        "⚠️  Seul·e un·e référent·e de Tiers-lieu de l'Usine Vivante peut ouvrir un sondage ; ses facilitateurs peuvent le permettre "
        "aussi aux membres (/sondages membres oui).")))
    assert not await VotePoll.exists()
    await me.check(("sondages membres", "Seuls les référent·es et les facilitateurs ouvrent des sondages dans Tiers-lieu de l'Usine Vivante."),
                   ("sondages membres oui", [fr("Les membres peuvent désormais ouvrir des sondages dans Tiers-lieu de l'Usine Vivante : "
                                                "vous êtes prévenu·e de chacun"), "1) Annuler"]))
    await ana.check(('sondage "Quel jour pour la fête ?" "Samedi" "Dimanche"', ["Sondage #1 de Tiers-lieu de l'Usine Vivante",
                                                                                 "1) Samedi"]))
    [told] = [n for n in await notes(app, "me") if "a ouvert le sondage" in n]
    assert fr("Ana a ouvert le sondage #1 : ") + "Quel jour pour la fête ?" in told
    assert "Le clore" in told and "Le masquer" in told and "/sondages membres non" in told
    await talk("jules").check(("sondage masquer 1", "Seul·e un·e facilitateur·rice"))
    await me.check(("sondage masquer 1", [fr("Le sondage #1 est clos et masqué : ni liste, ni page, ni lettre, ni recherche ne le montre."),
                                         "1) Annuler"]),
                   ("sondage masquer 1", "Le sondage #1 est déjà masqué."))
    poll = await VotePoll.get(number=1)
    assert poll.closed_at is not None and await PollHidden.filter(poll=poll).exists()
    assert not await SearchDoc.filter(kind="poll", item_id=poll.id).exists()
    await talk("jules").check(("résultats 1", "Le sondage #1 a été masqué par les facilitateurs."),
                              ("sondages", "Aucun sondage ouvert"))
    await me.check(("sondage démasquer 1", "Le sondage #1 est de nouveau visible (clos)."))
    assert await SearchDoc.filter(kind="poll", item_id=poll.id).exists()
    await me.say("sondages membres non")
    await ana.check(('sondage "Encore ?" "Oui" "Non"', "Seul·e un·e référent·e"))


async def test_a_member_closes_their_own_poll(app):
    await Dialog(app, "me").say("sondages membres oui")
    ana = Dialog(app, "ana")
    await ana.say('sondage "Quel jour ?" "Samedi" "Dimanche"')
    await Dialog(app, "jules").check(("sondage clore 1", "la personne qui a créé le sondage"))
    await ana.check(("sondage clore 1", "Résultats du sondage #1"))


async def test_reasons_are_shown_with_the_results_but_never_kept_for_a_secret_poll(talk, app):
    me, ana, jules = talk("me"), talk("ana"), talk("jules")
    await me.say('sondage "Quel nom ?" "Relais" "Passerelle"')
    await jules.check(("voter 1 2 parce que c'est plus parlant", ["Vote enregistré sur le sondage #1", "Passerelle",
                                                                  fr("Votre raison, montrée avec les résultats : « c'est plus parlant »")]))
    await ana.check(("voter 1 1 car c'est court", "« c'est court »"), ("voter 1 1", "Bulletin remplacé"))  # voting again without: gone
    await jules.check(("résultats 1", [fr("Pourquoi ils ont voté ainsi :"), "« c'est plus parlant » — Jules (Passerelle)"]))
    assert await VoteReason.all().count() == 1
    await jules.say("voter 1 effacer")
    assert not await VoteReason.exists()
    await me.say('sondage "Qui préside ?" "Ana" "Mehdi" secret')
    got = await jules.say("voter 2 1 parce que c'est secret")
    assert "secret" not in got.replace("Sondage secret", "") and "raison" not in got
    assert not await VoteReason.exists()  # a secret ballot's reason would say what it was: never kept


async def test_in_english_a_reason_an_outcome_and_its_review_in_the_agenda(talk, app, clock):
    me, jules = talk("me"), talk("jules")
    for d in (me, jules):
        await d.say("lang en")
    await me.say('poll "Which room?" "Crest" "Die"')
    await jules.check(("vote 1 1 because it is closer", ["Vote recorded on poll #1", "Your reason, shown with the results: « it is closer »"]))
    await me.check(("outcome 1 We rent the room in Crest", "Poll #1 is still open: close it before recording what it decided."),
                   ("poll close 1", ["Results of poll #1", "Why they voted so:", "« it is closer » — Jules (Crest)"]))
    await jules.check(("outcome 1 Crest it is", "Only whoever created the poll and the facilitators can record what it decided."))
    await me.check(("outcome 1 We rent the room in Crest, review 15 december", ["📌 Decision of poll #1 recorded: We rent the room in Crest",
                                                                               "It comes back in the agenda on Tuesday, December 15, 2026"]),
                   ("results 1", "📌 Decision: We rent the room in Crest (to review on Tuesday, December 15, 2026)"),
                   ("outcome 1 We rent it review yesterday", "is in the past"))
    assert (await PollOutcome.get()).review_on.isoformat() == "2026-12-15"
    assert "Decisions to review" not in await me.say("agenda")
    clock.now += timedelta(days=25)
    await me.check(("agenda", ["Decisions to review:", "#1 Which room? — We rent the room in Crest", "Reviewed: poll #1"]),
                   ("outcome reviewed 1", "The decision of poll #1 is reviewed."),
                   ("outcome reviewed 1", "Poll #1 has no decision waiting for a review."))
    assert "Decisions to review" not in await me.say("agenda")
