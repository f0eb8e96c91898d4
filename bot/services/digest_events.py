"""The digest's "events" section (the coming month's events, each with its place, who comes and "I'm coming" links, the
reader's followed projects first) and its "results" section (the polls closed this week with their results: a ranked
poll's rounds, a date poll's yes / if need be / no)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.core.i18n import N_
from bot.core.sql import fetch
from bot.services.digest import Provider, Recipient, Section, Week, n
from bot.services.votes_count import Count
from models import Event, EventKind, PollKind, VotePoll

AHEAD = timedelta(days=31)  # the events the digest shows: those of the coming month


@dataclass
class ComingEvent:
    id: int
    title: str
    project_id: int | None
    project: str
    starts: datetime  # in the community's time zone
    place: str
    capacity: int | None
    coming: int
    is_new: bool

    @property
    def full(self) -> bool:
        return self.capacity is not None and self.coming >= self.capacity


class ComingEvents:
    key = "events"

    async def prepare(self, week: Week, shared: dict) -> list[ComingEvent]:
        tz = ZoneInfo(week.community.timezone)
        found = await Event.filter(community_id=week.community.id, kind=EventKind.EVENT, cancelled=False,
                                   starts_at__gte=week.sent_at, starts_at__lt=week.sent_at + AHEAD).order_by("starts_at", "id")
        if not found:
            return []
        ids = [e.id for e in found]
        marks = ", ".join("?" for _ in ids)
        coming = dict(await fetch(f'SELECT "event_id", COUNT(*) FROM "event_answer" WHERE "event_id" IN ({marks}) '
                                  'AND "status" = \'coming\' GROUP BY "event_id"', ids))
        titles = dict(await fetch('SELECT "id", "title" FROM "project" WHERE "community_id" = ?', [week.community.id]))
        return [ComingEvent(e.id, e.title, e.project_id, str(titles.get(e.project_id, "")) if e.project_id else "",
                            e.starts_at.astimezone(tz), e.place, e.capacity, int(coming.get(e.id, 0)), week.within(e.created_at))
                for e in found]

    def section(self, state: list[ComingEvent], r: Recipient) -> Section | None:
        if not state:
            return None
        shown = sorted(state, key=lambda e: (e.project_id not in r.follows, e.starts))  # the reader's projects first
        return Section(self.key, N_("Coming events"), any(e.is_new for e in state), shown, "events",
                       highlights=n("{count} new event", "{count} new events", sum(e.is_new for e in state)))


@dataclass
class ClosedPoll:
    number: int
    question: str
    kind: str
    options: list[str]  # labels (a date poll's dates in the community's time)
    voters: int
    counts: list[int]
    maybe: list[int] = field(default_factory=list)
    winners: list[int] = field(default_factory=list)
    irv: list[dict] = field(default_factory=list)

    @property
    def no(self) -> list[int]:
        return [max(0, self.voters - y - m) for y, m in zip(self.counts, self.maybe or [0] * len(self.counts))]

    @property
    def won(self) -> str:
        return ", ".join(self.options[w - 1] for w in self.winners)


class PollResults:
    key = "results"

    async def prepare(self, week: Week, shared: dict) -> list[ClosedPoll]:
        tz = ZoneInfo(week.community.timezone)
        polls = await VotePoll.filter(community_id=week.community.id, closed_at__gte=week.start, closed_at__lt=week.end).order_by("number")
        out = []
        for p in polls:
            if p.results is None:
                continue
            result = Count.from_json(p.results)
            options = [str(o) for o in p.options]
            if p.kind == PollKind.DATE:
                options = [(datetime.fromisoformat(o).astimezone(tz).strftime("%Y-%m-%d %H:%M") if "T" in o else o) for o in options]
            out.append(ClosedPoll(p.number, p.question, str(p.kind), options, result.voters, result.counts, result.maybe,
                                  result.winners, result.irv))
        return out

    def section(self, state: list[ClosedPoll], r: Recipient) -> Section | None:
        if not state:
            return None
        return Section(self.key, N_("Results of the week's polls"), True, state, "results",
                       highlights=n("{count} poll closed", "{count} polls closed", len(state)))


def with_events(providers: list[Provider]) -> list[Provider]:
    """The digest's sections with the results and the coming events right after the votes and the meeting."""
    out = list(providers)
    keys = [p.key for p in out]
    at = keys.index("votes") + 1 if "votes" in keys else len(out)
    return [*out[:at], PollResults(), ComingEvents(), *out[at:]]
