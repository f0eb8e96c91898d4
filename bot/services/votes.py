"""Votes: polls numbered per community, one ballot per elector whatever the platform, the close and its count
(votes_count.py), the nudge before it; secret polls keep their ballots in a box (votes_secret.py)."""

from __future__ import annotations

import json
import logging
import uuid
from datetime import datetime, time, timedelta, timezone
from typing import Callable
from zoneinfo import ZoneInfo

from tortoise import connections
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from bot.core.errors import UserError
from bot.core.i18n import N_
from bot.core.numbers import read_number
from bot.core.sql import fetch, sql_for
from bot.services import search_index, votes_electors, votes_secret
from bot.services.ballot_drafts import Drafts
from bot.services.numbering import community_named
from bot.services.votes_count import Count, count, read_ballot  # noqa: F401  (read_ballot: the handlers read it here)
from bot.services.votes_secret import BallotKeys, legacy_key
from models import Ballot, BallotBox, Community, Person, PollKind, PollVoter, VotePoll

log = logging.getLogger("relais.votes")

MIN_OPTIONS, MAX_OPTIONS = 2, 20
QUESTION_MAX, OPTION_MAX = 300, 100
NUDGE_BEFORE = timedelta(hours=24)

UPSERT_BALLOT = ('INSERT INTO "ballot" ("id", "poll_id", "voter", "choice", "cast_at") VALUES (?, ?, ?, ?::json, ?) '
                 'ON CONFLICT ("poll_id", "voter") DO UPDATE SET "choice" = excluded."choice", "cast_at" = excluded."cast_at"')
UPSERT_VOTER = ('INSERT INTO "poll_voter" ("poll_id", "person_id", "platform", "at") VALUES (?, ?, ?, ?) '
                'ON CONFLICT ("poll_id", "person_id") DO UPDATE SET "platform" = excluded."platform", "at" = excluded."at"')


