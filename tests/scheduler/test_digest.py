"""The weekly digest with a fixed clock: due times, late starts, empty weeks, order, languages, real SMTP."""

from __future__ import annotations

import logging
import re
from datetime import datetime, timedelta, timezone

import pytest
import time_machine

from bot.app import App
from bot.config import Settings
from models import Account, Community, Follow, JobRun, Membership, NewsItem, NextStep, Person, Project, Role
from scheduler.jobs import DigestJob
from tests.conftest import database_url

UTC = timezone.utc
MONDAY = datetime(2026, 11, 23, 7, 30, tzinfo=UTC)  # 08:30 in Paris


def at(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.fixture
async def mail_app(tmp_path, sink):  # noqa: F811
    with time_machine.travel(MONDAY - timedelta(days=10), tick=False):
        settings = Settings(data_dir=tmp_path, database_url=database_url("sqlite", tmp_path), log_format="text",
                            sections={"smtp": {"url": f"smtp://127.0.0.1:{sink.port}"},
                                      "mail": {"domain": "relais.test"}, "web": {"public_url": "http://links.test"}})
        app = App(settings)
        await app.start()
    yield app
    await app.stop()


async def community(slug: str, tz: str = "Europe/Paris", locale: str = "fr") -> Community:
    return await Community.create(slug=slug, name=slug.title(), timezone=tz, locale=locale)


async def observer(community: Community, name: str, locale: str | None = None, role: Role = Role.OBSERVER,
                   follows: tuple[Project, ...] = ()) -> Person:
    person = await Person.create(display_name=name, locale=locale)
    await Account.create(person=person, platform="email", address=f"{name.lower()}@example.org", confirmed=True)
    await Membership.create(person=person, community=community, role=role)
    for project in follows:
        await Follow.create(person=person, project=project)
    return person


async def project(community: Community, slug: str, title: str) -> Project:
    return await Project.create(community=community, slug=slug, title=title, summary=f"About {title}")


def job(app: App) -> DigestJob:
    return DigestJob(app.digest_runner, app.services, app.clock)


def texts(sink, address):  # noqa: F811
    out = []
    for received in sink.received_by(address):
        plain = received.message.get_body(("plain",)).get_content()
        out.append(plain.replace("\r\n", "\n"))
    return out


async def test_each_community_gets_its_digest_at_its_own_local_time(mail_app, sink):  # noqa: F811
    with time_machine.travel(MONDAY - timedelta(days=10), tick=False):
        paris, montreal = await community("paris"), await community("montreal", "America/Montreal", "en")
        p1, p2 = await project(paris, "jardin", "Jardin"), await project(montreal, "garden", "Garden")
        await observer(paris, "Lea", follows=(p1,))
        await observer(montreal, "Sam", follows=(p2,))
    with time_machine.travel(MONDAY - timedelta(days=2), tick=False):
        await NewsItem.create(project=p1, text="Les semis sont faits")
        await NewsItem.create(project=p2, text="Seeds are in")
    with time_machine.travel(at(2026, 11, 23, 6, 59), tick=False):  # 07:59 in Paris
        assert await job(mail_app).tick() == []
    # At that first look, last week was more than a day late for both: skipped, nothing sent.
    assert await JobRun.filter(status="skipped").count() == 2
    j = job(mail_app)
    with time_machine.travel(MONDAY, tick=False):
        assert await j.tick() == ["digest:paris:2026-W48"]
        assert await j.tick() == []
    sink.wait_for(1)
    assert [m.rcpt_tos for m in sink.messages] == [("lea@example.org",)]
    with time_machine.travel(at(2026, 11, 23, 13, 0, 30), tick=False):  # 08:00 in Montréal
        assert await j.tick() == ["digest:montreal:2026-W48"]
    sink.wait_for(2)
    assert "Seeds are in" in texts(sink, "sam@example.org")[0]
    runs = await JobRun.filter(key__endswith="W48").order_by("id").values_list("key", "status", "detail")
    assert runs == [("digest:paris:2026-W48", "done", {"sent": 1, "empty": 0, "already": 0, "failed": 0, "unsettled": 0}),
                    ("digest:montreal:2026-W48", "done", {"sent": 1, "empty": 0, "already": 0, "failed": 0, "unsettled": 0})]


async def test_a_time_skipped_by_daylight_saving_fires_at_the_first_minute_after_it(mail_app, sink):  # noqa: F811
    with time_machine.travel(at(2027, 3, 20, 12), tick=False):
        paris = await community("paris")
        p = await project(paris, "jardin", "Jardin")
        await observer(paris, "Lea", follows=(p,))
        await mail_app.services.schedules.set(paris.id, weekday=6, hour=2, minute=30)  # Sunday 02:30, which 2027-03-28 skips
    with time_machine.travel(at(2027, 3, 25, 12), tick=False):
        await NewsItem.create(project=p, text="Printemps")
    j = job(mail_app)
    with time_machine.travel(at(2027, 3, 28, 0, 59, 30), tick=False):  # 01:59:30 CET
        assert await j.tick() == []
    with time_machine.travel(at(2027, 3, 28, 1, 0, 30), tick=False):  # 03:00:30 CEST
        assert await j.tick() == ["digest:paris:2027-W12"]
    sink.wait_for(1)


async def test_late_start_sends_within_24_hours_and_skips_beyond(mail_app, sink, caplog):  # noqa: F811
    with time_machine.travel(MONDAY - timedelta(days=3), tick=False):
        paris = await community("paris")
        p = await project(paris, "jardin", "Jardin")
        await observer(paris, "Lea", follows=(p,))
        await NewsItem.create(project=p, text="Les semis sont faits")
    with time_machine.travel(at(2026, 11, 23, 20, 0), tick=False):  # 13 hours late: still sent
        assert await job(mail_app).tick() == ["digest:paris:2026-W48"]
    sink.wait_for(1)
    with time_machine.travel(at(2026, 11, 28, 12), tick=False):
        await NewsItem.create(project=p, text="Récolte")
    with caplog.at_level(logging.WARNING, logger="relais.scheduler"):
        with time_machine.travel(at(2026, 12, 1, 8, 0), tick=False):  # due 30 Nov 07:00 UTC: 25 hours late
            assert await job(mail_app).tick() == []
    assert await JobRun.get(key="digest:paris:2026-W49").values_list("status", flat=True) == "skipped"
    assert any(r.getMessage() == "digest week skipped: too late" for r in caplog.records)
    assert len(sink.messages) == 1


async def test_a_digest_with_nothing_new_is_not_sent(mail_app, sink):  # noqa: F811
    with time_machine.travel(MONDAY - timedelta(days=30), tick=False):
        paris = await community("paris")
        p = await project(paris, "jardin", "Jardin")
        await NewsItem.create(project=p, text="Vieille nouvelle")
        await NextStep.create(project=p, text="Arroser", due=(MONDAY - timedelta(days=20)).date())
        await observer(paris, "Lea", follows=(p,))
    with time_machine.travel(MONDAY, tick=False):
        assert await job(mail_app).tick() == ["digest:paris:2026-W48"]
    assert await JobRun.get(key="digest:paris:2026-W48").values_list("detail", flat=True) == {
        "sent": 0, "empty": 1, "already": 0, "failed": 0, "unsettled": 0}
    assert sink.messages == []


async def test_followed_projects_come_first_then_the_others_then_new_ones_in_each_language(mail_app, sink):  # noqa: F811
    with time_machine.travel(MONDAY - timedelta(days=30), tick=False):
        paris = await community("paris")
        jardin, four = await project(paris, "jardin", "Jardin partagé"), await project(paris, "four", "Four à pain")
        await observer(paris, "Lea", follows=(four,))
        tom = await observer(paris, "Tom", locale="en", follows=(jardin,))
        await observer(paris, "Max", role=Role.MEMBER, follows=(jardin,))  # a member who did not opt in
        await NextStep.create(project=four, text="Allumer le four", due=(MONDAY - timedelta(days=2)).date())
    with time_machine.travel(MONDAY - timedelta(days=2), tick=False):
        await NewsItem.create(project=jardin, text="Les tomates sont mûres")
        await NewsItem.create(project=four, text="Première fournée")
        await Follow.create(person=tom, project=await project(paris, "ruche", "Ruche"))
    with time_machine.travel(MONDAY, tick=False):
        await job(mail_app).tick()
    sink.wait_for(2)
    lea, = texts(sink, "lea@example.org")
    assert lea.index("LES PROJETS QUE VOUS SUIVEZ") < lea.index("Four à pain") < lea.index("LES AUTRES PROJETS DE LA COMMUNAUTÉ") \
        < lea.index("Jardin partagé") < lea.index("NOUVEAUX PROJETS") < lea.index("Ruche")
    assert "Première fournée" in lea and "Allumer le four" in lea and "⚠ En retard\u202f: prévue pour le samedi 21 novembre 2026" in lea
    # Only the project created this week is new; an old one is not, followed or not.
    assert lea.count("— nouveau projet") == 1 and "Ruche (idée) — nouveau projet" in lea
    assert "Cette semaine\u202f: 1 nouvelle dans les projets que vous suivez, 1 prochaine étape en retard, " \
           "1 nouvelle dans les autres projets et 1 nouveau projet." in lea
    tom, = texts(sink, "tom@example.org")
    assert tom.index("THE PROJECTS YOU FOLLOW") < tom.index("Les tomates sont mûres") < tom.index("THE COMMUNITY'S OTHER PROJECTS")
    assert "Hello Tom," in tom and "Bonjour Lea," in lea and "Week of November 16 to 22, 2026" in tom
    # Tom follows Ruche, created this week: it is among the projects he follows, not marked new, and not listed again.
    assert tom.index("Ruche") < tom.index("THE COMMUNITY'S OTHER PROJECTS") and "new project" not in tom
    assert sink.received_by("max@example.org") == []


async def test_the_week_summary_is_posted_in_bound_rooms_when_asked(mail_app, sink):  # noqa: F811
    from models import ChatBinding, ConsoleInbox

    with time_machine.travel(MONDAY - timedelta(days=30), tick=False):
        paris = await community("paris")
        p = await project(paris, "jardin", "Jardin")
        await observer(paris, "Lea", follows=(p,))
        await ChatBinding.create(platform="console", chat_id="#cafe", community=paris)
        await mail_app.services.schedules.set(paris.id, room_summary=True)
    with time_machine.travel(MONDAY - timedelta(days=1), tick=False):
        await NewsItem.create(project=p, text="Les semis sont faits")
    with time_machine.travel(MONDAY, tick=False):
        await job(mail_app).tick()
        await job(mail_app).tick()  # a second look posts nothing twice
        assert await mail_app.delivery.drain() == 1
    room, = await ConsoleInbox.filter(address="#cafe").values_list("text", flat=True)
    assert "Paris\u202f: semaine du 16 au 22 novembre" in room and "Jardin — Les semis sont faits" in room


async def test_the_mail_has_its_headers_both_parts_and_links_that_work_over_http(tmp_path, sink):  # noqa: F811
    import asyncio

    import aiohttp

    from models import DigestSubscription
    from tests.mail.forms import press, press_on
    from tests.peers.smtp_sink import free_port

    port = free_port()
    with time_machine.travel(MONDAY - timedelta(days=10), tick=False):
        settings = Settings(data_dir=tmp_path, database_url=database_url("sqlite", tmp_path), log_format="text",
                            sections={"smtp": {"url": f"smtp://127.0.0.1:{sink.port}"}, "mail": {"domain": "relais.test", "listen": ""},
                                      "web": {"public_url": f"http://127.0.0.1:{port}", "web_listen": f"127.0.0.1:{port}"}})
        app = App(settings)
        await app.start()
        paris = await community("paris")
        jardin, four = await project(paris, "jardin", "Jardin"), await project(paris, "four", "Four")
        lea = await observer(paris, "Lea", follows=(jardin,))
    with time_machine.travel(MONDAY - timedelta(days=1), tick=False):
        await NewsItem.create(project=jardin, text="Les semis sont faits")
    stop = asyncio.Event()
    with time_machine.travel(MONDAY, tick=True):
        serving = asyncio.create_task(app.serve(stop))  # the scheduler's first look sends the digest
        try:
            received, = await asyncio.to_thread(sink.wait_for, 1)
            mail = received.message
            assert mail["Message-ID"].startswith("<digest.") and mail["Message-ID"].endswith("@relais.test>")
            assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
            assert mail["Reply-To"] == "relais@relais.test" and mail["Auto-Submitted"] == "auto-generated"
            assert mail["Subject"] == "Paris\u202f: semaine du 16 au 22 novembre"
            assert mail["From"] == "Paris <relais@relais.test>" and mail["Date"].endswith(" +0000")
            assert mail["Content-Language"] == "fr"
            plain = mail.get_body(("plain",)).get_content()
            html = mail.get_body(("html",)).get_content()
            assert "Les semis sont faits" in plain and ">Jardin</h3>" in html
            unsubscribe = re.search(r"<(http[^>]+)>", mail["List-Unsubscribe"]).group(1)
            unfollow = re.search(r"Ne plus suivre Jardin\u202f: (\S+)", plain).group(1)
            follow = re.search(r"Four \(\S+\) — suivre\u202f: (\S+/d/follow\.\S+)", plain).group(1)
            assert f'href="{follow}"' in html and f'href="{unfollow}"' in html
            assert "/d/off." in unsubscribe and "/d/unfollow." in unfollow  # each link signed for its own act
            async with aiohttp.ClientSession() as http:
                async with http.get(unfollow) as page:  # a link scanner's GET changes nothing
                    body = await page.text()
                    assert page.status == 200 and "<form" in body and "Ne plus suivre Jardin\u202f?" in body
                assert await Follow.exists(person=lea, project=jardin)
                status, done = await press_on(http, body, f"http://127.0.0.1:{port}")
                assert status == 200 and "Vous ne suivez plus Jardin." in done
                _, done = await press(http, follow)
                assert "Vous suivez désormais Four." in done
                async with http.post(unsubscribe, data="List-Unsubscribe=One-Click",
                                     headers={"Content-Type": "application/x-www-form-urlencoded"}) as answer:
                    body = await answer.text()
                    assert answer.status == 200 and "Plus de lettre de la semaine" in body
                async with http.post(unfollow.replace("/d/", "/d/x")) as forged:
                    assert forged.status == 404
            assert not await Follow.exists(person=lea, project=jardin) and await Follow.exists(person=lea, project=four)
            assert await DigestSubscription.get(person=lea, community=paris).values_list("enabled", flat=True) is False
            async with aiohttp.ClientSession() as http:  # the page's button takes it back
                status, _ = await press_on(http, body, f"http://127.0.0.1:{port}", "Recevoir de nouveau la lettre")
                assert status == 200
            assert await DigestSubscription.get(person=lea, community=paris).values_list("enabled", flat=True) is True
        finally:
            stop.set()
            await serving
            await app.stop()


async def test_the_week_is_named_by_its_days_in_the_community_time_zone(mail_app):
    """A digest due Monday 08:00 in Auckland (still Sunday in UTC) covers Monday to Sunday there, and its subject says so."""
    from bot.services import digest as d
    from mail.digest import DigestRenderer

    auckland = await community("kiwi", "Pacific/Auckland", "en")
    due = at(2026, 11, 22, 19, 0)  # Monday 23 November, 08:00 NZDT
    week = d.week_window(auckland, "2026-W48", due, due.date())
    assert (week.first_day.isoformat(), week.last_day.isoformat()) == ("2026-11-16", "2026-11-22")
    digest = d.assemble([], week, d.Recipient(1, "Sam", "en", "sam@example.org"))
    assert DigestRenderer(mail_app.catalogs).subject(digest) == "Kiwi: week of November 16 to 22"


async def test_the_demo_community_reads_like_a_real_week(mail_app, sink):  # noqa: F811
    """The demo's projects are weeks old (none is "new"), some have news this week and one a next step set this week."""
    from bot.services import demo

    with time_machine.travel(MONDAY - timedelta(hours=2), tick=False):
        village = await demo.seed("me", MONDAY - timedelta(hours=2))
        projects = {p.slug: p for p in await Project.filter(community=village)}
        await observer(village, "Lea", follows=(projects["dombes-brasserie"], projects["ressourcerie-creative"]))
    with time_machine.travel(MONDAY, tick=False):
        assert await job(mail_app).tick() == ["digest:usine-vivante:2026-W48"]
    sink.wait_for(1)
    lea, = texts(sink, "lea@example.org")
    assert "nouveau projet" not in lea and "NOUVEAUX PROJETS" not in lea
    assert "La campagne a passé 40 %" in lea and "(fixée cette semaine)" in lea  # Brasserie: news and a new step this week
    assert "Pas de nouvelle cette semaine." in lea  # Ressourcerie: its news is of last week
    # The other projects: the one with news shows it, with its follow link; the one without is one line.
    assert "* Conciergerie rurale (actif)\n  - ven. 20 novembre — Trois communes ont répondu favorablement" in lea
    assert re.search(r"\n\* Crèche inter-entreprises \(idée\) — suivre\u202f: http\S+/d/follow\.\S+\n", lea)


async def test_preview_says_who_gets_no_digest_and_shows_it_only_with_force(mail_app, capsys):
    """`digest preview` of an unsubscribed person, or one who never asked, says so; --force shows what they would get."""
    from types import SimpleNamespace

    from bot.cli.digest import preview

    with time_machine.travel(MONDAY - timedelta(days=30), tick=False):
        paris = await community("paris")
        jardin = await project(paris, "jardin", "Jardin")
        lea = await observer(paris, "Lea", follows=(jardin,))
        await observer(paris, "Max", role=Role.MEMBER, follows=(jardin,))
    with time_machine.travel(MONDAY - timedelta(days=1), tick=False):
        await NewsItem.create(project=jardin, text="Les semis sont faits")
        account = await Account.get(person=lea, platform="email")
        await mail_app.services.email.unsubscribe_address(account.id)

    async def show(handle: str, force: bool = False) -> str:
        with time_machine.travel(MONDAY, tick=False):
            assert await preview(mail_app, SimpleNamespace(account=handle, community=None, force=force)) == 0
        return capsys.readouterr().out

    out = await show("email:lea@example.org")
    assert "Lea gets no digest from paris: lea@example.org unsubscribed from Relais' mail in one click." in out
    assert "Subject:" not in out and "--force" in out
    out = await show("email:lea@example.org", force=True)
    assert "What they would get:" in out and "Subject: Paris\u202f: semaine du 16 au 22 novembre" in out and "Les semis sont faits" in out
    assert "they are not an observer and did not ask for it" in await show("email:max@example.org")
    await mail_app.services.email.resubscribe_address(account.id)
    await mail_app.services.digest.set_choice(lea.id, paris.id, False)
    assert "they turned it off (`digest off`)" in await show("email:lea@example.org")
    await mail_app.services.digest.set_choice(lea.id, paris.id, True)
    out = await show("email:lea@example.org")
    assert "gets no digest" not in out and "Les semis sont faits" in out


async def test_the_next_steps_of_the_week_at_a_glance(mail_app, sink):  # noqa: F811
    """The followed projects' next steps due in the coming seven days, and the overdue ones; not the later ones,
    not the projects one does not follow; and on their own they send no digest."""
    with time_machine.travel(MONDAY - timedelta(days=30), tick=False):
        paris = await community("paris")
        jardin, four, ruche = (await project(paris, "jardin", "Jardin partagé"), await project(paris, "four", "Four à pain"),
                               await project(paris, "ruche", "Ruche"))
        await observer(paris, "Lea", follows=(jardin, four))
        await observer(paris, "Tom", locale="en", follows=(ruche,))
        await NextStep.create(project=jardin, text="Pailler les buttes", due=(MONDAY + timedelta(days=10)).date())
        await NextStep.create(project=four, text="Allumer le four", due=(MONDAY - timedelta(days=2)).date())
        await NextStep.create(project=ruche, text="Commander les cadres", due=(MONDAY + timedelta(days=20)).date())
    with time_machine.travel(MONDAY, tick=False):
        await job(mail_app).tick()
    assert sink.received_by("lea@example.org") == [] and sink.received_by("tom@example.org") == []  # nothing new
    with time_machine.travel(MONDAY + timedelta(days=5), tick=False):
        await NewsItem.create(project=jardin, text="Les buttes sont prêtes")
        await NewsItem.create(project=ruche, text="Un essaim de plus")
    with time_machine.travel(MONDAY + timedelta(days=7), tick=False):
        await job(mail_app).tick()
    sink.wait_for(2)
    lea, = texts(sink, "lea@example.org")
    glance = lea[lea.index("PROCHAINES ÉTAPES DE LA SEMAINE"):lea.index("LES AUTRES PROJETS")]
    assert "Four à pain — Allumer le four\n  ⚠ En retard" in glance  # overdue first
    assert glance.index("Four à pain") < glance.index("Jardin partagé — Pailler les buttes")
    assert "Commander les cadres" not in glance
    tom, = texts(sink, "tom@example.org")
    assert "NEXT STEPS THIS WEEK" not in tom  # due in twenty days: not this week
