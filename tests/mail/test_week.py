"""A facilitator's week, scripted end to end on real parts: the agenda, the prompts to three referents, one answering
in chat, one by replying to the mail (SMTP exchanges), one after the reminder; the next steps set, the followers
notified, the steps announced on the community's list (a real Mailman 3 core) and in its room; the agenda showing
the week done. The facilitator's actions are counted: at most five."""
# ruff: noqa: F811

from __future__ import annotations

import asyncio
from datetime import timedelta

from bot.adapters.console import ConsoleChat
from bot.core.i18n import french_typography as fr
from models import Account, ConsoleInbox, NextStep, OutboxMessage, Person, Prompt, PromptStatus
from models.mail import ListStatus, MailingList
from scheduler.jobs import AgendaJob
from tests.mail.conftest import RELAIS, Relais
from tests.mail.test_mailman import LIST, relais_mm, until  # noqa: F401
from tests.peers.mailman import MailmanServer


class Facilitator:
    """The facilitator's console chat, counting what they type (choices included)."""

    def __init__(self, relais: Relais):
        self.chat = ConsoleChat(relais.app.console, "me")
        self.actions: list[str] = []

    async def say(self, line: str) -> str:
        self.actions.append(line)
        return await self.chat.exchange(line)


async def setup_community(relais: Relais) -> None:
    """Before the week: a list on Mailman, a room bound, a referent for the crèche, Louise reading her mail."""
    me = ConsoleChat(relais.app.console, "me")
    assert LIST in await me.exchange("liste créer")
    await until(lambda: MailingList.get_or_none(status=ListStatus.READY), wake=relais.mail.mailman.wake)
    assert "parle désormais pour" in await ConsoleChat(relais.app.console, "me", room="usine").exchange("/lier usine-vivante")
    assert "Jules" in await me.exchange("référent ajouter creche-interentreprises jules")
    louise = await Person.get(display_name="Louise")
    await Account.filter(person=louise).update(preferred=False)
    await Account.create(person=louise, platform="email", address="louise@example.org", confirmed=True, preferred=True)
    await relais.settle()
    await ConsoleChat(relais.app.console, "me").unseen()


