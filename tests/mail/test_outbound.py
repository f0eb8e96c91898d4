"""Mail out: person delivery from the core's outbox to email, threading headers, retries on 4xx, bounces on 5xx, .eml files."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from bot.adapters.console import ConsoleChat
from models import Account, ConsoleInbox, Follow, OutboxMessage, OutboxStatus, Project
from models.mail import MailAddress, MailStatus, OutgoingMail
from tests.mail.conftest import RELAIS, Relais, mail_settings, serve, shutdown


async def news(relais: Relais, text: str = "La cuve est arrivée !") -> None:
    """Camille, referent of dombes-brasserie, posts news from the console; its followers are notified."""
    answer = await ConsoleChat(relais.app.console, "camille").exchange(f"nouvelle dombes-brasserie {text}")
    assert "abonné" in answer, answer


async def written_eml(folder, timeout: float = 30.0) -> bytes:
    """The one mail written to `folder` (no SMTP server), once it is there."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not (files := list(folder.glob("*.eml"))):
        assert asyncio.get_running_loop().time() < deadline, f"no mail written to {folder} within {timeout} s"
        await asyncio.sleep(0.02)
    [eml] = files
    return eml.read_bytes()


async def follower(relais: Relais, name: str, address: str, console: bool = False):
    person = await relais.person_with_email(name, address, console=console)
    await Follow.create(person=person, project=await Project.get(slug="dombes-brasserie"))
    return person


async def later(relais: Relais, seconds: float = 30) -> None:
    """Move the clock past the back-off and let the loops look again."""
    relais.clock.now += timedelta(seconds=seconds)
    relais.app.delivery.wake()
    relais.mail.queue.wake()
    await relais.settle()


async def test_a_notification_reaches_an_email_follower_with_links_and_threading_headers(relais: Relais):
    await follower(relais, "Ana", "ana@example.org")
    await news(relais)
    [mail] = await relais.wait_mail(predicate=lambda m: m.rcpt_tos == ("ana@example.org",))
    outbox = await OutboxMessage.get(key__startswith="news:", person__accounts__address="ana@example.org")
    assert mail["From"] == f"Relais <{RELAIS}>"
    bounces = (await relais.mail.ready()).tokens.read_address_token(mail.mail_from.split("+", 1)[1].split("@")[0])
    assert (bounces.kind, bounces.ids) == ("b", ((await Account.get(address="ana@example.org")).id,))  # VERP
    assert mail["Message-ID"] == f"<relais.o{outbox.id}.{int(outbox.created_at.timestamp())}@relais.test>"
    assert mail["Reply-To"].startswith("relais+s") and mail["Auto-Submitted"] == "auto-generated"  # its choices, by number
    assert mail["List-Unsubscribe"].startswith(f"<{relais.web_url}/l/") and mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert f"\r\nList-Unsubscribe: <{relais.web_url}/l/".encode() in mail.raw  # one line, not encoded words
    assert mail.message.get_content_type() == "multipart/alternative"
    text = mail.message.get_body(("plain",)).get_content()
    html = mail.message.get_body(("html",)).get_content()
    assert "La cuve est arrivée !" in text and "La cuve est arrivée !" in html
    assert "2) " in text and f"{relais.web_url}/l/" in text and "<ol" in html
    await relais.settle()
    assert (await OutboxMessage.get(id=outbox.id)).channel == "email:ana@example.org"
    # A plain reply "2" picks the second choice of that notification: stop following.
    relais.sink.clear()
    await relais.send(f"From: ana@example.org\nSubject: Re: {mail['Subject']}\nIn-Reply-To: {mail['Message-ID']}\n"
                      f"Message-ID: <r2@example.org>\n\n2\n\n> {text.splitlines()[0]}\n", to=[mail["Reply-To"]])
    [answer] = await relais.wait_mail()
    assert answer["In-Reply-To"] == "<r2@example.org>"
    assert not await Follow.filter(person__accounts__address="ana@example.org").exists()


