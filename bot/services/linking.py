"""One person across platforms: link codes, two people joined into one, an account separated again, the channel
notifications go to."""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from bot.core.commands import fold
from bot.core.errors import UserError
from bot.core.i18n import N_
from bot.services.people import parse_handle
from bot.services.person_rows import move, person_columns, prefer_latest
from models import Account, DigestSubscription, LinkAttempt, LinkCode, LinkTry, Membership, Person, Role
from models.mail import ListDeparture, ListSubscription

log = logging.getLogger("relais.linking")

CODE_VALID = timedelta(minutes=10)
MAX_TRIES = 5  # wrong codes from one account before linking is locked for it
LOCK = timedelta(hours=1)
CODE_TRIES = 3  # wrong tries at one code (its first part right, the rest wrong) kill it
PLATFORM_TRIES = 60  # wrong codes on one platform within PLATFORM_WINDOW before linking pauses there
PLATFORM_WINDOW = timedelta(minutes=10)
# A code is 10 characters of an alphabet without look-alikes (no 0/O, 1/I/L, U), shown as `K7QX-48Z9MT`: the first 4
# say which code is meant, the last 6 must match its hash. One guess succeeds with odds of at most (live codes) in
# 30^10 ≈ 5.9 × 10^14; 60 wrong tries per platform per 10 minutes make guessing any code during its 10 minutes hopeless.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
ID_LENGTH, SECRET_LENGTH = 4, 6


def normalize_code(typed: str) -> str | None:
    """The code as stored (upper case, no separators), or None when it cannot be one."""
    code = "".join(typed.split()).replace("-", "").replace(".", "").upper()
    if len(code) != ID_LENGTH + SECRET_LENGTH or any(c not in ALPHABET for c in code):
        return None
    return code


def shown(code: str) -> str:
    return f"{code[:ID_LENGTH]}-{code[ID_LENGTH:]}"


