"""Members talk back: a reply to what Relais posted reaches the project's referents, their answer comes back; questions,
offers, publishing with consent, moderation — as transcripts in French and English, on the console and the fake platform."""

from __future__ import annotations

from datetime import timedelta

from bot.adapters.console import ConsoleChat
from bot.core.i18n import french_typography as fr
from models import Account, Comment, CommentKind, Consent, OutboxMessage, PendingQuestion, SearchDoc
from tests.conftest import Dialog, fake_platform

CIGALE = "Je connais quelqu'un à la Cigale, je peux vous mettre en contact"


async def notes(app, name: str) -> list[str]:
    """What a console account received (the outbox delivered first)."""
    await app.delivery.drain()
    return await ConsoleChat(app.console, name).unseen()


async def test_a_follower_replies_to_news_and_the_referent_answers_back(app):
    """Ana replies to the brewery's news in her own words: Camille gets it quoted with the news; her answer comes back
    (on the console, where she wrote from: the fake platform's own test checks the same there)."""
    camille, ana = Dialog(app, "camille"), Dialog(app, "ana")
    await camille.say("nouvelle dombes-brasserie Le brassin n°2 est en cuve")
    [news] = await notes(app, "ana")
    assert "Le brassin n°2 est en cuve" in news
    assert fr("↩️ Une question, une idée, de l'aide à proposer ? /répondre <votre texte> : les référent·es le reçoivent.") in news
    await ana.check((f"répondre {CIGALE}", [fr("✉️ Transmis aux référent·es de Brasserie de la Dombes (message n° 1)."),
                                            "Leur réponse vous reviendra ici.", "1) Annuler"]))
    [told] = await notes(app, "camille")
    assert fr("💬 Brasserie de la Dombes — commentaire de Ana (#1)") in told
    assert f"« {CIGALE} »" in told and fr("À propos de la nouvelle : « Le brassin n°2 est en cuve »") in told
    assert fr("↩️ Pour répondre : /réponse 1 <votre réponse>") in told
    await camille.check(("répondre Merci Ana, écris-moi à camille@example.org", [fr("✅ Votre réponse à Ana (n° 1) est en route."),
                                                                                 "1) Publier"]))
    [back] = await notes(app, "ana")
    assert fr("Brasserie de la Dombes — réponse de Camille") in back and "Merci Ana, écris-moi" in back
    assert fr(f"Votre message n° 1 : « {CIGALE} »") in back
    comment = await Comment.get()
    assert (comment.kind, comment.about_kind, comment.answer) == (CommentKind.COMMENT, "news", "Merci Ana, écris-moi à camille@example.org")


async def test_in_english_a_question_and_an_offer_and_where_referents_see_them(talk, app):
    ana, camille = talk("ana"), talk("camille")
    await ana.say("lang en")
    await camille.say("lang en")
    await ana.check(
        ("question dombes-brasserie When does the brewery open?", ["✉️ Sent to the referents of Brasserie de la Dombes (message #1).",
                                                                   "Their answer will come back here."]),
        ("help-out dombes-brasserie I can drive the van on Saturdays", "message #2"),
        ("help-out creche-interentreprises", "✉️ Sent to the facilitators of Tiers-lieu de l'Usine Vivante (message #3)."),
    )
    await camille.check(
        ("project dombes-brasserie", ["Waiting for your answer", "#1 question — Ana, just now: When does the brewery open?",
                                      "#2 offer of help — Ana, just now: I can drive the van on Saturdays", "2) Answer #1", "3) Answer #2"]),
        ("questions", ["#1 question", "#2 offer of help"]),
    )
    offers = [n for n in await notes(app, "me") if "propose son aide" in n]  # the facilitator reads French
    assert len(offers) == 1 and "Crèche inter-entreprises — Ana propose son aide (#3)" in offers[0]  # no referent: the facilitators
    assert "I can help." in offers[0]
    await talk("jules").check(("project dombes-brasserie", [fr("↩️ Une question, de l'aide à proposer ? /question dombes-brasserie <votre texte>"),
                                                            "2) Je peux aider"]))


