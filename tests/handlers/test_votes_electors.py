"""One person, one vote, whatever they do with accounts: a poll is open to the community's members at its opening (and
whoever a facilitator adds); an account split off by `unlink` does not vote again in the polls open then."""

from __future__ import annotations

import pytest

from bot.adapters.console import ConsoleChat
from bot.core.i18n import french_typography as fr
from models import Account, BallotBox, Person, PollElector, PollVoter, VotePoll
from tests.conftest import Dialog, make_app
from tests.handlers.test_people_data import code_in

KEY = "a test key that is not in the database"


@pytest.fixture(params=["sqlite", "postgres"])
async def keyed(request, tmp_path, clock):
    app = await make_app(request.param, tmp_path, clock, secret_key=KEY)
    yield app
    await app.stop()


async def link(app, keep: str, other: str) -> None:
    """`other` types the code `keep` got: one person."""
    code = code_in(await Dialog(app, keep).say("link"))
    assert "console:" in await Dialog(app, other).say(f"link {code}")


@pytest.mark.parametrize("secret", [False, True])
async def test_an_account_unlinked_after_voting_does_not_vote_again(keyed, secret):
    app = keyed
    ana, phone = Dialog(app, "ana", locale="en"), Dialog(app, "ana-phone", locale="en")
    await ana.say("lang en")
    await phone.say("lang en")  # a member too, then one person with Ana
    await link(app, "ana", "ana-phone")
    person = (await Account.get(platform="console", address="ana")).person_id
    await Dialog(app, "me").say('poll "Which day?" "Monday" "Friday"' + (" secret" if secret else ""))
    await phone.say("vote 1 1")
    await ana.check(("unlink console:ana-phone", "console:ana-phone"))
    split = (await Account.get(platform="console", address="ana-phone")).person_id
    assert split != person and (await Person.get(id=split)).separated_at == app.clock()
    await phone.check(("vote 1 2", ["This account was separated from another one (/unlink) after poll #1 opened",
                                    "You can vote in the polls opened from now on."]))
    poll = await VotePoll.get(number=1)
    assert await PollVoter.filter(poll_id=poll.id).values_list("person_id", flat=True) == [person]  # the ballot stays with Ana
    assert "1 voter." in await ana.say("results 1")
    await ana.check(("vote 1 2", "Ballot replaced" if not secret else "Your ballot on poll #1 is replaced."))
    if secret:
        assert list((await BallotBox.get(poll_id=poll.id)).ballots.values()) == [[2]]
    # A poll opened after the split is open to the account's new person.
    await Dialog(app, "me").say('poll "Which name?" "A" "B"')
    await phone.check(("vote 2 1", "Vote recorded on poll #2"))


async def test_who_joins_after_the_opening_votes_once_a_facilitator_adds_them(app):
    me = Dialog(app, "me", locale="en")
    await me.say("lang en")
    await me.say('poll "Which day?" "Monday" "Friday"')
    zoe = Dialog(app, "zoe", locale="en")  # first contact: a member of the demo community, after the opening
    await zoe.check(("lang en", "English"),
                    ("vote 1 1", ["Poll #1 is open to the members of Tiers-lieu de l'Usine Vivante at its opening, and you "
                                  "were not one then.", "/poll add usine-vivante#1 <you>"]))
    await Dialog(app, "tom").check(("voter 1 1", fr("Le sondage #1 est ouvert aux membres de Tiers-lieu de l'Usine Vivante à "
                                                   "son ouverture, et vous n'en étiez pas.")))
    poll = await VotePoll.get(number=1)
    assert not await PollVoter.filter(poll_id=poll.id).exists()
    await Dialog(app, "ana").check(("poll add 1 console:zoe", "Seul·e un·e facilitateur·rice de Tiers-lieu"))
    await me.check(("poll add 1 console:zoe", "can now vote on poll #1; the ballot is on its way."),
                   ("poll add 1 console:zoe", "can already vote on poll #1."),
                   ("poll add 1 console:nobody", "Nobody has the account console:nobody yet"))
    await app.delivery.drain()
    assert any("Which day?" in note for note in await ConsoleChat(app.console, "zoe").unseen())  # the ballot
    await zoe.check(("vote 1 2", "Vote recorded on poll #1"))
    await Dialog(app, "tom").check(("voter 1 1", fr("Le sondage #1 est ouvert aux membres")))
    await me.check(("poll close 1", "1 voter."),
                   ("poll add 1 console:tom", "Poll #1 is closed"))
    assert await PollElector.filter(poll_id=poll.id).count() == 7  # the 6 members at the opening, and Zoe
