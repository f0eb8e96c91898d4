"""The digest's content for every reader and its period: what each reader gets, and that each item sits in exactly one of
their digests while the clock moves across weeks."""

from __future__ import annotations

import re
from datetime import timedelta, timezone

import time_machine

from models import Community, NewsItem, NextStep, Person, Role
from tests.scheduler.test_digest import MONDAY, at, job, mail_app, observer, project, texts  # noqa: F401

UTC = timezone.utc
LONG = ("Le jardin partagé a reçu la visite de l'école du quartier : trente enfants ont planté des fèves, des pois et des "
        "radis dans les nouvelles buttes, arrosé les semis de la semaine dernière et posé des questions sur le compost. "
        "Les enseignantes proposent de revenir chaque mois ; il faudra deux bénévoles de plus pour les accueillir le "
        "mercredi matin, et des outils à leur taille, que la ressourcerie peut fournir.")


def htmls(sink, address):  # noqa: F811
    return [m.message.get_body(("html",)).get_content() for m in sink.received_by(address)]


async def test_an_observer_who_follows_nothing_reads_the_news_cut_with_a_link_when_pages_are_on(mail_app, sink):  # noqa: F811
    with time_machine.travel(MONDAY - timedelta(days=30), tick=False):
        paris = await Community.create(slug="paris", name="Paris", timezone="Europe/Paris", locale="fr", pages=True)
        lyon = await Community.create(slug="lyon", name="Lyon", timezone="Europe/Paris", locale="fr")
        jardin, four, ruche = (await project(paris, "jardin", "Jardin partagé"), await project(paris, "four", "Four à pain"),
                               await project(paris, "ruche", "Ruche"))
        verger = await project(lyon, "verger", "Verger")
        await observer(paris, "Lea")  # follows nothing
        await observer(paris, "Sam", locale="en")
        person = await Person.create(display_name="Max")
        from models import Account, Membership
        await Account.create(person=person, platform="email", address="max@example.org", confirmed=True)
        await Membership.create(person=person, community=lyon, role=Role.OBSERVER)
    with time_machine.travel(MONDAY - timedelta(days=2), tick=False):
        await NewsItem.create(project=jardin, text=LONG)
        await NewsItem.create(project=four, text="Première fournée samedi")
        await NextStep.create(project=four, text="Commander la farine", due=(MONDAY + timedelta(days=5)).date())
        await NewsItem.create(project=verger, text=LONG)
    with time_machine.travel(MONDAY, tick=False):
        await job(mail_app).tick()
    sink.wait_for(3)
    lea, = texts(sink, "lea@example.org")
    others = lea[lea.index("LES AUTRES PROJETS DE LA COMMUNAUTÉ"):]
    # The long news is cut at a word within 300 characters, with "read more" to the project's public page.
    shown = re.search(r"— (Le jardin partagé a reçu.*?) …\n", others).group(1)
    assert len(shown) <= 300 and LONG.startswith(shown) and LONG[len(shown)] in " ,;:"
    assert "Lire la suite\u202f: http://links.test/c/paris/jardin\n" in others
    assert "Première fournée samedi" in others and "Nouvelle prochaine étape\u202f: Commander la farine — pour le " in others
    assert re.search(r"Suivre Jardin partagé\u202f: \S+/d/follow\.", others)
    # A project with nothing new: one line, its follow link on it.
    assert re.search(r"\n\* Ruche \(idée\) — suivre\u202f: \S+/d/follow\.\S+\n", others)
    assert others.count("Ruche") == 1
    html, = htmls(sink, "lea@example.org")
    assert '<a href="http://links.test/c/paris/jardin">Lire la suite</a>' in html and "Première fournée samedi" in html
    sam, = texts(sink, "sam@example.org")
    assert "Read more: http://links.test/c/paris/jardin" in sam and "New next step: Commander la farine — by " in sam
    # Pages off: the whole text, no link to a page that does not exist.
    max_, = texts(sink, "max@example.org")
    assert " ".join(LONG.split()) in " ".join(max_.split()) and "Lire la suite" not in max_ and "/c/lyon" not in max_
    assert ruche.id


