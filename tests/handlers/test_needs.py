"""Help wanted and skills: a referent posts a need, its project's followers and the members whose skills match (French and
English stems) hear of it, each at most 3 needs a week; `i can help` reaches the referents, who say it is filled (the
helper thanked, following the project); a project without referent is a need of its own, a volunteer confirmed by a
facilitator; open needs older than 2 weeks come to the agenda — in French and English, on the console and the fake
platform."""

from __future__ import annotations

from datetime import timedelta

from bot.adapters.console import ConsoleChat
from bot.core.i18n import french_typography as fr
from bot.services.skills import terms
from models import Account, Comment, CommentKind, Follow, Need, NeedOffer, NeedReach, Person, Project, SearchDoc, Skill, SkillTerm
from tests.conftest import Dialog


async def notes(app, name: str) -> list[str]:
    await app.delivery.drain()
    return await ConsoleChat(app.console, name).unseen()


async def person(name: str) -> Person:
    return await Person.get(id=(await Account.get(platform="console", address=name)).person_id)


def test_skills_and_needs_meet_on_french_and_english_stems():
    assert set(terms("menuiserie")) & set(terms("un·e menuisier·e pour samedi"))
    assert set(terms("carpentry")) & set(terms("a carpenter for Saturday"))
    assert set(terms("la mairie, le maire")) & set(terms("quelqu'un qui connaît la mairie"))
    assert not set(terms("cuisine")) & set(terms("un·e menuisier·e"))
    assert terms("le la les de pour") == []  # stop words only: nothing to match on


async def test_a_referent_posts_a_need_and_followers_and_matching_skills_hear_of_it(talk, app):
    camille, jules, louise, ana = talk("camille"), talk("jules"), talk("louise"), talk("ana")
    await jules.check(("compétences", "Vous n'avez encore indiqué aucune compétence."),
                      ("compétences menuiserie, bricolage", [fr("🛠 C'est noté, vos compétences : menuiserie, bricolage"),
                                                             "3 par semaine au plus"]),
                      ("compétences", [fr("Vos compétences : menuiserie, bricolage"), "1) Les oublier"]))
    await louise.say("compétences cuisine")
    await camille.check(("besoin dombes-brasserie un·e menuisier·e pour samedi", [
        fr("🙋 Besoin 1 de Brasserie de la Dombes : un·e menuisier·e"), "(pour le samedi 21 novembre 2026)",
        fr("Envoyé à 3 personnes : les abonné·es du projet et les membres dont les compétences correspondent.")]))
    need = await Need.get(number=1)
    assert (need.text, need.due.isoformat()) == ("un·e menuisier·e", "2026-11-21")
    [to_jules] = await notes(app, "jules")  # jules does not follow the brewery: his skills brought it
    assert fr("Brasserie de la Dombes — on cherche de l'aide (besoin 1)") in to_jules
    assert fr("Vous le recevez parce qu'il correspond à vos compétences") in to_jules and "1) Je peux aider" in to_jules
    [to_ana] = await notes(app, "ana")  # ana follows it
    assert "un·e menuisier·e" in to_ana and "compétences" not in to_ana
    assert await notes(app, "louise") == []  # cooking does not match carpentry
    assert await SearchDoc.filter(kind="need", item_id=need.id).exists()
    await ana.check(("besoin dombes-brasserie un coup de main", fr(  # a non-referent posting a need: refused
        "⚠️  Seuls les référents de Brasserie de la Dombes et les facilitateurs peuvent faire cela.")))
    assert await Need.all().count() == 1
    await jules.check(("besoins", ["On cherche de l'aide dans Tiers-lieu de l'Usine Vivante", "1. un·e menuisier·e",
                                   "— Brasserie de la Dombes", fr("Projets qui cherchent un·e référent·e :"),
                                   "Crèche inter-entreprises — cherche un·e référent·e", "Je peux aider pour le besoin 1",
                                   "Je m'occupe de Crèche inter-entreprises"]),
                      ("compétences effacer", "Vos compétences sont oubliées"))
    assert not await Skill.exists() or not await SkillTerm.filter(person=await person("jules")).exists()


async def test_i_can_help_reaches_the_referents_who_say_it_is_filled(talk, app):
    camille, jules, ana = talk("camille"), talk("jules"), talk("ana")
    await camille.say("besoin dombes-brasserie quelqu'un qui connaît la mairie")
    await jules.check(("je peux aider 1 je connais le maire", [fr("🙌 Merci pour votre aide sur le besoin 1 (« quelqu'un qui connaît la mairie ») !"),
                                                                 fr("Transmis aux référent·es de Brasserie de la Dombes (message n° 1).")]),
                      ("je peux aider 1", fr("Vous avez déjà proposé votre aide pour le besoin 1 : les référent·es le savent.")))
    comment = await Comment.get()
    assert (comment.kind, comment.about_kind, comment.text) == (CommentKind.OFFER, "need", "je connais le maire")
    told = [n for n in await notes(app, "camille") if "Jules propose son aide" in n]
    assert told and fr("À propos de ce besoin : « quelqu'un qui connaît la mairie »") in told[0]
    await ana.check(("besoin pourvu 1", "Seuls les référents de Brasserie de la Dombes et les facilitateurs peuvent faire cela."))
    await camille.check(("besoins dombes-brasserie", [fr("volontaires : Jules"), "Besoin 1 pourvu par Jules"]),
                        ("besoin pourvu 1", ["✅ Le besoin 1 de Brasserie de la Dombes est pourvu.",
                                             "Jules est remercié·e et désormais abonné·e à Brasserie de la Dombes."]),
                        ("besoin pourvu 1", "Le besoin 1 est déjà pourvu."),
                        ("besoins dombes-brasserie", "Brasserie de la Dombes ne cherche pas d'aide en ce moment."))
    assert (await Need.get()).helper_id == (await person("jules")).id
    assert await Follow.filter(person=await person("jules"), project=await Project.get(slug="dombes-brasserie")).exists()
    thanks = [n for n in await notes(app, "jules") if fr("Merci !") in n]
    assert thanks and fr("indiquent que le besoin 1 est pourvu, grâce à vous") in thanks[0]


