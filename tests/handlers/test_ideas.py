"""Members become contributors: a member proposes a project idea, the others support it once each (and may withdraw),
the facilitators see it in their agenda and accept it (a project its supporters follow, its proposer asked to carry it),
merge it or decline it with a word — as transcripts in French and English, on the console and the fake platform."""

from __future__ import annotations

from datetime import timedelta

from bot.adapters.console import ConsoleChat
from bot.core.i18n import french_typography as fr
from models import Account, Comment, Follow, Idea, IdeaStatus, IdeaSupport, Person, Project, ProjectStatus, SearchDoc
from tests.conftest import Dialog


async def notes(app, name: str) -> list[str]:
    await app.delivery.drain()
    return await ConsoleChat(app.console, name).unseen()


async def test_an_idea_is_proposed_supported_once_and_withdrawn(talk, app):
    ana, jules, mehdi = talk("ana"), talk("jules"), talk("mehdi")
    await ana.check(('idée "Un four à pain" Un four partagé au village, pour les habitants', [fr("💡 Idée 1 proposée : Un four à pain"),
                                                                                           "/+1 1", "1) Toutes les idées"]))
    await jules.check(("+1 1", [fr("👍 Vous appuyez l'idée 1 : Un four à pain."), "1 appui désormais.", "1) Annuler"]),
                      ("+1 1", fr("⚠️  Vous appuyez déjà l'idée 1.")))  # supporting twice: refused
    await ana.check(("appuyer 1", fr("Vous avez proposé l'idée 1 : votre appui va de soi.")))
    await mehdi.check(("appuyer 1", "2 appuis désormais."))
    await jules.check(
        ("idées", ["Les idées de Tiers-lieu de l'Usine Vivante", "1. Un four à pain — 2 appuis · proposée par Ana · ✓ vous l'appuyez",
                   "/+1 <numéro>"]),
        ("idée 1", ["Idée 1 — Un four à pain (ouverte aux appuis)", "Un four partagé au village", "Proposée par Ana · 2 appuis",
                    "Vous l'appuyez.", "1) Retirer mon appui"]),
        ("retirer-appui 1", "Vous n'appuyez plus l'idée 1."),
        ("-1 1", fr("⚠️  Vous n'appuyez pas l'idée 1.")),
        ("+1 9", "Il n'y a pas d'idée 9."),
        ("+1 abc", fr("« abc » n'est pas une idée")),
    )
    idea = await Idea.get(number=1)
    assert (idea.title, idea.summary, idea.supporters) == ("Un four à pain", "Un four partagé au village, pour les habitants", 1)
    assert await IdeaSupport.filter(idea=idea).count() == 1
    [told] = [n for n in await notes(app, "me") if "Nouvelle idée" in n]  # the facilitator hears of it, with what to do
    assert fr("Nouvelle idée de Ana (idée 1) : Un four à pain") in told and "En faire un projet" in told and "La refuser" in told
    assert await SearchDoc.filter(kind="idea", item_id=idea.id).exists()
    await Dialog(app, "jules").check(("chercher four", ["Un four à pain", "idée"]))


async def test_in_english_ideas_most_supported_first_and_the_threshold(talk, app):
    ana, jules, me = talk("ana"), talk("jules"), talk("me")
    for d in (ana, jules, me):
        await d.say("lang en")
    await ana.check(('idea "Tool library" Lend drills and ladders', "💡 Idea 1 proposed: Tool library"),
                    ("idea A repair café once a month", "💡 Idea 2 proposed: A repair café once a month"))
    await jules.check(("back-idea 2", "You support idea 2: A repair café once a month."), ("support-idea 2", "You already support idea 2."))
    await me.check(("+1 2", "2 supports now."),
                   ("ideas", ["• 2. A repair café once a month — 2 supports · proposed by Ana · ✓ you support it\n  • 1. Tool library — 0 supports"]),
                   ("ideas threshold", "An idea comes to the agenda at 5 supports."),
                   ("ideas threshold 2", ["An idea now comes to the agenda at 2 supports.", "1) Undo"]),
                   ("ideas threshold none", "“none” is not a number from 1 to 10000."))
    await jules.check(("ideas threshold 3", "Only a facilitator of Tiers-lieu de l'Usine Vivante can do that."))
    app.clock.now += timedelta(days=8)  # no longer new: only the one past the threshold stays in the agenda
    got = await me.say("agenda")
    assert "Members' ideas (new this week, or past the support threshold):" in got
    assert "2. A repair café once a month — 2 supports · proposed by Ana · ✨ past the threshold" in got
    assert "Tool library" not in got and "Accept idea 2" in got and "Decline idea 2" in got


