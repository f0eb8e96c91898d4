"""Every command and every error, driven through the console chat like a transcript, in English and French."""

import pytest

from bot.core.i18n import french_typography as fr
from models import Follow, NewsItem, NextStep, OutboxMessage, Project, Role
from models.communities import ChatBinding, Membership


async def test_member_reads_and_follows_in_english(talk):
    ana = talk("ana", locale="en")
    await ana.say("lang en")
    await ana.check(
        ("help", ["Here is what I can do", "/follow <project>", "/projects"]),
        ("/projects", ["Projects of Tiers-lieu de l'Usine Vivante", "Brasserie de la Dombes (dombes-brasserie) — funding, 2 followers"]),
        ("!project dombes-brasserie", ["Referents: Camille", "Next step: Relancer les contributeurs", "by Tuesday, December 1, 2026",
                                       "Latest news", "2 followers", "1) Stop following"]),
        ("follow conciergerie-rurale", ["You now follow Conciergerie rurale.", "1) Undo"]),
        ("1", "You no longer follow Conciergerie rurale."),
        ("1", "You now follow Conciergerie rurale."),
        ("follow conciergerie-rurale", "You already follow Conciergerie rurale."),
        ("following", ["You follow:", "Conciergerie rurale", "Brasserie de la Dombes", "Ressourcerie créative"]),
        ("unfollow conciergerie-rurale", "You no longer follow Conciergerie rurale."),
        ("unfollow conciergerie-rurale", "You do not follow Conciergerie rurale."),
        ("me", ["console:ana", "Tiers-lieu de l'Usine Vivante (usine-vivante) — member", "Language: en", "you follow 2 projects"]),
        ("start", ["Hello Ana! I am Relais", "You are in Tiers-lieu de l'Usine Vivante.", "See the projects"]),
        ("help follow", ["/follow <project>", "Follow a project", "Also written: /suivre."]),
    )


async def test_membre_en_francais(talk):
    jules = talk("jules")
    await jules.check(
        ("aide", ["Voici ce que je sais faire", "/suivre <projet>", "/projets"]),
        ("projets", "Brasserie de la Dombes (dombes-brasserie) — en financement, 2 abonné·es"),
        ("projet ressourcerie-creative", ["Référent·es : Louise", "Prochaine étape : Organiser le premier atelier", "pour le samedi 5 décembre 2026"]),
        ("suivre ressourcerie-creative", ["Vous suivez désormais Ressourcerie créative.", "1) Annuler"]),
        ("suivis", ["Vous suivez :", "Ressourcerie créative", "Conciergerie rurale"]),
        ("ne-plus-suivre ressourcerie-creative", "Vous ne suivez plus Ressourcerie créative."),
        ("moi", ["console:jules", "membre", "Langue : fr", "vous suivez 1 projet"]),
        ("aide étape", ["/étape <projet> [texte] [pour <date>]", "Sans texte, je vous la demande.", "S'écrit aussi"]),
        ("langue en", ["From now on I speak English with you.", "1) Undo"]),
        ("1", "Désormais je vous parle en français."),
    )


async def test_errors_are_clear_and_localized(talk):
    ana = talk("ana")
    await ana.check(
        ("folow dombes-brasserie", ["Commande inconnue « folow ». Vouliez-vous dire /suivre ?", "/suivre <projet>",
                                    "1) /suivre dombes-brasserie", "2) Aide sur suivre"]),
        ("xyzzy", ["je n'ai pas compris « xyzzy »", "1) Voir les projets", "2) Toutes les commandes"]),  # words, not a command
        ("/xyzzy", "Commande inconnue « xyzzy ». Tapez /aide"),
        ("suivre", ["Il manque <projet>.", "Usage : /suivre <projet>"]),
        ("suivre dombes", ["Pas de projet « dombes »", "Vouliez-vous dire : dombes-brasserie ?", "1) Brasserie de la Dombes"]),
        ("1", ["Vous suivez déjà Brasserie de la Dombes"]),  # the command that was typed, with the project meant
        ("suivre dombes-brasserie en trop", ["Trop de mots : « en trop ».", "Usage : /suivre <projet>"]),
        ("langue de", ["« de » n'est pas parmi : fr, en.", "Usage : /langue <fr|en>"]),
        ("nouvelle dombes-brasserie Bonjour", "Seuls les référents de Brasserie de la Dombes et les facilitateurs peuvent faire cela."),
        ("projet ajouter x Titre", "Seul·e un·e facilitateur·rice de Tiers-lieu de l'Usine Vivante peut faire cela."),
        ("rejoindre nulle-part", "Pas de communauté « nulle-part »."),
        ("aide vole", "Pas de commande « vole »."),
    )
    ana_en = talk("ana", locale="en")
    await ana_en.say("lang en")
    await ana_en.check(
        ("folow x", ["Unknown command “folow”. Did you mean /follow?", "/follow <project>"]),
        ("follow", ["Missing <project>.", "Usage: /follow <project>"]),
        ("news dombes-brasserie hi", "Only the referents of Brasserie de la Dombes and the facilitators can do that."),
        ("role ana facilitator", "Only a facilitator of Tiers-lieu de l'Usine Vivante can do that."),
    )


