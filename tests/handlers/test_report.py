"""The impact report: participation week by week against the 10–20 % benchmark, the referents' answers, projects,
votes, campaigns and the digest, counted from what people did; the chart a real PNG; the agenda's one line; the
command line's PNG and HTML files."""

from __future__ import annotations

import struct
from datetime import timedelta

from bot.core.incoming import Incoming
from bot.core.replies import Attachment
from bot.services.report_chart import chart
from models import Follow, Project
from tests.conftest import Dialog

PNG = b"\x89PNG\r\n\x1a\n"


def png_size(data: bytes) -> tuple[int, int]:
    assert data.startswith(PNG)
    return struct.unpack(">II", data[16:24])


async def test_the_report_counts_what_members_did_week_by_week(app, clock):
    say = app.dispatcher.handle
    community = await (await Project.get(slug="dombes-brasserie")).community
    baseline = await app.services.reports.build(community, 4)  # the demo's own news and steps of those weeks
    await say(Incoming("console", "me", 'poll "Quel jour ?" "Lundi" "Vendredi"'))
    for name in ("ana", "jules"):
        await say(Incoming("console", name, "vote 1 2"))
    await say(Incoming("console", "camille", "campagne ajouter dombes-brasserie don 10k https://example.org/c"))
    await say(Incoming("console", "louise", "soutenir dombes-brasserie 30"))
    clock.now += timedelta(days=7)
    await say(Incoming("console", "mehdi", "nouvelle conciergerie-rurale Le local est signé."))
    report = await app.services.reports.build(community, 4)
    assert [w.start.weekday() for w in report.weeks] == [0, 0, 0, 0]  # Mondays, the current week last
    last, before = report.weeks[-1], report.weeks[-2]
    assert before.actions.get("vote") == 2 and before.actions.get("promise") == 1
    # Ana, Jules and Louise took part that week besides the demo's referents (a campaign started is not counted)
    assert before.active == baseline.weeks[-1].active + 3
    assert last.active == 1 and last.actions == {"news": 1}
    assert last.members == report.members == 6 and round(before.participation) == round(100 * before.active / 6)
    assert [t.voters for t in report.turnout] == [2]
    [funding] = report.funding
    assert (funding.raised, funding.promised, funding.goal) == (0, 3000, 1_000_000)
    t = app.catalogs.get("en")
    png = chart(t, report)
    width, height = png_size(png)
    assert width >= 600 and height > 900  # three panels, one under the other, narrow enough for a phone


async def test_report_command_with_its_chart_and_the_agenda_line(app):
    me = Dialog(app, "me", locale="en")
    await me.say("lang en")
    await Dialog(app, "ana").say("suivre conciergerie-rurale")
    assert await Follow.filter(project__slug="conciergerie-rurale").count() >= 1
    got = await me.say("report 6")
    assert "The last 6 weeks of Tiers-lieu de l'Usine Vivante" in got and "Participation: " in got
    assert "Projects: " in got and "Digest: " in got and "report.png" in got
    reply = await app.dispatcher.handle(Incoming("console", "me", "report"))
    [image] = reply.elements(Attachment)
    assert image.mime == "image/png" and png_size(image.data)[0] >= 600
    await me.check(("report 0", "is not a number of weeks"), ("report lots", "is not a number of weeks"))
    assert "Only a facilitator" in await Dialog(app, "ana", locale="en").say("report") or \
        "Seul·e un·e facilitateur·rice" in await Dialog(app, "ana").say("bilan")
    agenda = await me.say("agenda")
    assert "Participation last week: " in agenda and "lively community" in agenda and "Impact report" in agenda
