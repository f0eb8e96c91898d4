"""The email commands as dialogs through the console chat: addresses, subscriptions, list creation without Mailman."""

from __future__ import annotations

from models import Account, Community, Membership, Role
from models.mail import ListSubscription, OutgoingMail


async def test_email_add_and_remove(talk):
    ana = talk("ana", locale="en")
    await ana.check(
        ("email ajouter pas-une-adresse", "« pas-une-adresse » n'est pas une adresse électronique."),
        ("email ajouter Ana@Example.ORG", "Je vous ai envoyé un courriel de confirmation à ana@example.org."),
        ("email ajouter ana@example.org", "il y a moins d'une heure"),
        ("email retirer bob@example.org", "bob@example.org ne fait pas partie de vos adresses."),
        ("email retirer ana@example.org", "ana@example.org ne fait plus partie de vos adresses."),
    )
    assert await OutgoingMail.filter(kind="confirm", address="ana@example.org").count() == 1
    assert not await Account.filter(platform="email").exists()


async def test_a_confirmed_address_of_someone_else_cannot_be_claimed(talk):
    jules = await Account.get(platform="console", address="jules")
    await Account.create(person_id=jules.person_id, platform="email", address="jules@example.org", confirmed=True)
    await talk("ana").check(("email ajouter jules@example.org", "déjà confirmée pour quelqu'un d'autre"))


async def test_subscribe_makes_an_observer_and_unsubscribe_lets_an_observer_go(talk):
    community = await Community.get(slug="usine-vivante")
    await talk("newcomer").check(
        ("abonner usine-vivante", "Vous suivez désormais Tiers-lieu de l'Usine Vivante en observateur·rice."),
    )
    membership = await Membership.get(community=community, person__accounts__address="newcomer")
    assert membership.role == Role.OBSERVER
    assert await ListSubscription.filter(community=community, wanted=True).count() == 1
    await talk("newcomer").check(("desabonner usine-vivante", "Vous ne suivez plus Tiers-lieu de l'Usine Vivante."))
    assert not await Membership.filter(person__accounts__address="newcomer").exists()
    await talk("ana").check(("subscribe", "Vous faites déjà partie de Tiers-lieu de l'Usine Vivante."))
    await talk("ana").check(("unsubscribe", "Vous ne recevrez plus la liste de Tiers-lieu de l'Usine Vivante."))


async def test_list_create_needs_a_facilitator_and_mailman(talk):
    await talk("jules").check(("liste creer", "facilitat"))
    await talk("me").check(("liste creer", "aucun serveur Mailman configuré"))
