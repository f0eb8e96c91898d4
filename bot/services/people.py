"""Persons, their accounts, memberships and roles."""

from __future__ import annotations

import difflib
import re
from datetime import datetime, timedelta
from typing import Callable
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from bot.core import platforms
from bot.core.commands import fold
from bot.core.errors import Ambiguous, UserError
from bot.core.i18n import N_
from bot.core.sql import load, one
from bot.services.cache import TTLCache
from models import Account, ChatBinding, Community, Membership, Person, Role

_SEEN_EVERY = timedelta(minutes=10)


SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")
FORMER_MEMBER = N_("a former member")


RELAIS = "Relais"  # the author of what Relais posts itself (a campaign's milestone): a name, the same in every language


def author_label(t, author: Person | None, former: bool) -> str:
    """Who posted a news item or a next step, as readers see it: a person erased with `forget me` is "a former
    member" (`former`: a news item's `former_author`; a next step always has an author until then); no author at all
    is Relais' own news."""
    if author is not None:
        return author.display_name
    return t(FORMER_MEMBER) if former else RELAIS


def check_timezone(name: str) -> ZoneInfo:
    """A time zone of the tz database (`Europe/Paris`), or a UserError saying it is not one."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise UserError(N_("“{name}” is not a time zone; write it like Europe/Paris or America/Montreal."), name=name) from None


def find_timezone(name: str) -> str:
    """The tz database's name for `name` (any case; a city alone when only one zone has it: `montreal`), or a
    UserError with the closest names."""
    zones = {z.lower(): z for z in available_timezones() if "/" in z}
    key = name.strip().replace(" ", "_").lower()
    if key in zones:
        return zones[key]
    cities: dict[str, list[str]] = {}
    for lower, zone in zones.items():
        cities.setdefault(lower.rsplit("/", 1)[-1], []).append(zone)
    if len(cities.get(key, [])) == 1:
        return cities[key][0]
    close = [zones[z] for z in difflib.get_close_matches(key, list(zones), n=3, cutoff=0.7)]
    for city in difflib.get_close_matches(key.rsplit("/", 1)[-1], list(cities), n=3, cutoff=0.7):
        close += [z for z in cities[city] if z not in close]
    if close:
        raise UserError(N_("“{name}” is not a time zone of the tz database. Did you mean: {close}?"), name=name,
                        close=", ".join(close[:3]))
    raise UserError(N_("“{name}” is not a time zone; write it like Europe/Paris or America/Montreal."), name=name)


def parse_handle(text: str) -> tuple[str, str]:
    """`telegram:42` → ("telegram", "42"), the address as its platform stores it; raises UserError on anything else."""
    name, sep, address = text.partition(":")
    platform = platforms.get(name) if sep and address else None
    if platform is None:
        raise UserError(N_("“{text}” is not an account; write it as {forms}."), text=text, forms=platforms.address_forms())
    return platform.name, platform.canonical(address)


class People:
    def __init__(self, default_community: str = "", clock: Callable[[], datetime] = datetime.now, cache_ttl: float = 30.0):
        self.default_community = default_community
        self.clock = clock
        self.cache = TTLCache(cache_ttl)

    async def resolve(self, platform: str, address: str, chat: str | None, display_name: str = "",
                      locale: str | None = None) -> tuple[Account, Community | None, Membership | None]:
        """Who is talking and about which community; first contact creates the person and the membership.

        Cached for a short while: every command asks this, and it changes rarely (each change here clears it)."""
        key = (platform, address, chat)
        cached = self.cache.get(key)
        if cached is not None:
            return cached
        account = await self.account(platform, address, display_name, locale)
        person = account.person
        community = membership = None
        # Plain SQL: this runs for every message of someone not seen for `cache_ttl` seconds (most messages).
        if chat is not None:
            binding = await one(ChatBinding, 'SELECT * FROM "chat_binding" WHERE "platform" = ? AND "chat_id" = ?',
                                [platform, chat])
            if binding:
                community = await self._community(binding.community_id)
        else:
            if person.current_community_id:
                community = await self._community(person.current_community_id)
            if community is None:
                first = await load(Membership, 'SELECT * FROM "membership" WHERE "person_id" = ? ORDER BY "id" LIMIT 2',
                                   [person.id])
                if len(first) == 1:
                    community, membership = await self._community(first[0].community_id), first[0]
                elif not first:
                    community = await self.default()
        if community is not None and membership is None:
            membership = await self.join(person, community)
        result = (account, community, membership)
        self.cache.put(key, result)
        return result

    def changed(self) -> None:
        """Someone's language, community, role or a chat binding changed: forget what was cached."""
        self.cache.clear()

    async def set_locale(self, person: Person, locale: str) -> None:
        person.locale = locale
        await Person.filter(id=person.id).update(locale=locale)
        self.changed()

    async def set_timezone(self, person: Person, zone: str | None) -> None:
        """The person's own time zone (None: their community's), already checked with `find_timezone`."""
        person.timezone = zone
        await Person.filter(id=person.id).update(timezone=zone)
        self.changed()

    async def use(self, person: Person, community: Community | None) -> None:
        person.current_community_id = community.id if community else None
        await Person.filter(id=person.id).update(current_community_id=person.current_community_id)
        self.changed()

    async def leave(self, person: Person, membership: Membership) -> None:
        await membership.delete()
        if person.current_community_id == membership.community_id:
            await self.use(person, None)
        self.changed()

    async def bind(self, platform: str, chat: str, community: Community, by: Person,
                   thread: str | None = None) -> ChatBinding | None:
        """Bind a chat to a community (its announcements go to `thread`, the topic of a forum group, if any);
        returns the binding it replaced, if any."""
        previous = await ChatBinding.get_or_none(platform=platform, chat_id=chat).select_related("community")
        if previous:
            await ChatBinding.filter(id=previous.id).update(community_id=community.id, bound_by_id=by.id, thread=thread)
        else:
            await ChatBinding.create(platform=platform, chat_id=chat, community=community, bound_by_id=by.id, thread=thread)
        self.changed()
        return previous

    async def unbind(self, platform: str, chat: str) -> None:
        await ChatBinding.filter(platform=platform, chat_id=chat).delete()
        self.changed()

    async def _community(self, community_id: int) -> Community | None:
        return await one(Community, 'SELECT * FROM "community" WHERE "id" = ?', [community_id])

    async def account(self, platform: str, address: str, display_name: str = "", locale: str | None = None) -> Account:
        """The account (with its person), created on first contact."""
        account = await one(Account, 'SELECT * FROM "account" WHERE "platform" = ? AND "address" = ?', [platform, address])
        if account is not None:
            account.person = await one(Person, 'SELECT * FROM "person" WHERE "id" = ?', [account.person_id])
        now = self.clock()
        if account is None:
            try:
                async with in_transaction():
                    person = await Person.create(display_name=display_name or address, locale=locale)
                    account = await Account.create(person=person, platform=platform, address=address, last_seen=now, preferred=True)
                    account.person = person
            except IntegrityError:  # created concurrently by another message of the same person
                account = await Account.get(platform=platform, address=address).select_related("person")
            return account
        if account.last_seen is None or now - account.last_seen > _SEEN_EVERY:
            account.last_seen = now
            await Account.filter(id=account.id).update(last_seen=now)
        return account

    async def community(self, slug: str) -> Community:
        found = await Community.get_or_none(slug=slug.lower())
        if found is None:
            slugs = [str(s) for s in await Community.all().values_list("slug", flat=True)]
            close = difflib.get_close_matches(slug.lower(), slugs, n=3, cutoff=0.5)
            if close:
                raise UserError(N_("No community “{slug}”. Did you mean: {close}?"), slug=slug, close=", ".join(close))
            raise UserError(N_("No community “{slug}”."), slug=slug)
        return found

    async def create_community(self, slug: str, name: str, locale: str, timezone: str) -> Community:
        """A new community; its short name and time zone are checked as `project add` checks a project's."""
        slug = slug.lower()
        if not SLUG.match(slug):
            raise UserError(N_("“{slug}” cannot be a community name: use 2 to 63 lower-case letters, digits and dashes."), slug=slug)
        check_timezone(timezone)
        if await Community.exists(slug=slug):
            raise UserError(N_("The community {slug} already exists."), slug=slug)
        try:
            return await Community.create(slug=slug, name=name[:200], locale=locale, timezone=timezone)
        except IntegrityError:
            raise UserError(N_("The community {slug} already exists."), slug=slug) from None

    async def community_by_id(self, community_id: int) -> Community:
        return await Community.get(id=community_id)

    async def default(self) -> Community | None:
        if self.default_community:
            return await Community.get_or_none(slug=self.default_community)
        first_two = await Community.all().order_by("id").limit(2)
        return first_two[0] if len(first_two) == 1 else None

    async def membership(self, person: Person, community: Community) -> Membership | None:
        return await one(Membership, 'SELECT * FROM "membership" WHERE "person_id" = ? AND "community_id" = ?',
                         [person.id, community.id])

    async def join(self, person: Person, community: Community, role: Role = Role.MEMBER) -> Membership:
        """The person's membership, made if new; in a community that approves its members, a newcomer waits as an
        observer (`requested_at`) until a facilitator accepts them."""
        membership = await self.membership(person, community)
        if membership is not None:
            return membership
        waiting = self.newcomer(community)
        defaults = {"role": Role.OBSERVER, **waiting} if waiting else {"role": role}
        membership, created = await Membership.get_or_create(person_id=person.id, community_id=community.id, defaults=defaults)
        if created:
            self.changed()
        return membership

    def newcomer(self, community: Community) -> dict:
        """What a new membership of the community carries: a request waiting for approval, when it asks for one."""
        return {"requested_at": self.clock()} if community.member_approval else {}

    # -- membership approval ------------------------------------------------------------------------------

    async def set_approval(self, community: Community, on: bool) -> None:
        await Community.filter(id=community.id).update(member_approval=on)
        community.member_approval = on
        self.changed()

    async def requests(self, community: Community) -> list[tuple[Person, Membership]]:
        """The memberships waiting for a facilitator's approval, oldest first."""
        waiting = await Membership.filter(community_id=community.id, requested_at__isnull=False).select_related("person").order_by(
            "requested_at", "id")
        return [(m.person, m) for m in waiting]

    async def approve(self, community: Community, person: Person) -> bool:
        """A waiting newcomer becomes a member; False when they were not waiting."""
        done = await Membership.filter(community_id=community.id, person_id=person.id, requested_at__isnull=False).update(
            requested_at=None, role=Role.MEMBER)
        self.changed()
        return bool(done)

    async def refuse(self, community: Community, person: Person) -> bool:
        """A waiting newcomer's request is refused: they are no longer in the community; False when they were not waiting."""
        done = await Membership.filter(community_id=community.id, person_id=person.id, requested_at__isnull=False).delete()
        if done and person.current_community_id == community.id:
            await self.use(person, None)
        self.changed()
        return bool(done)

    async def set_role(self, person: Person, community: Community, role: Role) -> tuple[Membership, Role | None]:
        membership = await self.membership(person, community)
        previous = membership.role if membership else None
        if membership is None:
            membership = await Membership.create(person_id=person.id, community_id=community.id, role=role)
        else:  # a role given by a facilitator answers a request waiting for approval too
            membership.role, membership.requested_at = role, None
            await membership.save(update_fields=["role", "requested_at"])
        self.changed()
        return membership, previous

    async def communities_of(self, person: Person) -> list[Membership]:
        return await Membership.filter(person_id=person.id).select_related("community").order_by("community__slug")

    async def find_member(self, community: Community, query: str) -> Person:
        """A person of the community by account (`console:ana`), @name or display name (any case, accents or not). A
        name that several people have is asked about: each one with the accounts they write from."""
        if ":" in query:
            platform, address = parse_handle(query)
            account = await Account.get_or_none(platform=platform, address=address).select_related("person")
            if account is None:
                raise UserError(N_("Nobody has the account {handle} yet; they must write to Relais once."), handle=query)
            return account.person
        name = fold(query.lstrip("@"))
        members = await Membership.filter(community_id=community.id).select_related("person").order_by("person_id")
        people = {m.person_id: m.person for m in members}
        handles: dict[int, list[str]] = {}
        for a in await Account.filter(person_id__in=list(people)).order_by("id"):
            handles.setdefault(a.person_id, []).append(a.handle)
        found = [pid for pid, person in people.items()
                 if fold(person.display_name) == name or any(fold(h.partition(":")[2]) == name for h in handles.get(pid, ()))]
        if len(found) == 1:
            return people[found[0]]
        if found:
            options = [(f"{people[pid].display_name} — {', '.join(handles[pid][:3])}", handles[pid][0]) for pid in found
                       if handles.get(pid)]
            raise Ambiguous(N_("Several people of {community} are called “{name}”: which one? (Each is shown with the accounts "
                               "they write from.)"), options, name=query, community=community.name)
        keys = {fold(p.display_name) for p in people.values()} | {fold(h.partition(":")[2]) for hs in handles.values() for h in hs}
        close = difflib.get_close_matches(name, sorted(keys), n=3, cutoff=0.6)
        if close:
            raise UserError(N_("Nobody called “{name}” in this community. Did you mean: {close}?"), name=query, close=", ".join(close))
        raise UserError(N_("Nobody called “{name}” in this community."), name=query)

    async def named(self, query: str) -> list[Person]:
        """Everyone a name or a handle stands for, in any community (the operators' console picks one): the owner of
        the account `console:ana`, or the people whose display name or account address it is (any case, accents or not)."""
        if ":" in query:
            platform, address = parse_handle(query)
            account = await Account.get_or_none(platform=platform, address=address).select_related("person")
            return [account.person] if account else []
        name = fold(query.strip())
        ids = {a.person_id for a in await Account.all() if fold(a.address) == name}
        ids |= {p.id for p in await Person.all() if fold(p.display_name) == name}
        return list(await Person.filter(id__in=list(ids)).order_by("id"))

    async def console_account(self, name: str) -> tuple[Account, str]:
        """The console account an operator talks as (`relais console --as <name>`), and how it was found: "account" (a
        console account of that name, or the console account of the person with that handle), "found" (the console
        account of the one person with that display name), "added" (one person has that name or handle but no console
        account: one is added to them), "new" (nobody: a new person). A name that several people have is a UserError
        listing their accounts."""
        if ":" not in name:
            account = await one(Account, 'SELECT * FROM "account" WHERE "platform" = ? AND "address" = ?', ["console", name])
            if account is not None:
                return await self.account("console", name), "account"
        found = await self.named(name)
        if len(found) > 1:
            listed = []
            for person in found:
                handles = [a.handle for a in await Account.filter(person_id=person.id).order_by("id")]
                listed.append(f"{person.display_name} ({', '.join(handles[:3])})")
            raise UserError(N_("Several people are called “{name}”: {people}. Name one by an account, like console:ana."),
                            name=name, people="; ".join(listed))
        if not found:
            platform, _, address = name.partition(":") if ":" in name else ("console", "", name)
            if platform.lower() != "console":
                raise UserError(N_("Nobody has the account {handle} yet; they must write to Relais once."), handle=name)
            return await self.account("console", address.strip(), address.strip()), "new"
        person = found[0]
        mine = await Account.filter(person_id=person.id, platform="console").order_by("id").first()
        if mine is not None:
            return await self.account("console", mine.address), "account" if ":" in name else "found"
        base = "-".join(re.findall(r"[a-z0-9]+", fold(person.display_name))) or "console"
        address, n = base, 1
        while await Account.exists(platform="console", address=address):
            n += 1
            address = f"{base}-{n}"
        account = await Account.create(person_id=person.id, platform="console", address=address, last_seen=self.clock())
        account.person = person
        self.changed()
        return account, "added"

    async def keep_a_facilitator(self, person: Person, community: Community, new_role: Role | None) -> None:
        """A community always keeps one facilitator: the last one can neither leave nor step down."""
        if new_role is not None and new_role >= Role.FACILITATOR:
            return
        membership = await self.membership(person, community)
        if membership is None or membership.role < Role.FACILITATOR:
            return
        if await Membership.filter(community_id=community.id, role=Role.FACILITATOR).count() == 1:
            if new_role is None:
                raise UserError(N_("You are the last facilitator of {community}: give the role to someone else first (/role)."),
                                community=community.name)
            raise UserError(N_("{name} is the last facilitator of {community}: name another one first."),
                            name=person.display_name, community=community.name)

    async def may_invite(self, platform: str, address: str, direct: bool) -> bool:
        """Who may bring Relais into a room: facilitators of a community; for a direct chat, any member of one."""
        account = await Account.get_or_none(platform=platform, address=address)
        if account is None:
            return False
        needed = Role.OBSERVER if direct else Role.FACILITATOR
        return await Membership.filter(person_id=account.person_id, role__gte=needed).exists()

    async def grant(self, community: Community, handle: str, role: Role, name: str = "") -> Person:
        """Operators' CLI: give an account (created if new) a role in a community; `name`, how people see them."""
        platform, address = parse_handle(handle)
        account = await self.account(platform, address)
        if name.strip():
            await Person.filter(id=account.person_id).update(display_name=name.strip()[:200])
            account.person.display_name = name.strip()[:200]
            self.changed()
        await self.set_role(account.person, community, role)
        return account.person