async def test_answering_by_question_hiding_withdrawing_and_who_may(talk, app):
    ana, camille, jules = talk("ana"), talk("camille"), talk("jules")
    await ana.say("question dombes-brasserie Faut-il réserver pour la visite ?")
    await ana.say("question dombes-brasserie Et pour les groupes ?")
    await jules.check(("réponse 1 Non", fr("Seul·es les référent·es de son projet et les facilitateurs peuvent faire cela avec le message n° 1.")))
    await camille.check(
        ("réponse 1", [fr("Votre réponse à Ana (n° 1 : « "), "Faut-il réserver pour la visite ?", "/annuler"]),
        ("Oui, la veille au plus tard", fr("Votre réponse à Ana (n° 1) est en route.")),
        ("masquer 2", "Le message n° 2 est masqué."),
        ("réponse 2 ok", fr("Le message n° 2 est masqué : affichez-le d'abord (/démasquer 2).")),
        ("démasquer 2", "Le message n° 2 est de nouveau affiché."),
        ("réponse 99 ok", "Il n'y a pas de message n° 99"),
        ("réponse abc ok", fr("« abc » n'est pas un numéro de message")),
    )
    await ana.say("question dombes-brasserie Finalement rien")
    await ana.check(("retirer 3", "Le message n° 3 est retiré."), ("retirer 1", fr("Le message n° 1 a déjà une réponse : il reste.")))
    assert await Comment.filter(number=3).count() == 0
    assert await OutboxMessage.filter(key__startswith="comment:").exclude(status="pending").count() + \
        await OutboxMessage.filter(key__startswith="comment:", status="pending").count() == 2  # #3's notification went too


async def test_publishing_needs_the_referent_and_the_askers_consent(app):
    ana, camille = Dialog(app, "ana"), Dialog(app, "camille")
    await ana.say("question dombes-brasserie La bière sera-t-elle sans gluten ?")
    await camille.check(("publier 1", fr("Répondez au message n° 1 avant de le publier.")))
    await camille.say("réponse 1 Une cuvée sans gluten arrive en mars.")
    await notes(app, "ana")
    await camille.check(("publier 1", fr("J'ai demandé à Ana si on peut le publier, et sous quel nom")),
                        ("publier 1", "J'attends encore l'accord de Ana"))
    [asked] = await notes(app, "ana")
    assert fr("Camille aimerait publier votre question n° 1 et sa réponse sur Brasserie de la Dombes") in asked
    assert "Oui, avec mon nom" in asked and "Oui, anonymement" in asked
    assert not await SearchDoc.filter(kind="qa").exists()  # nothing public before the consent
    await ana.check(("2", fr("Merci : votre question n° 1 et sa réponse sont publiées (anonymement).")))
    jules_notes = await notes(app, "mehdi")  # mehdi follows the brewery
    assert any(fr("Question d'un·e membre :") in n and "Une cuvée sans gluten" in n for n in jules_notes)
    assert await SearchDoc.filter(kind="qa").count() == 1
    await Dialog(app, "jules").check(("chercher gluten", ["La bière sera-t-elle sans gluten", "question répondue"]),
                              ("projet dombes-brasserie", ["Questions répondues", "Une cuvée sans gluten arrive en mars."]))
    await camille.check(("dépublier 1", "Le message n° 1 n'est plus publié."))
    assert not await SearchDoc.filter(kind="qa").exists()


async def test_a_refused_consent_keeps_it_private(talk, app):
    ana, camille = talk("ana"), talk("camille")
    await ana.say("question dombes-brasserie Question privée ?")
    await camille.say("réponse 1 Réponse privée.")
    await camille.say("publier 1")
    await ana.check(("accord 1 non", "reste entre vous et les référent·es"))
    await camille.check(("publier 1", fr("Son auteur·e n'a pas accepté de publier le message n° 1 : il reste entre vous.")))
    await talk("jules").check(("accord 1 nom", fr("Seul·e l'auteur·e du message n° 1 peut le dire.")))
    assert (await Comment.get()).published_at is None