async def test_each_item_sits_in_exactly_one_digest_of_each_reader_across_three_weeks(mail_app, sink):  # noqa: F811
    """Three Mondays (the digest goes at 08:00 in Paris). News posted on a Monday morning before the digest belongs to
    the next one; a reader whose digest was off for a week gets both weeks in the next; a newcomer gets the last 7 days;
    the subject names the period's days in the reader's time zone."""
    with time_machine.travel(MONDAY - timedelta(days=10), tick=False):
        paris = await Community.create(slug="paris", name="Paris", timezone="Europe/Paris", locale="fr")
        jardin, four = await project(paris, "jardin", "Jardin"), await project(paris, "four", "Four")
        await observer(paris, "Lea", follows=(jardin,))
        await observer(paris, "Obs")  # follows nothing
        kiwi = await observer(paris, "Kiwi", locale="en")
        await Person.filter(id=kiwi.id).update(timezone="Pacific/Auckland")
        max_ = await observer(paris, "Max", follows=(four,))
    posted = {  # every item, at the moment it is posted (UTC; Paris is UTC+1)
        "n1": at(2026, 11, 20, 12), "n2": at(2026, 11, 22, 22, 30),  # Sunday 23:30 in Paris: week 1
        "n3": at(2026, 11, 23, 6, 30),  # Monday 07:30 in Paris, before the digest: week 2
        "n4": at(2026, 11, 25, 9), "n5": at(2026, 11, 30, 6), "n6": at(2026, 12, 3, 17), "n7": at(2026, 12, 6, 22, 59),
        "n8": at(2026, 12, 7, 6),  # after the third digest's period: in none of these three
    }
    mondays = [MONDAY, MONDAY + timedelta(days=7), MONDAY + timedelta(days=14)]
    j = job(mail_app)
    tom = None
    for week, monday in enumerate(mondays):
        for name, moment in posted.items():
            if monday - timedelta(days=7) <= moment < monday:
                with time_machine.travel(moment, tick=False):
                    await NewsItem.create(project=jardin if name in ("n1", "n3", "n5", "n7") else four, text=f"Nouvelle {name}.")
                    if name == "n4":
                        await NextStep.create(project=four, text="Allumer le four", due=(monday + timedelta(days=3)).date())
        if week == 1:
            with time_machine.travel(posted["n4"], tick=False):
                tom = await observer(paris, "Tom", follows=(jardin,))  # joins in the second week
                await mail_app.services.digest.set_choice(max_.id, paris.id, False)  # Max stops for a week
        if week == 2:
            await mail_app.services.digest.set_choice(max_.id, paris.id, True)
        with time_machine.travel(monday, tick=False):
            assert await j.tick() == [f"digest:paris:2026-W{48 + week}"]
            with time_machine.travel(monday + timedelta(minutes=5), tick=False):
                assert await j.tick() == []  # once
    assert tom is not None
    mails = {who: texts(sink, f"{who}@example.org") for who in ("lea", "obs", "kiwi", "max", "tom")}
    assert [len(mails[w]) for w in ("lea", "obs", "kiwi", "max", "tom")] == [3, 3, 3, 2, 2]
    for who, theirs in mails.items():
        for name in ("n1", "n2", "n3", "n4", "n5", "n6", "n7"):
            if who == "tom" and name in ("n1", "n2"):
                continue  # before the 7 days of his first digest
            holding = [i for i, text in enumerate(theirs) if f"Nouvelle {name}." in text]
            assert len(holding) == 1, (who, name, holding)
        assert not any("Nouvelle n8." in text for text in theirs)
    lea = mails["lea"]
    assert ["Nouvelle n1." in lea[0], "Nouvelle n2." in lea[0], "Nouvelle n3." in lea[1], "Nouvelle n5." in lea[2]] == [True] * 4
    assert "Nouvelle n7." in lea[2]
    subjects = {who: [m.message["Subject"] for m in sink.received_by(f"{who}@example.org")] for who in mails}
    assert [s.replace("\u202f", " ") for s in subjects["lea"]] == [
        "Paris : semaine du 16 au 22 novembre", "Paris : semaine du 23 au 29 novembre",
        "Paris : semaine du 30 novembre au 6 décembre"]
    assert "Semaine du 30 novembre au 6 décembre 2026" in lea[2]
    # In Auckland, Monday 00:00 in Paris is already Monday noon.
    assert subjects["kiwi"][0] == "Paris: week of November 16 to 23"
    # Max: week 1, then nothing while off, then both weeks at once; Tom: his first digest is the last seven days.
    assert [s.replace("\u202f", " ") for s in subjects["max"]] == [
        "Paris : semaine du 16 au 22 novembre", "Paris : semaine du 23 novembre au 6 décembre"]
    assert [s.replace("\u202f", " ") for s in subjects["tom"]] == [
        "Paris : semaine du 23 au 29 novembre", "Paris : semaine du 30 novembre au 6 décembre"]
    # The next step set in the second week is new in exactly one digest.
    assert sum("Nouvelle prochaine étape\u202f: Allumer le four" in text for text in mails["obs"]) == 1
