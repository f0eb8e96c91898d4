"""Votes, driven like transcripts: polls of each kind, one ballot per person, secret and hidden polls, the close
(by hand and by the scheduler), the nudge, date polls and the general meeting; bad input answered, nothing stored."""

from __future__ import annotations

from datetime import timedelta

import pytest
from icalendar import Calendar

from bot.adapters.console import ConsoleChat
from bot.core.i18n import french_typography as fr
from bot.core.replies import Attachment, Poll, Reply
from bot.services.votes import count, read_ballot
from bot.services.votes_secret import BallotKeys
from models import Account, Ballot, BallotBox, Event, EventAnswer, OutboxMessage, PollKind, PollVoter, VotePoll
from scheduler.jobs import VotesJob
from tests.conftest import Dialog, make_app

KEY = "a test key that is not in the database"


async def notes(app, name: str) -> list[str]:
    await app.delivery.drain()
    return await ConsoleChat(app.console, name).unseen()


async def test_a_poll_voted_replaced_and_closed(talk):
    me, ana = talk("me"), talk("ana")
    await me.say("lang en")
    await ana.say("lang en")
    await me.check(
        ('poll "Which name for the café?" "Le Relais" "La Passerelle" "Chez nous"',
         ["Poll #1 of Tiers-lieu de l'Usine Vivante", "one choice", "open until closed", "Which name for the café?",
          "1. Le Relais", "2. La Passerelle", "3. Chez nous", "Vote with /vote usine-vivante#1 <number>."]),
    )
    await ana.check(
        ("vote 1 2", ["Vote recorded on poll #1: ", "La Passerelle", "You can change it until the close."]),
        ("vote #1 3", ["Ballot replaced on poll #1: ", "Chez nous"]),
        ("results usine-vivante#1", ["Results so far of poll #1", "3. Chez nous — 1", "1 voter.", "Leading: Chez nous"]),
        ("polls", ["Open polls of Tiers-lieu de l'Usine Vivante", "#1 Which name for the café?", "1 voter", "you voted"]),
        ("poll close 1", "Only whoever created the poll and the facilitators can close it."),
    )
    assert await Ballot.all().values_list("choice", flat=True) == [[3]]
    await me.check(("vote 1 2", "Vote recorded"),
                   ("poll close #1", ["Results of poll #1", "2 voters.", "Tied: La Passerelle, Chez nous"]),
                   ("poll close #1", "Poll #1 is closed already."))
    await ana.check(("vote 1 1", "Poll #1 is closed: votes are no longer taken."))
    poll = await VotePoll.get(number=1)
    assert poll.results["counts"] == [0, 1, 1] and poll.closed_at is not None


async def test_bad_input_is_answered_and_nothing_is_stored(talk):
    me = talk("me")
    await me.say("lang en")
    await me.check(
        ('poll "Only one?" "Yes"', "A poll needs at least 2 options"),
        ('poll "Too many?" ' + " ".join(f'"o{i}"' for i in range(21)), "A poll takes 20 options at most."),
        ('poll "' + "q" * 301 + '" "a" "b"', "The question is 301 characters long; 300 at most."),
        ('poll "Past?" "a" "b" until 3 march 2020', "is in the past"),
        ('poll "Both?" "a" "b" multiple ranked', "either multiple or ranked"),
        ('poll "Same?" "a" "A"', "Two options are the same."),
        ('datepoll "When?" "3 march 2020 19:00" "4 march 2020"', "is in the past"),
        ('poll "Rank them" "a" "b" "c" ranked', "Poll #1"),
        ("vote 1 1 1", "Option 1 is ranked twice"),
        ("vote 1 4", "There is no option 4: the options go from 1 to 3."),
        ("vote 1 x", "“x” is not an option number."),
        ("vote 9 1", "There is no poll 9."),
        ("vote 1", "Missing <option numbers>."),
    )
    assert await VotePoll.all().count() == 1
    assert await Ballot.all().count() == 0 and await PollVoter.all().count() == 0


