"""Sending a community's digest for one week: claim each person's delivery first, so each goes out once."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Awaitable, Callable, Protocol
from zoneinfo import ZoneInfo

from bot.core.errors import TemporaryFailure, Unreachable
from bot.core.metrics import NOTHING, Meter
from bot.core.sql import fetch
from bot.services import digest as d
from bot.services.digest_combined import Combined, Part, Plan, Planner
from models import Community, DeliveryStatus

log = logging.getLogger("relais.digest")
MAX_ATTEMPTS = 5


class DigestMailer(Protocol):
    async def send(self, digest: d.Digest) -> str:
        """Send one digest; returns its Message-ID. Raises TemporaryFailure or Unreachable."""

    async def send_combined(self, mail: Combined) -> str:
        """Send the one mail of a person's communities, the same way."""


@dataclass
class Counts:
    sent: int = 0
    empty: int = 0
    already: int = 0  # settled by an earlier run (sent, empty, or failed for good)
    failed: int = 0
    rooms: int = 0  # groups and rooms the week's summary was queued for
    elsewhere: int = 0  # claimed by another run that is still alive (or not provably gone): not ours to send
    until: datetime | None = None  # when the earliest of those claims runs out (a dead holder's are taken over then)
    taken_over: int = 0  # claims of a run whose process is gone (same machine, no such process), taken at once
    combined: int = 0  # of the mails sent, those that carry other communities' digests too
    joined: int = 0  # people whose digest goes in the one mail another community's run sends them

    def as_dict(self) -> dict:
        out = {"sent": self.sent, "empty": self.empty, "already": self.already, "failed": self.failed}
        for key in ("rooms", "elsewhere", "taken_over", "combined", "joined"):
            if getattr(self, key):
                out[key] = getattr(self, key)
        return out

    def add(self, other: Counts) -> None:
        for key in ("sent", "empty", "already", "failed", "rooms", "elsewhere", "taken_over", "combined", "joined"):
            setattr(self, key, getattr(self, key) + getattr(other, key))
        if other.until is not None and (self.until is None or other.until < self.until):
            self.until = other.until


HOST = socket.gethostname()[:16]


def claim_token() -> str:
    """Who holds a claim: this process on this machine (so a later run can tell it is gone), plus a run id."""
    return f"{os.getpid()}@{HOST}#{uuid.uuid4().hex[:8]}"


def holder_gone(claim: str) -> bool:
    """Whether the process that holds `claim` is provably gone: it ran on this machine and no longer exists."""
    pid, _, rest = claim.partition("@")
    host = rest.partition("#")[0]
    if host != HOST or not pid.isdigit():
        return False  # another machine, or an older claim: wait for its lease
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, another user's
        return False
    return False


CLAIM_NEW = ("INSERT INTO digest_delivery (person_id, community_id, week, status, claim, claimed_until, attempts, error, "
             "message_id, updated_at) VALUES {rows} ON CONFLICT DO NOTHING")
# A claim left by a run that died (lease over), or a failure worth another try, is taken over atomically.
CLAIM_STALE = ("UPDATE digest_delivery SET claim = ?, claimed_until = ?, attempts = attempts + 1, updated_at = ? "
               "WHERE community_id = ? AND week = ? AND person_id IN ({ids}) AND "
               "((status = 'claimed' AND claimed_until < ?) OR (status = 'failed' AND attempts < ?))")
OWNED = "SELECT person_id FROM digest_delivery WHERE claim = ? AND community_id = ? AND week = ? AND person_id IN ({ids})"
SETTLE = ("UPDATE digest_delivery SET status = ?, message_id = ?, error = ?, period_end = ?, claim = '', claimed_until = NULL, "
          "updated_at = ? "
          "WHERE claim = ? AND community_id = ? AND week = ? AND person_id = ?")


