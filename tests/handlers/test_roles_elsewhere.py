"""A command that names something of another community checks the role in that community: the demo's facilitator,
a plain member of a second community, runs there only what a member may (polls, meetings, campaigns, projects,
referents, pages, digest settings, a bound room)."""

from __future__ import annotations

import pytest

from models import Campaign, ChatBinding, Community, Event, Project, ProjectStatus, Role, VotePoll
from tests.conftest import Dialog

NOT_THERE = "Only a {role} of Atelier B can do that."


@pytest.fixture
async def atelier(app):
    """A second community, `atelier`: Léa facilitates it, the demo's facilitator (me) and Ana are plain members; it has a
    poll, a project, a meeting and a campaign, and a room bound to it. `me` talks to the demo community by default."""
    people = app.services.people
    community = await people.create_community("atelier", "Atelier B", "en", "Europe/Paris")
    await people.grant(community, "console:lea", Role.FACILITATOR)
    await people.grant(community, "console:me", Role.MEMBER)
    await people.grant(community, "console:ana", Role.MEMBER)
    lea = Dialog(app, "lea", locale="en")
    await lea.say("lang en")
    await lea.say("use atelier")
    await lea.check(('poll "Which colour?" "Red" "Blue"', "Poll #1 of Atelier B"),
                    ('project add four "The oven" A shared bread oven.', "Project The oven added"),
                    ("campaign add four donation 1000 € https://example.org/four until 20 december", "The oven"),
                    ("meeting set 15 january 19:00 Workshop", "Next general meeting of Atelier B"))
    await Dialog(app, "lea", room="atelier-room").say("/bind atelier")
    me = Dialog(app, "me", locale="en")
    await me.say("lang en")
    await me.say("use usine-vivante")  # the demo, where `me` is facilitator, is the current community
    return community


async def test_polls_of_another_community_are_closed_only_by_its_facilitators(app, atelier):
    me = Dialog(app, "me", locale="en")
    await me.check(("poll close atelier#1", "Only whoever created the poll and the facilitators can close it."),
                   ("poll add atelier#1 console:ana", NOT_THERE.format(role="facilitator")),
                   ("results atelier#1", "Results so far of poll #1 (Atelier B)"),  # a member reads them
                   ("vote atelier#1 2", "Vote recorded on poll #1: Blue"))
    assert (await VotePoll.get(community=atelier, number=1)).closed_at is None
    await Dialog(app, "lea", locale="en").check(("poll close atelier#1", "Results of poll #1 (Atelier B)"))


async def test_meetings_of_another_community_are_cancelled_only_there(app, atelier):
    meeting = await Event.get(community=atelier, kind="meeting")
    me = Dialog(app, "me", locale="en")
    await me.check((f"meeting cancel {meeting.id}", "There is no such meeting."),
                   (f"coming {meeting.id}", "Noted: you are coming"))  # a member answers
    assert not (await Event.get(id=meeting.id)).cancelled


async def test_projects_referents_and_campaigns_of_another_community(app, atelier):
    me = Dialog(app, "me", locale="en")
    await me.check(("project status atelier/four done", NOT_THERE.format(role="facilitator")),
                   ("referent add atelier/four console:ana", NOT_THERE.format(role="facilitator")),
                   ("campaign close atelier/four", "Only the referents of The oven and the facilitators can do that."),
                   ("campaign progress atelier/four 500 €", "Only the referents of The oven and the facilitators can do that."),
                   ("follow atelier/four", "You now follow The oven"))  # a member follows
    project = await Project.get(community=atelier, slug="four")
    assert project.status != ProjectStatus.DONE and not await project.referents.all().exists()
    assert (await Campaign.get(project=project)).closed_at is None


async def test_pages_and_digest_settings_of_another_community(app, atelier):
    me = Dialog(app, "me", locale="en")
    await me.check(("use atelier", "Atelier B"),
                   ("pages on", NOT_THERE.format(role="facilitator")),
                   ("digest schedule monday 08:00", NOT_THERE.format(role="facilitator")),
                   ("digest room on", NOT_THERE.format(role="facilitator")),
                   ("digest off atelier", "You do not get the digest of Atelier B"))  # their own digest: theirs to choose
    assert not (await Community.get(id=atelier.id)).pages


async def test_a_room_of_another_community_is_not_taken_by_a_facilitator_of_this_one(app, atelier):
    await Dialog(app, "me", room="atelier-room").check(("/bind usine-vivante", NOT_THERE.format(role="facilitator")))
    binding = await ChatBinding.get(platform="console", chat_id="#atelier-room")
    assert binding.community_id == atelier.id
