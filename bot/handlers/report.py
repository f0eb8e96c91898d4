"""report: the community's impact over the last weeks, with a chart."""

from __future__ import annotations

import asyncio

from bot.core.commands import Arg, command
from bot.core.errors import UsageError
from bot.core.i18n import N_
from bot.core.numbers import read_number
from bot.core.replies import Reply
from bot.runtime.context import Context
from bot.services.report_chart import chart
from bot.services.report_text import report_reply
from models import Role


@command("report", fr=("bilan",), en=("impact",), args=(Arg("weeks", "word", N_("weeks"), required=False, max_length=4),),
         help=N_("The community's impact over the last weeks (12 unless said): participation against the 10–20 % "
                 "benchmark, the referents' answers, projects, votes, campaigns and the digest, with a chart."),
         section=N_("The facilitator's hour"), role=Role.FACILITATOR)
async def report(ctx: Context, weeks: str | None) -> Reply:
    count = read_number(weeks, 1, 104) if weeks is not None else 12
    if count is None:
        raise UsageError(N_("“{value}” is not a number of weeks (1 to 104)."), value=(weeks or "")[:10])
    built = await ctx.services.reports.build(ctx.need_community(), count)
    png = await asyncio.to_thread(chart, ctx.t, built)  # drawing takes a few hundred ms: off the event loop
    return report_reply(ctx.t, built, png, count)
