"""Conversations: a question waits in the database for the person's next message, across a restart."""

from __future__ import annotations

from datetime import timedelta

from bot.app import App
from bot.config import Settings
from models import NextStep, OutboxMessage, PendingQuestion
from tests.conftest import Dialog, database_url, make_app


async def restarted(app: App, tmp_path, clock) -> App:
    """The same database, a new process: nothing kept in memory."""
    await app.stop()
    new = App(Settings(data_dir=tmp_path, database_url=database_url("sqlite", tmp_path), log_format="text"), clock=clock)
    await new.start()
    return new


async def test_a_question_is_answered_after_a_restart_and_a_command_still_runs(tmp_path, clock):
    """The answer reaches the handler after a restart; an unreadable date gets one clarifying question; commands run."""
    app = await make_app("sqlite", tmp_path, clock)
    try:
        await Dialog(app, "camille").check(
            ("etape dombes-brasserie", ["❓ Quelle est la prochaine étape de Brasserie de la Dombes ?", "tapez /annuler"]))
        assert await PendingQuestion.filter(handler="nextstep").count() == 1
        app = await restarted(app, tmp_path, clock)
        before = await NextStep.filter(project__slug="dombes-brasserie").count()
        camille = Dialog(app, "camille")
        await camille.check(
            ("Embouteiller le brassin pour blablaxyz", ["Je n'ai pas compris la date « blablaxyz »",
                                                        "Quelle est la prochaine étape de Brasserie de la Dombes ?"]),
            ("/projets", "Brasserie de la Dombes (dombes-brasserie)"),  # a /command runs as a command
            ("Embouteiller le brassin pour vendredi prochain", ["Prochaine étape de Brasserie de la Dombes : Embouteiller le brassin",
                                                               "Échéance : vendredi 27 novembre 2026.", "2 abonné·es prévenu·es."]),
            ("Encore un mot", "je n'ai pas compris « Encore un mot »"),  # answered: the next line is no answer any more
        )
        steps = await NextStep.filter(project__slug="dombes-brasserie").order_by("id").values_list("text", "due")
        assert len(steps) == before + 1 and steps[-1][0] == "Embouteiller le brassin" and str(steps[-1][1]) == "2026-11-27"
        assert await OutboxMessage.filter(key__startswith="step:").count() == 2
        assert not await PendingQuestion.exists()
    finally:
        await app.stop()


async def test_cancel_drops_the_question_and_an_old_one_expires(app, clock):
    """`cancel` drops the pending question; a question older than its days is no longer answered."""
    camille = Dialog(app, "camille", locale="en")
    await camille.say("lang en")
    await camille.check(
        ("nextstep dombes-brasserie", "What is the next step of Brasserie de la Dombes?"),
        ("cancel", "All right, I dropped my question."),
        ("Label the bottles", "I did not understand « Label the bottles »"),  # no question waits: words, not an answer
        ("cancel", "There is nothing to cancel."),
        ("nextstep dombes-brasserie", "What is the next step of Brasserie de la Dombes?"),
    )
    clock.now += timedelta(days=8)
    await camille.check(("Label the bottles", "I did not understand « Label the bottles »"))
    assert not await PendingQuestion.exists()


async def test_a_question_is_not_answered_by_chatter_in_a_group(app):
    """In a group, a line addressed to nobody is not an answer: only direct chats (and mail) answer questions."""
    await Dialog(app, "camille").say("etape dombes-brasserie")
    group = Dialog(app, "camille", room="atelier")
    await group.check(("Trouver une salle", None))
    assert await PendingQuestion.exists()
