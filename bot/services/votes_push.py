"""What a poll sends, through the outbox: the announcement to the community's rooms, a ballot to each member who
votes in private, the one nudge a day before the close, the results at the close (and a date poll for the
general meeting sets the meeting)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, time
from typing import TYPE_CHECKING, Callable
from zoneinfo import ZoneInfo

from bot.core import platforms
from bot.core.i18n import N_, Catalogs, Translator
from bot.core.replies import Reply
from bot.services.calendar import local_instant
from bot.services.events_text import when_text
from bot.services.notify import Notifier
from bot.services.votes import Count, Votes
from bot.services.votes_text import ballot_reply, in_private, poll_reply, results_reply
from models import Account, ChatBinding, Community, Event, Person, PollKind, VotePoll

if TYPE_CHECKING:
    from bot.services.meetings import Meetings

log = logging.getLogger("relais.votes")


@dataclass(frozen=True)
class BallotNotice:
    """A poll's mail, built per language, beside it what a mail shows: the subject « [Community] Poll #6: Question? —
    until 20 December », the poll's thread (its ballots, nudge and results are one thread) and the community."""

    poll: VotePoll
    tz: ZoneInfo
    build: Callable[[Translator], Reply]

    def __call__(self, t: Translator) -> Reply:
        return self.build(t)

    def beside(self, t: Translator, community: tuple[str, str]) -> dict:
        slug, name = community
        return {"subject": ballot_subject(t, self.poll, name, self.tz), "thread": f"poll.{self.poll.id}",
                "community": {"slug": slug, "name": name}}


def ballot_subject(t: Translator, poll: VotePoll, community: str, tz: ZoneInfo) -> str:
    subject = f"[{community}] " + t(N_("Poll #{number}: {question}"), number=poll.number, question=poll.question)
    if poll.closes_at is not None and poll.closed_at is None:
        subject += " — " + t(N_("until {date}"), date=t.date(poll.closes_at.astimezone(tz).date(), "long"))
    return subject


class VoteNotices:
    def __init__(self, catalogs: Catalogs, clock: Callable[[], datetime], notifier: Notifier, votes: Votes, meetings: Meetings):
        self.catalogs = catalogs
        self.clock = clock
        self.notifier = notifier
        self.votes = votes
        self.meetings = meetings

    async def announce(self, poll: VotePoll, community: Community, by: Person | None, shown_in: str = "") -> tuple[int, int]:
        """The poll to the community's rooms (but `shown_in`, where the command was typed) and a ballot to each
        elector who votes in private: everyone for a secret, hidden, ranked or date poll, otherwise those who have no
        account on a platform where the community has a room. Returns (rooms, ballots)."""
        tz = ZoneInfo(community.timezone)
        t = self.catalogs.get(community.locale)
        rooms = await self.notifier.to_rooms(community.id, f"poll{poll.id}",
                                             poll_reply(t, poll, community.slug, community.name, tz, in_group=True), exclude=shown_in)
        members = await self.votes.electors(poll)
        if not in_private(poll):
            room_platforms = set(await ChatBinding.filter(community_id=community.id, platform__in=platforms.room_platforms())
                                 .values_list("platform", flat=True))
            in_rooms = set(await Account.filter(person_id__in=[m.id for m in members], platform__in=list(room_platforms))
                           .values_list("person_id", flat=True)) if room_platforms else set()
            members = [m for m in members if m.id not in in_rooms]
        name = by.display_name if by else ""
        ballots = await self._ballots(poll, community, [m for m in members if by is None or m.id != by.id or in_private(poll)],
                                      f"ballot:{poll.id}", lambda t: ballot_reply(t, poll, community.slug, community.name, tz, name))
        return rooms, ballots

    async def _ballots(self, poll: VotePoll, community: Community, people: list[Person], key: str,
                       build: Callable[[Translator], Reply]) -> int:
        if not people:
            return 0
        sent = await self.notifier.enqueue(people, key, "ballot", BallotNotice(poll, ZoneInfo(community.timezone), build), community.id,
                                           default_locale=community.locale)
        self.notifier.wake()
        return sent

    async def ballot_to(self, poll: VotePoll, community: Community, person: Person) -> int:
        """The ballot to someone a facilitator let vote after the poll opened."""
        tz = ZoneInfo(community.timezone)
        return await self._ballots(poll, community, [person], f"ballot-added:{poll.id}",
                                   lambda t: ballot_reply(t, poll, community.slug, community.name, tz, ""))

    async def nudge(self, poll: VotePoll) -> int:
        """Once, a day before the close: a reminder with the ballot to the members who have not voted."""
        if not await self.votes.claim_nudge(poll):
            return 0
        community = await Community.get(id=poll.community_id)
        tz = ZoneInfo(community.timezone)
        late = await self.votes.not_voted(poll)
        sent = await self._ballots(poll, community, late, f"nudge:{poll.id}",
                                   lambda t: ballot_reply(t, poll, community.slug, community.name, tz, "", nudge=True))
        log.info("poll nudge", extra={"poll": poll.id, "sent": sent})
        return sent

    async def closed(self, poll: VotePoll, result: Count, shown_in: str = "", reader: Translator | None = None) -> Reply:
        """After a close: the general meeting set first when it was its date poll (the results say when), then the
        results to the rooms (the native polls stop there) and to whoever created the poll when it was created in private.
        Returns the results in the community's language (or the `reader`'s)."""
        community = await Community.get(id=poll.community_id)
        tz = ZoneInfo(community.timezone)
        t = self.catalogs.get(community.locale)
        meeting = await self._meeting_of(poll, result, community, tz)
        ballots = await self.votes.named_ballots(poll) if poll.kind == PollKind.DATE else None

        def final(t: Translator) -> Reply:
            reply = results_reply(t, poll, community.slug, community.name, tz, result, final=True, ballots=ballots)
            if meeting is not None:
                reply.para("📅 ", t(N_("The general meeting is set: {when}."), when=when_text(t, meeting, tz)), " ",
                           t(N_("The members get the invitation.")))
            return reply
        await self.notifier.to_rooms(community.id, f"results{poll.id}", final(t), exclude=shown_in)
        if poll.created_by_id and not poll.posted_in and not shown_in:
            creator = await Person.filter(id=poll.created_by_id)
            await self.notifier.enqueue(list(creator), f"results:{poll.id}", "results",
                                        BallotNotice(poll, tz, final), community.id, default_locale=community.locale)
        self.notifier.wake()
        return final(reader or t)

    async def _meeting_of(self, poll: VotePoll, result: Count, community: Community, tz: ZoneInfo) -> Event | None:
        """A date poll for the general meeting sets it at its best date (19:00 for a day without a time), with the place
        given with the poll; on the day of a meeting already set, that one changes: never a second invitation."""
        if not poll.for_meeting or not result.winners:
            return None
        best = poll.options[result.winners[0] - 1]
        when = datetime.fromisoformat(best) if "T" in best else local_instant(datetime.fromisoformat(best).date(), time(19, 0), tz)
        if when <= self.clock():
            return None
        creator = await Person.get_or_none(id=poll.created_by_id) if poll.created_by_id else None
        meeting, _ = await self.meetings.set(community, when, poll.place, creator)
        return meeting

    async def run_due(self) -> tuple[int, int]:
        """The scheduler's round: close what is due (results announced), nudge what closes within a day."""
        closed = nudged = 0
        for poll in await self.votes.due_to_close():
            result = await self.votes.close(poll)
            if result is not None:
                await self.closed(poll, result)
                closed += 1
        for poll in await self.votes.due_to_nudge():
            nudged += await self.nudge(poll)
        return closed, nudged
