"""sheet, sheet xlsx, sheet csv: the tracking sheet of the facilitator's hour, shown, and as a file a spreadsheet opens."""

from __future__ import annotations

import asyncio
from zoneinfo import ZoneInfo

from bot.core.commands import command
from bot.core.i18n import N_
from bot.core.replies import Reply
from bot.handlers.agenda import SECTION
from bot.runtime.context import Context
from bot.services.agenda_text import sheet_file, sheet_reply
from bot.services.sheet_xlsx import sheet_xlsx_file
from models import Role


@command("sheet", fr=("suivi",), en=("tracking",),
         help=N_("The tracking sheet: every project with its status, referents, last contact and answer, next step and date, "
                 "last news, followers; a choice gives it as a CSV file."),
         section=SECTION, role=Role.FACILITATOR)
async def sheet(ctx: Context) -> Reply:
    community = ctx.need_community()
    states = await ctx.services.agenda.sheet(community)
    now = ctx.now()
    return sheet_reply(ctx.t, community.name, states, now.astimezone(ZoneInfo(community.timezone)).date(), now)


@command("sheet xlsx", fr=("suivi xlsx", "suivi tableur"), en=("sheet spreadsheet",),
         help=N_("The tracking sheet as a spreadsheet (xlsx): dates as dates, a header row, columns to their width."),
         section=SECTION, role=Role.FACILITATOR)
async def sheet_xlsx(ctx: Context) -> Reply:
    community = ctx.need_community()
    states = await ctx.services.agenda.sheet(community)
    today = ctx.now().astimezone(ZoneInfo(community.timezone)).date()
    file = await asyncio.to_thread(sheet_xlsx_file, ctx.t, community.name, community.slug, states, today)
    return Reply().para(ctx.t.n("The sheet of {community}: {count} project.", "The sheet of {community}: {count} projects.",
                                len(states), community=community.name)).add(file)


@command("sheet csv", fr=("suivi csv",), help=N_("The tracking sheet as a CSV file."), section=SECTION, role=Role.FACILITATOR)
async def sheet_csv(ctx: Context) -> Reply:
    community = ctx.need_community()
    states = await ctx.services.agenda.sheet(community)
    today = ctx.now().astimezone(ZoneInfo(community.timezone)).date()
    file = sheet_file(ctx.t, community.slug, states, today)
    return Reply().para(ctx.t.n("The sheet of {community}: {count} project.", "The sheet of {community}: {count} projects.",
                                len(states), community=community.name)).add(file)

