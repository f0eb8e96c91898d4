"""Events, driven like transcripts in English and French (console and the fake platform): a project's event announced
to its followers with an invitation, places and a waiting list moved up in order, who comes (names for referents and
facilitators, counts for others), one update per change with the answers kept, reminders to who comes, the cancel;
bad input answered and nothing stored."""

from __future__ import annotations

from datetime import timedelta

from icalendar import Calendar

from bot.adapters.console import ConsoleChat
from bot.core.i18n import french_typography as fr
from bot.core.replies import Attachment, Reply
from models import Event, EventAnswer, OutboxMessage, Project
from scheduler.jobs import VotesJob
from tests.conftest import Dialog


async def notes(app, name: str) -> list[str]:
    await app.delivery.drain()
    return await ConsoleChat(app.console, name).unseen()


async def invitations(key: str) -> list[tuple[int, str, int]]:
    """(person, METHOD, SEQUENCE) of each outbox notice whose key starts with `key`."""
    out = []
    for row in await OutboxMessage.filter(key__startswith=key).order_by("person_id"):
        [ics] = Reply.from_dict(row.payload).elements(Attachment)
        cal = Calendar.from_ical(ics.data)
        out.append((row.person_id, str(cal["METHOD"]), int(cal.walk("VEVENT")[0]["SEQUENCE"])))
    return out


async def test_an_event_with_places_a_waiting_list_an_update_reminders_and_its_cancel(talk, app, clock):
    camille, ana, mehdi, jules, louise = (talk(n) for n in ("camille", "ana", "mehdi", "jules", "louise"))
    for who in (camille, ana, mehdi, jules, louise):
        await who.say("lang en")
    await camille.check(
        ('event "Tasting evening" 12 december 19:00 place The brewery project dombes-brasserie places 2',
         ["📅 Event #", "Tasting evening", "Saturday, December 12, 2026 19:00", "Place: The brewery",
          "Project: Brasserie de la Dombes", "2 places · then a waiting list", "Invitation sent to 3 people",
          "Reminders go to who comes 7 days and 1 day before.", "1) Who comes", "2) Cancel the event"]),
    )
    event = await Event.get(kind="event")
    # The followers (Ana, Mehdi) and the referent (Camille) get the invitation, with its .ics.
    assert {p for p, _, _ in await invitations(f"event:{event.id}:")} == {p.id for p in await event_people(app, "ana", "mehdi", "camille")}
    assert [(m, s) for _, m, s in await invitations(f"event:{event.id}:")] == [("REQUEST", 0)] * 3
    assert any("Tasting evening" in n and "I'm coming" in n for n in await notes(app, "ana"))
    await ana.check(("coming tasting", ["Noted: you are coming to Tasting evening on Saturday, December 12, 2026 19:00.", "1) Undo"]),
                    ("coming tasting", "You had said so"))
    await mehdi.check((f"coming {event.id}", "Noted: you are coming"))
    await jules.check((f"coming {event.id}", ["Tasting evening is full: you are number 1 on the waiting list.",
                                              "1) Leave the waiting list"]))
    await louise.check((f"coming {event.id}", "you are number 2 on the waiting list"))
    await ana.check(("events", ["Coming events of Tiers-lieu de l'Usine Vivante", "Tasting evening", "2 coming / 2 places",
                                "2 waiting"]))
    assert "Ana" not in await ana.say("events")  # a member sees counts
    await camille.check(("events", ["coming: Ana, Mehdi", "waiting: Jules, Louise"]))  # the referent sees names
    await notes(app, "jules")
    await mehdi.check((f"not coming {event.id}", "Noted: you are not coming to Tasting evening."))
    assert any("A place is free for you at Tasting evening" in n for n in await notes(app, "jules"))
    await camille.check((f"event show {event.id}", ["coming: Ana, Jules", "waiting: Louise", "not coming: Mehdi"]))
    # One update per change, SEQUENCE + 1, to who was invited or answered but said no; the answers stay.
    await camille.check((f"event change {event.id} place Town hall",
                         ["Tasting evening changes: the place, now Town hall.", "One update sent to 4 people; the answers stay."]))
    updates = await invitations(f"event-update:{event.id}:1:")
    assert sorted(p for p, _, _ in updates) == sorted(p.id for p in await event_people(app, "ana", "camille", "jules", "louise"))
    assert {(m, s) for _, m, s in updates} == {("REQUEST", 1)}
    assert await EventAnswer.filter(event_id=event.id, status="coming").count() == 2
    # Reminders go to who comes: a week before, a day before, each once.
    job = VotesJob(app.services.vote_notices, app.services.meetings)
    for name in ("ana", "jules", "louise"):
        await notes(app, name)
    clock.now = event.starts_at - timedelta(days=6)
    assert (await job.tick())[2] == 2
    assert (await job.tick())[2] == 0
    assert any("In a week, Tasting evening" in n for n in await notes(app, "jules")) and not await notes(app, "louise")
    # The cancel, with METHOD:CANCEL, to everyone who answered.
    await camille.check((f"event cancel {event.id}", ["Tasting evening is cancelled.",
                                                       "4 people who answered are told, with a calendar cancel."]))
    cancels = await invitations(f"event-cancel:{event.id}:")
    assert len(cancels) == 4 and {(m, s) for _, m, s in cancels} == {("CANCEL", 2)}
    await ana.check((f"coming {event.id}", "This event is cancelled."))
    assert await EventAnswer.filter(event_id=event.id).count() == 4  # kept on record