class Votes:
    def __init__(self, clock: Callable[[], datetime], secret_key: str = ""):
        self.clock = clock
        self.keys = BallotKeys(secret_key)  # only the configured RELAIS_SECRET_KEY: never one kept in the database
        self.drafts = Drafts()  # secret ballots filled in one option at a time: in memory only

    # -- polls --------------------------------------------------------------------------------------------

    async def create(self, community: Community, by: Person | None, question: str, options: list[str], kind: str,
                     secret: bool = False, hidden: bool = False, closes_at: datetime | None = None, posted_in: str = "",
                     for_meeting: bool = False, place: str = "") -> VotePoll:
        check_poll(question, options, closes_at, self.clock())
        if secret and not self.keys.ready:
            raise UserError(votes_secret.NO_KEY)
        for _ in range(5):  # two polls created at once take the next numbers, not the same one
            try:
                async with in_transaction() as tx:
                    last = await fetch('SELECT MAX("number") FROM "vote_poll" WHERE "community_id" = ?', [community.id])
                    number = int(last[0][0] or 0) + 1
                    poll = await VotePoll.create(
                        community_id=community.id, number=number, question=question, kind=PollKind(kind), options=options,
                        secret=secret, hidden=hidden, key_check=self.keys.check() if secret else "", for_meeting=for_meeting, place=place[:200],
                        created_by_id=by.id if by else None, posted_in=posted_in[:340], created_at=self.clock(),
                        closes_at=closes_at)
                    await votes_electors.open_to_members(tx, poll)
                    if secret:
                        await BallotBox.create(poll_id=poll.id, ballots={}, using_db=tx)
                    await search_index.refresh("poll", poll.id)  # the question and options; results once closed
                    return poll
            except IntegrityError:
                continue
        raise UserError(N_("Too many polls created at once; try again."))

    async def find(self, community: Community | None, ref: str, person: Person) -> VotePoll:
        """A poll by its reference: `3`, `#3`, or `usine-vivante#3` (a community the person belongs to)."""
        slug, _, digits = ref.strip().rpartition("#")
        number = read_number(digits)
        if number is None:
            raise UserError(N_("“{value}” is not a poll: give its number, like #3 (type /polls to see them)."), value=ref[:40])
        community = await community_named(community, slug, person, N_("There is no poll {ref}."), ref)
        poll = await VotePoll.get_or_none(community_id=community.id, number=number)
        if poll is None:
            raise UserError(N_("There is no poll {ref}."), ref=ref[:60])
        return poll

    async def open_polls(self, community: Community) -> list[VotePoll]:
        return await VotePoll.filter(community_id=community.id, closed_at__isnull=True).order_by("number")

    # -- ballots ------------------------------------------------------------------------------------------

    def voter_key(self, poll: VotePoll, person_id: int) -> str:
        """Whose ballot: `p<id>` on a public poll; on a secret one a key that takes RELAIS_SECRET_KEY to make."""
        if not poll.secret:
            return f"p{person_id}"
        if poll.salt:  # opened before 15_ballots, not re-keyed yet
            return legacy_key(poll.salt, person_id)
        return self.keys.of(poll.id, person_id, poll.number, poll.key_check)

    async def vote(self, poll: VotePoll, person: Person, choice: list[int] | dict, platform: str) -> bool:
        """Cast or replace the person's ballot; True when it replaced an earlier one. Only the poll's electors vote.
        Under the poll row's share lock (PostgreSQL): a close waits for the ballots being cast and counts each exactly
        once; a secret poll's box is locked too, so votes on it take turns."""
        if poll.secret and poll.salt and self.keys.ready:
            await self.rekey(poll)
        conn = connections.get("default")
        dialect = conn.capabilities.dialect
        now = self.clock()
        async with in_transaction() as tx:
            await self._open_row(tx, poll)
            if not await votes_electors.is_elector(tx, poll.id, person.id):
                await votes_electors.refuse(poll, person)  # raises: nothing is written
            voter = self.voter_key(poll, person.id)
            _, before = await tx.execute_query(sql_for('SELECT 1 FROM "poll_voter" WHERE "poll_id" = ? AND "person_id" = ?', dialect),
                                               [poll.id, person.id])
            if poll.secret:
                box = await votes_secret.open_box(tx, poll.id)
                box[voter] = choice
                await votes_secret.store_box(tx, poll.id, box)
                at = await self._day_of(poll, now)
            else:
                await tx.execute_query(sql_for(UPSERT_BALLOT, dialect), [str(uuid.uuid4()), poll.id, voter, json.dumps(choice), now])
                at = now
            await tx.execute_query(sql_for(UPSERT_VOTER, dialect), [poll.id, person.id, platform[:16], at])
        return bool(before)

    async def _open_row(self, tx, poll: VotePoll) -> None:
        """The poll's row under a share lock (PostgreSQL), refused once closed; its keys' state copied to `poll`."""
        dialect = tx.capabilities.dialect
        lock = ' FOR SHARE' if dialect == "postgres" else ''
        _, rows = await tx.execute_query(sql_for(f'SELECT "closed_at", "salt", "key_check" FROM "vote_poll" WHERE "id" = ?{lock}',
                                                 dialect), [poll.id])
        row = dict(rows[0]) if rows else None
        if row is None or row["closed_at"] is not None:
            raise UserError(N_("Poll #{number} is closed: votes are no longer taken."), number=poll.number)
        poll.salt, poll.key_check = row["salt"], row["key_check"]

    async def _day_of(self, poll: VotePoll, now: datetime) -> datetime:
        """A secret vote's time as kept: the start of its day in the community's time zone (the report counts days)."""
        rows = await fetch('SELECT "timezone" FROM "community" WHERE "id" = ?', [poll.community_id])
        try:
            tz = ZoneInfo(str(rows[0][0]))
        except Exception:  # a zone the tz database no longer has: the day in UTC
            tz = ZoneInfo("UTC")
        return datetime.combine(now.astimezone(tz).date(), time(0, 0), tz).astimezone(timezone.utc)

    async def rekey(self, poll: VotePoll) -> None:
        """A secret poll opened before 15_ballots: its ballots move under keys made with RELAIS_SECRET_KEY and its salt,
        which let anyone with the database remake them, is erased. Once, under the poll's exclusive lock."""
        async with in_transaction() as tx:
            dialect = tx.capabilities.dialect
            lock = ' FOR UPDATE' if dialect == "postgres" else ''
            _, rows = await tx.execute_query(sql_for(f'SELECT "salt", "closed_at" FROM "vote_poll" WHERE "id" = ?{lock}', dialect),
                                             [poll.id])
            salt = dict(rows[0])["salt"] if rows else ""
            if not salt or dict(rows[0])["closed_at"] is not None:
                poll.salt = ""
                return
            box = await votes_secret.open_box(tx, poll.id)
            voters: list[int] = list(await PollVoter.filter(poll_id=poll.id).using_db(tx).values_list("person_id", flat=True))  # type: ignore[arg-type]
            check = self.keys.check()
            for person_id in voters:
                old = legacy_key(salt, person_id)
                if old in box:
                    box[self.keys.of(poll.id, person_id)] = box.pop(old)
            await votes_secret.store_box(tx, poll.id, box)
            await VotePoll.filter(id=poll.id).using_db(tx).update(salt="", key_check=check)
        poll.salt, poll.key_check = "", check

    async def clear(self, poll: VotePoll, person: Person) -> bool:
        if poll.closed_at is not None:
            raise UserError(N_("Poll #{number} is closed: votes are no longer taken."), number=poll.number)
        async with in_transaction() as tx:
            await self._open_row(tx, poll)
            if poll.secret:
                box = await votes_secret.open_box(tx, poll.id)
                removed = int(box.pop(self.voter_key(poll, person.id), None) is not None)
                await votes_secret.store_box(tx, poll.id, box)
            else:
                removed = await Ballot.filter(poll_id=poll.id, voter=self.voter_key(poll, person.id)).using_db(tx).delete()
            await PollVoter.filter(poll_id=poll.id, person_id=person.id).using_db(tx).delete()
        return removed > 0

    async def has_voted(self, poll: VotePoll, person: Person) -> bool:
        return await PollVoter.exists(poll_id=poll.id, person_id=person.id)

    async def ballot_of(self, poll: VotePoll, person: Person) -> list[int] | dict | None:
        """A public poll's ballot of the person; never a secret one's (it is shown nowhere, so stored nowhere else)."""
        if poll.secret:
            return None
        rows = await fetch('SELECT "choice" FROM "ballot" WHERE "poll_id" = ? AND "voter" = ?', [poll.id, self.voter_key(poll, person.id)])
        if not rows:
            return None
        value = rows[0][0]
        return json.loads(value) if isinstance(value, str) else value

    async def tally(self, poll: VotePoll) -> Count:
        if poll.results is not None:
            return Count.from_json(poll.results)
        if poll.secret:
            box = await votes_secret.open_box(connections.get("default"), poll.id, lock=False)
            return count(poll.kind, len(poll.options), list(box.values()))
        rows = await fetch('SELECT "choice" FROM "ballot" WHERE "poll_id" = ?', [poll.id])
        return count(poll.kind, len(poll.options), [json.loads(r[0]) if isinstance(r[0], str) else r[0] for r in rows])

    async def named_ballots(self, poll: VotePoll) -> list[tuple[str, list[int] | dict]] | None:
        """Who answered what (the date grid): a public poll's ballots with their voters' names, in the order of the votes;
        None for a secret poll (never), and for a hidden one until its close."""
        if poll.secret or (poll.hidden and poll.closed_at is None):
            return None
        rows = await fetch('SELECT "voter", "choice" FROM "ballot" WHERE "poll_id" = ? ORDER BY "cast_at", "id"', [poll.id])
        ids = [int(v[1:]) for v, _ in rows if isinstance(v, str) and v[:1] == "p" and v[1:].isdigit()]
        names = {p.id: p.display_name for p in await Person.filter(id__in=ids)} if ids else {}
        return [(names.get(int(v[1:]), "") if isinstance(v, str) and v[1:].isdigit() else "", json.loads(c) if isinstance(c, str) else c)
                for v, c in rows]

    async def voters(self, poll: VotePoll) -> int:
        rows = await fetch('SELECT COUNT(*) FROM "poll_voter" WHERE "poll_id" = ?', [poll.id])
        return int(rows[0][0])

    async def electors(self, poll: VotePoll) -> list[Person]:
        """Who votes: the members at the opening (observers included: they vote from the digest), and those added."""
        return await votes_electors.electors(poll)

    async def add_elector(self, poll: VotePoll, person: Person) -> bool:
        return await votes_electors.add(poll, person)

    async def not_voted(self, poll: VotePoll) -> list[Person]:
        voted = set(await PollVoter.filter(poll_id=poll.id).values_list("person_id", flat=True))
        return [p for p in await self.electors(poll) if p.id not in voted]

    # -- people joined or erased -----------------------------------------------------------------------------

    async def move_ballots(self, tx, keep: int, gone: int) -> None:
        """`gone`'s ballots become `keep`'s (two people joined by `link`): one ballot per poll; where both voted, the
        later public ballot stays, and on a secret poll (no time kept) `keep`'s. A closed secret poll's ballots
        belong to nobody: untouched."""
        for ballot in await Ballot.filter(voter=f"p{gone}").using_db(tx):
            other = await Ballot.filter(poll_id=ballot.poll_id, voter=f"p{keep}").using_db(tx).first()
            if other is not None and (ballot.cast_at is None or (other.cast_at is not None and other.cast_at >= ballot.cast_at)):
                await Ballot.filter(id=ballot.id).using_db(tx).delete()
                continue
            if other is not None:
                await Ballot.filter(id=other.id).using_db(tx).delete()
            await Ballot.filter(id=ballot.id).using_db(tx).update(voter=f"p{keep}")
        for poll in await self._open_secret(tx, gone):
            await votes_secret.rename(tx, poll.id, self.voter_key(poll, gone), self.voter_key(poll, keep))

    async def forget_ballots(self, tx, person_id: int) -> int:
        """A person erased: each of their ballots stays counted under a random key, no longer theirs (nor linked to
        each other). Returns how many."""
        moved = 0
        for ballot in await Ballot.filter(voter=f"p{person_id}").using_db(tx):
            await Ballot.filter(id=ballot.id).using_db(tx).update(voter="a" + uuid.uuid4().hex)
            moved += 1
        for poll in await self._open_secret(tx, person_id):
            moved += await votes_secret.rename(tx, poll.id, self.voter_key(poll, person_id), "a" + uuid.uuid4().hex)
        return moved

    async def _open_secret(self, tx, person_id: int) -> list[VotePoll]:
        """The open secret polls the person voted in (their box holds a ballot of theirs)."""
        voted = await PollVoter.filter(person_id=person_id).using_db(tx).values_list("poll_id", flat=True)
        return list(await VotePoll.filter(id__in=list(voted), secret=True, closed_at__isnull=True).using_db(tx))

    # -- the close ----------------------------------------------------------------------------------------

    async def close(self, poll: VotePoll) -> Count | None:
        """Close the poll once (None when it was closed already, by someone else or the scheduler): the count is
        kept; a secret poll's box is emptied into anonymous ballots and its keys are erased."""
        async with in_transaction() as tx:
            claimed = await VotePoll.filter(id=poll.id, closed_at__isnull=True).using_db(tx).update(
                closed_at=self.clock(), salt="", key_check="")
            if not claimed:
                return None
            if poll.secret:
                choices = await votes_secret.empty_box(tx, poll.id)
            else:
                rows = await tx.execute_query_dict(sql_for('SELECT "choice" FROM "ballot" WHERE "poll_id" = ?', tx.capabilities.dialect),
                                                   [poll.id])
                choices = [json.loads(r["choice"]) if isinstance(r["choice"], str) else r["choice"] for r in rows]
            result = count(poll.kind, len(poll.options), choices)
            await VotePoll.filter(id=poll.id).using_db(tx).update(results=result.to_json())
        poll.closed_at, poll.salt, poll.key_check, poll.results = self.clock(), "", "", result.to_json()
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
