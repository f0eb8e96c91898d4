"""Comments, questions and offers of help: stored, numbered in the community, sent to the people who can answer
(the project's referents, else the facilitators), answered back where they were written, published with consent."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from bot.core.errors import UserError
from bot.core.i18n import N_, Catalogs
from bot.core.replies import Topic
from bot.core.sql import fetch, load
from bot.services import comment_notices as notices
from bot.services import search_index
from bot.services.cache import TTLCache
from bot.services.notify import Notifier
from bot.services.projects import Projects
from models import (
    Comment,
    CommentBlock,
    CommentKind,
    Community,
    Consent,
    Membership,
    NewsItem,
    NextStep,
    OutboxMessage,
    Person,
    Project,
    Role,
)

log = logging.getLogger("relais.comments")
MAX_TEXT = 4000
PER_HOUR = 20  # comments one person may leave in an hour


@dataclass(frozen=True)
class Item:
    """What a comment is about: a news item, a next step, a poll…, its project (None: the community's) and its text."""

    kind: str
    id: int
    project: Project | None
    community_id: int
    text: str = ""
    also: tuple[int, ...] = ()  # who answers besides the referents (or facilitators): an idea's proposer


class Blocked(Exception):
    """The person's messages are not forwarded in this community (a facilitator blocked them)."""


class Comments:
    def __init__(self, catalogs: Catalogs, clock: Callable[[], datetime], notifier: Notifier, projects: Projects,
                 per_hour: int = PER_HOUR):
        self.catalogs = catalogs
        self.clock = clock
        self.notifier = notifier
        self.projects = projects
        self.per_hour = per_hour
        # Every project card shows its published questions: kept a while, dropped by this process' changes (another
        # process' show within the TTL, as the projects' caches do).
        self.published_cache = TTLCache(30.0)

    # -- what a comment is about ----------------------------------------------------------------------------

    async def item(self, topic: Topic) -> Item | None:
        """The item a topic names, if it still exists."""
        kind, item_id, project_id = topic
        project = await Project.get_or_none(id=project_id) if project_id else None
        text = ""
        if kind == "news":
            row = await NewsItem.get_or_none(id=item_id)
            text = row.text if row else ""
        elif kind == "step":
            step = await NextStep.get_or_none(id=item_id)
            text = step.text if step else ""
        elif kind in ("comment", "qa"):
            comment = await Comment.get_or_none(id=item_id)
            if comment is None:
                return None
            return Item(kind, item_id, project, comment.community_id, comment.text)
        elif kind == "idea":  # its proposer and the facilitators answer (the project's referents once it is one)
            rows = await fetch('SELECT "community_id", "title", "author_id", "project_id" FROM "idea" WHERE "id" = ?', [item_id])
            if not rows:
                return None
            cid, title, author, became = rows[0]
            project = await Project.get_or_none(id=became) if became else None
            return Item(kind, item_id, project, int(cid), str(title), (int(author),) if author else ())
        elif kind == "need":  # the project's referents answer
            rows = await fetch('SELECT "text", "project_id" FROM "need" WHERE "id" = ?', [item_id])
            if not rows:
                return None
            text, project = str(rows[0][0]), await Project.get_or_none(id=rows[0][1])
        elif kind == "poll":
            rows = await fetch('SELECT "question", "community_id" FROM "vote_poll" WHERE "id" = ?', [item_id])
            if not rows:
                return None
            return Item(kind, item_id, project, int(rows[0][1]), str(rows[0][0]))
        elif kind in ("meeting", "event"):  # a project's event goes to its referents (`project`), the others to the facilitators
            rows = await fetch('SELECT "community_id", "title" FROM "event" WHERE "id" = ? AND "kind" = ?', [item_id, kind])
            if not rows:
                return None
            return Item(kind, item_id, project, int(rows[0][0]), str(rows[0][1]))
        if project is None:
            return None
        return Item(kind, item_id, project, project.community_id, text)

    # -- writing to the referents ---------------------------------------------------------------------------

    async def add(self, community: Community, author: Person, kind: CommentKind, text: str, origin: dict,
                  item: Item | None = None, project: Project | None = None) -> Comment:
        """Store the comment and notify who can answer, in one transaction. Raises UserError past the hourly limit,
        Blocked when a facilitator blocked the author (nothing stored, nothing forwarded)."""
        text = text.strip()
        if not text:
            raise UserError(N_("Write something to send."))
        if len(text) > MAX_TEXT:
            raise UserError(N_("That is too long: at most {limit} characters."), limit=MAX_TEXT)
        # One round trip for both checks: every comment pays it (bench/comments.py).
        [(blocked, recent)] = await fetch(
            'SELECT (SELECT COUNT(*) FROM "comment_block" WHERE "community_id" = ? AND "person_id" = ?), '
            '(SELECT COUNT(*) FROM "comment" WHERE "author_id" = ? AND "created_at" >= ?)',
            [community.id, author.id, author.id, self.clock() - timedelta(hours=1)])
        if blocked:
            log.info("comment of a blocked person dropped", extra={"community": community.slug, "person_id": author.id})
            raise Blocked()
        if int(recent) >= self.per_hour:
            raise UserError(N_("You have written {count} messages in the last hour: wait a little before the next one."),
                            count=self.per_hour)
        project = item.project if item is not None else project
        values = {"community_id": community.id, "project_id": project.id if project else None, "kind": kind,
                  "about_kind": item.kind if item else ("project" if project else ""), "about_id": item.id if item else None,
                  "about_text": (item.text if item else "")[:1000], "author_id": author.id, "text": text,
                  "origin": origin, "in_group": bool(origin.get("chat")), "created_at": self.clock()}
        comment = await self._numbered(community, values, author, project, item.also if item else ())
        log.info("comment", extra={"community": community.slug, "number": comment.number, "kind": str(kind),
                                   "project": project.slug if project else None, "platform": origin.get("platform")})
        return comment

    async def _numbered(self, community: Community, values: dict, author: Person, project: Project | None,
                        also: tuple[int, ...] = ()) -> Comment:
        for _ in range(5):  # two comments at once take the next numbers, not the same one
            try:
                async with in_transaction() as conn:
                    last = await fetch('SELECT MAX("number") FROM "comment" WHERE "community_id" = ?', [community.id])
                    number = int(last[0][0] or 0) + 1
                    comment = await Comment.create(number=number, using_db=conn, **values)
                    await self._tell(comment, community, project, author, conn, also)
                    return comment
            except IntegrityError:
                continue
        raise UserError(N_("Too many messages at once; try again."))

    async def recipients(self, community: Community, project: Project | None, author: Person | None,
                         also: tuple[int, ...] = ()) -> list[Person]:
        """Who answers: the project's referents, else the community's facilitators (never the author alone), and `also`."""
        people = [p for p in (await self.projects.referents(project) if project else []) if author is None or p.id != author.id]
        if not people:
            ids = await Membership.filter(community_id=community.id, role=Role.FACILITATOR).values_list("person_id", flat=True)
            people = [p for p in await Person.filter(id__in=list(ids)).order_by("id") if author is None or p.id != author.id]
        extra = [i for i in also if i not in {p.id for p in people} and (author is None or i != author.id)]
        return people + (list(await Person.filter(id__in=extra).order_by("id")) if extra else [])

    async def _tell(self, comment: Comment, community: Community, project: Project | None, author: Person, conn,
                    also: tuple[int, ...] = ()) -> int:
        people = await self.recipients(community, project, author, also)
        origin = comment.origin or {}
        group = str(origin.get("chat_name") or origin.get("chat") or "")
        notice = notices.to_referents(comment, project, author.display_name or "?", community.name, group)
        return await self.notifier.enqueue(people, f"comment:{comment.id}", "comment", notice, community.id, connection=conn,
                                           default_locale=community.locale)

    # -- finding and answering ------------------------------------------------------------------------------

    async def by_number(self, community: Community, number: str) -> Comment:
        digits = number.strip().lstrip("#")
        if not (digits.isascii() and digits.isdigit() and len(digits) <= 9):
            raise UserError(N_("“{value}” is not a message number: give it like 12 or #12."), value=number[:20])
        comment = await Comment.get_or_none(community_id=community.id, number=int(digits))
        if comment is None:
            raise UserError(N_("There is no message #{number} in {community}."), number=int(digits), community=community.name)
        return comment

    async def may_handle(self, comment: Comment, person: Person) -> bool:
        """The project's referents and the community's facilitators answer, hide and publish."""
        membership = await Membership.get_or_none(community_id=comment.community_id, person_id=person.id)
        if membership is not None and membership.role >= Role.FACILITATOR:
            return True
        if comment.about_kind == "idea" and comment.about_id and await fetch(  # an idea's proposer answers about it
                'SELECT 1 FROM "idea" WHERE "id" = ? AND "author_id" = ?', [comment.about_id, person.id]):
            return True
        if comment.project_id is None:
            return False
        project = await Project.get_or_none(id=comment.project_id)
        return project is not None and await self.projects.is_referent(project, person)

    async def answer(self, comment: Comment, by: Person, text: str) -> bool:
        """Keep the answer and send it back to the author where they wrote; False when the author is gone."""
        text = text.strip()
        if not text:
            raise UserError(N_("Write the answer to send."))
        if len(text) > MAX_TEXT:
            raise UserError(N_("That is too long: at most {limit} characters."), limit=MAX_TEXT)
        now = self.clock()
        comment.answer, comment.answered_by_id, comment.answered_at = text, by.id, now
        project = await Project.get_or_none(id=comment.project_id) if comment.project_id else None
        community = await Community.get(id=comment.community_id)
        author = await Person.get_or_none(id=comment.author_id) if comment.author_id else None
        topic = _topic_of(comment)
        notice = notices.answer_back(comment, project, by.display_name or "?", topic)
        async with in_transaction() as conn:
            await Comment.filter(id=comment.id).using_db(conn).update(answer=text, answered_by_id=by.id, answered_at=now)
            if comment.published_at is not None:
                await search_index.refresh("qa", comment.id, conn)
                self.published_cache.discard(comment.project_id)
            if author is not None:
                await self._send_back(comment, community, author, notice, conn, f"comment-answer:{comment.id}:{int(now.timestamp())}")
        self.notifier.wake()
        log.info("comment answered", extra={"community": community.slug, "number": comment.number})
        return author is not None

    async def _send_back(self, comment: Comment, community: Community, author: Person, notice, conn, key: str) -> None:
        """To the group it was written in (threaded to it), else to the author, first on the account they wrote from."""
        origin = comment.origin or {}
        platform, chat = str(origin.get("platform") or ""), origin.get("chat")
        reply_to = {k: origin.get(k) for k in ("platform", "chat", "ref", "thread", "references") if origin.get(k)}
        if chat and platform:
            t = self.catalogs.get(community.locale)
            payload = {**notice(t).to_dict(), "reply_to": reply_to}
            target = f"{platform}:{chat}" + (f"/{origin['thread']}" if origin.get("thread") else "")
            await OutboxMessage.create(key=key, person_id=None, chat=target, community_id=community.id, kind="comment_answer",
                                       payload=payload, next_attempt_at=self.clock(), using_db=conn)
            return
        via = f"{platform}:{origin.get('address')}" if platform and origin.get("address") else ""
        await self.notifier.enqueue([author], key, "comment_answer", notice, community.id, connection=conn,
                                    default_locale=community.locale, extra={"via": via, "reply_to": reply_to})

    async def hide(self, comment: Comment, hidden: bool) -> None:
        await Comment.filter(id=comment.id).update(hidden_at=self.clock() if hidden else None)
        self.published_cache.discard(comment.project_id)
        if comment.published_at is not None:
            await search_index.refresh("qa", comment.id)

    # -- publishing with consent ----------------------------------------------------------------------------

    async def publish(self, comment: Comment, by: Person) -> str:
        """'published' now, 'asked' (the author is asked once), or 'waiting' (asked before, no answer yet)."""
        if not comment.answer:
            raise UserError(N_("Answer message #{number} before publishing it."), number=comment.number)
        if comment.project_id is None:
            raise UserError(N_("Only a message about a project can be published (on that project)."))
        if comment.hidden_at is not None:
            raise UserError(N_("Message #{number} is hidden: show it again first (/unhide {number})."), number=comment.number)
        if comment.published_at is not None:
            raise UserError(N_("Message #{number} is published already."), number=comment.number)
        if comment.consent == Consent.NO:
            raise UserError(N_("Its author did not agree to publish message #{number}: it stays between you."), number=comment.number)
        await Comment.filter(id=comment.id).update(publish_wanted=True)
        comment.publish_wanted = True
        if comment.author_id is None or comment.consent in (Consent.NAME, Consent.ANONYMOUS):
            await self._publish(comment)
            return "published"
        if comment.consent == Consent.ASKED:
            return "waiting"
        project = await Project.get(id=comment.project_id)
        community = await Community.get(id=comment.community_id)
        author = await Person.get(id=comment.author_id)
        await Comment.filter(id=comment.id).update(consent=Consent.ASKED)
        comment.consent = Consent.ASKED
        await self.notifier.enqueue([author], f"comment-consent:{comment.id}", "comment_consent",
                                    notices.consent_request(comment, project, by.display_name or "?"), community.id,
                                    default_locale=community.locale)
        self.notifier.wake()
        return "asked"

    async def consent(self, comment: Comment, person: Person, choice: Consent) -> bool:
        """The author's answer (their own message only); True when it was published by it."""
        if comment.author_id != person.id:
            raise UserError(N_("Only the author of message #{number} can say that."), number=comment.number)
        await Comment.filter(id=comment.id).update(consent=choice)
        comment.consent = choice
        if choice == Consent.NO and comment.published_at is not None:
            await self.unpublish(comment)
        if choice in (Consent.NAME, Consent.ANONYMOUS) and comment.publish_wanted and comment.published_at is None:
            await self._publish(comment)
            return True
        return False

    async def _publish(self, comment: Comment) -> None:
        now = self.clock()
        project = await Project.get(id=comment.project_id)
        community = await Community.get(id=comment.community_id)
        asker = await self.shown_author(comment)
        answerer = await Person.get_or_none(id=comment.answered_by_id) if comment.answered_by_id else None
        async with in_transaction() as conn:
            claimed = await Comment.filter(id=comment.id, published_at__isnull=True).using_db(conn).update(published_at=now)
            if not claimed:
                return
            comment.published_at = now
            self.published_cache.discard(comment.project_id)
            await search_index.refresh("qa", comment.id, conn)
            people = await self.notifier.followers(project)
            await self.notifier.enqueue(people, f"qa:{comment.id}", "qa",
                                        notices.published(comment, project, asker, answerer.display_name if answerer else ""),
                                        community.id, connection=conn, default_locale=community.locale)
        self.notifier.wake()

    async def unpublish(self, comment: Comment) -> None:
        await Comment.filter(id=comment.id).update(published_at=None, publish_wanted=False)
        comment.published_at = None
        self.published_cache.discard(comment.project_id)
        await search_index.refresh("qa", comment.id)

    async def shown_author(self, comment: Comment) -> str:
        """The asker as the public sees them: their name when they agreed to it, else "" (« un·e membre »)."""
        if comment.consent != Consent.NAME or comment.author_id is None:
            return ""
        person = await Person.get_or_none(id=comment.author_id)
        return person.display_name if person else ""

    # -- lists ----------------------------------------------------------------------------------------------

    async def open_of(self, project: Project, limit: int = 10) -> list[Comment]:
        """The project's messages still waiting for an answer, oldest first."""
        return await Comment.filter(project_id=project.id, answered_at__isnull=True, hidden_at__isnull=True
                                    ).order_by("created_at", "id").limit(limit)

    async def unanswered(self, community: Community, older: timedelta = timedelta(days=3)) -> list[Comment]:
        """Messages of the community left without an answer for more than `older` (the facilitator's agenda)."""
        return await Comment.filter(community_id=community.id, answered_at__isnull=True, hidden_at__isnull=True,
                                    created_at__lte=self.clock() - older).order_by("created_at", "id").limit(20)

    async def open_for(self, community: Community, person: Person, facilitator: bool) -> list[Comment]:
        """The messages waiting for the person: of the projects they are a referent of (every one for a facilitator)."""
        query = Comment.filter(community_id=community.id, answered_at__isnull=True, hidden_at__isnull=True)
        if not facilitator:
            ids = await Project.filter(community_id=community.id, referents__id=person.id).values_list("id", flat=True)
            query = query.filter(project_id__in=list(ids))
        return await query.order_by("created_at", "id").limit(20)

    async def withdraw(self, comment: Comment) -> int:
        """The author takes the message back before any answer: it goes, with its notifications not sent yet; returns
        how many had been sent already."""
        async with in_transaction() as conn:
            await OutboxMessage.filter(key__startswith=f"comment:{comment.id}:", status="pending").using_db(conn).delete()
            sent = await OutboxMessage.filter(key__startswith=f"comment:{comment.id}:").using_db(conn).count()
            await Comment.filter(id=comment.id).using_db(conn).delete()
        return sent

    async def published_of(self, project: Project, limit: int = 5) -> list[Comment]:
        found = self.published_cache.get(project.id)
        if found is None:
            found = await load(Comment, 'SELECT * FROM "comment" WHERE "project_id" = ? AND "published_at" IS NOT NULL AND '
                                        '"hidden_at" IS NULL ORDER BY "published_at" DESC, "id" DESC LIMIT 5', [project.id])
            self.published_cache.put(project.id, found)
        return found[:limit]

    # -- blocking -------------------------------------------------------------------------------------------

    async def block(self, community: Community, person: Person, by: Person) -> bool:
        try:
            await CommentBlock.create(community_id=community.id, person_id=person.id, by_id=by.id, at=self.clock())
        except IntegrityError:
            return False
        return True

    async def unblock(self, community: Community, person: Person) -> bool:
        return await CommentBlock.filter(community_id=community.id, person_id=person.id).delete() > 0


def _topic_of(comment: Comment) -> Topic | None:
    """What a reply to the answer writes about: the same item as the comment (the project when it was a question)."""
    if comment.about_kind == "idea" and comment.about_id:
        return ("idea", int(comment.about_id), int(comment.project_id or 0))
    if comment.project_id is None:
        return None
    if comment.about_kind and comment.about_kind not in ("project", "comment", "qa") and comment.about_id:
        return (comment.about_kind, int(comment.about_id), int(comment.project_id))
    return ("project", int(comment.project_id), int(comment.project_id))
