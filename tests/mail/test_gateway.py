"""The inbound gateway over real SMTP and LMTP on loopback: recipients checked at RCPT, size limit, stored before 250."""

from __future__ import annotations

import asyncio
import smtplib

import aiosmtplib
import pytest

from mail.inbound import Gateway
from models.mail import InboundMail, MailStatus
from tests.mail.conftest import DOMAIN, RELAIS, Relais, crlf, mail_settings, person_with_email, serve, shutdown

SIMPLE = "From: Ana <ana@example.org>\nTo: relais@relais.test\nSubject: projets\nMessage-ID: <g1@example.org>\n\nprojets\n"


async def test_unknown_addresses_and_forged_tokens_are_refused_at_rcpt(relais: Relais):
    composer = await relais.mail.ready()
    good = composer.reply_address("m", 1)
    forged = good.replace(good[7:12], "zzzzz")
    async with aiosmtplib.SMTP(hostname="127.0.0.1", port=relais.port, timeout=10) as client:
        await client.mail("ana@example.org")
        for rcpt in ("nobody@relais.test", "relais@elsewhere.org", forged, "relais+@relais.test"):
            with pytest.raises(aiosmtplib.SMTPRecipientRefused) as refused:
                await client.rcpt(rcpt)
            assert refused.value.code == 550
        assert (await client.rcpt("RELAIS@Relais.Test")).code == 250  # addresses are case-insensitive
        assert (await client.rcpt(good)).code == 250
        await client.rset()
    with pytest.raises(aiosmtplib.SMTPRecipientsRefused):
        await relais.send(SIMPLE, to=["nobody@relais.test"])
    assert await InboundMail.all().count() == 0


async def test_an_oversize_mail_gets_552_and_is_not_stored(tmp_path, clock, sink):
    app, mail, stop, task = await serve(mail_settings(tmp_path, sink, mail={"max_size": 20_000}), clock)
    try:
        big = SIMPLE + ("x" * 70 + "\n") * 400  # about 28 kB
        with pytest.raises(aiosmtplib.SMTPResponseException) as declared:  # SIZE announced at MAIL FROM
            async with aiosmtplib.SMTP(hostname="127.0.0.1", port=mail.gateway.port, timeout=10) as client:
                await client.sendmail("ana@example.org", [RELAIS], crlf(big))
        assert declared.value.code == 552

        def undeclared():  # a client that does not announce the size is stopped after DATA
            with smtplib.SMTP("127.0.0.1", mail.gateway.port, timeout=10) as client:
                client.ehlo()
                client.mail("ana@example.org")
                client.rcpt(RELAIS)
                return client.data(crlf(big))

        code, _ = await asyncio.to_thread(undeclared)
        assert code == 552
        assert await InboundMail.all().count() == 0
    finally:
        await shutdown(app, stop, task)


async def test_a_mail_is_stored_before_the_250_and_processed_later_from_storage(tmp_path, clock, sink):
    """The gateway alone (no worker): the 250 means the bytes are in the database; a later start processes them."""
    settings = mail_settings(tmp_path, sink)
    app, mail, stop, task = await serve(settings, clock)
    await shutdown(app, stop, task)  # a migrated, seeded database, then nothing running
    from bot.app import App

    app = App(settings, clock=clock)
    await app.start()
    gateway = Gateway("127.0.0.1:0", DOMAIN, 1_000_000, False, lambda rcpt: True, clock)
    await gateway.start()
    raw = crlf(SIMPLE.replace("projets\n\n", "projets\nContent-Type: text/plain; charset=utf-8\n\n") + "suivre dombes-brasserie — é\n")
    try:
        async with aiosmtplib.SMTP(hostname="127.0.0.1", port=gateway.port, timeout=10) as client:
            _, reply = await client.sendmail("ana@example.org", [RELAIS], raw)
        assert reply.startswith("2.0.0 Queued as ")
        [row] = await InboundMail.all()
        assert bytes(row.content) == raw and row.status == MailStatus.PENDING and row.rcpt_tos == [RELAIS]
        await person_with_email("Ana", "ana@example.org")
    finally:
        await gateway.stop()
        await app.stop()
    app, mail, stop, task = await serve(settings, clock, seed=False)  # "after the crash"
    try:
        relais = Relais(app, mail, sink, clock, tmp_path, settings.web.public_url)
        [answer] = await relais.wait_mail(1, predicate=lambda m: m["In-Reply-To"] == "<g1@example.org>")
        assert "Brasserie de la Dombes" in answer.message.get_body(("plain",)).get_content()
        assert (await InboundMail.get(id=row.id)).status == MailStatus.DONE
    finally:
        await shutdown(app, stop, task)


async def test_lmtp_answers_once_per_recipient(tmp_path, clock, sink):
    app, mail, stop, task = await serve(mail_settings(tmp_path, sink, mail={"lmtp": True}), clock)
    try:
        composer = await mail.ready()
        token_address = composer.reply_address("m", 9)

        def deliver():  # smtplib's LMTP.sendmail reads one reply after DATA, so the dialogue is spelled out
            with smtplib.LMTP("127.0.0.1", mail.gateway.port, timeout=10) as lmtp:
                lmtp.ehlo()  # LHLO
                lmtp.mail("ana@example.org")
                rcpts = [lmtp.rcpt(r)[0] for r in (RELAIS, token_address, "ghost@relais.test")]
                replies = [lmtp.data(crlf(SIMPLE)), lmtp.getreply()]
                return rcpts, replies

        rcpts, replies = await asyncio.to_thread(deliver)
        assert rcpts == [250, 250, 550]
        assert [code for code, _ in replies] == [250, 250]  # one per accepted recipient (RFC 2033)
        [row] = await InboundMail.all()
        assert row.rcpt_tos == [RELAIS, token_address]
    finally:
        await shutdown(app, stop, task)


async def test_the_gateway_can_pick_a_free_port_and_stops_cleanly(relais: Relais):
    assert relais.port > 0
    refused, reply = await relais.send(SIMPLE)
    assert refused == {} and "Queued as" in reply


async def test_a_line_over_998_characters_is_refused_with_a_reply_that_says_what_to_do(relais: Relais):
    """aiosmtpd refuses a line over 998 characters with 500; its text tells the sender what was wrong and what to do."""
    with pytest.raises(aiosmtplib.SMTPDataError) as refused:
        await relais.send(SIMPLE + "x" * 1200 + "\n")
    assert refused.value.code == 500
    assert refused.value.message == ("5.5.2 Line too long: a line of this mail is longer than 998 characters (RFC 5322); "
                                     "wrap it or attach it")
    assert await InboundMail.all().count() == 0
    refused_, reply = await relais.send(SIMPLE)  # the gateway still takes the next mail
    assert refused_ == {} and "Queued as" in reply
