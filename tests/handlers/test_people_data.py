"""One person across platforms and their data, as dialogs: link codes (single use, expiry, the lock after 5 wrong
tries), two people joined into one with nothing counted twice, unlink, the notification channel, the person's time
zone; mydata as a file and a summary; forget me, checked afterwards table by table."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path

import pytest
from tortoise import connections

from bot.core.i18n import french_typography as fr
from bot.core.sql import fetch
from bot.services.retention import Retention
from models import (
    Account,
    Ballot,
    BallotBox,
    Community,
    DigestSubscription,
    Event,
    EventAnswer,
    Follow,
    InboundEvent,
    InboundStatus,
    LinkAttempt,
    LinkCode,
    Membership,
    NewsItem,
    NextStep,
    Person,
    PollVoter,
    Promise,
    Role,
    VotePoll,
)
from models.mail import InboundMail, ListDeparture, ListSubscription, MailAddress, MailStatus
from models.messaging import ConsoleInbox
from scheduler.jobs import Housekeeping
from tests.conftest import Dialog, make_app

KEY = "a test key that is not in the database"  # secret polls need RELAIS_SECRET_KEY


@pytest.fixture
async def app(tmp_path, clock):
    app = await make_app("sqlite", tmp_path, clock, secret_key=KEY)
    yield app
    await app.stop()


@pytest.fixture(params=["sqlite", "postgres"])
async def any_app(request, tmp_path, clock):
    app = await make_app(request.param, tmp_path, clock, secret_key=KEY)
    yield app
    await app.stop()


def code_in(text: str) -> str:
    found = re.search(r"\b([2-9A-Z]{4}-[2-9A-Z]{6})\b", text)
    assert found, f"no code in {text!r}"
    return found.group(1)


def other_code(code: str, at: int = -1) -> str:
    """The same code with one character changed: its first part still names it."""
    chars = list(code)
    chars[at] = "2" if chars[at] != "2" else "3"
    return "".join(chars)


async def person_of(address: str, platform: str = "console") -> int:
    return (await Account.get(platform=platform, address=address)).person_id


async def test_link_joins_two_people_into_one_with_nothing_counted_twice(any_app, clock):
    me = Dialog(any_app, "me", locale="en")
    await me.say("lang en")
    camille, other = Dialog(any_app, "camille", locale="en"), Dialog(any_app, "cam-phone", locale="en")
    await camille.say("lang en")
    await other.check(("follow conciergerie-rurale", "You now follow"), ("digest on", "You get the digest"))  # a member before the polls
    await me.say('poll "Which day?" "Monday" "Friday"')
    await me.say('poll "Raise the fee?" "Yes" "No" secret')
    await me.say('poll "Which name?" "A" "B"')
    await me.say("meeting set 15 january 19:00 Town hall")
    await camille.say("vote 1 1")
    await camille.say("vote 2 1")
    await camille.say("coming")
    await other.say("vote 3 2")  # only this account voted on #3
    await camille.say("campaign add dombes-brasserie donation 12 000 € https://example.org/dombes until 20 december")
    await camille.say("pledge dombes-brasserie 50 €")
    clock.now += timedelta(minutes=1)
    await other.say("pledge dombes-brasserie 80 €")  # later: this promise wins
    await other.say("vote 1 2")  # later: this ballot wins
    await other.say("vote 2 2")  # secret: no time is kept; the kept person's ballot stays
    await other.say("not coming")  # later: this answer wins
    keep, gone = await person_of("camille"), await person_of("cam-phone")
    code = code_in(await camille.say("link"))
    await other.check((f"link {code}", ["Linked: you are one person on console:camille, console:cam-phone.", "Unlink this account"]))

    assert not await Person.filter(id=gone).exists()
    assert await person_of("cam-phone") == keep
    community = await Community.get(slug="usine-vivante")
    assert (await Membership.get(person_id=keep, community=community)).role == Role.REFERENT  # the higher role
    assert await Membership.filter(community=community).count() == 6  # one membership, not two
    follows = await Follow.filter(person_id=keep).values_list("project__slug", flat=True)
    assert sorted(follows) == ["conciergerie-rurale", "ressourcerie-creative"]
    assert (await DigestSubscription.get(person_id=keep)).enabled
    polls = {p.number: p for p in await VotePoll.all()}
    assert await Ballot.filter(poll_id=polls[1].id).values_list("voter", "choice") == [(f"p{keep}", [2])]
    box = (await BallotBox.get(poll_id=polls[2].id)).ballots
    assert box == {any_app.services.votes.keys.of(polls[2].id, keep): [1]}  # one secret ballot, under the kept person's key
    assert await Ballot.filter(poll_id=polls[3].id).values_list("voter", flat=True) == [f"p{keep}"]
    for poll in polls.values():
        assert await PollVoter.filter(poll_id=poll.id).values_list("person_id", flat=True) == [keep]
    assert [(a.person_id, a.status == "coming") for a in await EventAnswer.all()] == [(keep, False)]
    assert [(p.person_id, p.amount) for p in await Promise.all()] == [(keep, 8000)]  # one promise, the later
    assert "1 voter." in await me.say("results 1")
    assert "console:cam-phone" in await camille.say("me")
    # Single use: the same code again is a wrong code.
    await Dialog(any_app, "ana").check((f"link {code}", "Ce code n'est pas valable"))


async def test_wrong_expired_and_locked_codes(app, clock):
    ana, jules = Dialog(app, "ana", locale="en"), Dialog(app, "jules", locale="en")
    await ana.say("lang en")
    await jules.say("lang en")
    await jules.check(("link 12", "A link code has 10 letters and digits, like K7QX-48Z9MT."),
                      ("link 123456", "A link code has 10 letters and digits"),
                      ("link K7QX-48Z9M1", "A link code has 10 letters and digits"))  # 1 is no letter of a code
    code = code_in(await ana.say("link"))
    assert not await LinkCode.filter(code=code.replace("-", "")).exists(), "only its first part and a hash are stored"
    wrong = other_code(code, 0)  # a code nobody has: counts against the account only
    for left in (4, 3, 2, 1):
        await jules.check((f"link {wrong}", f"That code is not valid: check it, or type /link on your other account for a new one. Tries left: {left}."))
    await jules.check((f"link {wrong}", "that was the last try: linking is locked for this account for an hour"),
                      (f"link {code}", "Too many wrong codes: linking is locked for this account for 60 more min."))
    assert await LinkCode.filter(code=code[:4]).exists()  # a locked account cannot use (nor burn) the code
    clock.now += timedelta(minutes=11)
    await Dialog(app, "mehdi").check((f"link {code}", fr("Ce code a expiré (un code vaut 10 minutes) : tapez /relier sur votre autre compte")))
    clock.now += timedelta(minutes=50)
    code = code_in(await ana.say("link"))
    await jules.check((f"link {code}", "Linked: you are one person on console:ana, console:jules."))
    await ana.check(("link", "Your code: "))
    await ana.check(("link " + code_in(await jules.say("link")), "This code is your own"))
    await Dialog(app, "louise", room="usine").check(("/relier", "le code doit rester le vôtre. (Pour lier ce groupe à une communauté, c'est /lier"))


async def test_unlink_separates_an_account_and_the_last_one_stays(app):
    ana = Dialog(app, "ana", locale="en")
    await ana.say("lang en")
    await ana.check(("unlink console:ana", "console:ana is your only account: there is nothing to unlink it from."),
                    ("unlink console:jules", "console:jules is not one of your accounts"),
                    ("unlink telegram", "“telegram” is not an account"))
    code = code_in(await ana.say("link"))
    await Dialog(app, "ana-phone").say(f"link {code}")
    keep = await person_of("ana")
    await Dialog(app, "me").say("role ana referent")
    await ana.check(("unlink console:ana-phone", "console:ana-phone is on its own now"))
    alone = await person_of("ana-phone")
    assert alone != keep
    assert not await Follow.filter(person_id=alone).exists() and await Follow.filter(person_id=keep).count() == 2
    assert [m.role for m in await Membership.filter(person_id=alone)] == [Role.MEMBER]  # no referent role copied
    await Dialog(app, "ana-phone").check(("me", "console:ana-phone"))
    await ana.check(("délier-compte console:ana", "console:ana is your only account"))


async def test_the_channel_of_notifications(app):
    ana = Dialog(app, "ana", locale="en")
    await ana.say("lang en")
    person = await person_of("ana")
    await ana.check(("channel", "Your notifications go to console:ana."),
                    ("channel matrix", "You have no matrix account linked: type /link here"),
                    ("channel pigeon", "“pigeon” is not one of: telegram, matrix, email, console."))
    await Account.create(person_id=person, platform="email", address="ana@example.org", confirmed=False)
    await ana.check(("channel email", "ana@example.org is not confirmed yet: answer the confirmation mail first."))
    await Account.filter(address="ana@example.org").update(confirmed=True)
    await ana.check(("channel mail", ["From now on your notifications go to email:ana@example.org.", "Undo"]))
    assert [a.platform for a in await Account.filter(person_id=person, preferred=True)] == ["email"]
    await ana.check(("1", "From now on your notifications go to console:ana."),  # Undo
                    ("channel email", "email:ana@example.org"),
                    ("me", "notifications go to email:ana@example.org"))
    await Dialog(app, "jules").check(("canal", fr("Vos notifications vont à console:jules.")))


async def test_a_person_time_zone_for_the_dates_shown_to_them(app):
    me, ana = Dialog(app, "me", locale="en"), Dialog(app, "ana", locale="en")
    await me.say("lang en")
    await ana.say("lang en")
    await me.say("meeting set 15 january 19:00 Town hall")  # in the community's time zone, Paris
    await ana.check(("timezone", "your community's time zone, Europe/Paris"),
                    ("meeting", "19:00"),
                    ("timezone Europe/Pari", "“Europe/Pari” is not a time zone of the tz database. Did you mean: Europe/Paris"),
                    ("timezone Montral", "Did you mean: America/Montreal"),
                    ("timezone Mars/Olympus", "is not a time zone"),
                    ("timezone america/montreal", ["Dates are now shown to you in America/Montreal (it is 05:00 there).", "Undo"]),
                    ("meeting", "Friday, January 15, 2027 13:00"),
                    ("coming", "you are coming to the general meeting of Tiers-lieu de l'Usine Vivante on Friday, January 15, 2027 13:00"),
                    ("me", "Time zone: America/Montreal"))
    await Dialog(app, "me", room="usine").say("/bind usine-vivante")
    await Dialog(app, "ana", room="usine").check(("/meeting", "19:00"))  # a group reads the community's time
    await ana.check(("timezone default", "shown to you in your community's time zone again"))
    assert (await Person.get(id=await person_of("ana"))).timezone is None
    await Dialog(app, "jules").check(("fuseau Europe/Lisbon", fr("Les dates vous sont désormais montrées dans le fuseau Europe/Lisbon (il y est 10:00).")))


async def test_mydata_is_a_file_and_a_summary(app, clock):
    me, ana = Dialog(app, "me", locale="en"), Dialog(app, "ana", locale="en")
    await me.say("lang en")
    await ana.say("lang en")
    person = await person_of("ana")
    await Account.create(person_id=person, platform="email", address="ana@example.org", confirmed=True,
                         confirmed_at=clock.now - timedelta(days=3))
    await me.say('poll "Which day?" "Monday" "Friday"')
    await me.say('poll "Raise the fee?" "Yes" "No" secret')
    await ana.say("vote 1 2")
    await ana.say("vote 2 1")
    await ana.say("digest on")
    got = await ana.say("mydata")
    for piece in ("What Relais holds about you", "2 accounts: console:ana, email:ana@example.org",
                  "1 community: usine-vivante (member)", "2 projects followed", "2 ballots",
                  "Consent: email:ana@example.org confirmed on Nov 18, 2026", "weekly digest: usine-vivante",
                  "📎 relais-my-data-2026-11-21.json"):
        assert piece in got, (piece, got)
    path = Path(got.split("relais-my-data-2026-11-21.json", 1)[1].split("\n")[1].strip())
    data = json.loads(path.read_text("utf-8"))
    assert [a["account"] for a in data["accounts"]] == ["console:ana", "email:ana@example.org"]
    assert data["accounts"][1]["consent_at"].startswith("2026-11-18")
    assert [f["project"] for f in data["follows"]] == ["usine-vivante/dombes-brasserie", "usine-vivante/ressourcerie-creative"]
    assert [(b["poll"], b["choice"]) for b in data["ballots"]] == [("usine-vivante#1", [2])]  # not the secret one
    assert data["secret_polls_voted"] == ["usine-vivante#2"]
    assert data["communities"][0]["digest"] is True and data["communities"][0]["role"] == "member"
    assert data["other"] == {}  # every table that names the person is in a section
    camille = Dialog(app, "camille")
    got = await camille.say("mes-données")
    assert "1 nouvelle publiée" in got and "1 prochaine étape fixée" in got
    await Dialog(app, "ana", room="usine").check(("/mydata", "not a group: it is yours only"))


async def person_tables() -> list[tuple[str, str]]:
    """Every (table, column) of the database that can point at a person, read from the database itself."""
    conn = connections.get("default")
    if conn.capabilities.dialect == "postgres":
        rows = await fetch("SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = current_schema()", [])
    else:
        rows = []
        for (table,) in await fetch("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite%'", []):
            rows += [(table, r[1]) for r in await fetch(f'PRAGMA table_info("{table}")', [])]
    names = ("person_id", "author_id", "created_by_id", "asked_by_id", "bound_by_id")
    return sorted((str(t), str(c)) for t, c in rows if str(c) in names)


async def test_forget_me_erases_the_person_and_keeps_the_community_whole(any_app, clock):
    me, camille = Dialog(any_app, "me", locale="en"), Dialog(any_app, "camille", locale="en")
    await me.say("lang en")
    await camille.say("lang en")
    person = await person_of("camille")
    community = await Community.get(slug="usine-vivante")
    await Account.create(person_id=person, platform="email", address="camille@example.org", confirmed=True)
    await ListSubscription.create(community=community, person_id=person, address="camille@example.org")
    await MailAddress.create(address="camille@example.org")
    await me.say('poll "Which day?" "Monday" "Friday"')
    await me.say('poll "Raise the fee?" "Yes" "No" secret')
    await me.say("meeting set 15 january 19:00 Town hall")
    await me.check(("forget me", "You are the last facilitator of Tiers-lieu de l'Usine Vivante"))
    await me.say("role camille facilitator")
    await camille.say('poll "Which beer?" "Blonde" "Ambrée"')
    await camille.say("vote 1 2")
    await camille.say("vote 2 1")
    await camille.say("coming")
    await camille.say("news dombes-brasserie The vat is here")
    await camille.say("nextstep dombes-brasserie Bottle the first batch by 15 december")
    await camille.say("digest on")
    await camille.say("link")
    from models.search import SearchDoc

    assert await SearchDoc.filter(kind="news", author="Camille").exists()  # indexed with the name, until now
    before = await Ballot.filter(poll__number=1).count()
    secret = await VotePoll.get(number=2)

    await camille.check(("forget me", ["This erases you from Relais: your accounts (console:camille, email:camille@example.org)",
                                       "Erase everything? Answer yes to erase it", "Yes, erase everything", "No, keep it"]),
                        ("no", "Nothing was erased."),
                        ("forget me 0000", "That confirmation is no longer valid"),
                        ("forget me", "Erase everything?"))
    assert await Person.filter(id=person).exists()
    await camille.check(("1", "Done: Relais no longer knows you. If you write again, you start afresh."))

    leftovers = []
    for table, column in await person_tables():
        rows = await fetch(f'SELECT COUNT(*) FROM "{table}" WHERE "{column}" = ?', [person])
        if int(rows[0][0]):
            leftovers.append((table, column))
    assert leftovers == [], "rows still pointing at the erased person"
    assert ("news_item", "author_id") in await person_tables() and ("prompt", "asked_by_id") in await person_tables()
    assert not await Account.filter(address__in=["camille", "camille@example.org"]).exists()
    assert not await MailAddress.filter(address="camille@example.org").exists()
    assert not await LinkCode.exists()
    # What the community needs stays, without a name.
    news = await NewsItem.get(text="The vat is here")
    assert news.author_id is None and news.former_author
    assert await NextStep.filter(text="Bottle the first batch", author_id=None).exists()
    assert (await VotePoll.get(number=3)).created_by_id is None
    assert await Ballot.filter(poll__number=1).count() == before  # still counted
    voters = await Ballot.filter(poll__number=1).values_list("voter", flat=True)
    assert f"p{person}" not in voters and sum(1 for v in voters if v.startswith("a")) == 1  # anonymous
    box = (await BallotBox.get(poll_id=secret.id)).ballots  # the secret ballot too, under a random key
    assert list(box.values()) == [[1]] and all(k.startswith("a") for k in box)
    assert "1. Monday — 0" in await me.say("results 1") and "2. Friday — 1" in await me.say("results 1")
    assert await ListDeparture.filter(address="camille@example.org").exists()  # taken off the list by the Mailman side
    # The search index no longer shows the name (nor any answer of theirs).
    from models.search import SearchDoc

    news_doc = await SearchDoc.get(kind="news", item_id=news.id)
    assert news_doc.author == "" and not await SearchDoc.filter(author="Camille").exists()
    # Sent to the rooms now, the news is signed "a former member".
    await Dialog(any_app, "me", room="usine").say("/bind usine-vivante")
    await me.say("agenda publish")
    await any_app.delivery.drain()
    room = [r.text for r in await ConsoleInbox.filter(address="#usine")]
    assert any("The vat is here" in text and "nouvelle de un·e ancien·ne membre" in text for text in room), room
    assert any("Bottle the first batch" in text and "ancien·ne membre" in text for text in room), room
    assert not await Event.filter(created_by_id=person).exists()
    # The next message from the same account starts afresh.
    got = await Dialog(any_app, "camille", locale="en").say("me")
    assert "console:camille" in got and "referent" not in got.lower()
    assert await person_of("camille") != person
    assert not await Follow.filter(person_id=await person_of("camille")).exists()


async def test_forget_me_in_french_answered_in_free_text(app):
    ana = Dialog(app, "ana")
    person = await person_of("ana")
    await ana.check(("oublie-moi", fr("Tout effacer ? Répondez oui pour tout effacer")),
                    ("oui", fr("C'est fait : Relais ne vous connaît plus.")))
    assert not await Person.filter(id=person).exists()
    await Dialog(app, "ana", room="usine").check(("/oublie-moi", fr("pas un groupe")))


async def test_housekeeping_prunes_old_events_and_what_never_confirmed_left(app, clock):
    old = clock.now - timedelta(days=31)
    for key, when in (("telegram:1:1", old), ("telegram:1:2", clock.now)):
        event = await InboundEvent.create(platform="telegram", key=key, payload={}, status=InboundStatus.DONE)
        await InboundEvent.filter(id=event.id).update(created_at=when)
    zoe = await Person.create(display_name="zoe")
    account = await Account.create(person=zoe, platform="email", address="zoe@example.org", confirmed=False)
    await Account.filter(id=account.id).update(created_at=old)
    await InboundMail.create(rcpt_tos=["relais@x"], content=b"x", sender="zoe@example.org", status=MailStatus.HELD, received_at=old)
    await InboundMail.create(rcpt_tos=["relais@x"], content=b"y", sender="leo@example.org", status=MailStatus.HELD,
                             received_at=clock.now - timedelta(days=2))  # recent: still waiting for Léo
    ana = await Account.get(platform="console", address="ana")
    await LinkCode.create(code="K7QX", secret="x", person_id=ana.person_id, account=ana, created_at=old, expires_at=old)
    await LinkAttempt.create(account=ana, failures=2, last_failure_at=old)
    await MailAddress.create(address="gone@example.org")  # nobody has it any more
    await MailAddress.create(address="no-more@example.org", unsubscribed=True)  # asked for no mail: stays so
    pruned = await Housekeeping(Retention(clock), clock).tick()
    assert pruned is not None
    assert (pruned["events"], pruned["held"], pruned["unconfirmed"], pruned["link_codes"], pruned["link_attempts"]) == (1, 1, 1, 1, 1)
    assert await InboundEvent.all().values_list("key", flat=True) == ["telegram:1:2"]
    assert await InboundMail.all().values_list("sender", flat=True) == ["leo@example.org"]
    assert not await Person.filter(id=zoe.id).exists() and not await Account.filter(address="zoe@example.org").exists()
    assert await MailAddress.all().values_list("address", flat=True) == ["no-more@example.org"]
    assert await Account.filter(address="ana").exists()


async def test_three_wrong_tries_kill_a_code_and_many_accounts_cannot_guess_together(app, clock):
    """Guessing from fresh accounts (each under its own 5-try lock) meets two other limits: 3 wrong tries at a code kill
    it, and 60 wrong codes on one platform within 10 minutes pause linking there."""
    me = Dialog(app, "me", locale="en")
    await me.say("lang en")
    code = code_in(await me.say("link"))  # the facilitator's code: the prize
    for n in (1, 2):
        await Dialog(app, f"guess{n}", locale="en").check((f"link {other_code(code)}", "That code is not valid"))
    got = await Dialog(app, "guess3", locale="en").say(f"link {other_code(code)}")
    assert "after 3 wrong tries it no longer works" in got
    assert not await LinkCode.filter(code=code[:4]).exists()
    got = await Dialog(app, "guess4", locale="en").say(f"link {code}")  # even the right code now: it is gone
    assert "That code is not valid" in got and "Linked" not in got
    for n in range(5, 62):  # 57 more wrong codes from fresh accounts (3 so far): the platform pauses at 60
        await Dialog(app, f"guess{n}", locale="en").say(f"link {other_code(code, 0)}")
    fresh = code_in(await me.say("link"))
    assert "linking is paused" in await Dialog(app, "guess99", locale="en").say(f"link {fresh}")
    clock.now += timedelta(minutes=11)
    fresh = code_in(await me.say("link"))
    assert "Linked" in await Dialog(app, "me-phone", locale="en").say(f"link {fresh}")
