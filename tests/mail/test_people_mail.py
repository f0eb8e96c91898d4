"""One person across platforms and their data, by mail over real SMTP: a mail with the code links the address;
mydata is a JSON attachment to a confirmed address only, with the date of consent; forget me answered by mail; and
against a real Mailman, an erased person's address is taken off the list."""

from __future__ import annotations

import json
import re

from bot.adapters.console import ConsoleChat
from bot.core.i18n import french_typography as fr
from models import Account, Person
from models.mail import ListDeparture, ListStatus, ListSubscription, MailingList
from tests.handlers.test_people_data import code_in
from tests.mail.conftest import Relais
from tests.mail.test_mailman import LIST, members, relais_mm, until  # noqa: F401  (fixture)
from tests.peers.mailman import MailmanServer


def plain(received) -> str:
    return received.message.get_body(("plain",)).get_content()


def replying(mid: str):
    return lambda m: m["In-Reply-To"] == mid


async def test_a_mail_with_the_code_links_the_address(relais: Relais):
    jean = await relais.person_with_email("Jean", "jean@example.org")
    console = ConsoleChat(relais.app.console, "ana", locale="en")
    await console.exchange("lang en")
    code = code_in(await console.exchange("link"))
    await relais.send(f"From: Jean <jean@example.org>\nSubject: link {code}\nMessage-ID: <l1@x>\n\n", mail_from="jean@example.org")
    [answer] = await relais.wait_mail(predicate=replying("<l1@x>"))
    assert answer.rcpt_tos == ("jean@example.org",)
    # Answered in the language the command ran in: Jean's (the community's, French), before the accounts were joined.
    assert fr("Reliés : vous êtes une seule personne sur console:ana, email:jean@example.org.") in plain(answer)
    ana = (await Account.get(platform="console", address="ana")).person_id
    assert (await Account.get(platform="email", address="jean@example.org")).person_id == ana
    assert not await Person.filter(id=jean.id).exists()


async def test_mydata_by_mail_is_an_attachment_to_a_confirmed_address_only(relais: Relais):
    await relais.send("From: Zoé <zoe@example.org>\nSubject: mydata\nMessage-ID: <d1@x>\nContent-Language: en\n\n",
                      mail_from="zoe@example.org")
    [confirm] = await relais.wait_mail()
    assert not [p for p in confirm.message.iter_attachments() if p.get_content_type() == "application/json"]
    assert "Your mail is waiting: its commands will run as soon as you confirm." in plain(confirm), plain(confirm)
    relais.sink.clear()
    # Zoé confirms by answering the confirmation; her held mail then runs and its answer carries her data.
    await relais.send(f"From: Zoé <zoe@example.org>\nSubject: Re: {confirm['Subject']}\nMessage-ID: <d2@x>\n"
                      f"In-Reply-To: {confirm['Message-ID']}\n\nyes\n", mail_from="zoe@example.org", to=[confirm["Reply-To"]])
    [answer] = await relais.wait_mail(predicate=replying("<d1@x>"))
    assert answer.rcpt_tos == ("zoe@example.org",) and "What Relais holds about you" in plain(answer)
    [part] = [p for p in answer.message.iter_attachments() if p.get_content_type() == "application/json"]
    data = json.loads(part.get_payload(decode=True))
    [account] = data["accounts"]
    assert account["account"] == "email:zoe@example.org" and account["confirmed"]
    assert account["consent_at"].startswith(relais.clock.now.date().isoformat())  # the date of her consent
    assert "Consent: email:zoe@example.org confirmed on" in plain(answer)


async def test_forget_me_by_mail_with_the_answer_yes(relais: Relais):
    jean = await relais.person_with_email("Jean", "jean@example.org", console=True)
    await relais.send("From: jean@example.org\nSubject: forget me\nMessage-ID: <f1@x>\nContent-Language: en\n\n",
                      mail_from="jean@example.org")
    [asked] = await relais.wait_mail(predicate=replying("<f1@x>"))
    assert fr("Tout effacer ? Répondez oui pour tout effacer") in plain(asked)
    await relais.send(f"From: jean@example.org\nSubject: Re: {asked['Subject']}\nMessage-ID: <f2@x>\nIn-Reply-To: {asked['Message-ID']}\n"
                      "\noui\n\n> Tout effacer ?\n", mail_from="jean@example.org", to=[asked["Reply-To"]])
    [done] = await relais.wait_mail(predicate=replying("<f2@x>"))
    assert "Relais ne vous connaît plus" in plain(done)
    assert done.rcpt_tos == ("jean@example.org",)
    assert not await Person.filter(id=jean.id).exists()
    assert not await Account.filter(address__in=["jean@example.org", "jean"]).exists()


async def test_an_erased_person_is_taken_off_the_mailman_list(relais_mm: Relais, mailman: MailmanServer):
    relais, sync = relais_mm, relais_mm.mail.mailman
    await ConsoleChat(relais.app.console, "me", locale="en").exchange("list create")

    async def ready():
        return await MailingList.get_or_none(status=ListStatus.READY)
    await until(ready, wake=sync.wake)
    anouk = await relais.person_with_email("Anouk", "anouk@example.org", console=True)
    await ConsoleChat(relais.app.console, "anouk", locale="en").exchange("subscribe usine-vivante")

    async def subscribed():
        return "anouk@example.org" in await members(mailman)
    await until(subscribed, wake=sync.wake)
    anouk_chat = ConsoleChat(relais.app.console, "anouk", locale="en")
    await anouk_chat.exchange("lang en")
    assert "Erase everything?" in await anouk_chat.exchange("forget me")
    assert "Relais no longer knows you" in await anouk_chat.exchange("yes")
    assert not await ListSubscription.filter(person_id=anouk.id).exists()

    async def gone():
        return "anouk@example.org" not in await members(mailman)
    await until(gone, wake=sync.wake)
    assert not await ListDeparture.exists()  # done, then forgotten too
    assert LIST
