"""What a handler gets: who is asking, in which community, in which language, and the services."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.core.choices import conversation
from bot.core.errors import UserError
from bot.core.i18n import N_, Translator
from bot.core.incoming import Incoming
from models import Account, Community, Membership, Person, Role

if TYPE_CHECKING:  # the services are built below the runtime; named here for the type checker
    from bot.core.commands import Registry
    from bot.services import Services


@dataclass
class Context:
    incoming: Incoming
    account: Account
    person: Person
    community: Community | None
    membership: Membership | None
    t: Translator
    services: Services
    registry: Registry

    @property
    def role(self) -> Role | None:
        return self.membership.role if self.membership else None

    @property
    def locale(self) -> str:
        return self.t.locale

    @property
    def where(self) -> str:
        """This conversation's key (choices offered here, questions asked here)."""
        return conversation(self.incoming.platform, self.incoming.address, self.incoming.chat)

    def now(self) -> datetime:
        return self.services.clock()

    def zone(self, community: Community) -> ZoneInfo:
        """The time zone dates are shown in: the person's own (`timezone`) when they chose one and read alone (a
        direct chat, a mail); the community's in its groups and rooms."""
        if self.person.timezone and self.incoming.direct:
            try:
                return ZoneInfo(self.person.timezone)
            except (ZoneInfoNotFoundError, ValueError):  # a name the tz database no longer has
                pass
        return ZoneInfo(community.timezone)

    def need_community(self) -> Community:
        if self.community is None:
            raise UserError(N_("You are not in any community yet. Type /join <community> to join one."))
        return self.community

    @property
    def facilitator(self) -> bool:
        return self.role is not None and self.role >= Role.FACILITATOR

    async def need_referent(self, project) -> None:
        """A referent of the project or a facilitator, else the refusal that says so (commands declared with
        `referent_of` are checked by the dispatcher; answers and other paths call this)."""
        if not self.facilitator and not await self.services.projects.is_referent(project, self.person):
            raise UserError(N_("Only the referents of {project} and the facilitators can do that."), project=project.title)