def _hash(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()
# Where both people have a row for the same thing, the newer answer wins (its time column); elsewhere the kept
# person's row stays (a follow, a click counted once, a digest already sent this week).
PREFER_LATEST = {"event_answer": "at", "promise": "at"}


@dataclass
class Linked:
    person: Person  # the one person now
    already: bool = False  # the code was this person's own: nothing to join


async def _known_name(tx, keep: Person, gone: Person) -> str:
    """The name people know the joined person by: a display name that is only one of their accounts' addresses (a
    console handle or an address taken at first contact) gives way to a name someone gave (« bern » to « Bernadette »)."""
    addresses = {fold(str(a)) for a in await Account.filter(person_id__in=[keep.id, gone.id]).using_db(tx)
                 .values_list("address", flat=True)}

    def given(person: Person) -> bool:
        return bool(person.display_name.strip()) and fold(person.display_name) not in addresses

    return gone.display_name if given(gone) and not given(keep) else keep.display_name


def ordered(accounts: list[Account]) -> list[Account]:
    """The accounts in the order delivery tries them: the preferred one, then the most recently seen."""
    usable = [a for a in accounts if a.confirmed and a.reachable]
    return sorted(usable, key=lambda a: (not a.preferred, -(a.last_seen.timestamp() if a.last_seen else 0), a.id))


class Linking:
    def __init__(self, clock: Callable[[], datetime], people, votes):
        self.clock = clock
        self.people = people
        self.votes = votes

    # -- codes --------------------------------------------------------------------------------------------

    async def new_code(self, account: Account) -> str:
        """A fresh code for the account's person (the account's older code stops working); only its hash is kept."""
        now = self.clock()
        await LinkCode.filter(expires_at__lte=now).delete()  # expired ones free their first part
        await LinkCode.filter(account_id=account.id).delete()
        for _ in range(20):
            code = "".join(secrets.choice(ALPHABET) for _ in range(ID_LENGTH + SECRET_LENGTH))
            try:
                await LinkCode.create(code=code[:ID_LENGTH], secret=_hash(code), person_id=account.person_id,
                                      account_id=account.id, created_at=now, expires_at=now + CODE_VALID)
                return shown(code)
            except IntegrityError:  # its first part is in use right now: draw again
                continue
        raise UserError(N_("Too many link codes are in use right now; try again in a few minutes."))

    async def use_code(self, account: Account, code: str) -> Linked:
        """The code typed from `account` (normalized): its person joins the code's person. A wrong, used or expired code
        counts against the account (locked for an hour at `MAX_TRIES`), against the code it names (killed at
        `CODE_TRIES`) and against the platform (paused at `PLATFORM_TRIES` within `PLATFORM_WINDOW`)."""
        now = self.clock()
        guard = await LinkAttempt.get_or_none(account_id=account.id)
        if guard is not None and guard.locked_until is not None and guard.locked_until > now:
            raise UserError(N_("Too many wrong codes: linking is locked for this account for {minutes} more min."),
                            minutes=max(1, -int((now - guard.locked_until).total_seconds() // 60)))
        if await LinkTry.filter(platform=account.platform, at__gt=now - PLATFORM_WINDOW).count() >= PLATFORM_TRIES:
            log.warning("linking paused on a platform", extra={"platform": account.platform})
            raise UserError(N_("Too many wrong link codes were typed here lately: linking is paused for a few minutes."))
        row = await LinkCode.get_or_none(code=code[:ID_LENGTH])
        right = row is not None and hmac.compare_digest(row.secret, _hash(code))
        # Deleting the row is what uses it: two accounts typing it at once, only one deletes it.
        if not right or row is None or row.expires_at <= now or not await LinkCode.filter(id=row.id).delete():
            await LinkTry.create(platform=account.platform, at=now)
            left = await self._failed(account, guard, now)
            expired = row is not None and row.expires_at <= now
            if row is not None and expired:
                await LinkCode.filter(id=row.id).delete()
            elif row is not None and not right and await self._code_failed(row):
                raise UserError(N_("That code is not valid, and after 3 wrong tries it no longer works: type /link on your "
                                   "other account for a new one. Tries left: {left}."), left=left)
            if left == 0:
                raise UserError(N_("That code is not valid, and that was the last try: linking is locked for this account "
                                   "for an hour."))
            if expired:
                raise UserError(N_("That code has expired (a code is valid 10 minutes): type /link on your other account "
                                   "for a new one. Tries left: {left}."), left=left)
            raise UserError(N_("That code is not valid: check it, or type /link on your other account for a new one. "
                               "Tries left: {left}."), left=left)
        if guard is not None:
            await LinkAttempt.filter(id=guard.id).update(failures=0, locked_until=None)
        if row.person_id == account.person_id:
            return Linked(await Person.get(id=row.person_id), already=True)
        person = await self.merge(row.person_id, account.person_id)
        log.info("accounts linked", extra={"person": person.id})
        return Linked(person)

    @staticmethod
    async def _code_failed(row: LinkCode) -> bool:
        """A wrong try at this code; True when it was its last (the code is gone)."""
        await LinkCode.filter(id=row.id).update(failures=row.failures + 1)
        if row.failures + 1 >= CODE_TRIES:
            await LinkCode.filter(id=row.id).delete()
            log.warning("link code killed after wrong tries", extra={"person_id": row.person_id})
            return True
        return False

    async def _failed(self, account: Account, guard: LinkAttempt | None, now: datetime) -> int:
        """Count a wrong try; returns how many are left (0: locked now)."""
        if guard is None:
            guard, _ = await LinkAttempt.get_or_create(account_id=account.id)
        failures = guard.failures + 1
        if failures >= MAX_TRIES:
            await LinkAttempt.filter(id=guard.id).update(failures=0, last_failure_at=now, locked_until=now + LOCK)
            log.warning("linking locked", extra={"account_id": account.id})
            return 0
        await LinkAttempt.filter(id=guard.id).update(failures=failures, last_failure_at=now, locked_until=None)
        return MAX_TRIES - failures

    # -- joining two people -------------------------------------------------------------------------------

    async def merge(self, keep_id: int, gone_id: int) -> Person:
        """Everything of `gone` becomes `keep`'s, once: one ballot per poll, one membership per community with the
        higher role, one answer per meeting; then `gone` is deleted. One transaction."""
        keep = await Person.get(id=keep_id)
        gone = await Person.get(id=gone_id)
        async with in_transaction() as tx:
            await self.votes.move_ballots(tx, keep_id, gone_id)
            await self._memberships(tx, keep_id, gone_id)
            await self._digest(tx, keep_id, gone_id)
            await self._lists(tx, keep_id, gone_id)
            if await Account.filter(person_id=keep_id, preferred=True).using_db(tx).exists():
                await Account.filter(person_id=gone_id).using_db(tx).update(preferred=False)
            columns = person_columns()
            for col in columns:
                if col.table in PREFER_LATEST:
                    await prefer_latest(tx, col, PREFER_LATEST[col.table], keep_id, gone_id)
            for col in columns:
                await move(tx, col, keep_id, gone_id)
            values = {"display_name": await _known_name(tx, keep, gone),
                      "locale": keep.locale or gone.locale, "timezone": keep.timezone or gone.timezone,
                      "current_community_id": keep.current_community_id or gone.current_community_id,
                      "away_until": max((d for d in (keep.away_until, gone.away_until) if d), default=None)}
            await Person.filter(id=keep_id).using_db(tx).update(**values)
            await Person.filter(id=gone_id).using_db(tx).delete()
        self.people.changed()
        return await Person.get(id=keep_id)

    @staticmethod
    async def _memberships(tx, keep: int, gone: int) -> None:
        mine = {m.community_id: m for m in await Membership.filter(person_id=keep).using_db(tx)}
        for other in await Membership.filter(person_id=gone).using_db(tx):
            kept = mine.get(other.community_id)
            if kept is not None:
                await Membership.filter(id=kept.id).using_db(tx).update(role=max(kept.role, other.role),
                                                                        joined_at=min(kept.joined_at, other.joined_at))

    @staticmethod
    async def _digest(tx, keep: int, gone: int) -> None:
        """Asked for on either account, the digest stays asked for."""
        mine = {s.community_id: s for s in await DigestSubscription.filter(person_id=keep).using_db(tx)}
        for other in await DigestSubscription.filter(person_id=gone).using_db(tx):
            kept = mine.get(other.community_id)
            if kept is not None and other.enabled and not kept.enabled:
                await DigestSubscription.filter(id=kept.id).using_db(tx).update(enabled=True)

    async def _lists(self, tx, keep: int, gone: int) -> None:
        """One list subscription per community: wanted if either wanted it; an address subscribed for `gone` that
        the kept row does not carry is taken off the list by the Mailman side."""
        mine = {s.community_id: s for s in await ListSubscription.filter(person_id=keep).using_db(tx)}
        for other in await ListSubscription.filter(person_id=gone).using_db(tx):
            kept = mine.get(other.community_id)
            if kept is None:
                continue
            values: dict = {"wanted": kept.wanted or other.wanted}
            if kept.address is None and other.address:
                values.update(address=other.address, attempts=0, last_error="")
            elif other.address and other.address != kept.address:
                await ListDeparture.create(community_id=other.community_id, address=other.address, created_at=self.clock(),
                                           using_db=tx)
            await ListSubscription.filter(id=kept.id).using_db(tx).update(**values)

    # -- separating an account ----------------------------------------------------------------------------

    async def unlink(self, person: Person, handle: str) -> Account:
        """The account becomes a person of its own, in the same communities (as a member at most), without the
        follows, roles, ballots or settings, which stay with `person`. The new person is marked as split off now: it is
        no elector of the polls open now (one person, one vote), only of those opened later."""
        platform, address = parse_handle(handle)
        account = await Account.get_or_none(platform=platform, address=address, person_id=person.id)
        if account is None:
            raise UserError(N_("{handle} is not one of your accounts (type /me to see them)."), handle=f"{platform}:{address}")
        others = [a for a in await Account.filter(person_id=person.id) if a.id != account.id]
        if not others:
            raise UserError(N_("{handle} is your only account: there is nothing to unlink it from."), handle=account.handle)
        async with in_transaction() as tx:
            new = await Person.create(display_name=person.display_name, locale=person.locale, timezone=person.timezone,
                                      separated_at=self.clock(), using_db=tx)
            await Account.filter(id=account.id).using_db(tx).update(person_id=new.id, preferred=True)
            await LinkCode.filter(account_id=account.id).using_db(tx).delete()
            for m in await Membership.filter(person_id=person.id).using_db(tx):
                await Membership.create(person_id=new.id, community_id=m.community_id, role=min(m.role, Role.MEMBER), using_db=tx)
            if account.preferred:
                following = ordered(others) or others
                await Account.filter(id=following[0].id).using_db(tx).update(preferred=True)
        self.people.changed()
        account.person_id = new.id
        return account

    # -- where notifications go ---------------------------------------------------------------------------

    async def channel(self, person: Person) -> Account | None:
        """The account notifications go to first (delivery falls back to the next when it cannot reach it)."""
        found = ordered(await Account.filter(person_id=person.id))
        return found[0] if found else None

    async def choose(self, person: Person, platform: str) -> Account:
        accounts = await Account.filter(person_id=person.id, platform=platform)
        if not accounts:
            raise UserError(N_("You have no {platform} account linked: type /link here, then /link <code> from your "
                               "{platform} account."), platform=platform)
        usable = ordered(accounts)
        if not usable:
            pending = next((a for a in accounts if not a.confirmed), None)
            if pending is not None:
                raise UserError(N_("{address} is not confirmed yet: answer the confirmation mail first."), address=pending.address)
            raise UserError(N_("{handle} cannot be reached (it bounced or blocked Relais)."), handle=accounts[0].handle)
        chosen = usable[0]
        async with in_transaction() as tx:
            await Account.filter(person_id=person.id).using_db(tx).update(preferred=False)
            await Account.filter(id=chosen.id).using_db(tx).update(preferred=True)
        self.people.changed()
        return chosen
