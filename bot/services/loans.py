"""Loans repaid on a schedule: a loan campaign's monthly instalments, the referents reminded a few days before each one
(once, across processes), their confirmations (and undo), « 4 / 24 instalments repaid », the late ones for the agenda."""

from __future__ import annotations

import calendar
import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Callable
from zoneinfo import ZoneInfo

from tortoise.exceptions import IntegrityError

from bot.core.errors import UserError
from bot.core.i18n import N_, Catalogs, Translator
from bot.core.replies import Reply, bold
from bot.core.sql import fetch
from bot.services.notify import Notifier
from bot.services.pledges import Pledges, money
from bot.services.projects import Projects
from models import Campaign, CampaignKind, Community, LoanSchedule, Person, Project

log = logging.getLogger("relais.loans")

MAX_INSTALMENTS = 600  # fifty years of monthly instalments
LEAD = timedelta(days=3)  # the referents are reminded this long before an instalment is due
LATE = timedelta(days=3)  # an instalment due this long ago and not confirmed is late (the facilitators' agenda says so)
SPAN = timedelta(days=5 * 366)  # how far from today a schedule may start, either way


def due_on(start: date, index: int) -> date:
    """The day instalment `index` (from 0) is due: the start's day of the month, the month's last day when shorter."""
    month = start.month - 1 + index
    year, month = start.year + month // 12, month % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def late_count(schedule: LoanSchedule, today: date) -> int:
    """How many instalments are due for more than LATE and not confirmed."""
    due = 0
    while due < schedule.count and due_on(schedule.starts_on, due) + LATE < today:
        due += 1
    return max(0, due - schedule.paid)


@dataclass(frozen=True)
class LateLoan:
    slug: str
    project: str
    late: int
    since: date  # the first late instalment's day


class Loans:
    def __init__(self, catalogs: Catalogs, clock: Callable[[], datetime], notifier: Notifier, pledges: Pledges, projects: Projects):
        self.catalogs = catalogs
        self.clock = clock
        self.notifier = notifier
        self.pledges = pledges
        self.projects = projects

    async def loan_of(self, project: Project) -> Campaign:
        """The project's loan campaign: its running one, else its latest (repayments come after the close)."""
        found = await self.pledges.running(project) or await self.pledges.latest(project)
        if found is None or found.kind != CampaignKind.LOAN:
            raise UserError(N_("{project} has no loan campaign: a repayment schedule belongs to a loan."), project=project.title)
        return found

    async def of(self, campaign: Campaign) -> LoanSchedule | None:
        return await LoanSchedule.get_or_none(campaign_id=campaign.id)

    async def plan(self, campaign: Campaign, by: Person, amount: int, count: int, starts_on: date, today: date) -> LoanSchedule:
        """Set the schedule, or replace it while no instalment is confirmed."""
        if not 1 <= count <= MAX_INSTALMENTS:
            raise UserError(N_("Give between 1 and {max} monthly instalments."), max=MAX_INSTALMENTS)
        if abs(starts_on - today) > SPAN:
            raise UserError(N_("The date {when} is more than five years away."), when=starts_on.isoformat())
        found = await self.of(campaign)
        if found is not None:
            if found.paid:
                raise UserError(N_("The schedule has instalments confirmed already: it stays as it is."))
            # Instalments due before the change count as reminded: the new plan reminds from its next one.
            await LoanSchedule.filter(id=found.id, paid=0).update(amount=amount, count=count, starts_on=starts_on,
                                                                 reminded=_passed(starts_on, count, today))
            return await LoanSchedule.get(id=found.id)
        try:
            return await LoanSchedule.create(campaign_id=campaign.id, amount=amount, count=count, starts_on=starts_on,
                                             reminded=_passed(starts_on, count, today), created_by_id=by.id, created_at=self.clock())
        except IntegrityError:  # set by another referent at the same moment
            raise UserError(N_("The schedule was just set by someone else: look at the campaign.")) from None

    async def confirm(self, schedule: LoanSchedule) -> bool:
        """The next instalment repaid; False when all are (or another confirmation took it at the same moment)."""
        if schedule.paid >= schedule.count:
            return False
        if not await LoanSchedule.filter(id=schedule.id, paid=schedule.paid).update(paid=schedule.paid + 1, paid_at=self.clock()):
            return False
        schedule.paid += 1
        return True

    async def undo(self, schedule: LoanSchedule) -> bool:
        if schedule.paid <= 0 or not await LoanSchedule.filter(id=schedule.id, paid=schedule.paid).update(paid=schedule.paid - 1):
            return False
        schedule.paid -= 1
        return True

    async def remind_due(self) -> int:
        """Each schedule whose next instalment is LEAD away or nearer: its referents are reminded, once per instalment
        (the conditional update claims it, the outbox key makes a second try a no-op)."""
        sent = 0
        for schedule in await LoanSchedule.filter(reminded__lt=MAX_INSTALMENTS):
            if schedule.reminded >= schedule.count:
                continue
            campaign = await Campaign.get(id=schedule.campaign_id)
            project = await Project.get(id=campaign.project_id)
            community = await Community.get(id=project.community_id)
            today = self.clock().astimezone(ZoneInfo(community.timezone)).date()
            last = schedule.reminded - 1
            while last + 1 < schedule.count and due_on(schedule.starts_on, last + 1) - LEAD <= today:
                last += 1
            if last < schedule.reminded:
                continue
            if not await LoanSchedule.filter(id=schedule.id, reminded=schedule.reminded).update(reminded=last + 1):
                continue  # another process reminds it
            day = due_on(schedule.starts_on, last)
            if day < today or schedule.paid > last:
                continue  # long past (the agenda flags it) or confirmed ahead
            referents = await self.projects.referents(project)
            build = reminder(project, campaign, schedule, last, day)
            sent += await self.notifier.enqueue(referents, f"loan:{schedule.id}:{last}", "campaign", build, community.id,
                                                default_locale=community.locale)
        if sent:
            self.notifier.wake()
            log.info("loan instalments reminded", extra={"sent": sent})
        return sent


