"""A prompt carries its context: the project's next step and date as they stand, and « rien de nouveau » (typed, or
the choice) keeps them and counts as the answer; where a reply to the message answers (a mail), the question says so
rather than « tapez /annuler »."""

from __future__ import annotations

from bot.adapters.console import ConsoleChat
from bot.core.conversation import ANSWER_HINT
from bot.core.i18n import Catalogs
from bot.core.i18n import french_typography as fr
from bot.core.render import for_platform, to_text
from bot.core.replies import About, Block, Question, Reply
from models import NextStep, PendingQuestion, Project, Prompt, PromptStatus
from tests.conftest import Dialog


async def notes(app, name: str) -> list[str]:
    await app.delivery.drain()
    return await ConsoleChat(app.console, name).unseen()


async def test_the_prompt_shows_the_next_step_and_nothing_new_keeps_it(app):
    steps = await NextStep.filter(project__slug="conciergerie-rurale").count()
    await Dialog(app, "me").say("relancer conciergerie-rurale")
    [asked] = await notes(app, "mehdi")
    assert fr("Sa prochaine étape aujourd'hui : Trouver un local de dépôt à Crest — pour le samedi 12 décembre 2026") in asked, asked
    assert fr("1) Rien de nouveau : la garder") in asked
    mehdi = Dialog(app, "mehdi")
    await mehdi.check(("Rien de nouveau !", [fr("Rien de nouveau pour Conciergerie rurale : sa prochaine étape reste « Trouver "
                                                "un local de dépôt à Crest »."), "Merci"]))
    prompt = await Prompt.get()
    assert prompt.status == PromptStatus.ANSWERED and prompt.answered_at is not None
    assert await NextStep.filter(project__slug="conciergerie-rurale").count() == steps  # nothing new set, nobody notified
    assert not await PendingQuestion.exists()
    [summary] = await notes(app, "me")
    assert "Trouver un local de dépôt à Crest" in summary
    # The agenda counts it as an answer: the project is no longer waiting.
    week = await Dialog(app, "me").say("agenda")
    assert fr("La semaine est faite : 1 projet a répondu, rien n'attend") in week and "En attente" not in week


async def test_the_choice_keeps_it_too_and_a_project_without_a_step_has_no_such_choice(app):
    me = Dialog(app, "me", locale="en")
    await me.say("lang en")
    await me.say("referent add creche-interentreprises jules")
    await me.say("prompt ressourcerie-creative")
    await me.say("prompt creche-interentreprises")
    [asked] = await notes(app, "louise")
    assert "1) Rien de nouveau" in asked
    louise = Dialog(app, "louise")
    assert "Rien de nouveau pour Ressourcerie créative" in await louise.say("1")
    assert (await Prompt.get(project__slug="ressourcerie-creative")).status == PromptStatus.ANSWERED
    [jules] = await notes(app, "jules")
    assert "Rien de nouveau" not in jules and "aujourd'hui" not in jules  # the crèche has no next step to keep
    got = await Dialog(app, "jules").say("rien de nouveau")
    assert fr("Crèche inter-entreprises n'a pas encore de prochaine étape à garder : quelle est-elle, et pour quelle date ?") in got
    assert (await Prompt.get(project__slug="creche-interentreprises")).status == PromptStatus.ASKED


def test_a_question_says_reply_to_this_message_where_a_reply_answers():
    t = Catalogs().get("fr")
    question = Question("Quelle est la prochaine étape ?", "prompt", hint=t(ANSWER_HINT),
                        reply_hint=t("Reply to this message with your answer."))
    reply = Reply().add(question).add(About((("prompt", 1, 1),)))
    threaded = to_text(for_platform(reply, (Block, About)))
    assert "Répondez à ce message avec votre réponse." in threaded and "/annuler" not in threaded
    plain = to_text(for_platform(reply, (Block,)))
    assert "/annuler" in plain and "Répondez à ce message" not in plain


async def test_the_prompt_question_has_its_reply_hint(app):
    project = await Project.get(slug="conciergerie-rurale")
    t = app.catalogs.get("fr")
    for stage in ("all", "step", "date", "list", "confirm"):
        assert app.services.prompts.question(t, project, 1, stage).reply_hint.startswith("Répondez à ce message")
