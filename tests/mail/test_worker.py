"""Processing stored mail: commands and one summary reply, reading replies, no loops, bounces, reply rate limit."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from bot.services import demo
from bot.services.calendar import week_key
from models import Account, Community, ConsoleInbox, Follow, Project, Role
from models.mail import InboundMail, MailAddress, MailStatus
from tests.mail.conftest import RELAIS, Relais, mail_settings, serve, shutdown


async def follows(address: str) -> set[str]:
    account = await Account.get(platform="email", address=address)
    rows = await Follow.filter(person_id=account.person_id).select_related("project")
    return {f.project.slug for f in rows}


async def bounce_address(address: str, relais: Relais) -> str:
    """The envelope sender (VERP) of Relais' mails to this address: DSNs count only when they come back to it."""
    account = await Account.get(platform="email", address=address)
    return (await relais.mail.ready()).bounce_address(account.id)


async def outcomes() -> list[str]:
    return [row.outcome for row in await InboundMail.all().order_by("id")]


def plain(received) -> str:
    return received.message.get_body(("plain",)).get_content()


async def test_commands_in_subject_and_body_get_one_threaded_summary(relais: Relais):
    await relais.person_with_email("Ana", "ana@example.org")
    await relais.send("From: Ana <ana@example.org>\nTo: relais@relais.test\nSubject: suivre conciergerie-rurale\n"
                      "Message-ID: <w1@example.org>\nReferences: <w0@example.org>\n\nBonjour Relais,\nsuivre nulle-part\n"
                      "suivre ressourcerie-creative\n\nMerci\nAna\n")
    [reply] = await relais.wait_mail()
    text = plain(reply)
    assert reply.rcpt_tos == ("ana@example.org",) and reply.mail_from == await bounce_address("ana@example.org", relais)
    assert reply["To"] == "Ana <ana@example.org>"
    assert reply["Subject"] == "Re: suivre conciergerie-rurale"
    assert reply["In-Reply-To"] == "<w1@example.org>" and reply["References"] == "<w0@example.org> <w1@example.org>"
    assert reply["Auto-Submitted"] == "auto-replied"
    assert "3 commandes" in text, text
    assert "✗ suivre nulle-part" in text and "✓ suivre ressourcerie-creative" in text
    assert "Bonjour Relais," not in text and "Ana" not in text.split("--")[0]  # a greeting and a name are no commands
    assert "2) Annuler — suivre ressourcerie-creative" in text  # two "Undo" say which command they undo
    assert await follows("ana@example.org") == {"conciergerie-rurale", "ressourcerie-creative"}
    assert reply["Reply-To"].startswith("relais+s")  # the summary offers choices (Undo): a plain reply answers them


async def test_a_numbered_reply_answers_the_choices_of_the_mail(relais: Relais):
    await relais.person_with_email("Ana", "ana@example.org")
    await relais.send("From: ana@example.org\nSubject: suivre conciergerie-rurale\nMessage-ID: <w2@example.org>\n\n")
    [summary] = await relais.wait_mail()
    assert "1) Annuler" in plain(summary), plain(summary)
    relais.sink.clear()
    await relais.send(f"From: ana@example.org\nTo: {summary['Reply-To']}\nSubject: Re: {summary['Subject']}\n"
                      f"Message-ID: <w3@example.org>\nIn-Reply-To: {summary['Message-ID']}\n\n1\n\n"
                      "Le sam. 21 nov. 2026 à 11:00, Relais <relais@relais.test> a écrit :\n> 1) Annuler\n",
                      to=[summary["Reply-To"]])
    [answer] = await relais.wait_mail()
    assert answer["In-Reply-To"] == "<w3@example.org>"
    assert await follows("ana@example.org") == set()


async def test_a_french_reply_runs_only_what_was_written_above_the_quote(relais: Relais):
    await relais.person_with_email("Anaïs", "anais@example.org")
    composer = await relais.mail.ready()
    reply_to = composer.reply_address("m", 999)  # an answer to a mail Relais sent (its choices are gone)
    await relais.send(f"""From: =?utf-8?q?Ana=C3=AFs_Martin?= <Anais@Example.org>
To: {reply_to}
Subject: Re: =?utf-8?q?Vous_suivez_d=C3=A9sormais_Brasserie_de_la_Dombes?=
Message-ID: <w4@example.org>
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: 8bit

suivre ressourcerie-creative

Merci !
--
Anaïs Martin

Le sam. 21 nov. 2026 à 11:00, Relais <relais@relais.test> a écrit :
> suivre dombes-brasserie
> 1) Annuler
""", mail_from="Anais@Example.org", to=[reply_to])
    [answer] = await relais.wait_mail()
    assert answer.rcpt_tos == ("anais@example.org",)
    assert await follows("anais@example.org") == {"ressourcerie-creative"}