async def test_limits_and_blocking(talk, app, caplog):
    ana, me = talk("ana"), talk("me")
    for n in range(20):
        await ana.say(f"question dombes-brasserie Question {n}")
    await ana.check(("question dombes-brasserie Encore une", fr("Vous avez écrit 20 messages dans la dernière heure : attendez un peu")))
    assert await Comment.all().count() == 20
    await me.check(("bloquer jules", "Les messages de Jules ne sont plus transmis aux référent·es."),
                   ("bloquer jules", fr("Jules est déjà bloqué·e.")))
    before = await OutboxMessage.all().count()
    with caplog.at_level("INFO", logger="relais.comments"):
        await talk("jules").check(("question conciergerie-rurale Hello", fr("Votre message n'a pas été transmis")))
    assert await OutboxMessage.all().count() == before and await Comment.all().count() == 20
    assert any(r.message == "comment of a blocked person dropped" for r in caplog.records)
    assert "Hello" not in caplog.text  # never a message body in the log
    await me.check(("1", "Les messages de Jules sont de nouveau transmis."))  # Undo
    await talk("jules").check(("question conciergerie-rurale Hello", "Transmis aux référent·es de Conciergerie rurale"))
    await ana.check(("question dombes-brasserie " + "x" * 4001, "trop long"))


async def test_words_that_are_no_command_get_a_useful_answer(talk, app):
    """A how-to question gets the commands that do it; a text naming a project can go to its referents; a number
    with no such choice says so; anything else a friendly reply with somewhere to go."""
    ana = talk("ana")
    got = await ana.say("comment je fais pour publier une nouvelle ?")
    assert "/nouvelle <projet> <texte>" in got and "je viens" not in got and "Commande inconnue" not in got
    await ana.check(
        ("9", "Il n'y a pas de choix 9 ici."),
        ("Je voudrais aider la brasserie avec mon camion", [fr("Voulez-vous que j'envoie ceci aux référent·es de Brasserie de la Dombes, comme une question ?"),
                                                            "1) L'envoyer aux référent·es de Brasserie de la Dombes"]),
        ("1", fr("Transmis aux référent·es de Brasserie de la Dombes (message n° 1).")),
        ("Il fait beau aujourd'hui", ["Je suis Relais, l'assistant de Tiers-lieu de l'Usine Vivante", "1) Voir les projets",
                                      "2) Toutes les commandes", "3) L'envoyer aux facilitateurs"]),
        ("merci !", "Avec plaisir"),
        ("folow dombes-brasserie", "Vouliez-vous dire /suivre"),  # a short mistyped command still gets "did you mean"
    )
    assert (await Comment.get()).text == "Je voudrais aider la brasserie avec mon camion"
    en = talk("jules")
    await en.say("lang en")
    got = await en.say("how do I follow a project?")
    assert "/follow <project>" in got
    assert (await en.say("/comment je fais")).startswith("⚠️")  # a /command that does not exist: unknown, no guessing


async def test_a_group_stays_silent_unless_addressed(talk, app):
    await talk("me").say("lier usine-vivante")  # the console room `#salle` is not bound: bind it from there
    room = talk("ana", room="salle")
    await room.check(("Il fait beau aujourd'hui", None), ("9", None))


