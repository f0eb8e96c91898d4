"""The tracking sheet as a workbook (openpyxl): a header row that stays in view, columns as wide as their content,
dates as dates and the followers as numbers, so a spreadsheet sorts and filters them without a conversion."""

from __future__ import annotations

import io
from datetime import date

from bot.core.i18n import N_, Translator
from bot.core.replies import Attachment
from bot.services.agenda import ProjectState
from bot.services.agenda_text import sheet_rows

MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DATE_FORMAT = {"fr": "DD/MM/YYYY", "en": "YYYY-MM-DD"}
WIDEST = 60  # characters: a long next step wraps rather than widening its column past the screen


def sheet_xlsx(t: Translator, community_name: str, states: list[ProjectState], today: date) -> bytes:
    """The workbook's bytes: one sheet named after the community, one row per project."""
    from openpyxl import Workbook  # imported when a sheet is asked for (a tenth of a second a start does not need)
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "".join(c for c in community_name if c not in "[]:*?/\\")[:31] or "Relais"
    header, rows = sheet_rows(t, states, today)
    sheet.append(header)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    dates = DATE_FORMAT.get(t.locale, "YYYY-MM-DD")
    for row in rows:
        sheet.append(row)
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # what people wrote stays text: `=HYPERLINK(…)` is never a formula
            elif isinstance(cell.value, date):
                cell.number_format = dates
    for index, column in enumerate(sheet.iter_cols(min_row=1, max_row=sheet.max_row), start=1):
        longest = max(len(_shown(c.value)) for c in column)
        sheet.column_dimensions[get_column_letter(index)].width = min(WIDEST, max(10, longest + 2))
        if longest > WIDEST:
            for c in column[1:]:
                c.alignment = Alignment(wrap_text=True, vertical="top")
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = sheet.dimensions
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _shown(value: object) -> str:
    return "" if value is None else "0000-00-00" if isinstance(value, date) else str(value)


def sheet_xlsx_file(t: Translator, community_name: str, slug: str, states: list[ProjectState], today: date) -> Attachment:
    return Attachment(f"{slug}-{today.isoformat()}.xlsx", MIME, sheet_xlsx(t, community_name, states, today),
                      caption=t(N_("Tracking sheet, {date}"), date=t.date(today, "medium")))