async def test_french_commands(talk):
    me = talk("me")
    await me.check(
        ('sondage "Quel lieu ?" "Lyon" "Paris" plusieurs jusqu\'au 20 décembre',
         ["Sondage #1 de Tiers-lieu de l'Usine Vivante", "plusieurs choix"]),
        ("voter 1 1 2", fr("Vote enregistré sur le sondage #1 : ")),
        ("résultats 1", ["1. Lyon — 1", "2. Paris — 1"]),
        ("sondages", "Quel lieu ?"),
        ("sondage clore 1", fr("Résultats du sondage #1")),
    )


async def test_one_ballot_per_person_across_platforms(app):
    """Ana votes from the console, then from another platform's account of hers: one ballot, the latest."""
    me = Dialog(app, "me", locale="en")
    await me.say('poll "Which day?" "Monday" "Friday"')
    ana = await Account.get(platform="console", address="ana")
    await Account.create(person_id=ana.person_id, platform="fake", address="ana-elsewhere")
    await Dialog(app, "ana").say("vote 1 1")
    votes = app.services.votes
    poll = await VotePoll.get(number=1)
    person = await ana.person
    assert await votes.vote(poll, person, [2], "fake") is True  # replaced, not added
    assert await Ballot.filter(poll_id=poll.id).values_list("choice", flat=True) == [[2]]
    assert await PollVoter.filter(poll_id=poll.id).values_list("platform", flat=True) == ["fake"]


@pytest.fixture
async def keyed(tmp_path, clock):
    """The App with RELAIS_SECRET_KEY set, as secret polls need."""
    app = await make_app("sqlite", tmp_path, clock, secret_key=KEY)
    yield app
    await app.stop()


async def test_a_secret_poll_shows_totals_never_who(keyed):
    app = keyed
    me, ana = Dialog(app, "me", locale="en"), Dialog(app, "ana", locale="en")
    await me.say("lang en")
    await ana.say("lang en")
    got = await me.say('poll "Raise the fee?" "Raise it" "Keep it" secret hidden')
    assert "secret: nobody sees who voted what" in got and "results at the close" in got
    assert "ballots sent to 6 members" in got  # a secret poll: every member votes in private
    ballot = (await notes(app, "ana"))[-1]
    assert "Raise the fee?" in ballot and "1) Raise it" in ballot and "2) Keep it" in ballot
    got = await ana.say("2")  # the numbered choice of the ballot
    assert "Your vote on poll #1 is recorded." in got and "Secret poll: nobody can see what you voted." in got
    assert "Keep it" not in got and "Raise it" not in got  # the answer is kept by chats and mails: it does not repeat it
    assert "You have voted" in await ana.say("poll show 1")
    assert "Keep it" not in (await ana.say("vote 1 1")).split("?")[-1]
    assert "1 person has voted; the results come at the close." in await me.say("results 1")
    poll = await VotePoll.get(number=1)
    person = (await Account.get(platform="console", address="ana")).person_id
    assert not await Ballot.filter(poll_id=poll.id).exists()  # no row per ballot while it is open: one box
    box = (await BallotBox.get(poll_id=poll.id)).ballots
    assert box == {app.services.votes.keys.of(poll.id, person): [1]} and f"p{person}" not in box
    assert poll.key_check and poll.salt == ""
    await me.say("poll close 1")
    poll = await VotePoll.get(number=1)
    assert poll.key_check == "" and poll.results["counts"] == [1, 0]
    assert not await BallotBox.exists(poll_id=poll.id)  # the keys are gone with the box
    assert [(b.voter, b.cast_at, b.choice) for b in await Ballot.filter(poll_id=poll.id)] == [(None, None, [1])]
    assert await app.services.votes.ballot_of(poll, await (await Account.get(platform="console", address="ana")).person) is None


async def test_a_secret_poll_needs_the_configured_secret_key(app):
    """Without RELAIS_SECRET_KEY (the key Relais generates for links is in the database: no use), secret polls are
    refused, saying how to set the key; nothing is created."""
    me = Dialog(app, "me")
    await me.check(
        ("lang en", "English"),
        ('poll "Raise the fee?" "Yes" "No" secret', ["Secret polls need a secret key that is not in the database",
                                                     "set RELAIS_SECRET_KEY", "restart Relais"]),
        ("lang fr", "français"),
        ('sondage "Augmenter ?" "Oui" "Non" secret', fr("Les sondages secrets ont besoin d'une clé secrète qui n'est pas dans la "
                                                     "base de données : définissez RELAIS_SECRET_KEY")))
    assert await VotePoll.all().count() == 0 and await BallotBox.all().count() == 0