async def event_people(app, *names: str):
    from models import Account, Person
    ids = await Account.filter(platform="console", address__in=list(names)).values_list("person_id", flat=True)
    return await Person.filter(id__in=list(ids))


async def test_les_événements_en_français(talk, app):
    me, ana, jules = talk("me"), talk("ana"), talk("jules")
    await me.check(
        ('événement "Journée de collecte" 5 décembre 10h lieu Épicerie du bourg places 1',
         [fr("Événement #"), "Journée de collecte", "samedi 5 décembre 2026 10:00", fr("Lieu : Épicerie du bourg"),
          "1 place · puis une liste d'attente", "Invitation envoyée à 6 personnes"]),
    )
    event = await Event.get(kind="event")
    await ana.check(("je viens collecte", fr("Noté : vous venez à Journée de collecte le samedi 5 décembre 2026 10:00.")))
    await jules.check(("je viens collecte", fr("Journée de collecte est complet : vous êtes n° 1 sur la liste d'attente.")))
    await me.check(("événements", [fr("Événements à venir de Tiers-lieu de l'Usine Vivante"), "1 vient / 1 place",
                                    "1 en attente", fr("viennent : Ana"), fr("en attente : Jules")]))
    await ana.check(("je ne viens pas collecte", fr("Noté : vous ne venez pas à Journée de collecte.")),
                    ("chercher collecte", ["📅 Journée de collecte · événement", "Épicerie du bourg"]))
    assert any("Une place s'est libérée pour vous" in n for n in await notes(app, "jules"))
    await me.check((f"événement modifier {event.id} places 10", [fr("Journée de collecte change : les places, désormais 10."),
                                                                  "Une mise à jour envoyée à"]),
                   (f"événement modifier {event.id} date 6 décembre 10h", "la date, désormais dimanche 6 décembre 2026 10:00"),
                   (f"événement annuler {event.id}", ["Journée de collecte est annulé.", "2 personnes qui avaient répondu"]))


