"""Delivers the outbox to each person's preferred reachable channel; retries, never drops."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta
from typing import Callable, Protocol

from tortoise.expressions import Q

from bot.core.choices import ChoiceMemory, conversation
from bot.core.errors import Elsewhere, Unreachable
from bot.core.metrics import NOTHING, Meter
from bot.core.plan import Plan, perform
from bot.core.render import for_platform
from bot.core.replies import Reply, Topic
from bot.core.topics import Topics
from bot.runtime.workloop import WorkLoop, claim
from models import Account, OutboxMessage, OutboxStatus

log = logging.getLogger("relais.delivery")
# With the back-off capped at an hour, about a day and a half of tries; then the message is parked (FAILED) with
# its error, for an operator to see and put back (`relais failed`): kept, never dropped.
MAX_ATTEMPTS = 40


ELSEWHERE_WAIT = timedelta(seconds=3)


class Channel(Protocol):
    """The sending half of the adapter contract (bot/runtime/adapter.py): a notification goes the way of an answer,
    `destination` standing for the event's `where`."""

    platform: str
    native: tuple[type, ...]

    async def destination(self, account: Account | None, chat: str, message: OutboxMessage) -> dict:
        """Where the notification goes, as `render` reads it: the account's direct chat, or (`account` None) the
        group or room `chat` (the platform's chat id)."""

    async def render(self, reply: Reply, where: dict) -> Plan:
        """The calls that show the reply there."""

    async def perform(self, action: dict) -> str | None:
        """One call (`notice` set: its refusals raise Unreachable or TemporaryFailure); returns the message made."""