async def test_a_changed_secret_key_is_refused_not_a_second_ballot(keyed):
    me, ana = Dialog(keyed, "me", locale="en"), Dialog(keyed, "ana", locale="en")
    await me.say('poll "Raise the fee?" "Yes" "No" secret')
    await ana.say("vote 1 1")
    keyed.services.votes.keys = BallotKeys("another key")  # Relais restarted with another RELAIS_SECRET_KEY
    await ana.check(("vote 1 2", fr("RELAIS_SECRET_KEY a changé depuis l'ouverture du sondage #1 :")))
    poll = await VotePoll.get(number=1)
    assert list((await BallotBox.get(poll_id=poll.id)).ballots.values()) == [[1]]


async def test_ranked_poll_counted_by_instant_runoff():
    # 5 ballots: first preferences A 2, B 2, C 1; C is eliminated and goes to B: B wins.
    result = count(PollKind.RANKED, 3, [[1, 2], [1, 3], [2, 1], [2, 3], [3, 2]])
    assert result.counts == [2, 2, 1] and result.winners == [2] and result.rounds >= 2
    assert read_ballot(PollKind.DATE, 3, ["1", "3", "maybe", "2"]) == {"yes": [1, 3], "maybe": [2]}
    best = count(PollKind.DATE, 3, [{"yes": [1], "maybe": [2]}, {"yes": [2], "maybe": [1]}, {"yes": [3], "maybe": [1]}])
    assert best.counts == [1, 1, 1] and best.maybe == [2, 1, 0] and best.winners == [1]


async def test_the_scheduler_nudges_once_then_closes_and_announces(app, clock):
    me = Dialog(app, "me", locale="en")
    await me.say("lang en")
    await me.say('poll "Which day?" "Monday" "Friday" until 23 november 18:00')
    await Dialog(app, "ana").say("vote 1 2")
    await notes(app, "jules")
    job = VotesJob(app.services.vote_notices, app.services.meetings)
    assert await job.tick() == (0, 0, 0)  # more than a day before the close: nothing
    clock.now += timedelta(hours=32)
    closed, nudged, _ = await job.tick()
    assert (closed, nudged) == (0, 5)  # the members who have not voted (Ana did; the facilitator too gets one)
    assert any("Dernier jour pour voter" in n for n in await notes(app, "jules"))
    assert not any("Dernier jour pour voter" in n for n in await notes(app, "ana"))
    assert await job.tick() == (0, 0, 0)  # never twice
    clock.now += timedelta(days=2)
    closed, nudged, _ = await job.tick()
    assert (closed, nudged) == (1, 0)
    assert any("Results of poll #1" in n and "Friday" in n for n in await notes(app, "me"))  # created in private: to its creator
    assert await job.tick() == (0, 0, 0)


async def test_a_date_poll_sets_the_general_meeting(app, clock):
    me = Dialog(app, "me", locale="en")
    await me.say("lang en")
    got = await me.say('meeting poll "12 december 19:00" "15 december 18:30" until 5 december')
    assert "General meeting of Tiers-lieu de l'Usine Vivante: which date?" in got and "date poll" in got
    ana, jules = Dialog(app, "ana"), Dialog(app, "jules")
    await ana.say("vote 1 2 maybe 1")
    await jules.say("vote 1 1 maybe 2")
    await Dialog(app, "mehdi").say("vote 1 2")
    assert "Tied" not in await me.say("results 1")
    clock.now += timedelta(days=15)
    await VotesJob(app.services.vote_notices, app.services.meetings).tick()
    meeting = await Event.get(kind="meeting", cancelled=False)
    assert meeting.starts_at.astimezone().strftime("%d %H:%M") in ("15 17:30", "15 18:30") or meeting.starts_at.day == 15
    mail = [n for n in await notes(app, "ana") if "General meeting" in n or "Réunion générale" in n or "réunion générale" in n]
    assert mail, "the members hear of the meeting"


