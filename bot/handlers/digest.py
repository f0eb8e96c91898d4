"""digest on|off, digest schedule, digest room: the weekly email digest of a community."""

from __future__ import annotations

import re
from datetime import time
from zoneinfo import ZoneInfo

from bot.core.commands import Arg, command, fold
from bot.core.errors import UsageError, UserError
from bot.core.i18n import N_
from bot.core.replies import Reply, bold
from bot.runtime.context import Context
from bot.services.calendar import WEEKDAYS, next_due
from models import Account, Community, Role

SECTION = N_("Weekly digest")
SWITCH = ("on", "off")
SWITCH_WORDS = {"on": True, "oui": True, "activer": True, "off": False, "non": False, "desactiver": False}
DAY_NAMES = (N_("Monday"), N_("Tuesday"), N_("Wednesday"), N_("Thursday"), N_("Friday"), N_("Saturday"), N_("Sunday"))


@command("digest", fr=("lettre", "résumé"), args=(Arg("switch", "choice", N_("on|off"), required=False, choices=SWITCH,
                                                        accept=tuple(SWITCH_WORDS)),
                                                    Arg("community", "community", N_("community"), required=False)),
         help=N_("Get (on) or stop (off) the weekly email digest of your community; alone, say where it stands."),
         section=SECTION)  # membership checked below, in the community named (a person of two has no current one)
async def digest(ctx: Context, switch: str | None, community: Community | None) -> Reply:
    t = ctx.t
    if community is None:
        community = ctx.need_community()
    elif await ctx.services.people.membership(ctx.person, community) is None:
        raise UserError(N_("You are not a member of {community}."), community=community.name)
    if switch is not None:
        await ctx.services.digest.set_choice(ctx.person.id, community.id, SWITCH_WORDS[switch])
    membership = await ctx.services.people.membership(ctx.person, community)
    receiving = membership is not None and await ctx.services.digest.receives(ctx.person.id, community.id, membership.role)
    weekday, at = await ctx.services.schedules.of(community)
    when = t(N_("every {day} at {time}"), day=t(DAY_NAMES[weekday]), time=at.strftime("%H:%M"))
    reply = Reply()
    if receiving:
        reply.para(t(N_("You get the digest of {community} by email, {when}."), community=community.name, when=when))
        if not await Account.exists(person_id=ctx.person.id, platform="email", confirmed=True):
            reply.para(t(N_("You have no confirmed email address yet: add one with /email add <address>.")))
        if switch is not None:
            reply.choice(t(N_("Undo")), f"digest off {community.slug}")
    else:
        reply.para(t(N_("You do not get the digest of {community}."), community=community.name))
        reply.choice(t(N_("Get it")) if switch is None else t(N_("Undo")), f"digest on {community.slug}")
    return reply


_TIME = re.compile(r"^(\d{1,2})(?:[:h](\d{2})?)?$")


@command("digest schedule", fr=("lettre horaire", "résumé horaire"),
         args=(Arg("day", "word", N_("day")), Arg("at", "word", N_("hh:mm"))),
         help=N_("Set when the weekly digest goes out, in the community's time zone: /digest schedule monday 08:00."),
         section=SECTION, role=Role.FACILITATOR, group=False)
async def digest_schedule(ctx: Context, day: str, at: str) -> Reply:
    t = ctx.t
    weekday = WEEKDAYS.get(fold(day))
    m = _TIME.match(at.lower())
    hour, minute = (int(m.group(1)), int(m.group(2) or 0)) if m else (-1, -1)
    if weekday is None:
        raise UsageError(N_("“{value}” is not a day of the week."), value=day)
    if not (0 <= hour < 24 and 0 <= minute < 60):
        raise UsageError(N_("“{value}” is not a time; write it like 08:00."), value=at)
    community = ctx.need_community()
    previous_day, previous_at = await ctx.services.schedules.of(community)
    await ctx.services.schedules.set(community.id, weekday=weekday, hour=hour, minute=minute)
    tz = ZoneInfo(community.timezone)
    upcoming = next_due(ctx.now(), weekday, time(hour, minute), tz).astimezone(tz)
    return (Reply().para(t(N_("The digest of {community} now goes out every {day} at {time} ({tz})."), community=community.name,
                           day=t(DAY_NAMES[weekday]), time=f"{hour:02d}:{minute:02d}", tz=community.timezone))
            .para(t(N_("Next one: ")), bold(t.date(upcoming.date()) + " " + upcoming.strftime("%H:%M")))
            .choice(t(N_("Undo")), f"digest schedule {_english_day(previous_day)} {previous_at.strftime('%H:%M')}"))


def _english_day(weekday: int) -> str:
    return ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")[weekday]


@command("digest room", fr=("lettre salon", "résumé salon"),
         args=(Arg("switch", "choice", N_("on|off"), choices=SWITCH, accept=tuple(SWITCH_WORDS)),),
         help=N_("Also post the weekly summary in the community's bound groups and rooms (on), or not (off)."),
         section=SECTION, role=Role.FACILITATOR, group=False)
async def digest_room(ctx: Context, switch: str) -> Reply:
    t = ctx.t
    enabled = SWITCH_WORDS[switch]
    community = ctx.need_community()
    await ctx.services.schedules.set(community.id, room_summary=enabled)
    text = (N_("The weekly summary of {community} will also be posted in its groups and rooms.") if enabled
            else N_("The weekly summary of {community} will no longer be posted in its groups and rooms."))
    return Reply().para(t(text, community=community.name)).choice(t(N_("Undo")), f"digest room {'off' if enabled else 'on'}")
