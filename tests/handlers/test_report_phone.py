"""The report reads on a phone: the campaign panel writes each campaign's share at the end of its bar and keeps its
legend off the bars, the HTML report puts one chart per row on a narrow screen, `relais report --out` finds the only
community by itself, and a median answer within the hour reads « en moins d'une heure »."""

from __future__ import annotations

import re
import struct
from datetime import timedelta

from bot.services.report import Report
from bot.services.report_chart import panels
from bot.services.report_text import lines, report_html
from models import Community
from tests.conftest import Dialog
from tests.test_cli import relais


def png_size(data: bytes) -> tuple[int, int]:
    return struct.unpack(">II", data[16:24])


async def test_each_panel_on_its_own_and_the_page_lays_them_out_to_the_screen(app):
    camille = Dialog(app, "camille")
    await camille.say("campagne ajouter dombes-brasserie don 10k https://example.org/c")
    await Dialog(app, "louise").say("soutenir dombes-brasserie 300")
    community = await Community.get(slug="usine-vivante")
    report = await app.services.reports.build(community, 6)
    t = app.catalogs.get("fr")
    pictures = panels(t, report)
    assert len(pictures) == 3 and all(p.startswith(b"\x89PNG") for p in pictures)
    assert all(600 <= png_size(p)[0] <= 700 for p in pictures)  # a phone shows it at about half its size, text still readable
    page = report_html(t, report, pictures, 6)
    assert page.count("<img ") == 3 and "minmax(min(100%, 420px), 1fr)" in page  # one per row under 420 px
    assert 'name="viewport"' in page


def test_the_campaign_panel_says_its_figures_and_its_legend_covers_no_bar():
    from matplotlib import pyplot as plt

    from bot.core.i18n import Catalogs
    from bot.services import report_chart
    from bot.services.report import Funding

    report = Report(community="Usine", locale="fr", members=10, weeks=[],
                    funding=[Funding("Brasserie", 410_000, 100_000, 1_000_000, "EUR", False)])
    fig = plt.figure(figsize=(report_chart.WIDTH, report_chart.HEIGHT), dpi=report_chart.DPI)
    ax = fig.add_subplot(1, 1, 1)
    report_chart._campaigns(Catalogs().get("fr"), report, ax)
    fig.canvas.draw()
    texts = [a.get_text() for a in ax.texts]
    assert "41\u202f% + 10\u202f%" in texts, texts  # raised, then promised
    legend = ax.get_legend().get_window_extent()
    for bar in ax.patches:
        assert not legend.overlaps(bar.get_window_extent()), "the legend covers a bar"
    plt.close(fig)


async def test_an_answer_within_the_hour(app, clock):
    me, mehdi = Dialog(app, "me"), Dialog(app, "mehdi")
    await me.say("relancer conciergerie-rurale")
    await app.delivery.drain()
    clock.now += timedelta(minutes=20)
    await mehdi.say("Trouver un local pour le 15 janvier, pas encore sur la liste")
    await mehdi.say("oui")
    report = await app.services.reports.build(await Community.get(slug="usine-vivante"), 4)
    t = app.catalogs.get("fr")
    said = " ".join(str(p) for row in lines(t, report) for p in row)
    assert "en moins d'une heure (médiane)" in said and "0 heure" not in said, said
    assert re.search(r"Projets\u202f:\s+\d+ actifs?, ", said)


def test_the_report_command_line_finds_the_only_community(tmp_path):
    assert relais(tmp_path, "demo").returncode == 0
    out = relais(tmp_path, "report", "--out", str(tmp_path / "bilan.html"))
    assert out.returncode == 0, out.stderr
    assert (tmp_path / "bilan.html").read_text(encoding="utf-8").count("<img ") == 3  # the demo's campaign too
    relais(tmp_path, "community", "create", "autre", "Autre lieu")
    two = relais(tmp_path, "report", "--out", str(tmp_path / "x.png"))
    assert two.returncode == 1 and "name the community with --community (there are: autre, usine-vivante)" in two.stderr
