"""Thin scheduled jobs for money: linked campaigns' amounts read from their platform, the backers' weekly expenses, the
loans' instalment reminders."""

from __future__ import annotations

import logging

log = logging.getLogger("relais.scheduler")


class MoneyJob:
    """Every tick (the scheduler's role held by one process): the linked campaigns due are read from their platform
    (each claimed for a lease, so a read is never doubled), then the backers' summaries of new expenses (one a week at
    most per campaign), then the referents reminded of the loans' instalments due within 3 days (each once: the schedule's
counter is moved on by a conditional update)."""

    def __init__(self, services):
        self.services = services

    async def tick(self):
        counts = await self.services.money.run_due()
        told = await self.services.expenses.tell_backers()
        reminded = await self.services.loans.remind_due()
        return counts, told, reminded
