"""Your data: everything Relais holds about a person (as JSON), and erasing it (`forget me`, `relais forget`)."""

from __future__ import annotations

import json
import logging
import secrets
from datetime import date, datetime
from typing import Any, Callable

from tortoise import Tortoise
from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from bot.core.errors import UserError
from bot.core.i18n import N_
from bot.core.sql import fetch
from bot.services import channel_data
from bot.services.people import parse_handle
from bot.services.person_rows import clear, person_columns
from models import Account, Community, Membership, Person, Role
from models.agenda import Meeting, Prompt
from models.conversation import ChoiceOffer, PendingQuestion
from models.digest import DigestDelivery, DigestSubscription
from models.mail import ListDeparture, ListPost, ListSubscription
from models.messaging import OutboxMessage
from models.projects import Follow, NewsItem, NextStep, Project
from models.votes import Ballot, MeetingAnswer, PollVoter, VotePoll

try:  # the search index, when that feature is installed: an erased author's name and answers leave it too
    from bot.services import search_index
except ImportError:  # pragma: no cover
    search_index = None  # type: ignore[assignment]

log = logging.getLogger("relais.mydata")
FORMAT = "relais-mydata/1"
# Covered by a section of the export: the rest of the person's rows are counted under "other".
_EXPORTED = {"account", "membership", "follow", "project_referent", "news_item", "next_step", "prompt", "poll_voter",
             "meeting_answer", "digest_subscription", "digest_delivery", "mail_list_subscription", "mail_list_post",
             "outbox_message", "pending_question", "vote_poll", "meeting", "promise", "link_code", "mail_list_message"}


def _iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, (datetime, date)) else value


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


class MyData:
    def __init__(self, clock: Callable[[], datetime], people, votes):
        self.clock = clock
        self.people = people
        self.votes = votes

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
            "meeting_answers": [{"meeting": _iso(a.meeting.starts_at), "coming": a.coming, "at": _iso(a.at)}
                                for a in await MeetingAnswer.filter(person_id=pid).select_related("meeting").order_by("id")],
            "meetings_set": [_iso(m.starts_at) for m in await Meeting.filter(created_by_id=pid).order_by("id")],
            "promises": await self._rows_of("Promise", pid, ("campaign_id", "amount", "at")),
            "list_messages": await self._rows_of("ListMessage", pid, ("community_id", "subject", "excerpt", "posted_at")),
            "digests_sent": [{"community_id": d.community_id, "week": d.week, "status": str(d.status)}
                             for d in await DigestDelivery.filter(person_id=pid).order_by("id")],
            "list_posts": [{"community_id": p.community_id, "address": p.address, "posts": p.posts,
                            "last_post_at": _iso(p.last_post_at)} for p in await ListPost.filter(person_id=pid)],
            "notifications": {str(s): n for s, n in await _counts(OutboxMessage.filter(person_id=pid))},
            "question_waiting": [{"question": q.prompt, "expires_at": _iso(q.expires_at)}
                                 for q in await PendingQuestion.filter(person_id=pid)],
            "other": await self._other(pid),
        }
        return data

    async def _votes(self, pid: int) -> dict:
        public = []
        for b in await Ballot.filter(voter=f"p{pid}").order_by("id"):
            poll = await VotePoll.get(id=b.poll_id).select_related("community")
            public.append({"poll": f"{poll.community.slug}#{poll.number}", "question": poll.question, "options": poll.options,
                           "choice": _json(b.choice), "cast_at": _iso(b.cast_at)})
        secret = [f"{p.community.slug}#{p.number}" for p in await VotePoll.filter(
            id__in=list(await PollVoter.filter(person_id=pid).values_list("poll_id", flat=True)), secret=True
        ).select_related("community").order_by("id")]
        created = [f"{p.community.slug}#{p.number}" for p in await VotePoll.filter(created_by_id=pid).select_related("community")]
        return {"ballots": public, "secret_polls_voted": secret, "polls_created": created}

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

    async def forget(self, person_id: int) -> dict[str, int]:
        """Erase the person and their accounts. What the community needs stays without a name: news ("a former
        member"), next steps, polls and meetings they set; ballots stay counted under an anonymous key; list
        subscriptions are taken off Mailman. One transaction; returns counts for the log and the CLI."""
        accounts = await Account.filter(person_id=person_id)
        addresses = [a.address for a in accounts]  # list posts name their author by the address they came from
        counts: dict[str, int] = {"accounts": len(accounts)}
        posts = _model("ListMessage")  # the list posts search reads (when that feature is installed)
        indexed: list[tuple[str, Any]] = [("news", i) for i in await NewsItem.filter(author_id=person_id).values_list("id", flat=True)]
        indexed += [("step", i) for i in await NextStep.filter(author_id=person_id).values_list("id", flat=True)]
        indexed += [("answer", i) for i in await Prompt.filter(person_id=person_id).values_list("id", flat=True)]
        if posts is not None:
            indexed += [("post", i) for i in await posts.filter(Q(person_id=person_id) | Q(address__in=addresses)).values_list("id", flat=True)]
        async with in_transaction() as tx:
            if posts is not None:  # what they wrote on the list stays the community's, without their name and address
                await posts.filter(Q(person_id=person_id) | Q(address__in=addresses)).using_db(tx).update(author="", address="")
            counts["ballots"] = await self._anonymous_ballots(tx, person_id)
            await NewsItem.filter(author_id=person_id).using_db(tx).update(former_author=True)
            for sub in await ListSubscription.filter(person_id=person_id, address__not_isnull=True).using_db(tx):
                await ListDeparture.create(community_id=sub.community_id, address=sub.address, created_at=self.clock(), using_db=tx)
            await ListPost.filter(person_id=person_id).using_db(tx).delete()
            for col in person_columns():
                if col.table not in ("account", "person"):
                    counts[col.table] = counts.get(col.table, 0) + await clear(tx, col, person_id)
            # What the accounts left outside the person's rows, each channel its own (mail, console notes), and offered choices.
            await channel_data.erase(tx, accounts)
            for a in accounts:
                await ChoiceOffer.filter(conversation__startswith=f"{a.platform}:", conversation__endswith=f":{a.address}"
                                         ).using_db(tx).delete()
            await Account.filter(person_id=person_id).using_db(tx).delete()
            await Person.filter(id=person_id).using_db(tx).delete()
            if search_index is not None:  # the index shows authors' names and holds prompt answers: read again
                for kind, item_id in indexed:
                    await search_index.refresh(kind, int(item_id), tx)
        self.people.changed()
        log.info("person erased", extra={"accounts": len(accounts), "ballots": counts["ballots"]})
        return counts

    async def _anonymous_ballots(self, tx, person_id: int) -> int:
        """Each ballot of the person under a random key: still counted, no longer theirs (nor linked to each other)."""
        ballots = list(await Ballot.filter(voter=f"p{person_id}").using_db(tx))
        voted = await PollVoter.filter(person_id=person_id).using_db(tx).values_list("poll_id", flat=True)
        for poll in await VotePoll.filter(id__in=list(voted), secret=True, closed_at__isnull=True).using_db(tx):
            if poll.salt:
                ballots += await Ballot.filter(poll_id=poll.id, voter=self.votes.voter_key(poll, person_id)).using_db(tx)
        for ballot in ballots:
            await Ballot.filter(id=ballot.id).using_db(tx).update(voter="a" + secrets.token_hex(16))
        return len(ballots)

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
