"""A digest's links over real HTTP: each signed for one act on one object (a vote for one option) with a lifetime
that fits the act; a token taken from one link acts on nothing else, and digest links of before (one token for
everything the person could do) no longer act."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from html import unescape

import aiohttp
import pytest
from itsdangerous import URLSafeSerializer

from bot.adapters.console import ConsoleChat
from bot.adapters.links.tokens import b36
from bot.services import demo
from bot.services.digest import Digest, Recipient, VotesAndMeeting, Week
from mail.digest import Links, digest_links
from models import Account, Ballot, Campaign, Community, DigestSubscription, Event, EventAnswer, Follow, Person, PledgeClick, Role, VotePoll
from tests.mail.conftest import Relais
from tests.mail.forms import button, press, press_on

ACTS = ("follow", "unfollow", "vote", "coming", "notcoming", "off", "support", "pledge")


async def jeans_links(relais: Relais) -> tuple[Person, Account, Links, int]:
    """Jean (an observer reading mail) and his digest's links, with an open poll and the next meeting in it."""
    person = await relais.person_with_email("Jean", "jean@example.org", role=Role.OBSERVER)
    account = await Account.get(person=person, platform="email")
    community = await Community.get(slug=demo.SLUG)
    await ConsoleChat(relais.app.console, "me").exchange('sondage "Quel jour ?" "Lundi" "Vendredi" jusqu\'au 10 décembre')
    await ConsoleChat(relais.app.console, "me").exchange("réunion fixer 15 janvier 19h Salle des fêtes")
    now = relais.app.clock()
    week = Week(community, "2026-W48", now - timedelta(days=7), now, now.date(), date(2026, 11, 14), date(2026, 11, 20))
    provider = VotesAndMeeting()
    section = provider.section(await provider.prepare(week, {}), Recipient(person.id, "Jean", "fr", account.address))
    assert section is not None and section.data.meeting is not None
    digest = Digest(Recipient(person.id, "Jean", "fr", account.address, account_id=account.id), community.slug,
                    community.name, week.key, [section], start=week.first_day, end=week.last_day)
    return person, account, digest_links(await relais.mail.ready(), digest), section.data.meeting.id


async def nothing_done(person: Person) -> None:
    assert not await Follow.filter(person=person).exists()
    assert not await Ballot.exists() and not await EventAnswer.exists()
    assert not await DigestSubscription.filter(person=person, enabled=False).exists()


async def test_a_token_taken_from_a_follow_link_acts_on_nothing_else(relais: Relais):
    """Jean's follow link for the conciergerie, shared: its token, put under every other act, another project, another
    person or a vote option, and sent to the other link routes, is refused; its page's token opens no other link."""
    person, account, links, meeting = await jeans_links(relais)
    follow = links.follow("conciergerie-rurale")
    base, _, token = follow.rpartition("/")
    act, who, community, obj, option, expires, signature = token.split(".")
    assert (act, community, obj, option) == ("follow", demo.SLUG, "conciergerie-rurale", "0")
    forged = [f"{base}/{other}.{who}.{community}.{obj}.{option}.{expires}.{signature}" for other in ACTS if other != "follow"]
    forged += [f"{base}/vote.{who}.{community}.1.2.{expires}.{signature}",  # vote 2 on poll 1
               f"{base}/off.{who}.{community}..0.{expires}.{signature}",
               f"{base}/follow.{who}.{community}.dombes-brasserie.{option}.{expires}.{signature}",  # another project
               f"{base}/follow.{b36(int(who, 36) + 1)}.{community}.{obj}.{option}.{expires}.{signature}",  # another person
               f"{base}/follow.{who}.{community}.{obj}.{option}.zzzzzzz.{signature}",  # a longer life
               f"{relais.web_url}/l/{token}", f"{relais.web_url}/p/{token}"]
    forged += [f"{base}/{token}/{path}" for path in ("vote/1-2", "off", "follow/dombes-brasserie", f"coming/{meeting}")]
    async with aiohttp.ClientSession() as http:
        async with http.get(follow) as page:
            _, page_token = button(await page.text())
        for url in forged:
            async with http.get(url, allow_redirects=False) as answer:
                assert answer.status in (404, 410) and "<form" not in await answer.text(), url
            async with http.post(url, data={"page": page_token}, headers={"Origin": relais.web_url},
                                 allow_redirects=False) as answer:
                assert answer.status in (404, 405, 410), url
        for other in (links.vote(1, 2), links.unsubscribe(), links.coming(meeting)):  # genuine links, the wrong page token
            async with http.post(other, data={"page": page_token}, headers={"Origin": relais.web_url}) as answer:
                assert answer.status == 403, other
        await nothing_done(person)
        status, body = await press(http, follow)  # the link itself does its one act
        assert status == 200 and "Vous suivez désormais Conciergerie rurale." in body
    assert await Follow.filter(person=person).count() == 1


