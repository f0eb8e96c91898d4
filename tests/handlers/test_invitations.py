"""Invitations, ambassadors and the directory: a member's personal invitation (to the community or a project) with its
code, a newcomer joining through it counted once for whoever invited, `ambassadors` counting the followers and backers
each brought, the report's count; a community's place, cause and listing, and `communities` — in French and English."""

from __future__ import annotations

from bot.core.i18n import french_typography as fr
from models import Account, Campaign, Follow, Invitation, InvitationArrival, Person, Project, Promise
from tests.conftest import Dialog


async def person(name: str) -> Person:
    account = await Account.filter(address=name).order_by("id").first()  # console or fake platform
    assert account is not None
    return await Person.get(id=account.person_id)


async def test_an_invitation_brings_a_newcomer_who_is_counted_for_whoever_invited(talk, app):
    ana, camille = talk("ana"), talk("camille")
    got = await ana.say("inviter dombes-brasserie")
    invitation = await Invitation.get()
    assert fr("💌 Votre invitation à Brasserie de la Dombes, à partager avec qui vous voulez :") in got
    assert f"join usine-vivante {invitation.code}" in got and "/i/invite." in got
    assert fr("Ouverte 0 fois ; venu·es par elle : 0.") in got
    assert (await ana.say("inviter dombes-brasserie")).count(invitation.code) >= 1 and await Invitation.all().count() == 1  # the same one
    zoe = talk("zoe")
    await zoe.check((f"rejoindre usine-vivante {invitation.code}", [fr("👋 Bienvenue dans Tiers-lieu de l'Usine Vivante, où Ana vous a invité·e !"),
                                                                  "Vous suivez désormais Brasserie de la Dombes."]),
                    ("rejoindre usine-vivante zzzz", fr("« zzzz » n'est pas un code d'invitation ici")))
    assert await Follow.filter(person=await person("zoe"), project=await Project.get(slug="dombes-brasserie")).exists()
    assert await InvitationArrival.filter(invitation=invitation).count() == 1
    await ana.check(("inviter dombes-brasserie", fr("Ouverte 0 fois ; venu·es par elle : 1.")),
                    ("ambassadeurs dombes-brasserie", fr("Seuls les référents de Brasserie de la Dombes et les facilitateurs")))
    # Zoe backs the campaign: Ana brought a follower and a backer.
    await camille.say("campagne ajouter dombes-brasserie don 12k https://www.helloasso.com/brasserie")
    await Promise.create(campaign=await Campaign.get(), person=await person("zoe"), amount=5000, at=app.clock())
    await camille.check(("ambassadeurs dombes-brasserie", ["Ambassadeur·rices de Brasserie de la Dombes",
                                                          "Ana — 1 abonné·e, 1 contributeur·rice (1 venu·e par ses invitations)"]))
    # A second invitation, for the same person and project, counts nothing more.
    other = await Dialog(app, "jules").say("inviter dombes-brasserie")
    code = (await Invitation.filter(person=await person("jules")).first()).code
    assert code in other
    await zoe.say(f"rejoindre usine-vivante {code}")
    assert await InvitationArrival.all().count() == 1
    report = await app.services.reports.build(await app.services.people.community("usine-vivante"), 2)
    assert report.invited == 1
    await talk("me").check(("bilan", fr("venu·es par l'invitation d'un·e membre : 1.")))


async def test_the_telegram_start_link_of_an_invitation_joins_and_counts(app):
    await Dialog(app, "ana").say("inviter")
    code = (await Invitation.get()).code
    got = await Dialog(app, "nour").say(f"/start inv-{code}")
    assert fr("Bienvenue dans Tiers-lieu de l'Usine Vivante, où Ana vous a invité·e !") in got
    assert await InvitationArrival.filter(person=await person("nour")).exists()


async def test_in_english_invite_and_ambassadors(talk, app):
    ana, camille = talk("ana"), talk("camille")
    for d in (ana, camille):
        await d.say("lang en")
    await ana.check(("invite", ["💌 Your invitation to Tiers-lieu de l'Usine Vivante, to share with whoever you like:", "join usine-vivante "]))
    await camille.check(("ambassadors dombes-brasserie", ["Nobody came to Brasserie de la Dombes through an invitation yet.",
                                                          "/invite dombes-brasserie"]))


async def test_the_directory_lists_the_communities_that_chose_to_be(talk, app):
    me, jules = talk("me"), talk("jules")
    await jules.check(("communautés", "Aucune communauté n'est encore inscrite ici"))
    await me.check(("annuaire", ["Tiers-lieu de l'Usine Vivante ne figure pas à l'annuaire.", "/communauté lieu <texte>", "1) L'inscrire"]),
                   ("communauté lieu Crest, Drôme", fr("Le lieu de Tiers-lieu de l'Usine Vivante : Crest, Drôme.")),
                   ("communauté cause alimentation, réemploi, petite enfance", "alimentation, réemploi, petite enfance"),
                   ("annuaire oui", ["figure désormais à l'annuaire", "1) Annuler"]))
    await jules.check(("communauté lieu Ailleurs", "Seul·e un·e facilitateur·rice"),
                      ("communautés", ["Les communautés de ce Relais", "Tiers-lieu de l'Usine Vivante (usine-vivante) — Crest, Drôme — "
                                       "alimentation, réemploi, petite enfance · 6 membres, 4 projets", "1) Rejoindre Tiers-lieu de l'Usine Vivante"]))
    await jules.say("lang en")
    await jules.check(("communities", ["Communities of this Relais", "6 members, 4 projects", "1) Join Tiers-lieu de l'Usine Vivante"]))
    await me.say("annuaire non")
    await jules.check(("communities", "No community is listed here yet"))
    # A newcomer who belongs to no community yet can list them too.
    await me.say("annuaire oui")
    stranger = await Dialog(app, "sam").say("communities")
    assert "Tiers-lieu de l'Usine Vivante" in stranger
