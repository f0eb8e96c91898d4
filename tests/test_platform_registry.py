"""A platform added the way the README says (its own module with its settings section and registry entry, nothing else
edited: tests/fake_platform.py) serves commands, links accounts, gets notifications and announcements in its rooms."""

from __future__ import annotations

import re

import pytest

from bot.app import App
from bot.config import Settings, env_example
from bot.core import platforms
from bot.core.i18n import french_typography as fr
from bot.services import demo
from bot.services.people import parse_handle
from models import Account
from tests.conftest import ROOT, Dialog, database_url
from tests.fake_platform import FakePlatform, registered


@pytest.fixture
async def fake_app(tmp_path, clock):
    """An App whose settings turn the fake platform on ([fake] enabled = true): the app builds its adapter."""
    with registered():
        settings = Settings(data_dir=tmp_path, database_url=database_url("sqlite", tmp_path), log_format="text",
                            sections={"fake": {"enabled": True}})
        app = App(settings, clock=clock)
        await app.start()
        await demo.seed("me", clock())
        await app.adapter("fake").start()  # `relais run` starts every adapter; here only the one under test
        yield app
        await app.adapter("fake").stop()
        await app.stop()


async def link(app: App, console_name: str, fake_address: str) -> str:
    """`link` on the console, then `link <code>` on the fake platform: the answer there."""
    code = re.search(r"[A-Z0-9]{4}-[A-Z0-9]{6}", await Dialog(app, console_name).say("relier"))
    assert code is not None
    return await app.adapter("fake").receive(fake_address, f"relier {code.group()}")


async def test_a_registered_platform_answers_links_and_is_notified(fake_app):
    platform = fake_app.adapter("fake")
    assert isinstance(platform, FakePlatform) and platform in fake_app.adapters
    assert "/relier" in await platform.receive("zoe", "aide")  # a command answered through the core
    assert parse_handle("FAKE:Zoe") == ("fake", "Zoe")  # its accounts are accounts everywhere (`unlink`, CLI)

    linked = await link(fake_app, "ana", "ana-phone")
    assert "console:ana" in linked and "fake:ana-phone" in linked
    ana = await Account.get(platform="console", address="ana")
    assert (await Account.get(platform="fake", address="ana-phone")).person_id == ana.person_id
    await Dialog(fake_app, "ana").check(("canal faux", "Désormais, vos notifications vont à fake:ana-phone."),
                                        ("canal pigeon", fr("« pigeon » n'est pas parmi : telegram, matrix, email, fake, console.")))

    # A project's news reaches Ana on the account she chose; a facilitator binds a room of the platform, and a poll is
    # announced there (its rooms are rooms, as Telegram's and Matrix's are: no private ballot for Ana, who is in it).
    await Dialog(fake_app, "camille").say("nouvelle dombes-brasserie Le brassin n°2 est en cuve")
    await link(fake_app, "me", "me-phone")
    assert "Usine Vivante" in await platform.receive("me-phone", f"/lier {demo.SLUG}", room="salle")
    await Dialog(fake_app, "me").say('sondage "Quel nom pour la fête ?" "Relais" "Passerelle"')
    await fake_app.delivery.drain()
    to_ana = [s["text"] for s in platform.sent if s["op"] == "notify" and s["to"] == "ana-phone"]
    to_room = [s["text"] for s in platform.sent if s["op"] == "post" and s["to"] == "#salle"]
    assert len(to_ana) == 1 and "Le brassin n°2 est en cuve" in to_ana[0]
    assert len(to_room) == 1 and "Quel nom pour la fête ?" in to_room[0]


def test_its_settings_section_is_read_and_documented_while_it_is_registered(monkeypatch):
    monkeypatch.setenv("RELAIS_FAKE_ENABLED", "true")
    assert "fake" not in platforms.names() and "RELAIS_FAKE_ENABLED" not in env_example()
    with registered():
        assert platforms.get("fake") is not None and "fake:<name>" in platforms.address_forms()
        assert Settings().section("fake").enabled is True
        assert "# --- fake ---\n# Serve the fake platform" in env_example() and "RELAIS_FAKE_ENABLED=False" in env_example()
    assert "fake" not in platforms.names()
    assert (ROOT / ".env.example").read_text(encoding="utf-8") == env_example()
