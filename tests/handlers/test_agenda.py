"""The facilitator's hour, driven like a transcript: the agenda, prompts and their free-text answers, reminders,
absences, the tracking sheet, the general meeting."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

from bot.adapters.console import ConsoleChat
from bot.core.i18n import french_typography as fr
from models import Account, AgendaSettings, ChatBinding, ConsoleInbox, Event, NextStep, OutboxMessage, PendingQuestion, Person, Project, Prompt, PromptStatus
from tests.conftest import Dialog


async def notes(app, name: str) -> list[str]:
    """What a console account received (the outbox delivered first)."""
    await app.delivery.drain()
    return await ConsoleChat(app.console, name).unseen()


async def test_the_agenda_proposes_the_stalest_and_its_choices_prompt_them(talk):
    me = talk("me")
    await me.say("lang en")
    await me.check(
        ("agenda", ["This week's hour for Tiers-lieu de l'Usine Vivante",
                    "To contact this week (stalest first):",
                    "Crèche inter-entreprises — referents: no referent",  # never contacted: first
                    "no referent: add one with /referent add creche-interentreprises <person>",
                    "Ressourcerie créative — referents: Louise · last contact: 1 week ago",
                    "Conciergerie rurale — referents: Mehdi",
                    "Next general meeting: none set.",
                    "List check (past 7 days):",
                    "1) Prompt the 3 proposed projects", "2) Prompt Crèche inter-entreprises", "5) Date poll for the meeting",
                    "6) Tracking sheet"]),
    )
    got = await me.say("agenda")
    assert "Brasserie de la Dombes —" not in got.split("List check")[0]  # contacted 2 days ago: not proposed
    await me.check(
        ("1", ["Prompts:", "Crèche inter-entreprises — no referent", "Ressourcerie créative — asked: Louise",
               "Conciergerie rurale — asked: Mehdi", "You get one summary when they have answered.",
               "1) Add a referent to Crèche inter-entreprises"]),
        ("agenda", ["Waiting for an answer:", "Ressourcerie créative — asked just now, waiting for the answer"]),
    )
    assert sorted(await Prompt.all().values_list("project__slug", flat=True)) == ["conciergerie-rurale", "ressourcerie-creative"]


async def test_an_overdue_next_step_comes_first_even_when_contacted_lately(app, clock):
    brasserie = await Project.get(slug="dombes-brasserie")
    await NextStep.create(project=brasserie, text="Envoyer le bilan", due=(clock() - timedelta(days=2)).date(), created_at=clock())
    view = await app.services.agenda.view(await brasserie.community)
    assert [s.slug for s in view.proposed] == ["dombes-brasserie", "creche-interentreprises", "ressourcerie-creative"]
    got = await Dialog(app, "me").say("agenda")
    assert "Brasserie de la Dombes" in got and "en retard" in got


async def test_a_referent_answers_in_one_message_and_confirms(app, clock):
    me, mehdi = Dialog(app, "me"), Dialog(app, "mehdi")
    await me.say("relancer conciergerie-rurale")
    [asked] = await notes(app, "mehdi")
    assert fr("Sophie vous pose, en tant que référent·e de Conciergerie rurale") in asked
    assert fr("Quelle est la prochaine étape de Conciergerie rurale, pour quelle date, et est-elle sur la liste ?") in asked
    await mehdi.check(
        ("Trouver un local à Die pour le 15 janvier, pas encore sur la liste",
         [fr("J'ai compris, pour Conciergerie rurale :"), "Trouver un local à Die", "vendredi 15 janvier 2027",
          "pas encore", "1) Oui, l'enregistrer", "2) Non, recommencer"]),
        ("oui", [fr("Prochaine étape de Conciergerie rurale : "), "Trouver un local à Die", "1 abonné·e prévenu·e",
                 fr("La communauté n'a encore ni liste ni salon lié : rien n'a été publié."), "Merci"]),
    )
    step = await NextStep.filter(project__slug="conciergerie-rurale").order_by("-id").first()
    assert (step.text, step.due) == ("Trouver un local à Die", date(2027, 1, 15))
    prompt = await Prompt.get()
    assert prompt.status == PromptStatus.ANSWERED and prompt.step_id == step.id and prompt.on_list is False
    assert await OutboxMessage.filter(key__startswith=f"step:{step.id}:").count() == 1  # jules follows it
    [summary] = await notes(app, "me")
    assert fr("Les référent·es ont répondu (Tiers-lieu de l'Usine Vivante) :") in summary and "Trouver un local à Die" in summary
    assert not await PendingQuestion.exists()
    await mehdi.check(("oui", "je n'ai pas compris « oui »"))  # answered: the next line answers nothing any more
    await mehdi.check(("relance confirmer %d" % prompt.id, "Vous avez déjà répondu pour Conciergerie rurale"))


async def test_question_by_question_with_a_clarifying_question_and_never_a_wrong_date(app):
    me, louise = Dialog(app, "me", locale="en"), Dialog(app, "louise", locale="en")
    await louise.say("lang en")
    await me.say("prompt ressourcerie-creative")
    await notes(app, "louise")
    await louise.check(
        ("Organiser l'atelier de réemploi", "By what date?"),
        ("en mars", ["“en mars” is a month, not a day: which day?", "By what date?"]),
        ("le 3 mars 2020", ["is in the past", "By what date?"]),
        ("blablaxyz", ["I could not understand the date “blablaxyz”", "By what date?"]),
        ("le 12 décembre", ["Is it on the list already? (yes / no)", "1) Yes", "2) Not yet"]),
        ("peut-être", "is it on the list already, yes or no?"),
        ("2", ["I understood, for Ressourcerie créative:", "Organiser l'atelier de réemploi", "Saturday, December 12, 2026",
               "not yet — I will post it to the list and the rooms"]),
        ("no", "What is the next step of Ressourcerie créative, by what date, and is it on the list?"),
        ("Organiser l'atelier pour le 19 décembre, déjà sur la liste", ["Saturday, December 19, 2026", "yes, already"]),
        ("1", ["Next step of Ressourcerie créative: ", "Organiser l'atelier", "Noted as already on the list."]),
    )
    steps = await NextStep.filter(project__slug="ressourcerie-creative").order_by("-id").limit(1).values_list("text", "due")
    assert steps == [("Organiser l'atelier", date(2026, 12, 19))]  # nothing saved before the confirmation
    assert await NextStep.filter(project__slug="ressourcerie-creative").count() == 2


async def test_one_referent_answers_several_projects_one_after_the_other(app):
    louise = await Person.get(display_name="Louise")
    await (await Project.get(slug="conciergerie-rurale")).referents.add(louise)
    me, chat = Dialog(app, "me", locale="en"), Dialog(app, "louise")
    await me.say("lang en")
    got = await me.say("prompt")
    assert "Ressourcerie créative — asked: Louise" in got and "Conciergerie rurale — asked: Mehdi, Louise" in got, got
    [asked] = await notes(app, "louise")  # one message: the second project comes after the first answer
    first = "Ressourcerie créative" if "Ressourcerie créative" in asked else "Conciergerie rurale"
    second = "Conciergerie rurale" if first == "Ressourcerie créative" else "Ressourcerie créative"
    await chat.say("Faire le point pour le 10 décembre, déjà sur la liste")
    got = await chat.say("oui")
    assert fr(f"Prochaine étape de {first} : ") in got and fr(f"Quelle est la prochaine étape de {second}") in got
    assert await PendingQuestion.filter(handler="prompt", person_id=louise.id).count() == 1


async def test_a_co_referents_answer_closes_the_others_prompt(app):
    camille = await Person.get(display_name="Camille")
    await (await Project.get(slug="conciergerie-rurale")).referents.add(camille)
    await Dialog(app, "me").say("relancer conciergerie-rurale")
    assert await Prompt.filter(status=PromptStatus.ASKED).count() == 2
    await Dialog(app, "mehdi").say("Trouver un local pour le 15 janvier, pas encore sur la liste")
    await Dialog(app, "mehdi").say("oui")
    got = await Dialog(app, "camille").say("Autre chose pour le 20 janvier")
    assert fr("La prochaine étape de Conciergerie rurale a été fixée entre-temps : « Trouver un local »") in got
    assert await NextStep.filter(project__slug="conciergerie-rurale", text="Autre chose").count() == 0


async def test_unreachable_and_away_referents_are_flagged_not_skipped_silently(app, clock):
    await Account.filter(platform="console", address="mehdi").update(reachable=False)
    me = Dialog(app, "me", locale="en")
    await me.say("lang en")
    await Dialog(app, "louise").say("absent jusqu'au 20 décembre")
    got = await me.say("prompt")
    assert "Conciergerie rurale — no channel to reach Mehdi: call them" in got
    assert "Ressourcerie créative — away, not asked: Louise (Dec 20, 2026)" in got
    assert not await Prompt.exists()
    got = await me.say("agenda")
    assert "no channel to reach Mehdi: call them" in got and "away: Louise" in got
    await Dialog(app, "louise").check(("retour", "Bon retour"), ("retour", "Vous n'étiez pas absent·e"))
    assert "Ressourcerie créative — asked: Louise" in await me.say("prompt ressourcerie-creative")


async def test_one_reminder_after_the_delay_then_the_agenda_flags_the_project(app, clock):
    me = Dialog(app, "me", locale="en")
    await me.say("lang en")
    await me.say("prompt conciergerie-rurale")
    await notes(app, "mehdi")
    prompts = app.services.prompts
    clock.now += timedelta(days=2)
    assert await prompts.remind_due() == 0
    clock.now += timedelta(days=1, minutes=1)
    assert await prompts.remind_due() == 1
    [reminder] = await notes(app, "mehdi")
    assert fr("Petit rappel pour Conciergerie rurale (Tiers-lieu de l'Usine Vivante) : une seule réponse suffit.") in reminder
    clock.now += timedelta(days=5)
    assert await prompts.remind_due() == 0  # one reminder, never two
    assert "Conciergerie rurale — asked 1 week ago, reminded, no answer: call them" in await me.say("agenda")


async def test_the_schedule_the_auto_prompts_and_their_undo(talk, app):
    me = talk("me")
    await me.check(
        ("agenda horaire jour 8h", fr("« jour » n'est pas un jour de la semaine.")),
        ("agenda horaire mardi 25h", fr("« 25h » n'est pas une heure")),
        ("agenda horaire mardi 8h30", [fr("L'agenda de Tiers-lieu de l'Usine Vivante arrive désormais chaque mardi à 08:30"),
                                      "1) Annuler"]),
    )
    settings = await AgendaSettings.get()
    assert (settings.weekday, settings.hour, settings.minute) == (1, 8, 30)
    await me.check(("1", "chaque lundi à 09:00"))
    await me.check(("relancer auto oui", ["relance lui-même", "1) Annuler"]), ("1", "c'est vous qui envoyez les relances"))
    assert not (await AgendaSettings.get()).auto_prompt
    await talk("ana").check(("agenda", "Seul·e un·e facilitateur·rice de Tiers-lieu de l'Usine Vivante peut faire cela."))


async def test_the_sheet_and_its_csv_file(app):
    me = Dialog(app, "me", locale="en")
    await me.say("lang en")
    got = await me.say("sheet")
    assert "Tracking sheet of Tiers-lieu de l'Usine Vivante" in got
    assert "Brasserie de la Dombes (funding) — referents: Camille · last contact: 2 days ago" in got
    assert "Crèche inter-entreprises (idea) — referents: no referent" in got
    got = await me.say("2")  # 1) the spreadsheet (xlsx), 2) the CSV file
    assert "The sheet of Tiers-lieu de l'Usine Vivante: 4 projects." in got and "📎 usine-vivante-2026-11-21.csv" in got
    path = got.split("📎 usine-vivante-2026-11-21.csv — Tracking sheet, Nov 21, 2026\n   ")[1].split("\n")[0]
    data = open(path, "rb").read()
    assert data.startswith(b"\xef\xbb\xbf")  # the mark that makes spreadsheets read UTF-8
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0][:3] == ["project", "slug", "status"] and len(rows) == 5
    brasserie = next(r for r in rows if r[1] == "dombes-brasserie")
    assert brasserie[3] == "Camille" and brasserie[6].startswith("Relancer les contributeurs") and brasserie[7] == "2026-12-01"


async def test_the_general_meeting_set_shown_and_cancelled(talk):
    me = talk("me")
    await me.check(
        ("réunion", ["Aucune réunion générale fixée pour Tiers-lieu de l'Usine Vivante.", "1) Sondage de date pour la réunion"]),
        ("1", "Entre quelles dates les membres choisissent-ils"),
        ("12 janvier 19h, 19 janvier 19h", fr("Où aura-t-elle lieu ? Écrivez le lieu")),
        ("Salle des fêtes", fr("Jusqu'à quand les membres peuvent-ils répondre ?")),
        ("5 janvier", ["Sondage #1 de Tiers-lieu de l'Usine Vivante", "sondage de date", "12 janvier 2027 19:00",
                       "clôture le 5 janv. 2027", fr("Lieu : Salle des fêtes")]),
        ("réunion 15 janvier 19h", [fr("Prochaine réunion générale de Tiers-lieu de l'Usine Vivante : "), "vendredi 15 janvier 2027 19:00",
                                    "1) Annuler"]),
        ("agenda", fr("Prochaine réunion générale : vendredi 15 janvier 2027 19:00")),
        ("réunion 3 mars 2020 19h", "est passée"),
    )
    assert await Event.filter(kind="meeting", cancelled=False).count() == 1
    await talk("ana").check(("réunion", "vendredi 15 janvier 2027 19:00"), ("réunion 4 février", "Seul·e un·e facilitateur·rice"))


async def test_the_list_check_and_sending_what_did_not_go_out(app):
    me = Dialog(app, "me", locale="en")
    await me.say("lang en")
    await ChatBinding.create(platform="console", chat_id="#usine", community_id=(await Project.get(slug="dombes-brasserie")).community_id)
    got = await me.say("agenda")
    assert "List check (past 7 days): 3 items did not go out." in got and "✗ rooms" in got
    assert "Send what did not go out" in got
    got = await me.say("agenda publish")
    assert "3 items sent to the rooms." in got
    await app.delivery.drain()
    posted = await ConsoleInbox.filter(address="#usine").values_list("text", flat=True)
    assert len(posted) == 3 and any("Relancer les contributeurs" in p for p in posted)
    got = await me.say("agenda")
    assert "List check (past 7 days):" in got and "✓ rooms" in got and "✗" not in got
    assert "Everything of the past week went out already." in await me.say("agenda publish")


async def test_the_csv_sheet_neutralises_cells_that_would_run_as_formulas(app):
    """Text people wrote that begins like a spreadsheet formula is shown as text, never run (CSV injection)."""
    from bot.services.agenda_text import cell

    camille = Dialog(app, "camille")
    await camille.say('étape dombes-brasserie =HYPERLINK("https://evil.example","Cliquez")')
    got = await Dialog(app, "me", locale="en").say("suivi csv")
    path = got.split(".csv — ")[1].split("\n   ")[1].split("\n")[0]
    rows = list(csv.reader(io.StringIO(open(path, "rb").read().decode("utf-8-sig")), delimiter=";"))  # French: `;`
    brasserie = next(r for r in rows if r[1] == "dombes-brasserie")
    assert brasserie[6] == '\'=HYPERLINK("https://evil.example","Cliquez")'
    assert [cell(v) for v in ("+1", "-2", "@SUM(A1)", "\tx", "\rx", "ok", 3)] == ["'+1", "'-2", "'@SUM(A1)", "'\tx", "'\rx", "ok", 3]
