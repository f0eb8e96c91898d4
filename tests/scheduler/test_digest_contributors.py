"""The weekly digest's ideas and help wanted, sent by the scheduler through a real SMTP sink and parsed back: each open idea
with the reader's one-click signed support link (followed over HTTP: its page, then its button, supports once), and the
projects' open needs and the projects looking for a referent."""

from __future__ import annotations

import asyncio
import re
from datetime import datetime, timedelta, timezone
from html import unescape

import aiohttp
import time_machine

from bot.app import App
from bot.config import Settings
from bot.services.digest import Recipient, Week
from bot.services.digest_contrib import IdeasSection, NeedsSection
from models import Account, Community, Follow, IdeaSupport, Membership, Person, Project, Role
from tests.conftest import database_url
from tests.mail.forms import press
from tests.peers.smtp_sink import free_port

MONDAY = datetime(2026, 11, 23, 7, 30, tzinfo=timezone.utc)  # 08:30 in Paris


async def member(community: Community, name: str, role: Role, email: bool = True) -> Person:
    person = await Person.create(display_name=name)
    if email:
        await Account.create(person=person, platform="email", address=f"{name.lower()}@example.org", confirmed=True)
    await Membership.create(person=person, community=community, role=role)
    return person


async def test_the_digest_shows_ideas_with_a_support_link_and_the_help_wanted(tmp_path, sink):  # noqa: F811
    port = free_port()
    with time_machine.travel(MONDAY - timedelta(days=10), tick=False):
        settings = Settings(data_dir=tmp_path, database_url=database_url("sqlite", tmp_path), log_format="text",
                            sections={"smtp": {"url": f"smtp://127.0.0.1:{sink.port}"}, "mail": {"domain": "relais.test", "listen": ""},
                                      "web": {"public_url": f"http://127.0.0.1:{port}", "web_listen": f"127.0.0.1:{port}"}})
        app = App(settings)
        await app.start()
        paris = await Community.create(slug="paris", name="Paris", timezone="Europe/Paris", locale="fr")
        jardin = await Project.create(community=paris, slug="jardin", title="Jardin", status="active")
        await Project.create(community=paris, slug="verger", title="Verger")
        nina = await member(paris, "Nina", Role.REFERENT, email=False)
        await jardin.referents.add(nina)
        lea = await member(paris, "Lea", Role.OBSERVER)
        await Follow.create(person=lea, project=jardin)
    with time_machine.travel(MONDAY - timedelta(days=2), tick=False):
        await app.services.ideas.propose(paris, nina, "Un four à pain", "Un four partagé au village")
        await app.services.needs.post(paris, jardin, nina, "des bras pour planter les haies", None)
    stop = asyncio.Event()
    with time_machine.travel(MONDAY, tick=True):
        serving = asyncio.create_task(app.serve(stop))  # the scheduler's first look sends the digest
        try:
            # Lea follows the garden: its need came to her by mail already; the digest is the mail of the week.
            received, = await asyncio.to_thread(sink.wait_for, 1, 10.0, lambda m: "semaine" in str(m.message["Subject"]))
            plain = received.message.get_body(("plain",)).get_content().replace("\r\n", "\n")
            html = received.message.get_body(("html",)).get_content()
            assert "1 nouvelle idée" in plain and "1 nouvel appel à l'aide" in plain
            assert "LES IDÉES DE LA COMMUNAUTÉ" in plain
            assert "idée 1 · Un four à pain (tout juste proposée) — 0 appui — proposée par Nina" in plain
            support = re.search(r"L'appuyer \(\+1\)\u202f: (\S+/d/back\.\S+)", plain).group(1)
            assert f'href="{support}"' in html and "💡 Un four à pain" in html
            assert "ON CHERCHE DE L'AIDE" in plain
            assert "Jardin · besoin 1 — des bras pour planter les haies (nouveau)" in plain
            assert "je peux aider 1" in plain and "Projets qui cherchent un·e référent·e\u202f: Verger" in plain
            async with aiohttp.ClientSession() as http:
                async with http.get(support) as page:  # a link scanner's GET changes nothing
                    body = await page.text()
                    assert page.status == 200 and "Appuyer l'idée « Un four à pain »\u202f?" in unescape(body)
                assert not await IdeaSupport.exists()
                status, done = await press(http, support)
                assert status == 200 and "Vous appuyez l'idée 1\u202f: Un four à pain." in unescape(done)
                _, again = await press(http, support)
                assert "Vous appuyez déjà l'idée 1." in unescape(again)  # once each
            assert await IdeaSupport.filter(person=lea).count() == 1
        finally:
            stop.set()
            await serving
            await app.stop()


async def test_a_reader_who_supports_an_idea_gets_no_link_for_it_and_needs_of_followed_projects_come_first(app):
    community = await Community.get(slug="usine-vivante")
    now = app.clock()
    week = Week(community, "2026-W48", now - timedelta(days=7), now + timedelta(minutes=1), now.date(), now.date(), now.date())
    ana = await Person.get(id=(await Account.get(platform="console", address="ana")).person_id)
    camille = await Person.get(id=(await Account.get(platform="console", address="camille")).person_id)
    idea, _ = await app.services.ideas.propose(community, camille, "Une grainothèque", "")
    await app.services.ideas.support(idea, ana)
    mehdi = await Person.get(id=(await Account.get(platform="console", address="mehdi")).person_id)
    await app.services.needs.post(community, await Project.get(slug="conciergerie-rurale"), mehdi, "un local", None)
    await app.services.needs.post(community, await Project.get(slug="dombes-brasserie"), camille, "une camionnette", None)
    ideas, needs = IdeasSection(), NeedsSection()
    reader = Recipient(ana.id, "Ana", "fr", "ana@example.org", follows={(await Project.get(slug="dombes-brasserie")).id})
    section = ideas.section(await ideas.prepare(week, {}), reader)
    assert section is not None and section.data.supported == frozenset({1}) and section.fresh
    author = ideas.section(await ideas.prepare(week, {}), Recipient(camille.id, "Camille", "fr", "c@example.org"))
    assert author is not None and author.data.own == frozenset({1})
    helped = needs.section(await needs.prepare(week, {}), reader)
    assert helped is not None and [n.text for n in helped.data.needs] == ["une camionnette", "un local"]  # followed first
    assert ("creche-interentreprises", "Crèche inter-entreprises") in helped.data.orphans
