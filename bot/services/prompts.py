"""Next-step prompts: the method's three questions asked to a project's referents, their free-text answers read and
confirmed, the next step set, the list and rooms told, one reminder, one summary to whoever asked.

A prompt goes out through the outbox (exactly once: its key; channel fallback: the delivery) with the question
waiting in the referent's conversation, so the answer comes back from any direct chat or a mail reply. A referent
prompted about several projects answers them one after the other: confirming one asks the next.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Callable

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from bot.core.conversation import ANSWER_HINT, Conversations
from bot.core.errors import UserError
from bot.core.i18n import N_, Catalogs, Translator
from bot.core.replies import About, Question, Reply, bold
from bot.core.sql import fetch
from bot.services import search_index
from bot.services.notify import Notice, Notifier
from bot.services.people import author_label
from bot.services.projects import Projects
from models import (
    Account,
    Announcement,
    Community,
    MailingList,
    Membership,
    NewsItem,
    NextStep,
    Person,
    Project,
    Prompt,
    PromptStatus,
    Role,
)

log = logging.getLogger("relais.prompts")
OPEN = (PromptStatus.ASKED, PromptStatus.UNDERSTOOD)


@dataclass
class Asked:
    """What prompting one project did: who was asked, who was not and why."""

    project: Project
    asked: list[str] = field(default_factory=list)
    away: list[tuple[str, date]] = field(default_factory=list)
    unreachable: list[str] = field(default_factory=list)
    queued: list[str] = field(default_factory=list)  # asked after their answer on another project
    no_referents: bool = False


@dataclass
class Published:
    rooms: int = 0  # rooms and groups the step was posted to
    on_list: bool = False  # the community's list announces it (a managed list posts every next step)
    has_list: bool = False


class Prompts:
    def __init__(self, catalogs: Catalogs, clock: Callable[[], datetime], notifier: Notifier, conversations: Conversations,
                 projects: Projects, remind_days: float = 3.0):
        self.catalogs = catalogs
        self.clock = clock
        self.notifier = notifier
        self.conversations = conversations
        self.projects = projects
        self.remind_after = timedelta(days=remind_days)

    @staticmethod
    def new_batch() -> str:
        return secrets.token_hex(8)

    # -- asking -------------------------------------------------------------------------------------------

    async def ask(self, community: Community, projects: list[Project], asked_by: Person | None, batch: str) -> list[Asked]:
        """Prompt every reachable referent of these projects who is not away; a referent already prompted in this
        batch is not prompted twice (two processes pushing the same agenda)."""
        today = self.clock().date()
        out: list[Asked] = []
        firsts: dict[int, Prompt] = {}  # person → the prompt whose question goes out now
        chained: set[int] = set(await self._waiting_people(community.id))
        for project in projects:
            done = Asked(project)
            out.append(done)
            referents = await self.projects.referents(project)
            if not referents:
                done.no_referents = True
                continue
            reachable = await self._reachable([p.id for p in referents])
            away = await self._away([p.id for p in referents], today)
            for person in referents:
                name = person.display_name or "?"
                if person.id in away:
                    done.away.append((name, away[person.id]))
                    continue
                if person.id not in reachable:
                    done.unreachable.append(name)
                    continue
                prompt = await self._create(community, project, person, asked_by, batch)
                if prompt is None:
                    continue
                if person.id in firsts or person.id in chained:
                    done.queued.append(name)  # asked when they have answered the one before
                    continue
                firsts[person.id] = prompt
                done.asked.append(name)
        for prompt in firsts.values():
            await self._send(prompt, community, reminder=False)
        if firsts:
            self.notifier.wake()
        log.info("prompts sent", extra={"community": community.slug, "batch": batch, "sent": len(firsts)})
        return out

    async def _waiting_people(self, community_id: int) -> list[int]:
        """Referents who are answering a prompt right now (their question is out): a new one waits its turn."""
        rows = await fetch('SELECT DISTINCT p."person_id" FROM "prompt" p JOIN "pending_question" q ON q."person_id" = p."person_id" '
                           'WHERE p."community_id" = ? AND p."status" IN (?, ?) AND q."handler" = ?',
                           [community_id, PromptStatus.ASKED.value, PromptStatus.UNDERSTOOD.value, "prompt"])
        return [int(r[0]) for r in rows]

    @staticmethod
    async def _away(person_ids: list[int], today: date) -> dict[int, date]:
        """Who is away (read now: the referents' cache may be older than an `away` or `back`)."""
        rows = await Person.filter(id__in=person_ids, away_until__gte=today).values_list("id", "away_until")
        return {int(pid): until for pid, until in rows}

    @staticmethod
    async def _reachable(person_ids: list[int]) -> set[int]:
        ids = await Account.filter(person_id__in=person_ids, reachable=True, confirmed=True).values_list("person_id", flat=True)
        return {int(i) for i in ids}  # type: ignore[call-overload]

    async def _create(self, community: Community, project: Project, person: Person, asked_by: Person | None,
                      batch: str) -> Prompt | None:
        now = self.clock()
        try:
            async with in_transaction() as conn:
                # An older prompt on the same project still open is replaced by this one.
                await Prompt.filter(project_id=project.id, person_id=person.id, status__in=OPEN).using_db(conn).update(
                    status=PromptStatus.CANCELLED)
                return await Prompt.create(community_id=community.id, project_id=project.id, person_id=person.id,
                                           asked_by_id=asked_by.id if asked_by else None, batch=batch, asked_at=now,
                                           using_db=conn)
        except IntegrityError:  # this batch prompted them already (another process pushing the same agenda)
            return None

    async def _send(self, prompt: Prompt, community: Community, reminder: bool) -> None:
        """The prompt's message through the outbox, and its question waiting for the answer (the same transaction)."""
        project = await Project.get(id=prompt.project_id)
        person = await Person.get(id=prompt.person_id)
        asker = (await Person.get_or_none(id=prompt.asked_by_id)) if prompt.asked_by_id else None
        current = await NextStep.filter(project_id=project.id).order_by("-id").first()
        notice = self.prompt_notice(project, community, asker.display_name if asker else "", reminder, prompt.id, current)
        t = self.catalogs.get(person.locale or community.locale)
        async with in_transaction() as conn:
            await self.notifier.enqueue([person], f"prompt{'-reminder' if reminder else ''}:{prompt.id}", "prompt", notice,
                                        community.id, connection=conn, default_locale=community.locale)
            await self.conversations.ask(person.id, self.question(t, project, prompt.id), "", community.id, connection=conn)

    @staticmethod
    def question(t: Translator, project: Project, prompt_id: int, stage: str = "all", problem: str = "") -> Question:
        prompts = {
            "all": N_("What is the next step of {project}, by what date, and is it on the list?"),
            "step": N_("What is the next step of {project}?"),
            "date": N_("By what date? (“le 15 janvier”, “next friday”, or “no date”)"),
            "list": N_("Is it on the list already? (yes / no)"),
            "confirm": N_("Is that right? Answer yes to set it, or write the next step again."),
        }
        text = t(prompts[stage], project=project.title)
        if problem:
            text = problem + "\n" + text
        if stage == "all":
            hint = t(N_("Answer in your next message, for example “Trouver une salle pour le 15 janvier, pas encore sur la "
                        "liste”, or type /cancel."))
            by_reply = t(N_("Reply to this message with your answer, in your own words: for example “Find a room by 15 January, "
                            "not on the list yet”."))
        else:
            hint, by_reply = t(ANSWER_HINT), t(N_("Reply to this message with your answer."))
        return Question(text, "prompt", {"prompt": prompt_id, "stage": stage}, hint=hint, days=14, reply_hint=by_reply)

    def prompt_notice(self, project: Project, community: Community, asker: str, reminder: bool, prompt_id: int,
                      current: NextStep | None = None) -> Notice:
        def headline(t: Translator) -> str:
            return t(N_("reminder: what is the next step?")) if reminder else t(N_("what is the next step?"))

        def build(t: Translator) -> Reply:
            reply = Reply()
            if reminder:
                reply.para("⏰ ", t(N_("A reminder about {project} ({community}): one answer is enough."),
                                   project=project.title, community=community.name))
            elif asker:
                reply.para("👋 ", t(N_("{name} asks you, referent of {project} ({community}), the three questions of the week."),
                                   name=asker, project=project.title, community=community.name))
            else:
                reply.para("👋 ", t(N_("The weekly point on {project} ({community}), for its referents."),
                                   project=project.title, community=community.name))
            if current is not None:  # what is known already: "nothing new" keeps it
                reply.para(t(N_("Its next step today: ")), bold(current.text),
                           " — " + t(N_("by {date}"), date=t.date(current.due)) if current.due else "")
            # A reply to this message is the answer (the question waits for it anyway): no hint beside the question's.
            reply.add(self.question(t, project, prompt_id)).add(About((("prompt", prompt_id, project.id),)))
            if current is not None:
                reply.choice(t(N_("Nothing new: keep it")), f"prompt nothing new {prompt_id}")
            return reply
        return Notice(project, build, headline)

    # -- answering ----------------------------------------------------------------------------------------

    async def open_prompt(self, prompt_id: int, person: Person) -> Prompt:
        """The person's prompt, still open; a closed one says why (answered by a co-referent, replaced)."""
        prompt = await Prompt.get_or_none(id=prompt_id, person_id=person.id)
        if prompt is None:
            raise UserError(N_("There is no such prompt for you."))
        if prompt.status in OPEN:
            return prompt
        project = await Project.get(id=prompt.project_id)
        if prompt.status == PromptStatus.ANSWERED:
            raise UserError(N_("You already answered about {project}: thank you."), project=project.title)
        step = await NextStep.filter(project_id=project.id).order_by("-id").first()
        if step is not None and step.created_at >= prompt.asked_at:
            raise UserError(N_("The next step of {project} was set meanwhile: “{step}”. Nothing more to answer."),
                            project=project.title, step=step.text[:200])
        raise UserError(N_("This prompt about {project} was replaced or taken back; nothing to answer."), project=project.title)

    async def keep(self, prompt: Prompt, text: str, step: str | None = None, due: date | None = None, dated: bool = False,
                   on_list: bool | None = None) -> Prompt:
        """Keep what the answer said (the rest stays as it was); the raw text is kept too."""
        changes: dict = {"answer": (prompt.answer + "\n" + text).strip()[-4000:]}
        if step is not None:
            changes["step_text"] = step[:1000]
        if dated:
            changes["step_due"], changes["dated"] = due, True
        if on_list is not None:
            changes["on_list"] = on_list
        await Prompt.filter(id=prompt.id).update(**changes)
        for key, value in changes.items():
            setattr(prompt, key, value)
        return prompt

    async def understood(self, prompt: Prompt) -> None:
        await Prompt.filter(id=prompt.id, status__in=OPEN).update(status=PromptStatus.UNDERSTOOD)
        prompt.status = PromptStatus.UNDERSTOOD

    async def restart(self, prompt: Prompt) -> None:
        await Prompt.filter(id=prompt.id).update(status=PromptStatus.ASKED, step_text="", step_due=None, dated=False, on_list=None)
        prompt.status, prompt.step_text, prompt.step_due, prompt.dated, prompt.on_list = PromptStatus.ASKED, "", None, False, None

    async def confirm(self, prompt: Prompt, person: Person, community: Community) -> tuple[NextStep, int, Published]:
        """Set the next step (followers notified, as /nextstep does), post it when it is not on the list yet, close the
        co-referents' prompts on the project, and send the batch's summary when it was the last answer."""
        now = self.clock()
        claimed = await Prompt.filter(id=prompt.id, status=PromptStatus.UNDERSTOOD).update(status=PromptStatus.ANSWERED, answered_at=now)
        if not claimed:  # confirmed twice (a double tap, a choice and a "yes"): once is enough
            await self.open_prompt(prompt.id, person)
            raise UserError(N_("Answer the questions first."))
        project = await Project.get(id=prompt.project_id)
        step, count = await self.projects.set_next_step(project, person, prompt.step_text, prompt.step_due, community)
        await Prompt.filter(id=prompt.id).update(step_id=step.id)
        await search_index.refresh("answer", prompt.id)
        await Prompt.filter(project_id=project.id, status__in=OPEN).exclude(id=prompt.id).update(status=PromptStatus.CANCELLED)
        published = await self.publish_step(community, project, step, posted_by_referent=prompt.on_list is True)
        await self.summarize(prompt.batch)
        return step, count, published

    async def nothing_new(self, prompt: Prompt, text: str = "") -> NextStep:
        """"Nothing new": the project's next step and date stay as they are, and the prompt counts as answered (the
        co-referents' prompts on it close, the batch's summary goes when it was the last answer)."""
        step = await NextStep.filter(project_id=prompt.project_id).order_by("-id").first()
        if step is None:
            raise UserError(N_("{project} has no next step yet to keep: what is it, and by what date?"),
                            project=(await Project.get(id=prompt.project_id)).title)
        claimed = await Prompt.filter(id=prompt.id, status__in=OPEN).update(
            status=PromptStatus.ANSWERED, answered_at=self.clock(), step_id=step.id, step_text=step.text[:1000], step_due=step.due,
            dated=True, answer=(prompt.answer + "\n" + text).strip()[-4000:])
        if not claimed:
            await self.open_prompt(prompt.id, await Person.get(id=prompt.person_id))  # says why (answered meanwhile…)
        await Prompt.filter(project_id=prompt.project_id, status__in=OPEN).exclude(id=prompt.id).update(status=PromptStatus.CANCELLED)
        await self.summarize(prompt.batch)
        return step

    async def next_open(self, person: Person) -> tuple[Prompt, Project] | None:
        """The person's next prompt waiting for an answer (several projects: one after the other)."""
        prompt = await Prompt.filter(person_id=person.id, status__in=OPEN).order_by("asked_at", "id").first()
        if prompt is None:
            return None
        return prompt, await Project.get(id=prompt.project_id)

    # -- the list and the rooms ---------------------------------------------------------------------------

    async def publish_step(self, community: Community, project: Project, step: NextStep, posted_by_referent: bool = False) -> Published:
        """A next step to the community's rooms (and its list: a managed list announces every next step); when the
        referent posted it to the list themselves, it is only recorded as on the list."""
        published = Published()
        mlist = await MailingList.get_or_none(community_id=community.id, status="ready")
        published.has_list = mlist is not None
        if posted_by_referent:
            await self._record(community, "step", step.id, "list")
            published.on_list = True
            return published
        published.on_list = mlist is not None
        author = ""
        if step.author_id:
            who = await Person.get_or_none(id=step.author_id)
            author = who.display_name if who else ""
        notice = self.notifier.next_step_reply(project, step.text, step.due, author, step.id)
        published.rooms = await self.notifier.to_rooms(community.id, f"step{step.id}", notice(self.catalogs.get(community.locale)))
        await self._record(community, "step", step.id, "rooms")
        return published

    async def _record(self, community: Community, kind: str, item_id: int, channel: str) -> None:
        try:
            await Announcement.create(community_id=community.id, kind=kind, item_id=item_id, channel=channel, at=self.clock())
        except IntegrityError:
            pass

    # -- reminders and summaries --------------------------------------------------------------------------

    async def remind_due(self) -> int:
        """One reminder to each referent who has not answered after the delay (not to one who is away); claimed
        row by row, so two processes never remind twice."""
        now = self.clock()
        due = await Prompt.filter(status=PromptStatus.ASKED, reminded_at__isnull=True, asked_at__lte=now - self.remind_after)
        sent = 0
        for prompt in due:
            person = await Person.get_or_none(id=prompt.person_id)
            if person is None or (person.away_until is not None and person.away_until >= now.date()):
                continue
            head = await self.next_open(person)
            if head is not None and head[0].id != prompt.id:
                continue  # they answer another project first; this one comes after it
            if not await Prompt.filter(id=prompt.id, reminded_at__isnull=True).update(reminded_at=now):
                continue
            community = await Community.get(id=prompt.community_id)
            await self._send(prompt, community, reminder=True)
            sent += 1
        if sent:
            self.notifier.wake()
            log.info("prompt reminders", extra={"sent": sent})
        return sent

    async def summarize(self, batch: str) -> bool:
        """When every prompt of the batch is settled, one summary to whoever asked (the facilitators when the agenda
        asked by itself)."""
        prompts = await Prompt.filter(batch=batch).order_by("id")
        if not prompts or any(p.status in OPEN for p in prompts) or all(p.summarized for p in prompts):
            return False
        if not await Prompt.filter(batch=batch, summarized=False).update(summarized=True):
            return False
        community = await Community.get(id=prompts[0].community_id)
        asker = prompts[0].asked_by_id
        if asker:
            people = await Person.filter(id=asker)
        else:
            ids = await Membership.filter(community_id=community.id, role=Role.FACILITATOR).values_list("person_id", flat=True)
            people = await Person.filter(id__in=list(ids))
        projects = {p.id: p for p in await Project.filter(id__in=[p.project_id for p in prompts])}
        names = {p.id: p.display_name for p in await Person.filter(id__in=[p.person_id for p in prompts])}

        def build(t: Translator) -> Reply:
            reply = Reply().para("✅ ", t(N_("The referents have answered ({community}):"), community=community.name))
            items = []
            for prompt in prompts:
                if prompt.status != PromptStatus.ANSWERED:
                    continue
                project = projects[prompt.project_id]
                line = [bold(project.title), " — ", prompt.step_text]
                if prompt.step_due:
                    line += [" ", t(N_("(by {date})"), date=t.date(prompt.step_due))]
                line += [" · ", names.get(prompt.person_id, "")]
                items.append(tuple(line))
            reply.items(items) if items else reply.para(t(N_("No answer: the prompts were replaced or taken back.")))
            return reply.choice(t(N_("Agenda")), "agenda").choice(t(N_("Tracking sheet")), "sheet")
        await self.notifier.enqueue(list(people), f"prompt-summary:{batch}", "prompt_summary", build, community.id,
                                    default_locale=community.locale)
        self.notifier.wake()
        return True

    async def set_away(self, person: Person, until: date | None) -> date | None:
        """Pause (or resume) the prompts to a person; returns the date they were away until, if any."""
        was = person.away_until
        await Person.filter(id=person.id).update(away_until=until)
        person.away_until = until
        return was

    async def publish_item(self, community: Community, kind: str, item_id: int) -> int:
        """A past week's news item or next step to the rooms (the agenda's "send what did not go out")."""
        model = NewsItem if kind == "news" else NextStep
        item = await model.get_or_none(id=item_id)
        if item is None:
            return 0
        project = await Project.get(id=item.project_id)
        who = await Person.get_or_none(id=item.author_id) if item.author_id else None
        author = author_label(self.catalogs.get(community.locale), who, getattr(item, "former_author", kind == "step"))
        notice = (self.notifier.news_reply(project, item.text, author, item.id) if kind == "news"
                  else self.notifier.next_step_reply(project, item.text, getattr(item, "due", None), author, item.id))
        rooms = await self.notifier.to_rooms(community.id, f"{kind}{item_id}", notice(self.catalogs.get(community.locale)))
        await self._record(community, kind, item_id, "rooms")
        return rooms

    async def cancel(self, project: Project) -> int:
        return await Prompt.filter(project_id=project.id, status__in=OPEN).update(status=PromptStatus.CANCELLED)
