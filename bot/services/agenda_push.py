"""The weekly push: each due community's agenda to its facilitators (a stand-in when one is away), and the prompts
the agenda sends by itself when `prompt auto` is on. Every agenda of a run is computed in one pass."""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Callable

from bot.core.i18n import N_, Catalogs, Translator
from bot.core.replies import Reply
from bot.core.sql import fetch, load
from bot.services.agenda import Agenda, AgendaView
from bot.services.agenda_text import agenda_reply
from bot.services.notify import Notifier
from bot.services.prompts import Prompts
from models import Community, Person, Project, Role

log = logging.getLogger("relais.agenda")


@dataclass
class Pushed:
    communities: int = 0
    messages: int = 0
    stand_ins: int = 0  # agendas that went to another facilitator because theirs was away
    prompted: int = 0  # projects the agenda prompted by itself


class AgendaPush:
    def __init__(self, agenda: Agenda, prompts: Prompts, notifier: Notifier, catalogs: Catalogs, clock: Callable[[], datetime]):
        self.agenda = agenda
        self.prompts = prompts
        self.notifier = notifier
        self.catalogs = catalogs
        self.clock = clock

    async def recipients(self, community_ids: list[int]) -> tuple[dict[int, list[Person]], dict[int, int]]:
        """Each community's facilitators who are here; when some are away, the others stand in for them (and when
        all are away, they get it all the same: an agenda nobody receives is lost)."""
        today = self.clock().date()
        found: dict[int, list[tuple[Person, bool]]] = defaultdict(list)
        for i in range(0, len(community_ids), 500):
            chunk = community_ids[i:i + 500]
            pairs = await fetch(f'SELECT "community_id", "person_id" FROM "membership" WHERE "role" = ? AND "community_id" IN '
                                f'({",".join("?" * len(chunk))})', [int(Role.FACILITATOR), *chunk])
            ids = sorted({int(p) for _, p in pairs})
            people = {}
            for j in range(0, len(ids), 500):
                part = ids[j:j + 500]
                for person in await load(Person, f'SELECT * FROM "person" WHERE "id" IN ({",".join("?" * len(part))})', part):
                    people[person.id] = person
            for cid, pid in pairs:
                person = people[int(pid)]
                away = person.away_until is not None and person.away_until >= today
                found[int(cid)].append((person, away))
        out: dict[int, list[Person]] = {}
        stand_ins: dict[int, int] = {}
        for cid, rows in found.items():
            here = [p for p, away in rows if not away]
            out[cid] = sorted(here or [p for p, _ in rows], key=lambda p: p.id)
            stand_ins[cid] = len(rows) - len(here) if here else 0
        return out, stand_ins

    async def push(self, communities: list[Community], week: str) -> Pushed:
        """Hand every agenda to the outbox; the outbox key (community, week, person) makes it once per week, whatever
        the number of processes or of tries."""
        done = Pushed()
        if not communities:
            return done
        views = await self.agenda.views(communities)
        autos = await self._auto(communities)
        prompted: dict[int, list[str]] = {}
        for community in communities:
            view = views[community.id]
            if community.id in autos and view.proposed:
                projects = await Project.filter(id__in=[s.id for s in view.proposed]).order_by("title")
                asked = await self.prompts.ask(community, list(projects), None, f"auto:{community.id}:{week}")
                prompted[community.id] = [a.project.title for a in asked if a.asked or a.queued]
                done.prompted += len(prompted[community.id])
        if prompted:  # what the facilitators see includes the prompts just sent
            views.update(await self.agenda.views([c for c in communities if c.id in prompted]))
        people, stand_ins = await self.recipients([c.id for c in communities])
        rows: list[list] = []
        now = self.clock()
        for community in communities:
            view = views[community.id]
            recipients = people.get(community.id, [])
            if not recipients:
                log.warning("agenda without facilitator", extra={"community": community.slug})
                continue
            build = _builder(view, now, prompted.get(community.id, []))
            rows += self.notifier.rows(recipients, f"agenda:{community.id}:{week}", "agenda", build, community.id,
                                       default_locale=community.locale)
            done.stand_ins += 1 if stand_ins.get(community.id) else 0
            done.communities += 1
        await self.notifier.insert(rows)  # one statement per 500 messages; the keys make a second push a no-op
        done.messages = len(rows)
        if done.messages:
            self.notifier.wake()
        return done

    @staticmethod
    async def _auto(communities: list[Community]) -> set[int]:
        ids = [c.id for c in communities]
        out: set[int] = set()
        for i in range(0, len(ids), 500):
            chunk = ids[i:i + 500]
            out |= {int(r[0]) for r in await fetch(f'SELECT "community_id" FROM "agenda_settings" WHERE "auto_prompt" AND '
                                                   f'"community_id" IN ({",".join("?" * len(chunk))})', chunk)}
        return out


def _builder(view: AgendaView, now: datetime, prompted: list[str]) -> Callable[[Translator], Reply]:
    def build(t: Translator) -> Reply:
        reply = agenda_reply(t, view, now, pushed=True)
        if prompted:
            reply.blocks.insert(2, Reply().para("📨 ", t(N_("Prompt auto is on: I prompted the referents of {projects}."),
                                                       projects=", ".join(prompted))).blocks[0])
        return reply
    return build
