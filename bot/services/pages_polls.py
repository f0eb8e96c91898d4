"""The polls and events on a community's public pages: the open public polls with their results so far (unless hidden),
the closed ones with their results — a ranked poll's rounds, a date poll's grid under public names — unless secret or
hidden; the coming events, and every event for the calendar feeds."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Callable

from models import Community, Event, EventKind, PollKind, VotePoll

CLOSED_SHOWN = 10  # the latest closed polls on the page


@dataclass
class PollView:
    number: int
    question: str
    options: list[str]
    counts: list[int] | None  # None: hidden until the close
    voters: int
    closes_at: datetime | None
    kind: str = "single"
    closed: bool = False
    winners: list[int] = field(default_factory=list)  # option numbers
    maybe: list[int] = field(default_factory=list)  # a date poll's "if need be" per date
    irv: list[dict] = field(default_factory=list)  # a ranked poll's rounds (bot/services/votes_rounds.py)
    grid: list[tuple[str, list[str]]] = field(default_factory=list)  # a date poll: (public name, ✓ / (✓) / ✗ per date)

    @property
    def no(self) -> list[int]:
        return [max(0, self.voters - y - m) for y, m in zip(self.counts or [], self.maybe or [0] * len(self.options))]


async def poll_views(community: Community, tally: Callable | None, named: Callable | None, public_name: Callable[[str], str],
                     labels: Callable[[VotePoll], list[str]]) -> tuple[list[PollView], list[PollView]]:
    """(open, closed): never a secret poll; a hidden one only while open, without its counts."""
    shown = VotePoll.filter(community_id=community.id, secret=False)
    opened, closed = [], []
    for poll in await shown.filter(closed_at__isnull=True).order_by("number"):
        opened.append(await _view(poll, tally, named, public_name, labels))
    for poll in await shown.filter(closed_at__isnull=False, hidden=False).order_by("-closed_at").limit(CLOSED_SHOWN):
        closed.append(await _view(poll, tally, named, public_name, labels))
    return opened, closed


async def _view(poll: VotePoll, tally, named, public_name, labels) -> PollView:
    result = await tally(poll) if tally else None
    counts, voters = (list(result.counts), result.voters) if result else ([0] * len(poll.options), 0)
    view = PollView(poll.number, poll.question, labels(poll), None if poll.hidden and poll.closed_at is None else counts, voters,
                    poll.closes_at, str(poll.kind), poll.closed_at is not None)
    if result is not None and view.counts is not None:
        view.winners, view.maybe, view.irv = list(result.winners), list(result.maybe), list(result.irv)
    if poll.kind == PollKind.DATE and named is not None and view.counts is not None:
        for name, choice in await named(poll) or []:
            if isinstance(choice, dict):
                yes, maybe = set(choice.get("yes", [])), set(choice.get("maybe", []))
                view.grid.append((public_name(name), ["✓" if n in yes else "(✓)" if n in maybe else "✗"
                                                      for n in range(1, len(poll.options) + 1)]))
    return view


async def coming_events(community: Community, now: datetime) -> list[Event]:
    return await Event.filter(community_id=community.id, kind=EventKind.EVENT, cancelled=False,
                              starts_at__gte=now).order_by("starts_at", "id")


async def feed_events(community: Community, meetings_only: bool = False) -> list[Event]:
    """The calendar feed: every event (a cancelled one stays, STATUS:CANCELLED, so that subscribed calendars drop it)."""
    query = Event.filter(community_id=community.id)
    if meetings_only:  # meetings.ics, for its old subscribers: the general meetings, as before
        query = query.filter(kind=EventKind.MEETING, cancelled=False)
    return await query.order_by("starts_at", "id")
