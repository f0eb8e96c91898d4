"""What the public pages show of money: a project's use of funds (raised / spent / left and every expense) and its loan's
repayments, the community's contributive budget and its ledger. Amounts and what they paid for only: never who recorded
an expense or asked for a sum."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from models import Budget, BudgetRequest, Campaign, Expense, LoanSchedule

LEDGER_SHOWN = 50


@dataclass
class Line:
    day: date
    amount: int  # cents
    text: str
    project: str = ""


@dataclass
class FundsView:
    currency: str
    raised: int  # cents
    spent: int
    expenses: list[Line] = field(default_factory=list)  # newest first
    paid: int = 0  # a loan's instalments confirmed
    instalments: int = 0  # … of so many (0: no schedule)
    instalment: int = 0  # one instalment, cents

    @property
    def left(self) -> int:
        return self.raised - self.spent


@dataclass
class BudgetView:
    currency: str
    total: int  # cents
    granted: int
    ledger: list[Line] = field(default_factory=list)  # newest first

    @property
    def left(self) -> int:
        return self.total - self.granted


async def funds_view(project_id: int) -> FundsView | None:
    """The project's latest campaign (running or closed: money is spent and repaid after the close), when it has expenses or
    a repayment schedule."""
    campaign = await Campaign.filter(project_id=project_id).order_by("-id").first()
    if campaign is None:
        return None
    expenses = await Expense.filter(campaign_id=campaign.id).order_by("-spent_on", "-id")
    schedule = await LoanSchedule.get_or_none(campaign_id=campaign.id)
    if not expenses and schedule is None:
        return None
    view = FundsView(campaign.currency, campaign.raised, sum(e.amount for e in expenses),
                     [Line(e.spent_on, e.amount, e.text) for e in expenses])
    if schedule is not None:
        view.paid, view.instalments, view.instalment = schedule.paid, schedule.count, schedule.amount
    return view


async def budget_view(community_id: int) -> BudgetView | None:
    """The community's contributive budget and its ledger (the approved requests), when it has one."""
    budget = await Budget.get_or_none(community_id=community_id)
    if budget is None or budget.total <= 0:
        return None
    approved = await BudgetRequest.filter(community_id=community_id, status="approved").order_by("-decided_at", "-id")
    return BudgetView(budget.currency, budget.total, sum(r.amount for r in approved),
                      [Line((r.decided_at or r.created_at).date(), r.amount, r.reason, r.title) for r in approved[:LEDGER_SHOWN]])