async def test_a_pending_question_owns_the_next_message(talk, app):
    """While a prompt waits, what the referent writes is the answer — even « Relancer la mairie de Crest » or « Chercher
    un local… », which begin like commands; a /command still runs and `annuler` drops the question."""
    me, mehdi = talk("me"), talk("mehdi")
    await me.say("relancer conciergerie-rurale")
    await mehdi.check(
        ("Relancer la mairie de Crest", fr("Pour quelle date ?")),  # the step is understood; its date is asked
        ("pas de date", fr("Est-ce déjà sur la liste ? (oui / non)")),
        ("pas encore", [fr("J'ai compris, pour Conciergerie rurale :"), "Relancer la mairie de Crest"]),
        ("non", "Quelle est la prochaine étape de Conciergerie rurale"),
        ("Chercher un local à Die pour le 15 janvier, déjà sur la liste", ["Chercher un local à Die", "vendredi 15 janvier 2027"]),
        ("/projets", "Brasserie de la Dombes (dombes-brasserie)"),  # a /command runs
        ("annuler", "D'accord, j'abandonne ma question."),
        ("Relancer la mairie", "Pas de projet"),  # no question waits: a command line again
    )


async def test_reply_on_the_fake_platform_to_a_notification_is_a_comment(app):
    """Through a platform built on the adapter contract: a reply to the notification's message is a comment on it."""
    platform = await fake_platform(app)
    try:
        ana = await Account.get(platform="fake", address="ana")
        await Account.filter(person_id=ana.person_id).update(preferred=False)
        await Account.filter(id=ana.id).update(preferred=True)
        await Dialog(app, "camille").say("nouvelle dombes-brasserie Le brassin n°2 est en cuve")
        await app.delivery.drain()
        [news] = [s for s in platform.sent if s["op"] == "notify" and s["to"] == "ana"]
        assert "/répondre <votre texte>" in news["text"]
        got = await platform.receive("ana", CIGALE, reply_to=f"n{news['outbox']}")
        assert fr("Transmis aux référent·es de Brasserie de la Dombes (message n° 1).") in got
        await Dialog(app, "camille").say("réponse 1 Avec plaisir, écris-moi")
        await app.delivery.drain()
        [answer] = [s for s in platform.sent if s["op"] == "notify" and s["to"] == "ana" and "réponse de Camille" in s["text"]]
        assert answer["answers"] == (await Comment.get()).origin["ref"]  # threaded under Ana's message
        # A reply to a message Relais does not know, in a direct chat, is read as words, not as a comment.
        other = await platform.receive("ana", "Bonjour tout le monde", reply_to="n999999")
        assert "Transmis" not in other and await Comment.all().count() == 1
    finally:
        await platform.stop()


async def test_the_agenda_lists_messages_left_unanswered(app, clock):
    await Dialog(app, "ana").say("question dombes-brasserie Qui tient le stand samedi ?")
    me = Dialog(app, "me")
    assert "sans réponse" not in await me.say("agenda")
    clock.now += timedelta(days=4)
    await me.check(("agenda", [fr("Messages de membres sans réponse depuis 3 jours ou plus :"), "#1 Brasserie de la Dombes — Ana",
                               "Qui tient le stand samedi ?", "Messages en attente"]))


async def test_mydata_and_forget_me_cover_comments(app):
    ana, camille = Dialog(app, "ana"), Dialog(app, "camille")
    await ana.say("question dombes-brasserie Publique ?")
    await ana.say("question dombes-brasserie Privée ?")
    await camille.say("réponse 1 Oui.")
    await camille.say("publier 1")
    await ana.say("accord 1 nom")
    export = await app.services.mydata.export(await (await Account.get(platform="console", address="ana")).person)
    assert [m["text"] for m in export["messages"]] == ["Publique ?", "Privée ?"] and export["messages"][0]["answer"] == "Oui."
    person = (await Account.get(platform="console", address="ana")).person_id
    await app.services.mydata.forget(person)
    rows = await Comment.all().values("text", "author_id", "origin", "consent")
    assert rows == [{"text": "Publique ?", "author_id": None, "origin": {}, "consent": Consent.ANONYMOUS}]
    assert not await PendingQuestion.filter(person_id=person).exists()
    doc = await SearchDoc.get(kind="qa")
    assert doc.author == ""  # the published question stays, without its asker's name