async def test_in_english_skills_need_and_help_and_a_reply_to_a_need(talk, app):
    camille, jules = talk("camille"), talk("jules")
    for d in (camille, jules):
        await d.say("lang en")
    await jules.check(("skills carpentry, English", "🛠 Noted, your skills: carpentry, English"))
    await camille.check(("need dombes-brasserie a carpenter for saturday", ["🙋 Need 1 of Brasserie de la Dombes: a carpenter",
                                                                              "Sent to 3 people"]),
                        ("need dombes-brasserie", "Missing"))
    [got] = await notes(app, "jules")
    assert "help wanted (need 1)" in got and "/i can help 1 [how], or /reply <your text>." in got
    await jules.check(("reply I have a van too", "Sent to the referents of Brasserie de la Dombes (message #1)."))
    assert (await Comment.get()).about_kind == "need"  # a reply to the need: a comment for its referents
    await jules.check(("i can help 1", "Thank you for your help with need 1"),
                      ("i can help dombes-brasserie with the van", "Sent to the referents of Brasserie de la Dombes (message #3)."),
                      ("needs", ["Help wanted in Tiers-lieu de l'Usine Vivante", "1. a carpenter", "Projects looking for a referent:"]))
    await camille.check(("filled 1 jules", ["✅ Need 1 of Brasserie de la Dombes is filled.", "Jules is thanked"]))


async def test_each_person_gets_at_most_3_needs_a_week(app, clock):
    camille, mehdi, jules = Dialog(app, "camille"), Dialog(app, "mehdi"), Dialog(app, "jules")
    await jules.say("compétences menuiserie")
    for n in range(4):  # two projects, four needs: the fourth reaches nobody who had 3 already
        who, slug = (camille, "dombes-brasserie") if n % 2 == 0 else (mehdi, "conciergerie-rurale")
        await who.say(f"besoin {slug} un·e menuisier·e, chantier {n}")
    reached = await NeedReach.filter(person=await person("jules")).count()
    assert reached == 3 and len([n for n in await notes(app, "jules") if "chantier" in n]) == 3
    clock.now += timedelta(days=8)
    await camille.say("besoin dombes-brasserie un·e menuisier·e, chantier 5")
    assert await NeedReach.filter(person=await person("jules")).count() == 4  # a new week


async def test_a_project_without_referent_gets_a_volunteer_confirmed_by_a_facilitator(talk, app):
    ana, jules, me = talk("ana"), talk("jules"), talk("me")
    await ana.check(("je m'en occupe creche-interentreprises",
                     fr("🙌 Merci ! Les facilitateurs sont invités à vous confirmer comme référent·e de Crèche inter-entreprises.")),
                    ("je m'en occupe creche-interentreprises", "Vous vous êtes déjà proposé·e"),
                    ("je m'en occupe dombes-brasserie", "Brasserie de la Dombes a déjà un·e référent·e"))
    told = [n for n in await notes(app, "me") if "se propose comme référent·e" in n]
    assert told and "Confirmer Ana comme référent·e" in told[0]
    await me.check(("agenda", [fr("Volontaires à confirmer comme référent·es :"), "Ana — se propose pour porter Crèche inter-entreprises",
                               "Confirmer Ana pour Crèche inter-entreprises"]))
    await jules.check(("référent confirmer creche-interentreprises", "Seul·e un·e facilitateur·rice"))
    await me.check(("référent confirmer creche-interentreprises", fr("✅ Ana est maintenant référent·e de Crèche inter-entreprises ; "
                                                                     "la personne est prévenue.")))
    assert await app.services.projects.is_referent(await Project.get(slug="creche-interentreprises"), await person("ana"))
    assert any(fr("Vous êtes maintenant référent·e de Crèche inter-entreprises. Merci !") in n for n in await notes(app, "ana"))
    assert "se propose pour porter" not in await me.say("agenda")
    await jules.check(("besoins", "Personne ne cherche d'aide"))


async def test_open_needs_older_than_two_weeks_come_to_the_agenda(app, clock):
    camille, me = Dialog(app, "camille"), Dialog(app, "me")
    await camille.say("besoin dombes-brasserie des bras pour la mise en bouteille")
    assert "Besoins ouverts" not in await me.say("agenda")
    clock.now += timedelta(days=15)
    await me.check(("agenda", [fr("Besoins ouverts depuis 2 semaines ou plus :"),
                               "1. Brasserie de la Dombes — des bras pour la mise en bouteille · demandé il y a 2 semaines",
                               "On cherche de l'aide"]))
    await app.services.needs.fill(await Need.get(), None, await app.services.people.community("usine-vivante"))
    assert "Besoins ouverts" not in await me.say("agenda")
    assert not await NeedOffer.exists()
