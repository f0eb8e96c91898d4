"""The pipeline on every channel, against the real peers: a question asked, Relais restarted, the answer given
and the handler receiving it (a /command typed instead still runs), and files and link buttons shown natively."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import aiohttp
import pytest

from bot.adapters.console import ConsoleChat
from bot.adapters.links.tokens import LinkTokens
from bot.core.i18n import french_typography as fr
from bot.core.replies import Attachment, LinkButton, Reply
from models import Account, NextStep, OutboxMessage, PendingQuestion, Person, Prompt
from tests.adapters.matrix_helpers import Member, body
from tests.adapters.matrix_helpers import Relais as MatrixRelais
from tests.adapters.test_telegram import TOKEN, buttons, said, serve, started
from tests.conftest import database_url
from tests.mail.conftest import RELAIS, mail_settings, person_with_email, shutdown
from tests.mail.conftest import serve as serve_mail
from tests.peers.telegram_client import TelegramEmulator

ICS = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Relais//test//\r\nEND:VCALENDAR\r\n"
PLEDGE = "https://www.helloasso.com/associations/brasserie/collectes/cuve"


def notification() -> Reply:
    return (Reply().para("Réunion générale le 12 décembre.").add(LinkButton("Soutenir la brasserie", PLEDGE))
            .add(Attachment("reunion.ics", "text/calendar", ICS, "L'invitation")))


async def as_camille(platform: str, address: str) -> None:
    """The account becomes Camille's (the demo's referent of dombes-brasserie)."""
    camille = await Account.get(platform="console", address="camille")
    await Account.filter(platform=platform, address=address).update(person_id=camille.person_id)


async def outbox(app, person: Person, reply: Reply, key: str) -> None:
    await OutboxMessage.create(key=key, person_id=person.id, kind="test", payload=reply.to_dict(), next_attempt_at=app.clock())
    app.delivery.wake()


# -- Telegram (the Bot API emulator) ----------------------------------------------------------------------------

async def test_telegram_question_survives_a_restart(tmp_path, emu, telegram_emulator):
    running = await serve(tmp_path, telegram_emulator.base_url)
    try:
        camille = await started(emu, first_name="Camille", language_code="fr")
        await as_camille("telegram", str(camille["id"]))
        running.app.services.people.changed()
        [asked] = await said(emu, camille, "/etape dombes-brasserie")
        assert "Quelle est la prochaine étape de Brasserie de la Dombes ?" in asked["text"]
    finally:
        await running.stop()
    running = await serve(tmp_path, telegram_emulator.base_url, seed=False)
    try:
        [listing] = await said(emu, camille, "/suivis")  # a command typed instead runs as that command
        assert listing["text"].startswith("Vous suivez")
        [done] = await said(emu, camille, "Trouver une salle pour vendredi prochain")
        assert "Prochaine étape de Brasserie de la Dombes : Trouver une salle" in done["text"]
        step = await NextStep.filter(project__slug="dombes-brasserie").order_by("-id").first()
        assert step.text == "Trouver une salle" and not await PendingQuestion.exists()
    finally:
        await running.stop()


async def test_telegram_files_are_documents_and_link_buttons_url_buttons(tmp_path, emu, telegram_emulator):
    running = await serve(tmp_path, telegram_emulator.base_url)
    try:
        ana = await started(emu, first_name="Ana", language_code="fr")
        person = (await Account.get(platform="telegram", address=str(ana["id"])).prefetch_related("person")).person
        before = len(await emu.sent(ana["id"]))
        await outbox(running.app, person, notification(), "test:telegram")
        text, document = (await emu.wait_for_sent(ana["id"], before + 2))[before:]
        assert text["text"] == "Réunion générale le 12 décembre."
        assert buttons(text) == [("Soutenir la brasserie", PLEDGE)]
        assert document["caption"] == "L'invitation"
        name, mime, content = await emu.document(document["document"]["file_id"])
        assert (name, mime, content) == ("reunion.ics", "text/calendar", ICS)
    finally:
        await running.stop()


async def test_telegram_pledge_is_a_personal_url_button_with_the_progress(tmp_path, emu, telegram_emulator):
    running = await serve(tmp_path, telegram_emulator.base_url)
    try:
        tokens = LinkTokens("test-secret", running.app.clock)
        running.app.services.pledges.links.configure("https://relais.example", tokens)
        got = await ConsoleChat(running.app.console, "camille").exchange(f"campagne ajouter dombes-brasserie don 12k {PLEDGE}")
        assert "Campagne lancée" in got
        ana = await started(emu, first_name="Ana", language_code="fr")
        [answer] = await said(emu, ana, "/soutenir dombes-brasserie 20")
        assert fr("Promesse enregistrée : 20") in answer["text"] and "▓" not in answer["text"] and "0\u202f%" in answer["text"]
        [(label, url)] = [b for b in buttons(answer) if b[1].startswith("https://")]
        assert label == "Soutenir Brasserie de la Dombes" and url.startswith("https://relais.example/p/")
        person = (await Account.get(platform="telegram", address=str(ana["id"]))).person_id
        assert tokens.read(url.rsplit("/", 1)[1]).who == person
    finally:
        await running.stop()


async def test_telegram_report_chart_is_a_photo(tmp_path, emu, telegram_emulator):
    running = await serve(tmp_path, telegram_emulator.base_url)
    try:
        boss = await started(emu, first_name="Lea", language_code="fr")
        me = await Account.get(platform="console", address="me")
        await Account.filter(platform="telegram", address=str(boss["id"])).update(person_id=me.person_id)
        running.app.services.people.changed()
        sent = await said(emu, boss, "/bilan 4", answers=2)
        assert any("Les 4 dernières semaines de Tiers-lieu de l'Usine Vivante" in (m.get("text") or "") for m in sent)
        [photo] = [m for m in sent if m["method"] == "sendPhoto"]
        assert photo["caption"] == "Participation et activité, semaine par semaine"
    finally:
        await running.stop()


# -- Matrix (a real Synapse) -------------------------------------------------------------------------------------

async def test_matrix_question_survives_a_restart_and_files_are_uploaded(synapse, tmp_path):
    camille = await Member.new(synapse, "camille")
    relais = await MatrixRelais.new(synapse, tmp_path, invite_allow=camille.user_id, database_url=database_url("sqlite", tmp_path))
    try:
        dm = await camille.create_room(invite=[relais.user_id], direct=True)
        await camille.wait(lambda: camille.notices(dm, relais.user_id), what="greeting")
        await as_camille("matrix", camille.user_id)
        relais.app.services.people.changed()
        asked = await camille.say(dm, "etape dombes-brasserie")
        assert "Quelle est la prochaine étape" in body(await camille.reply_to(dm, asked, relais.user_id))
        await relais.stop()
        await relais.start()
        command = await camille.say(dm, "!suivis")  # a !command typed instead runs as that command
        assert "Vous suivez" in body(await camille.reply_to(dm, command, relais.user_id))
        answer = await camille.say(dm, "Trouver une salle pour vendredi prochain")
        assert "Prochaine étape de Brasserie de la Dombes : Trouver une salle" in body(await camille.reply_to(dm, answer, relais.user_id))
        assert not await PendingQuestion.exists()

        person = await Person.get(accounts__platform="console", accounts__address="camille")
        await outbox(relais.app, person, notification(), "test:matrix")
        files = await camille.wait(lambda: camille.find(dm, lambda e: (e.get("content") or {}).get("msgtype") == "m.file"),
                                   what="the file")
        content = files[0]["content"]
        assert content["filename"] == "reunion.ics" and content["info"]["mimetype"] == "text/calendar"
        assert content["url"].startswith("mxc://")
        server, media = content["url"].removeprefix("mxc://").split("/", 1)
        async with aiohttp.ClientSession() as http:
            async with http.get(f"{synapse.base_url}/_matrix/client/v1/media/download/{server}/{media}",
                                headers={"Authorization": f"Bearer {camille.client.access_token}"}) as resp:
                assert resp.status == 200 and await resp.read() == ICS
        [text] = [e for e in camille.notices(dm, relais.user_id) if "Réunion générale" in body(e)]
        assert f'<a href="{PLEDGE}"><b>Soutenir la brasserie</b></a>' in text["content"]["formatted_body"]
    finally:
        await relais.stop()
        await camille.close()


# -- Mail (SMTP exchanges, the link endpoint) --------------------------------------------------------------------

async def test_mail_question_is_answered_by_replying_after_a_restart(tmp_path, clock, sink):
    settings = mail_settings(tmp_path, sink)
    app, mail, stop, task = await serve_mail(settings, clock)
    try:
        await person_with_email("Camille2", "camille@example.org")
        await as_camille("email", "camille@example.org")
        await send(mail, "From: Camille <camille@example.org>\nSubject: etape dombes-brasserie\nMessage-ID: <q1@example.org>\n\n")
        [question] = await asyncio.to_thread(sink.wait_for, 1, 10)
        assert "Quelle est la prochaine étape de Brasserie de la Dombes ?" in question.message.get_body(("plain",)).get_content()
    finally:
        await shutdown(app, stop, task)
    sink.clear()
    app, mail, stop, task = await serve_mail(settings, clock, seed=False)
    try:
        await send(mail, f"From: Camille <camille@example.org>\nTo: {question['Reply-To'] or RELAIS}\n"
                         f"Subject: Re: {question['Subject']}\nMessage-ID: <q2@example.org>\nIn-Reply-To: {question['Message-ID']}\n\n"
                         "Trouver une salle pour vendredi prochain\n\nCamille\n\n> Quelle est la prochaine étape ?\n",
                   to=question["Reply-To"] or RELAIS)
        [answer] = await asyncio.to_thread(sink.wait_for, 1, 10)
        text = answer.message.get_body(("plain",)).get_content()
        assert "Prochaine étape de Brasserie de la Dombes : Trouver une salle" in text
        assert answer["In-Reply-To"] == "<q2@example.org>"
        assert (await NextStep.filter(project__slug="dombes-brasserie").order_by("-id").first()).text == "Trouver une salle"
    finally:
        await shutdown(app, stop, task)


async def test_mail_files_are_attachments_and_link_buttons_buttons(tmp_path, clock, sink):
    app, mail, stop, task = await serve_mail(mail_settings(tmp_path, sink), clock)
    try:
        ana = await person_with_email("Ana", "ana@example.org")
        await outbox(app, ana, notification(), "test:mail")
        [received] = await asyncio.to_thread(sink.wait_for, 1, 10)
        message = received.message
        parts = {part.get_filename(): part for part in message.iter_attachments()}
        assert parts["reunion.ics"].get_content_type() == "text/calendar" and parts["reunion.ics"].get_payload(decode=True) == ICS
        assert f"Soutenir la brasserie\n  {PLEDGE}" in message.get_body(("plain",)).get_content().replace("\r\n", "\n")
        html = message.get_body(("html",)).get_content()
        assert f'<a href="{PLEDGE}"' in html and ">Soutenir la brasserie</a>" in html
    finally:
        await shutdown(app, stop, task)


async def send(mail, text: str, to: str = RELAIS) -> None:
    import aiosmtplib

    from tests.mail.conftest import crlf

    async with aiosmtplib.SMTP(hostname="127.0.0.1", port=mail.gateway.port, timeout=10) as client:
        await client.sendmail("camille@example.org", [to], crlf(text))


# -- Console ------------------------------------------------------------------------------------------------------

async def test_console_files_are_written_and_link_buttons_printed(app):
    person = await Person.get(accounts__platform="console", accounts__address="ana")
    await outbox(app, person, notification(), "test:console")
    assert await app.delivery.drain() == 1
    [shown] = await ConsoleChat(app.console, "ana").unseen()
    assert "🔗 Soutenir la brasserie → " + PLEDGE in shown
    path = shown.split("📎 reunion.ics — L'invitation\n   ")[1].split("\n")[0]
    assert path.startswith(str(app.settings.core.data_dir.resolve())) and open(path, "rb").read() == ICS


# -- Prompts (the facilitator's hour) on Telegram and Matrix ----------------------------------------------------

async def prompted_through(platform: str, address: str, app) -> None:
    """Camille reads her chat on this platform only; the facilitator prompts her project from the console."""
    await as_camille(platform, address)
    await Account.filter(platform="console", address="camille").update(preferred=False)
    await Account.filter(platform=platform, address=address).update(preferred=True)
    app.services.people.changed()
    app.services.projects.referents_cache.clear()
    got = await ConsoleChat(app.console, "me").exchange("relancer dombes-brasserie")
    assert "relancé·es\u202f: Camille" in got


async def test_telegram_prompt_answered_in_free_text_and_confirmed_by_button(tmp_path, emu, telegram_emulator):
    running = await serve(tmp_path, telegram_emulator.base_url)
    try:
        camille = await started(emu, first_name="Camille", language_code="fr")
        before = len(await emu.sent(camille["id"]))
        await prompted_through("telegram", str(camille["id"]), running.app)
        [prompt] = (await emu.wait_for_sent(camille["id"], before + 1))[before:]
        assert fr("Quelle est la prochaine étape de Brasserie de la Dombes, pour quelle date") in prompt["text"]
        [understood] = await said(emu, camille, "Envoyer les contreparties pour le 18 décembre, pas encore sur la liste")
        assert "J'ai compris, pour Brasserie de la Dombes" in understood["text"]
        assert [label for label, _ in buttons(understood)] == ["Oui, l'enregistrer", "Non, recommencer"]
        count = len(await emu.sent(camille["id"]))
        await emu.press(camille, understood["message_id"], text="Oui, l'enregistrer")
        done = (await emu.wait_for_sent(camille["id"], count + 1))[-1]
        assert fr("Prochaine étape de Brasserie de la Dombes : Envoyer les contreparties") in done["text"]
        step = await NextStep.filter(project__slug="dombes-brasserie").order_by("-id").first()
        assert (step.text, str(step.due)) == ("Envoyer les contreparties", "2026-12-18")
    finally:
        await running.stop()


async def test_matrix_pledge_link_and_progress_in_the_direct_room(synapse, tmp_path):
    camille = await Member.new(synapse, "camille")
    relais = await MatrixRelais.new(synapse, tmp_path, invite_allow=camille.user_id, database_url=database_url("sqlite", tmp_path))
    try:
        relais.app.services.pledges.links.configure("https://relais.example", LinkTokens("test-secret", relais.app.clock))
        dm = await camille.create_room(invite=[relais.user_id], direct=True)
        await camille.wait(lambda: camille.notices(dm, relais.user_id), what="greeting")
        await as_camille("matrix", camille.user_id)
        relais.app.services.people.changed()
        started = await camille.say(dm, f"campagne ajouter dombes-brasserie don 12k {PLEDGE}")
        assert "Campagne lancée" in body(await camille.reply_to(dm, started, relais.user_id))
        asked = await camille.say(dm, "soutenir dombes-brasserie")
        reply = await camille.reply_to(dm, asked, relais.user_id)
        html = reply["content"].get("formatted_body", "")
        assert "Votre lien personnel pour soutenir Brasserie de la Dombes" in body(reply) and "0\u202f%" in body(reply)
        assert 'href="https://relais.example/p/' in html and "Soutenir Brasserie de la Dombes" in html
    finally:
        await relais.stop()
        await camille.close()


async def test_matrix_report_chart_is_an_image(synapse, tmp_path):
    camille = await Member.new(synapse, "camille")
    relais = await MatrixRelais.new(synapse, tmp_path, invite_allow=camille.user_id, database_url=database_url("sqlite", tmp_path))
    try:
        dm = await camille.create_room(invite=[relais.user_id], direct=True)
        await camille.wait(lambda: camille.notices(dm, relais.user_id), what="greeting")
        me = await Account.get(platform="console", address="me")
        await Account.filter(platform="matrix", address=camille.user_id).update(person_id=me.person_id)
        relais.app.services.people.changed()
        await camille.say(dm, "bilan 4")
        images = await camille.wait(lambda: camille.find(dm, lambda e: (e.get("content") or {}).get("msgtype") == "m.image"),
                                    what="the chart")
        content = images[0]["content"]
        assert content["info"]["mimetype"] == "image/png" and content["url"].startswith("mxc://")
    finally:
        await relais.stop()
        await camille.close()


async def test_matrix_prompt_and_its_reminder_answered_in_the_direct_room(synapse, tmp_path):
    camille = await Member.new(synapse, "camille")
    relais = await MatrixRelais.new(synapse, tmp_path, invite_allow=camille.user_id, database_url=database_url("sqlite", tmp_path))
    try:
        dm = await camille.create_room(invite=[relais.user_id], direct=True)
        await camille.wait(lambda: camille.notices(dm, relais.user_id), what="greeting")
        await prompted_through("matrix", camille.user_id, relais.app)
        relais.app.delivery.wake()
        await camille.wait(lambda: [e for e in camille.notices(dm, relais.user_id) if "Quelle est la prochaine étape" in body(e)],
                           what="the prompt")
        await Prompt.all().update(asked_at=relais.app.clock() - timedelta(days=3, minutes=1))  # three days without an answer
        assert await relais.app.services.prompts.remind_due() == 1
        relais.app.delivery.wake()
        await camille.wait(lambda: [e for e in camille.notices(dm, relais.user_id) if "Petit rappel pour Brasserie" in body(e)],
                           what="the reminder")
        answer = await camille.say(dm, "Envoyer les contreparties le 18 décembre, déjà sur la liste")
        assert "J'ai compris" in body(await camille.reply_to(dm, answer, relais.user_id))
        yes = await camille.say(dm, "oui")
        assert fr("Prochaine étape de Brasserie de la Dombes : Envoyer les contreparties") in body(await camille.reply_to(dm, yes, relais.user_id))
    finally:
        await relais.stop()
        await camille.close()