async def test_notifications_of_a_project_share_one_thread_and_name_the_poster_and_the_community(relais: Relais):
    """Subject "[community] project — news from <display name>" in each reader's language, one References id per
    project (so clients group its news), the community's List-Id, the reader's name in To."""
    await follower(relais, "Ana", "ana@example.org")
    bob = await follower(relais, "Bob", "bob@example.org")
    bob.locale = "en"
    await bob.save()
    await news(relais, "La cuve est arrivée !")
    await ConsoleChat(relais.app.console, "camille").exchange("etape dombes-brasserie Brasser la première cuvée")
    mails = await relais.wait_mail(4)
    ana = [m for m in mails if m.rcpt_tos == ("ana@example.org",)]
    bob_mails = [m for m in mails if m.rcpt_tos == ("bob@example.org",)]
    assert [m["Subject"] for m in ana] == ["[Tiers-lieu de l'Usine Vivante] Brasserie de la Dombes — nouvelle de Camille",
                                           "[Tiers-lieu de l'Usine Vivante] Brasserie de la Dombes — nouvelle prochaine étape, par Camille"]
    assert bob_mails[0]["Subject"] == "[Tiers-lieu de l'Usine Vivante] Brasserie de la Dombes — news from Camille"
    project = await Project.get(slug="dombes-brasserie")
    assert {m["References"] for m in mails} == {f"<relais.project.{project.id}.usine-vivante@relais.test>"}
    assert {m["List-Id"] for m in mails} == {"Tiers-lieu de l'Usine Vivante <usine-vivante.relais.test>"}
    assert ana[0]["To"] == "Ana <ana@example.org>" and bob_mails[0]["To"] == "Bob <bob@example.org>"


async def test_a_temporary_refusal_is_retried_with_back_off(relais: Relais):
    await follower(relais, "Ana", "ana@example.org")
    relais.sink.defer_next(1)
    await news(relais)
    await relais.settle()
    row = await OutboxMessage.get(person__accounts__address="ana@example.org")
    assert row.status == OutboxStatus.PENDING and row.attempts == 1 and "451" in row.last_error
    assert relais.sink.messages == []
    await later(relais)
    [mail] = await relais.wait_mail()
    assert mail.rcpt_tos == ("ana@example.org",)
    assert (await OutboxMessage.get(id=row.id)).status == OutboxStatus.SENT


async def test_repeated_permanent_refusals_stop_the_address_and_fall_back_to_another_channel(relais: Relais):
    await follower(relais, "Léa", "lea@example.org", console=True)
    relais.sink.fail_rcpt = {"lea@example.org": (550, "5.1.1 no such user")}
    await news(relais)
    await relais.settle()
    for _ in range(2):
        assert (await MailAddress.get(address="lea@example.org")).bounces >= 1
        await later(relais)
    state = await MailAddress.get(address="lea@example.org")
    assert state.bounces == 3 and state.disabled
    assert not (await Account.get(platform="email", address="lea@example.org")).reachable
    inbox = [row.text for row in await ConsoleInbox.filter(address="léa").order_by("id")]
    assert any("La cuve est arrivée" in text for text in inbox)  # the news went to the console account instead
    assert any("lea@example.org" in text for text in inbox)  # and the person was told why
    assert relais.sink.messages == []


async def test_replies_are_retried_on_4xx_and_a_5xx_counts_a_bounce(relais: Relais):
    await relais.person_with_email("Ana", "ana@example.org")
    relais.sink.defer_next(1)
    await relais.send("From: ana@example.org\nSubject: projets\nMessage-ID: <q1@x>\n\n")
    await relais.settle()
    row = await OutgoingMail.get(kind="reply")
    assert row.status == MailStatus.PENDING and row.attempts == 1
    await later(relais)
    [reply] = await relais.wait_mail()
    assert reply["In-Reply-To"] == "<q1@x>" and (await OutgoingMail.get(id=row.id)).status == MailStatus.DONE
    relais.sink.fail_rcpt = {"ana@example.org": (550, "5.1.1 gone")}
    await relais.send("From: ana@example.org\nSubject: projets\nMessage-ID: <q2@x>\n\n")
    await relais.settle()
    failed = await OutgoingMail.get(key__not=row.key, kind="reply")
    assert failed.status == MailStatus.FAILED and "550" in failed.last_error
    assert (await MailAddress.get(address="ana@example.org")).bounces == 1


async def test_without_an_smtp_server_mail_is_written_as_eml_files(tmp_path, clock, sink):
    settings = mail_settings(tmp_path, sink, smtp={"url": ""})
    app, mail, stop, task = await serve(settings, clock)
    relais = Relais(app, mail, sink, clock, tmp_path, settings.web.public_url)
    try:
        await follower(relais, "Ana", "ana@example.org")
        await news(relais)
        await relais.settle()
        data = await written_eml(tmp_path / "mail-out")
        assert b"To: Ana <ana@example.org>" in data and b"List-Unsubscribe-Post: List-Unsubscribe=One-Click" in data
        assert sink.messages == []
    finally:
        await shutdown(app, stop, task)
