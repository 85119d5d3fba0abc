"""A board's current members as the appendix of its decision (phụ lục kèm theo quyết định), in XLSX:

    DANH SÁCH THÀNH VIÊN BAN CHỈ ĐẠO …
    (Kèm theo Quyết định số 63-QĐ/ĐU ngày 13/12/2021)
    STT | Họ và tên | Chức vụ | Vai trò trong Ban

Names and positions are typed by people and may start like a formula: they are written as text cells holding
exactly what was typed (imports.xlsx_cells), which Excel shows and never runs. Like every export it is written by
openpyxl's write-only mode to a temporary file, sent in chunks (tracker.downloads).
"""

from datetime import date
from typing import IO

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter

from tracker import downloads
from tracker.boards.models import Board, Membership
from tracker.db import local_today
from tracker.formatting import vn_date
from tracker.imports import xlsx_cells

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


def members_xlsx(board: Board, members: list[Membership], today: date | None = None) -> IO[bytes]:
    """The workbook: title and basis lines centred over the table, then one bordered row per member, in the order
    given (the roster's: role rank, then name); an open temporary file."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(_("Danh sách thành viên")[:31])
    last = get_column_letter(len(HEADERS))
    lines = [
        (_("DANH SÁCH THÀNH VIÊN %(board)s", board=board.name.upper()), Font(bold=True, size=13)),
        (basis_line(board, today or local_today()), Font(italic=True)),
    ]
    header = len(lines) + 2
    # A write-only sheet writes its properties, columns and row heights before the rows: they come first.
    for column, width in enumerate(WIDTHS, start=1):
        sheet.column_dimensions[get_column_letter(column)].width = width
    sheet.row_dimensions[1].height = 36
    sheet.print_title_rows = f"{header}:{header}"
    sheet.page_setup.orientation = "portrait"
    sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight = 1, 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    for number, (text, font) in enumerate(lines, start=1):
        (cell,) = xlsx_cells(sheet, [text])
        cell.font = font
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        sheet.append([cell])
        sheet.merged_cells.add(f"A{number}:{last}{number}")
    sheet.append([])
    thin = Side(style="thin")
    border = Border(top=thin, bottom=thin, left=thin, right=thin)
    cells = xlsx_cells(sheet, [str(text) for text in HEADERS])
    for cell in cells:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        cell.border = border
    sheet.append(cells)
    for n, member in enumerate(members, start=1):
        cells = xlsx_cells(sheet, [n, member.person_name, member.position, member.role.label])
        for column, cell in enumerate(cells, start=1):
            cell.alignment = Alignment(vertical="top", wrap_text=True, horizontal="center" if column == 1 else None)
            cell.border = border
        sheet.append(cells)
    return downloads.xlsx_file(book)
