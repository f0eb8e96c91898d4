"""`relais sheet` and `relais agenda send`: the tracking sheet from the command line, the weekly push by hand."""

from __future__ import annotations

import sys
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.adapters.console import render_text
from bot.app import App
from bot.core.errors import UserError
from bot.services.agenda_text import sheet_csv, sheet_reply


async def sheet(app: App, args) -> int:
    """The sheet printed as the chat shows it, or written as CSV (`--csv -` for standard output) or xlsx."""
    try:
        community = await app.services.people.community(args.community)
    except UserError as exc:
        print("relais: " + app.catalogs.get("en")(exc.message, **exc.params), file=sys.stderr)
        return 1
    t = app.catalogs.get(args.lang or community.locale)
    states = await app.services.agenda.sheet(community)
    now = app.clock()
    today = now.astimezone(ZoneInfo(community.timezone)).date()
    if getattr(args, "xlsx", None):
        from bot.services.sheet_xlsx import sheet_xlsx

        Path(args.xlsx).write_bytes(sheet_xlsx(t, community.name, states, today))
        print(f"{len(states)} projects written to {args.xlsx}")
        return 0
    if args.csv:
        data = sheet_csv(t, states, today)
        if args.csv == "-":
            sys.stdout.buffer.write(data)
        else:
            Path(args.csv).write_bytes(data)
            print(f"{len(states)} projects written to {args.csv}")
        return 0
    reply = sheet_reply(t, community.name, states, today, now)
    reply.choices.clear()  # no chat to pick a choice in
    print(render_text(reply))
    return 0


async def send(app: App, args) -> int:
    """Push the agendas that are due now (what the scheduler does every minute), then the reminders."""
    from scheduler.jobs import AgendaJob

    only = None
    if args.community:
        try:
            only = {(await app.services.people.community(args.community)).slug}
        except UserError as exc:
            print("relais: " + app.catalogs.get("en")(exc.message, **exc.params), file=sys.stderr)
            return 1
    job = AgendaJob(app.agenda_push(), app.services.prompts, app.clock, only=only)
    pushed = await job.tick()
    for key in pushed:
        print(f"pushed {key}")
    if not pushed:
        print("no agenda due now (each goes out once a week, at its community's time)")
    print(f"reminders sent: {job.reminded}")
    return 0
