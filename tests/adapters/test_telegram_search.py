"""Search in Telegram, end to end against the Bot API emulator: the results in private and in a bound group, and a
result's button that opens its project."""

from __future__ import annotations

import pytest

from tests.adapters.test_telegram import TOKEN, buttons, said, serve, started
from tests.adapters.test_telegram_polls import bound_group
from tests.peers.telegram_client import TelegramEmulator


@pytest.fixture
async def relais(tmp_path, emu, telegram_emulator):
    running = await serve(tmp_path, telegram_emulator.base_url)
    yield running
    await running.stop()


async def test_a_search_in_private_then_its_button_opens_the_project(relais, emu):
    ana = await started(emu, first_name="Ana", language_code="en")
    [found] = await said(emu, ana, "/search brasser")
    assert found["text"].startswith("3 results: 1 project, 1 news item, 1 next step.\n\n"
                                    "Found in Tiers-lieu de l'Usine Vivante for “brasser”, best first:")
    assert "📁 Brasserie de la Dombes · project" in found["text"]
    assert "📰 Brasserie de la Dombes · news item" in found["text"] and "La campagne a passé 40 %" in found["text"]
    assert [label for label, _ in buttons(found)] == ["Brasserie de la Dombes"]
    await emu.press(ana, found["message_id"], text="Brasserie de la Dombes")
    card = (await emu.wait_for_sent(ana["id"], 3))[2]
    assert card["text"].startswith("Brasserie de la Dombes (dombes-brasserie)")
    zoe = await started(emu, first_name="Zoé", language_code="fr")
    [trouve] = await said(emu, zoe, "chercher campagne")
    assert trouve["text"].startswith("3 résultats\u202f: 1 nouvelle, 1 prochaine étape, 1 projet.\n\n"
                                     "Trouvé dans Tiers-lieu de l'Usine Vivante pour « campagne »")


async def test_a_search_in_a_bound_group_finds_what_was_said_there(relais, emu):
    jules = await started(emu, first_name="Jules", language_code="en")
    camille, gid = await bound_group(relais, emu, jules)
    await said(emu, camille, "/news@relais_bot conciergerie-rurale La tournée des paniers passe mardi", chat_id=gid)
    [found] = await said(emu, jules, "/search@relais_bot paniers", chat_id=gid)
    assert "La tournée des paniers passe mardi" in found["text"] and "Conciergerie rurale · news item" in found["text"]
