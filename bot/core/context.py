"""What a handler gets: who is asking, in which community, in which language, and the services."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.core.errors import UserError
from bot.core.i18n import N_, Translator
from bot.core.incoming import Incoming
from models import Account, Community, Membership, Person, Role


@dataclass
class Context:
    incoming: Incoming
    account: Account
    person: Person
    community: Community | None
    membership: Membership | None
    t: Translator
    services: object
    registry: object

    @property
    def role(self) -> Role | None:
        return self.membership.role if self.membership else None

    @property
    def locale(self) -> str:
        return self.t.locale

    def now(self) -> datetime:
        return self.services.clock()

    def need_community(self) -> Community:
        if self.community is None:
            raise UserError(N_("You are not in any community yet. Type /join <community> to join one."))
        return self.community