async def test_an_html_only_mail_is_read_as_text(relais: Relais):
    await relais.person_with_email("Jules", "jules@example.org")
    await relais.send("From: Jules <jules@example.org>\nSubject: Re: hello\nMIME-Version: 1.0\n"
                      "Content-Type: text/html; charset=iso-8859-1\nContent-Transfer-Encoding: quoted-printable\n\n"
                      "<div>suivre dombes-brasserie</div><div>Bonne journ=E9e</div>"
                      "<blockquote>suivre ressourcerie-creative</blockquote>\n", mail_from="jules@example.org")
    await relais.wait_mail()
    assert await follows("jules@example.org") == {"dombes-brasserie"}  # the quoted line was not run


async def test_mail_that_must_not_be_answered_gets_no_reply(relais: Relais):
    """Auto-replies, bulk mail, null senders, Relais' own mail: handled silently, nothing sent back, nothing run."""
    await relais.person_with_email("Ana", "ana@example.org")
    base = "From: Ana <ana@example.org>\nSubject: suivre dombes-brasserie\n"
    await relais.send(base + "Auto-Submitted: auto-replied\nMessage-ID: <o1@x>\n\nI am out of the office until Monday.\n")
    await relais.send(base + "Precedence: bulk\nMessage-ID: <o2@x>\n\nNewsletter\n")
    await relais.send(base + "X-Autoreply: yes\nMessage-ID: <o3@x>\n\nAway\n")
    await relais.send(base + "Message-ID: <o4@x>\n\nno return path\n", mail_from="")
    await relais.send("From: Relais <relais@relais.test>\nSubject: suivre dombes-brasserie\nMessage-ID: <o5@x>\n\nx\n",
                      mail_from="relais@relais.test")
    await relais.send(base + "X-Loop: relais@relais.test\nMessage-ID: <o6@x>\n\nlooped\n")
    await relais.send(base + "List-Id: <other.lists.example.org>\nMessage-ID: <o7@x>\n\nlist chatter\n")
    await relais.settle()
    await asyncio.sleep(0.2)
    assert relais.sink.messages == []
    assert await outcomes() == ["auto-submitted", "auto-submitted", "auto-submitted", "null sender", "own mail", "own mail",
                                "list mail"]
    assert await follows("ana@example.org") == set()


DSN = """\
From: Mail Delivery System <MAILER-DAEMON@mx.example.org>
To: relais@relais.test
Subject: Undelivered Mail Returned to Sender
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="B0"

--B0
Content-Type: text/plain; charset=us-ascii

This is the mail system at host mx.example.org. Your message could not be delivered.

--B0
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.org
Arrival-Date: Sat, 21 Nov 2026 10:00:00 +0000

Final-Recipient: rfc822; gone@example.org
Original-Recipient: rfc822;gone@example.org
Action: failed
Status: 5.1.1
Diagnostic-Code: smtp; 550 5.1.1 <gone@example.org>: Recipient address rejected: User unknown

--B0
Content-Type: text/rfc822-headers

From: Relais <relais@relais.test>
To: gone@example.org
Subject: news
Message-ID: <relais.o1.1@relais.test>

--B0--
"""


async def test_bounces_are_counted_and_repeated_ones_stop_the_address(relais: Relais):
    person = await relais.person_with_email("Gone", "gone@example.org", console=True)
    verp = await bounce_address("gone@example.org", relais)
    for i in range(3):
        await relais.send(DSN.replace("Subject: Undelivered", f"Message-ID: <dsn{i}@mx>\nSubject: Undelivered"), mail_from="",
                          to=[verp])
        await relais.settle()
    state = await MailAddress.get(address="gone@example.org")
    assert state.bounces == 3 and state.disabled
    assert not (await Account.get(platform="email", address="gone@example.org")).reachable
    assert await outcomes() == ["bounce"] * 3
    notes = await ConsoleInbox.filter(address="gone")
    assert len(notes) == 1 and "gone@example.org" in notes[0].text  # told on the other channel
    assert relais.sink.messages == []  # a bounce is never answered
    assert person.id


