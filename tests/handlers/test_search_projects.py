"""Search finds the projects themselves and says what it found: `chercher crèche` finds the Crèche, `chercher orge`
the brewery (titles and summaries are items), each result with its kind and the count of each kind; a facilitator's
hit on a prompt answer shows the answer as written, and a date poll's dates are written out."""

from __future__ import annotations

from bot.core.i18n import french_typography as fr
from models import Prompt
from tests.conftest import Dialog


async def test_projects_are_found_by_title_and_summary_on_both_engines(any_app):
    me = Dialog(any_app, "me")
    got = await me.say("chercher crèche")
    assert "📁 Crèche inter-entreprises · projet" in got, got
    assert fr("1 résultat : 1 projet.") in got
    assert "1) Crèche inter-entreprises" in got  # its choice opens it
    got = await me.say("chercher orge")
    assert "Brasserie de la Dombes · projet" in got and "orge du plateau" in got
    # A new project is found at once; results of several kinds are counted by kind.
    await me.say('projet ajouter four "Four à pain" Un four à pain pour le village')
    await me.say("nouvelle four Le four à pain chauffe samedi")
    got = await me.say("chercher four")
    assert fr("2 résultats : ") in got and "1 projet" in got and "1 nouvelle" in got, got
    en = Dialog(any_app, "ana", locale="en")
    await en.say("lang en")
    assert "Crèche inter-entreprises · project" in await en.say("search creche")


async def test_an_answer_shows_as_written_and_poll_dates_are_written_out(any_app):
    me, mehdi = Dialog(any_app, "me"), Dialog(any_app, "mehdi")
    await me.say("relancer conciergerie-rurale")
    await any_app.delivery.drain()
    await mehdi.say("Trouver un local à Die en janvier")
    await mehdi.say("fin janvier")
    await mehdi.say("non")
    await mehdi.say("oui")
    assert (await Prompt.get()).answer.count("\n") == 2  # the three answers kept, one per line
    got = await me.say("chercher local Die")
    row = next(line for line in got.splitlines() if "· réponse de référent·e ·" in line)
    assert "Trouver un local à Die en janvier" in row and "fin janvier" not in row and " non" not in row, row
    await me.say('sondage date "Quel soir ?" "12 décembre 19:00" "19 décembre 19:00"')
    got = await me.say("chercher soir")
    assert "samedi 12 décembre 2026 19:00" in got and "2026-12-12" not in got, got
