"""Your data: everything Relais holds about a person (as JSON), and erasing it (`forget me`, `relais forget`)."""

from __future__ import annotations

import json
import logging
from datetime import date, datetime
from typing import Any, Awaitable, Callable

from tortoise import Tortoise
from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from bot.core.errors import UserError
from bot.core.i18n import N_, Catalogs
from bot.core.sql import fetch
from bot.services import channel_data, mydata_contrib, traces
from bot.services.people import FORMER_MEMBER, parse_handle
from bot.services.person_rows import clear, person_columns
from models import Account, Comment, Community, Consent, Membership, MessageTopic, Person, Role
from models.agenda import Prompt
from models.conversation import ChoiceOffer, PendingQuestion
from models.digest import DigestDelivery, DigestSubscription
from models.events import Event, EventAnswer
from models.mail import ListDeparture, ListPost, ListSubscription
from models.messaging import OutboxMessage
from models.projects import Follow, NewsItem, NextStep, Project
from models.votes import Ballot, PollElector, PollVoter, VotePoll

try:  # the search index, when that feature is installed: an erased author's name and answers leave it too
    from bot.services import search_index
except ImportError:  # pragma: no cover
    search_index = None  # type: ignore[assignment]

log = logging.getLogger("relais.mydata")
FORMAT = "relais-mydata/1"
# Covered by a section of the export: the rest of the person's rows are counted under "other".
_EXPORTED = {"account", "membership", "follow", "project_referent", "news_item", "next_step", "prompt", "poll_voter", "poll_elector", "comment",
             "event_answer", "digest_subscription", "digest_delivery", "mail_list_subscription", "mail_list_post",
             "outbox_message", "pending_question", "vote_poll", "event", "promise", "link_code", "mail_list_message",
             "project_file"}
_EXPORTED |= mydata_contrib.TABLES


def _iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, (datetime, date)) else value


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


