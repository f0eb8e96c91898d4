"""Fallbacks that help: a "did you mean" choice carries what was typed after the command (`suivre brasserie` follows
the brewery, it does not merely open it), and « Ajouter un·e référent·e » asks who instead of printing a usage line."""

from __future__ import annotations

from bot.core.i18n import french_typography as fr
from models import PendingQuestion, Project
from tests.conftest import Dialog


async def test_did_you_mean_runs_the_command_with_its_arguments(app):
    jules = Dialog(app, "jules")
    await jules.check(
        ("suivre brasserie", [fr("Pas de projet « brasserie » dans Tiers-lieu de l'Usine Vivante. Vouliez-vous dire : "
                                 "dombes-brasserie ?"), "1) Brasserie de la Dombes"]),
        ("1", "Vous suivez désormais Brasserie de la Dombes."),  # followed, not only opened
        ("suivr crèche", [fr("Commande inconnue « suivr ». Vouliez-vous dire /suivre ?"), "1) /suivre crèche", "2) Aide sur suivre"]),
        ("1", [fr("Pas de projet « crèche »"), "1) Crèche inter-entreprises"]),  # a word of its title finds it
        ("1", "Vous suivez désormais Crèche inter-entreprises."),
        ("sondag voir 1", "1) /sondage voir 1"),  # the localized name: `sondage voir` is its own command
    )


async def test_add_a_referent_from_the_agenda_asks_who(app):
    await Dialog(app, "Louise").say("projets")  # a second Louise
    me = Dialog(app, "me")
    got = await me.say("relancer creche-interentreprises")
    assert "1) Ajouter un·e référent·e à Crèche inter-entreprises" in got, got
    asked = await me.say("1")
    assert fr("Qui sera référent·e de Crèche inter-entreprises ?") in asked and "Usage" not in asked, asked
    await me.check(("Personne-Inconnue", fr("Personne ne s'appelle « Personne-Inconnue » dans cette communauté.")),
                   ("louise", ["Plusieurs personnes", "1) Louise — console:louise", "2) Louise — console:Louise"]),
                   ("1", "Louise est désormais référent·e de Crèche inter-entreprises."))
    assert not await PendingQuestion.exists()  # answered by the choice: nothing waits any more
    crèche = await Project.get(slug="creche-interentreprises")
    assert [p.display_name for p in await crèche.referents.all()] == ["Louise"]
    await me.check(("référent ajouter creche-interentreprises", fr("Qui sera référent·e de Crèche inter-entreprises ?")),
                   ("jules", "Jules est désormais référent·e de Crèche inter-entreprises."))
