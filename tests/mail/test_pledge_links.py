"""Personal pledge links over real HTTP: a 302 to the campaign's stored page only, a visit counted once per
person and campaign and never as support (mail scanners open every link); tampered links get the invalid-link page;
the digest's campaign section links the reader's own pledge; a pledge asked by mail gets the link in the mail."""

from __future__ import annotations

import asyncio
import re
from datetime import date, timedelta

import aiohttp

from bot.adapters.console import ConsoleChat
from bot.services import demo
from bot.services.digest import Campaigns, Digest, Recipient, Week
from mail.digest import DigestRenderer, digest_links
from models import Account, Campaign, Community, Follow, OutboxMessage, Person, PledgeClick, Project, Role
from tests.mail.conftest import Relais

URL = "https://www.helloasso.com/associations/brasserie/collectes/cuve"


async def start(relais: Relais) -> Campaign:
    got = await ConsoleChat(relais.app.console, "camille").exchange(f"campagne ajouter dombes-brasserie don 12k {URL}")
    assert "Campagne lancée" in got
    return await Campaign.get()


async def test_a_personal_link_redirects_to_the_stored_page_and_counts_once(relais: Relais):
    await start(relais)
    got = await ConsoleChat(relais.app.console, "ana").exchange("soutenir dombes-brasserie")
    link = re.search(r"(http://127\.0\.0\.1:\d+/p/\S+)", got).group(1).rstrip(")")
    async with aiohttp.ClientSession() as http:
        for _ in range(3):
            async with http.get(link, allow_redirects=False) as answer:
                assert answer.status == 302 and answer.headers["Location"] == URL
        await asyncio.gather(*(http.get(link, allow_redirects=False) for _ in range(20)))
        async with http.get(link[:-3] + "abc", allow_redirects=False) as answer:  # tampered
            body = await answer.text()
            assert answer.status == 404 and "Location" not in answer.headers and "Ce lien ne fonctionne pas" in body
        async with http.get(link.replace("/p/", "/p/x"), allow_redirects=False) as answer:
            assert answer.status == 404
    assert await PledgeClick.all().count() == 1


async def test_a_pledge_by_mail_gets_the_link_and_the_digest_links_the_readers_own(relais: Relais):
    await start(relais)
    person = await relais.person_with_email("Jean", "jean@example.org", role=Role.OBSERVER)
    await relais.send("From: Jean <jean@example.org>\nSubject: soutenir\nMessage-ID: <p1@x>\n\nsoutenir dombes-brasserie 30 €\n",
                      mail_from="jean@example.org")
    [answer] = await relais.wait_mail(predicate=lambda m: m["In-Reply-To"] == "<p1@x>")
    text = answer.message.get_body(("plain",)).get_content()
    assert "Promesse enregistrée" in text and "/p/" in text
    account = await Account.get(person=person, platform="email")
    community = await Community.get(slug=demo.SLUG)
    now = relais.app.clock()
    week = Week(community, "2026-W48", now.replace(day=now.day - 7), now + timedelta(seconds=1), now.date(), date(2026, 11, 14), date(2026, 11, 20))
    provider = Campaigns()
    section = provider.section(await provider.prepare(week, {}), Recipient(person.id, "Jean", "fr", account.address))
    assert section is not None and section.fresh
    digest = Digest(Recipient(person.id, "Jean", "fr", account.address, account_id=account.id), community.slug, community.name,
                    week.key, [section], start=week.first_day, end=week.last_day)
    links = digest_links(await relais.mail.ready(), digest)
    _, text, html = DigestRenderer(relais.app.services.catalogs).render(digest, links)
    assert links.pledge("dombes-brasserie") in text and links.pledge("dombes-brasserie") in html
    async with aiohttp.ClientSession() as http:
        async with http.get(links.pledge("dombes-brasserie"), allow_redirects=False) as answer:
            assert answer.status == 302 and answer.headers["Location"] == URL
        async with http.get(links.pledge("ressourcerie-creative"), allow_redirects=False) as answer:
            assert answer.status == 404  # no running campaign there: never a redirect elsewhere
    assert await PledgeClick.filter(person_id=person.id).count() == 1


async def test_opening_a_pledge_link_is_a_visit_and_never_makes_a_backer(relais: Relais):
    """Jean's personal link and his digest's "Support" link are fetched (as a mail scanner does): two 302s and one
    visit, but at the close he is not thanked and not made a follower; only Ana, who promised, is a backer."""
    campaign = await start(relais)
    person = await relais.person_with_email("Jean", "jean@example.org", role=Role.OBSERVER)
    account = await Account.get(person=person, platform="email")
    community = await Community.get(slug=demo.SLUG)
    assert "Promesse enregistrée" in await ConsoleChat(relais.app.console, "ana").exchange("soutenir dombes-brasserie 30 €")
    now = relais.app.clock()
    week = Week(community, "2026-W48", now.replace(day=now.day - 7), now + timedelta(seconds=1), now.date(), date(2026, 11, 14), date(2026, 11, 20))
    provider = Campaigns()
    section = provider.section(await provider.prepare(week, {}), Recipient(person.id, "Jean", "fr", account.address))
    digest = Digest(Recipient(person.id, "Jean", "fr", account.address, account_id=account.id), community.slug, community.name,
                    week.key, [section], start=week.first_day, end=week.last_day)
    support = digest_links(await relais.mail.ready(), digest).pledge("dombes-brasserie")
    async with aiohttp.ClientSession() as http:
        for link in (relais.app.services.pledges.link_for(campaign, person), support):
            for _ in range(2):
                async with http.get(link, allow_redirects=False) as answer:
                    assert answer.status == 302 and answer.headers["Location"] == URL
    assert await PledgeClick.filter(person_id=person.id).count() == 1  # a visit, for the report
    got = await ConsoleChat(relais.app.console, "camille").exchange("campagne clore dombes-brasserie")
    assert "1 contributeur·rice remercié·e." in got  # Ana, who promised
    brasserie = await Project.get(slug="dombes-brasserie")
    assert not await Follow.filter(person=person, project=brasserie).exists()
    assert not await OutboxMessage.filter(kind="campaign", person_id=person.id).exists()
    ana = await Person.get(display_name="Ana")
    assert await OutboxMessage.filter(kind="campaign", person_id=ana.id).count() == 1