async def test_only_a_dsn_to_the_bounce_address_of_a_mail_relais_sent_counts(relais: Relais):
    """Forged bounces: a DSN naming gone@ sent to relais@ (or to a reply address) counts nothing; the DSN of a real
    reply comes back to that reply's envelope sender (relais+b<token naming the account>@) and counts."""
    await relais.person_with_email("Gone", "gone@example.org")
    composer = await relais.mail.ready()
    await relais.send(DSN, mail_from="")
    await relais.send(DSN.replace("Subject:", "Message-ID: <f2@mx>\nSubject:"), mail_from="",
                      to=[composer.reply_address("m", 1)])
    await relais.settle()
    assert await outcomes() == ["bounce to no VERP address"] * 2
    assert (await MailAddress.get_or_none(address="gone@example.org")) is None
    await relais.send("From: gone@example.org\nSubject: projets\nMessage-ID: <g1@x>\n\n", mail_from="gone@example.org")
    [reply] = await relais.wait_mail()
    assert reply.mail_from.startswith("relais+b") and reply.mail_from.endswith("@relais.test")
    await relais.send(DSN.replace("Subject:", "Message-ID: <g2@mx>\nSubject:"), mail_from="", to=[reply.mail_from])
    await relais.settle()
    assert (await outcomes())[-1] == "bounce" and (await MailAddress.get(address="gone@example.org")).bounces == 1
    relais.clock.now += timedelta(days=40)  # a bounce address is good for a month
    await relais.send(DSN.replace("Subject:", "Message-ID: <g3@mx>\nSubject:"), mail_from="", to=[reply.mail_from])
    await relais.settle()
    assert (await outcomes())[-1] == "bounce to an expired VERP address"
    assert (await MailAddress.get(address="gone@example.org")).bounces == 1


async def test_a_digest_leaves_with_the_bounce_address_of_its_reader(relais: Relais):
    """Digests go out with the reader's VERP envelope sender too, so their DSNs count for the right account."""
    ana = await relais.person_with_email("Ana", "ana@example.org", role=Role.OBSERVER)
    await Follow.create(person=ana, project=await Project.get(slug="dombes-brasserie"))
    community = await Community.get(slug=demo.SLUG)
    runner = await relais.app.digest_runner()
    counts = await runner.run(community, relais.clock(), week_key(relais.clock().date()))
    assert counts.sent >= 1
    [digest] = await relais.wait_mail(predicate=lambda m: m.rcpt_tos == ("ana@example.org",))
    assert digest.mail_from == await bounce_address("ana@example.org", relais)


async def test_a_subject_help_with_the_body_lang_en_is_answered_in_english_throughout(relais: Relais):
    """`lang` lines run before the others: the summary and every answer in it speak the new language."""
    await relais.person_with_email("Ana", "ana@example.org")
    await relais.send("From: ana@example.org\nSubject: help\nMessage-ID: <l1@x>\n\nlang en\n")
    [reply] = await relais.wait_mail()
    text = plain(reply)
    assert "I read 2 commands in your mail: 2 done, 0 failed." in text
    assert "From now on I speak English with you." in text and "✓ help" in text
    assert "Commandes" not in text and "commandes" not in text


async def test_a_mistyped_command_gets_did_you_mean_and_pleasantries_are_not_listed(relais: Relais):
    await relais.person_with_email("Ana Lopez", "ana@example.org")
    await relais.send("From: Ana Lopez <ana@example.org>\nSubject: Mes suivis\nMessage-ID: <t1@x>\n\nBonjour,\n\n"
                      "folow dombes-brasserie\nsuivre conciergerie-rurale\nsuivre dombes\n\nMerci beaucoup !\nAna\n")
    [reply] = await relais.wait_mail()
    text = plain(reply)
    assert "✗ folow dombes-brasserie" in text and "/suivre" in text  # the core's "did you mean /suivre?"
    assert "✓ suivre conciergerie-rurale" in text
    assert "✗ suivre dombes" in text and "4) Brasserie de la Dombes" in text.splitlines()  # its title, not a bare slug
    assert "1) /suivre dombes-brasserie" in text.splitlines()  # "did you mean", with what followed the mistyped word
    assert "Lignes que je n" not in text and "Lines I did not" not in text
    assert await follows("ana@example.org") == {"conciergerie-rurale"}


