"""Pledge campaigns, driven like transcripts: a campaign started, personal links, promises, progress and its
milestones as news, the countdown, the close and its thank-you (to those who promised: opening a link is a visit);
bad input answered and nothing stored."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.adapters.console import ConsoleChat
from bot.core.replies import LinkButton, Progress, Reply
from bot.services.pledges import money, read_amount
from models import Campaign, Follow, NewsItem, OutboxMessage, PledgeClick, Project, ProjectStatus, Promise
from scheduler.jobs import CampaignsJob
from tests.conftest import Dialog

URL = "https://www.helloasso.com/associations/brasserie/collectes/cuve"


async def person(name: str):
    from models import Account, Person
    return await Person.get(id=(await Account.get(platform="console", address=name)).person_id)


async def notes(app, name: str) -> list[str]:
    await app.delivery.drain()
    return await ConsoleChat(app.console, name).unseen()


@pytest.mark.parametrize("text, cents", [
    ("12 000 €", 1_200_000), ("12,000", 1_200_000), ("12k", 1_200_000), ("12000", 1_200_000), ("1 234,50", 123_450),
    ("1,234.50", 123_450), ("4.8k", 480_000), ("12,5", 1250), ("12.000", 1_200_000), ("12\u202f000\u00a0€", 1_200_000),
    ("50 euros", 5000), ("1.234.567,89", 123_456_789), ("480 030", 48_003_000), ("4 800,50 €", 480_050),
])
def test_amounts_written_the_french_or_the_english_way(text, cents):
    assert read_amount(text) == cents


@pytest.mark.parametrize("text", ["-5", "douze", "0", "12,,0k", "€", "1e9", "4800 30", "4 80", "12 3456", "1 234 56"])
def test_what_is_not_an_amount_is_refused(text):
    from bot.core.errors import UserError
    with pytest.raises(UserError):
        read_amount(text)


def test_money_reads_as_each_language_writes_it():
    assert money(1_200_000, "EUR", "fr").replace("\u202f", " ").replace("\u00a0", " ") == "12 000 €"
    assert money(1_200_000, "EUR", "en") == "€12,000" and money(123_450, "EUR", "en") == "€1,234.50"


async def test_a_campaign_started_shown_pledged_and_promised(app):
    camille, ana = Dialog(app, "camille", locale="en"), Dialog(app, "ana", locale="en")
    await camille.say("lang en")
    await ana.say("lang en")
    got = await camille.say(f"campaign add dombes-brasserie donation 12 000 € {URL} until 20 december")
    assert "Campaign started for Brasserie de la Dombes: €12,000 to raise." in got
    assert "0% — 0 € / 12,000 €" in got.replace("\u202f", " "), got
    assert (await Project.get(slug="dombes-brasserie")).status == ProjectStatus.FUNDING
    got = await ana.say("pledge dombes-brasserie")
    assert "Your own link to support Brasserie de la Dombes:" in got and "/p/" in got and "29 days left" in got
    got = await ana.say("pledge dombes-brasserie 50 €")
    assert "Promise recorded: €50." in got and "Promised: €50 by 1 person, not counted in the amount raised." in got
    assert "Promise changed to €80." in await ana.say("pledge dombes-brasserie 80")
    assert await Promise.all().values_list("amount", flat=True) == [8000]
    assert "Your promise is withdrawn." in await ana.say("pledge dombes-brasserie withdraw")
    assert not await Promise.exists()
    assert "Brasserie de la Dombes" in await ana.say("campaigns")


async def test_progress_milestones_become_news_once_and_the_close_thanks_the_backers(app):
    camille = Dialog(app, "camille", locale="en")
    await camille.say("lang en")
    await camille.say(f"campaign add dombes-brasserie donation 10k {URL}")
    campaign = await Campaign.get()
    ana = await person("ana")
    jules = await person("jules")
    louise = await person("louise")  # follows the brasserie no more than Jules does
    await app.services.pledges.visit(campaign.id, louise.id)
    await app.services.pledges.visit(campaign.id, louise.id)  # counted once
    await app.services.pledges.promise(campaign, jules, 2000)
    got = await camille.say("campaign progress dombes-brasserie 5 200 € 41")  # 25 % and 50 % at once: asked first
    assert "from 0 % to 52 % of its goal at once" in got and "With 41 backers." in got and "Nothing is recorded" in got
    assert (await Campaign.get()).raised == 0 and not await NewsItem.filter(platform="relais").exists()
    got = await camille.say("1")
    assert "50 % reached: posted as news to the followers." in got and "41 backers" in got
    milestones = NewsItem.filter(platform="relais")
    assert await milestones.values_list("text", flat=True) == ["🎯 50\u202f% de l'objectif de la campagne\u202f: 5\u202f200\u00a0€ sur 10\u202f000\u00a0€."]
    await camille.say("campaign progress dombes-brasserie 5 300 € 42")
    assert await milestones.count() == 1  # no milestone twice
    assert "from 53 % to 105 %" in await camille.say("campaign progress dombes-brasserie 10 500 €")
    await camille.say("1")
    assert await milestones.count() == 2 and "atteint son objectif" in (await NewsItem.filter(platform="relais").order_by("-id").first()).text
    assert await PledgeClick.filter(campaign_id=campaign.id).count() == 1  # a visit, for the report
    got = await camille.say("campaign close dombes-brasserie")
    assert "The campaign of Brasserie de la Dombes is closed." in got and "1 backer thanked." in got
    assert (await Project.get(slug="dombes-brasserie")).status == ProjectStatus.ACTIVE
    assert await Follow.filter(person_id=jules.id, project__slug="dombes-brasserie").exists()  # now a follower
    assert any("Merci d'avoir soutenu" in n for n in await notes(app, "jules"))
    # Louise only opened her link (a mail scanner does as much): no thanks, and she does not follow the project.
    assert not await Follow.filter(person_id=louise.id, project__slug="dombes-brasserie").exists()
    assert not any("Merci d'avoir soutenu" in n for n in await notes(app, "louise"))
    assert not any(p.id in (ana.id, louise.id) for p in await app.services.pledges.backers_of(campaign))
    await camille.say("campaign close dombes-brasserie")
    assert await OutboxMessage.filter(kind="campaign").count() == 1  # thanked once


async def test_an_amount_and_its_backers_run_together_are_refused_and_a_jump_is_asked_about(app):
    """`campagne avance alpha 4800 30` once published « 100 % atteints » for 480 030 €: now it is no amount, and an
    update far beyond the goal is shown back before anything goes out."""
    camille = Dialog(app, "camille")
    await camille.say(f"campagne ajouter dombes-brasserie don 12 000 € {URL}")
    got = await camille.say("campagne avance dombes-brasserie 4800 30")
    assert "« 4800 30 » n'est pas un montant" in got and "/campagne avance dombes-brasserie 4 800 € 30" in got
    assert (await Campaign.get()).raised == 0
    got = await camille.say("campagne avance dombes-brasserie 48 000 €")
    assert "400\u202f% de l'objectif" in got and "Rien n'est enregistré" in got
    got = await camille.say("2")  # typed again instead
    assert (await Campaign.get()).raised == 0 and not await NewsItem.filter(platform="relais").exists()
    got = await camille.say("campagne avance dombes-brasserie 4 800 € 30")  # one milestone: no question
    assert "Noté pour Brasserie de la Dombes." in got and "25\u202f% atteints" in got
    assert ((await Campaign.get()).raised, (await Campaign.get()).backers) == (480_000, 30)


async def test_bad_input_is_answered_and_nothing_is_stored(app):
    camille, ana = Dialog(app, "camille", locale="en"), Dialog(app, "ana", locale="en")
    await camille.say("lang en")
    await ana.say("lang en")
    await camille.check(
        (f"campaign add dombes-brasserie gift 100 {URL}", "Say what kind of campaign"),
        ("campaign add dombes-brasserie donation 100 ftp://example.org/x", "is not a web address"),
        ("campaign add dombes-brasserie donation 100 javascript://alert(1)", "is not a web address"),
        (f"campaign add dombes-brasserie donation -100 {URL}", "is not an amount"),
        (f"campaign add dombes-brasserie donation {URL}", "Give the goal before the address"),
        (f"campaign add dombes-brasserie donation 100 {URL} until 3 march 2020", "is in the past"),
        ("campaign add conciergerie-rurale donation 100 https://x.org", "Only the referents of Conciergerie rurale"),
    )
    assert not await Campaign.exists()
    await camille.say(f"campaign add dombes-brasserie loan 20k {URL} 2 % over 5 years")
    await camille.check((f"campaign add dombes-brasserie donation 100 {URL}", "already has a running campaign"))
    await ana.check(("pledge dombes-brasserie lots", "is not an amount"),
                    ("pledge ressourcerie-creative", "has no running campaign"),
                    ("campaign progress dombes-brasserie 100", "Only the referents of Brasserie de la Dombes"))
    assert await Campaign.all().count() == 1 and not await Promise.exists()
    got = await camille.say("campaign close dombes-brasserie")
    assert "Tell the lenders about repayments" in got
    await ana.check(("pledge dombes-brasserie 10", "The campaign of Brasserie de la Dombes is closed."))
    assert "Repayment news posted" in await camille.say("campaign repayment dombes-brasserie First repayment sent.")
    assert "Terms: 2 % over 5 years" in await camille.say("campaign dombes-brasserie")


async def test_the_countdown_reaches_followers_who_have_not_pledged_once_per_step(app, clock):
    camille = Dialog(app, "camille", locale="en")
    await camille.say(f"campagne ajouter dombes-brasserie don 12k {URL} jusqu'au 28 novembre")
    campaign = await Campaign.get()
    ana, mehdi = await person("ana"), await person("mehdi")  # both follow the brasserie
    await app.services.pledges.promise(campaign, mehdi, 1500)
    await app.services.pledges.visit(campaign.id, ana.id)  # opening her link is not a promise
    job = CampaignsJob(app.services)
    assert await job.tick() == 1  # 7 days left: Ana, not Mehdi who promised
    assert await job.tick() == 0
    clock.now += timedelta(days=5)
    assert await job.tick() == 1  # 2 days left
    clock.now += timedelta(days=2)
    assert await job.tick() == 1  # the last day
    clock.now += timedelta(days=1)
    assert await job.tick() == 0
    sent = [Reply.from_dict(m.payload) for m in await OutboxMessage.filter(kind="campaign", person_id=ana.id).order_by("id")]
    assert len(sent) == 3 and all(r.elements(Progress) and r.elements(LinkButton) for r in sent)
    assert not await OutboxMessage.filter(kind="campaign", person_id=mehdi.id).exists()


async def test_a_campaign_page_is_https_on_a_public_host(talk):
    """Every member gets the campaign's address as a link: never plain http, a loopback, private or link-local host."""
    camille = talk("camille", locale="en")
    await camille.say("lang en")
    for url in ("http://www.helloasso.com/x", "https://127.0.0.1/x", "https://localhost/x", "https://10.0.0.8/x",
                "https://192.168.1.2/x", "https://169.254.169.254/latest", "https://[::1]/x", "https://intranet/x",
                "https://files.local/x", "https://user:pw@www.helloasso.com/x", "ftp://www.helloasso.com/x"):
        got = await camille.say(f"campaign add dombes-brasserie donation 1000 {url}")
        assert "Campaign started" not in got and ("public host" in got or "secure" in got or "not a web address" in got), (url, got)
    assert "Campaign started" in await camille.say(f"campaign add dombes-brasserie donation 1000 {URL}")
    got = await camille.say("campaign progress dombes-brasserie 400 € ²")
    assert "Something went wrong" not in got
