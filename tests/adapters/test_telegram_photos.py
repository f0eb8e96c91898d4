"""News photos in Telegram: each follower gets the photo through sendPhoto after the news text; Telegram has the
bytes once, every later send names its file_id, and what it holds is the cleaned image (no EXIF). A file sent alone
answers the question waiting for it, or is told how to post it."""

from __future__ import annotations

import socket

from bot.core.incoming import Incoming, Upload
from bot.services import demo
from models import FileUpload, NewsItem, ProjectFile, Role, StoredFile
from tests.adapters.test_telegram import relais, said, serve, started  # noqa: F401
from tests.peers.telegram_fixture import emu, telegram_token  # noqa: F401
from tests.test_files import gps_of, photo


async def test_followers_get_the_photo_uploaded_once_and_sent_by_file_id(relais, emu):
    users = [await started(emu, first_name=name, language_code="en") for name in ("Ana", "Bea", "Cy")]
    for user in users:
        await said(emu, user, "/follow dombes-brasserie")
    reply = await relais.app.dispatcher.handle(Incoming(platform="console", address="me", text="/news dombes-brasserie New tanks",
                                                        files=(Upload("tanks.jpg", photo()),)))
    assert reply is not None and not reply.error, reply
    sends = [(await emu.wait_for_sent(user["id"], 4, timeout=10))[2:4] for user in users]
    assert all("New tanks" in text["text"] and picture["method"] == "sendPhoto" for text, picture in sends)
    file_ids = {picture["message"]["photo"][-1]["file_id"] for _, picture in sends}
    assert len(file_ids) == 1, "one upload, then the same file_id"
    row = await StoredFile.get()
    assert (await FileUpload.get(file_id=row.id, platform="telegram")).remote_id in file_ids
    _, _, held = await emu.document(file_ids.pop())
    assert held == await relais.app.services.files.read(row.sha256) and gps_of(held) == {}


async def referent(relais, emu) -> dict:
    user = await started(emu, first_name="Rosa", language_code="en")
    community = await relais.app.services.people.community(demo.SLUG)
    await relais.app.services.people.grant(community, f"telegram:{user['id']}", Role.FACILITATOR)
    return user


async def test_an_album_captioned_with_the_command_posts_news_with_its_photos(relais, emu):
    rosa = await referent(relais, emu)
    shots = [(f"IMG_{n}.jpg", photo(colour=(40 * n, 90, 120))) for n in range(3)]
    await emu.send_files(rosa, shots, caption="/news dombes-brasserie Three tanks")
    [answer] = (await emu.wait_for_sent(rosa["id"], 2, timeout=60))[1:]
    assert "News posted to Brasserie de la Dombes." in answer["text"] and "With 3 photos." in answer["text"], answer["text"]
    item = await NewsItem.get(text="Three tanks")
    uses = await ProjectFile.filter(news_id=item.id).order_by("position").prefetch_related("file")
    assert len(uses) == 3 and len({u.file.sha256 for u in uses}) == 3
    for use in uses:
        assert gps_of(await relais.app.services.files.read(use.file.sha256)) == {}


async def test_through_a_webhook_an_albums_messages_come_one_by_one_and_make_one_news(tmp_path, emu, telegram_emulator):
    """A webhook brings one update per request (here one at a time, as the emulator does; behind a load balancer,
    perhaps to several processes): the album is read back from the inbox once whole."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    running = await serve(tmp_path, telegram_emulator.base_url, webhook_url=f"http://127.0.0.1:{port}/telegram/hook",
                          webhook_listen=f"127.0.0.1:{port}")
    try:
        rosa = await referent(running, emu)
        shots = [(f"IMG_{n}.jpg", photo(colour=(60 * n, 20, 200))) for n in range(3)]
        sent = await emu.send_files(rosa, shots, caption="/news dombes-brasserie Three tanks by webhook")
        [answer] = (await emu.wait_for_sent(rosa["id"], 2, timeout=60))[1:]
        assert "News posted to Brasserie de la Dombes." in answer["text"] and "With 3 photos." in answer["text"], answer["text"]
        assert (await emu.stats())["webhook_deliveries"] >= 1 + len(sent["messages"])  # /start, then one per file
        item = await NewsItem.get(text="Three tanks by webhook")
        assert await ProjectFile.filter(news_id=item.id).count() == 3
        await running.adapter.inbox.idle()
        assert len(await emu.sent(rosa["id"])) == 2, "one answer for the album, none for its other messages"
    finally:
        await running.stop()


async def test_a_document_or_five_photos_are_refused_and_nothing_is_posted(relais, emu):
    rosa = await referent(relais, emu)
    await emu.send_files(rosa, [("plan.pdf", b"%PDF-1.4 a plan")], caption="/news dombes-brasserie The plan", kind="document",
                         mime_type="application/pdf")
    [refused] = (await emu.wait_for_sent(rosa["id"], 2, timeout=60))[1:]
    assert "⚠️" in refused["text"] and "plan.pdf" in refused["text"], refused["text"]
    await emu.send_files(rosa, [(f"{n}.jpg", photo(colour=(n, n, n))) for n in range(5)], caption="/news dombes-brasserie Five")
    [refused] = (await emu.wait_for_sent(rosa["id"], 3, timeout=60))[2:]
    assert "At most 4 photos" in refused["text"], refused["text"]
    assert not await NewsItem.filter(text__in=("The plan", "Five")).exists() and not await StoredFile.exists()


async def test_a_file_sent_alone_answers_the_question_waiting_or_says_how_to_post_it(relais, emu):
    rosa = await referent(relais, emu)
    await emu.send_files(rosa, [("tanks.jpg", photo())])  # no caption, no question waiting
    [hint] = (await emu.wait_for_sent(rosa["id"], 2, timeout=60))[1:]
    assert "A photo without a command: send it with “/news" in hint["text"], hint["text"]
    await said(emu, rosa, "/document dombes-brasserie Cellar plans")  # the question: which file?
    await emu.send_files(rosa, [("plans.pdf", b"%PDF-1.4 the cellar")], kind="document", mime_type="application/pdf")
    [added] = (await emu.wait_for_sent(rosa["id"], 4, timeout=60))[3:]
    assert "Document 1 of Brasserie de la Dombes: " in added["text"] and "Cellar plans" in added["text"], added["text"]
    assert (await ProjectFile.get()).title == "Cellar plans"  # the photo alone was stored nowhere


async def test_a_photo_sent_after_the_news_joins_it_and_reaches_each_follower_by_file_id(relais, emu):
    rosa = await referent(relais, emu)
    ana = await started(emu, first_name="Ana", language_code="en")
    await said(emu, ana, "/follow dombes-brasserie")
    [posted] = await said(emu, rosa, "/news dombes-brasserie The new tank is in")
    assert "A photo with it? Send it in your next message (up to 4)" in posted["text"], posted["text"]
    news = await emu.wait_for_sent(ana["id"], 3, timeout=10)
    assert "The new tank is in" in news[2]["text"]
    await emu.send_files(rosa, [("tank.jpg", photo())])
    [added] = (await emu.wait_for_sent(rosa["id"], 3, timeout=60))[2:]
    assert "1 photo added to the news of Brasserie de la Dombes. 3 followers notified." in added["text"], added["text"]
    text, picture = (await emu.wait_for_sent(ana["id"], 5, timeout=10))[3:5]
    assert "photos of the news from" in text["text"] and "The new tank is in" in text["text"], text["text"]
    assert picture["method"] == "sendPhoto"
    item = await NewsItem.get(text="The new tank is in")
    assert await ProjectFile.filter(news_id=item.id).count() == 1