async def test_an_outlook_reply_runs_nothing_of_the_quoted_mail(relais: Relais):
    """French Outlook: no-break spaces before the colons of its header block; the quoted mail below is not read."""
    await relais.person_with_email("Ana", "ana@example.org")
    await relais.send("From: ana@example.org\nSubject: RE: Vous suivez Brasserie de la Dombes\nMessage-ID: <u1@x>\n"
                      "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n"
                      "suivre conciergerie-rurale\n\nDe\u00a0: Relais <relais@relais.test>\n"
                      "Envoyé\u00a0: samedi 21 novembre 2026 11:00\nÀ\u00a0: Ana <ana@example.org>\n"
                      "Objet\u00a0: Vous suivez Brasserie de la Dombes\n\nsuivre ressourcerie-creative\n1) Annuler\n")
    [reply] = await relais.wait_mail()
    assert "De :" not in plain(reply) and "Objet" not in plain(reply)
    assert await follows("ana@example.org") == {"conciergerie-rurale"}


async def test_replies_to_one_sender_are_rate_limited(tmp_path, clock, sink):
    app, mail, stop, task = await serve(mail_settings(tmp_path, sink, mail={"replies_per_hour": 2}), clock)
    relais = Relais(app, mail, sink, clock, tmp_path, "")
    try:
        await relais.person_with_email("Ana", "ana@example.org")
        for slug in ("dombes-brasserie", "conciergerie-rurale", "ressourcerie-creative"):
            await relais.send(f"From: ana@example.org\nSubject: suivre {slug}\nMessage-ID: <{slug}@x>\n\n")
            await relais.settle()
        assert len(sink.messages) == 2
        assert await follows("ana@example.org") == {"dombes-brasserie", "conciergerie-rurale", "ressourcerie-creative"}
        assert (await outcomes())[-1] == "commands, not answered (rate limit)"
    finally:
        await shutdown(app, stop, task)


async def test_an_expired_reply_address_still_reaches_relais_but_not_its_choices(relais: Relais):
    await relais.person_with_email("Ana", "ana@example.org")
    await relais.send("From: ana@example.org\nSubject: suivre conciergerie-rurale\nMessage-ID: <e1@x>\n\n")
    [summary] = await relais.wait_mail()
    relais.sink.clear()
    relais.clock.now = relais.clock.now.replace(year=relais.clock.now.year + 1)
    await relais.send("From: ana@example.org\nSubject: Re: x\nMessage-ID: <e2@x>\n\n1\n", to=[summary["Reply-To"]])
    [answer] = await relais.wait_mail()
    assert "expiré" in plain(answer), plain(answer)
    assert await follows("ana@example.org") == {"conciergerie-rurale"}  # "1" did not undo anything


async def test_an_unknown_sender_gets_only_a_confirmation_and_the_mail_waits(relais: Relais):
    await relais.send("From: New <new@example.org>\nSubject: suivre dombes-brasserie\nMessage-ID: <n1@x>\n\n",
                      mail_from="new@example.org")
    [confirm] = await relais.wait_mail()
    assert confirm.rcpt_tos == ("new@example.org",) and confirm["Reply-To"].startswith("relais+c")
    assert (await InboundMail.get(sender="new@example.org")).status == MailStatus.HELD
    assert not (await Account.get(platform="email", address="new@example.org")).confirmed
    assert not await Follow.filter(project=await Project.get(slug="dombes-brasserie"), person__accounts__address="new@example.org").exists()



async def test_malformed_mime_from_a_member_is_still_answered(relais: Relais):
    await relais.person_with_email("Ana", "ana@example.org")
    await relais.send("From: ana@example.org\nSubject: projets\nMessage-ID: <m1@x>\nMIME-Version: 1.0\n"
                      "Content-Type: multipart/mixed\nContent-Transfer-Encoding: base64\n\n--nowhere\n=?broken\x01\n")
    [answer] = await relais.wait_mail()
    assert answer["In-Reply-To"] == "<m1@x>" and "Brasserie de la Dombes" in plain(answer)
    assert (await InboundMail.get(sender="ana@example.org")).status == MailStatus.DONE
