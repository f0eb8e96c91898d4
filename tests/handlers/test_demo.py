"""The demo reads as a real French community: its facilitator has a name (« Sophie vous pose… », not « me vous
pose… »), and the brewery's campaign its news speaks of exists as a campaign."""

from __future__ import annotations

from bot.adapters.console import ConsoleChat
from bot.core.i18n import french_typography as fr
from bot.services import demo
from models import Account, Campaign
from tests.conftest import Dialog, make_app


async def test_the_demo_facilitator_has_a_name_and_the_brewery_its_campaign(tmp_path, clock):
    app = await make_app("sqlite", tmp_path, clock, seed=False)
    try:
        await demo.seed("me", clock(), campaign=True)
        me = await Account.get(platform="console", address="me").prefetch_related("person")
        assert me.person.display_name == "Sophie"  # the account stays `me`: the console and the tests talk as it
        await Dialog(app, "me").say("relancer conciergerie-rurale")
        await app.delivery.drain()
        [asked] = await ConsoleChat(app.console, "mehdi").unseen()
        assert fr("Sophie vous pose, en tant que référent·e de Conciergerie rurale") in asked
        [running] = await Campaign.filter(closed_at__isnull=True).prefetch_related("project")
        assert running.project.slug == "dombes-brasserie" and running.goal == 1_200_000
        got = await Dialog(app, "ana").say("campagne dombes-brasserie")
        assert "41\u202f%" in got and "12\u202f000" in got, got  # « a passé 40 % de son objectif », as its news says
        assert "26 jours" in got
    finally:
        await app.stop()


async def test_another_account_name_is_the_facilitators_own_name(tmp_path, clock):
    app = await make_app("sqlite", tmp_path, clock, seed=False)
    try:
        await demo.seed("lea", clock())
        lea = await Account.get(platform="console", address="lea").prefetch_related("person")
        assert lea.person.display_name == "lea"
        assert not await Campaign.exists()  # tests seed without it and start their own
    finally:
        await app.stop()
