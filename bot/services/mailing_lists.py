"""Communities' discussion lists: the wished state (lists, subscriptions) that the Mailman side carries out."""

from __future__ import annotations

import re
from datetime import datetime

from tortoise.exceptions import IntegrityError

from bot.core.errors import UserError
from bot.core.i18n import N_
from bot.services import search_index
from models import Account, AdapterState, Community, Event, Membership, NewsItem, NextStep, Person, Role
from models.mail import ListPost, ListStatus, ListSubscription, MailingList
from models.search import ListMessage

_LIST_PREFIX = re.compile(r"^\[[^\]]{1,100}\]\s*")  # Mailman's "[List name] " before each subject
_LOCAL_PART = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")


POST_EXCERPT = 500  # characters of a list post kept: enough to find it and recognize it, not an archive
DOMAIN_KEY = "mail:lists_domain"  # the lists' mail domain, published by the mail side when Mailman is configured


class Lists:
    def __init__(self, clock, people, projects):
        self.clock = clock
        self.people = people
        self.projects = projects

    async def domain(self) -> str | None:
        """The mail domain of the lists, or None when this Relais has no Mailman."""
        row = await AdapterState.get_or_none(key=DOMAIN_KEY)
        return row.value if row is not None and row.value else None

    async def publish_domain(self, domain: str) -> None:
        await AdapterState.update_or_create(key=DOMAIN_KEY, defaults={"value": domain})

    async def of(self, community: Community) -> MailingList | None:
        return await MailingList.get_or_none(community_id=community.id)

    async def by_list_id(self, list_id: str) -> MailingList | None:
        return await MailingList.get_or_none(list_id=list_id.lower(), status=ListStatus.READY)

    async def request(self, community: Community, by: Person, name: str, domain: str) -> MailingList:
        """Ask for the community's list `<name>@<domain>`; the Mailman side creates it and tells `by` when done."""
        name = name.lower()
        if not _LOCAL_PART.match(name):
            raise UserError(N_("“{name}” cannot name a list: use letters, digits, dots and dashes."), name=name)
        existing = await self.of(community)
        if existing is not None and existing.status != ListStatus.FAILED:
            raise UserError(N_("{community} already has the list {address}."), community=community.name, address=existing.address)
        address = f"{name}@{domain.lower()}"
        # Announcements start after the list exists: what was said before is not replayed on it.
        news = await NewsItem.filter(project__community_id=community.id).order_by("-id").first().values_list("id", flat=True) or 0
        steps = await NextStep.filter(project__community_id=community.id).order_by("-id").first().values_list("id", flat=True) or 0
        meetings = await Event.filter(community_id=community.id).order_by("-id").first().values_list("id", flat=True) or 0
        fields = {"address": address, "status": ListStatus.PENDING, "attempts": 0, "last_error": "", "created_by_id": by.id,
                  "news_cursor": news, "step_cursor": steps, "meeting_cursor": meetings, "list_id": "", "created_at": self.clock()}
        try:
            if existing is not None:
                await MailingList.filter(id=existing.id).update(**fields)
                return await MailingList.get(id=existing.id)
            return await MailingList.create(community_id=community.id, **fields)
        except IntegrityError:
            raise UserError(N_("The address {address} is already taken by another list."), address=address) from None

    async def confirmed_email(self, person_id: int) -> str | None:
        """The address the person's list mail goes to: a confirmed, reachable email account, preferred first."""
        rows = await Account.filter(person_id=person_id, platform="email", confirmed=True, reachable=True).order_by("-preferred", "id")
        return rows[0].address if rows else None

    async def subscribe(self, person: Person, community: Community, joined_now: bool) -> tuple[Membership, MailingList | None, str | None]:
        """Make the person an observer (members keep their role) who wants the community's list."""
        membership, _ = await Membership.get_or_create(person_id=person.id, community_id=community.id,
                                                       defaults={"role": Role.OBSERVER, **self.people.newcomer(community)})
        if joined_now and membership.role == Role.MEMBER:
            # The dispatcher joins first-time direct writers as members; a subscription asked for observer.
            membership.role = Role.OBSERVER
            await Membership.filter(id=membership.id).update(role=Role.OBSERVER)
        self.people.changed()
        row, created = await ListSubscription.get_or_create(community_id=community.id, person_id=person.id)
        if not created and not row.wanted:
            await ListSubscription.filter(id=row.id).update(wanted=True, attempts=0, last_error="")
        return membership, await self.of(community), await self.confirmed_email(person.id)

    async def unsubscribe(self, person: Person, community: Community) -> tuple[bool, bool]:
        """Stop the list for this person; an observer also leaves. Returns (was subscribed, left the community)."""
        wanted = await ListSubscription.filter(community_id=community.id, person_id=person.id, wanted=True).update(
            wanted=False, attempts=0, last_error="")
        membership = await Membership.get_or_none(person_id=person.id, community_id=community.id)
        left = membership is not None and membership.role == Role.OBSERVER
        if left:
            await self.projects.unfollow_community(person, community)
            await self.people.leave(person, membership)
        return bool(wanted), left

    async def record_post(self, community_id: int, address: str, when: datetime, subject: str = "", text: str = "",
                          author: str = "", message_id: str = "", archive_url: str = "") -> None:
        """One post read on the list: the author's last post date moves forward (never back); its subject and the
        start of its text are kept, and indexed for the search."""
        account = await Account.get_or_none(platform="email", address=address)
        person_id = account.person_id if account else None
        if subject.strip() or text.strip():
            await self._keep(community_id, address, person_id, when, subject, text, author, message_id, archive_url)
        row, created = await ListPost.get_or_create(community_id=community_id, address=address,
                                                    defaults={"last_post_at": when, "posts": 1, "person_id": person_id})
        if not created:
            await ListPost.filter(id=row.id).update(last_post_at=max(row.last_post_at, when), posts=row.posts + 1,
                                                    person_id=person_id or row.person_id)

    async def _keep(self, community_id: int, address: str, person_id: int | None, when: datetime, subject: str, text: str,
                    author: str, message_id: str, archive_url: str) -> None:
        if message_id and await ListMessage.exists(community_id=community_id, message_id=message_id[:255]):
            return  # a copy read twice is kept once
        url = archive_url.strip().strip("<>")
        subject = _LIST_PREFIX.sub("", " ".join(subject.split()))
        try:
            row = await ListMessage.create(community_id=community_id, address=address, person_id=person_id, author=author[:200],
                                           subject=subject[:300], excerpt=" ".join(text.split())[:POST_EXCERPT],
                                           message_id=message_id[:255] or None, posted_at=when,
                                           archive_url=url[:500] if url.startswith(("https://", "http://")) else "")
        except IntegrityError:  # the same copy read at the same moment by another process
            return
        await search_index.refresh("post", row.id)

    async def last_posts(self, community: Community) -> dict[int, datetime]:
        """Each person's last post on the community's list (for "stalest first")."""
        out: dict[int, datetime] = {}
        for row in await ListPost.filter(community_id=community.id, person_id__not_isnull=True):
            person_id = row.person_id
            if person_id is not None and (person_id not in out or row.last_post_at > out[person_id]):
                out[person_id] = row.last_post_at
        return out
