"""Thin scheduled jobs: find what is due, claim the run, call the domain code, record the outcome."""

from __future__ import annotations

import json
import logging
from datetime import datetime, time, timedelta
from typing import Awaitable, Callable
from zoneinfo import ZoneInfo

from tortoise.exceptions import IntegrityError

from bot.core.i18n import N_
from bot.core.replies import Reply
from bot.services import Services
from bot.services.agenda_push import AgendaPush
from bot.services.calendar import last_due
from bot.services.digest_run import DigestRunner
from bot.services.meetings import Meetings
from bot.services.prompts import Prompts
from bot.services.retention import Retention
from bot.services.votes_push import VoteNotices
from models import AgendaSettings, Community, JobRun, Project

log = logging.getLogger("relais.scheduler")
LATE_LIMIT = timedelta(hours=24)
AGENDA_LEASE = timedelta(minutes=10)  # a push takes seconds: a run still "running" after this was cut short


class DigestJob:
    """Every minute (and at start): each community whose digest time has passed this week gets its run, once.

    A run missed while Relais was down is done at start when less than 24 hours late, otherwise that week
    is skipped and logged. A run cut short (the process died) is taken up again; the per-person claims
    make sure nobody gets the digest twice."""

    def __init__(self, runner_factory: Callable[[], Awaitable[DigestRunner]], services: Services, clock):
        self.runner_factory = runner_factory
        self.runner: DigestRunner | None = None
        self.services = services
        self.clock = clock
        self._running: set[str] = set()

    async def tick(self) -> list[str]:
        if self.runner is None:
            self.runner = await self.runner_factory()
        done = []
        for community in await Community.all().order_by("id"):
            try:
                key = await self.due_key(community)
            except Exception:  # one community's bad data (a time zone that no longer exists…) never stops the others
                log.exception("digest tick failed for a community", extra={"community": community.slug})
                continue
            if key:
                done.append(key)
        return done

    async def due_key(self, community: Community) -> str | None:
        now = self.clock()
        weekday, at = await self.services.schedules.of(community)
        due, week = last_due(now, weekday, at, ZoneInfo(community.timezone))
        key = f"digest:{community.slug}:{week}"
        if key in self._running:
            return None
        run = await JobRun.get_or_none(key=key)
        if run is not None and run.status != "running":
            return None
        if run is None:
            late = now - due > LATE_LIMIT
            try:
                run = await JobRun.create(key=key, due_at=due, started_at=now, status="skipped" if late else "running",
                                          detail={"late_seconds": int((now - due).total_seconds())} if late else {})
            except IntegrityError:  # another process created it first and runs it
                return None
            if late:
                log.warning("digest week skipped: too late", extra={"community": community.slug, "week": week,
                                                                    "due": due.isoformat()})
                return None
        await self._run(community, run, due, week)
        return key

    async def _run(self, community: Community, run: JobRun, due: datetime, week: str) -> None:
        runner = self.runner or await self.runner_factory()
        self.runner = runner
        self._running.add(run.key)
        try:
            counts = await runner.run(community, due, week)
            unsettled = await runner.unsettled(community, week)
            if unsettled and self.clock() - due <= LATE_LIMIT:
                # Claims of a run that died, or failures to retry: the next tick takes them up.
                await JobRun.filter(id=run.id).update(detail={**counts.as_dict(), "unsettled": unsettled})
            else:
                await JobRun.filter(id=run.id).update(status="done", finished_at=self.clock(),
                                                      detail={**counts.as_dict(), "unsettled": unsettled})
        except Exception:
            log.exception("digest run failed", extra={"community": community.slug, "week": week})
            await JobRun.filter(id=run.id).update(status="running", detail={"error": "failed; retried next tick"})
        finally:
            self._running.discard(run.key)


class Housekeeping:
    """Once an hour: what is past keeping is pruned (bot/services/retention.py)."""

    def __init__(self, retention: Retention, clock, every: timedelta = timedelta(hours=1)):
        self.retention = retention
        self.clock = clock
        self.every = every
        self.last: datetime | None = None

    async def tick(self) -> dict[str, int] | None:
        now = self.clock()
        if self.last is not None and now - self.last < self.every:
            return None
        self.last = now
        pruned = await self.retention.prune()
        if any(pruned.values()):
            log.info("pruned", extra=pruned)
        return pruned


