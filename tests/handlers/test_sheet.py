"""The tracking sheet opens in the reader's spreadsheet: CSV with `;` and a BOM in French (`,` in English), « non » /
« no » in empty yes-or-no cells, and an xlsx workbook with a header row, column widths and dates as dates."""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path

from openpyxl import load_workbook

from tests.conftest import Dialog


def saved(got: str, suffix: str) -> Path:
    """The path the console printed for the file it saved."""
    line = next(line for line in got.splitlines() if line.strip().endswith(suffix) and line.strip().startswith("/"))
    return Path(line.strip())


async def test_the_csv_sheet_in_french_and_in_english(app):
    got = await Dialog(app, "me").say("suivi csv")
    data = saved(got, ".csv").read_bytes()
    assert data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:3] == ["projet", "identifiant", "statut"] and len(rows[0]) == 11
    brasserie = next(r for r in rows if r[1] == "dombes-brasserie")
    assert brasserie[8] == "non" and brasserie[7] == "2026-12-01" and brasserie[10] == "2"
    en = Dialog(app, "me", locale="en")
    await en.say("lang en")
    rows = list(csv.reader(io.StringIO(saved(await en.say("sheet csv"), ".csv").read_bytes().decode("utf-8-sig"))))
    assert rows[0][:3] == ["project", "slug", "status"]
    assert next(r for r in rows if r[1] == "dombes-brasserie")[8] == "no"


async def test_the_sheet_as_a_workbook(app):
    await Dialog(app, "camille").say('étape dombes-brasserie =HYPERLINK("https://evil.example","Cliquez") pour le 3 décembre')
    me = Dialog(app, "me")
    assert "2) En fichier CSV" in await me.say("suivi") and "1) En tableur (xlsx)" in await me.say("suivi")
    got = await me.say("suivi xlsx")
    book = load_workbook(saved(got, ".xlsx"))
    sheet = book.active
    assert sheet.title == "Tiers-lieu de l'Usine Vivante"
    assert [c.value for c in sheet[1]][:4] == ["projet", "identifiant", "statut", "référent·es"] and sheet[1][0].font.b
    assert sheet.freeze_panes == "A2"
    rows = {r[1].value: r for r in sheet.iter_rows(min_row=2)}
    brasserie = rows["dombes-brasserie"]
    assert brasserie[7].value.date() == date(2026, 12, 3) and brasserie[7].is_date and brasserie[7].number_format == "DD/MM/YYYY"
    assert brasserie[6].value == '=HYPERLINK("https://evil.example","Cliquez")' and brasserie[6].data_type == "s"  # text, not a formula
    assert brasserie[10].value == 2 and brasserie[8].value == "non"
    assert sheet.column_dimensions["A"].width >= len("Brasserie de la Dombes")
    assert sheet.column_dimensions["G"].width <= 60
