"""Your data, of the members' contributions, on SQLite and PostgreSQL: `mydata` exports the ideas proposed, supported and
decided, the skills (as written and as the stems matched on), the needs posted, offered to help with and filled, the reasons
given with ballots, the invitations and the one you came through; `forget me` then leaves no row naming the person."""

from __future__ import annotations

import re

from tortoise import Tortoise

from bot.core.sql import fetch
from models import Account, Idea, InvitationArrival, Need, Person, SearchDoc
from tests.conftest import Dialog


async def every_row() -> list[tuple[str, str]]:
    out = []
    for table in sorted({m._meta.db_table for m in Tortoise.apps["models"].values()} - {"aerich"}):
        for row in await fetch(f'SELECT * FROM "{table}"', []):
            out.append((table, " ".join(str(v) for v in row)))
    return out


async def test_mydata_covers_the_contributions_and_forget_me_leaves_no_trace(any_app):
    app = any_app
    camille, ana, me = Dialog(app, "camille"), Dialog(app, "ana"), Dialog(app, "me")
    await Dialog(app, "me").say("sondages membres oui")
    await camille.say('idée "Un four à pain Camille" Un four partagé')
    await ana.say('idée "Une grainothèque"')
    await camille.say("+1 2")
    await camille.say("compétences menuiserie, mairie")
    await camille.say("besoin dombes-brasserie un·e menuisier·e pour samedi")
    await ana.say("besoin dombes-brasserie test")  # refused: not a referent
    await camille.say("inviter")
    code = (await (await Account.get(platform="console", address="camille")).person).id
    await me.say('sondage "Quel nom ?" "Relais" "Passerelle"')
    await camille.say("voter 1 2 parce que Camille préfère")
    await me.say("besoin conciergerie-rurale quelqu'un qui connaît la mairie")
    await camille.say("je peux aider 2 je connais le maire")
    await camille.say("je m'en occupe creche-interentreprises")
    invitation_code = [line for line in (await ana.say("inviter")).splitlines() if "join usine-vivante" in line][0].split()[-1]
    await Dialog(app, "zoe").say(f"rejoindre usine-vivante {invitation_code}")
    # Every reading query of the feature, on both databases.
    await me.check(("résultats 1", "« Camille préfère » — Camille (Passerelle)"), ("idées", "Un four à pain Camille"),
                   ("agenda", ["Un four à pain Camille", "Camille — se propose pour porter Crèche inter-entreprises"]),
                   ("besoins", "un·e menuisier·e"), ("ambassadeurs dombes-brasserie", "Personne n'est encore venu"),
                   ("annuaire oui", "figure désormais"), ("communautés", "Tiers-lieu de l'Usine Vivante (usine-vivante)"),
                   ("chercher menuisier", "un·e menuisier·e"), ("bilan", "venu·es par l'invitation d'un·e membre"))
    person = await Person.get(id=code)
    export = await app.services.mydata.export(person)
    assert [i["title"] for i in export["ideas_proposed"]] == ["Un four à pain Camille"]
    assert export["ideas_supported"][0]["idea"] == "usine-vivante#2"
    assert export["skills"]["as_written"] == "menuiserie, mairie" and "menuis" in export["skills"]["stems_matched_on"]
    assert export["needs_posted"][0]["text"] == "un·e menuisier·e" and export["needs_posted"][0]["project"] == "dombes-brasserie"
    assert export["help_offered"][0]["what_you_said"] == "je connais le maire"
    assert export["vote_reasons"] == [{"poll": "usine-vivante#1", "reason": "Camille préfère", "at": export["vote_reasons"][0]["at"]}]
    assert export["referent_offers"][0]["project"] == "creche-interentreprises"
    assert export["invitations"][0]["community"] == "usine-vivante" and export["invitations"][0]["people_who_came"] == 0
    assert export["needs_sent_to_you"]["count"] >= 1  # the second need matched her skills
    assert not [k for k in export["other"] if k.split(".")[0] in ("idea", "need", "skill", "invitation", "vote_reason")]
    zoe = await Person.get(id=(await Account.get(platform="console", address="zoe")).person_id)
    assert (await app.services.mydata.export(zoe))["came_through_an_invitation"][0]["community"] == "usine-vivante"

    await app.services.mydata.forget(person.id)
    names = re.compile(r"camille|dubois", re.IGNORECASE)
    # Her idea's title says « Camille »: what she wrote for the community stays, as news does (without her as its author).
    left = [(table, text[:200]) for table, text in await every_row() if names.search(text.replace("Un four à pain Camille", ""))]
    assert left == [], "rows still naming the erased person"
    # What the community needs stays without her name: her idea (« a former member »), her need, her ballot.
    idea = await Idea.get(number=1)
    assert idea.author_id is None and (await Need.get(number=1)).author_id is None
    assert (await Idea.get(number=2)).supporters == 0  # her support went, and the count with it
    doc = await SearchDoc.get(kind="idea", item_id=idea.id)
    assert doc.author == ""
    # The newcomer Ana brought stays counted for her; erasing the newcomer keeps the count, without a name.
    await app.services.mydata.forget(zoe.id)
    assert await InvitationArrival.filter(person_id__isnull=True).count() == 1