async def test_the_agenda_shows_new_ideas_and_a_facilitator_accepts_one(talk, app):
    ana, jules, me = talk("ana"), talk("jules"), talk("me")
    await ana.say('idée "Un four à pain" Un four partagé au village')
    await jules.say("+1 1")
    await me.check(("agenda", [fr("Idées des membres (nouvelles cette semaine, ou passées au-dessus du seuil d'appuis) :"),
                               "1. Un four à pain — 1 appui · proposée par Ana · nouveau", "Accepter l'idée 1", "Rattacher l'idée 1",
                               "Refuser l'idée 1"]))
    await jules.check(("idée accepter 1", fr("Seul·e un·e facilitateur·rice de Tiers-lieu de l'Usine Vivante peut faire cela.")))
    await me.check(("idée accepter 1 actif", [fr("✅ L'idée 1 est maintenant le projet Un four à pain (actif)."),
                                              "2 personnes prévenues et abonnées", "1) Voir le projet"]),
                   ("idée accepter 1", fr("L'idée 1 est déjà tranchée.")))
    project = await Project.get(slug="un-four-a-pain")
    assert project.status == ProjectStatus.ACTIVE and project.summary == "Un four partagé au village"
    assert {f.person_id for f in await Follow.filter(project=project)} == {(await _person("ana")), (await _person("jules"))}
    assert (await Idea.get(number=1)).status == IdeaStatus.ACCEPTED
    [asked] = [n for n in await notes(app, "ana") if "Votre idée" in n]
    assert fr("En serez-vous référent·e, la personne qui le porte et donne sa prochaine étape ?") in asked and "Oui, je le porte" in asked
    [became] = await notes(app, "jules")
    assert fr("L'idée « Un four à pain » est maintenant un projet : Un four à pain. Vous y êtes abonné·e.") in became
    await jules.check(("idée porter 1 oui", fr("Seule la personne qui a proposé l'idée 1 peut le dire.")))
    await ana.check(("idée porter 1 oui", [fr("Vous êtes maintenant référent·e de Un four à pain. Merci !"), "/étape un-four-a-pain"]))
    assert await app.services.projects.is_referent(project, await _who("ana"))
    assert any("Ana portera Un four à pain (issu de l'idée 1)" in n for n in await notes(app, "me"))
    assert "Accepter l'idée 1" not in await me.say("agenda")  # decided: out of the agenda


async def test_merge_and_decline_with_a_word_to_the_proposer_and_supporters(talk, app):
    ana, jules, me = talk("ana"), talk("jules"), talk("me")
    await ana.say('idée "Une brasserie de quartier"')
    await ana.say('idée "Un festival" trop tôt sans doute')
    await jules.say("+1 2")
    await me.check(("idée fusionner 1", [fr("Dans quel projet l'idée 1 doit-elle aller ?"), "Brasserie de la Dombes"]),
                   ("idée fusionner 1 dombes-brasserie", [fr("✅ L'idée 1 rejoint le projet Brasserie de la Dombes."),
                                                          "1 personne prévenue et abonnée."]),
                   ("idée refuser 2", [fr("Votre mot à qui a proposé l'idée 2 (« Un festival ») et à ses 1 soutiens : pourquoi pas, ou pas maintenant ?"),
                                       "/annuler"]),
                   ("Pas cette année : la salle est prise.", ["L'idée 2 est refusée.", "2 personnes prévenues, avec votre mot."]))
    assert (await Idea.get(number=1)).status == IdeaStatus.MERGED and (await Idea.get(number=2)).note == "Pas cette année : la salle est prise."
    told = await notes(app, "jules")
    assert any(fr("L'idée « Un festival » n'est pas retenue pour l'instant.") in n and "Pas cette année" in n for n in told)
    await jules.check(("+1 2", fr("L'idée 2 est déjà tranchée : elle ne prend plus d'appuis.")),
                      ("idée 2", ["non retenue", "Le mot des facilitateurs"]))
    assert not await SearchDoc.filter(kind="idea", item_id=(await Idea.get(number=2)).id).exists()  # declined: out of search


async def test_a_reply_about_an_idea_reaches_its_proposer_and_the_facilitators(app):
    ana, jules, me = Dialog(app, "ana"), Dialog(app, "jules"), Dialog(app, "me")
    await ana.say('idée "Un four à pain"')
    [new] = await notes(app, "me")
    assert fr("↩️ Un mot sur cette idée ? /répondre <votre texte> : Ana et les facilitateurs le reçoivent.") in new
    # The facilitator replies to the new idea's notification: its proposer gets it.
    await me.check(("répondre Belle idée, parlons-en à la réunion", "(message n° 1)"))
    assert any("Belle idée" in n for n in await notes(app, "ana"))
    await jules.say("idée 1")
    await jules.check(("répondre Je peux aider à le construire, je suis maçon",
                       fr("Transmis à qui a proposé l'idée et aux facilitateurs de Tiers-lieu de l'Usine Vivante (message n° 2).")))
    comment = await Comment.get(number=2)
    assert (comment.about_kind, comment.project_id) == ("idea", None)
    for name in ("ana", "me"):
        [told] = await notes(app, name)
        assert "Je peux aider à le construire" in told and fr("À propos de l'idée : « Un four à pain »") in told, name
    await ana.check(("réponse 2 Merci, passe samedi !", fr("Votre réponse à Jules (n° 2) est en route.")))  # the proposer answers
    [back] = await notes(app, "jules")
    assert "Merci, passe samedi !" in back


async def _person(name: str) -> int:
    return (await Account.get(platform="console", address=name)).person_id


async def _who(name: str) -> Person:
    return await Person.get(id=await _person(name))
