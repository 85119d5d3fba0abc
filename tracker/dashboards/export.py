"""The ranking of a unit's subordinates as a spreadsheet: the dashboard's table, one row per subordinate, every
column, numbers as numbers (shares as fractions shown as percentages), in the order the page showed it."""

from datetime import date
from typing import IO

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from tracker import downloads
from tracker.dashboards.picture import ASC, COLUMNS, RankRow
from tracker.formatting import vn_date
from tracker.imports import xlsx_cells

HEADERS = (
    (_l("STT"), 6),
    (_l("Đơn vị"), 36),
    (_l("Mã"), 9),
    (_l("Tiến độ"), 11),
    (_l("Nhiệm vụ đến hạn đã hoàn thành"), 14),
    (_l("Nhiệm vụ quá hạn"), 10),
    (_l("Chương trình"), 11),
    (_l("Điểm QR đã đăng ký"), 11),
    (_l("Điểm QR đã in áp phích"), 11),
    (_l("Điểm QR có lượt quét trong 30 ngày"), 13),
    (_l("Dịch vụ công toàn trình"), 11),
    (_l("Dịch vụ công một phần"), 11),
    (_l("Thành viên Ban hiện tại"), 11),
    (_l("Thành viên Ban dự kiến"), 11),
)
SHARES = (4, 5)  # the columns (from 1) holding a share, 1 = 100%


def _values(number: int, row: RankRow) -> list:
    share = [float(f.value) if f is not None and f.value is not None else None for f in (row.overall, row.completion)]
    return [
        number,
        row.name,
        row.code or "",
        *share,
        row.overdue,
        row.programs,
        row.qr.registered,
        row.qr.printed,
        row.qr.active,
        row.services.full,
        row.services.partial,
        row.members if row.boards else None,
        row.seats if row.boards else None,
    ]


def ranking_xlsx(unit_name: str, rows: list[RankRow], today: date, sort: tuple[str, str]) -> IO[bytes]:
    """An .xlsx of the ranking (write-only: the sheet's columns and panes come before its first row); an open
    temporary file."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(_("Xếp hạng")[:31])
    header_row = 4  # the title, the line under it, a blank row
    for index, (_label, width) in enumerate(HEADERS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = f"C{header_row + 1}"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight = 1, 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    (title,) = xlsx_cells(sheet, [_("Xếp hạng đơn vị trực thuộc %(name)s", name=unit_name)])
    title.font = Font(bold=True, size=14)
    sheet.append([title])
    column, direction = sort
    order = _("tăng dần") if direction == ASC else _("giảm dần")
    sheet.append(
        xlsx_cells(
            sheet,
            [
                _(
                    "Số liệu ngày %(day)s; xếp theo %(column)s, %(order)s.",
                    day=vn_date(today),
                    column=str(COLUMNS[column].label).lower(),
                    order=order,
                )
            ],
        )
    )
    sheet.append([])
    thin = Side(style="thin", color="999999")
    header = xlsx_cells(sheet, [str(label) for label, _width in HEADERS])
    for cell in header:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="E8EEF4")
        cell.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")
        cell.border = Border(top=thin, bottom=thin, left=thin, right=thin)
    sheet.append(header)
    for number, row in enumerate(rows, start=1):
        cells = xlsx_cells(sheet, _values(number, row))
        for index in SHARES:
            cells[index - 1].number_format = "0.00%"
        sheet.append(cells)
    sheet.auto_filter.ref = f"A{header_row}:{get_column_letter(len(HEADERS))}{header_row + len(rows)}"
    return downloads.xlsx_file(book)
