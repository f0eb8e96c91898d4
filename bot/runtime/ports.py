"""Ports: the narrow view of Relais an adapter gets (never the whole application)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from bot.core.choices import ChoiceMemory
from bot.core.commands import Registry
from bot.core.i18n import Catalogs
from bot.core.topics import Topics
from bot.runtime.inbox import Handler, Inbox, Policy
from bot.runtime.inbox_store import EventStore
from bot.runtime.pipeline import Dispatch, Pipeline
from bot.runtime.processes import Role, solo

if TYPE_CHECKING:
    from bot.runtime.adapter import Adapter
    from bot.services import Services


@dataclass
class Ports:
    dispatch: Dispatch  # the core: an Incoming in, its Reply (or None) out
    choices: ChoiceMemory
    services: Services  # people (membership events), email and lists (the mail channel)
    catalogs: Catalogs
    registry: Registry  # command names: Telegram's menu, the command lines of a mail
    clock: Callable[[], datetime]
    default_locale: str
    data_dir: Path
    policy: Policy = Policy()
    role: Callable[[str], Role] = solo  # a job only one process runs at a time (Telegram polling, the Matrix sync…)
    process: str | None = None  # this process' id, noted on the inbox events it claims
    alone: bool = True  # the only process on the database (SQLite): it takes over every lease at start
    topics: Topics | None = None  # what Relais' messages were about (a reply to one is a comment on it)

    def inbox(self, adapter: Adapter, **options) -> Inbox:
        """The inbox of a chat platform: its events in `inbound_event`, run through the pipeline."""
        store = EventStore(adapter.platform, self.clock, holder=self.process)
        handler: Handler = Pipeline(adapter, self.dispatch, store, self.choices, self.topics)
        return Inbox(adapter.platform, store, handler, self.clock, self.policy, alone=self.alone, **options)
