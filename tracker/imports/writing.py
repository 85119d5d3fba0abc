"""Writing spreadsheets: the two guards every exported cell goes through, and the blank file an import gives to
fill in.

Text written to a spreadsheet goes through one of two guards: `safe_cell` for CSV (`csv_cell`, `csv_file`), where a
cell starting like a formula gains an apostrophe, and `xlsx_cells`/`xlsx_row` for XLSX, where it is stored as a
text cell holding exactly what was typed."""

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from flask_babel import force_locale
from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.cell.cell import ERROR_CODES, ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from tracker.imports.engine import Column
from tracker.imports.reading import cell_text

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """A value for a CSV cell, which a spreadsheet parses as if typed: text loses characters XML cannot hold and,
    when it starts like a formula ("=HYPERLINK(…)", "+84…"), gains a leading apostrophe (OWASP's CSV injection
    guard). Numbers and dates pass unchanged. An XLSX cell needs no apostrophe: see `xlsx_row`."""
    if value is None:
        return ""
    if not isinstance(value, str):
        return value
    text = ILLEGAL_CHARACTERS_RE.sub("", value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_cell(value: Any) -> str:
    """A value as CSV text: text as `safe_cell` makes it; numbers and dates as the imports read them (decimal
    comma, dd/mm/yyyy), never with an apostrophe (-2 stays a number)."""
    return safe_cell(value) if isinstance(value, str) else cell_text(value)


def xlsx_cells(sheet, values: Sequence[Any]) -> tuple:
    """The cells of a row of an openpyxl sheet, not yet appended (a write-only sheet writes a row as it is
    appended: style its cells first). Text keeps exactly its characters (less those XML cannot hold) in a text
    cell, even when it starts like a formula: openpyxl would store "=HYPERLINK(…)" as a formula, which Excel runs;
    as text, Excel shows it and never runs it, and the quote prefix keeps it text when edited. Numbers and dates
    pass unchanged."""
    # Placeholder coordinates, which appending replaces (a write-only sheet names the cell in a message it formats).
    cells = tuple(
        Cell(sheet, row=1, column=n, value=ILLEGAL_CHARACTERS_RE.sub("", v) if isinstance(v, str) else v)
        for n, v in enumerate(values, start=1)
    )
    for cell in cells:
        if isinstance(cell.value, str):
            cell.data_type = "s"
            cell.quotePrefix = cell.value.startswith(FORMULA_STARTS)
    return cells


def xlsx_values(sheet, values: Sequence[Any]) -> list:
    """A row for a write-only sheet, as safe as `xlsx_cells` and cheaper: text that could be read as a formula or
    an error code, and dates (to be given a format), get their cell from `xlsx_cells`; any other value stays plain,
    which the sheet writes as it is (each cell handed to a write-only sheet costs openpyxl an exception). Text
    loses the characters XML cannot hold."""
    row = []
    for value in values:
        if isinstance(value, str):
            value = ILLEGAL_CHARACTERS_RE.sub("", value)
            if value.startswith(FORMULA_STARTS) or value in ERROR_CODES:
                (value,) = xlsx_cells(sheet, [value])
        elif isinstance(value, date):
            (value,) = xlsx_cells(sheet, [value])
        row.append(value)
    return row


def xlsx_row(sheet, values: Sequence[Any]) -> tuple:
    """Append a row of `xlsx_cells` to an openpyxl sheet and return its cells."""
    cells = xlsx_cells(sheet, values)
    sheet.append(cells)  # built first, then appended: asking the sheet for its last row costs a scan of every row
    return cells


# --- the blank file to fill in ---------------------------------------------------------------------------------


def template_xlsx(columns: Sequence[Column], title: str) -> bytes:
    """A workbook with the bold Vietnamese headers, one example row, column widths, text cells, and a second sheet
    explaining each column."""
    book = Workbook()
    sheet = book.active
    with force_locale("vi"):
        sheet.title = str(title)[:31]
        sheet.append([str(c.header) for c in columns])
        xlsx_row(sheet, [c.example for c in columns])
        for index, column in enumerate(columns, start=1):
            letter = get_column_letter(index)
            sheet.column_dimensions[letter].width = column.width
            sheet.column_dimensions[letter].number_format = "@"  # codes and phones keep their leading zeros
            header = sheet.cell(row=1, column=index)
            header.font = Font(bold=True)
            header.fill = PatternFill("solid", fgColor="E8EEF4")
        sheet.freeze_panes = "A2"
        notes = book.create_sheet(_("Hướng dẫn"))
        notes.append([_("Cột"), _("Bắt buộc"), _("Ghi chú")])
        for cell in notes[1]:
            cell.font = Font(bold=True)
        for column in columns:
            xlsx_row(notes, [str(column.header), _("Có") if column.required else "", str(column.help)])
        notes.append([])
        notes.append([_("Dòng 2 của trang đầu là ví dụ: hãy sửa hoặc xoá trước khi nhập. Tối đa 10.000 dòng.")])
        for letter, width in (("A", 22), ("B", 10), ("C", 90)):
            notes.column_dimensions[letter].width = width
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def csv_file(rows: Iterable[Sequence[Any]]) -> bytes:
    """Rows as a comma-separated file in UTF-8 with a BOM (so Excel reads the accents), each value as `csv_cell`."""
    out = io.StringIO()
    csv.writer(out).writerows([csv_cell(value) for value in row] for row in rows)
    return out.getvalue().encode("utf-8-sig")


def template_csv(columns: Sequence[Column]) -> bytes:
    """The same header and example row as CSV."""
    with force_locale("vi"):
        header = [str(c.header) for c in columns]
    return csv_file([header, [c.example for c in columns]])
