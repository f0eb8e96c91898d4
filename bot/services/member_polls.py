"""Members' polls: whether members may open polls, the facilitators told of each one and able to hide it, the reasons
voters give (`vote 3 2 because …`, never on a secret poll), and what a closed poll decided, with a review date."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Callable

from bot.core.errors import UserError
from bot.core.i18n import N_, Translator
from bot.core.replies import About, Reply, bold
from bot.core.sql import fetch
from bot.services import search_index
from bot.services.directory import profile
from bot.services.notify import Notifier
from models import Community, Membership, Person, PollHidden, PollOutcome, Role, VotePoll, VoteReason

MAX_REASON, MAX_OUTCOME = 500, 2000
# `vote 3 2 because …`, `voter 3 2 parce que …`, `voter 3 2 car …`: what follows is the reason.
_REASON = re.compile(r"(?:^|\s)(?:because|since|parce\s+qu(?:e\s|')|car\s|pcq\s)", re.IGNORECASE)


def split_reason(text: str) -> tuple[str, str]:
    """A ballot's line: (the choice, the reason or ""); a reason longer than MAX_REASON is refused before anything is cast."""
    found = _REASON.search(" " + text + " ")
    if found is None:
        return text, ""
    start = max(found.start() - 1, 0)
    reason = " ".join(text[found.end() - 1:].split())
    if len(reason) > MAX_REASON:
        raise UserError(N_("That is too long: at most {limit} characters."), limit=MAX_REASON)
    return text[:start].strip(), reason


@dataclass(frozen=True)
class Reason:
    name: str
    choice: list[int] | dict | None
    text: str


class MemberPolls:
    def __init__(self, clock: Callable[[], datetime], notifier: Notifier):
        self.clock = clock
        self.notifier = notifier

    async def allowed(self, community: Community) -> bool:
        return (await profile(community.id)).member_polls

    async def tell_facilitators(self, poll: VotePoll, community: Community, by: Person) -> int:
        """A member opened a poll: the facilitators hear of it, with the close and the hide at hand."""
        ids = await Membership.filter(community_id=community.id, role=Role.FACILITATOR).values_list("person_id", flat=True)
        staff = [p for p in await Person.filter(id__in=list(ids)).order_by("id") if p.id != by.id]
        ref = f"{community.slug}#{poll.number}"

        def build(t: Translator) -> Reply:
            return (Reply().para("🗳 ", t(N_("{name} opened poll #{number}: "), name=by.display_name or "?", number=poll.number),
                                 bold(poll.question))
                    .para(t(N_("Members may open polls in {community} (/member polls off to stop it)."), community=community.name))
                    .add(About((("poll", poll.id, 0),)))
                    .choice(t(N_("See the poll")), f"poll show {ref}")
                    .choice(t(N_("Close it")), f"poll close {ref}")
                    .choice(t(N_("Hide it")), f"poll hide {ref}"))
        sent = await self.notifier.enqueue(staff, f"member-poll:{poll.id}", "poll", build, community.id, default_locale=community.locale)
        self.notifier.wake()
        return sent

    # -- hiding -------------------------------------------------------------------------------------------

    async def hidden(self, poll: VotePoll) -> bool:
        return await PollHidden.exists(poll_id=poll.id)

    async def hide(self, poll: VotePoll, by: Person) -> bool:
        """Out of every list, page, digest and search; the caller closes it first."""
        added = await fetch('INSERT INTO "poll_hidden" ("poll_id", "by_id", "at") VALUES (?, ?, ?) ON CONFLICT DO NOTHING '
                            'RETURNING "id"', [poll.id, by.id, self.clock()])
        await search_index.drop("poll", poll.id)
        return bool(added)

    async def unhide(self, poll: VotePoll) -> bool:
        removed = await PollHidden.filter(poll_id=poll.id).delete()
        await search_index.refresh("poll", poll.id)
        return removed > 0

    # -- reasons ------------------------------------------------------------------------------------------

    async def keep_reason(self, poll: VotePoll, person: Person, text: str) -> None:
        """The reason given with a ballot replaces the one given before (none given: none kept); never on a secret poll."""
        await VoteReason.filter(poll_id=poll.id, person_id=person.id).delete()
        text = " ".join(text.split())
        if not text or poll.secret:
            return
        if len(text) > MAX_REASON:
            raise UserError(N_("That is too long: at most {limit} characters."), limit=MAX_REASON)
        await VoteReason.create(poll_id=poll.id, person_id=person.id, text=text, at=self.clock())

    async def drop_reason(self, poll: VotePoll, person: Person) -> None:
        await VoteReason.filter(poll_id=poll.id, person_id=person.id).delete()

    async def reasons(self, poll: VotePoll) -> list[Reason]:
        """Each reason with its voter's name and ballot (a poll that is not secret keeps who voted what)."""
        if poll.secret:
            return []
        rows = await fetch('SELECT p."display_name", b."choice", r."text" FROM "vote_reason" r JOIN "person" p ON p."id" = r."person_id" '
                           'LEFT JOIN "ballot" b ON b."poll_id" = r."poll_id" AND b."voter" = \'p\' || CAST(r."person_id" AS TEXT) '
                           'WHERE r."poll_id" = ? ORDER BY r."at", r."id"', [poll.id])
        return [Reason(str(name or ""), json.loads(choice) if isinstance(choice, str) else choice, str(text)) for name, choice, text in rows]

    # -- outcomes -----------------------------------------------------------------------------------------

    async def record(self, poll: VotePoll, by: Person, text: str, review_on: date | None) -> bool:
        """The decision of a closed poll (replacing an earlier one); True when it replaced one."""
        if poll.closed_at is None:
            raise UserError(N_("Poll #{number} is still open: close it before recording what it decided."), number=poll.number)
        text = " ".join(text.split())
        if not text:
            raise UserError(N_("Say what was decided: /outcome #{number} <text> [review <date>]."), number=poll.number)
        if len(text) > MAX_OUTCOME:
            raise UserError(N_("That is too long: at most {limit} characters."), limit=MAX_OUTCOME)
        if review_on is not None and review_on < self.clock().date():
            raise UserError(N_("The date {when} is in the past; give a date from today on."), when=review_on.isoformat())
        replaced = await PollOutcome.filter(poll_id=poll.id).delete()
        await PollOutcome.create(poll_id=poll.id, text=text, review_on=review_on, by_id=by.id, at=self.clock())
        return replaced > 0

    async def outcome(self, poll: VotePoll) -> PollOutcome | None:
        return await PollOutcome.get_or_none(poll_id=poll.id)

    async def reviewed(self, poll: VotePoll) -> bool:
        return await PollOutcome.filter(poll_id=poll.id, reviewed_at__isnull=True).update(reviewed_at=self.clock()) > 0
