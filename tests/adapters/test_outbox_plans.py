"""A notification of several calls (its text with buttons, then its photo) goes the way of an answer: planned, stored
on its outbox row before the first call, each call counted there; cut off after the first and restarted, Relais makes
the photo's call alone, against the Telegram emulator and a real Synapse."""

from __future__ import annotations

from bot.adapters.matrix.render import choice_marker
from bot.core.errors import TemporaryFailure
from bot.core.incoming import Incoming, Upload
from models import Community, OutboxMessage, OutboxStatus
from tests.adapters.matrix_helpers import body, until
from tests.adapters.test_matrix_photos import direct_chats, follow, images
from tests.adapters.test_telegram import buttons, eventually, said, serve, started
from tests.peers.telegram_fixture import emu, telegram_token  # noqa: F401
from tests.test_files import photo


def cut_before(adapter, monkeypatch, op: str) -> None:
    """The adapter's calls of kind `op` fail (the connection lost, the process about to go down)."""
    real = adapter.perform

    async def perform(action: dict):
        if action["op"] == op:
            raise TemporaryFailure("connection lost")
        return await real(action)

    monkeypatch.setattr(adapter, "perform", perform)


async def half_sent() -> OutboxMessage:
    """The notification whose first call is made and whose second failed: its plan and progress on its row."""
    return await eventually(lambda: OutboxMessage.filter(attempts__gte=1, done=1).first())


async def test_telegram_notification_cut_after_its_text_sends_only_its_photo_after_a_restart(tmp_path, emu, telegram_emulator, monkeypatch):
    relais = await serve(tmp_path, telegram_emulator.base_url)
    try:
        ana = await started(emu, first_name="Ana", language_code="en")
        await said(emu, ana, "/follow dombes-brasserie")
        before = len(await emu.sent(ana["id"]))
        cut_before(relais.adapter, monkeypatch, "photo")
        reply = await relais.app.dispatcher.handle(Incoming(platform="console", address="me", text="/news dombes-brasserie New tanks",
                                                            files=(Upload("tanks.jpg", photo()),)))
        assert reply is not None and not reply.error, reply
        row = await half_sent()
        assert [step["op"] for step in row.plan["steps"]] == ["send", "photo"] and row.status != OutboxStatus.SENT
        await relais.stop()

        relais = await serve(tmp_path, telegram_emulator.base_url, seed=False)  # the photo's call works again
        await eventually(lambda: OutboxMessage.exists(id=row.id, status=OutboxStatus.SENT, plan=None))
        text, picture = (await emu.sent(ana["id"]))[before:]
        assert "New tanks" in text["text"] and [label for label, _ in buttons(text)] == ["See the project", "Stop following"]
        assert picture["method"] == "sendPhoto", "the photo alone after the restart: the text is not sent twice"
    finally:
        await relais.stop()


async def test_matrix_notification_cut_after_its_text_sends_only_its_image_after_a_restart(people, relais_on, monkeypatch):
    ana = await people("ana")
    async with await relais_on() as relais:
        await Community.filter(slug="usine-vivante").update(matrix_encryption=False)  # this client has no encryption
        await follow(relais, ana)
        cut_before(relais.adapter, monkeypatch, "picture")
        reply = await relais.app.dispatcher.handle(Incoming(platform="console", address="camille", text="nouvelle dombes-brasserie Premier brassin",
                                                            files=(Upload("brassin.jpg", photo()),)))
        assert reply is not None and not reply.error, reply
        row = await half_sent()
        assert [step["op"] for step in row.plan["steps"]] == ["send", "picture"] and row.status != OutboxStatus.SENT
        await relais.stop()
        monkeypatch.undo()

        await relais.start()
        [room] = await direct_chats(ana)
        await ana.wait(lambda: images(ana, room, relais.user_id), what="the image")
        await until(lambda: OutboxMessage.exists(id=row.id, status=OutboxStatus.SENT, plan=None), "the notification sent")
        notices = [e for e in ana.notices(room, relais.user_id) if "Premier brassin" in body(e)]
        assert len(notices) == 1 and len(images(ana, room, relais.user_id)) == 1, "the text once, then the image"
        assert f"{choice_marker(1)} Voir le projet" in body(notices[0]), body(notices[0])  # its choices, by keycap
