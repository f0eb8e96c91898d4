"""search: find again the community's projects and what it said (news, next steps, answers, polls, meetings, list posts),
best first, each result with its kind and the count of each kind."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from bot.core.commands import Arg, command
from bot.core.errors import UsageError
from bot.core.i18n import N_, Translator
from bot.core.replies import Reply, bold, italic, link
from bot.runtime.context import Context
from bot.services.search import NothingToSearch
from bot.services.search_text import excerpt
from models import Role
from models.search import SearchDoc

SECTION = N_("Projects")
MAX_LENGTH = 200
ICONS = {"project": "📁", "news": "📰", "step": "➡️", "answer": "💬", "poll": "🗳", "meeting": "📅", "post": "✉️", "qa": "❔",
         "idea": "💡", "need": "🙋", "event": "📅"}
KINDS = {"project": N_("project"), "news": N_("news item"), "step": N_("next step"), "answer": N_("referent's answer"), "poll": N_("poll"),
         "meeting": N_("General meeting"), "post": N_("list post"), "qa": N_("question answered"), "idea": N_("idea"), "need": N_("help wanted"),
         "event": N_("event")}


@command("search", fr=("chercher", "rechercher"), args=(Arg("words", "text", N_("words"), max_length=MAX_LENGTH),),
         help=N_("Find the community's projects and what was said in it (news, next steps, polls, meetings, list posts), best "
                 "first; a word finds its family too: /search brewing finds brewed."),
         section=SECTION, role=Role.OBSERVER)
async def search(ctx: Context, words: str) -> Reply:
    t = ctx.t
    community = ctx.need_community()
    staff = ctx.role is not None and ctx.role >= Role.FACILITATOR
    try:
        found = await ctx.services.search.find(community, words, staff=staff)
    except NothingToSearch:
        raise UsageError(N_("“{words}” has no word to look for: give the words that matter, like /search brewery."),
                         words=words[:60]) from None
    if not found:
        return Reply().para(t(N_("Nothing found for “{words}” in {community}."), words=words, community=community.name))
    tz = ctx.zone(community)
    reply = Reply().para(counted(t, [hit.kind for hit in found]))
    reply.items([_row(t, hit, tz) for hit in found],
                          title=t(N_("Found in {community} for “{words}”, best first:"), community=community.name, words=words))
    opened: set[str] = set()
    for hit in found:
        if hit.opens and hit.opens not in opened:
            opened.add(hit.opens)
            reply.choice(_label(t, hit)[:60], hit.opens)
    return reply


def n(singular: str, plural: str) -> tuple[str, str]:
    """A plural message (named `n` so that extraction reads it as one, like `t.n`), counted where it is shown."""
    return singular, plural


COUNTS = {"project": n("{count} project", "{count} projects"), "news": n("{count} news item", "{count} news items"),
          "step": n("{count} next step", "{count} next steps"), "answer": n("{count} referent's answer", "{count} referents' answers"),
          "poll": n("{count} poll", "{count} polls"), "meeting": n("{count} general meeting", "{count} general meetings"),
          "post": n("{count} list post", "{count} list posts"), "qa": n("{count} question answered", "{count} questions answered"),
          "event": n("{count} event", "{count} events")}


def counted(t: Translator, kinds: list[str]) -> str:
    """How many results, and of which kinds, in the order they come: "3 results: 1 project, 2 news items"."""
    seen: dict[str, int] = {}
    for kind in kinds:
        seen[kind] = seen.get(kind, 0) + 1
    parts = [t.n(*COUNTS[k], count) if k in COUNTS else str(count) for k, count in seen.items()]
    return t(N_("{results}: {kinds}."), results=t.n("{count} result", "{count} results", len(kinds)), kinds=", ".join(parts))


def _row(t: Translator, hit: SearchDoc, tz: ZoneInfo) -> tuple:
    """One result: what it is, of which project or poll, its date, its start, and who wrote it."""
    date = t.date(hit.at.astimezone(tz).date(), "medium")
    parts: list = [ICONS.get(hit.kind, "•") + " ", bold(_label(t, hit)), f" · {t(KINDS[hit.kind])} · " if hit.kind != "meeting" else " · ",
                   italic(date)]
    text = excerpt(hit.excerpt)
    if text:
        parts += [" — ", text]
    if hit.author:
        parts += [" (", hit.author, ")"]
    if hit.url:
        parts += [" ", link(t(N_("archive")), hit.url)]
    return tuple(parts)


def _label(t: Translator, hit: SearchDoc) -> str:
    if hit.kind == "meeting":
        return t(KINDS["meeting"])
    return hit.heading or t(KINDS[hit.kind])
