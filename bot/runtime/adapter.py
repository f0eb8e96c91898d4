"""The adapter contract: what every channel (console, Telegram, Matrix, mail, and the next one) implements.

An adapter translates, renders and transports; it decides nothing. Its inbound events are stored in the
core's inbox before the platform is told they arrived; the core's pipeline then runs each one:
`translate` (platform event → Incoming and where to answer), the core (parse once, check, run), `render`
(Reply → the platform calls that show it, planned and stored before the first one is made), `perform`
(one call at a time, so a restart sends what is left and never runs a command twice). Notifications go the same
way from the outbox (bot/runtime/delivery.py): `destination` (a person's account, or a group or room bound to a
community → where), `render`, then `perform`, the plan and its progress kept on the outbox row.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from bot.core.incoming import Incoming
from bot.core.plan import Plan
from bot.core.replies import Reply
from bot.runtime.inbox import Event
from models import Account, OutboxMessage


@dataclass
class Turn:
    """What an inbound event asks of the core: the message (None: nothing for the core, only `before`), where
    its answer goes (the adapter's own JSON: chat id, message replied to, button pressed…), and platform calls
    to make whatever the answer."""

    incoming: Incoming | list[Incoming] | None  # a list: the commands of one mail, answered together (`combine`)
    where: dict = field(default_factory=dict)
    before: list[dict] = field(default_factory=list)
    outcome: str = ""  # what became of the event, when the core has nothing to do with it (logged, stored)


@runtime_checkable
class Adapter(Protocol):
    """Adapters whose events carry several commands (mail) also have `async combine(results, where) -> Reply`,
    one reply for them all."""

    platform: str  # the accounts' platform: telegram, matrix, email, console
    native: tuple[type, ...]  # reply elements rendered natively; the others use the core's text fallback

    async def start(self) -> None:
        """Begin receiving (in background tasks) and return."""

    async def stop(self) -> None:
        """Stop receiving; what is not done stays stored for the next start."""

    async def translate(self, event: Event) -> Turn | None:
        """The Incoming for a stored event, or None when the core has nothing to do with it."""

    async def render(self, reply: Reply, where: dict) -> Plan:
        """The platform calls (JSON, stored before the first is made) that show `reply` at `where`."""

    async def perform(self, action: dict) -> str | None:
        """Make one planned call; returns the reference of the message it created (as `Incoming.replying_to` names
        it when someone replies), if any. A notification's call (`action["notice"]`) raises errors.Unreachable (try
        the person's next account), errors.TemporaryFailure (retry later) or errors.Elsewhere where an answer's
        is logged and skipped."""

    async def destination(self, account: Account | None, chat: str, message: OutboxMessage) -> dict:
        """Where a notification goes, as `render` reads `where`: the account's direct chat, or (`account` None) the
        group or room `chat` (the platform's chat id). `message.payload["reply_to"]` (platform, chat, ref) is a
        message the notification answers: thread under it when it is in that chat. May raise as `perform` does."""