async def test_bad_input_is_answered_and_nothing_is_stored(talk):
    me, ana, louise = talk("me"), talk("ana"), talk("louise")
    for who in (me, ana, louise):
        await who.say("lang en")
    await me.check(
        ('event "Too late" 3 march 2020 19:00', "is in the past"),
        ('event "No date" place Town hall', "Give the event's date and time"),
        ('event "Zero" 12 december 19:00 places 0', "“0” is not a number of places"),
        ('event "Nowhere" 12 december 19:00 project nowhere', "nowhere"),
        ('event "" 12 december 19:00', "Give the event's title"),
        ("coming 999", "There is no event 999."),
        ("coming nothing of the kind", "No coming event is called “nothing of the kind”"),
        ("coming", "No general meeting set for Tiers-lieu de l'Usine Vivante: name the event"),
    )
    await ana.check(('event "Mine" 12 december 19:00', "Only a referent of Tiers-lieu de l'Usine Vivante can do that."))
    await louise.check(('event "Not mine" 12 december 19:00 project dombes-brasserie',
                        "Only the referents of Brasserie de la Dombes and the facilitators can do that."),
                       ('event "Community" 12 december 19:00', "Only a facilitator of Tiers-lieu de l'Usine Vivante can do that."))
    assert not await Event.exists()
    await me.say('event "Open day" 12 december 19:00')
    event = await Event.get()
    await ana.check((f"event cancel {event.id}", "Only a facilitator of Tiers-lieu de l'Usine Vivante can do that."),
                    (f"event change {event.id} place Elsewhere", "Only a facilitator"))
    assert not (await Event.get(id=event.id)).cancelled and (await Event.get(id=event.id)).place == ""


async def test_a_reply_to_an_event_reaches_its_project_referents(app):
    camille = ConsoleChat(app.console, "camille")
    await camille.exchange('événement "Dégustation" 12 décembre 19h projet dombes-brasserie')
    event = await Event.get()
    project = await Project.get(slug="dombes-brasserie")
    item = await app.services.comments.item(("event", event.id, project.id))
    assert item is not None and item.project is not None and item.project.id == project.id and item.text == "Dégustation"
    notice = next(n for n in await notes(app, "ana") if "Dégustation" in n)
    assert "les référent·es le reçoivent" in notice  # a reply goes to the referents
    said = await ConsoleChat(app.console, "ana").exchange("répondre Est-ce accessible en fauteuil ?")
    assert "Transmis aux référent·es de Brasserie de la Dombes" in said, said
    assert any("accessible en fauteuil" in n for n in await notes(app, "camille"))


async def test_answers_at_once_take_each_place_once_on_both_databases(any_app):
    """Thirty members answer together for five places (SQLite and PostgreSQL): five come, twenty-five wait in the order
    their answers were taken, each counted once; three leave and the first three who wait move up, each told."""
    import asyncio

    from bot.core.incoming import Incoming
    from models import Account, Community, Membership, Person

    app = any_app
    community = await Community.get(slug="usine-vivante")
    names = [f"member{i}" for i in range(30)]
    for name in names:
        person = await Person.create(display_name=name.title())
        await Account.create(person=person, platform="console", address=name)
        await Membership.create(person=person, community=community, role=10)
    await Dialog(app, "me").say('événement "Visite" 12 décembre 10h places 5')
    event = await Event.get()
    replies = await asyncio.gather(*(app.dispatcher.handle(Incoming("console", n, f"je viens {event.id}")) for n in names))
    assert not [r for r in replies if r is None or r.error]
    rows = await EventAnswer.filter(event_id=event.id).order_by("at", "id")
    assert len(rows) == 30 and len({r.person_id for r in rows}) == 30
    assert [r.status for r in rows].count("coming") == 5 and [r.status for r in rows].count("waiting") == 25
    waiting = [r.person_id for r in rows if r.status == "waiting"]
    leaving = [r.person_id for r in rows if r.status == "coming"][:3]
    accounts = {a.person_id: a.address for a in await Account.filter(person_id__in=leaving)}
    await asyncio.gather(*(app.dispatcher.handle(Incoming("console", accounts[p], f"je ne viens pas {event.id}")) for p in leaving))
    coming = set(await EventAnswer.filter(event_id=event.id, status="coming").values_list("person_id", flat=True))
    assert len(coming) == 5 and set(waiting[:3]) <= coming
    assert await OutboxMessage.filter(key__startswith=f"event-promoted:{event.id}:").count() == 3
