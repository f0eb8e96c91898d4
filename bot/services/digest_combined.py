"""One mail across communities: which of a person's communities put their digest in it, which community's run sends it
(the earliest schedule in the person's week), and its other communities' parts, built at that run's due time.

Each part keeps its own delivery row (person, community, week of that community's next due), claimed before the send
like the lead's: a part goes once, and its `period_end` is where that community's next part starts."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.core.sql import fetch
from bot.services import digest as d
from bot.services.calendar import local_instant, next_due, week_key
from models import Community

# A person's communities with their digest on (the same rule as the recipients' query), their choice of mail, and what
# orders their communities: the projects they follow in each, then the role, then the older membership.
MEMBERSHIPS_SQL = """SELECT m.person_id, m.community_id, m.role, s.enabled, dm.separate,
 (SELECT COUNT(*) FROM follow f JOIN project p ON p.id = f.project_id WHERE f.person_id = m.person_id
  AND p.community_id = m.community_id)
FROM membership m
LEFT JOIN digest_subscription s ON s.person_id = m.person_id AND s.community_id = m.community_id
LEFT JOIN digest_mode dm ON dm.person_id = m.person_id
WHERE m.person_id IN ({ids}) ORDER BY m.person_id, m.joined_at, m.id"""


@dataclass
class Part:
    """Another community's part of a person's mail: its delivery row is (person, community, week)."""

    community: Community
    week: str
    digest: d.Digest


@dataclass
class Combined:
    """One mail for a person's communities: the lead's digest and the others', in the person's order of activity."""

    recipient: d.Recipient
    lead_id: int
    lead: d.Digest
    parts: list[Part]  # the other communities (all of them, for their delivery rows)
    order: list[int] = field(default_factory=list)  # community ids, the person's order of activity

    @property
    def digests(self) -> list[d.Digest]:
        """The parts shown, in the person's order: a community with nothing new this week adds nothing."""
        rank = {cid: n for n, cid in enumerate(self.order)}
        every = [(self.lead_id, self.lead), *((p.community.id, p.digest) for p in self.parts)]
        return [dg for cid, dg in sorted(every, key=lambda x: rank.get(x[0], len(rank))) if dg.has_news]

    @property
    def has_news(self) -> bool:
        return self.lead.has_news or any(p.digest.has_news for p in self.parts)

    @property
    def start(self) -> date:
        return min(dg.start for dg in self.digests or [self.lead])

    @property
    def end(self) -> date:
        return max(dg.end for dg in self.digests or [self.lead])


@dataclass
class Plan:
    """A chunk of one community's recipients: who gets the one mail from this run (their other communities, in order),
    and who gets it from another community's run (nothing to claim here)."""

    combined: dict[int, list[Community]] = field(default_factory=dict)  # person → the other communities of their mail
    order: dict[int, list[int]] = field(default_factory=dict)  # person → all their communities, in order of activity
    elsewhere: set[int] = field(default_factory=set)


def week_offset(schedule: tuple[int, time], community_tz: ZoneInfo, person_tz: ZoneInfo, around: datetime) -> int:
    """Where a community's weekly due time falls in the person's week (minutes from their Monday 00:00)."""
    weekday, at = schedule
    local = around.astimezone(community_tz).date()
    due = local_instant(local - timedelta(days=local.weekday()) + timedelta(days=weekday), at, community_tz).astimezone(person_tz)
    return due.weekday() * 1440 + due.hour * 60 + due.minute


def part_week(due: datetime, schedule: tuple[int, time], tz: ZoneInfo) -> str:
    """The week of the community's own digest the part stands for: its first due time at or after the mail's."""
    weekday, at = schedule
    return week_key(next_due(due - timedelta(microseconds=1), weekday, at, tz).astimezone(tz).date())


class Planner:
    """One run's view of its recipients' other communities (their schedules and data are read once a run)."""

    def __init__(self, digests: d.Digests, community: Community, due: datetime, today: date, exact: bool = False):
        self.digests = digests
        self.community = community
        self.due = due
        self.today = today
        self.exact = exact
        self._communities: dict[int, Community] = {community.id: community}
        self._schedules: dict[int, tuple[int, time]] = {}
        self._editions: dict[int, d.Editions] = {}

    async def _community(self, cid: int) -> Community:
        if cid not in self._communities:
            self._communities[cid] = await Community.get(id=cid)
        community = self._communities[cid]
        if cid not in self._schedules:
            self._schedules[cid] = await self.digests.schedules.of(community)
        return community

    async def plan(self, people: list[d.Recipient]) -> Plan:
        plan = Plan()
        if not people:
            return plan
        theirs: dict[int, list[tuple[int, int, int]]] = {}
        separate: set[int] = set()
        rows = await fetch(MEMBERSHIPS_SQL.format(ids=",".join("?" * len(people))), [r.person_id for r in people])
        for pid, cid, role, enabled, apart, follows in rows:
            if apart:
                separate.add(pid)
            if d.wants_digest(role, enabled):
                theirs.setdefault(pid, []).append((int(cid), int(follows), int(role)))
        for r in people:
            mine = theirs.get(r.person_id, [])
            if r.person_id in separate or len(mine) < 2:
                continue
            # Stable: the most followed projects first, then the higher role, then the older membership (the query's order).
            order = [cid for cid, _, _ in sorted(mine, key=lambda x: (-x[1], -x[2]))]
            communities = [await self._community(cid) for cid in order]
            zone = d._zone(r.timezone) if r.timezone else None
            person_tz = zone or ZoneInfo(min(communities, key=lambda c: c.id).timezone)
            lead = min(communities, key=lambda c: (week_offset(self._schedules[c.id], ZoneInfo(c.timezone), person_tz, self.due),
                                                   order.index(c.id)))
            if lead.id != self.community.id:
                plan.elsewhere.add(r.person_id)
            else:
                plan.combined[r.person_id] = [c for c in communities if c.id != self.community.id]
                plan.order[r.person_id] = order
        return plan

    def week_of(self, community: Community) -> str:
        return part_week(self.due, self._schedules[community.id], ZoneInfo(community.timezone))

    def editions_of(self, community: Community) -> d.Editions:
        made = self._editions.get(community.id)
        if made is None:
            tz = ZoneInfo(community.timezone)
            made = self._editions[community.id] = d.Editions(self.digests, community, self.week_of(community), self.due,
                                                                 self.due.astimezone(tz).date(), self.exact)
        return made

    async def parts(self, community: Community, people: list[d.Recipient]) -> dict[int, Part]:
        """This community's part of each person's mail (their follows and period there), by person."""
        if not people:
            return {}
        editions = self.editions_of(community)
        copies = {r.person_id: d.Recipient(r.person_id, r.name, r.locale, r.address, account_id=r.account_id,
                                           timezone=r.timezone) for r in people}
        await self.digests.add_follows(community, copies)
        await self.digests.periods(community, editions.key, editions.usual.end, list(copies.values()))
        return {pid: Part(community, editions.key, await editions.assemble(copy)) for pid, copy in copies.items()}
