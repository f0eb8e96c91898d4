"""By mail: a reply to a notification is a comment for the project's referents (its answer comes back in the same
thread), and a reply to a prompt is its answer, whatever its first word."""

from __future__ import annotations

from bot.adapters.console import ConsoleChat
from bot.core.i18n import french_typography as fr
from models import Account, Comment, Follow, NextStep, Person, Project, Prompt, PromptStatus
from tests.mail.conftest import RELAIS, Relais

CIGALE = "Je connais quelqu'un à la Cigale, je peux vous mettre en contact"


async def test_a_mail_reply_to_news_reaches_the_referent_and_the_answer_comes_back_in_the_thread(relais: Relais):
    ana = await relais.person_with_email("Ana", "ana@example.org")
    await Follow.create(person=ana, project=await Project.get(slug="dombes-brasserie"))
    await ConsoleChat(relais.app.console, "camille").exchange("nouvelle dombes-brasserie La cuve est arrivée !")
    [news] = await relais.wait_mail(predicate=lambda m: m.rcpt_tos == ("ana@example.org",))
    text = news.message.get_body(("plain",)).get_content()
    assert fr("Répondez à ce message : les référent·es le reçoivent.") in text
    relais.sink.clear()
    # Her mail client quotes the notification and adds her signature: both are left out of the comment.
    await relais.send(f"From: Ana <ana@example.org>\nSubject: Re: {news['Subject']}\nIn-Reply-To: {news['Message-ID']}\n"
                      f"References: {news['Message-ID']}\nMessage-ID: <c1@example.org>\n\n{CIGALE}\n\n-- \nAna\n\n"
                      f"Le lun. 23 nov. 2026, Relais a écrit :\n> {text.splitlines()[0]}\n", to=[news["Reply-To"]])
    [ack] = await relais.wait_mail(predicate=lambda m: m["In-Reply-To"] == "<c1@example.org>")
    assert fr("Transmis aux référent·es de Brasserie de la Dombes (message n° 1).") in ack.message.get_body(("plain",)).get_content()
    comment = await Comment.get()
    assert (comment.text, comment.about_kind, comment.origin["ref"]) == (CIGALE, "news", "<c1@example.org>")
    await relais.settle()
    [told] = await ConsoleChat(relais.app.console, "camille").unseen()
    assert CIGALE in told and "La cuve est arrivée" in told
    relais.sink.clear()
    await ConsoleChat(relais.app.console, "camille").exchange("réponse 1 Merci Ana, écris-moi à camille@example.org")
    [answer] = await relais.wait_mail(predicate=lambda m: m.rcpt_tos == ("ana@example.org",))
    assert answer["In-Reply-To"] == "<c1@example.org>" and "<c1@example.org>" in answer["References"]
    assert news["Message-ID"] in answer["References"], "in the thread of the notification and of her mail"
    assert "Merci Ana, écris-moi" in answer.message.get_body(("plain",)).get_content()


async def test_a_mail_reply_to_a_prompt_is_its_answer_whatever_its_first_word(relais: Relais):
    """« Relancer les contributeurs … pour le 18 décembre, c'est déjà sur la liste. » begins like /relancer: by mail, a
    reply to the prompt is the answer all the same."""
    camille = await Person.get(display_name="Camille")
    await Account.filter(person_id=camille.id).update(preferred=False)
    await Account.create(person=camille, platform="email", address="camille@example.org", preferred=True)
    await ConsoleChat(relais.app.console, "me").exchange("relancer dombes-brasserie")
    [prompt] = await relais.wait_mail(predicate=lambda m: m.rcpt_tos == ("camille@example.org",))
    relais.sink.clear()
    await relais.send(f"From: Camille <camille@example.org>\nSubject: Re: {prompt['Subject']}\nIn-Reply-To: {prompt['Message-ID']}\n"
                      "Message-ID: <p1@example.org>\n\nRelancer les contributeurs de la première semaine pour le 18 décembre, "
                      "c'est déjà sur la liste.\n\nCamille\n", mail_from="camille@example.org", to=[prompt["Reply-To"] or RELAIS])
    [understood] = await relais.wait_mail(predicate=lambda m: m["In-Reply-To"] == "<p1@example.org>")
    body = understood.message.get_body(("plain",)).get_content()
    assert "Pas de projet" not in body
    assert fr("J'ai compris, pour Brasserie de la Dombes :") in body and "Relancer les contributeurs de la première semaine" in body
    assert "vendredi 18 décembre 2026" in body and "oui, déjà" in body
    relais.sink.clear()
    await relais.send(f"From: Camille <camille@example.org>\nSubject: Re: {understood['Subject']}\n"
                      f"In-Reply-To: {understood['Message-ID']}\nMessage-ID: <p2@example.org>\n\noui\n",
                      mail_from="camille@example.org", to=[understood["Reply-To"] or RELAIS])
    await relais.wait_mail(predicate=lambda m: m["In-Reply-To"] == "<p2@example.org>")
    step = await NextStep.filter(project__slug="dombes-brasserie").order_by("-id").first()
    assert step.text == "Relancer les contributeurs de la première semaine" and str(step.due) == "2026-12-18"
    assert (await Prompt.get()).status == PromptStatus.ANSWERED