async def test_the_meeting_is_announced_with_an_invitation_and_answered(app, clock):
    me = Dialog(app, "me", locale="en")
    await me.say("lang en")
    got = await me.say("meeting set 15 january 19:00 Salle des fêtes")
    assert "Next general meeting of Tiers-lieu de l'Usine Vivante: " in got and "Friday, January 15, 2027 19:00" in got
    assert "Place: Salle des fêtes" in got
    meeting = await Event.get(kind="meeting")
    row = await OutboxMessage.filter(kind="event").first()
    reply = Reply.from_dict(row.payload)
    [invite] = reply.elements(Attachment)
    event = Calendar.from_ical(invite.data).walk("VEVENT")[0]
    assert str(event["location"]) == "Salle des fêtes" and event["dtstart"].dt.hour == 19
    assert [c.command for c in reply.choices] == [f"coming {meeting.id}", f"not coming {meeting.id}"]
    ana = Dialog(app, "ana")
    await ana.check(("je viens", "Noté"), ("je ne viens pas", "Noté"))
    await Dialog(app, "jules").say(f"coming {meeting.id}")
    assert await EventAnswer.filter(status="coming").count() == 1
    assert "1 coming: Jules" in await me.say("meeting")
    # Reminders: a week before, then a day before, each once, not to whoever is not coming.
    job = VotesJob(app.services.vote_notices, app.services.meetings)
    await notes(app, "jules")
    await notes(app, "ana")
    clock.now = meeting.starts_at - timedelta(days=6)
    assert (await job.tick())[2] == 5
    assert await job.tick() == (0, 0, 0)
    assert any("Dans une semaine" in n for n in await notes(app, "jules"))
    assert not await notes(app, "ana")
    clock.now += timedelta(days=5, hours=12)
    assert (await job.tick())[2] == 5
    assert any("Demain, la réunion générale" in n for n in await notes(app, "jules"))


async def test_the_poll_element_carries_what_native_polls_need(app):
    me = Dialog(app, "me", locale="en")
    await me.say('poll "Which day?" "Monday" "Friday" multiple')
    poll = await VotePoll.get(number=1)
    from zoneinfo import ZoneInfo

    from bot.services.votes_text import element
    t = app.services.catalogs.get("en")
    shown = element(t, poll, "usine-vivante", ZoneInfo("Europe/Paris"))
    assert isinstance(shown, Poll) and shown.mode == "multiple" and shown.vote == "vote usine-vivante#1"
    assert shown.ref == str(poll.id) and not shown.closed


async def test_concurrent_ballots_and_a_racing_close_count_each_ballot_once(any_app):
    """On SQLite and PostgreSQL: 60 people vote at once, then again while the poll is closed; the close counts
    exactly the ballots stored, one per person."""
    import asyncio

    from bot.core.incoming import Incoming
    from models import Community, Membership, Person, Role

    app = any_app
    community = await Community.get(slug="usine-vivante")
    people = [await Person.create(display_name=f"V{i}") for i in range(60)]
    for i, p in enumerate(people):
        await Account.create(person=p, platform="console", address=f"v{i}")
        await Membership.create(person=p, community=community, role=Role.MEMBER)
    assert not (await app.dispatcher.handle(Incoming("console", "me", 'poll "Which?" "A" "B" "C"'))).error
    replies = await asyncio.gather(*(app.dispatcher.handle(Incoming("console", f"v{i}", f"vote 1 {i % 3 + 1}")) for i in range(60)))
    assert not any(r.error for r in replies)
    assert await Ballot.all().count() == 60 and await PollVoter.all().count() == 60
    poll = await VotePoll.get(number=1)
    again = asyncio.gather(*(app.dispatcher.handle(Incoming("console", f"v{i}", f"vote 1 {(i + 1) % 3 + 1}")) for i in range(60)))
    result = await app.services.votes.close(poll)
    await again
    stored = [c for c in await Ballot.filter(poll_id=poll.id).values_list("choice", flat=True)]
    assert result is not None and result.voters == len(stored) == 60
    assert result.counts == count(PollKind.SINGLE, 3, stored).counts


