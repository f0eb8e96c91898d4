"""Double opt-in, signed links and one-click unsubscribe, over real SMTP and real HTTP on loopback."""

from __future__ import annotations

import re
from datetime import timedelta

import aiohttp

from bot.adapters.console import ConsoleChat
from models import Account, ConsoleInbox, Follow, Membership, Person, Project, Role
from models.mail import InboundMail, MailStatus
from tests.mail.conftest import Relais

LINK = re.compile(r"(http://127\.0\.0\.1:\d+/l/[A-Za-z0-9_.-]+)")


def plain(received) -> str:
    return received.message.get_body(("plain",)).get_content()


async def news(relais: Relais, text: str) -> None:
    await ConsoleChat(relais.app.console, "camille").exchange(f"nouvelle dombes-brasserie {text}")
    await relais.settle()


async def test_email_add_in_chat_sends_only_a_confirmation_until_the_link_is_posted(relais: Relais):
    ana = ConsoleChat(relais.app.console, "ana", locale="en")
    answer = await ana.exchange("email add Ana@Example.org")
    assert "ana@example.org" in answer
    [confirm] = await relais.wait_mail()
    assert confirm.rcpt_tos == ("ana@example.org",) and confirm["List-Unsubscribe"]
    assert "again within the hour" not in answer
    await ana.exchange("email add ana@example.org")  # asking twice within the hour sends nothing more
    await news(relais, "Première nouvelle")  # ana (console) follows dombes-brasserie: the news stays on the console
    assert len(relais.sink.messages) == 1
    assert any("Première nouvelle" in row.text for row in await ConsoleInbox.filter(address="ana"))

    url = LINK.findall(plain(confirm))[0]
    async with aiohttp.ClientSession() as http:
        async with http.get(url) as page:  # a link scanner fetching it changes nothing
            body = await page.text()
            assert page.status == 200 and "<form method=\"post\"" in body
        assert not (await Account.get(platform="email", address="ana@example.org")).confirmed
        async with http.post(url) as page:
            assert page.status == 200 and "ana@example.org" in await page.text()
    account = await Account.get(platform="email", address="ana@example.org")
    assert account.confirmed and not account.preferred  # the console stays ana's preferred channel
    await Account.filter(person_id=account.person_id).update(preferred=False)
    await Account.filter(id=account.id).update(preferred=True)  # ana now prefers mail
    relais.sink.clear()
    await news(relais, "Deuxième nouvelle")
    [mail] = await relais.wait_mail()
    assert mail.rcpt_tos == ("ana@example.org",) and "Deuxième nouvelle" in plain(mail)


async def test_a_first_mail_is_held_until_a_plain_reply_to_the_confirmation(relais: Relais):
    await relais.send("From: Zoé <zoe@example.org>\nSubject: subscribe usine-vivante\nMessage-ID: <z1@x>\n"
                      "Content-Language: fr\n\nsuivre dombes-brasserie\n", mail_from="zoe@example.org")
    [confirm] = await relais.wait_mail()
    assert confirm["Subject"] in ("Confirm your address for Relais", "Confirmez votre adresse pour Relais")
    relais.sink.clear()
    await relais.send(f"From: Zoé <zoe@example.org>\nSubject: Re: {confirm['Subject']}\nMessage-ID: <z2@x>\n"
                      f"In-Reply-To: {confirm['Message-ID']}\n\n\n> {plain(confirm).splitlines()[0]}\n",
                      mail_from="zoe@example.org", to=[confirm["Reply-To"]])
    replies = await relais.wait_mail(2)
    assert {m["In-Reply-To"] for m in replies} == {"<z1@x>", "<z2@x>"}
    account = await Account.get(platform="email", address="zoe@example.org")
    person = await Person.get(id=account.person_id)
    assert account.confirmed and person.display_name == "Zoé" and person.locale == "fr"
    membership = await Membership.get(person=person).select_related("community")
    assert membership.community.slug == "usine-vivante" and membership.role == Role.OBSERVER
    assert await Follow.filter(person=person, project=await Project.get(slug="dombes-brasserie")).exists()
    assert [r.status for r in await InboundMail.all().order_by("id")] == [MailStatus.DONE, MailStatus.DONE]


async def test_an_expired_confirmation_sends_a_new_one_and_a_forged_one_is_refused(relais: Relais):
    await relais.send("From: zoe@example.org\nSubject: projets\nMessage-ID: <z3@x>\n\n", mail_from="zoe@example.org")
    [first] = await relais.wait_mail()
    relais.sink.clear()
    relais.clock.now += timedelta(days=8)
    await relais.send("From: zoe@example.org\nSubject: Re: x\nMessage-ID: <z4@x>\n\nok\n", to=[first["Reply-To"]])
    [second] = await relais.wait_mail()
    assert second["Reply-To"] != first["Reply-To"] and second["Reply-To"].startswith("relais+c")
    assert not (await Account.get(platform="email", address="zoe@example.org")).confirmed
    async with aiohttp.ClientSession() as http:
        old = LINK.findall(plain(first))[0]
        async with http.post(old) as page:
            assert page.status == 410
        async with http.post(old[:-3] + "abc") as page:
            assert page.status == 404
    assert not (await Account.get(platform="email", address="zoe@example.org")).confirmed


async def test_one_click_unsubscribe_is_a_post_without_login_and_a_get_changes_nothing(relais: Relais):
    person = await relais.person_with_email("Anouk", "anouk@example.org", console=True)
    await Follow.create(person=person, project=await Project.get(slug="dombes-brasserie"))
    await news(relais, "Une nouvelle")
    [mail] = await relais.wait_mail()
    url = mail["List-Unsubscribe"].strip("<>")
    async with aiohttp.ClientSession() as http:
        async with http.get(url) as page:
            assert page.status == 200 and "form" in await page.text()
        assert (await Account.get(platform="email", address="anouk@example.org")).reachable
    async with aiohttp.ClientSession() as http:  # what a mail client does (RFC 8058): no cookie, this exact body
        async with http.post(url, data="List-Unsubscribe=One-Click",
                             headers={"Content-Type": "application/x-www-form-urlencoded"}) as page:
            assert page.status == 200
    assert not (await Account.get(platform="email", address="anouk@example.org")).reachable
    relais.sink.clear()
    await news(relais, "Encore une")
    assert relais.sink.messages == []
    assert any("Encore une" in row.text for row in await ConsoleInbox.filter(address="anouk"))


async def test_a_choice_link_runs_its_command_as_the_account_after_a_post(relais: Relais):
    person = await relais.person_with_email("Ana", "ana@example.org")
    await Follow.create(person=person, project=await Project.get(slug="dombes-brasserie"))
    await news(relais, "Une nouvelle")
    [mail] = await relais.wait_mail()
    html = mail.message.get_body(("html",)).get_content()
    links = re.findall(r'<li[^>]*><a href="([^"]+)"', html)
    assert len(links) == 2  # See the project, Stop following
    async with aiohttp.ClientSession() as http:
        async with http.get(links[1]) as page:
            assert "unfollow dombes-brasserie" in await page.text()
        assert await Follow.filter(person=person).exists()
        async with http.post(links[1]) as page:
            assert page.status == 200
    assert not await Follow.filter(person=person).exists()
