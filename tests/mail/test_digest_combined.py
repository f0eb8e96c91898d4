"""One digest mail for a person in two communities: one section each, one send, each section's unsubscribe keeps the
other, the footer's one-click unsubscribe stops the whole mail; two runs at once send it once; `digest separate`."""

from __future__ import annotations

import asyncio
import re
from argparse import Namespace
from datetime import timedelta

import aiohttp

from bot.adapters.console import ConsoleChat
from bot.cli.digest import preview
from bot.services import demo
from bot.services.calendar import week_key
from bot.services.digest_run import DigestRunner
from models import Account, Community, DigestDelivery, DigestSubscription, Follow, Membership, NewsItem, Person, Project, Role
from tests.mail.conftest import Relais
from tests.mail.forms import press


async def two_communities(now) -> tuple[Community, Community, Person]:
    """Léa, an observer of the Usine (she follows a project there: it comes first) and of Solidons; news in both."""
    usine = await Community.get(slug=demo.SLUG)
    solidons = await Community.create(slug="solidons", name="Solidons", timezone="Europe/Paris", locale="fr")
    epicerie = await Project.create(community=solidons, slug="epicerie", title="Épicerie solidaire", summary="Une épicerie",
                                    created_at=now - timedelta(days=60))
    followed = await Project.filter(community=usine).order_by("id").first()
    assert followed is not None
    person = await Person.create(display_name="Léa")
    await Account.create(person=person, platform="email", address="lea@example.org", confirmed=True, preferred=True)
    for community in (usine, solidons):
        await Membership.create(person=person, community=community, role=Role.OBSERVER)
    await Follow.create(person=person, project=followed)
    await NewsItem.create(project=followed, text="Les murs sont peints.", platform="console", created_at=now - timedelta(days=2))
    await NewsItem.create(project=epicerie, text="Ouverture du rayon vrac.", platform="console", created_at=now - timedelta(days=2))
    return usine, solidons, person


def week(app, community: Community) -> str:
    return week_key(app.clock().date())


async def test_one_mail_for_two_communities_and_each_unsubscribe(relais: Relais, capsys):
    app, now = relais.app, relais.clock()
    usine, solidons, lea = await two_communities(now)
    # `relais digest preview`: the one mail, its text on standard output and its HTML in a file.
    html_file = relais.tmp / "preview.html"
    assert await preview(app, Namespace(account="email:lea@example.org", community=None, force=False, html=str(html_file))) == 0
    shown = capsys.readouterr().out.replace("\u202f", " ")
    assert shown.startswith("Subject: Votre semaine : Tiers-lieu de l'Usine Vivante, Solidons\nTo: lea@example.org\n")
    assert "Ouverture du rayon vrac." in shown and "/d/alloff." in shown and "Solidons" in html_file.read_text()
    runner = await app.digest_runner()
    counts = await runner.run(usine, now, week(app, usine), exact=True)
    assert (counts.sent, counts.combined) == (1, 1)  # Léa only: the demo's people get no digest (none confirmed by mail)
    mails = relais.sink.received_by("lea@example.org")
    assert len(mails) == 1
    message = mails[0].message
    assert str(message["Subject"]).replace("\u202f", " ") == "Votre semaine : Tiers-lieu de l'Usine Vivante, Solidons"
    text = message.get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert text.count("\nTiers-lieu de l'Usine Vivante\n") == 1 and text.count("\nSolidons\n") == 1
    assert text.index("Tiers-lieu de l'Usine Vivante\n") < text.index("Solidons\n")  # her order of activity
    assert "Les murs sont peints." in text and "Ouverture du rayon vrac." in text
    offs = re.findall(r"\S+/d/off\.\S+", text)
    assert len(offs) == 2 and "usine-vivante" in offs[0] and "solidons" in offs[1]
    whole = re.search(r"<(\S+/d/alloff\.\S+)>", message["List-Unsubscribe"]).group(1)
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click" and whole in text
    html = message.get_body(("html",)).get_content()
    assert "Solidons" in html and "Ouverture du rayon vrac." in html and "/d/alloff." in html
    rows = {(r.community_id, r.status) for r in await DigestDelivery.filter(person=lea)}
    assert rows == {(usine.id, "sent"), (solidons.id, "sent")}
    assert all(r.period_end is not None for r in await DigestDelivery.filter(person=lea))

    # Solidons' own run that week: Léa's part went in the one mail already.
    counts = await runner.run(solidons, now, week(app, solidons), exact=True)
    assert (counts.sent, counts.joined) == (0, 1)
    assert len(relais.sink.received_by("lea@example.org")) == 1

    async with aiohttp.ClientSession() as http:
        status, body = await press(http, offs[1])  # Solidons' section: that community only
        assert status == 200 and "Plus de lettre" in body, body
        assert await DigestSubscription.filter(person=lea, community=solidons, enabled=False).exists()
        assert not await DigestSubscription.filter(person=lea, community=usine, enabled=False).exists()
        async with http.post(whole, data="List-Unsubscribe=One-Click",
                             headers={"Content-Type": "application/x-www-form-urlencoded"}) as answer:
            assert answer.status == 200, await answer.text()
    assert await DigestSubscription.filter(person=lea, enabled=False).count() == 2


class Recorder:
    """Counts what would go out; the claims under test are the real ones, on SQLite and PostgreSQL."""

    def __init__(self):
        self.single: list[str] = []
        self.combined: list[list[str]] = []

    async def send(self, digest) -> str:
        await asyncio.sleep(0)
        self.single.append(digest.community_slug)
        return f"<{len(self.single)}@test>"

    async def send_combined(self, mail) -> str:
        await asyncio.sleep(0)
        self.combined.append([dg.community_slug for dg in mail.digests])
        return f"<c{len(self.combined)}@test>"


async def test_two_runs_at_once_send_the_one_mail_once_and_separate_keeps_two(any_app, clock):
    app = any_app
    now = clock()
    usine, solidons, lea = await two_communities(now)
    recorder = Recorder()
    runners = [DigestRunner(recorder, app.services.digest, app.clock) for _ in range(2)]
    results = await asyncio.gather(*(r.run(usine, now, week(app, usine), only=[lea.id], exact=True) for r in runners))
    assert recorder.combined == [[demo.SLUG, "solidons"]] and recorder.single == []
    assert sum(c.sent for c in results) == 1 and sum(c.already + c.elsewhere for c in results) == 1
    assert await DigestDelivery.filter(person=lea, status="sent").count() == 2

    # Later, apart: one mail per community, each from its own run (Solidons' part stood for its next Monday's digest).
    clock.now = now + timedelta(days=14)
    later = clock()
    await NewsItem.create(project=await Project.get(slug="epicerie"), text="Vrac encore.", platform="console",
                          created_at=later - timedelta(days=1))
    answer = await ConsoleChat(app.console, "lea").exchange("lettre séparée")
    await app.services.digest.set_separate(lea.id, True)
    for community in (usine, solidons):
        await runners[0].run(community, later, week(app, community), only=[lea.id], exact=True)
    assert recorder.combined == [[demo.SLUG, "solidons"]] and recorder.single == ["solidons"]
    assert "courriels séparés" in answer
