"""Linked campaigns read from HelloAsso and Open Collective by the scheduler's job, against fakes of both APIs on
loopback: amounts and backers, pagination, milestones as news, the token renewed and refreshed, 429 and 5xx backed off,
a form that disappears, refused credentials; the credentials and tokens never reach the logs nor the database."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest

from bot.app import App
from bot.config import Settings
from bot.services import demo
from models import Campaign, CampaignLink, NewsItem
from scheduler.money import MoneyJob
from tests.conftest import Dialog, database_url, fresh_postgres
from tests.peers.fake_payments import CLIENT_SECRET, OC_TOKEN, Form, payments, settings_for  # noqa: F401

HA_PAGE = "https://www.helloasso.com/associations/usine-vivante/collectes/cuve-inox"
URL = "https://www.helloasso.com/associations/usine-vivante/collectes/cuve-inox"


async def money_app(kind: str, tmp_path, clock, fake, **more) -> App:
    if kind == "postgres":
        await fresh_postgres()
    settings = Settings(data_dir=tmp_path, database_url=database_url(kind, tmp_path), log_format="text", scheduler=False,
                        sections={"payments": settings_for(fake, **more)})
    app = App(settings, clock=clock)
    await app.start()
    await demo.seed("me", clock())
    return app


def money_job(app: App) -> MoneyJob:
    """The job as the composition root builds it for the scheduler."""
    return next(j for j in app._workers()[0].make_jobs() if isinstance(j, MoneyJob))


@pytest.fixture(params=["sqlite", "postgres"])
async def linked(request, tmp_path, clock, payments):  # noqa: F811
    app = await money_app(request.param, tmp_path, clock, payments)
    yield app
    await app.stop()


@pytest.fixture
async def linked_sqlite(tmp_path, clock, payments):  # noqa: F811
    app = await money_app("sqlite", tmp_path, clock, payments)
    yield app
    await app.stop()


async def start_two(app: App, fake) -> Dialog:
    fake.forms["usine-vivante/CrowdFunding/cuve-inox"] = Form([2000] * 250)  # 250 orders of 20 €: three pages of 100
    fake.accounts["ressourcerie"] = (300_000, 12, "EUR")
    camille, louise = Dialog(app, "camille", locale="en"), Dialog(app, "louise", locale="en")
    for who in (camille, louise):
        await who.say("lang en")
    await camille.say(f"campaign add dombes-brasserie donation 10 000 € {URL}")
    await louise.say("campaign add ressourcerie-creative donation 6 000 € https://opencollective.com/ressourcerie")
    assert "linked to HelloAsso" in await camille.say(f"campaign link dombes-brasserie helloasso {HA_PAGE}")
    assert "linked to Open Collective" in await louise.say(
        "campaign link ressourcerie-creative opencollective https://opencollective.com/ressourcerie")
    return camille


async def test_linked_campaigns_follow_their_platform_and_milestones_follow(linked, payments, clock):  # noqa: F811
    camille = await start_two(linked, payments)
    job = money_job(linked)
    counts, *_ = await job.tick()
    assert counts.read == 2 and counts.failed == 0
    brasserie, ressourcerie = await Campaign.all().order_by("id")
    assert (brasserie.raised, brasserie.backers) == (500_000, 250)  # every page of orders counted
    assert (ressourcerie.raised, ressourcerie.backers) == (300_000, 12)
    assert payments.requests["helloasso"] == 4  # a token, then three pages
    assert brasserie.milestone == 50 and await NewsItem.filter(text__startswith="🎯").count() == 2
    shown = await camille.say("campaign dombes-brasserie")
    assert "Amount read on HelloAsso just now." in shown and "250 backers" in shown
    assert "The amount of Brasserie de la Dombes is read on its platform" in await camille.say(
        "campaign progress dombes-brasserie 9 000 €")

    clock.now += timedelta(minutes=10)  # not due yet: nothing asked
    before = dict(payments.requests)
    assert (await job.tick())[0].read == 0 and payments.requests == before
    assert "Amount read on HelloAsso 10 minutes ago." in await camille.say("campaign dombes-brasserie")

    payments.forms["usine-vivante/CrowdFunding/cuve-inox"].orders.extend([5000] * 100)  # 1 million cents: the goal
    clock.now += timedelta(minutes=25)  # the token (1800 s) expired on Relais' clock: refreshed, not asked again
    assert (await job.tick())[0].read == 2
    brasserie = await Campaign.get(id=brasserie.id)
    assert (brasserie.raised, brasserie.backers, brasserie.milestone) == (1_000_000, 350, 100)
    assert payments.grants == ["client_credentials", "refresh_token"]
    assert await NewsItem.filter(text__startswith="🎉").count() == 1


async def test_errors_are_backed_off_and_a_form_gone_is_said(linked_sqlite, payments, clock, caplog):  # noqa: F811
    app = linked_sqlite
    caplog.set_level(logging.DEBUG)
    camille = await start_two(app, payments)
    job = money_job(app)
    sync = app.services.money
    payments.fail("helloasso", 429)
    payments.fail("opencollective", 503)
    counts, *_ = await job.tick()
    assert (counts.read, counts.failed, counts.limited) == (0, 2, 1)
    ha, oc = await CampaignLink.all().order_by("id")
    assert (ha.error, ha.failures, oc.error, oc.failures) == ("limited", 1, "failed", 1)
    assert ha.next_at == clock.now + sync.every  # the back-off starts at the usual pace (Retry-After was 2 minutes)

    payments.retry_after = 3 * 3600  # a Retry-After longer than the back-off wins
    clock.now += sync.every
    payments.fail("helloasso", 429)
    payments.fail("opencollective", 500)
    await job.tick()
    ha, oc = await CampaignLink.all().order_by("id")
    assert ha.next_at == clock.now + timedelta(hours=3) and (oc.failures, oc.next_at) == (2, clock.now + 2 * sync.every)

    clock.now += timedelta(hours=3)
    payments.expire_tokens()  # the server dropped its tokens: a 401, one new token, the same page again
    assert (await job.tick())[0].read == 2
    ha, oc = await CampaignLink.all().order_by("id")
    assert (ha.failures, ha.error, oc.failures) == (0, "", 0) and ha.read_at == clock.now
    assert (await Campaign.get(id=ha.campaign_id)).raised == 500_000

    del payments.forms["usine-vivante/CrowdFunding/cuve-inox"]  # the association deleted the form
    clock.now += sync.every
    counts, *_ = await job.tick()
    assert counts.gone == 1 and (await CampaignLink.get(id=ha.id)).next_at is None
    assert "where the form is no longer found" in await camille.say("campaign dombes-brasserie")
    assert (await Campaign.get(id=ha.campaign_id)).raised == 500_000  # as last read
    asked = payments.requests["helloasso"]
    clock.now += timedelta(days=2)
    await job.tick()
    assert payments.requests["helloasso"] == asked  # never asked again

    issued = list(payments.tokens) + list(payments.refresh_tokens)
    logged = "\n".join(f"{r.getMessage()} {r.__dict__}" for r in caplog.records)
    assert "campaign read failed" in logged and "campaign form gone" in logged  # the logs were captured
    for secret in (CLIENT_SECRET, OC_TOKEN, *issued):
        assert secret not in logged
    rows = "\n".join(str(r) for r in await CampaignLink.all().values())
    for secret in (CLIENT_SECRET, OC_TOKEN, *issued):
        assert secret not in rows


async def test_refused_credentials_are_backed_off_and_never_logged(tmp_path, clock, payments, caplog):  # noqa: F811
    caplog.set_level(logging.DEBUG)
    app = await money_app("sqlite", tmp_path, clock, payments, helloasso_client_secret="wrong-secret-never-logged",
                          opencollective_token="wrong-oc-token-never-logged")
    try:
        await start_two(app, payments)
        counts, *_ = await money_job(app).tick()
        assert (counts.read, counts.failed) == (0, 2)
        assert {link.error for link in await CampaignLink.all()} == {"unauthorized"}
        logged = "\n".join(f"{r.getMessage()} {r.__dict__}" for r in caplog.records)
        assert "unauthorized" in logged
        assert "wrong-secret-never-logged" not in logged and "wrong-oc-token-never-logged" not in logged
    finally:
        await app.stop()