def _passed(starts_on: date, count: int, today: date) -> int:
    """The instalments whose reminder time is behind at the schedule's start: not reminded, their day is gone."""
    index = 0
    while index < count and due_on(starts_on, index) < today:
        index += 1
    return index


def reminder(project: Project, campaign: Campaign, schedule: LoanSchedule, index: int, day: date) -> Callable[[Translator], Reply]:
    def build(t: Translator) -> Reply:
        return (Reply().para("📅 ", t(N_("{project}: instalment {number} of {count} ({amount}) is due on {date}."), project=project.title,
                                     number=index + 1, count=schedule.count, amount=money(schedule.amount, campaign.currency, t.locale),
                                     date=t.date(day, "d MMM y")))
                .para(t(N_("Once it is paid to the lenders, confirm it: /repaid {slug}."), slug=project.slug))
                .choice(t(N_("It is repaid")), f"repaid {project.slug}")
                .choice(t(N_("See the campaign")), f"campaign {project.slug}"))
    return build


def schedule_line(t: Translator, schedule: LoanSchedule, currency: str, today: date) -> Reply:
    """« 4 / 24 instalments repaid », the next one, the late ones."""
    reply = Reply().para("📅 ", bold(t.n("{paid} / {count} instalment repaid", "{paid} / {count} instalments repaid", schedule.count,
                                         paid=schedule.paid)),
                         " — ", t(N_("{amount} a month from {date}"), amount=money(schedule.amount, currency, t.locale),
                                  date=t.date(schedule.starts_on, "d MMM y")))
    if schedule.paid < schedule.count:
        late = late_count(schedule, today)
        if late:
            reply.para("⚠️ ", t.n("{count} instalment late.", "{count} instalments late.", late))
        else:
            reply.para(t(N_("Next instalment: {date}."), date=t.date(due_on(schedule.starts_on, schedule.paid), "d MMM y")))
    return reply


async def late_loans(community_ids: list[int], today: dict[int, date]) -> dict[int, list[LateLoan]]:
    """Every community's loans with instalments late, for the facilitators' agenda (a few queries for the whole set)."""
    out: dict[int, list[LateLoan]] = defaultdict(list)
    for i in range(0, len(community_ids), 500):
        chunk = community_ids[i:i + 500]
        rows = await fetch(f'SELECT p."community_id", p."slug", p."title", s."starts_on", s."count", s."paid" FROM "loan_schedule" s '
                           f'JOIN "campaign" c ON c."id" = s."campaign_id" JOIN "project" p ON p."id" = c."project_id" '
                           f'WHERE p."community_id" IN ({",".join("?" * len(chunk))}) AND s."paid" < s."count" ORDER BY p."title"', chunk)
        for cid, slug, title, starts, count, paid in rows:
            schedule = LoanSchedule(starts_on=date.fromisoformat(str(starts)[:10]), count=int(count), paid=int(paid))
            late = late_count(schedule, today.get(int(cid), date.min))
            if late:
                out[int(cid)].append(LateLoan(str(slug), str(title), late, due_on(schedule.starts_on, schedule.paid)))
    return out


def late_lines(t: Translator, found: list[LateLoan], reply: Reply) -> None:
    """The agenda's lines of late instalments, each with the campaign at hand."""
    if not found:
        return
    reply.items([(bold(x.project), " — ", t.n("{count} instalment late", "{count} instalments late", x.late), " · ",
                  t(N_("due since {date}"), date=t.date(x.since, "medium"))) for x in found[:8]],
                title=t(N_("Loan repayments late (not confirmed by the referents):")))
    for x in found[:3]:
        reply.choice(t(N_("Campaign of {project}"), project=x.project)[:60], f"campaign {x.slug}")
