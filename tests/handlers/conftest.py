"""The dialog transcripts run twice: through the console chat, and through a platform made only of the adapter
contract (its messages stored in the inbox and answered by the pipeline, like Telegram's and Matrix's)."""

from __future__ import annotations

import pytest

from tests.conftest import Dialog, FakeDialog, fake_platform


@pytest.fixture(params=["console", "fake"])
async def talk(request, app):
    platform = await fake_platform(app) if request.param == "fake" else None

    def make(name: str = "me", room: str | None = None, locale: str | None = None):
        return FakeDialog(platform, name, room) if platform else Dialog(app, name, room, locale)

    yield make
    if platform is not None:
        await platform.stop()
