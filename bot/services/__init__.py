"""Domain operations shared by chat, mail and the scheduler; no transport imports here."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Callable

from bot.core.i18n import Catalogs
from bot.services.notify import Notifier
from bot.services.people import People
from bot.services.projects import Projects


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class Services:
    """The domain services, built once by the composition root."""

    def __init__(self, catalogs: Catalogs, default_community: str = "", default_locale: str = "fr",
                 clock: Callable[[], datetime] = utcnow, on_outbox: Callable[[], None] | None = None):
        self.catalogs = catalogs
        self.clock = clock
        self.default_locale = default_locale
        self.people = People(default_community=default_community, clock=clock)
        self.notifier = Notifier(catalogs, clock=clock, on_outbox=on_outbox)
        self.projects = Projects(self.notifier, clock=clock)