class DigestRunner:
    def __init__(self, mailer: DigestMailer, digests: d.Digests, clock: Callable[[], datetime],
                 lease: timedelta = timedelta(minutes=10), chunk: int = 500, concurrency: int = 8,
                 on_outbox: Callable[[], None] | None = None, meter: Meter = NOTHING):
        self.digests = digests
        self.meter = meter
        self.on_outbox = on_outbox
        self.concurrency = concurrency  # mails in flight at once (the SMTP pool keeps a few connections open)
        self.mailer = mailer
        self.clock = clock
        self.lease = lease
        self.chunk = chunk

    async def run(self, community: Community, due: datetime, week: str, only: list[int] | None = None,
                  progress: Callable[[int], Awaitable[None] | None] | None = None, exact: bool = False) -> Counts:
        """Send the week's digests; `exact` (a digest sent by hand, now) ends their period at `due` rather than at the
        midnight before it."""
        tz = ZoneInfo(community.timezone)
        editions = d.Editions(self.digests, community, week, due, self.clock().astimezone(tz).date(), exact)
        window, prepared = await editions.of(None)
        planner = Planner(self.digests, community, due, editions.today, exact)
        counts = Counts()
        claim = claim_token()
        async def one(recipient: d.Recipient, parts: list[Part], order: list[int]) -> None:
            async with slots:
                digest = await editions.assemble(recipient)
                if parts:
                    mail = Combined(recipient, community.id, digest, parts, order)
                    status, message_id, error = await self._send(mail)
                    counts.combined += status == DeliveryStatus.SENT
                else:
                    status, message_id, error = await self._send(digest)
                setattr(counts, status.value, getattr(counts, status.value) + 1)
                self.meter.digest("skipped" if status == DeliveryStatus.EMPTY else status.value)
                # Settled right after its own send: a crash leaves at most the mails in flight unrecorded.
                await fetch(SETTLE, [status.value, message_id, error, digest.until, self.clock(), claim, community.id, week,
                                     recipient.person_id])
                for part in parts:  # each community's part: sent when it was in the mail, else empty (or failed with it)
                    shown = DeliveryStatus.EMPTY if status == DeliveryStatus.SENT and not part.digest.has_news else status
                    await fetch(SETTLE, [shown.value, message_id, error, part.digest.until, self.clock(), claim,
                                         part.community.id, part.week, recipient.person_id])

        slots = asyncio.Semaphore(self.concurrency)
        async for people in self.digests.recipients(community, self.chunk, only):
            plan = await planner.plan(people)
            counts.joined += len(plan.elsewhere)
            people = [r for r in people if r.person_id not in plan.elsewhere]
            owned = await self._claim(claim, community, week, [r.person_id for r in people], counts)
            await self._not_ours(claim, community, week, [r.person_id for r in people if r.person_id not in owned], counts)
            mine = [r for r in people if r.person_id in owned]
            await self.digests.periods(community, week, window.end, mine)
            parts = await self._parts(claim, planner, plan, mine)
            await asyncio.gather(*(one(r, parts.get(r.person_id, []), plan.order.get(r.person_id, [])) for r in mine))
            if progress:
                result = progress(len(people))
                if result is not None:
                    await result
        counts.rooms = await self.digests.post_room_summary(window, prepared)
        if counts.rooms and self.on_outbox:
            self.on_outbox()
        log.info("digest run", extra={"community": community.slug, "week": week, **counts.as_dict()})
        return counts

    async def unsettled(self, community: Community, week: str) -> int:
        """Deliveries still claimed (by a run that may have died) or failed with tries left."""
        rows = await fetch("SELECT COUNT(*) FROM digest_delivery WHERE community_id = ? AND week = ? AND "
                           "(status = 'claimed' OR (status = 'failed' AND attempts < ?))", [community.id, week, MAX_ATTEMPTS])
        return int(rows[0][0])

    async def _parts(self, claim: str, planner: Planner, plan: Plan, mine: list[d.Recipient]) -> dict[int, list[Part]]:
        """The other communities' parts of the one mail of the people this run sends it to, each part's delivery claimed
        like the lead's (one already settled, by a run of before a change of choice, is left out)."""
        wanted: dict[int, list[d.Recipient]] = {}
        communities = {}
        for r in mine:
            for other in plan.combined.get(r.person_id, []):
                wanted.setdefault(other.id, []).append(r)
                communities[other.id] = other
        out: dict[int, list[Part]] = {}
        for cid, people in wanted.items():
            other = communities[cid]
            owned = await self._claim(claim, other, planner.week_of(other), [r.person_id for r in people], Counts())
            for pid, part in (await planner.parts(other, [r for r in people if r.person_id in owned])).items():
                out.setdefault(pid, []).append(part)
        return out

    async def _claim(self, claim: str, community: Community, week: str, ids: list[int], counts: Counts) -> set[int]:
        if not ids:
            return set()
        now = self.clock()
        until = now + self.lease
        params: list = []
        rows = []
        for pid in ids:
            rows.append("(?, ?, ?, 'claimed', ?, ?, 1, '', '', ?)")
            params += [pid, community.id, week, claim, until, now]
        await fetch(CLAIM_NEW.format(rows=", ".join(rows)), params)
        marks = ", ".join("?" * len(ids))
        await fetch(CLAIM_STALE.format(ids=marks), [claim, until, now, community.id, week, *ids, now, MAX_ATTEMPTS])
        # Claims whose lease still runs but whose process is provably gone (killed on this machine): taken at once.
        held = await fetch(f"SELECT DISTINCT claim FROM digest_delivery WHERE community_id = ? AND week = ? AND status = 'claimed' "
                           f"AND claim <> ? AND person_id IN ({marks})", [community.id, week, claim, *ids])
        for (other,) in held:
            if holder_gone(other):
                taken = await fetch(f"UPDATE digest_delivery SET claim = ?, claimed_until = ?, attempts = attempts + 1, "
                                    f"updated_at = ? WHERE community_id = ? AND week = ? AND status = 'claimed' AND claim = ? "
                                    f"AND person_id IN ({marks}) RETURNING person_id",
                                    [claim, until, now, community.id, week, other, *ids])
                counts.taken_over += len(taken)
                log.info("digest claims taken over", extra={"community": community.slug, "week": week, "count": len(taken)})
        return {row[0] for row in await fetch(OWNED.format(ids=marks), [claim, community.id, week, *ids])}

    async def _not_ours(self, claim: str, community: Community, week: str, ids: list[int], counts: Counts) -> None:
        """The people of this chunk another run settled (already) or holds now (elsewhere, until its lease ends)."""
        if not ids:
            return
        marks = ", ".join("?" * len(ids))
        for status, until in await fetch(f"SELECT status, claimed_until FROM digest_delivery WHERE community_id = ? AND week = ? "
                                         f"AND person_id IN ({marks})", [community.id, week, *ids]):
            if status == DeliveryStatus.CLAIMED.value:
                counts.elsewhere += 1
                until = _as_datetime(until)
                if until is not None and (counts.until is None or until < counts.until):
                    counts.until = until
            else:
                counts.already += 1

    async def _send(self, digest: d.Digest | Combined) -> tuple[DeliveryStatus, str, str]:
        if not digest.has_news:
            return DeliveryStatus.EMPTY, "", ""
        try:
            if isinstance(digest, Combined):
                return DeliveryStatus.SENT, await self.mailer.send_combined(digest), ""
            return DeliveryStatus.SENT, await self.mailer.send(digest), ""
        except (TemporaryFailure, Unreachable) as exc:
            log.warning("digest not sent", extra={"person_id": digest.recipient.person_id, "error": str(exc)[:200]})
            return DeliveryStatus.FAILED, "", str(exc)[:500]




def _as_datetime(value) -> datetime | None:
    """A timestamp read with plain SQL: a datetime on PostgreSQL, its ISO text on SQLite."""
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))
