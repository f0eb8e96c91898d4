"""Loans repaid on a schedule, driven like transcripts in English and French: the schedule set on a loan campaign (amount,
count and date bounded, bad input answered and nothing stored), the referents reminded 3 days before each instalment and
once only under a moving clock, the confirmation and its undo, « 4 / 24 instalments repaid », late instalments in the
facilitators' agenda."""

from __future__ import annotations

import asyncio
from datetime import date, datetime, timedelta, timezone

from bot.adapters.console import ConsoleChat
from bot.services.loans import due_on
from models import LoanSchedule, OutboxMessage
from scheduler.money import MoneyJob
from tests.conftest import Dialog

URL = "https://www.helloasso.com/associations/usine-vivante/collectes/pret-brasserie"


def test_instalments_fall_on_the_same_day_or_the_months_last():
    assert due_on(date(2027, 1, 31), 1) == date(2027, 2, 28) and due_on(date(2027, 1, 31), 2) == date(2027, 3, 31)
    assert due_on(date(2026, 12, 1), 1) == date(2027, 1, 1) and due_on(date(2026, 12, 15), 24) == date(2028, 12, 15)


async def test_a_schedule_reminded_confirmed_and_undone_in_english(app, clock):
    camille, ana, me = Dialog(app, "camille", locale="en"), Dialog(app, "ana", locale="en"), Dialog(app, "me", locale="en")
    for who in (camille, ana, me):
        await who.say("lang en")
    await camille.check(
        ("campaign schedule dombes-brasserie 250 € per month for 24 months from 1 december", "has no loan campaign"),
        (f"campaign add dombes-brasserie loan 20 000 € {URL} 2 % over 2 years", "Campaign started"),
        ("campaign schedule dombes-brasserie 250 € per month for 601 months from 1 december", "Give between 1 and 600 monthly instalments."),
        ("campaign schedule dombes-brasserie 250 30 per month for 24 months from 1 december", "“250 30” is not an amount"),
        ("campaign schedule dombes-brasserie 250 € per month for 24 months from 1 december 2040", "is more than 5 years ahead"),
        ("campaign schedule dombes-brasserie 250 € monthly", "Say it as: <amount> per month for <n> months from <date>."),
        ("repaid dombes-brasserie", "Brasserie de la Dombes has no repayment schedule"),
        ("campaign close dombes-brasserie", "is closed"),
        ("campaign schedule dombes-brasserie 250 € per month for 24 months from 1 december",
         ("Repayment schedule of Brasserie de la Dombes: €250 a month from 1 Dec 2026 to 1 Nov 2028; instalments: 24.",
          "0 / 24 instalments repaid", "Next instalment: 1 Dec 2026.")),
        ("campaign dombes-brasserie", "0 / 24 instalments repaid"),
    )
    await ana.check(("repaid dombes-brasserie", "Only the referents of Brasserie de la Dombes"))
    assert await LoanSchedule.filter(count=24, amount=25_000).count() == 1
    job = MoneyJob(app.services)
    inbox = ConsoleChat(app.console, "camille")

    async def reminders() -> list[str]:
        await app.delivery.drain()
        return [n for n in await inbox.unseen() if "📅" in n]

    await job.tick()
    assert await reminders() == []  # 10 days before the first instalment
    clock.now = datetime(2026, 11, 27, 22, 0, tzinfo=timezone.utc)  # 23:00 in Paris, the 27th: not yet 3 days before
    await job.tick()
    assert await reminders() == []
    clock.now = datetime(2026, 11, 28, 6, 0, tzinfo=timezone.utc)
    await job.tick()
    await job.tick()
    got = await reminders()
    assert len(got) == 1 and "Brasserie de la Dombes: instalment 1 of 24 (€250) is due on 1 Dec 2026." in got[0], got
    assert "/repaid dombes-brasserie" in got[0]
    await camille.check(
        ("repaid dombes-brasserie", ("Instalment 1 of Brasserie de la Dombes confirmed as repaid (€250, due 1 Dec 2026).",
                                     "1 / 24 instalments repaid", "Next instalment: 1 Jan 2027.")),
        ("repaid dombes-brasserie undo", ("Instalment 1 of Brasserie de la Dombes is no longer confirmed.", "0 / 24 instalments repaid")),
        ("repaid dombes-brasserie undo", "No instalment of Brasserie de la Dombes is confirmed yet."),
        ("repaid dombes-brasserie please", "Usage"),
        ("repaid dombes-brasserie", "1 / 24 instalments repaid"),
        ("campaign schedule dombes-brasserie 300 € per month for 12 months from 1 january", "instalments confirmed already"),
    )
    # A jump past the next reminder (nothing ran for weeks): the instalment already due is not reminded late, the
    # agenda shows it instead; each instalment is reminded once at most.
    clock.now = datetime(2027, 1, 5, 9, 0, tzinfo=timezone.utc)
    await job.tick()
    assert await reminders() == []
    assert (await LoanSchedule.get()).reminded == 2
    agenda = await me.say("agenda")
    assert "Loan repayments late (not confirmed by the referents):" in agenda and "1 instalment late" in agenda, agenda
    clock.now = datetime(2027, 1, 29, 9, 0, tzinfo=timezone.utc)
    await job.tick()
    got = await reminders()
    assert len(got) == 1 and "instalment 3 of 24" in got[0]
    assert await OutboxMessage.filter(key__startswith="loan:").count() == 2
    await camille.say("repaid dombes-brasserie")
    assert "late" not in (await camille.say("campaign dombes-brasserie")).split("instalments repaid")[1]
    assert "Loan repayments late" not in await me.say("agenda")


