"""Email accounts and consent: double opt-in, held mail, bounces, one-click unsubscribe, reply rate."""

from __future__ import annotations

from datetime import datetime, timedelta

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from bot.core.errors import UserError
from bot.core.i18n import N_, normalize_locale
from bot.core.replies import Reply
from bot.services import channel_data
from models import Account, Person
from models.mail import InboundMail, MailAddress, MailStatus, OutgoingMail

PLATFORM = "email"
CONFIRM_EVERY = timedelta(hours=1)  # at most one confirmation mail an hour to an address, whoever asks


def normalize(address: str) -> str:
    """The address as Relais stores it (lower-cased), or a UserError saying it is not one."""
    from email_validator import EmailNotValidError, validate_email  # imported when an address is read

    try:
        return validate_email(address.strip().strip("<>"), check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        raise UserError(N_("“{address}” is not an email address."), address=address) from None


class Email:
    """Email accounts and their consent; holds no state of its own."""

    def __init__(self, catalogs, clock, people, notifier, default_locale: str = "fr"):
        self.catalogs = catalogs
        self.clock = clock
        self.people = people
        self.notifier = notifier
        self.default_locale = default_locale

    async def state(self, address: str) -> MailAddress:
        row, _ = await MailAddress.get_or_create(address=address)
        return row

    async def account(self, address: str) -> Account | None:
        return await Account.get_or_none(platform=PLATFORM, address=address).select_related("person")

    async def first_contact(self, address: str, display_name: str, locale: str | None) -> Account:
        """The account of a mail's sender; a new one is unconfirmed until the confirmation is answered."""
        account = await self.account(address)
        if account is not None:
            return account
        try:
            async with in_transaction():
                person = await Person.create(display_name=display_name or address.split("@")[0], locale=locale)
                account = await Account.create(person=person, platform=PLATFORM, address=address, confirmed=False,
                                               preferred=True, last_seen=self.clock())
        except IntegrityError:  # two mails of a newcomer processed at once
            return await Account.get(platform=PLATFORM, address=address).select_related("person")
        account.person = person
        return account

    async def add(self, person: Person, raw_address: str) -> tuple[Account, bool]:
        """`email add`: the unconfirmed account and whether a confirmation mail was queued now."""
        address = normalize(raw_address)
        account = await self.account(address)
        if account is not None and account.person_id == person.id and account.confirmed:
            raise UserError(N_("{address} is already one of your confirmed addresses."), address=address)
        if account is not None and account.person_id != person.id and account.confirmed:
            raise UserError(N_("{address} is already confirmed for someone else."), address=address)
        state = await self.state(address)
        if state.unsubscribed:
            raise UserError(N_("{address} asked not to receive mail from Relais. Write to Relais from that address to add it."),
                            address=address)
        if account is None:
            account = await Account.create(person_id=person.id, platform=PLATFORM, address=address, confirmed=False,
                                           preferred=False)
        elif account.person_id != person.id:
            # An unconfirmed claim moves to whoever asks last; older confirmation tokens name the old person and stop working.
            await Account.filter(id=account.id).update(person_id=person.id, preferred=False)
            account.person_id = person.id
        self.people.changed()
        return account, await self.queue_confirmation(account, person)

    async def remove(self, person: Person, current: Account, raw_address: str) -> str:
        address = normalize(raw_address)
        account = await Account.get_or_none(platform=PLATFORM, address=address, person_id=person.id)
        if account is None:
            raise UserError(N_("{address} is not one of your addresses."), address=address)
        if account.id == current.id:
            raise UserError(N_("You are writing from {address}: remove it from another account."), address=address)
        await account.delete()
        self.people.changed()
        return address

    async def queue_confirmation(self, account: Account, person: Person, answering: dict | None = None,
                                 held: bool = False) -> bool:
        """Queue the confirmation mail unless one went to this address within the hour. `answering`: what the mail
        channel needs to answer the mail that caused it in its thread; `held`: that mail waits for the confirmation
        (it says so, as it does when earlier mail from the address waits)."""
        now = self.clock()
        if await OutgoingMail.filter(address=account.address, kind="confirm", created_at__gt=now - CONFIRM_EVERY).exists():
            return False
        t = self.catalogs.get(person.locale or self.default_locale)
        reply = Reply().para(t(N_("Hello! Someone — hopefully you — asked Relais to send its mails to {address}."),
                               address=account.address))
        reply.para(t(N_("To confirm, reply to this mail (just send it back), or open the link below. "
                        "If it was not you, ignore this mail: you will receive nothing else.")))
        waiting = await InboundMail.filter(sender=account.address, status=MailStatus.HELD).count() + int(held)
        if waiting:
            reply.para(t.n("Your mail is waiting: its commands will run as soon as you confirm.",
                           "Your {count} mails are waiting: their commands will run as soon as you confirm.", waiting))
        await self.queue(account.address, "confirm", f"confirm:{account.id}:{int(now.timestamp())}",
                         {**(answering or {}), "reply": reply.to_dict(), "account": account.id, "person": person.id,
                          "locale": t.locale, "subject": t(N_("Confirm your address for Relais"))})
        return True

    async def queue(self, address: str, kind: str, key: str, payload: dict, connection=None) -> None:
        now = self.clock()
        await OutgoingMail.bulk_create([OutgoingMail(key=key, address=address, kind=kind, payload=payload, next_attempt_at=now,
                                                     created_at=now)], ignore_conflicts=True, using_db=connection)

    async def confirm(self, account_id: int, person_id: int | None = None) -> tuple[Account, bool] | None:
        """Confirm an email account (None when the token no longer matches one); releases its held mail."""
        account = await Account.get_or_none(id=account_id, platform=PLATFORM).select_related("person")
        if account is None or (person_id is not None and account.person_id != person_id):
            return None
        newly = not account.confirmed
        async with in_transaction():
            # The date of consent (`mydata` shows it); a repeated confirmation keeps the first one.
            await Account.filter(id=account.id).update(confirmed=True, reachable=True,
                                                       **({"confirmed_at": self.clock()} if newly else {}))
            await MailAddress.get_or_create(address=account.address)
            await MailAddress.filter(address=account.address).update(unsubscribed=False, disabled=False, bounces=0)
            await InboundMail.filter(sender=account.address, status=MailStatus.HELD).update(
                status=MailStatus.PENDING, next_attempt_at=self.clock())
        account.confirmed = account.reachable = True
        self.people.changed()
        return account, newly

    async def unsubscribe_address(self, account_id: int) -> Account | None:
        """One-click unsubscribe: this address receives no notification any more (other channels still do)."""
        account = await Account.get_or_none(id=account_id, platform=PLATFORM)
        if account is None:
            return None
        await MailAddress.get_or_create(address=account.address)
        await MailAddress.filter(address=account.address).update(unsubscribed=True)
        await Account.filter(id=account.id).update(reachable=False)
        self.people.changed()
        return account

    async def resubscribe_address(self, account_id: int) -> Account | None:
        """Undo a one-click unsubscribe: the address receives notifications again (unless bounces disabled it)."""
        account = await Account.get_or_none(id=account_id, platform=PLATFORM)
        if account is None:
            return None
        state = await self.state(account.address)
        await MailAddress.filter(address=account.address).update(unsubscribed=False)
        # Bounces are not undone by a click: an address that keeps bouncing stays off until it is confirmed anew.
        await Account.filter(id=account.id).update(reachable=not state.disabled)
        self.people.changed()
        return account

    async def bounced(self, address: str, limit: int) -> bool:
        """Count a permanent failure; at `limit` the address is disabled and its person told elsewhere. True if disabled now."""
        now = self.clock()
        state = await self.state(address)
        bounces = state.bounces + 1
        disable = bounces >= limit and not state.disabled
        await MailAddress.filter(address=address).update(bounces=bounces, last_bounce_at=now, disabled=state.disabled or disable)
        if not disable:
            return False
        account = await self.account(address)
        if account is not None:
            await Account.filter(id=account.id).update(reachable=False)
            self.people.changed()
            await self._tell_elsewhere(account, now)
        return True

    async def _tell_elsewhere(self, account: Account, now: datetime) -> None:
        others = await Account.filter(person_id=account.person_id, reachable=True, confirmed=True).exclude(id=account.id).exists()
        if not others:
            return
        person = account.person
        address = account.address

        def build(t):
            return Reply().para(t(N_("Mail to {address} keeps bouncing, so Relais stopped writing to it. "
                                     "Type /email add {address} once it works again."), address=address))

        await self.notifier.enqueue([person], f"mail-disabled:{address}:{int(now.timestamp())}", "mail_disabled", build, None,
                                    default_locale=normalize_locale(person.locale, self.default_locale))
        self.notifier.wake()

    async def may_reply(self, address: str, per_hour: int) -> bool:
        """Count one reply to `address`; False once `per_hour` replies went to it within the hour."""
        now = self.clock()
        state = await self.state(address)
        if state.window_start is None or now - state.window_start >= timedelta(hours=1):
            await MailAddress.filter(address=address).update(window_start=now, replies_in_window=1)
            return True
        if state.replies_in_window >= per_hour:
            return False
        await MailAddress.filter(address=address).update(replies_in_window=state.replies_in_window + 1)
        return True

    async def receives(self, address: str) -> bool:
        """Whether notifications may go to this address (not disabled by bounces, not unsubscribed)."""
        state = await MailAddress.get_or_none(address=address)
        return state is None or not (state.disabled or state.unsubscribed)


async def _describe_addresses(addresses: list[str]) -> dict[str, dict]:
    return {m.address: {"bounces": m.bounces, "unsubscribed": m.unsubscribed}
            for m in await MailAddress.filter(address__in=addresses)}


async def _erase_addresses(tx, addresses: list[str]) -> None:
    """Mail from and to the addresses, their list posts' counts; an address that asked for no mail, or bounced,
    stays on that list only (its address and the flag)."""
    from models.mail import ListPost

    await InboundMail.filter(sender__in=addresses).exclude(status__in=[MailStatus.WORKING, MailStatus.PENDING]).using_db(tx).delete()
    await OutgoingMail.filter(address__in=addresses).exclude(status=MailStatus.WORKING).using_db(tx).delete()
    await MailAddress.filter(address__in=addresses, disabled=False, unsubscribed=False).using_db(tx).delete()
    await ListPost.filter(address__in=addresses).using_db(tx).delete()


channel_data.register(PLATFORM, _describe_addresses, _erase_addresses)
