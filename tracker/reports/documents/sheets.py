"""A report's tables as a workbook (openpyxl): a sheet per table, under the document's subject, unit and period.
Figures are numbers with their format (a share is a fraction shown as a percentage); text typed by users stays
text even when it starts like a formula (imports.xlsx_cells, as the exports do)."""

import io

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, NamedStyle, PatternFill, Side
from openpyxl.utils import get_column_letter

from tracker.downloads import XLSX_MIMETYPE
from tracker.imports import xlsx_cells
from tracker.reports.documents.model import TITLE, Document, Table

MIMETYPE = XLSX_MIMETYPE
FIRST_HEADER_ROW = 4  # under the subject, the unit and a blank row
MM_PER_CHARACTER = 2.2  # a column's width in characters from its width in the document
THIN = Side(style="thin", color="999999")
BOX = Border(top=THIN, bottom=THIN, left=THIN, right=THIN)
HEADER = "Tiêu đề bảng"
BODY = {  # (bold, a figure) → the style's name
    (False, False): "Chữ",
    (True, False): "Chữ đậm",
    (False, True): "Số liệu",
    (True, True): "Số liệu đậm",
}


def to_xlsx(doc: Document) -> bytes:
    book = Workbook()
    book.remove(book.active)
    _styles(book)
    for table in doc.tables:
        _sheet(book, doc, table)
    book.properties.title = f"{TITLE} {doc.subject}"
    book.properties.creator = doc.issuer
    book.properties.language = "vi-VN"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _styles(book: Workbook) -> None:
    """Named styles, set on a cell by name: a style object per cell costs openpyxl a hash of it every time."""
    book.add_named_style(
        NamedStyle(
            HEADER,
            font=Font(bold=True),
            fill=PatternFill("solid", fgColor="E8EEF4"),
            alignment=Alignment(wrap_text=True, vertical="center", horizontal="center"),
            border=BOX,
        )
    )
    for (bold, numeric), name in BODY.items():
        alignment = Alignment(vertical="center", wrap_text=not numeric)
        book.add_named_style(NamedStyle(name, font=Font(bold=bold), alignment=alignment, border=BOX))


def _sheet(book: Workbook, doc: Document, table: Table) -> None:
    sheet = book.create_sheet(table.sheet[:31])
    (title,) = xlsx_cells(sheet, [doc.subject])
    title.font = Font(bold=True, size=13)
    sheet.append([title])
    sheet.append(xlsx_cells(sheet, [doc.unit_name]))
    sheet.append([])
    width, heads = len(table.columns), table.header_rows
    labels = [[""] * width for _ in range(heads)]
    for head in table.header():
        labels[head.row][head.column] = head.text
    for values in labels:
        header = xlsx_cells(sheet, values)
        for cell in header:
            cell.style = HEADER
        sheet.append(header)
    for head in table.header():
        if head.rows > 1 or head.columns > 1:
            top, left = FIRST_HEADER_ROW + head.row, head.column + 1
            sheet.merge_cells(
                start_row=top, start_column=left, end_row=top + head.rows - 1, end_column=left + head.columns - 1
            )
    last_head = FIRST_HEADER_ROW + heads - 1
    for row in table.rows:
        cells = xlsx_cells(sheet, [c.text if c.value is None else c.value for c in row.cells])
        for cell, source, column in zip(cells, row.cells, table.columns, strict=False):
            cell.style = BODY[(row.bold, column.numeric)]
            if source.value is not None and source.style:
                cell.number_format = source.style
        sheet.append(cells)
        if len(cells) < width:
            y = sheet.max_row
            sheet.merge_cells(start_row=y, start_column=len(cells), end_row=y, end_column=width)
    for n, column in enumerate(table.columns, start=1):
        sheet.column_dimensions[get_column_letter(n)].width = max(column.width / MM_PER_CHARACTER, 6)
    sheet.freeze_panes = f"A{last_head + 1}"
    sheet.print_title_rows = f"{FIRST_HEADER_ROW}:{last_head}"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight = 1, 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
