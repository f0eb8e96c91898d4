"""Mailman 3 lists driven with mailmanclient: create, subscribe, post announcements; the sync client runs in threads."""

from __future__ import annotations

import asyncio
import logging
import smtplib
from collections.abc import Callable
from datetime import datetime
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime
from typing import TYPE_CHECKING
from urllib.error import HTTPError
from zoneinfo import ZoneInfo

import mailmanclient

from bot.adapters.web import split_listen
from bot.config import MailmanSettings
from bot.core.i18n import N_, Catalogs
from bot.core.replies import Reply
from bot.services.events_text import name as event_name
from bot.services.events_text import when_text
from bot.services.people import author_label
from mail.outbound import Ready
from mail.smtp import FileDrop, PermanentSmtpError, SmtpPool
from models import Community, Event, NewsItem, NextStep, Person
from models.mail import ListDeparture, ListStatus, ListSubscription, MailingList

if TYPE_CHECKING:
    from bot.services import Services

log = logging.getLogger("relais.mailman")
MAX_ATTEMPTS = 5


class MailmanSync:
    """Brings Mailman to the state the database asks for: lists, subscriptions, announcements; retries on failure."""

    def __init__(self, settings: MailmanSettings, ready: Ready, transport: SmtpPool | FileDrop, services: Services,
                 catalogs: Catalogs, clock: Callable[[], datetime], interval: float = 2.0):
        self.settings = settings
        self.ready = ready  # the composer: Relais' address, Message-IDs
        self.transport = transport  # announcements go out through Relais' own SMTP unless Mailman takes LMTP
        self.services = services  # lists, notifier, event notices
        self.catalogs = catalogs
        self.clock = clock
        self.interval = interval
        self._wake = asyncio.Event()

    def client(self) -> mailmanclient.Client:
        return mailmanclient.Client(self.settings.url, self.settings.user, self.settings.password.get_secret_value())

    def wake(self) -> None:
        self._wake.set()

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self.sync_once()
            except Exception:  # Mailman down or answering oddly: the next pass tries again
                log.exception("mailman sync pass failed")
            self._wake.clear()
            waiters = [asyncio.ensure_future(self._wake.wait()), asyncio.ensure_future(stop.wait())]
            await asyncio.wait(waiters, timeout=self.interval, return_when=asyncio.FIRST_COMPLETED)
            for w in waiters:
                w.cancel()

    async def sync_once(self) -> None:
        for mlist in await MailingList.filter(status=ListStatus.PENDING).order_by("id"):
            await self._create(mlist)
        ready = await MailingList.filter(status=ListStatus.READY).order_by("id")
        for mlist in ready:
            await self._departures(mlist)
            await self._subscriptions(mlist)
            await self._announce(mlist)
        # A community without a list has nobody subscribed to take off.
        await ListDeparture.exclude(community_id__in=[m.community_id for m in ready]).delete()

    # --- lists -------------------------------------------------------------------------------------------------

    def _create_sync(self, fqdn: str, name: str, description: str, relais: str) -> str:
        client = self.client()
        local, _, domain = fqdn.partition("@")
        try:
            client.get_domain(domain)
        except HTTPError as exc:
            if exc.code != 404:
                raise
            client.create_domain(domain)
        try:
            mlist = client.get_list(fqdn)
        except HTTPError as exc:
            if exc.code != 404:
                raise
            mlist = client.get_domain(domain).create_list(local)
        settings = mlist.settings
        settings["display_name"] = name
        settings["description"] = description
        settings["default_member_action"] = "accept"  # a discussion list: members write freely
        settings["send_welcome_message"] = False  # Relais already greeted and confirmed its subscribers
        settings.save()
        self._subscribe_sync(mlist, relais)  # Relais reads the traffic (last post dates) and posts announcements
        member = mlist.get_member(relais)
        member.moderation_action = "accept"
        member.save()
        return mlist.list_id

    @staticmethod
    def _subscribe_sync(mlist, address: str) -> None:
        try:
            mlist.get_member(address)
            return
        except ValueError:
            pass
        mlist.subscribe(address, pre_verified=True, pre_confirmed=True, pre_approved=True, send_welcome_message=False)

    async def _create(self, mlist: MailingList) -> None:
        community = await Community.get(id=mlist.community_id)
        composer = await self.ready()
        try:
            list_id = await asyncio.to_thread(self._create_sync, mlist.address, community.name,
                                              f"{community.name} — Relais", composer.address)
        except Exception as exc:
            attempts = mlist.attempts + 1
            failed = attempts >= MAX_ATTEMPTS
            await MailingList.filter(id=mlist.id).update(attempts=attempts, last_error=f"{type(exc).__name__}: {str(exc)[:300]}",
                                                         status=ListStatus.FAILED if failed else ListStatus.PENDING)
            log.warning("list creation failed", extra={"list": mlist.address, "attempts": attempts, "error": str(exc)[:200]})
            if failed:
                await self._tell(mlist, "list-failed", N_("The list {address} could not be created on Mailman: {error}"),
                                 error=str(exc)[:200])
            return
        await MailingList.filter(id=mlist.id).update(status=ListStatus.READY, list_id=list_id.lower(), last_error="")
        log.info("list created", extra={"list": mlist.address})
        await self._tell(mlist, "list-ready", N_("The list {address} is ready: Relais posts the news and next steps there."))

    async def _tell(self, mlist: MailingList, kind: str, message: str, **params) -> None:
        if mlist.created_by_id is None:
            return
        person = await Person.get(id=mlist.created_by_id)

        def build(t):
            return Reply().para(t(message, address=mlist.address, **params))

        notifier = self.services.notifier
        await notifier.enqueue([person], f"{kind}:{mlist.id}:{mlist.attempts}", kind, build, mlist.community_id)
        notifier.wake()

    # --- subscriptions -----------------------------------------------------------------------------------------

    async def _subscriptions(self, mlist: MailingList) -> None:
        lists = self.services.lists
        for sub in await ListSubscription.filter(community_id=mlist.community_id, attempts__lt=MAX_ATTEMPTS):
            wanted = await lists.confirmed_email(sub.person_id) if sub.wanted else None
            if wanted == sub.address:
                continue
            try:
                await asyncio.to_thread(self._move_sync, mlist.address, sub.address, wanted)
            except Exception as exc:
                await ListSubscription.filter(id=sub.id).update(attempts=sub.attempts + 1, last_error=str(exc)[:300])
                log.warning("list subscription failed", extra={"list": mlist.address, "error": str(exc)[:200]})
                continue
            await ListSubscription.filter(id=sub.id).update(address=wanted, attempts=0, last_error="")
            log.info("list membership changed", extra={"list": mlist.address, "subscribed": wanted is not None})

    async def _departures(self, mlist: MailingList) -> None:
        """Addresses whose person was erased or joined to another: off the list (unless a subscription holds it)."""
        for gone in await ListDeparture.filter(community_id=mlist.community_id):
            if not await ListSubscription.filter(community_id=mlist.community_id, address=gone.address).exists():
                try:
                    await asyncio.to_thread(self._move_sync, mlist.address, gone.address, None)
                except Exception as exc:  # tried again next pass
                    log.warning("list departure failed", extra={"list": mlist.address, "error": str(exc)[:200]})
                    continue
                log.info("list membership changed", extra={"list": mlist.address, "subscribed": False})
            await ListDeparture.filter(id=gone.id).delete()

    def _move_sync(self, fqdn: str, old: str | None, new: str | None) -> None:
        mlist = self.client().get_list(fqdn)
        if old:
            try:
                mlist.unsubscribe(old, pre_confirmed=True, pre_approved=True)
            except ValueError:  # not a member any more: nothing to undo
                pass
        if new:
            self._subscribe_sync(mlist, new)

    # --- announcements -----------------------------------------------------------------------------------------

    async def _announce(self, mlist: MailingList) -> None:
        news = await NewsItem.filter(project__community_id=mlist.community_id, id__gt=mlist.news_cursor).order_by("id").select_related("project", "author")
        for item in news:
            t = self.catalogs.get((await Community.get(id=mlist.community_id)).locale)
            await self._post(mlist, f"news{item.id}", item.created_at, f"📰 {item.project.title}",
                             item.text, author_label(t, item.author, item.former_author))
            await MailingList.filter(id=mlist.id).update(news_cursor=item.id)
        steps = await NextStep.filter(project__community_id=mlist.community_id, id__gt=mlist.step_cursor).order_by("id").select_related("project", "author")
        for step in steps:
            community = await Community.get(id=mlist.community_id)
            t = self.catalogs.get(community.locale)
            text = step.text + (" " + t(N_("(by {date})"), date=t.date(step.due)) if step.due else "")
            await self._post(mlist, f"step{step.id}", step.created_at, "➡️ " + t(N_("{project}: next step"), project=step.project.title),
                             text, author_label(t, step.author, True))
            await MailingList.filter(id=mlist.id).update(step_cursor=step.id)
        # The general meetings and the other events (one table, one id sequence: the cursor kept its name).
        events = await Event.filter(community_id=mlist.community_id, id__gt=mlist.meeting_cursor).order_by("id")
        for event in events:
            community = await Community.get(id=mlist.community_id)
            t = self.catalogs.get(community.locale)
            if not event.cancelled and event.starts_at > self.clock():
                tz = ZoneInfo(community.timezone)
                text = f"{event_name(t, event, community.name)}: {when_text(t, event, tz)}"
                if event.place:
                    text += "\n" + t(N_("Place: {place}"), place=event.place)
                text += "\n" + t(N_("Answer with “coming {number}” or “not coming {number}” in a mail to Relais."), number=event.id)
                tag = f"meeting{event.id}" if event.kind == "meeting" else f"event{event.id}"
                await self._post(mlist, tag, event.created_at, "📅 " + event_name(t, event, community.name), text, "",
                                 (f"{tag}.ics", self.services.event_notices.ics(t, event, community, "PUBLISH")))
            await MailingList.filter(id=mlist.id).update(meeting_cursor=event.id)

    async def _post(self, mlist: MailingList, tag: str, created, subject: str, text: str, author: str,
                    calendar: tuple[str, bytes] | None = None) -> None:
        composer = await self.ready()
        msg = EmailMessage(policy=policy.SMTP)
        msg["From"] = f"{author} via Relais <{composer.address}>" if author else composer.sender
        msg["To"] = mlist.address
        msg["Subject"] = subject
        msg["Date"] = format_datetime(self.clock())
        msg["Message-ID"] = composer.message_id(tag, created)
        msg.set_content(text + "\n", charset="utf-8")
        if calendar is not None:  # the meeting's invitation, for the readers' calendars
            msg.add_attachment(calendar[1], maintype="text", subtype="calendar", filename=calendar[0])
        if self.settings.lmtp:
            host, port = split_listen(self.settings.lmtp)
            await asyncio.to_thread(_lmtp_send, host, port, msg, composer.address, mlist.address)
        else:
            try:
                await self.transport.send(composer.address, [mlist.address], msg.as_bytes())
            except PermanentSmtpError as exc:  # the list address itself refused: retrying would not help, say it loudly
                log.error("list post refused", extra={"list": mlist.address, "error": str(exc)[:200]})
        log.info("list post", extra={"list": mlist.address, "tag": tag})


def _lmtp_send(host: str, port: int, msg: EmailMessage, sender: str, recipient: str) -> None:
    with smtplib.LMTP(host, port, timeout=30) as lmtp:
        refused = lmtp.send_message(msg, from_addr=sender, to_addrs=[recipient])
    if refused:
        raise smtplib.SMTPRecipientsRefused(refused)
