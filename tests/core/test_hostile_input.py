"""Inputs that cannot stop a channel: a NUL or another control character is cleaned at the edge, an event the database
still refuses is parked alone (the others and the cursor go on), numbers are ASCII and bounded — on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from bot.core.numbers import clean, clean_all, is_number, read_number
from bot.services.failures import Failures
from models import AdapterState, InboundEvent, InboundStatus
from tests.conftest import Dialog, fake_platform


def test_numbers_are_ascii_digits_within_bounds():
    assert read_number("12") == 12 and read_number("#3") == 3 and read_number(" 7 ") == 7
    for bad in ("²", "①", "٣", "1²", "-1", "1.5", "", "#", "9" * 11, "9" * 5000, "2147483648"):
        assert read_number(bad) is None, bad
    assert read_number("5", 1, 4) is None and read_number("4", 1, 4) == 4
    assert is_number("3") and not is_number("²") and not is_number("12345") and not is_number("")


def test_clean_keeps_text_and_drops_what_a_database_refuses():
    assert clean("Bonjour à tous\tet\nmerci") == "Bonjour à tous\tet\nmerci"
    assert clean("a\x00b\x07c\x1bd\x7fe") == "abcde"
    assert clean("ligne\r\nsuivante\rfin") == "ligne\nsuivante\nfin"
    assert "\ud800" not in clean("x\ud800y")
    assert clean_all({"text\x00": ["a\x00", {"b": "c\x00"}], "n": 3}) == {"text": ["a", {"b": "c"}], "n": 3}


@pytest.mark.parametrize("line", ["aide\x00", "\x00", "suivre dombes-brasserie\x00", "²", "①", "9" * 5000, "voter #99999999999999999999 1",
                                  "nouvelle supprimer dombes-brasserie 2147483648", "étape supprimer dombes-brasserie ³",
                                  "rapport ²", "relance confirmer 99999999999", "je viens abc", "je viens 99999999999999999999"])
async def test_hostile_lines_get_an_answer_not_an_internal_error(any_app, line):
    got = await Dialog(any_app, "camille").say(line)
    assert "Quelque chose s'est mal passé" not in got, got
    assert got or not clean(line).strip(), "only a line that is empty once cleaned gets no answer"


async def test_a_nul_reaches_the_core_cleaned_and_a_refused_event_is_parked_alone(any_app):
    platform = await fake_platform(any_app)
    try:
        got = await platform.receive("ana", "projets\x00")
        assert "Brasserie de la Dombes" in got
        [stored] = await InboundEvent.filter(platform="fake").values_list("payload", flat=True)
        assert "\x00" not in str(stored)
        # A batch whose second event the database (or its JSON encoding) refuses: the other two are handled, the bad
        # one parked with its error, and the cursor stored with the batch moves on.
        from bot.runtime.inbox import Event

        async def cursor(conn) -> None:
            await AdapterState.update_or_create(key="fake:cursor", defaults={"value": "42"}, using_db=conn)

        batch = [Event("fake:b1", "fake:ana", {"user": "ana", "text": "projets", "room": None}),
                 Event("fake:b2", "fake:ana", {"user": "ana", "text": "projets", "room": None, "bad": float("nan") if
                                               any_app.database_url.startswith("postgres") else {1, 2}}),
                 Event("fake:b3", "fake:jules", {"user": "jules", "text": "projets", "room": None})]
        fresh = await platform.inbox.accept(batch, also=cursor)
        assert [e.key for e in fresh] == ["fake:b1", "fake:b3"]
        await platform.inbox.idle()
        assert (await AdapterState.get(key="fake:cursor")).value == "42"
        done = await InboundEvent.filter(key__in=["fake:b1", "fake:b3"], status=InboundStatus.DONE).count()
        assert done == 2
        parked = await InboundEvent.get(key="fake:b2")
        assert parked.status == InboundStatus.FAILED and "not storable" in parked.last_error
        listed = await Failures(any_app.clock).parked()
        assert any(p.ref == f"event:{parked.id}" and "not storable" in p.error for p in listed)
    finally:
        await platform.stop()
