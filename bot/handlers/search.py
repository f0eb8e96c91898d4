"""search: find again what the community said (news, next steps, answers, polls, meetings, list posts), best first."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from bot.core.commands import Arg, command
from bot.core.context import Context
from bot.core.errors import UsageError
from bot.core.i18n import N_, Translator
from bot.core.replies import Reply, bold, italic, link
from bot.services.search import NothingToSearch
from bot.services.search_text import excerpt
from models import Role
from models.search import SearchDoc

SECTION = N_("Projects")
MAX_LENGTH = 200
ICONS = {"news": "📰", "step": "➡️", "answer": "💬", "poll": "🗳", "meeting": "📅", "post": "✉️", "qa": "❔"}
KINDS = {"news": N_("news item"), "step": N_("next step"), "answer": N_("referent's answer"), "poll": N_("poll"),
         "meeting": N_("General meeting"), "post": N_("list post"), "qa": N_("question answered")}


@command("search", fr=("chercher", "rechercher"), args=(Arg("words", "text", N_("words"), max_length=MAX_LENGTH),),
         help=N_("Find what was said in the community (news, next steps, polls, meetings, list posts), best first; "
                 "a word finds its family too: /search brewing finds brewed."),
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
    reply = Reply().items([_row(t, hit, tz) for hit in found],
                          title=t(N_("Found in {community} for “{words}”, best first:"), community=community.name, words=words))
    opened: set[str] = set()
    for hit in found:
        if hit.opens and hit.opens not in opened:
            opened.add(hit.opens)
            reply.choice(_label(t, hit)[:60], hit.opens)
    return reply


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