class AgendaJob:
    """Every minute: each community whose agenda time has passed this week gets its agenda pushed to its
    facilitators, once (a JobRun per community and week, and the outbox keys); then the prompts' reminders.

    Like the digest, an agenda missed while Relais was down goes out at start when less than 24 hours late."""

    def __init__(self, push: AgendaPush, prompts: Prompts, clock, only: set[str] | None = None):
        self.push = push
        self.prompts = prompts
        self.clock = clock
        self.only = only  # community slugs (`relais agenda send --community`); None: all
        self.reminded = 0
        self._done: set[str] = set()  # keys finished, not looked up again by this process

    async def tick(self) -> list[str]:
        now = self.clock()
        settings = {s.community_id: (s.weekday, time(s.hour, s.minute)) for s in await AgendaSettings.all()}
        due: dict[str, tuple[Community, datetime, str]] = {}
        for community in await Community.all().order_by("id"):
            if self.only is not None and community.slug not in self.only:
                continue
            weekday, at = settings.get(community.id, (0, time(9, 0)))
            try:
                due_at, week = last_due(now, weekday, at, ZoneInfo(community.timezone))
            except Exception:  # a time zone that no longer exists: that community only
                log.exception("agenda tick failed for a community", extra={"community": community.slug})
                continue
            key = f"agenda:{community.slug}:{week}"
            if key not in self._done:
                due[key] = (community, due_at, week)
        runs = {r.key: r for r in await JobRun.filter(key__in=list(due))} if due else {}
        by_week: dict[str, list[tuple[Community, JobRun]]] = {}
        for key, (community, due_at, week) in due.items():
            run = runs.get(key)
            if run is not None and run.status != "running":
                self._done.add(key)
                continue
            if run is not None and run.started_at and now - run.started_at < AGENDA_LEASE:
                continue  # another process pushes it right now; if it died, the run is taken over after the lease
            if run is not None:
                if not await JobRun.filter(id=run.id, started_at=run.started_at).update(started_at=now):
                    continue  # another process took it over first
            else:
                late = now - due_at > LATE_LIMIT
                try:
                    run = await JobRun.create(key=key, due_at=due_at, started_at=now, status="skipped" if late else "running")
                except IntegrityError:  # another process took it
                    continue
                if late:
                    self._done.add(key)
                    continue
            by_week.setdefault(week, []).append((community, run))
        pushed: list[str] = []
        for week, items in by_week.items():
            try:
                counts = await self.push.push([c for c, _ in items], week)
            except Exception:
                log.exception("agenda push failed", extra={"week": week, "communities": len(items)})
                continue
            await JobRun.filter(id__in=[r.id for _, r in items]).update(status="done", finished_at=self.clock())
            self._done.update(r.key for _, r in items)
            pushed.extend(r.key for _, r in items)
            log.info("agendas pushed", extra={"week": week, "communities": counts.communities, "messages": counts.messages,
                                              "prompted": counts.prompted})
        self.reminded += await self.prompts.remind_due()
        return pushed


class VotesJob:
    """Every minute: the polls whose time is up are closed (once, whatever the number of processes: the close is
    claimed) and their results announced; the polls closing within a day nudge those who have not voted, once;
    the general meetings' reminders 7 days and 1 day before go out, each once."""

    def __init__(self, notices: VoteNotices, meetings: Meetings):
        self.notices = notices
        self.meetings = meetings

    async def tick(self) -> tuple[int, int, int]:
        closed, nudged = await self.notices.run_due()
        reminded = await self.meetings.remind_due()
        if closed or nudged or reminded:
            log.info("votes tick", extra={"closed": closed, "nudged": nudged, "meeting_reminders": reminded})
        return closed, nudged, reminded


class CampaignsJob:
    """Every minute: the running campaigns' countdown (7 days, 2 days and the last day), each step once, to the
    project's followers who have neither used their link nor promised."""

    def __init__(self, services: Services):
        self.services = services

    async def tick(self) -> int:
        from bot.services.pledges import campaign_reply

        pledges, sent = self.services.pledges, 0
        for campaign, left in await pledges.countdown_due():
            project = await Project.get(id=campaign.project_id)
            community = await Community.get(id=project.community_id)
            standing = await pledges.standing(campaign, project)
            assert campaign.until is not None  # only campaigns with an end count down
            today = campaign.until - timedelta(days=left)
            people = await pledges.not_pledged_followers(campaign, project)
            rows = []
            for person in people:  # each one's own link: the reply is built per person
                t = self.services.catalogs.get(person.locale or community.locale)
                reply = Reply().para("⏳ ", t(N_("Last day to support {project}!"), project=project.title) if left == 0 else
                                     t.n("{count} day left to support {project}.", "{count} days left to support {project}.",
                                         left, project=project.title))
                reply.extend(campaign_reply(t, standing, today, link=pledges.link_for(campaign, person)))
                rows.append([f"countdown:{campaign.id}:{left}:p{person.id}", person.id, community.id, "campaign",
                             json.dumps(reply.to_dict(), ensure_ascii=False), self.services.clock(), self.services.clock()])
            await self.services.notifier.insert(rows)
            sent += len(rows)
        if sent:
            self.services.notifier.wake()
            log.info("campaign countdown", extra={"sent": sent})
        return sent
