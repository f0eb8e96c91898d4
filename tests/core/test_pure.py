"""Pure pieces of the core: the line parser, due dates, renderers and the reply's round trip."""

from datetime import date, datetime

import pytest

from bot.core import parser
from bot.core.dates import parse_due, split_due
from bot.core.errors import UserError
from bot.core.render import to_html, to_text
from bot.core.replies import Reply, bold, code, link

NOW = datetime(2026, 11, 21, 11, 0)  # Saturday


@pytest.mark.parametrize("text,prefixed,words", [
    ("/follow dombes", True, ["follow", "dombes"]),
    ("!follow  dombes", True, ["follow", "dombes"]),
    ("/follow@relais_bot dombes", True, ["follow", "dombes"]),
    ("follow dombes", False, ["follow", "dombes"]),
    ("  suivre  ", False, ["suivre"]),
])
def test_split_line(text, prefixed, words):
    line = parser.split_line(text)
    assert line.prefixed is prefixed
    assert line.words == words


def test_empty_lines_are_nothing():
    assert parser.split_line("   ") is None
    assert parser.split_line("/") is None


def test_tokens_keep_quotes_and_rest_keeps_spacing():
    token, rest = parser.next_token('"Brasserie de la Dombes" Une  gamme')
    assert token == "Brasserie de la Dombes"
    assert rest == "Une  gamme"
    assert parser.rest_after("project add x  «Le titre»  l'été", 2) == "x  «Le titre»  l'été"
    assert parser.next_token("«Le titre» reste") == ("Le titre", "reste")


@pytest.mark.parametrize("text,step,when", [
    ("Imprimer les étiquettes pour le 12 mars", "Imprimer les étiquettes", "le 12 mars"),
    ("Find a venue by next friday", "Find a venue", "next friday"),
    ("Just a step", "Just a step", None),
    ("Un pot pour fêter ça pour 2026-12-04", "Un pot pour fêter ça", "2026-12-04"),
])
def test_split_due(text, step, when):
    assert split_due(text) == (step, when)


@pytest.mark.parametrize("words,expected", [
    ("le 12 mars", date(2027, 3, 12)),
    ("12 mars", date(2027, 3, 12)),
    ("vendredi prochain", date(2026, 11, 27)),
    ("next friday", date(2026, 11, 27)),
    ("2026-12-04", date(2026, 12, 4)),
    ("demain", date(2026, 11, 22)),
    ("tomorrow", date(2026, 11, 22)),
])
def test_parse_due_in_french_and_english(words, expected):
    assert parse_due(words, NOW) == expected


@pytest.mark.parametrize("words", ["blablaxyz", "la semaine des quatre jeudis"])
def test_unknown_dates_are_errors_not_guesses(words):
    with pytest.raises(UserError) as err:
        parse_due(words, NOW)
    assert err.value.params["when"] == words


def test_past_dates_are_refused():
    with pytest.raises(UserError) as err:
        parse_due("2026-11-01", NOW)
    assert "past" in err.value.message


def test_renderers_escape_and_keep_structure():
    reply = (Reply().para("News of ", bold("A & B"), " <now>", " ", link("site", "https://x.org/?a=1&b=2"))
             .items([(code("x"), " one"), "two"], title="List").choice("Undo", "unfollow a"))
    assert to_text(reply) == ("News of A & B <now> site <https://x.org/?a=1&b=2>\n\nList\n  • x one\n  • two\n\n  1) Undo")
    assert to_html(reply) == ('<p>News of <b>A &amp; B</b> &lt;now&gt; <a href="https://x.org/?a=1&amp;b=2">site</a></p>'
                              "<p><b>List</b></p><ul><li><code>x</code> one</li><li>two</li></ul>")


def test_reply_round_trips_through_json():
    reply = Reply(error=True).para("a", bold("b")).items(["c"], title="t").choice("d", "help")
    assert Reply.from_dict(reply.to_dict()) == reply
