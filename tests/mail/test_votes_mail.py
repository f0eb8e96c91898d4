"""Votes by mail, over real SMTP and HTTP: the ballot mail has one signed link per option (GET shows what it will
do, POST votes); the digest's open votes are one-click links; the meeting comes with its .ics invitation."""

from __future__ import annotations

import re
from datetime import date, timedelta
from html import unescape

import aiohttp
from icalendar import Calendar

from bot.adapters.console import ConsoleChat
from bot.services import demo
from bot.services.digest import Digest, Recipient, VotesAndMeeting, Week
from mail.digest import DigestRenderer, digest_links
from models import Account, Ballot, Community, EventAnswer, Role, VotePoll
from tests.mail.conftest import Relais
from tests.mail.forms import press, press_on


async def test_a_ballot_mail_votes_by_link_once_posted(relais: Relais):
    await relais.person_with_email("Jean", "jean@example.org")
    await ConsoleChat(relais.app.console, "me").exchange('sondage "Quel nom ?" "Le Relais" "La Passerelle"')
    await relais.settle()
    mails = [m for m in await relais.wait_mail() if "Quel nom" in m.message.get_body(("plain",)).get_content()]
    assert mails, "the member without a chat room gets a ballot by mail"
    html = mails[-1].message.get_body(("html",)).get_content()
    links = re.findall(r'<li[^>]*><a href="([^"]+)"', html)
    assert len(links) >= 2  # one per option (then Results)
    poll = await VotePoll.get(number=1)
    async with aiohttp.ClientSession() as http:
        async with http.get(links[1]) as page:
            body = unescape(await page.text())
            assert "La Passerelle" in body and '<button type="submit">' in body
        assert not await Ballot.filter(poll_id=poll.id).exists()  # a GET (a link scanner) changes nothing
        async with http.post(links[1]) as page:  # nor does a POST without the page's token
            assert page.status == 403
        assert not await Ballot.filter(poll_id=poll.id).exists()
        status, body = await press(http, links[1])
        assert status == 200 and "Vote enregistré sur le sondage #1" in unescape(body)
    assert await Ballot.filter(poll_id=poll.id).values_list("choice", flat=True) == [[2]]


async def test_the_digest_offers_the_open_votes_as_one_click_links(relais: Relais):
    person = await relais.person_with_email("Jean", "jean@example.org", role=Role.OBSERVER)
    account = await Account.get(person=person, platform="email")
    community = await Community.get(slug=demo.SLUG)
    await ConsoleChat(relais.app.console, "me").exchange('sondage "Quel jour ?" "Lundi" "Vendredi"')
    await ConsoleChat(relais.app.console, "me").exchange("réunion fixer 15 janvier 19h Salle des fêtes")
    now = relais.app.clock()
    week = Week(community, "2026-W48", now.replace(day=now.day - 7), now + timedelta(seconds=1), now.date(), date(2026, 11, 14), date(2026, 11, 20))
    provider = VotesAndMeeting()
    section = provider.section(await provider.prepare(week, {}), Recipient(person.id, "Jean", "fr", account.address))
    assert section is not None and section.fresh and [v.question for v in section.data.votes] == ["Quel jour ?"]
    digest = Digest(Recipient(person.id, "Jean", "fr", account.address, account_id=account.id), community.slug, community.name,
                    week.key, [section], start=week.first_day, end=week.last_day)
    links = digest_links(await relais.mail.ready(), digest)
    _, text, html = DigestRenderer(relais.app.services.catalogs).render(digest, links)
    assert links.vote(1, 2) in text and "Salle des fêtes" in text and links.coming(section.data.meeting.id) in html
    async with aiohttp.ClientSession() as http:
        async with http.get(links.vote(1, 2)) as page:
            body = unescape(await page.text())
            assert "<h1>Voter « Vendredi »\u202f?</h1>" in body and "<p>Quel jour ?</p>" in body
        _, body = await press_on(http, body, relais.web_url)
        assert "Vote enregistré" in unescape(body)
        _, body = await press(http, links.coming(section.data.meeting.id))
        assert "Noté" in unescape(body)
    poll = await VotePoll.get(number=1)
    assert await Ballot.filter(poll_id=poll.id, voter=f"p{person.id}").values_list("choice", flat=True) == [[2]]
    assert await EventAnswer.filter(person_id=person.id, status="coming").exists()


async def test_the_meeting_invitation_reaches_members_by_mail_as_an_ics(relais: Relais):
    await relais.person_with_email("Jean", "jean@example.org")
    await ConsoleChat(relais.app.console, "me").exchange("réunion fixer 15 janvier 19h Salle des fêtes")
    await relais.settle()
    invites = [m for m in await relais.wait_mail() for part in m.message.iter_attachments()
               if part.get_content_type() == "text/calendar"]
    assert invites
    part = next(p for p in invites[-1].message.iter_attachments() if p.get_content_type() == "text/calendar")
    event = Calendar.from_ical(part.get_payload(decode=True)).walk("VEVENT")[0]
    assert str(event["location"]) == "Salle des fêtes" and "Réunion générale" in str(event["summary"])
