"""`relais report [--community <slug>] [--weeks N] [--out FILE.png|FILE.html]`: the impact report from the command line
(the community may go unnamed when there is only one)."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from bot.core.errors import UserError


def add_parser(sub) -> None:
    r = sub.add_parser("report", help="a community's impact report over the last weeks; with --out, the chart (.png) or a page (.html)")
    r.add_argument("--community", default=None, help="the community's slug (not needed when there is only one)")
    r.add_argument("--weeks", type=int, default=12)
    r.add_argument("--out", default=None, help="FILE.png (the chart) or FILE.html (the chart and the figures)")
    r.add_argument("--lang", default=None)


async def run(app, args) -> int:
    from bot.services.report_chart import chart, panels
    from bot.services.report_text import report_html, report_reply
    from models import Community

    t = app.catalogs.get(args.lang or "en")
    if args.community is None:  # the only community there is, else say which there are
        found = await Community.all().order_by("slug").limit(21)
        if len(found) != 1:
            names = ", ".join(c.slug for c in found[:20]) or "none yet"
            print(f"relais: name the community with --community (there are: {names})", file=sys.stderr)
            return 1
        args.community = found[0].slug
    try:
        community = await app.services.people.community(args.community)
    except UserError as exc:
        print("relais: " + t(exc.message, **exc.params), file=sys.stderr)
        return 1
    if not 1 <= args.weeks <= 104:
        print("relais: --weeks takes 1 to 104", file=sys.stderr)
        return 2
    t = app.catalogs.get(args.lang or community.locale)
    built = await app.services.reports.build(community, args.weeks)
    png = await asyncio.to_thread(chart, t, built)
    if args.out:
        out = Path(args.out)
        if out.suffix.lower() == ".html":
            pngs = await asyncio.to_thread(panels, t, built)
            out.write_text(report_html(t, built, pngs, args.weeks), encoding="utf-8")
        elif out.suffix.lower() == ".png":
            out.write_bytes(png)
        else:
            print("relais: --out takes a .png or an .html file", file=sys.stderr)
            return 2
        print(f"report written to {out}")
        return 0
    reply = report_reply(t, built, png, args.weeks)
    reply.blocks = [b for b in reply.blocks if not hasattr(b, "data")]  # no file on a terminal: the figures only
    from bot.adapters.console import render_text

    print(render_text(reply))
    return 0
