"""A table of the Word document, written as WordprocessingML in one piece and parsed once.

python-docx's cell API walks the whole table for every cell it hands out (`Table.cell`, `_Column.cells`), so a
consolidated table of a hundred rows took seconds; the same table as one string takes milliseconds. The table is
what python-docx would write: the "Table Grid" style, fixed column widths, the header rows repeated on each page
(merged cells by gridSpan and vMerge), figures right-aligned, a short table's rows kept on one page.
"""

from xml.sax.saxutils import escape

from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls

from tracker.reports.documents import layout
from tracker.reports.documents.model import HeaderCell, Row, Table

TWIPS_PER_MM = 1440 / 25.4
KEEP_TOGETHER = 20  # rows: a table this short is not split across pages
SPACING = '<w:spacing w:before="20" w:after="20"/>'  # 1 pt above and below a cell's text (in twips)
STYLE = "TableGrid"  # the style id of python-docx's "Table Grid"


def table_element(block: Table):
    """The <w:tbl> element of a table of the document body."""
    size = round((layout.SMALL_TABLE if block.small else layout.TABLE) * 2)  # half-points
    widths = [round(c.width * TWIPS_PER_MM) for c in block.columns]
    keep = len(block.rows) <= KEEP_TOGETHER
    margins = ""
    if block.small:
        side = round(layout.SMALL_PAD * TWIPS_PER_MM)
        margins = (
            f'<w:tblCellMar><w:left w:w="{side}" w:type="dxa"/><w:right w:w="{side}" w:type="dxa"/></w:tblCellMar>'
        )
    parts = [
        f"<w:tbl {nsdecls('w')}><w:tblPr>",
        f'<w:tblStyle w:val="{STYLE}"/><w:tblW w:w="{sum(widths)}" w:type="dxa"/><w:jc w:val="center"/>',
        f'<w:tblLayout w:type="fixed"/>{margins}',
        '<w:tblLook w:val="04A0" w:firstRow="1" w:lastRow="0" w:firstColumn="1" w:lastColumn="0" w:noHBand="0" '
        'w:noVBand="1"/></w:tblPr><w:tblGrid>',
        *(f'<w:gridCol w:w="{w}"/>' for w in widths),
        "</w:tblGrid>",
    ]
    parts += _header_rows(block, widths, size)
    last = len(block.rows) - 1
    for y, row in enumerate(block.rows):
        parts.append("<w:tr><w:trPr><w:cantSplit/></w:trPr>")
        for n, cell in enumerate(row.cells):
            spans = len(block.columns) - n if n == len(row.cells) - 1 else 1
            width = sum(widths[n : n + spans])
            align = _align(block, row, n)
            parts.append(_cell(cell.text, width, size, align, bold=row.bold, span=spans, keep=keep and y < last))
        parts.append("</w:tr>")
    parts.append("</w:tbl>")
    return parse_xml("".join(parts))


def _header_rows(block: Table, widths: list[int], size: int) -> list[str]:
    """The header rows: a label spanning two rows starts a vertical merge its second row continues."""
    starts: dict[tuple[int, int], HeaderCell] = {(h.row, h.column): h for h in block.header()}
    parts = []
    for y in range(block.header_rows):
        parts.append("<w:tr><w:trPr><w:cantSplit/><w:tblHeader/></w:trPr>")
        n = 0
        while n < len(block.columns):
            head = starts.get((y, n))
            above = next((h for h in starts.values() if h.column == n and h.row < y < h.row + h.rows), None)
            if head is not None:
                merge = "restart" if head.rows > 1 else None
                width = sum(widths[n : n + head.columns])
                parts.append(_cell(head.text, width, size, "center", bold=True, span=head.columns, merge=merge))
                n += head.columns
            elif above is not None:
                width = sum(widths[n : n + above.columns])
                parts.append(_cell("", width, size, "center", bold=True, span=above.columns, merge="continue"))
                n += above.columns
            else:
                n += 1
        parts.append("</w:tr>")
    return parts


def _align(block: Table, row: Row, n: int) -> str:
    """The first column (STT) centred, figures to the right, text and a cell spanning the rest to the left."""
    if n == 0:
        return "center"
    spans = n == len(row.cells) - 1 and len(row.cells) < len(block.columns)
    return "right" if block.columns[n].numeric and not spans else "left"


def _cell(text: str, width: int, size: int, align: str, bold=False, span=1, merge=None, keep=True) -> str:
    properties = f'<w:tcW w:w="{width}" w:type="dxa"/>'
    if span > 1:
        properties += f'<w:gridSpan w:val="{span}"/>'
    if merge == "restart":
        properties += '<w:vMerge w:val="restart"/>'
    elif merge == "continue":
        properties += "<w:vMerge/>"
    properties += '<w:vAlign w:val="center"/>'
    paragraph = ("<w:keepNext/>" if keep else "") + f'{SPACING}<w:jc w:val="{align}"/>'
    run = ("<w:b/>" if bold else "") + f'<w:sz w:val="{size}"/><w:szCs w:val="{size}"/>'
    body = f'<w:r><w:rPr>{run}</w:rPr><w:t xml:space="preserve">{escape(text)}</w:t></w:r>' if text else ""
    return f"<w:tc><w:tcPr>{properties}</w:tcPr><w:p><w:pPr>{paragraph}<w:rPr>{run}</w:rPr></w:pPr>{body}</w:p></w:tc>"