async def test_a_secret_ballot_is_reduced_to_a_vote_in_the_stored_event(keyed):
    """Through a platform's inbox: the stored event of a secret ballot (cast or refused) keeps only `vote <poll>` once
    handled; a public poll's ballot event is kept as it came; a plan stored before a restart carries the mark."""
    from bot.runtime.inbox import Event
    from models import InboundEvent
    from tests.conftest import fake_platform

    platform = await fake_platform(keyed)
    me = Dialog(keyed, "me", locale="en")
    await me.say("lang en")
    await me.say('poll "Raise the fee?" "Raise it" "Keep it" secret')
    await me.say('poll "Which day?" "Monday" "Friday"')
    refused = await platform.receive("ana", "vote 1 9")  # even a refused secret ballot says what its voter wanted
    assert "pas d'option 9" in refused
    said = await platform.receive("ana", "vote usine-vivante#1 2")
    assert "Votre vote sur le sondage #1 est enregistré" in said and "Keep it" not in said
    await platform.receive("ana", "vote 2 2")
    events = await InboundEvent.filter(platform="fake").order_by("id")
    assert [(e.payload, e.state) for e in events[:2]] == [({"sensitive": "vote usine-vivante#1"}, {})] * 2
    assert events[2].payload["text"] == "vote 2 2" and events[2].state["actions"]
    # Resumed after a restart with its plan stored: the mark travels with the plan.
    event = Event("fake:resumed", "fake:ana", {"user": "ana", "text": "vote 1 1"})
    await platform.inbox.store.insert([event], None, keyed.clock())
    event.state = {"actions": [], "next": 0, "outcome": None, "sensitive": "vote usine-vivante#1"}
    await platform.inbox.store.done(event, "answered")
    await platform.inbox.store.drain()
    row = await InboundEvent.get(key="fake:resumed")
    assert (row.payload, row.state, row.status) == ({"sensitive": "vote usine-vivante#1"}, {}, "done")
    await platform.stop()


async def test_a_poll_hidden_until_its_close_is_answered_in_private_everywhere(app):
    """Answers given in a room are seen there (a Matrix poll's responses, a Telegram button noted under its message):
    a hidden poll goes to each member as a private ballot, and the room only says so."""
    room = Dialog(app, "me", room="usine")
    await room.say("/bind usine-vivante")
    got = await room.say('/poll "Which day?" "Monday" "Friday" hidden')
    assert fr("Chaque membre reçoit un bulletin en privé : répondez-y.") in got and "/vote usine-vivante#1" not in got
    assert "bulletins envoyés à 6 membres" in got
    assert any("Which day?" in note for note in await notes(app, "ana"))


@pytest.fixture(params=["sqlite", "postgres"])
async def keyed_any(request, tmp_path, clock):
    app = await make_app(request.param, tmp_path, clock, secret_key=KEY)
    yield app
    await app.stop()


async def test_concurrent_secret_ballots_and_a_racing_close_count_each_ballot_once(keyed_any):
    """On SQLite and PostgreSQL: 40 people vote at once on a secret poll (one box: votes take turns, none is lost),
    then again while it closes; the close counts exactly the ballots in the box, and writes them without voters."""
    import asyncio

    from bot.core.incoming import Incoming
    from models import Community, Membership, Person, Role

    app = keyed_any
    community = await Community.get(slug="usine-vivante")
    for i in range(40):
        person = await Person.create(display_name=f"V{i}")
        await Account.create(person=person, platform="console", address=f"v{i}")
        await Membership.create(person=person, community=community, role=Role.MEMBER)
    assert not (await app.dispatcher.handle(Incoming("console", "me", 'poll "Which?" "A" "B" "C" secret'))).error
    replies = await asyncio.gather(*(app.dispatcher.handle(Incoming("console", f"v{i}", f"vote 1 {i % 3 + 1}")) for i in range(40)))
    assert not any(r.error for r in replies)
    poll = await VotePoll.get(number=1)
    assert len((await BallotBox.get(poll_id=poll.id)).ballots) == 40 and await PollVoter.filter(poll_id=poll.id).count() == 40
    again = asyncio.gather(*(app.dispatcher.handle(Incoming("console", f"v{i}", f"vote 1 {(i + 1) % 3 + 1}")) for i in range(40)))
    result = await app.services.votes.close(poll)
    await again
    stored = await Ballot.filter(poll_id=poll.id)
    assert result is not None and result.voters == len(stored) == 40 and {b.voter for b in stored} == {None}
    assert result.counts == count(PollKind.SINGLE, 3, [b.choice for b in stored]).counts
