"""The one date reader: French and English dates and times read right (day first in French), the words around a
date kept exactly, and what could be read two ways, a month or a week alone, the past, dates past five years, bad
times, huge numbers and Unicode digits refused with a clear message — never guessed, never an exception."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.core import date_words
from bot.core.dates import find_date, read_date, read_when, take_date
from bot.core.errors import UserError
from bot.core.i18n import Catalogs
from bot.services.prompt_reading import read

NOW = datetime(2026, 11, 21, 10, 0)  # Saturday, the dialogs' clock


def refused(words: str, locale: str = "fr") -> UserError:
    with pytest.raises(UserError) as err:
        read_when(words, NOW, locale)
    return err.value


# -- the examples of the issues, one test each ----------------------------------------------------------------


def test_le_12_01_a_18h_is_12_january_at_six_not_8_december():
    assert read_when("le 12/01 à 18h", NOW) == (date(2027, 1, 12), time(18, 0))
    reading = read("Réunion du collectif le 12/01 à 18h", NOW)
    assert (reading.step, reading.due, reading.problem) == ("Réunion du collectif", date(2027, 1, 12), None)


def test_le_1er_fevrier_is_a_day_not_a_month():
    assert read_date("le 1er février", NOW) == date(2027, 2, 1)
    reading = read("Fêter les un an le 1er février", NOW)
    assert (reading.step, reading.due, reading.problem) == ("Fêter les un an", date(2027, 2, 1), None)


def test_the_words_around_a_date_are_kept_exactly():
    text = "Atelier de réemploi le 9 janvier à la menuiserie"
    found = find_date(text, NOW)
    assert (found.before, found.words, found.after, found.day) == ("Atelier de réemploi ", "le 9 janvier", " à la menuiserie", date(2027, 1, 9))
    assert found.rest == "Atelier de réemploi à la menuiserie"
    assert (read(text, NOW).step, read(text, NOW).due) == ("Atelier de réemploi à la menuiserie", date(2027, 1, 9))


def test_a_referents_answer_by_mail_with_a_date_and_the_list():
    reading = read("Relancer les contributeurs … pour le 18 décembre, c'est déjà sur la liste.", NOW)
    assert (reading.step, reading.due, reading.on_list) == ("Relancer les contributeurs …", date(2026, 12, 18), True)


@pytest.mark.parametrize("text, step, on_list", [("Call the mayor, no date yet, not on the list", "Call the mayor", False),
                                                 ("Appeler la mairie, pas de date, déjà sur la liste", "Appeler la mairie", True)])
def test_no_date_said_in_a_whole_answer_is_an_answer(text, step, on_list):
    reading = read(text, NOW)
    assert (reading.step, reading.due, reading.dated, reading.on_list) == (step, None, True, on_list)


@pytest.mark.parametrize("text", ["Relancer la mairie de Crest", "Chercher un local…"])
def test_steps_without_a_date_stay_whole(text):
    reading = read(text, NOW)
    assert (reading.step, reading.due, reading.dated, reading.problem) == (text, None, False, None)


@pytest.mark.parametrize("words", ["9999-12-31", "until 9999-12-31", "9999-12-31 23:59", "dans 9999 ans", "le 1er janvier 2040"])
def test_dates_past_the_five_year_horizon_are_refused(words):
    err = refused(words)
    assert err.message == date_words.TOO_FAR and err.params["years"] == 5


def test_the_horizon_is_five_years_to_the_day():
    assert read_date("2031-11-21", NOW) == date(2031, 11, 21)
    assert refused("2031-11-22").params == {"when": "2031-11-22", "years": 5, "limit": "21 novembre 2031"}
    assert refused("2031-11-22", "en").params["limit"] == "November 21, 2031"


@pytest.mark.parametrize("words, value", [("until tomorrow 99am", "99am"), ("25h", "25h"), ("demain 25h", "25h"),
                                          ("le 12/01 à 18h75", "18h75"), ("friday 13pm", "13pm"), ("friday 0am", "0am")])
def test_impossible_times_are_refused_not_wrapped_round(words, value):
    err = refused(words, "en")
    assert (err.message, err.params) == (date_words.NOT_A_TIME, {"value": value})


# -- numeric dates ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("words", ["12/01", "12/01/2027", "12.01", "12-01", "12/01/27", "le 12.01.2027", "mardi 12/01"])
def test_numeric_french_dates_are_day_first(words):
    assert read_date(words, NOW) == date(2027, 1, 12)


@pytest.mark.parametrize("words", ["12/01", "12/01/2027", "on 12/01 at 6pm", "12.01"])
def test_a_numeric_english_date_that_reads_two_ways_is_asked(words):
    err = refused(words, "en")
    assert err.message == date_words.AMBIGUOUS
    said = Catalogs().get("en")(err.message, **err.params)
    assert said.endswith("can be read two ways: 12 January or 1 December? Write “12 Jan” or “1 Dec”.")


@pytest.mark.parametrize("words, day", [("25/12", date(2026, 12, 25)), ("12/25", date(2026, 12, 25)), ("5/5", date(2027, 5, 5)),
                                        ("2027-01-12", date(2027, 1, 12)), ("25/12/2027", date(2027, 12, 25))])
def test_english_numeric_dates_that_read_one_way_are_read(words, day):
    assert read_date(words, NOW, "en") == day


def test_iso_dates_are_fine_in_both_languages():
    assert read_date("2027-01-12", NOW, "fr") == read_date("2027-01-12", NOW, "en") == date(2027, 1, 12)


@pytest.mark.parametrize("words, message", [("12/25", date_words.DAY_FIRST), ("31/02", date_words.NO_SUCH_DAY),
                                            ("2026-02-29", date_words.NO_SUCH_DAY), ("0000-01-01", date_words.NO_SUCH_DAY),
                                            ("31 avril", date_words.NO_SUCH_DAY)])
def test_dates_that_do_not_exist_are_refused(words, message):
    assert refused(words).message == message


def test_a_weekday_with_a_day_of_the_month_is_that_day_or_asked():
    assert read_date("vendredi 27", NOW) == read_date("Friday the 27th", NOW, "en") == date(2026, 11, 27)
    assert read_date("mardi 1er", NOW) == date(2026, 12, 1)
    assert refused("vendredi 13").message == date_words.WRONG_WEEKDAY  # 13 December is a Sunday: asked, not next Friday
    assert read_when("vendredi 18 h", NOW) == (date(2026, 11, 27), time(18, 0))  # a time, not the 18th


def test_a_weekday_that_does_not_match_the_date_is_asked():
    err = refused("vendredi 5 décembre")  # 5 December 2026 is a Saturday
    assert err.message == date_words.WRONG_WEEKDAY
    assert Catalogs().get("fr")(err.message, **err.params).startswith("Le 5 décembre 2026 est un samedi, pas un vendredi")
    assert read_date("vendredi 4 décembre", NOW) == date(2026, 12, 4)


# -- days, ordinals, relative and named dates -------------------------------------------------------------------


@pytest.mark.parametrize("words, day", [
    ("le 1er février", date(2027, 2, 1)), ("1st February", date(2027, 2, 1)), ("February 2nd", date(2027, 2, 2)),
    ("le 3e mars", date(2027, 3, 3)), ("le 3ème mars", date(2027, 3, 3)), ("3rd of March", date(2027, 3, 3)),
    ("la 1re semaine", None), ("le premier mars", date(2027, 3, 1)), ("le 15 janvier", date(2027, 1, 15)),
    ("15 January", date(2027, 1, 15)), ("January 15th", date(2027, 1, 15)), ("Friday, January 15, 2027", date(2027, 1, 15)),
    ("15 janv. 2027", date(2027, 1, 15)), ("le 15", date(2026, 12, 15)), ("le 25", date(2026, 11, 25)),
])
def test_days_of_the_month_with_or_without_ordinals(words, day):
    if day is None:
        refused(words)
    else:
        assert read_date(words, NOW) == day


@pytest.mark.parametrize("words, day", [
    ("demain", date(2026, 11, 22)), ("tomorrow", date(2026, 11, 22)), ("aujourd'hui", date(2026, 11, 21)),
    ("today", date(2026, 11, 21)), ("après-demain", date(2026, 11, 23)), ("the day after tomorrow", date(2026, 11, 23)),
    ("vendredi prochain", date(2026, 11, 27)), ("next friday", date(2026, 11, 27)), ("ce vendredi", date(2026, 11, 27)),
    ("this friday", date(2026, 11, 27)), ("vendredi", date(2026, 11, 27)), ("samedi", date(2026, 11, 21)),
    ("samedi prochain", date(2026, 11, 28)), ("vendredi en huit", date(2026, 12, 4)),
    ("fin janvier", date(2027, 1, 31)), ("à la fin de janvier", date(2027, 1, 31)), ("fin février", date(2027, 2, 28)),
    ("end of March", date(2027, 3, 31)), ("fin novembre", date(2026, 11, 30)), ("fin du mois", date(2026, 11, 30)),
    ("end of the year", date(2026, 12, 31)), ("dans 2 semaines", date(2026, 12, 5)), ("in 3 days", date(2026, 11, 24)),
    ("dans quinze jours", date(2026, 12, 5)), ("in a week", date(2026, 11, 28)), ("dans un mois", date(2026, 12, 21)),
    ("d'ici vendredi", date(2026, 11, 27)), ("pour le 15 janvier", date(2027, 1, 15)), ("by next friday", date(2026, 11, 27)),
    ("jusqu'au 20 décembre", date(2026, 12, 20)), ("in a fortnight", date(2026, 12, 5)),
])
def test_relative_and_named_dates_in_both_languages(words, day):
    assert read_date(words, NOW, "fr") == read_date(words, NOW, "en") == day


@pytest.mark.parametrize("words, message", [
    ("en mars", date_words.MONTH_NOT_DAY), ("in March", date_words.MONTH_NOT_DAY), ("mars 2027", date_words.MONTH_NOT_DAY),
    ("mi-mars", date_words.MONTH_NOT_DAY), ("le mois prochain", date_words.MONTH_NOT_DAY),
    ("la semaine prochaine", date_words.WEEK_NOT_DAY), ("next week", date_words.WEEK_NOT_DAY),
])
def test_a_month_or_a_week_alone_asks_which_day(words, message):
    assert refused(words).message == message


@pytest.mark.parametrize("words", ["hier", "yesterday", "le 3 mars 2020", "2026-11-20", "le 20 novembre", "20/11"])
def test_past_dates_are_refused_as_past(words):
    err = refused(words)
    assert err.message == date_words.PAST and err.params["when"] < "2026-11-21"


def test_a_date_just_behind_is_past_but_one_long_gone_is_next_years():
    assert refused("le 1er octobre").message == date_words.PAST  # 51 days ago: a mistake, not October 2027
    assert read_date("le 1er septembre", NOW) == date(2027, 9, 1)


@pytest.mark.parametrize("words", ["blablaxyz", "la semaine des quatre jeudis", "a", "15 personnes", "2027", "lundi 3 4",
                                   "mardi en 12", "18 h"])
def test_unknown_words_are_not_read_as_dates(words):
    err = refused(words)
    assert err.message == date_words.UNREADABLE and err.params["when"] == words


# -- times of day -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("words, at", [
    ("demain 18h", time(18, 0)), ("demain 18h30", time(18, 30)), ("demain 18 h", time(18, 0)), ("demain à 18 h", time(18, 0)),
    ("demain à 18 h 30", time(18, 30)), ("demain 18:30", time(18, 30)), ("tomorrow 6pm", time(18, 0)),
    ("tomorrow 6:30 pm", time(18, 30)), ("tomorrow at 12am", time(0, 0)), ("demain midi", time(12, 0)),
    ("tomorrow at noon", time(12, 0)), ("à 18h demain", time(18, 0)), ("at 6 pm tomorrow", time(18, 0)),
    ("demain", None), ("demain soir", None),
])
def test_times_of_day_are_read_apart_from_the_day(words, at):
    assert read_when(words, NOW, "fr") == (date(2026, 11, 22), at)


def test_a_next_step_keeps_only_the_day_of_a_dated_time():
    assert read_date("le 12/01 à 18h", NOW) == date(2027, 1, 12)
    step, found = take_date("Réunion le 12/01 à 18h30 à la salle des fêtes", NOW)
    assert (step, found.due(), found.time) == ("Réunion à la salle des fêtes", date(2027, 1, 12), time(18, 30))


# -- dates in sentences -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("text, before, words, after", [
    ("Trouver une salle pour le 15 janvier à la menuiserie", "Trouver une salle ", "pour le 15 janvier", " à la menuiserie"),
    ("Book the room by next friday, then call", "Book the room ", "by next friday", ", then call"),
    ("Imprimer les affiches demain.", "Imprimer les affiches ", "demain", "."),
    ("Appeler la mairie avant la fin janvier", "Appeler la mairie ", "avant la fin janvier", ""),
    ("Réunion à 18h le 12/01 au local", "Réunion ", "à 18h le 12/01", " au local"),
    ("Meet at the café on Friday at 6:30 pm with Ana", "Meet at the café ", "on Friday at 6:30 pm", " with Ana"),
    ("Préparer la fête du 20 décembre pour le 15 décembre", "Préparer la fête du 20 décembre ", "pour le 15 décembre", ""),
])
def test_a_date_is_found_in_a_sentence_with_its_words_around(text, before, words, after):
    found = find_date(text, NOW)
    assert (found.before, found.words, found.after) == (before, words, after)
    assert found.before + text[found.span[0]:found.span[1]] + found.after == text


@pytest.mark.parametrize("text", ["Réunir 15 personnes", "I may come", "Préparer la fête du 20 décembre", "Une 1/2 journée d'atelier",
                                  "Ouvrir chaque samedi", "Acheter 2.5 kg de malt", "Le marché de samedi", "Compter 18 h de bénévolat"])
def test_what_only_looks_like_a_date_is_no_due_date(text):
    assert find_date(text, NOW) is None


def test_the_date_after_a_deadline_word_wins_over_another():
    found = find_date("Rendez-vous demain pour préparer le bilan pour le 15 janvier", NOW)
    assert found.day == date(2027, 1, 15) and found.rest == "Rendez-vous demain pour préparer le bilan"


def test_a_deadline_whose_words_are_not_a_date_is_said_so():
    step, found = take_date("Imprimer pour blablaxyz", NOW)
    assert step == "Imprimer" and found.problem.message == date_words.UNREADABLE and found.problem.params == {"when": "blablaxyz"}


def test_today_is_the_day_where_the_community_lives():
    late = datetime(2026, 11, 21, 23, 30, tzinfo=timezone.utc)  # already Sunday in Auckland
    assert read_when("aujourd'hui", late, "fr", ZoneInfo("Pacific/Auckland")) == (date(2026, 11, 22), None)
    assert read_when("aujourd'hui", late, "fr", ZoneInfo("Europe/Paris")) == (date(2026, 11, 22), None)
    assert read_when("today", late, "en", ZoneInfo("America/Montreal")) == (date(2026, 11, 21), None)


def test_french_words_read_for_an_english_speaker_and_back():
    assert read_date("le 12 décembre", NOW, "en") == date(2026, 12, 12)
    assert read_date("December 12th", NOW, "fr") == date(2026, 12, 12)


# -- bounds: no input stops the reader --------------------------------------------------------------------------


HUGE = "9" * 5000


@pytest.mark.parametrize("words", [HUGE, "²", "①", "le ² janvier", "dans ① jours", "١٢/٠١", "²/01", f"{HUGE}/01", f"le {HUGE} janvier",
                                   "dans 99999 jours", "99999999999999999999-01-01", "\u0000", "le 12\u0000/01", "demain ²h"])
def test_huge_numbers_and_unicode_digits_are_refused_clearly(words):
    err = refused(words)
    assert err.message in (date_words.UNREADABLE, date_words.TOO_FAR, date_words.NOT_A_TIME)
    assert all(len(str(v)) <= 40 for v in err.params.values())  # quoted back short


def test_huge_numbers_in_a_sentence_are_no_date():
    assert find_date(f"Réunir {HUGE} personnes le ² janvier", NOW) is None
    assert read(f"Commander {HUGE} bouteilles", NOW).due is None


def test_every_new_message_has_its_french():
    french = Catalogs().get("fr")
    for message in (date_words.TOO_FAR, date_words.WEEK_NOT_DAY, date_words.AMBIGUOUS, date_words.DAY_FIRST,
                    date_words.NO_SUCH_DAY, date_words.WRONG_WEEKDAY):
        assert french(message) != message, message


# -- properties -------------------------------------------------------------------------------------------------


WORDS = ["le", "la", "à", "a", "at", "on", "by", "pour", "avant", "until", "jusqu'au", "d'ici", "du", "fin", "end", "of", "dans",
         "in", "12/01", "1er", "3ème", "2nd", "12.01", "12-01", "2027-01-12", "9999-12-31", "janvier", "février", "march", "May",
         "vendredi", "friday", "next", "prochain", "ce", "this", "demain", "tomorrow", "hier", "semaines", "days", "2", "15", "31",
         "18h", "18h30", "18", "h", "18:30", "6pm", "6:30", "pm", "25h", "99am", "midi", "en", "mars", "2027", "²", "①", "١٢",
         "0" * 30, "9" * 400, "menuiserie", "Atelier", ",", ".", "…", "\u0000", "\u202e", "’", "—", "🎉", "semaine", "mois"]
SENTENCES = st.lists(st.one_of(st.sampled_from(WORDS), st.text(max_size=6)), max_size=14).map(" ".join)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=SENTENCES, locale=st.sampled_from(["fr", "en"]))
def test_finding_a_date_never_loses_a_word_nor_raises(text, locale):
    found = find_date(text, NOW, locale)
    if found is not None:
        start, end = found.span
        assert found.before == text[:start] and found.after == text[end:]
        assert re.findall(r"\w+", found.before + " " + found.after) == re.findall(r"\w+", found.rest)
        assert found.day is not None or isinstance(found.problem, UserError)
    step, taken = take_date(text, NOW, locale)
    assert isinstance(step, str)
    read(text, NOW, locale)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(words=st.one_of(SENTENCES, st.text(max_size=40)), locale=st.sampled_from(["fr", "en"]))
def test_reading_a_date_raises_only_user_errors(words, locale):
    try:
        day, at = read_when(words, NOW, locale)
    except UserError:
        return
    assert date(2026, 11, 21) <= day <= date(2031, 11, 21)