async def test_unexpected_errors_give_a_reference_and_keep_the_traceback_in_the_log(talk, app, caplog, monkeypatch):
    async def broken(*args, **kwargs):
        raise RuntimeError("database on fire")

    monkeypatch.setattr(app.services.projects, "listing", broken)
    got = await talk("ana").say("projets")
    assert "Quelque chose s'est mal passé (réf. " in got
    assert "database on fire" not in got and "Traceback" not in got
    ref = got.split("réf. ")[1].split(")")[0]
    record = next(r for r in caplog.records if r.getMessage() == "unexpected error")
    assert str(record.ref) == ref and record.exc_info[1].args == ("database on fire",)


async def test_referent_posts_news_and_next_steps(talk, app):
    camille = talk("camille")
    await camille.check(
        ("nouvelle dombes-brasserie La cuve est arrivée !", ["Nouvelle publiée pour Brasserie de la Dombes.", "2 abonné·es prévenu·es."]),
        ("etape dombes-brasserie Étiqueter les bouteilles pour vendredi prochain",
         ["Prochaine étape de Brasserie de la Dombes : Étiqueter les bouteilles", "Échéance : vendredi 27 novembre 2026."]),
        ("etape dombes-brasserie Fêter ça pour le 12 mars", "Échéance : vendredi 12 mars 2027."),
        ("etape dombes-brasserie Trouver un local", "Pas encore de date"),
        ("etape dombes-brasserie Imprimer pour hier", "La date 2026-11-20 est passée"),
        ("etape dombes-brasserie Imprimer pour blablaxyz", "Je n'ai pas compris la date « blablaxyz »."),
        ("etape dombes-brasserie", "Quelle est la prochaine étape de Brasserie de la Dombes ?"),
        ("annuler", "D'accord, j'abandonne ma question."),
        ("nouvelle conciergerie-rurale Coucou", "Seuls les référents de Conciergerie rurale"),
    )
    steps = await NextStep.filter(project__slug="dombes-brasserie").order_by("id").values_list("text", "due")
    assert [s[0] for s in steps][-3:] == ["Étiqueter les bouteilles", "Fêter ça", "Trouver un local"]
    assert str(steps[-3][1]) == "2026-11-27" and steps[-1][1] is None
    camille_en = talk("camille")
    await camille_en.say("lang en")
    await camille_en.check(
        ("nextstep dombes-brasserie Book the van by next friday", "Due Friday, November 27, 2026."),
        ("nextstep dombes-brasserie Book the van by 2026-12-04", "Due Friday, December 4, 2026."),
        ("news dombes-brasserie Van booked", "News posted to Brasserie de la Dombes. 2 followers notified."),
    )
    assert await NewsItem.filter(project__slug="dombes-brasserie").count() == 3


