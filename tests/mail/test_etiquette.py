"""Consent etiquette over real SMTP: robots are never answered, a confirmation answers the mail that caused it and
says that mail waits, a replayed confirmation sends nothing."""

from __future__ import annotations

import asyncio

from bot.adapters.console import ConsoleChat
from models import Account, Person
from models.mail import InboundMail, MailStatus, OutgoingMail
from tests.mail.conftest import Relais


def plain(received) -> str:
    return received.message.get_body(("plain",)).get_content()


async def outcomes() -> list[str]:
    return [row.outcome for row in await InboundMail.all().order_by("id")]


async def test_robots_get_no_double_opt_in_mail_whatever_they_write(relais: Relais):
    """RFC 3834 §2: MAILER-DAEMON (here a bounce too broken to read as a DSN), postmaster, list robots and no-reply
    senders are never answered; each mail is recorded with its outcome, and no account is made for them."""
    robots = ["MAILER-DAEMON@mx.example.org", "postmaster@example.org", "discuss-request@lists.example.org",
              "discuss-bounces+ana=example.org@lists.example.org", "owner-discuss@lists.example.org",
              "noreply@example.org", "no-reply@example.org", "ne-pas-repondre@example.fr"]
    for i, robot in enumerate(robots):
        await relais.send(f"From: Mail Delivery System <{robot}>\nSubject: suivre dombes-brasserie\nMessage-ID: <r{i}@x>\n\n"
                          "This is the mail system. Your message could not be delivered to some recipients.\n",
                          mail_from=robot)
    await relais.send("From: Ana <ana@example.org>\nSubject: Undelivered Mail\nMessage-ID: <r9@x>\n\nbroken\n",
                      mail_from="MAILER-DAEMON@mx.example.org")  # the envelope sender counts as much as From
    await relais.settle()
    await asyncio.sleep(0.2)
    assert relais.sink.messages == []
    assert await outcomes() == ["automatic sender"] * (len(robots) + 1)
    assert not await Account.filter(platform="email").exists()


async def test_the_confirmation_answers_the_first_mail_and_says_its_commands_wait(relais: Relais):
    await relais.send("From: Zoé Martin <zoe@example.org>\nSubject: suivre dombes-brasserie\nMessage-ID: <z1@x>\n"
                      "References: <z0@x>\nContent-Language: en\n\nprojects\n", mail_from="zoe@example.org")
    [confirm] = await relais.wait_mail()
    assert confirm["Subject"] == "Re: suivre dombes-brasserie"
    assert confirm["In-Reply-To"] == "<z1@x>" and confirm["References"] == "<z0@x> <z1@x>"
    assert confirm["To"] == "Zoé Martin <zoe@example.org>" and confirm["Auto-Submitted"] == "auto-replied"
    assert "Your mail is waiting: its commands will run as soon as you confirm." in plain(confirm)
    relais.sink.clear()
    await relais.send(f"From: Zoé Martin <zoe@example.org>\nSubject: Re: {confirm['Subject']}\nMessage-ID: <z2@x>\n"
                      f"In-Reply-To: {confirm['Message-ID']}\n\nyes\n", mail_from="zoe@example.org", to=[confirm["Reply-To"]])
    confirmed, answer = sorted(await relais.wait_mail(2), key=lambda m: m["In-Reply-To"], reverse=True)
    assert confirmed["In-Reply-To"] == "<z2@x>" and "is confirmed" in plain(confirmed)
    assert confirmed["To"] == "Zoé Martin <zoe@example.org>"
    assert answer["In-Reply-To"] == "<z1@x>" and answer["To"] == "Zoé Martin <zoe@example.org>"


async def test_a_confirmation_asked_in_chat_says_nothing_of_waiting_mail(relais: Relais):
    await ConsoleChat(relais.app.console, "ana", locale="en").exchange("email add ana@example.org")
    [confirm] = await relais.wait_mail()
    assert confirm["Subject"] in ("Confirm your address for Relais", "Confirmez votre adresse pour Relais")
    assert confirm["In-Reply-To"] is None and "waiting" not in plain(confirm) and "attend" not in plain(confirm)


async def test_a_french_confirmation_says_the_mail_waits_in_french(relais: Relais):
    await relais.send("From: Zoé <zoe@example.org>\nSubject: projets\nMessage-ID: <f1@x>\nContent-Language: fr\n\n",
                      mail_from="zoe@example.org")
    [confirm] = await relais.wait_mail()
    assert "Votre courriel attend : ses commandes s'exécuteront dès que vous aurez confirmé." in plain(confirm).replace("\u202f", " ")


async def test_a_replayed_confirmation_sends_nothing_and_is_recorded(relais: Relais):
    """The same confirmation reply delivered twice over SMTP (a resend, an MTA retry): one "confirmed" mail only;
    the replay is recorded as "confirmation replayed" and answered by nothing."""
    await relais.send("From: zoe@example.org\nSubject: projets\nMessage-ID: <p1@x>\n\n", mail_from="zoe@example.org")
    [confirm] = await relais.wait_mail()
    relais.sink.clear()
    reply = (f"From: zoe@example.org\nSubject: Re: {confirm['Subject']}\nMessage-ID: <p2@x>\n"
             f"In-Reply-To: {confirm['Message-ID']}\n\nok\n")
    await relais.send(reply, mail_from="zoe@example.org", to=[confirm["Reply-To"]])
    await relais.wait_mail(2)  # "confirmed", and the answer to the mail that waited
    await relais.settle()
    await relais.send(reply, mail_from="zoe@example.org", to=[confirm["Reply-To"]])
    await relais.settle()
    await asyncio.sleep(0.2)
    assert len(relais.sink.messages) == 2
    assert [m for m in relais.sink.messages if "confirm" in plain(m)][0]["In-Reply-To"] == "<p2@x>"
    assert await outcomes() == ["commands", "confirmed", "confirmation replayed"]
    assert await OutgoingMail.filter(kind="reply").count() == 2
    account = await Account.get(platform="email", address="zoe@example.org")
    assert account.confirmed and (await Person.get(id=account.person_id)).display_name == "zoe"
    assert [r.status for r in await InboundMail.all().order_by("id")] == [MailStatus.DONE] * 3
