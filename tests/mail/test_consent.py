"""Double opt-in, signed links and one-click unsubscribe, over real SMTP and real HTTP on loopback."""

from __future__ import annotations

import re
from datetime import date, timedelta
from html import unescape

import aiohttp

from bot.adapters.console import ConsoleChat
from models import Account, ConsoleInbox, Follow, Membership, Person, Project, Role
from models.mail import InboundMail, MailAddress, MailStatus
from tests.mail.conftest import Relais
from tests.mail.forms import press_on

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
        async with http.post(url) as page:  # a POST without the page's token (a scanner's) changes nothing either
            assert page.status == 403
        assert not (await Account.get(platform="email", address="ana@example.org")).confirmed
        status, text = await press_on(http, body, relais.web_url)
        assert status == 200 and "ana@example.org" in text
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
    assert confirm["Subject"] == "Re: subscribe usine-vivante" and confirm["In-Reply-To"] == "<z1@x>"  # in the thread of her mail
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
            body = await page.text()
    assert not (await Account.get(platform="email", address="anouk@example.org")).reachable
    assert "Plus de courriels à anouk@example.org" in body and "discussions avec Relais" in body  # she has a console
    relais.sink.clear()
    await news(relais, "Encore une")
    assert relais.sink.messages == []
    assert any("Encore une" in row.text for row in await ConsoleInbox.filter(address="anouk"))
    # The page offers to undo it: its own signed link (not the one in the mail), a GET to see it, a POST to act.
    again = re.search(r'<form method="post" action="(/l/[^"]+)"><button[^>]*>Recevoir de nouveau les courriels<', body).group(1)
    assert again not in url
    async with aiohttp.ClientSession() as http:
        async with http.get(relais.web_url + again) as page:
            shown = await page.text()
            assert "Recevoir de nouveau les courriels de Relais à anouk@example.org\u202f?" in shown
        assert not (await Account.get(platform="email", address="anouk@example.org")).reachable
        _, text = await press_on(http, shown, relais.web_url)
        assert "Courriels rétablis" in text
    assert (await Account.get(platform="email", address="anouk@example.org")).reachable
    assert not (await MailAddress.get(address="anouk@example.org")).unsubscribed
    await news(relais, "De retour")
    [mail] = await relais.wait_mail()
    assert "De retour" in plain(mail)


async def test_a_choice_link_runs_its_command_as_the_account_after_a_post(relais: Relais):
    person = await relais.person_with_email("Ana", "ana@example.org")
    await Follow.create(person=person, project=await Project.get(slug="dombes-brasserie"))
    await news(relais, "Une nouvelle")
    [mail] = await relais.wait_mail()
    html = mail.message.get_body(("html",)).get_content()
    links = re.findall(r'<li[^>]*><a href="([^"]+)"', html)
    assert len(links) == 2  # See the project, Stop following
    async with aiohttp.ClientSession() as http:
        async with http.get(links[1]) as page:  # the command said in words, with the action's own button
            body = await page.text()
            assert "unfollow" not in body and "<h1>Ne plus suivre Brasserie de la Dombes\u202f?</h1>" in body
            assert "Vous ne recevrez plus ses nouvelles ni ses prochaines étapes." in body
            assert re.search(r'<button type="submit">Ne plus suivre</button>', body)
        assert await Follow.filter(person=person).exists()
        status, body = await press_on(http, body, relais.web_url)
        assert status == 200 and "Vous ne suivez plus Brasserie de la Dombes." in body
        assert not await Follow.filter(person=person).exists()
        assert re.search(r'<form method="post" action="(/l/[^"]+)"><button[^>]*>Annuler</button>', body)
        _, body = await press_on(http, body, relais.web_url, "Annuler")  # the reply's own choice, as a button
        assert "Vous suivez désormais Brasserie de la Dombes." in body
    assert await Follow.filter(person=person).exists()


async def test_a_digest_follow_link_says_which_project_and_where_its_news_will_go(relais: Relais):
    """The page of a digest's follow link names the project, its summary and the address, and the button says "Suivre"."""
    from bot.services import demo
    from bot.services.digest import Digest, Recipient
    from mail.digest import digest_links
    from models import Community

    person = await relais.person_with_email("Jean", "jean@example.org")
    account = await Account.get(person=person, platform="email")
    community = await Community.get(slug=demo.SLUG)
    digest = Digest(Recipient(person.id, "Jean", "fr", account.address, account_id=account.id), community.slug, community.name,
                    "2026-W48", [], start=date(2026, 11, 23), end=date(2026, 11, 29))
    links = digest_links(await relais.mail.ready(), digest)
    async with aiohttp.ClientSession() as http:
        async with http.get(links.follow("conciergerie-rurale")) as page:
            body = unescape(await page.text())
    assert "<h1>Suivre Conciergerie rurale\u202f?</h1>" in body and "Un service de conciergerie" in body
    assert "Vous recevrez ses nouvelles et ses prochaines étapes à jean@example.org." in body
    assert '<button type="submit">Suivre</button>' in body and "Tiers-lieu de l'Usine Vivante" in body
    assert not await Follow.filter(person=person).exists()


async def test_an_invalid_link_says_why_and_what_to_do_in_the_browser_language(relais: Relais):
    """Expired and altered links get pages saying which it is, and that writing to Relais or a chat still works."""
    person = await relais.person_with_email("Ana", "ana@example.org")
    account = await Account.get(person=person, platform="email")
    composer = await relais.mail.ready()
    url = composer.link("pick", account.id, s=1, i=0)
    async with aiohttp.ClientSession() as http:
        async with http.get(url[:-4] + "abcd") as page:
            body = await page.text()
            assert page.status == 404 and "<h1>Ce lien ne fonctionne pas</h1>" in body
            assert '<a href="mailto:relais@relais.test">relais@relais.test</a>' in body and "discussion avec Relais" in body
        async with http.get(url[:-4] + "abcd", headers={"Accept-Language": "de-DE, en-GB;q=0.8, fr;q=0.5"}) as page:
            body = await page.text()
            assert '<html lang="en">' in body and "<h1>This link does not work</h1>" in body
        relais.clock.now += timedelta(days=31)  # choice links live 30 days
        async with http.get(url) as page:
            body = await page.text()
            assert page.status == 410 and "<h1>Ce lien a expiré</h1>" in body and "relais@relais.test" in body
