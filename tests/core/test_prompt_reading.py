"""Reading a referent's free-text answer: the step, the date (French or English), whether it is on the list; what is
unclear is reported, never guessed."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from bot.core.errors import UserError
from bot.services.prompt_reading import read, read_date, yes_no

NOW = datetime(2026, 11, 25, 10, 0)  # a Wednesday


@pytest.mark.parametrize("text, step, due, on_list", [
    ("Trouver une salle pour le 15 janvier, pas encore sur la liste", "Trouver une salle", date(2027, 1, 15), False),
    ("Trouver une salle le 15 janvier", "Trouver une salle", date(2027, 1, 15), None),
    ("Book the room by next friday, already on the list", "Book the room", date(2026, 11, 27), True),
    ("Appeler la mairie avant fin janvier", "Appeler la mairie", date(2027, 1, 31), None),
    ("Appeler la mairie avant la fin janvier, c'est sur la liste", "Appeler la mairie", date(2027, 1, 31), True),
    ("Imprimer les affiches demain. C'est sur la liste.", "Imprimer les affiches", date(2026, 11, 26), True),
    ("Réunir le collectif vendredi prochain", "Réunir le collectif", date(2026, 11, 27), None),
    ("Réunir le collectif ce vendredi, pas sur la liste", "Réunir le collectif", date(2026, 11, 27), False),
    ("Réunir le collectif le vendredi 4 décembre", "Réunir le collectif", date(2026, 12, 4), None),
    ("Call the mayor, not on the list yet", "Call the mayor", None, False),
    ("Réunir 15 personnes", "Réunir 15 personnes", None, None),  # a number is not a date
])
def test_a_whole_answer_is_read(text, step, due, on_list):
    reading = read(text, NOW)
    assert (reading.step, reading.due, reading.on_list, reading.problem) == (step, due, on_list, None)
    assert reading.dated is (due is not None)


@pytest.mark.parametrize("text, problem", [
    ("Faire le point en mars", "is a month, not a day"),  # the 1st of March would be a guess
    ("Faire un truc pour blablaxyz", "could not understand the date"),
    ("Le bilan pour le 3 mars 2020", "is in the past"),
])
def test_an_unclear_date_is_reported_not_guessed(text, problem):
    reading = read(text, NOW)
    assert reading.due is None and not reading.dated
    assert problem in reading.problem


def test_a_date_alone_has_no_step_and_no_date_is_an_answer():
    assert read("le 20 décembre", NOW).step is None
    assert read_date("pas de date", NOW) == (None, True)
    assert read_date("no date yet", NOW) == (None, True)
    assert read_date("fin février", NOW) == (date(2027, 2, 28), True)
    with pytest.raises(UserError):
        read_date("hier", NOW)


@pytest.mark.parametrize("text, said", [("oui", True), ("Oui !", True), ("yes", True), ("déjà", True), ("ok", True),
                                        ("non", False), ("pas encore", False), ("not yet", False), ("No.", False),
                                        ("peut-être", None), ("Trouver une salle", None)])
def test_yes_and_no_in_both_languages(text, said):
    assert yes_no(text) is said