class Delivery(WorkLoop):
    name = "delivery"

    def __init__(self, clock: Callable[[], datetime], interval: float = 1.0, batch: int = 100,
                 max_backoff: float = 3600.0, lease: float = 120.0, concurrency: int = 64, topics: Topics | None = None):
        self.channels: dict[str, Channel] = {}
        self.topics = topics
        self.choices: ChoiceMemory | None = None  # the conversations' choices a notification offers (numbers, keycaps)
        self._about: list[tuple[str, str, tuple[Topic, ...]]] = []  # (platform, ref or conversation, items) to record
        self.clock = clock
        self.interval = interval
        self.batch = batch
        self.max_backoff = max_backoff
        self.lease = timedelta(seconds=lease)
        self._limit = asyncio.Semaphore(concurrency)
        self.only: tuple[str, ...] = ()  # when set, only messages for people with an account on these platforms
        self.meter: Meter = NOTHING

    def register(self, channel: Channel) -> None:
        self.channels[channel.platform] = channel

    async def work_due(self) -> int:
        return await self.deliver_due()

    async def _claim(self) -> list[OutboxMessage]:
        now = self.clock()
        due = Q(status=OutboxStatus.PENDING, next_attempt_at__lte=now)
        if self.only:
            ids = await Account.filter(platform__in=self.only).distinct().values_list("person_id", flat=True)
            due &= Q(person_id__in=list(ids))
        return await claim(OutboxMessage, due, OutboxStatus.SENDING, now, self.lease, self.batch)

    async def deliver_due(self) -> int:
        rows = await self._claim()
        if not rows:
            return 0
        by_person: dict[int, list[OutboxMessage]] = {}
        to_chats = []
        for row in rows:
            if row.person_id is None:
                to_chats.append(row)
            else:
                by_person.setdefault(row.person_id, []).append(row)
        await asyncio.gather(*(self._deliver_person(msgs) for msgs in by_person.values()),
                             *(self._post_chat(row) for row in to_chats))
        await self._record_topics()
        return len(rows)

    def _sent(self, platform: str, refs: list[str] | None, reply: Reply, where: str = "") -> None:
        """What the messages just sent speak of, recorded once per pass (`where`: the person's conversation, for /reply)."""
        about = reply.about
        if not about or self.topics is None:
            return
        self._about.extend((platform, ref, about) for ref in refs or () if ref)
        if where and reply.numbered:
            self._about.append(("", where, reply.numbered))

    async def _record_topics(self) -> None:
        rows, self._about = self._about, []
        if not rows or self.topics is None:
            return
        try:
            await self.topics.record(rows)
        except Exception:  # the messages are sent: a reply to them is then an ordinary message, nothing worse
            log.exception("topics of sent messages not recorded", extra={"count": len(rows)})

    async def _post_chat(self, message: OutboxMessage) -> None:
        """A message for a group or room (`platform:chat id`), through that platform's channel."""
        platform, _, chat = (message.chat or "").partition(":")
        channel = self.channels.get(platform)
        if channel is None:
            self.meter.delivery_failed(platform or "none")
            await self._retry(message, f"no channel for {platform or 'chat'}")
            return
        reply = Reply.from_dict(message.payload)
        try:
            async with self._limit:
                refs = await self._send(channel, message, reply, None, chat)
        except Elsewhere:
            await self._leave(message)
            return
        except Exception as exc:
            error = f"{type(exc).__name__}: {str(exc)[:300]}"
            log.warning("chat delivery failed", extra={"outbox_id": message.id, "platform": platform, "error": error})
            self.meter.delivery_failed(platform)
            await self._retry(message, error)
            return
        self.meter.delivered(platform)
        await OutboxMessage.filter(id=message.id).update(status=OutboxStatus.SENT, sent_at=self.clock(),
                                                         channel=message.chat, claimed_until=None, **_planned(message))
        self._sent(platform, refs, reply)

    async def _deliver_person(self, messages: list[OutboxMessage]) -> None:
        async with self._limit:
            accounts = await Account.filter(person_id=messages[0].person_id, reachable=True, confirmed=True)
            for message in messages:  # one person's notifications keep their order
                await self._deliver_one(message, accounts)

    def _ordered(self, accounts: list[Account], via: str = "", begun: str = "") -> list[Account]:
        """The preferred account first, then the most recently seen; `via` (an answer to what the person wrote from an
        account) goes back there first; `begun` (the account a notification is half sent to) before all."""
        usable = [a for a in accounts if a.reachable and a.platform in self.channels]
        return sorted(usable, key=lambda a: (a.handle != begun, a.handle != via, not a.preferred,
                                             -(a.last_seen.timestamp() if a.last_seen else 0), a.id))

    async def _send(self, channel: Channel, message: OutboxMessage, reply: Reply, account: Account | None, chat: str) -> list[str]:
        """The notification the way of an answer: rendered into the platform's calls, stored on the row before the
        first when there are several, then made one at a time, the row counting them: a retry or a restart carries on
        after the last one made (a plan begun for another account, or none: planned afresh)."""
        target = account.handle if account is not None else str(message.chat)
        stored = message.plan if isinstance(message.plan, dict) else {}
        if stored.get("to") == target:
            steps, first = stored["steps"], message.done
        else:
            where = await channel.destination(account, chat, message)
            steps = [{**step, "notice": True} for step in (await channel.render(for_platform(reply, channel.native), where)).steps]
            first = 0
            if len(steps) > 1 or stored:
                message.plan, message.done = {"to": target, "steps": steps}, 0
                await OutboxMessage.filter(id=message.id).update(plan=message.plan, done=0)

        async def done(following: int, ref: str | None) -> None:
            if following < len(steps):
                message.done = following
                await OutboxMessage.filter(id=message.id).update(done=following)

        # Taken over from a process that stopped holding it, or tried before: its next call may have been made.
        again = message.status == OutboxStatus.SENDING or message.attempts > 0
        return [ref for ref in await perform(channel.perform, steps, first, self.choices, done, again) if ref]

    async def _deliver_one(self, message: OutboxMessage, accounts: list[Account]) -> None:
        reply = Reply.from_dict(message.payload)
        error = "no reachable channel"
        begun = message.plan.get("to", "") if isinstance(message.plan, dict) else ""
        ordered = self._ordered(accounts, str(message.payload.get("via") or ""), begun)
        if not ordered:
            self.meter.delivery_failed("none")
        for account in ordered:
            channel = self.channels[account.platform]
            try:
                refs = await self._send(channel, message, reply, account, "")
            except Elsewhere:
                await self._leave(message)
                return
            except Unreachable as exc:
                account.reachable = False
                await Account.filter(id=account.id).update(reachable=False)
                log.warning("account unreachable", extra={"account_id": account.id, "platform": account.platform, "error": str(exc)[:200]})
                self.meter.delivery_failed(account.platform)
                error = f"unreachable: {account.platform}"
                continue
            except Exception as exc:  # TemporaryFailure or anything unexpected: retry later, keep the message
                error = f"{type(exc).__name__}: {str(exc)[:300]}"
                log.warning("delivery failed", extra={"outbox_id": message.id, "platform": account.platform, "error": error})
                self.meter.delivery_failed(account.platform)
                break
            self.meter.delivered(account.platform)
            await OutboxMessage.filter(id=message.id).update(status=OutboxStatus.SENT, sent_at=self.clock(),
                                                             channel=account.handle, claimed_until=None, **_planned(message))
            self._sent(account.platform, refs, reply, conversation(account.platform, account.address))
            return
        await self._retry(message, error)

    async def _leave(self, message: OutboxMessage) -> None:
        """For the process that serves the channel: released, due again shortly, its attempts untouched."""
        await OutboxMessage.filter(id=message.id).update(next_attempt_at=self.clock() + ELSEWHERE_WAIT, claimed_until=None)

    async def _retry(self, message: OutboxMessage, error: str) -> None:
        attempts = message.attempts + 1
        delay = min(self.max_backoff, 2.0 ** min(attempts, 20))
        status = OutboxStatus.FAILED if attempts >= MAX_ATTEMPTS else OutboxStatus.PENDING
        if status == OutboxStatus.FAILED:
            log.error("outbox message parked", extra={"outbox_id": message.id, "attempts": attempts, "error": error[:200]})
        await OutboxMessage.filter(id=message.id).update(status=status, attempts=attempts, last_error=error,
                                                         next_attempt_at=self.clock() + timedelta(seconds=delay), claimed_until=None)


def _planned(message: OutboxMessage) -> dict:
    """A sent notification's stored calls let go (a notification of one call stores none)."""
    return {"plan": None} if message.plan is not None else {}