async def test_each_act_lives_as_long_as_it_should(relais: Relais):
    """Follow links work a month, a vote link until its poll's close (the 10th of December: the end of that day
    wherever the community is), an answer to the meeting until it starts, the digest's unsubscribe (RFC 8058) a
    year; then the expired-link page, and nothing done."""
    person, account, links, meeting = await jeans_links(relais)
    start = relais.clock.now
    poll = await VotePoll.get(number=1)
    vote, follow, coming, off = links.vote(1, 2), links.follow("conciergerie-rurale"), links.coming(meeting), links.unsubscribe()

    async def status(url: str) -> int:
        async with http.get(url) as page:
            return page.status

    async with aiohttp.ClientSession() as http:
        relais.clock.now = poll.closes_at - timedelta(minutes=1)
        assert [await status(vote), await status(follow)] == [200, 200]
        relais.clock.now = datetime(2026, 12, 11, 12, 1, tzinfo=timezone.utc)
        assert await status(vote) == 410
        relais.clock.now = start + timedelta(days=29)
        assert await status(follow) == 200
        relais.clock.now = start + timedelta(days=31)
        async with http.get(follow) as page:
            assert page.status == 410 and "<h1>Ce lien a expiré</h1>" in await page.text()
        starts = (await Event.get(id=meeting)).starts_at
        relais.clock.now = starts - timedelta(minutes=1)
        assert await status(coming) == 200
        relais.clock.now = starts + timedelta(minutes=1)
        assert await status(coming) == 410
        async with http.post(coming, data={"page": "x"}) as page:
            assert page.status == 410
        async with http.post(off, data="List-Unsubscribe=One-Click",
                             headers={"Content-Type": "application/x-www-form-urlencoded"}) as page:
            assert page.status == 200  # still months before its year
    assert not await Follow.filter(person=person).exists() and not await Ballot.exists() and not await EventAnswer.exists()
    assert await DigestSubscription.filter(person=person, enabled=False).exists()


async def test_a_digest_link_of_before_acts_no_more(relais: Relais):
    """A digest link of before act links (`/d/<one token>/<action>/<object>`): GET and POST, one-click included, show
    a page saying it comes from an older mail, with no button; nothing is done. A forged one is an invalid link."""
    person, account, _, meeting = await jeans_links(relais)
    composer = await relais.mail.ready()
    old = f"{relais.web_url}/d/" + composer.tokens.link({"k": "digest", "a": account.id, "c": demo.SLUG})
    async with aiohttp.ClientSession() as http:
        for path in ("follow/conciergerie-rurale", "vote/1-2", "off", f"coming/{meeting}", "pledge/dombes-brasserie"):
            async with http.get(f"{old}/{path}", allow_redirects=False) as page:
                body = unescape(await page.text())
                assert page.status == 410 and "<h1>Ce lien vient d'un ancien courriel</h1>" in body and "<form" not in body
            async with http.post(f"{old}/{path}", data="List-Unsubscribe=One-Click",
                                 headers={"Content-Type": "application/x-www-form-urlencoded"}) as page:
                assert page.status == 410
        async with http.post(f"{old[:-3]}xyz/follow/conciergerie-rurale") as page:
            assert page.status == 404 and "Ce lien ne fonctionne pas" in await page.text()
    await nothing_done(person)
    assert not await PledgeClick.exists()


async def test_a_pledge_link_given_before_act_links_still_opens_the_campaign(relais: Relais):
    """A personal pledge link of before (a signed [campaign, person]) still leads to the campaign's page, as a visit."""
    url = "https://www.helloasso.com/associations/brasserie/collectes/cuve"
    await ConsoleChat(relais.app.console, "camille").exchange(f"campagne ajouter dombes-brasserie don 12k {url}")
    campaign = await Campaign.get()
    ana = await Person.get(display_name="Ana")
    old = URLSafeSerializer("test-secret", salt="relais.pledge").dumps([campaign.id, ana.id])
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{relais.web_url}/p/{old}", allow_redirects=False) as answer:
            assert answer.status == 302 and answer.headers["Location"] == url
    assert await PledgeClick.filter(person_id=ana.id).count() == 1


async def test_a_vote_link_votes_only_by_its_pages_button(relais: Relais):
    """The page of a digest's vote link: a POST of Relais' own origin without its token is refused, its button votes."""
    person, account, links, _ = await jeans_links(relais)
    async with aiohttp.ClientSession() as http:
        async with http.get(links.vote(1, 2)) as page:
            body = await page.text()
        async with http.post(links.vote(1, 2), headers={"Origin": relais.web_url}) as answer:
            assert answer.status == 403
        assert not await Ballot.exists()
        status, done = await press_on(http, body, relais.web_url)
        assert status == 200 and "Vote enregistré" in unescape(done)
    assert await Ballot.filter(voter=f"p{person.id}").count() == 1


def test_a_readers_links_are_the_tokens_the_service_signs_and_reads():
    """The digest's fast signing of one reader's links makes exactly the service's tokens, each read back as its act;
    a vote ends with its poll's end, and nothing lives more than a year."""
    from bot.adapters.links.tokens import Act, LinkError, LinkTokens
    from tests.conftest import Clock

    clock = Clock()
    tokens = LinkTokens("secret", clock)
    ends = {("vote", "3"): clock.now + timedelta(days=5)}
    sign = tokens.reader(42, "usine-vivante", ends)
    for act, obj, option, until in (("follow", "four", 0, None), ("vote", "3", 2, ends[("vote", "3")]), ("off", "", 0, None),
                                    ("coming", "7", 0, None)):
        token = sign(act, obj, option)
        assert token == tokens.sign(act, 42, "usine-vivante", obj, option, until)
        assert tokens.read(token) == Act(act, 42, "usine-vivante", obj, option)
    vote = sign("vote", "3", 2)
    clock.now += timedelta(days=5, minutes=1)
    with pytest.raises(LinkError) as old:
        tokens.read(vote)  # its poll has ended
    assert old.value.expired
    assert tokens.read(sign("off", "")).act == "off"
    far = tokens.sign("vote", 1, "x", "1", 1, until=clock.now + timedelta(days=4000))
    clock.now += timedelta(days=367)
    with pytest.raises(LinkError) as old:
        tokens.read(far)  # never more than a year
    assert old.value.expired
    with pytest.raises(LinkError) as forged:
        LinkTokens("another secret", clock).read(tokens.sign("follow", 1, "x", "four"))
    assert not forged.value.expired
