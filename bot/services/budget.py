"""A community's contributive micro-budget: the facilitators put a sum in and set its rules (a ceiling per request, how many
of them approve); referents ask for small sums; each facilitator answers once (approve or refuse); the approved requests
are the budget's ledger."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Callable

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from bot.core.errors import UserError
from bot.core.i18n import N_, Catalogs, Translator
from bot.core.replies import Reply, bold
from bot.core.sql import fetch
from bot.services.notify import Notifier
from bot.services.pledges import money
from models import Budget, BudgetRequest, BudgetVote, Community, Membership, Person, Project, Role

log = logging.getLogger("relais.budget")

MAX_APPROVALS = 20
LEDGER_SHOWN = 10


@dataclass
class Standing:
    budget: Budget
    granted: int  # cents
    ledger: list[BudgetRequest]  # approved, newest first
    count: int  # approved requests in all

    @property
    def left(self) -> int:
        return self.budget.total - self.granted


@dataclass
class Answered:
    request: BudgetRequest
    outcome: str  # approved | refused | counted (more approvals needed) | already (this person answered) | closed | short
    approvals: int = 0


class Budgets:
    def __init__(self, catalogs: Catalogs, clock: Callable[[], datetime], notifier: Notifier):
        self.catalogs = catalogs
        self.clock = clock
        self.notifier = notifier

    async def of(self, community: Community) -> Budget | None:
        return await Budget.get_or_none(community_id=community.id)

    async def _budget(self, community: Community) -> Budget:
        found = await self.of(community)
        if found is None:
            try:
                found = await Budget.create(community_id=community.id, updated_at=self.clock())
            except IntegrityError:  # made by another facilitator at the same moment
                found = await Budget.get(community_id=community.id)
        return found

    async def granted(self, community_id: int) -> int:
        rows = await fetch('SELECT COALESCE(SUM("amount"), 0) FROM "budget_request" WHERE "community_id" = ? AND "status" = ?',
                           [community_id, "approved"])
        return int(rows[0][0])

    async def standing(self, community: Community, limit: int | None = LEDGER_SHOWN) -> Standing | None:
        budget = await self.of(community)
        if budget is None:
            return None
        query = BudgetRequest.filter(community_id=community.id, status="approved").order_by("-decided_at", "-id")
        ledger = await (query.limit(limit) if limit else query)
        count = await BudgetRequest.filter(community_id=community.id, status="approved").count()
        return Standing(budget, await self.granted(community.id), list(ledger), count)

    async def set_total(self, community: Community, total: int, locale: str) -> Budget:
        granted = await self.granted(community.id)
        if total < granted:
            raise UserError(N_("{granted} is granted already: the budget cannot be less."),
                            granted=money(granted, "EUR", locale))
        budget = await self._budget(community)
        await Budget.filter(id=budget.id).update(total=total, updated_at=self.clock())
        budget.total = total
        return budget

    async def set_rules(self, community: Community, ceiling: int | None = None, approvals: int | None = None) -> Budget:
        budget = await self._budget(community)
        changes: dict = {"updated_at": self.clock()}
        if ceiling is not None:
            changes["ceiling"] = budget.ceiling = ceiling
        if approvals is not None:
            if not 1 <= approvals <= MAX_APPROVALS:
                raise UserError(N_("Give a number of approvals between 1 and {max}."), max=MAX_APPROVALS)
            changes["approvals"] = budget.approvals = approvals
        await Budget.filter(id=budget.id).update(**changes)
        return budget

    async def ask(self, community: Community, project: Project, by: Person, amount: int, reason: str, locale: str) -> BudgetRequest:
        """A request, refused at once (with the figures) above the ceiling or above what is left."""
        budget = await self.of(community)
        if budget is None or budget.total <= 0:
            raise UserError(N_("{community} has no contributive budget: the facilitators open it with /budget <amount>."),
                            community=community.name)
        if amount > budget.ceiling:
            raise UserError(N_("{amount} is above the ceiling of one request ({ceiling})."),
                            amount=money(amount, budget.currency, locale), ceiling=money(budget.ceiling, budget.currency, locale))
        left = budget.total - await self.granted(community.id)
        if amount > left:
            raise UserError(N_("{amount} is more than what is left in the budget ({left})."),
                            amount=money(amount, budget.currency, locale), left=money(max(left, 0), budget.currency, locale))
        for _ in range(5):  # the number is the community's next one; two requests at once retry
            rows = await fetch('SELECT COALESCE(MAX("number"), 0) FROM "budget_request" WHERE "community_id" = ?', [community.id])
            try:
                return await BudgetRequest.create(community_id=community.id, number=int(rows[0][0]) + 1, project_id=project.id,
                                                  title=project.title[:200], person_id=by.id, amount=amount, reason=reason[:300],
                                                  created_at=self.clock())
            except IntegrityError:
                continue
        raise UserError(N_("Too many requests at the same moment: send it again."))

    async def find(self, community: Community, number: int) -> BudgetRequest:
        found = await BudgetRequest.get_or_none(community_id=community.id, number=number)
        if found is None:
            raise UserError(N_("There is no request {number}."), number=number)
        return found

    async def answer(self, request: BudgetRequest, by: Person, approve: bool) -> Answered:
        """One answer per facilitator (the unique key decides); a refusal closes the request, the n-th approval grants it
        when the budget still holds it."""
        if request.status != "pending":
            return Answered(request, "closed")
        try:
            async with in_transaction():
                await BudgetVote.create(request_id=request.id, person_id=by.id, approve=approve, at=self.clock())
        except IntegrityError:
            return Answered(request, "already")
        if not approve:
            if await BudgetRequest.filter(id=request.id, status="pending").update(status="refused", decided_at=self.clock()):
                request.status = "refused"
                return Answered(request, "refused")
            return Answered(await BudgetRequest.get(id=request.id), "closed")
        approvals = await BudgetVote.filter(request_id=request.id, approve=True).count()
        budget = await Budget.get(community_id=request.community_id)
        if approvals < budget.approvals:
            return Answered(request, "counted", approvals)
        if request.amount > budget.total - await self.granted(request.community_id):
            await BudgetVote.filter(request_id=request.id, person_id=by.id).delete()  # nothing decided: the answer can come again
            return Answered(request, "short", approvals - 1)
        if await BudgetRequest.filter(id=request.id, status="pending").update(status="approved", decided_at=self.clock()):
            request.status, request.decided_at = "approved", self.clock()
            return Answered(request, "approved", approvals)
        return Answered(await BudgetRequest.get(id=request.id), "closed")

    async def facilitators(self, community: Community) -> list[Person]:
        ids = await Membership.filter(community_id=community.id, role=Role.FACILITATOR).values_list("person_id", flat=True)
        return list(await Person.filter(id__in=list(ids)).order_by("id"))

    async def tell_facilitators(self, request: BudgetRequest, community: Community, by: Person) -> int:
        """The facilitators get the request with its two answers (the asker among them does not decide it)."""
        staff = [p for p in await self.facilitators(community) if p.id != by.id]
        budget = await Budget.get(community_id=community.id)
        left = budget.total - await self.granted(community.id)

        def build(t: Translator) -> Reply:
            shown = money(left, budget.currency, t.locale)  # (babel reads no call inside a plural's arguments)
            return (Reply().para("🪙 ", t(N_("Request {number} on the budget: {name} asks {amount} for {project}."), number=request.number,
                                         name=by.display_name or "?", amount=money(request.amount, budget.currency, t.locale),
                                         project=request.title))
                    .para(t(N_("Reason: {reason}"), reason=request.reason))
                    .para(t.n("Left in the budget: {left}; {count} approval needed.", "Left in the budget: {left}; {count} approvals needed.",
                              budget.approvals, left=shown))
                    .choice(t(N_("Approve")), f"budget approve {request.number}")
                    .choice(t(N_("Refuse")), f"budget refuse {request.number}"))
        sent = await self.notifier.enqueue(staff, f"budget:{request.id}", "budget", build, community.id, default_locale=community.locale)
        self.notifier.wake()
        return sent

    async def tell_asker(self, request: BudgetRequest, community: Community) -> int:
        asker = await Person.get_or_none(id=request.person_id) if request.person_id else None
        if asker is None:
            return 0
        budget = await Budget.get(community_id=community.id)

        def build(t: Translator) -> Reply:
            amount = money(request.amount, budget.currency, t.locale)
            text = (t(N_("Request {number} is approved: {amount} for {project}."), number=request.number, amount=amount, project=request.title)
                    if request.status == "approved" else
                    t(N_("Request {number} is refused: {amount} for {project}."), number=request.number, amount=amount, project=request.title))
            return Reply().para("🪙 ", text).choice(t(N_("See the budget")), "budget")
        sent = await self.notifier.enqueue([asker], f"budget:{request.id}:{request.status}", "budget", build, community.id,
                                           default_locale=community.locale)
        self.notifier.wake()
        return sent


def budget_reply(t: Translator, standing: Standing) -> Reply:
    """The budget as everyone sees it: total / granted / left, its rules, the ledger."""
    b = standing.budget
    reply = Reply().para("🪙 ", bold(t(N_("Contributive budget"))), " — ",
                         t(N_("{total} in all, {granted} granted, {left} left."), total=money(b.total, b.currency, t.locale),
                           granted=money(standing.granted, b.currency, t.locale), left=money(standing.left, b.currency, t.locale)))
    ceiling = money(b.ceiling, b.currency, t.locale)  # (babel reads no call inside a plural's arguments)
    reply.para(t.n("Up to {ceiling} a request, approved by {count} facilitator.", "Up to {ceiling} a request, approved by {count} facilitators.",
                   b.approvals, ceiling=ceiling))
    for r in standing.ledger:
        reply.para("• ", ledger_line(t, r, b.currency))
    if standing.count > len(standing.ledger):
        reply.para(t.n("… and {count} more.", "… and {count} more.", standing.count - len(standing.ledger)))
    return reply


def ledger_line(t: Translator, request: BudgetRequest, currency: str) -> str:
    day = request.decided_at or request.created_at
    return t(N_("{day}: {amount} to {project}, {reason}"), day=t.date(day.date(), "d MMM y"), amount=money(request.amount, currency, t.locale),
             project=request.title, reason=request.reason)


@dataclass(frozen=True)
class Figures:
    """The budget in the impact report."""

    total: int
    granted: int
    requests: int  # approved
    currency: str


async def figures(community_id: int) -> Figures | None:
    budget = await Budget.get_or_none(community_id=community_id)
    if budget is None or budget.total <= 0:
        return None
    rows = await fetch('SELECT COALESCE(SUM("amount"), 0), COUNT(*) FROM "budget_request" WHERE "community_id" = ? AND "status" = ?',
                       [community_id, "approved"])
    return Figures(budget.total, int(rows[0][0]), int(rows[0][1]), budget.currency)


def report_row(t: Translator, found: Figures) -> tuple:
    granted, total = money(found.granted, found.currency, t.locale), money(found.total, found.currency, t.locale)
    left = money(found.total - found.granted, found.currency, t.locale)  # (babel reads no call inside a plural's arguments)
    return (t(N_("Contributive budget: ")),
            t.n("{granted} granted of {total} ({count} request), {left} left.", "{granted} granted of {total} ({count} requests), {left} left.",
                found.requests, granted=granted, total=total, left=left))
