"""A board's current members as the appendix of its decision (phụ lục kèm theo quyết định), in XLSX:

    DANH SÁCH THÀNH VIÊN BAN CHỈ ĐẠO …
    (Kèm theo Quyết định số 63-QĐ/ĐU ngày 13/12/2021)
    STT | Họ và tên | Chức vụ | Vai trò trong Ban

Names and positions are typed by people and may start like a formula: they are written as text cells holding
exactly what was typed (imports.xlsx_row), which Excel shows and never runs.
"""

import io
from datetime import date

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter

from tracker.boards.models import Board, Membership
from tracker.formatting import vn_date
from tracker.imports import xlsx_row
from tracker.programs.progress import local_today

HEADERS = (_l("STT"), _l("Họ và tên"), _l("Chức vụ"), _l("Vai trò trong Ban"))
WIDTHS = (7, 30, 48, 26)


def basis_line(board: Board, today: date) -> str:
    """ "(Kèm theo Quyết định số … ngày …)" from the establishing document, else the day the list stands at."""
    document = board.established_by
    if document is None:
        return _("(Danh sách tính đến ngày %(day)s)", day=vn_date(today))
    kind = _("Quyết định") if document.kind_code == "QĐ" else _("văn bản")
    if document.issued_on is None:
        return _("(Kèm theo %(kind)s số %(ref)s)", kind=kind, ref=document.reference)
    day = vn_date(document.issued_on)
    return _("(Kèm theo %(kind)s số %(ref)s ngày %(day)s)", kind=kind, ref=document.reference, day=day)


def members_xlsx(board: Board, members: list[Membership], today: date | None = None) -> bytes:
    """The workbook: title and basis lines centred over the table, then one bordered row per member, in the order
    given (the roster's: role rank, then name)."""
    book = Workbook()
    sheet = book.active
    sheet.title = _("Danh sách thành viên")[:31]
    last = get_column_letter(len(HEADERS))
    lines = [
        (_("DANH SÁCH THÀNH VIÊN %(board)s", board=board.name.upper()), Font(bold=True, size=13)),
        (basis_line(board, today or local_today()), Font(italic=True)),
    ]
    for text, font in lines:
        (cell,) = xlsx_row(sheet, [text])
        cell.font = font
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        sheet.merge_cells(f"A{cell.row}:{last}{cell.row}")
    sheet.row_dimensions[1].height = 36
    header = len(lines) + 2
    thin = Side(style="thin")
    border = Border(top=thin, bottom=thin, left=thin, right=thin)
    for column, text in enumerate(HEADERS, start=1):
        cell = sheet.cell(row=header, column=column, value=str(text))
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        cell.border = border
    for n, member in enumerate(members, start=1):
        cells = xlsx_row(sheet, [n, member.person_name, member.position, member.role.label])
        for column, cell in enumerate(cells, start=1):
            cell.alignment = Alignment(vertical="top", wrap_text=True, horizontal="center" if column == 1 else None)
            cell.border = border
    for column, width in enumerate(WIDTHS, start=1):
        sheet.column_dimensions[get_column_letter(column)].width = width
    sheet.print_title_rows = f"{header}:{header}"
    sheet.page_setup.orientation = "portrait"
    sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight = 1, 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