async def test_a_schedule_in_french_with_four_of_twenty_four(any_app, clock):
    camille = Dialog(any_app, "camille")

    async def said(line: str) -> str:
        return (await camille.say(line)).replace("\u202f", " ").replace("\u00a0", " ")

    assert "Campagne lancée" in await said(f"campagne ajouter dombes-brasserie prêt 20 000 € {URL} 2 % sur 2 ans")
    got = await said("campagne échéancier dombes-brasserie 250 € par mois pendant 24 mois à partir du 1er septembre 2026")
    assert "Échéancier de remboursement de Brasserie de la Dombes : 250 € par mois du 1 sept. 2026 au 1 août 2028 ; échéances : 24." in got, got
    assert "0 / 24 échéances versées" in got and "3 échéances en retard." in got  # September to November: due, not confirmed
    assert "Dites-le ainsi" in await said("campagne échéancier dombes-brasserie 250 € tous les mois")
    for _ in range(4):
        got = await said("remboursé dombes-brasserie")
    assert "4 / 24 échéances versées" in got and "Échéance 4 de Brasserie de la Dombes confirmée comme remboursée" in got, got
    assert "Prochaine échéance : 1 janv. 2027." in got
    clock.now += timedelta(days=60)  # January 20: September to December are confirmed, January is late
    shown = await said("campagne dombes-brasserie")
    assert "4 / 24 échéances versées" in shown and "1 échéance en retard." in shown, shown


async def test_two_ticks_at_once_remind_an_instalment_once(any_app, clock):
    camille = Dialog(any_app, "camille", locale="en")
    await camille.say("lang en")
    await camille.say(f"campaign add dombes-brasserie loan 20 000 € {URL} 2 % over 2 years")
    await camille.say("campaign schedule dombes-brasserie 250 € per month for 24 months from 1 december")
    clock.now = datetime(2026, 11, 29, 8, 0, tzinfo=timezone.utc)
    loans = any_app.services.loans
    sent = await asyncio.gather(loans.remind_due(), loans.remind_due(), loans.remind_due())
    assert sorted(sent) == [0, 0, 1]  # the schedule's counter is moved on once: one tick reminds, the others find it done
    assert await OutboxMessage.filter(key__startswith="loan:").count() == 1
