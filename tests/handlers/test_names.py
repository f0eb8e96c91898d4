"""Names people share: a name that stands for several people is asked about (each with the accounts they write from,
each choice the same command with that person's account), and two accounts joined by `link` keep the name someone
gave, not a console handle."""

from __future__ import annotations

from bot.core.i18n import french_typography as fr
from models import Account, Person, Project
from tests.conftest import Dialog


async def test_a_name_two_people_have_is_asked_about_and_each_choice_names_one(app):
    await Dialog(app, "Louise").say("projets")  # a second Louise, from the console: `relais console --as Louise` did that
    me = Dialog(app, "me")
    got = await me.say("référent ajouter creche-interentreprises Louise")
    assert fr("Plusieurs personnes de Tiers-lieu de l'Usine Vivante s'appellent « Louise » : laquelle ?") in got, got
    assert "1) Louise — console:louise" in got and "2) Louise — console:Louise" in got
    crèche = await Project.get(slug="creche-interentreprises")
    assert await crèche.referents.all().count() == 0  # nobody picked by chance
    assert "Louise est désormais référent·e de Crèche inter-entreprises." in await me.say("2")
    newcomer = (await Account.get(platform="console", address="Louise")).person_id
    assert [p.id for p in await crèche.referents.all()] == [newcomer]
    # One Louise only: no question; a handle always names one; accents and case do not matter.
    await me.check(("référent ajouter creche-interentreprises console:louise", "Louise est désormais référent·e"),
                   ("rôle MEHDI membre", "Mehdi"))
    en = Dialog(app, "me", locale="en")
    await en.say("lang en")
    await en.check(("referent remove creche-interentreprises louise",
                    ["Several people of Tiers-lieu de l'Usine Vivante are called “louise”: which one?",
                     "Louise — console:louise"]))
    assert "Louise is no longer a referent" in await en.say("1")


async def test_linking_keeps_the_name_someone_gave_not_a_console_handle(app):
    bernadette = await Person.create(display_name="Bernadette")
    await Account.create(person=bernadette, platform="email", address="bernadette@example.org", preferred=True)
    bern = Dialog(app, "bern", locale="en")
    await bern.say("lang en")
    assert (await Account.get(address="bern").prefetch_related("person")).person.display_name == "bern"
    got = await bern.say("link")
    code = got.split("Your code: ")[1].split()[0]
    linked = await app.services.linking.use_code(await Account.get(address="bernadette@example.org"), code.replace("-", ""))
    assert linked.person.display_name == "Bernadette"
    assert "Bernadette" in await bern.say("me")
    # The other way round (the named person asks for the code): the name stays as well.
    code = (await bern.say("link")).split("Your code: ")[1].split()[0]
    alone = await Dialog(app, "b2").say("moi")
    assert "b2" in alone
    await Dialog(app, "b2").say(f"relier {code}")
    assert (await Account.get(address="b2").prefetch_related("person")).person.display_name == "Bernadette"