class MyData:
    def __init__(self, clock: Callable[[], datetime], people, votes, catalogs: Catalogs | None = None):
        self.clock = clock
        self.people = people
        self.votes = votes
        self.catalogs = catalogs
        # What channels wrote to disk about a person (mail as files, saved attachments): each channel adds how to erase
        # it, given the person's (platform, address) pairs; returns how many files went.
        self.erasers: list[Callable[[list[tuple[str, str]]], Awaitable[int]]] = []
        self.files: Any = None  # the file service (bot/services/files.py): the documents and photos a person posted

    # -- what Relais holds ----------------------------------------------------------------------------------

    async def export(self, person: Person) -> dict:
        """Every row about the person, readable without Relais: names, not only ids."""
        pid = person.id
        accounts = await Account.filter(person_id=pid).order_by("id")
        kept = await channel_data.describe(accounts)  # what each account's channel keeps of its own (a mail address' bounces)
        digest = {s.community_id: s.enabled for s in await DigestSubscription.filter(person_id=pid)}
        lists = {s.community_id: s for s in await ListSubscription.filter(person_id=pid)}
        communities = []
        for m in await Membership.filter(person_id=pid).select_related("community").order_by("community__slug"):
            sub = lists.get(m.community_id)
            communities.append({"community": m.community.slug, "name": m.community.name, "role": m.role.key,
                                "joined_at": _iso(m.joined_at), "digest": digest.get(m.community_id, "default"),
                                "mailing_list": None if sub is None else {"wanted": sub.wanted, "address": sub.address}})
        data: dict[str, Any] = {
            "format": FORMAT, "generated_at": _iso(self.clock()),
            "person": {"id": pid, "display_name": person.display_name, "language": person.locale, "timezone": person.timezone,
                       "away_until": _iso(person.away_until), "created_at": _iso(person.created_at)},
            "accounts": [{"account": a.handle, "confirmed": a.confirmed, "consent_at": _iso(a.confirmed_at),
                          "reachable": a.reachable, "preferred": a.preferred, "last_seen": _iso(a.last_seen),
                          "created_at": _iso(a.created_at)}
                         | kept.get((a.platform, a.address), {})
                         for a in accounts],
            "communities": communities,
            "follows": [{"project": _ref(f.project), "title": f.project.title, "since": _iso(f.created_at)}
                        for f in await Follow.filter(person_id=pid).select_related("project__community").order_by("id")],
            "referent_of": [_ref(p) for p in await Project.filter(referents__id=pid).select_related("community").order_by("id")],
            "news": [{"project": _ref(n.project), "text": n.text, "posted_at": _iso(n.created_at), "from": n.platform}
                     for n in await NewsItem.filter(author_id=pid).select_related("project__community").order_by("id")],
            "next_steps": [{"project": _ref(s.project), "text": s.text, "due": _iso(s.due), "set_at": _iso(s.created_at)}
                           for s in await NextStep.filter(author_id=pid).select_related("project__community").order_by("id")],
            "prompt_answers": [{"project": _ref(p.project), "asked_at": _iso(p.asked_at), "status": str(p.status),
                                "answer": p.answer, "answered_at": _iso(p.answered_at)}
                               for p in await Prompt.filter(person_id=pid).select_related("project__community").order_by("id")],
            **await self._votes(pid),
            # Answers to the general meetings and the other events (the keys kept from before events had their own).
            "meeting_answers": [{"meeting": _iso(a.event.starts_at), "kind": str(a.event.kind), "title": a.event.title,
                                 "answer": str(a.status), "coming": a.status == "coming", "at": _iso(a.at)}
                                for a in await EventAnswer.filter(person_id=pid).select_related("event").order_by("id")],
            "meetings_set": [_iso(m.starts_at) for m in await Event.filter(created_by_id=pid).order_by("id")],
            "promises": await self._rows_of("Promise", pid, ("campaign_id", "amount", "at")),
            "list_messages": await self._rows_of("ListMessage", pid, ("community_id", "subject", "excerpt", "posted_at")),
            "digests_sent": [{"community_id": d.community_id, "week": d.week, "status": str(d.status)}
                             for d in await DigestDelivery.filter(person_id=pid).order_by("id")],
            "list_posts": [{"community_id": p.community_id, "address": p.address, "posts": p.posts,
                            "last_post_at": _iso(p.last_post_at)} for p in await ListPost.filter(person_id=pid)],
            "notifications": {str(s): n for s, n in await _counts(OutboxMessage.filter(person_id=pid))},
            "question_waiting": [{"question": q.prompt, "expires_at": _iso(q.expires_at)}
                                 for q in await PendingQuestion.filter(person_id=pid)],
            **await self._comments(pid),
            **await mydata_contrib.export(pid),  # ideas, supports, skills, needs, offers, reasons, invitations
            "files": await self.files.of_person(pid) if self.files is not None else [],  # documents and news photos posted
            "other": await self._other(pid),
        }
        return data

    async def _votes(self, pid: int) -> dict:
        public = []
        for b in await Ballot.filter(voter=f"p{pid}").order_by("cast_at"):
            poll = await VotePoll.get(id=b.poll_id).select_related("community")
            public.append({"poll": f"{poll.community.slug}#{poll.number}", "question": poll.question, "options": poll.options,
                           "choice": _json(b.choice), "cast_at": _iso(b.cast_at)})
        secret = [f"{p.community.slug}#{p.number}" for p in await VotePoll.filter(
            id__in=list(await PollVoter.filter(person_id=pid).values_list("poll_id", flat=True)), secret=True
        ).select_related("community").order_by("id")]
        created = [f"{p.community.slug}#{p.number}" for p in await VotePoll.filter(created_by_id=pid).select_related("community")]
        electors = await PollElector.filter(person_id=pid).values_list("poll_id", flat=True)
        open_to = [f"{p.community.slug}#{p.number}" for p in await VotePoll.filter(id__in=list(electors)).select_related("community")
                   .order_by("id")]
        return {"ballots": public, "secret_polls_voted": secret, "polls_created": created, "polls_open_to_you": open_to}

    @staticmethod
    async def _comments(pid: int) -> dict:
        """What the person wrote to referents (with the answers they got) and the answers they gave."""
        written = [{"message": f"{c.community.slug}#{c.number}", "project": c.project.slug if c.project else None,
                    "kind": str(c.kind), "text": c.text, "written_at": _iso(c.created_at), "answer": c.answer or None,
                    "answered_at": _iso(c.answered_at), "publish": str(c.consent) or None, "published_at": _iso(c.published_at)}
                   for c in await Comment.filter(author_id=pid).select_related("community", "project").order_by("id")]
        given = [{"message": f"{c.community.slug}#{c.number}", "answer": c.answer, "answered_at": _iso(c.answered_at)}
                 for c in await Comment.filter(answered_by_id=pid).select_related("community").order_by("id")]
        return {"messages": written, "answers_given": given}

    @staticmethod
    async def _rows_of(name: str, pid: int, fields: tuple[str, ...]) -> list[dict]:
        """The person's rows of a model another feature adds (promises, list posts), when it is installed."""
        model = _model(name)
        if model is None:
            return []
        rows = await model.filter(person_id=pid).order_by("id").values(*fields)
        return [{k: _iso(v) for k, v in row.items()} for row in rows]

    @staticmethod
    async def _other(pid: int) -> dict[str, int]:
        """Rows in tables no section above covers (a feature added later): at least how many, and where."""
        out: dict[str, int] = {}
        for col in person_columns():
            if col.table in _EXPORTED or col.table == "person":
                continue
            rows = await fetch(f'SELECT COUNT(*) FROM "{col.table}" WHERE "{col.column}" = ?', [pid])
            if rows and int(rows[0][0]):
                out[f"{col.table}.{col.column}"] = int(rows[0][0])
        return out

    # -- erasing --------------------------------------------------------------------------------------------

    async def sole_facilitator_of(self, person: Person) -> list[Community]:
        """The communities that would have no facilitator left without this person."""
        out = []
        for m in await Membership.filter(person_id=person.id, role=Role.FACILITATOR).select_related("community"):
            if await Membership.filter(community_id=m.community_id, role=Role.FACILITATOR).count() == 1:
                out.append(m.community)
        return out

    async def forget(self, person_id: int, photos: bool = False) -> dict[str, int]:
        """Erase the person and their accounts. What the community needs stays without a name: news ("a former
        member"), next steps, polls and meetings they set, the photos of their news (unless `photos`); ballots stay
        counted under an anonymous key; list subscriptions are taken off Mailman; the documents they added go.
        One transaction; returns counts for the log and the CLI."""
        dropped: list[int] = []
        accounts = await Account.filter(person_id=person_id)
        person = await Person.get_or_none(id=person_id)
        addresses = [a.address for a in accounts]  # list posts name their author by the address they came from
        counts: dict[str, int] = {"accounts": len(accounts)}
        posts = _model("ListMessage")  # the list posts search reads (when that feature is installed)
        indexed: list[tuple[str, Any]] = [("news", i) for i in await NewsItem.filter(author_id=person_id).values_list("id", flat=True)]
        indexed += [("step", i) for i in await NextStep.filter(author_id=person_id).values_list("id", flat=True)]
        indexed += [("answer", i) for i in await Prompt.filter(person_id=person_id).values_list("id", flat=True)]
        indexed += await mydata_contrib.indexed(person_id)
        indexed += [("qa", i) for i in await Comment.filter(Q(author_id=person_id) | Q(answered_by_id=person_id),
                                                             published_at__isnull=False).values_list("id", flat=True)]
        if posts is not None:
            indexed += [("post", i) for i in await posts.filter(Q(person_id=person_id) | Q(address__in=addresses)).values_list("id", flat=True)]
        async with in_transaction() as tx:
            if posts is not None:  # what they wrote on the list stays the community's, without their name and address
                await posts.filter(Q(person_id=person_id) | Q(address__in=addresses)).using_db(tx).update(author="", address="")
            counts["ballots"] = await self.votes.forget_ballots(tx, person_id)
            await NewsItem.filter(author_id=person_id).using_db(tx).update(former_author=True)
            # Their messages to referents go, but a published question stays the community's, without a name (its
            # answer stays too); where it came from goes with them.
            await Comment.filter(author_id=person_id, published_at__isnull=True).using_db(tx).delete()
            await Comment.filter(author_id=person_id).using_db(tx).update(origin={}, consent=Consent.ANONYMOUS)
            for sub in await ListSubscription.filter(person_id=person_id, address__not_isnull=True).using_db(tx):
                await ListDeparture.create(community_id=sub.community_id, address=sub.address, created_at=self.clock(), using_db=tx)
            await ListPost.filter(person_id=person_id).using_db(tx).delete()
            supported = await mydata_contrib.supported(tx, person_id)  # their supports go: those ideas are counted again
            if self.files is not None:  # before their name leaves the files: which ones were theirs
                dropped = await self.files.forget(tx, person_id, photos)
            for col in person_columns():
                if col.table not in ("account", "person"):
                    counts[col.table] = counts.get(col.table, 0) + await clear(tx, col, person_id)
            await mydata_contrib.recount(tx, supported)
            # What the accounts left outside the person's rows, each channel its own (mail, console notes), and offered choices.
            await channel_data.erase(tx, accounts)
            for a in accounts:
                await ChoiceOffer.filter(conversation__startswith=f"{a.platform}:", conversation__endswith=f":{a.address}"
                                         ).using_db(tx).delete()
                await MessageTopic.filter(key__startswith=f"c:{a.platform}:", key__endswith=f":{a.address}").using_db(tx).delete()
            counts.update(await traces.scrub(tx, person.display_name if person else "", accounts, await self._former()))
            await Account.filter(person_id=person_id).using_db(tx).delete()
            await Person.filter(id=person_id).using_db(tx).delete()
            if search_index is not None:  # the index shows authors' names and holds prompt answers: read again
                for kind, item_id in indexed:
                    await search_index.refresh(kind, int(item_id), tx)
        self.people.changed()
        if dropped:  # the bytes of files no one else uses, from the file store (after the commit: rows first)
            try:
                counts["stored_files"] = await self.files.drop(dropped)
            except Exception:
                log.exception("stored files of an erased person not removed (the daily pruning will)")
        for eraser in self.erasers:  # files the channels wrote (mail on disk, saved attachments): after the commit
            try:
                counts["files"] = counts.get("files", 0) + await eraser([(a.platform, a.address) for a in accounts])
            except Exception:
                log.exception("files of an erased person not removed")
        log.info("person erased", extra={"accounts": len(accounts), "ballots": counts["ballots"]})
        return counts

    async def _former(self) -> Callable[[int | None], str]:
        """« a former member » in each community's language (what others' notifications say instead of the name)."""
        locales = {int(cid): str(loc) for cid, loc in await Community.all().values_list("id", "locale")}

        def former(community_id: int | None) -> str:
            locale = locales.get(community_id or 0) or (self.catalogs.get("fr").locale if self.catalogs else "fr")
            return self.catalogs.get(locale)(FORMER_MEMBER) if self.catalogs else "—"
        return former

    @staticmethod
    async def owner(handle: str) -> Person:
        """The person who has this account (`telegram:42`), for operators."""
        platform, address = parse_handle(handle)
        account = await Account.get_or_none(platform=platform, address=address)
        if account is None:
            raise UserError(N_("Nobody has the account {handle} yet; they must write to Relais once."), handle=f"{platform}:{address}")
        return await Person.get(id=account.person_id)


def _model(name: str) -> Any:
    return Tortoise.apps["models"].get(name)


def _ref(project: Project) -> str:
    return f"{project.community.slug}/{project.slug}"


async def _counts(query) -> list[tuple[str, int]]:
    from tortoise.functions import Count

    rows = await query.group_by("status").annotate(n=Count("id")).values("status", "n")
    return [(row["status"], row["n"]) for row in rows]