async def test_facilitator_manages_projects_referents_and_roles(talk):
    me = talk("me")
    await me.check(
        ("projet ajouter jardin \"Jardin partagé\" Un potager au pied de l'immeuble", ["Projet Jardin partagé ajouté", "/référent ajouter jardin"]),
        ("projet ajouter jardin \"Encore\"", "Le projet jardin existe déjà."),
        ("projet ajouter Pas_Bon titre", "« pas_bon » ne peut pas nommer un projet"),
        ("projet ajouter statut titre", "« statut » ne peut pas nommer un projet"),
        ("projet ajouter", "Usage : /projet ajouter <nom-court> <titre> [résumé]"),
        ("projet jardin", ["Jardin partagé (jardin) — idée", "Un potager au pied de l'immeuble", "Référent·es : pas encore",
                           "Prochaine étape : pas encore fixée."]),
        ("projet statut jardin actif", ["Jardin partagé est désormais : actif.", "1) Annuler"]),
        ("1", "Jardin partagé est désormais : idée."),
        ("projet statut jardin bof", ["« bof » n'est pas parmi : idée, actif, financement, terminé.",
                                      "/projet statut <projet> <idée|actif|financement|terminé>"]),
        ("projet statut jardin financement", "Jardin partagé est désormais : en financement."),
        ("referent ajouter jardin ana", ["Ana est désormais référent·e de Jardin partagé.", "1) Annuler"]),
        ("referent ajouter jardin console:ana", "Ana est déjà référent·e de Jardin partagé."),
        ("referent retirer jardin ana", "Ana n'est plus référent·e de Jardin partagé."),
        ("1", "Ana est désormais référent·e de Jardin partagé."),
        ("referent ajouter jardin anna", "Vouliez-vous dire : ana ?"),
        ("referent ajouter jardin telegram:999", "Personne n'a encore le compte telegram:999"),
        ("referent ajouter jardin bogus:1", "« bogus:1 » n'est pas un compte"),
        ("rôle jules facilitateur", ["Jules est désormais facilitateur·rice de Tiers-lieu de l'Usine Vivante.", "1) Annuler"]),
        ("1", "Jules est désormais membre"),
        ("role me membre", "Sophie est le dernier facilitateur de Tiers-lieu de l'Usine Vivante : nommez-en d'abord un autre."),
        ("quitter usine-vivante", "Vous êtes le dernier facilitateur de Tiers-lieu de l'Usine Vivante"),
    )
    project = await Project.get(slug="jardin")
    assert [p.display_name for p in await project.referents.all()] == ["Ana"]
    ana_role = await Membership.get(person__accounts__address="ana", person__accounts__platform="console").values_list("role", flat=True)
    assert ana_role == Role.REFERENT
    await talk("ana").check(("etape jardin Bêcher pour demain", "Échéance : dimanche 22 novembre 2026."))


async def test_binding_a_group_makes_its_people_members(talk, app):
    from models import Community

    await Community.create(slug="autre", name="Autre communauté")
    me_in_group = talk("me", room="cafe")
    await me_in_group.check(
        ("bonjour tout le monde", None),  # chatter in a group is not for Relais
        ("/lier usine-vivante", ["Cette discussion parle désormais pour Tiers-lieu de l'Usine Vivante.", "1) Annuler"]),
        ("/lier usine-vivante", "Cette discussion parle déjà pour"),
        ("/lier autre", "Seul·e un·e facilitateur·rice de Autre communauté peut faire cela."),
    )
    await talk("me").check(("lier usine-vivante", "/lier fonctionne dans un groupe"))
    newcomer = talk("zoe", room="cafe")
    await newcomer.check(("/projets", "Brasserie de la Dombes"), ("/suivre ressourcerie-creative", "Vous suivez désormais"))
    assert await Membership.filter(person__accounts__address="zoe", community__slug="usine-vivante").exists()
    await me_in_group.check(("/delier", "Cette discussion ne parle plus pour"), ("1", "Cette discussion parle désormais pour"))
    assert await ChatBinding.filter(chat_id="#cafe").count() == 1


async def test_several_communities_join_use_leave(talk):
    from models import Community

    other = await Community.create(slug="coop", name="Coop des Communs", locale="en")
    from models import Project as P

    await P.create(community=other, slug="plateforme", title="PlateformCoop")
    ana = talk("ana")
    await ana.check(
        ("rejoindre coop", ["Bienvenue dans Coop des Communs !", "2) Annuler"]),
        ("projects", "Projects of Coop des Communs"),  # the community's language until Ana picks hers
        ("langue fr", "Désormais je vous parle en français."),
        ("projets", "PlateformCoop"),
        ("suivre usine-vivante/conciergerie-rurale", "Vous suivez désormais Conciergerie rurale."),
        ("utiliser usine-vivante", "Vos messages directs vont désormais vers Tiers-lieu de l'Usine Vivante."),
        ("projets", "Brasserie de la Dombes"),
        ("suivre coop/plateforme", "Vous suivez désormais PlateformCoop."),
        ("suivis", ["Coop des Communs", "PlateformCoop", "Conciergerie rurale"]),
        ("quitter coop", [fr("Quitter Coop des Communs ?"), "1) Oui, quitter Coop des Communs"]),  # asked first
        ("1", ["Vous avez quitté Coop des Communs.", "1) Annuler"]),
        ("utiliser coop", "Vous n'êtes pas membre de Coop des Communs. Tapez d'abord /rejoindre coop."),
        ("suivre coop/plateforme", "Vous n'êtes pas membre de Coop des Communs."),
        ("rejoindre usine-vivante", "Vous êtes déjà membre de Tiers-lieu de l'Usine Vivante"),
    )
    assert not await Follow.filter(person__accounts__address="ana", project__slug="plateforme").exists()


async def test_deep_link_start_payload_follows(talk):
    await talk("lea").check(("start follow-creche-interentreprises", "Vous suivez désormais Crèche inter-entreprises."),
                            ("start follow-nope", "Pas de projet « nope »"))


