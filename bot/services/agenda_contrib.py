"""What the members' contributions bring to the facilitator's weekly agenda: the ideas new this week or past the support
threshold (accept, merge, decline), the needs open for more than 2 weeks, the volunteers to confirm as referents, the
polls' decisions due for review — read for a whole set of communities in a few queries, and written as agenda lines."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from bot.core.i18n import N_, Translator
from bot.core.replies import Reply, bold
from bot.core.sql import fetch
from bot.services.digest_contrib import day, moment

NEW = timedelta(days=7)  # an idea this young is new in the agenda
OLD_NEED = timedelta(weeks=2)  # a need open this long comes to the agenda
SHOWN = 8


@dataclass(frozen=True)
class AgendaIdea:
    number: int
    title: str
    supporters: int
    author: str
    is_new: bool
    ripe: bool  # past the community's support threshold


@dataclass(frozen=True)
class OldNeed:
    number: int
    project: str
    text: str
    at: datetime


@dataclass(frozen=True)
class Volunteer:
    slug: str
    project: str
    name: str
    handle: str


@dataclass(frozen=True)
class Review:
    number: int
    question: str
    text: str
    on: date


@dataclass
class Contributions:
    ideas: list[AgendaIdea] = field(default_factory=list)
    needs: list[OldNeed] = field(default_factory=list)
    volunteers: list[Volunteer] = field(default_factory=list)
    reviews: list[Review] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.ideas or self.needs or self.volunteers or self.reviews)


async def load(community_ids: list[int], now: datetime, today: dict[int, date]) -> dict[int, Contributions]:
    """Every community's contributions to its agenda (`today`: each community's date, for the reviews due)."""
    out: dict[int, Contributions] = defaultdict(Contributions)
    for i in range(0, len(community_ids), 500):
        chunk = community_ids[i:i + 500]
        marks = ",".join("?" * len(chunk))
        for cid, number, title, count, author, at, threshold in await fetch(
                f'SELECT i."community_id", i."number", i."title", i."supporters", a."display_name", i."created_at", '
                f'COALESCE(f."idea_threshold", 5) FROM "idea" i LEFT JOIN "person" a ON a."id" = i."author_id" '
                f'LEFT JOIN "community_profile" f ON f."community_id" = i."community_id" WHERE i."community_id" IN ({marks}) '
                f'AND i."status" = \'open\' AND (i."created_at" >= ? OR i."supporters" >= COALESCE(f."idea_threshold", 5)) '
                f'ORDER BY i."supporters" DESC, i."number"', [*chunk, now - NEW]):
            out[int(cid)].ideas.append(AgendaIdea(int(number), str(title), int(count), str(author or ""), moment(at) >= now - NEW,
                                                  int(count) >= int(threshold)))
        for cid, number, title, text, at in await fetch(
                f'SELECT x."community_id", x."number", p."title", x."text", x."created_at" FROM "need" x JOIN "project" p '
                f'ON p."id" = x."project_id" WHERE x."community_id" IN ({marks}) AND x."status" = \'open\' AND x."created_at" <= ? '
                f'ORDER BY x."created_at", x."id"', [*chunk, now - OLD_NEED]):
            out[int(cid)].needs.append(OldNeed(int(number), str(title), str(text), moment(at)))
        for cid, slug, title, name, platform, address in await fetch(
                f'SELECT p."community_id", p."slug", p."title", a."display_name", (SELECT c."platform" FROM "account" c WHERE '
                f'c."person_id" = a."id" ORDER BY c."id" LIMIT 1), (SELECT c."address" FROM "account" c WHERE c."person_id" = a."id" '
                f'ORDER BY c."id" LIMIT 1) FROM "referent_offer" o JOIN "project" p ON p."id" = o."project_id" JOIN "person" a '
                f'ON a."id" = o."person_id" WHERE p."community_id" IN ({marks}) ORDER BY o."at", o."id"', chunk):
            out[int(cid)].volunteers.append(Volunteer(str(slug), str(title), str(name or "?"), f"{platform}:{address}" if platform else str(name)))
        for cid, number, question, text, on in await fetch(
                f'SELECT v."community_id", v."number", v."question", o."text", o."review_on" FROM "poll_outcome" o JOIN "vote_poll" v '
                f'ON v."id" = o."poll_id" WHERE v."community_id" IN ({marks}) AND o."review_on" IS NOT NULL AND o."reviewed_at" IS NULL '
                f'ORDER BY o."review_on"', chunk):
            review_on = day(on)
            if review_on is not None and review_on <= today.get(int(cid), review_on):
                out[int(cid)].reviews.append(Review(int(number), str(question), str(text), review_on))
    return out


def add_lines(t: Translator, found: Contributions, slug: str, now: datetime, reply: Reply) -> None:
    """The agenda's lines of what members brought, each with the choices that settle it."""
    if found.ideas:
        rows = [(bold(f"{i.number}. {i.title}"), " — ", t.n("{count} support", "{count} supports", i.supporters), " · ",
                 t(N_("proposed by {name}"), name=i.author or t(N_("a former member"))),
                 " · " + t(N_("new")) if i.is_new else "", " · ✨ " + t(N_("past the threshold")) if i.ripe else "")
                for i in found.ideas[:SHOWN]]
        reply.items(rows, title=t(N_("Members' ideas (new this week, or past the support threshold):")))
        for i in found.ideas[:3]:
            reply.choice(t(N_("Accept idea {number}"), number=i.number), f"idea accept {i.number}")
            reply.choice(t(N_("Merge idea {number}"), number=i.number), f"idea merge {i.number}")
            reply.choice(t(N_("Decline idea {number}"), number=i.number), f"idea decline {i.number}")
    if found.volunteers:
        reply.items([(bold(v.name), " — ", t(N_("offers to carry {project}"), project=v.project)) for v in found.volunteers[:SHOWN]],
                    title=t(N_("Volunteers to confirm as referents:")))
        for v in found.volunteers[:3]:
            reply.choice(t(N_("Confirm {name} for {project}"), name=v.name, project=v.project)[:60], f"referent confirm {v.slug} {v.handle}")
    if found.needs:
        reply.items([(bold(f"{n.number}. "), n.project, " — ", n.text[:80] + ("…" if len(n.text) > 80 else ""), " · ",
                      t(N_("asked {when}"), when=t.ago(now - n.at))) for n in found.needs[:SHOWN]],
                    title=t(N_("Needs open for 2 weeks or more:")))
        reply.choice(t(N_("Help wanted")), "needs")
    if found.reviews:
        reply.items([(bold(f"#{r.number} {r.question}"), " — ", r.text[:80], " · ", t(N_("to review since {date}"), date=t.date(r.on, "medium")))
                     for r in found.reviews[:SHOWN]], title=t(N_("Decisions to review:")))
        for r in found.reviews[:3]:
            reply.choice(t(N_("Reviewed: poll #{number}"), number=r.number), f"outcome reviewed {slug}#{r.number}")
