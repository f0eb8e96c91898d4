"""Ranked and date polls answered in chat one option at a time, as a conversation of choices (nobody types
`vote usine-vivante#5 2 1 3`), in English and French, console and the fake platform; a secret ranked poll's steps
repeat nothing and keep nothing in the database; results anyone can check: the rounds with the tie-break, the grid."""

from __future__ import annotations

import json

import pytest

from bot.core.i18n import french_typography as fr
from bot.core.sql import fetch
from models import Ballot, PendingQuestion, VotePoll
from tests.conftest import Dialog, make_app

KEY = "a test key that is not in the database"


async def test_a_ranked_poll_answered_one_option_at_a_time(talk):
    me, ana = talk("me"), talk("ana")
    for who in (me, ana):
        await who.say("lang en")
    await me.say('poll "Which name?" "Astre" "Brume" "Comète" "Dune" ranked')
    await ana.check(
        ("poll show 1", "1) Vote one option at a time"),
        ("1", ["Which name?", "Your first choice?", "1) Astre", "2) Brume", "3) Comète", "4) Dune"]),
        ("2", ["Your ranking so far: Brume", "Your second choice?", "1) Astre", "2) Comète", "3) Dune"]),
        ("3", ["Your ranking so far: Brume > Dune", "Your third choice?", "1) Astre", "2) Comète", "3) That's all: vote"]),
        ("1", ["Vote recorded on poll #1: ", "Brume > Dune > Astre > Comète"]),  # the last one follows
    )
    poll = await VotePoll.get(number=1)
    assert await Ballot.filter(poll_id=poll.id).values_list("choice", flat=True) == [[2, 4, 1, 3]]
    await ana.check(("ballot 1", "Your first choice?"), ("3", ["Your second choice?", "4) That's all: vote"]),
                    ("4", ["Ballot replaced on poll #1: ", "Comète"]))
    assert await Ballot.filter(poll_id=poll.id).values_list("choice", flat=True) == [[3]]  # stopped after one: replaced


async def test_un_sondage_de_date_répondu_date_par_date(talk):
    me, ana = talk("me"), talk("ana")
    await me.say('sondage-date "Journée chantier" "12 décembre" "13 décembre" "19 décembre"')
    await ana.check(
        ("bulletin 1", ["Journée chantier", fr("Date 1 sur 3 : "), "samedi 12 décembre 2026", fr("Pouvez-vous venir ?"),
                        "1) Oui", "2) Si besoin", "3) Non"]),
        ("1", [fr("Date 2 sur 3 : "), "dimanche 13 décembre 2026"]),
        ("2", [fr("Date 3 sur 3 : "), "samedi 19 décembre 2026"]),
        ("3", fr("Vote enregistré sur le sondage #1 : ")),
    )
    poll = await VotePoll.get(number=1)
    assert await Ballot.filter(poll_id=poll.id).values_list("choice", flat=True) == [{"yes": [1], "maybe": [2]}]
    await me.check(("résultats 1", ["Qui peut venir", "Ana", "✓", "(✓)", "✗", "oui", "si besoin", "non"]))


async def test_the_results_show_the_rounds_and_the_tie_break(talk):
    me = talk("me")
    await me.say("lang en")
    await me.say('poll "Which name?" "Astre" "Brume" "Comète" "Dune" ranked')
    for who, ballot in (("me", "1 2"), ("camille", "1 3"), ("ana", "2 1"), ("jules", "3 2"), ("louise", "4 2")):
        await talk(who).say(f"vote 1 {ballot}")
    await me.check(("poll close 1", ["Results of poll #1", "Instant-runoff rounds", "Round 1", "Round 3",
                                     "Round 1: Dune eliminated; tie with Brume, Comète (1 each): Dune has fewer second choices (0 against 3, 1).",
                                     "Tie-break (pyrankvote's rule)", "Chosen: Brume"]))
    await talk("ana").check(("résultats 1", ["Tour 1", fr("Départage (la règle de pyrankvote) :"), fr("Choix retenu : Brume")]))


@pytest.fixture
async def keyed(tmp_path, clock):
    app = await make_app("sqlite", tmp_path, clock, secret_key=KEY)
    yield app
    await app.stop()


async def test_a_secret_ranked_poll_in_steps_repeats_nothing_and_keeps_nothing(keyed):
    app = keyed
    me, ana = Dialog(app, "me", locale="en"), Dialog(app, "ana", locale="en")
    await me.say("lang en")
    await ana.say("lang en")
    await me.say('poll "Which name?" "Astre" "Brume" "Comète" secret')
    await me.say('poll "Rank them" "Astre" "Brume" "Comète" ranked secret')
    first = await ana.say("ballot 2")
    assert "Your first choice?" in first and "1) Astre" in first and "3) Comète" in first
    second = await ana.say("3")
    assert "Your second choice?" in second and "3) Comète" in second and "so far" not in second  # all options, no echo
    assert "You have ranked that option already" in await ana.say("ballot 2 3")
    assert "Your vote on poll #2 is recorded." in await ana.say("ballot 2 1")
    poll = await VotePoll.get(number=2)
    await me.say("poll close 2")
    rows = await fetch('SELECT "choice" FROM "ballot" WHERE "poll_id" = ?', [poll.id])
    assert [json.loads(r[0]) if isinstance(r[0], str) else r[0] for r in rows] == [[3, 1, 2]]
    assert not await PendingQuestion.exists()
    for table, column in (("choice_offer", "command"), ("inbound_event", "payload")):
        try:
            rows = await fetch(f'SELECT "{column}" FROM "{table}"', [])
        except Exception:
            continue
        assert not [r for r in rows if "ballot usine-vivante#2 3 1" in str(r[0]) or "vote usine-vivante#2 3" in str(r[0])]
