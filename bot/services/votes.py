"""Votes: polls numbered per community, one ballot per person whatever the platform, the count (single, approval,
instant-runoff, date), the close, the nudge before it; secret polls keep ballots under a pseudonym."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Callable

from pyrankvote import Ballot as RankedBallot
from pyrankvote import Candidate, instant_runoff_voting
from tortoise import connections
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from bot.core.errors import UserError
from bot.core.i18n import N_
from bot.core.sql import fetch, sql_for
from bot.services import search_index
from models import Ballot, Community, Membership, Person, PollKind, PollVoter, Role, VotePoll

log = logging.getLogger("relais.votes")

MIN_OPTIONS, MAX_OPTIONS = 2, 20
QUESTION_MAX, OPTION_MAX = 300, 100
NUDGE_BEFORE = timedelta(hours=24)

UPSERT_BALLOT = ('INSERT INTO "ballot" ("poll_id", "voter", "choice", "cast_at") VALUES (?, ?, ?::json, ?) '
                 'ON CONFLICT ("poll_id", "voter") DO UPDATE SET "choice" = excluded."choice", "cast_at" = excluded."cast_at"')
UPSERT_VOTER = ('INSERT INTO "poll_voter" ("poll_id", "person_id", "platform", "at") VALUES (?, ?, ?, ?) '
                'ON CONFLICT ("poll_id", "person_id") DO UPDATE SET "platform" = excluded."platform", "at" = excluded."at"')


@dataclass
class Count:
    """A poll's result: per option, the count (single, multiple: ballots naming it; ranked: first preferences;
    date: yes answers) and for a date poll the "if need be" answers; the winner(s) as option numbers."""

    voters: int
    counts: list[int]
    maybe: list[int] = field(default_factory=list)
    winners: list[int] = field(default_factory=list)
    rounds: int = 0  # instant-runoff rounds

    def to_json(self) -> dict:
        return {"voters": self.voters, "counts": self.counts, "maybe": self.maybe, "winners": self.winners, "rounds": self.rounds}

    @classmethod
    def from_json(cls, data: dict) -> Count:
        return cls(data["voters"], list(data["counts"]), list(data.get("maybe", [])), list(data.get("winners", [])),
                   int(data.get("rounds", 0)))


def count(kind: str, options: int, choices: list) -> Count:
    """The count of ballots (each the JSON `choice`); exactly what a close keeps."""
    counts = [0] * options
    if kind == PollKind.DATE:
        maybe = [0] * options
        for choice in choices:
            for n in choice.get("yes", []):
                counts[n - 1] += 1
            for n in choice.get("maybe", []):
                maybe[n - 1] += 1
        best = max(((counts[i], maybe[i]) for i in range(options)), default=(0, 0))
        winners = [i + 1 for i in range(options) if (counts[i], maybe[i]) == best and best != (0, 0)]
        return Count(len(choices), counts, maybe, winners)
    for choice in choices:
        for n in (choice[:1] if kind == PollKind.RANKED else choice):
            counts[n - 1] += 1
    if kind == PollKind.RANKED and choices:
        candidates = [Candidate(str(i + 1)) for i in range(options)]
        result = instant_runoff_voting(candidates, [RankedBallot(ranked_candidates=[candidates[n - 1] for n in c]) for c in choices if c])
        winners = [int(c.name) for c in result.get_winners()]
        return Count(len(choices), counts, winners=winners, rounds=len(result.rounds))
    top = max(counts, default=0)
    return Count(len(choices), counts, winners=[i + 1 for i, c in enumerate(counts) if c == top and top > 0])


def read_ballot(kind: str, options: int, words: list[str]) -> list[int] | dict:
    """The option numbers of a ballot, checked: `2 1 3` (ranked: in order), a date poll `1 3 maybe 2`. Raises a
    UserError saying what is wrong; nothing is stored then."""
    yes: list[int] = []
    maybe: list[int] = []
    target = yes
    for word in words:
        for part in word.replace(",", " ").replace(";", " ").split():
            if part.lower() in ("maybe", "peut-être", "peut-etre", "pe", "?"):
                if kind != PollKind.DATE:
                    raise UserError(N_("“maybe” is for date polls only."))
                target = maybe
                continue
            if not part.isdigit():
                raise UserError(N_("“{value}” is not an option number."), value=part[:20])
            n = int(part)
            if not 1 <= n <= options:
                raise UserError(N_("There is no option {number}: the options go from 1 to {last}."), number=n, last=options)
            if n in yes or n in maybe:
                if kind == PollKind.RANKED:
                    raise UserError(N_("Option {number} is ranked twice: give each option once, in order of preference."), number=n)
                continue
            target.append(n)
    if not yes and not maybe:
        raise UserError(N_("Give at least one option number."))
    if kind == PollKind.SINGLE and len(yes) > 1:
        raise UserError(N_("This poll takes one option: choose one number."))
    if kind == PollKind.DATE:
        return {"yes": yes, "maybe": maybe}
    return yes


class Votes:
    def __init__(self, clock: Callable[[], datetime]):
        self.clock = clock

    # -- polls --------------------------------------------------------------------------------------------

    async def create(self, community: Community, by: Person | None, question: str, options: list[str], kind: str,
                     secret: bool = False, hidden: bool = False, closes_at: datetime | None = None, posted_in: str = "",
                     for_meeting: bool = False) -> VotePoll:
        check_poll(question, options, closes_at, self.clock())
        for _ in range(5):  # two polls created at once take the next numbers, not the same one
            try:
                async with in_transaction():
                    last = await fetch('SELECT MAX("number") FROM "vote_poll" WHERE "community_id" = ?', [community.id])
                    number = int(last[0][0] or 0) + 1
                    poll = await VotePoll.create(
                        community_id=community.id, number=number, question=question, kind=PollKind(kind), options=options,
                        secret=secret, hidden=hidden, salt=secrets.token_hex(16) if secret else "", for_meeting=for_meeting,
                        created_by_id=by.id if by else None, posted_in=posted_in[:340], created_at=self.clock(),
                        closes_at=closes_at)
                    await search_index.refresh("poll", poll.id)  # the question and options; results once closed
                    return poll
            except IntegrityError:
                continue
        raise UserError(N_("Too many polls created at once; try again."))

    async def find(self, community: Community | None, ref: str, person: Person) -> VotePoll:
        """A poll by its reference: `3`, `#3`, or `usine-vivante#3` (a community the person belongs to)."""
        slug, _, number = ref.strip().rpartition("#")
        if not number.isdigit():
            raise UserError(N_("“{value}” is not a poll: give its number, like #3 (type /polls to see them)."), value=ref[:40])
        if slug and (community is None or slug != community.slug):
            other = await Community.get_or_none(slug=slug)
            if other is None or not await Membership.exists(community_id=other.id, person_id=person.id):
                raise UserError(N_("There is no poll {ref}."), ref=ref[:60])
            community = other
        if community is None:
            raise UserError(N_("You are not in any community yet. Type /join <community> to join one."))
        poll = await VotePoll.get_or_none(community_id=community.id, number=int(number))
        if poll is None:
            raise UserError(N_("There is no poll {ref}."), ref=ref[:60])
        return poll

    async def open_polls(self, community: Community) -> list[VotePoll]:
        return await VotePoll.filter(community_id=community.id, closed_at__isnull=True).order_by("number")

    # -- ballots ------------------------------------------------------------------------------------------

    def voter_key(self, poll: VotePoll, person_id: int) -> str:
        if poll.secret:
            return hmac.new(poll.salt.encode(), str(person_id).encode(), hashlib.sha256).hexdigest()[:40]
        return f"p{person_id}"

    async def vote(self, poll: VotePoll, person: Person, choice: list[int] | dict, platform: str) -> bool:
        """Cast or replace the person's ballot; True when it replaced an earlier one. Under the poll row's share
        lock (PostgreSQL): a close waits for the ballots being cast and counts each exactly once."""
        conn = connections.get("default")
        postgres = conn.capabilities.dialect == "postgres"
        now = self.clock()
        async with in_transaction() as tx:
            lock = ' FOR SHARE' if postgres else ''
            _, rows = await tx.execute_query(sql_for(f'SELECT "closed_at", "salt" FROM "vote_poll" WHERE "id" = ?{lock}',
                                                     conn.capabilities.dialect), [poll.id])
            row = dict(rows[0]) if rows else None
            if row is None or row["closed_at"] is not None:
                raise UserError(N_("Poll #{number} is closed: votes are no longer taken."), number=poll.number)
            poll.salt = row["salt"]
            voter = self.voter_key(poll, person.id)
            dialect = conn.capabilities.dialect
            _, before = await tx.execute_query(sql_for('SELECT 1 FROM "poll_voter" WHERE "poll_id" = ? AND "person_id" = ?', dialect),
                                               [poll.id, person.id])
            # A secret ballot carries the poll's creation time, not its own: its time would tell whose it is.
            await tx.execute_query(sql_for(UPSERT_BALLOT, dialect), [poll.id, voter, json.dumps(choice), poll.created_at if poll.secret else now])
            await tx.execute_query(sql_for(UPSERT_VOTER, dialect), [poll.id, person.id, platform[:16], now])
        return bool(before)

    async def clear(self, poll: VotePoll, person: Person) -> bool:
        if poll.closed_at is not None:
            raise UserError(N_("Poll #{number} is closed: votes are no longer taken."), number=poll.number)
        async with in_transaction() as tx:
            removed = await Ballot.filter(poll_id=poll.id, voter=self.voter_key(poll, person.id)).using_db(tx).delete()
            await PollVoter.filter(poll_id=poll.id, person_id=person.id).using_db(tx).delete()
        return removed > 0

    async def ballot_of(self, poll: VotePoll, person: Person) -> list[int] | dict | None:
        if poll.closed_at is not None and poll.secret:
            return None  # the pseudonym key is gone: nobody can find it any more
        rows = await fetch('SELECT "choice" FROM "ballot" WHERE "poll_id" = ? AND "voter" = ?', [poll.id, self.voter_key(poll, person.id)])
        if not rows:
            return None
        value = rows[0][0]
        return json.loads(value) if isinstance(value, str) else value

    async def tally(self, poll: VotePoll) -> Count:
        if poll.results is not None:
            return Count.from_json(poll.results)
        rows = await fetch('SELECT "choice" FROM "ballot" WHERE "poll_id" = ?', [poll.id])
        return count(poll.kind, len(poll.options), [json.loads(r[0]) if isinstance(r[0], str) else r[0] for r in rows])

    async def voters(self, poll: VotePoll) -> int:
        rows = await fetch('SELECT COUNT(*) FROM "poll_voter" WHERE "poll_id" = ?', [poll.id])
        return int(rows[0][0])

    async def members(self, community_id: int) -> list[Person]:
        """Who votes: the members (observers included: they vote from the digest), not those who left."""
        ids = await Membership.filter(community_id=community_id, role__gte=Role.OBSERVER).values_list("person_id", flat=True)
        return await Person.filter(id__in=list(ids)).order_by("id")

    async def not_voted(self, poll: VotePoll) -> list[Person]:
        voted = set(await PollVoter.filter(poll_id=poll.id).values_list("person_id", flat=True))
        return [p for p in await self.members(poll.community_id) if p.id not in voted]

    # -- the close ----------------------------------------------------------------------------------------

    async def close(self, poll: VotePoll) -> Count | None:
        """Close the poll once (None when it was closed already, by someone else or the scheduler): the count is
        kept, a secret poll's pseudonym key is erased."""
        async with in_transaction() as tx:
            claimed = await VotePoll.filter(id=poll.id, closed_at__isnull=True).using_db(tx).update(closed_at=self.clock(), salt="")
            if not claimed:
                return None
            rows = await tx.execute_query_dict(sql_for('SELECT "choice" FROM "ballot" WHERE "poll_id" = ?', tx.capabilities.dialect), [poll.id])
            result = count(poll.kind, len(poll.options), [json.loads(r["choice"]) if isinstance(r["choice"], str) else r["choice"] for r in rows])
            await VotePoll.filter(id=poll.id).using_db(tx).update(results=result.to_json())
        poll.closed_at, poll.salt, poll.results = self.clock(), "", result.to_json()
        await search_index.refresh("poll", poll.id)
        log.info("poll closed", extra={"poll": poll.id, "voters": result.voters})
        return result

    async def due_to_close(self) -> list[VotePoll]:
        return await VotePoll.filter(closed_at__isnull=True, closes_at__lte=self.clock()).order_by("id")

    async def due_to_nudge(self) -> list[VotePoll]:
        now = self.clock()
        return await VotePoll.filter(closed_at__isnull=True, nudged_at__isnull=True, closes_at__gt=now,
                                     closes_at__lte=now + NUDGE_BEFORE).order_by("id")

    async def claim_nudge(self, poll: VotePoll) -> bool:
        return bool(await VotePoll.filter(id=poll.id, nudged_at__isnull=True).update(nudged_at=self.clock()))


def check_poll(question: str, options: list[str], closes_at: datetime | None, now: datetime) -> None:
    if not question.strip():
        raise UserError(N_("Give the poll's question, in quotes: /poll \"Which name?\" \"Relais\" \"Passerelle\"."))
    if len(question) > QUESTION_MAX:
        raise UserError(N_("The question is {length} characters long; {limit} at most."), length=len(question), limit=QUESTION_MAX)
    if len(options) < MIN_OPTIONS:
        raise UserError(N_("A poll needs at least {count} options, each in quotes."), count=MIN_OPTIONS)
    if len(options) > MAX_OPTIONS:
        raise UserError(N_("A poll takes {count} options at most."), count=MAX_OPTIONS)
    for option in options:
        if not option.strip():
            raise UserError(N_("An option is empty."))
        if len(option) > OPTION_MAX:
            raise UserError(N_("An option is {length} characters long; {limit} at most."), length=len(option), limit=OPTION_MAX)
    if len({o.strip().lower() for o in options}) != len(options):
        raise UserError(N_("Two options are the same."))
    if closes_at is not None and closes_at <= now:
        raise UserError(N_("The closing date is in the past; give a date from today on."))