async def test_a_week_in_five_facilitator_actions_at_most(relais_mm: Relais, mailman: MailmanServer):
    relais = relais_mm
    app, sink = relais.app, relais.sink
    await setup_community(relais)
    sink.clear()
    before = {slug: await NextStep.filter(project__slug=slug).count()
              for slug in ("conciergerie-rurale", "ressourcerie-creative", "creche-interentreprises")}
    me = Facilitator(relais)

    # Monday: the agenda proposes the three stalest projects; one choice prompts their referents.
    agenda = await me.say("agenda")
    for title in ("Crèche inter-entreprises", "Ressourcerie créative", "Conciergerie rurale"):
        assert title in agenda.split("Prochaine réunion")[0]
    prompted = await me.say("1")
    assert "Relances" in prompted and "Louise" in prompted and "Mehdi" in prompted and "Jules" in prompted
    await relais.settle()

    # Mehdi answers in chat, in one message.
    mehdi = ConsoleChat(app.console, "mehdi")
    [asked] = await mehdi.unseen()
    assert "Conciergerie rurale" in asked
    assert "pas encore" in await mehdi.exchange("Trouver un local à Die pour le 15 janvier, pas encore sur la liste")
    assert "Merci" in await mehdi.exchange("oui")

    # Louise answers by replying to the mail.
    [mail] = await relais.wait_mail(to=["louise@example.org"])
    assert "Ressourcerie créative" in mail["Subject"]
    assert "Quelle est la prochaine étape de Ressourcerie créative" in mail.message.get_body(("plain",)).get_content()
    await reply(relais, mail, "Organiser l'atelier de réemploi le 12 décembre, déjà sur la liste", "w1")
    [understood] = await relais.wait_mail(predicate=lambda m: m["In-Reply-To"] == "<w1@example.org>")
    text = understood.message.get_body(("plain",)).get_content()
    assert fr("J'ai compris, pour Ressourcerie créative :") in text and "samedi 12 décembre 2026" in text
    await reply(relais, understood, "oui", "w2")
    [done] = await relais.wait_mail(predicate=lambda m: m["In-Reply-To"] == "<w2@example.org>")
    assert fr("Prochaine étape de Ressourcerie créative : ") in done.message.get_body(("plain",)).get_content()

    # Jules does not answer; three days later the scheduler reminds him, once; he answers then.
    relais.clock.now += timedelta(days=3, minutes=1)
    job = AgendaJob(app.agenda_push(), app.services.prompts, relais.clock)
    await job.tick()
    await relais.settle()
    jules = ConsoleChat(app.console, "jules")
    notes = await jules.unseen()
    assert any("Petit rappel pour Crèche inter-entreprises" in n for n in notes)
    assert "Est-ce déjà sur la liste" in await jules.exchange("Trouver trois entreprises partenaires avant fin janvier")
    assert "pas encore" in await jules.exchange("non")
    assert "Merci" in await jules.exchange("oui")
    await job.tick()
    assert await Prompt.filter(reminded_at__isnull=False).count() == 1
    await relais.settle()

    # The steps not on the list yet are announced there (Mailman relays them) and in the room.
    mlist = await MailingList.get()
    relais.mail.mailman.wake()
    copies = await asyncio.to_thread(mailman.wait_for_delivery, sink, lambda m: mlist.list_id in (m["List-Id"] or "")
                                     and "Crèche inter-entreprises" in (m["Subject"] or ""), 1, 30.0, [RELAIS])
    assert "Trouver trois entreprises partenaires" in copies[0].message.get_content()
    room = await ConsoleInbox.filter(address="#usine").values_list("text", flat=True)
    assert any("Trouver un local à Die" in r for r in room) and any("Trouver trois entreprises" in r for r in room)
    assert not any("Organiser l'atelier de réemploi" in r for r in room)  # Louise said it was on the list already

    # The facilitator gets one summary; the agenda's list check sends last week's news to the room bound since;
    # then the agenda says the week is done.
    summaries = [n for n in await me.chat.unseen() if "Les référent·es ont répondu" in n]
    assert len(summaries) == 1
    for step in ("Trouver un local à Die", "Organiser l'atelier de réemploi", "Trouver trois entreprises partenaires"):
        assert step in summaries[0]
    week = await me.say("agenda")
    assert "✗ salons" in week and "✓ liste" in week
    assert "éléments envoyés aux salons" in await me.say("3")  # "Envoyer ce qui n'est pas parti"
    await relais.settle()
    week = await me.say("agenda")
    assert fr("La semaine est faite : 3 projets ont répondu, rien n'attend, tout est parti.") in week, week
    assert len(me.actions) <= 5, me.actions

    # What the week did: next steps set, followers notified.
    assert await Prompt.filter(status=PromptStatus.ANSWERED).count() == 3
    for slug, count in before.items():
        assert await NextStep.filter(project__slug=slug).count() == count + 1
    steps = {s.text: s for s in await NextStep.filter(text__in=["Trouver un local à Die", "Trouver trois entreprises partenaires"])}
    assert str(steps["Trouver un local à Die"].due) == "2027-01-15" and str(steps["Trouver trois entreprises partenaires"].due) == "2027-01-31"
    assert await OutboxMessage.filter(key__startswith=f"step:{steps['Trouver un local à Die'].id}:").count() == 1  # jules follows it


async def reply(relais: Relais, mail, text: str, ref: str) -> None:
    to = mail["Reply-To"] or RELAIS
    await relais.send(f"From: Louise <louise@example.org>\nTo: {to}\nSubject: Re: {mail['Subject']}\n"
                      f"Message-ID: <{ref}@example.org>\nIn-Reply-To: {mail['Message-ID']}\n\n{text}\n\nLouise\n\n> (quoted)\n",
                      mail_from="louise@example.org", to=[to])
