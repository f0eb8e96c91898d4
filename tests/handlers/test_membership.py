"""Membership approval, as dialogs in both languages: a community may have its facilitators approve newcomers, who read
as observers meanwhile and do not vote; their requests are in the agenda with accept and refuse choices."""

from __future__ import annotations

from bot.adapters.console import ConsoleChat
from bot.core.i18n import french_typography as fr
from models import Account, Community, Membership, Role
from tests.conftest import Dialog


async def membership_of(name: str) -> Membership | None:
    account = await Account.get(platform="console", address=name)
    return await Membership.get_or_none(person_id=account.person_id, community__slug="usine-vivante")


async def notes(app, name: str) -> list[str]:
    await app.delivery.drain()
    return await ConsoleChat(app.console, name).unseen()


async def test_newcomers_wait_for_approval_read_meanwhile_and_vote_once_members(app):
    me = Dialog(app, "me", locale="en")
    await me.say("lang en")
    await Dialog(app, "ana").check(("adhésion sur validation oui", fr("Seul·e un·e facilitateur·rice de Tiers-lieu")))
    await me.check(("membership approval", "Whoever joins Tiers-lieu de l'Usine Vivante is a member at once."),
                   ("membership approval on", ["Newcomers to Tiers-lieu de l'Usine Vivante now wait for a facilitator's approval",
                                               "Undo"]))
    assert (await Community.get(slug="usine-vivante")).member_approval
    zoe = Dialog(app, "zoe", locale="en")
    await zoe.check(("lang en", "English"),
                    ("join usine-vivante", "Your request to join Tiers-lieu de l'Usine Vivante goes to its facilitators."),
                    ("projects", "Dombes"))  # an observer meanwhile: reads everything
    waiting = await membership_of("zoe")
    assert waiting is not None and waiting.role == Role.OBSERVER and waiting.requested_at == app.clock()
    await me.say('poll "Which day?" "Monday" "Friday"')
    await zoe.check(("vote 1 1", "Your membership of Tiers-lieu de l'Usine Vivante waits for a facilitator's approval"))
    await Dialog(app, "tom").say("projets")  # a first message: a request too
    agenda = await me.say("agenda")
    for piece in ("Waiting for approval:", "zoe", "tom", "Accept zoe", "Refuse zoe", "Accept tom"):
        assert piece in agenda, (piece, agenda)
    await me.check(("member accept console:zoe", "zoe is now a member of Tiers-lieu de l'Usine Vivante."),
                   ("member accept console:zoe", "zoe is not waiting for approval in Tiers-lieu de l'Usine Vivante."),
                   ("member accept console:ana", "Ana is not waiting for approval"))
    assert any("your membership of Tiers-lieu de l'Usine Vivante is approved" in n for n in await notes(app, "zoe"))
    assert (await membership_of("zoe")).role == Role.MEMBER
    await zoe.check(("vote 1 1", "Poll #1 is open to the members of Tiers-lieu de l'Usine Vivante at its opening"))
    await me.say('poll "Which name?" "A" "B"')
    await zoe.check(("vote 2 1", "Vote recorded on poll #2"))
    await me.check(("membre refuser console:tom", "tom's request to join Tiers-lieu de l'Usine Vivante is refused."))
    assert await membership_of("tom") is None
    assert any(fr("Votre demande d'adhésion à Tiers-lieu de l'Usine Vivante n'a pas été acceptée.") in n for n in await notes(app, "tom"))
    assert "Waiting for approval" not in await me.say("agenda")
    await me.check(("adhésion sur validation non", "Whoever joins Tiers-lieu de l'Usine Vivante is now a member at once."))
    await Dialog(app, "louise-bis").say("projects")
    assert (await membership_of("louise-bis")).requested_at is None


async def test_a_list_subscriber_or_a_new_group_member_waits_too(app):
    """Every way into the community asks for approval when it is on: a first message in a bound room too."""
    await Dialog(app, "me").say("adhésion sur validation oui")
    await Dialog(app, "me", room="usine").say("/bind usine-vivante")
    await Dialog(app, "newcomer", room="usine").say("/projects")
    waiting = await membership_of("newcomer")
    assert waiting is not None and waiting.requested_at is not None and waiting.role == Role.OBSERVER
    await Dialog(app, "me").check(("role console:newcomer member", "newcomer"))  # a role given answers the request too
    assert (await membership_of("newcomer")).requested_at is None
