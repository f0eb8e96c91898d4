"""Dates in conversations, through the one date reader: a prompt answer, a next step, a poll, a meeting, an absence
read day first in French, asked in English when they read two ways, the words around them kept, confirmed with the
weekday and the full date; dates past five years and impossible times refused, nothing stored."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from bot.adapters.console import ConsoleChat
from bot.core.i18n import french_typography as fr
from models import Campaign, Event, NextStep, VotePoll
from tests.conftest import Dialog

PARIS = ZoneInfo("Europe/Paris")
URL = "https://www.helloasso.com/associations/brasserie/collectes/cuve"


async def notes(app, name: str) -> list[str]:
    await app.delivery.drain()
    return await ConsoleChat(app.console, name).unseen()


async def last_step(slug: str) -> tuple[str, date | None]:
    step = await NextStep.filter(project__slug=slug).order_by("-id").first()
    return step.text, step.due


async def test_a_prompt_answer_le_12_01_a_18h_is_12_january_and_keeps_its_words(app):
    me, mehdi = Dialog(app, "me"), Dialog(app, "mehdi")
    await me.say("relancer conciergerie-rurale")
    await notes(app, "mehdi")
    await mehdi.check(
        ("Atelier de réemploi le 12/01 à 18h à la menuiserie, pas encore sur la liste",
         [fr("J'ai compris, pour Conciergerie rurale :"), "Atelier de réemploi à la menuiserie", "mardi 12 janvier 2027",
          "pas encore"]),
        ("oui", [fr("Prochaine étape de Conciergerie rurale : "), "Atelier de réemploi à la menuiserie",
                 fr("Échéance : mardi 12 janvier 2027.")]),
    )
    assert await last_step("conciergerie-rurale") == ("Atelier de réemploi à la menuiserie", date(2027, 1, 12))


async def test_a_prompt_answer_le_1er_fevrier_is_a_day(app):
    me, louise = Dialog(app, "me"), Dialog(app, "louise")
    await me.say("relancer ressourcerie-creative")
    await notes(app, "louise")
    await louise.check(
        ("Organiser l'atelier de réemploi le 1er février", fr("Est-ce déjà sur la liste ? (oui / non)")),
        ("non", [fr("J'ai compris, pour Ressourcerie créative :"), "lundi 1 février 2027"]),
        ("non", "Quelle est la prochaine étape de Ressourcerie créative, pour quelle date"),  # start again
        ("Organiser l'atelier de réemploi", "Pour quelle date"),
        ("le 3ème lundi", "Je n'ai pas compris la date"),
        ("le 1er février à 18 h", fr("Est-ce déjà sur la liste ? (oui / non)")),
        ("non", "lundi 1 février 2027"),
        ("oui", fr("Échéance : lundi 1 février 2027.")),
    )
    assert await last_step("ressourcerie-creative") == ("Organiser l'atelier de réemploi", date(2027, 2, 1))


async def test_an_english_prompt_answer_that_reads_two_ways_is_asked_never_guessed(app):
    me, louise = Dialog(app, "me"), Dialog(app, "louise", locale="en")
    await louise.say("lang en")
    await me.say("relancer ressourcerie-creative")
    await notes(app, "louise")
    await louise.check(
        ("Organise the workshop on 12/01 at 6pm, not on the list yet",
         ["“12/01” can be read two ways: 12 January or 1 December? Write “12 Jan” or “1 Dec”.", "By what date?"]),
        ("by 12 Jan", ["I understood, for Ressourcerie créative:", "Organise the workshop", "Tuesday, January 12, 2027"]),
        ("yes", "Due Tuesday, January 12, 2027."),
    )
    assert await last_step("ressourcerie-creative") == ("Organise the workshop", date(2027, 1, 12))


async def test_next_steps_with_dates_in_french(talk):
    camille = talk("camille")
    await camille.check(
        ("étape dombes-brasserie Atelier de réemploi le 9 janvier à la menuiserie",
         [fr("Prochaine étape de Brasserie de la Dombes : "), "Atelier de réemploi à la menuiserie",
          fr("Échéance : samedi 9 janvier 2027.")]),
        ("étape dombes-brasserie Fêter les un an le 1er février", fr("Échéance : lundi 1 février 2027.")),
        ("étape dombes-brasserie Réunion du collectif le 12/01 à 18h", fr("Échéance : mardi 12 janvier 2027.")),
        ("étape dombes-brasserie Tout ranger pour 9999-12-31", "La date 9999-12-31 est à plus de 5 ans"),
        ("étape dombes-brasserie Tout ranger le 12/01 à 25h", fr("« 25h » n'est pas une heure")),
    )
    steps = await NextStep.filter(project__slug="dombes-brasserie").order_by("id").values_list("text", "due")
    assert steps[-3:] == [("Atelier de réemploi à la menuiserie", date(2027, 1, 9)), ("Fêter les un an", date(2027, 2, 1)),
                          ("Réunion du collectif", date(2027, 1, 12))]


async def test_next_steps_with_dates_in_english(talk):
    camille = talk("camille")
    await camille.say("lang en")
    before = await NextStep.filter(project__slug="dombes-brasserie").count()
    await camille.check(
        ("nextstep dombes-brasserie Call the mayor on 12/01", "“12/01” can be read two ways: 12 January or 1 December?"),
        ("nextstep dombes-brasserie Call the mayor on 12 Jan", "Due Tuesday, January 12, 2027."),
        ("nextstep dombes-brasserie Call the mayor by 25/12", "Due Friday, December 25, 2026."),
        ("nextstep dombes-brasserie Call the mayor by January 15th", "Due Friday, January 15, 2027."),
    )
    assert await NextStep.filter(project__slug="dombes-brasserie").count() == before + 3  # the ambiguous one not saved


async def test_polls_and_meetings_refuse_far_dates_and_impossible_times(talk):
    me = talk("me")
    await me.say("lang en")
    await me.check(
        ('poll "Far?" "a" "b" until 9999-12-31', "The date 9999-12-31 is more than 5 years ahead; give a date before November 21, 2031."),
        ('poll "Bad time?" "a" "b" until tomorrow 99am', "“99am” is not a time"),
        ('datepoll "When?" "12/01 18:00" "25/12 18:00"', "“12/01” can be read two ways"),
        ("meeting set 9999-12-31 23:59", "more than 5 years ahead"),
        ("meeting set 12/01 18:00 Town hall", "can be read two ways: 12 January or 1 December?"),
    )
    assert not await VotePoll.exists() and not await Event.exists()
    await me.check(("meeting set 25/12 6:30 pm Town hall", ["Friday, December 25, 2026 18:30", "Place: Town hall"]))
    meeting = await Event.get()
    assert (meeting.starts_at.astimezone(PARIS).replace(tzinfo=None), meeting.place) == (datetime(2026, 12, 25, 18, 30), "Town hall")


async def test_french_polls_meetings_and_absences_read_day_first(talk):
    me = talk("me")
    await me.check(
        ('sondage "Quel lieu ?" "Lyon" "Paris" jusqu\'au 12/01 à 18h', "Sondage #1"),
        ("réunion fixer 1er février à 18 h Mairie", ["lundi 1 février 2027 18:00", "Mairie"]),
        ("réunion fixer 12/01 18h30 Salle des fêtes", ["mardi 12 janvier 2027 18:30", "Salle des fêtes"]),
        ("absent jusqu'au 12/01", fr("C'est noté : pas de relance pour vous jusqu'au mardi 12 janvier 2027.")),
    )
    poll = await VotePoll.get(number=1)
    assert poll.closes_at.astimezone(PARIS).replace(tzinfo=None) == datetime(2027, 1, 12, 18, 0)
    first, second = await Event.all().order_by("id")
    assert (first.starts_at.astimezone(PARIS).replace(tzinfo=None), first.place) == (datetime(2027, 2, 1, 18, 0), "Mairie")
    assert (second.starts_at.astimezone(PARIS).replace(tzinfo=None), second.place) == (datetime(2027, 1, 12, 18, 30), "Salle des fêtes")


async def test_a_campaign_end_past_the_horizon_is_refused(talk):
    camille = talk("camille")
    await camille.check((f"campagne ajouter dombes-brasserie don 12k {URL} jusqu'au 9999-12-31", "est à plus de 5 ans"))
    assert not await Campaign.exists()