async def test_news_notifies_each_follower_once_in_their_language(talk, app):
    ana = talk("ana")
    await ana.say("lang en")
    await talk("camille").say("nouvelle dombes-brasserie Brassin n°2 en cuve")
    rows = await OutboxMessage.filter(kind="news").select_related("person").order_by("person__display_name")
    assert [r.person.display_name for r in rows] == ["Ana", "Mehdi"]  # the author is not notified
    assert await app.delivery.drain() == 2
    from models import ConsoleInbox

    inbox = {r.address: r.text for r in await ConsoleInbox.all()}
    assert "news from Camille" in inbox["ana"] and "Brassin n°2 en cuve" in inbox["ana"]
    assert "nouvelle de Camille" in inbox["mehdi"] and "1) Voir le projet" in inbox["mehdi"]
    assert await app.delivery.drain() == 0


async def test_no_community_yet(tmp_path, clock):
    from tests.conftest import Dialog, make_app

    app = await make_app("sqlite", tmp_path, clock, seed=False)
    try:
        await Dialog(app, "first").check(
            ("projets", "Vous n'êtes encore dans aucune communauté. Tapez /rejoindre <communauté>"),
            ("aide", "Voici ce que je sais faire"),
        )
    finally:
        await app.stop()


async def test_over_long_arguments_get_the_usage_line_and_the_limit(talk, app, caplog):
    """Names longer than their column are refused at parsing, with the limit; nothing crashes, nothing is logged."""
    long = "a" * 65
    me = talk("me")
    await me.check(
        (f"suivre {long}", ["<projet> est trop long\u202f: 64 caractères au plus.", "Usage\u202f: /suivre <projet>"]),
        (f"suivre usine-vivante/{long}", "<projet> est trop long"),
        (f"suivre {long}/dombes-brasserie", "<projet> est trop long"),
        (f"rejoindre {long}", "<communauté> est trop long\u202f: 64 caractères au plus."),
        (f"projet ajouter jardin \"{'T' * 201}\"", "est trop long\u202f: 200 caractères au plus."),
        (f"nouvelle {long} bonjour", "<projet> est trop long"),
        (f"referent ajouter dombes-brasserie {'b' * 321}", "[personne] est trop long\u202f: 320 caractères au plus."),
    )
    assert not [r for r in caplog.records if r.getMessage() == "unexpected error"]


def test_a_traceback_in_the_log_never_carries_a_long_message():
    """An exception quoting what someone wrote is cut in the log; the traceback's frames stay."""
    import logging
    import sys

    from bot.logs import LINE, JsonFormatter

    try:
        raise ValueError("Length of '" + "a" * 200_000 + "' 200000 > 64")
    except ValueError:
        record = logging.LogRecord("relais", logging.ERROR, __file__, 1, "unexpected error", (), sys.exc_info())
    text = JsonFormatter().format(record)
    assert len(text) < 2_000 and "Traceback" in text and "test_dialogs.py" in text and "a" * (LINE + 1) not in text


async def test_news_and_next_steps_can_be_undone(talk, app):
    """Every change offers Undo: news and next steps too; notifications not sent yet are withdrawn with them."""
    camille = talk("camille")
    before = await NextStep.filter(project__slug="dombes-brasserie").order_by("-id").first()
    await camille.check(
        ("nouvelle dombes-brasserie Oups, mauvais projet", ["Nouvelle publiée pour Brasserie de la Dombes.", "1) Annuler"]),
        ("1", "La nouvelle de Brasserie de la Dombes est reprise."),
        ("1", "Il n'y a pas de choix 1 ici."),  # nothing left on offer: the choice was used
        ("étape dombes-brasserie Tout relire pour demain", ["Prochaine étape de Brasserie de la Dombes", "1) Annuler"]),
        ("1", ["La prochaine étape de Brasserie de la Dombes est reprise.", f"Prochaine étape\u202f: {before.text}"]),
        ("nouvelle supprimer dombes-brasserie 99999", "Pas de telle nouvelle dans Brasserie de la Dombes."),
        ("nouvelle supprimer dombes-brasserie dix", "« dix » n'est pas un nombre."),
        ("nouvelle supprimer conciergerie-rurale 1", "Seuls les référents de Conciergerie rurale"),
    )
    assert not await NewsItem.filter(text="Oups, mauvais projet").exists()
    assert await OutboxMessage.filter(key__startswith="news:").count() == 0
    assert (await NextStep.filter(project__slug="dombes-brasserie").order_by("-id").first()).id == before.id
