"""Small things that looked broken: `agenda publier` with nothing bound says so, a lone facilitator going away is told
that nobody stands in (and offered the automatic prompts), news that Relais posted itself is signed « Relais » in
the rooms."""

from __future__ import annotations

from datetime import timedelta

from bot.core.i18n import french_typography as fr
from models import AgendaSettings, ConsoleInbox, NewsItem, Project
from tests.conftest import Dialog


async def test_publish_with_nothing_bound_says_nothing_is_bound(app):
    got = await Dialog(app, "me").say("agenda publier")
    assert fr("Aucun salon, groupe ni liste n'est encore lié à Tiers-lieu de l'Usine Vivante : rien ne peut partir.") in got
    assert "/lier usine-vivante" in got and "/liste créer" in got and "déjà parti" not in got


async def test_a_lone_facilitator_going_away_is_told_and_offered_the_automatic_prompts(app):
    me = Dialog(app, "me")
    got = await me.say("absent jusqu'au 20 décembre")
    assert fr("Vous êtes la seule personne qui anime Tiers-lieu de l'Usine Vivante : personne ne prend le relais") in got
    assert "1) Laisser l'agenda relancer tout seul" in got and "2) Annuler" in got
    await me.say("1")
    assert (await AgendaSettings.get()).auto_prompt
    # With another facilitator here, nothing to warn about.
    await me.say("retour")
    await me.say("rôle camille facilitateur")
    assert "seule personne" not in await me.say("absent jusqu'au 20 décembre")


async def test_relais_own_news_is_signed_relais_in_the_rooms(app, clock):
    await Dialog(app, "me", room="usine").say("/lier usine-vivante")
    brasserie = await Project.get(slug="dombes-brasserie")
    await NewsItem.create(project=brasserie, text="🎯 50 % de l'objectif de la campagne.", author=None,
                          created_at=clock() - timedelta(hours=1))
    await Dialog(app, "me").say("agenda publier")
    await app.delivery.drain()
    posted = await ConsoleInbox.filter(address="#usine").values_list("text", flat=True)
    relais = [p for p in posted if "50 % de l'objectif" in p]
    assert relais and "nouvelle de Relais" in relais[0], posted
