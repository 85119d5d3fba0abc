"""A report as a PDF (reportlab), in the layout of the Word document (`word`, `layout`): the same header table,
title, body, tables and footer, set in Liberation Serif (Times New Roman's metrics, Vietnamese included, shipped in
static/fonts). Page numbers from page 2 at the top centre; a draft says "DỰ THẢO" at the top right of page 1."""

import io
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_JUSTIFY, TA_LEFT
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import CondPageBreak, HRFlowable, KeepTogether, SimpleDocTemplate, Spacer
from reportlab.platypus import Paragraph as Para
from reportlab.platypus import Table as Grid

from tracker.reports.documents import fonts, layout
from tracker.reports.documents.model import (
    DRAFT,
    MOTTO,
    NATION,
    RECIPIENTS,
    TITLE,
    Document,
    Heading,
    Paragraph,
    Table,
)

MIMETYPE = "application/pdf"
KEEP_TOGETHER = 20  # rows: a table this short is not split across pages
LONG_TABLE_START = 60  # mm: what a longer table needs left on a page to start on it (its headings, a few rows)
LEADING = 1.17  # a single line's height, as a share of the type size (Times New Roman's)
PAD = layout.CELL_PAD * mm


def _style(size: float = layout.BODY, align=TA_CENTER, bold=False, italic=False, **more) -> ParagraphStyle:
    more.setdefault("leading", size * LEADING)
    return ParagraphStyle("s", fontName=fonts.face(bold, italic), fontSize=size, alignment=align, **more)


def to_pdf(doc: Document) -> bytes:
    fonts.register()
    out = io.BytesIO()
    pdf = SimpleDocTemplate(
        out,
        pagesize=(layout.PAGE_WIDTH * mm, layout.PAGE_HEIGHT * mm),
        leftMargin=layout.LEFT * mm,
        rightMargin=layout.RIGHT * mm,
        topMargin=layout.TOP * mm,
        bottomMargin=layout.BOTTOM * mm,
        title=f"{TITLE} {doc.subject}",
        author=doc.issuer,
        subject=doc.subject,
        creator="Tracker",
        lang="vi-VN",
        invariant=True,  # the same document gives the same bytes (no creation time, no random id)
    )
    story = [*_header(doc), *_title(doc)]
    headings = []  # kept with what follows them (a table too, which keepWithNext cannot do)
    for block in doc.body:
        if isinstance(block, Heading):
            headings.append(Para(escape(block.text), _style(align=TA_JUSTIFY, bold=True, **HEADING)))
            continue
        if isinstance(block, Paragraph):
            story += [*headings, Para(escape(block.text), _style(align=TA_JUSTIFY, italic=block.italic, **BODY))]
        elif len(block.rows) <= KEEP_TOGETHER:
            story.append(KeepTogether([*headings, _table(block)]))
        else:
            # A long table runs over pages: its headings start it where a few of its rows fit, not on a new page.
            for heading in headings:
                heading.keepWithNext = 0
            story += [CondPageBreak(LONG_TABLE_START * mm), *headings, _table(block)]
        headings = []
    story += headings
    # The signature never stands alone on a page: the last paragraph (and its heading) goes over with it.
    last = []
    if isinstance(story[-1], Para):
        last.insert(0, story.pop())
        while isinstance(story[-1], Para) and story[-1].getKeepWithNext():
            last.insert(0, story.pop())
    story.append(_footer(doc, last))
    pdf.build(story, onFirstPage=_first_page(doc), onLaterPages=_page_number)
    return out.getvalue()


HEADING = {"firstLineIndent": layout.INDENT * mm, "spaceBefore": 6, "spaceAfter": layout.AFTER, "keepWithNext": 1}
BODY = {"firstLineIndent": layout.INDENT * mm, "spaceAfter": layout.AFTER, "leading": layout.BODY * 1.15 * LEADING}


def _first_page(doc: Document):
    def draw(canvas, _template):
        if not doc.draft:
            return
        canvas.saveState()
        size = layout.BODY
        width = fonts.width_mm(DRAFT, size, bold=True) * mm + 4 * mm
        right = (layout.PAGE_WIDTH - layout.RIGHT) * mm
        top = (layout.PAGE_HEIGHT - layout.HEADER_TOP) * mm
        canvas.setLineWidth(0.75)
        canvas.rect(right - width, top - size - 3, width, size + 5)
        canvas.setFont(fonts.face(bold=True), size)
        canvas.drawCentredString(right - width / 2, top - size + 1, DRAFT)
        canvas.restoreState()

    return draw


def _page_number(canvas, _template) -> None:
    canvas.saveState()
    canvas.setFont(fonts.face(), layout.BODY)
    x = (layout.LEFT + layout.TEXT_WIDTH / 2) * mm
    canvas.drawCentredString(
        x, (layout.PAGE_HEIGHT - layout.HEADER_TOP) * mm - layout.BODY, str(canvas.getPageNumber())
    )
    canvas.restoreState()


def _rule(length_mm: float, before: float = 4, after: float = 2) -> HRFlowable:
    """A centred rule under a line: `before` clears the line's descenders (the dot below of ạ, ộ)."""
    return HRFlowable(
        width=length_mm * mm, thickness=0.6, color=colors.black, hAlign="CENTER", spaceBefore=before, spaceAfter=after
    )


def _header(doc: Document) -> list:
    """Two columns without borders: issuer | Quốc hiệu and Tiêu ngữ; then "Số: …" | place and date."""
    issuer = []
    if doc.above:
        issuer.append(Para(escape(doc.above), _style(layout.HEADER)))
    issuer += [Para(escape(doc.issuer), _style(layout.HEADER, bold=True)), _rule(layout.ISSUER_WIDTH / 3)]
    nation = [
        Para(NATION, _style(layout.HEADER, bold=True)),
        Para(MOTTO, _style(layout.MOTTO, bold=True)),
        _rule(fonts.width_mm(MOTTO, layout.MOTTO, bold=True)),
    ]
    number = Para(escape(doc.number), _style(layout.NUMBER))
    place = Para(escape(doc.place_date), _style(italic=True))
    grid = Grid(
        [[issuer, nation], [number, place]],
        colWidths=[layout.ISSUER_WIDTH * mm, layout.NATION_WIDTH * mm],
        style=[
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("ALIGN", (0, 0), (-1, -1), "CENTER"),  # the rules (a cell places its flowables by this)
            ("LEFTPADDING", (0, 0), (-1, -1), PAD),
            ("RIGHTPADDING", (0, 0), (-1, -1), PAD),
            ("TOPPADDING", (0, 1), (-1, 1), 6),
        ],
    )
    return [grid]


def _title(doc: Document) -> list:
    return [
        Spacer(1, 18),
        Para(TITLE, _style(bold=True)),
        Para(escape(doc.subject), _style(bold=True)),
        _rule(layout.SUBJECT_RULE, before=6, after=12),  # below the dots under ạ, ộ of a 14 pt line
    ]


def _table(block: Table) -> Grid:
    """A grid; figures are plain strings set by the grid's own font commands (a paragraph per figure, a
    thousand of them in a consolidated report, cost most of its time), text cells are paragraphs that wrap."""
    size = layout.SMALL_TABLE if block.small else layout.TABLE
    width, heads = len(block.columns), block.header_rows
    rows: list[list] = [[""] * width for _ in range(heads)]
    pad = layout.SMALL_PAD * mm if block.small else PAD
    style = [
        ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("LEFTPADDING", (0, 0), (-1, -1), pad),
        ("RIGHTPADDING", (0, 0), (-1, -1), pad),
        ("TOPPADDING", (0, 0), (-1, -1), 1),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
        ("FONT", (0, heads), (-1, -1), fonts.face(), size, size * LEADING),
        ("ALIGN", (0, heads), (-1, -1), "RIGHT"),
    ]
    for head in block.header():
        rows[head.row][head.column] = Para(escape(head.text), _style(size, bold=True))
        if head.rows > 1 or head.columns > 1:
            end = (head.column + head.columns - 1, head.row + head.rows - 1)
            style.append(("SPAN", (head.column, head.row), end))
    for y, row in enumerate(block.rows, start=heads):
        cells = []
        if row.bold:
            style.append(("FONT", (0, y), (-1, y), fonts.face(bold=True), size, size * LEADING))
        for x, cell in enumerate(row.cells):
            spans = x == len(row.cells) - 1 and len(row.cells) < width
            if block.columns[x].numeric and not spans and x:
                cells.append(cell.text)
            else:
                align = TA_CENTER if x == 0 else TA_LEFT
                cells.append(Para(escape(cell.text), _style(size, align, bold=row.bold)))
        if len(cells) < width:
            style.append(("SPAN", (len(cells) - 1, y), (-1, y)))
            cells += [""] * (width - len(cells))
        rows.append(cells)
    return Grid(rows, colWidths=[c.width * mm for c in block.columns], style=style, repeatRows=heads, spaceAfter=12)


def _footer(doc: Document, before: list) -> KeepTogether:
    """ "Nơi nhận" at the bottom left, the unsigned signature block at the bottom right."""
    recipients = [Para(RECIPIENTS, _style(layout.RECIPIENTS_HEADING, TA_LEFT, bold=True, italic=True))]
    recipients += [Para(escape(line), _style(layout.RECIPIENTS, TA_LEFT)) for line in doc.recipients]
    signature = [Para(escape(line.upper()), _style(bold=True)) for line in (doc.authority, doc.signer_title) if line]
    signature.append(Spacer(1, layout.SIGNATURE_SPACE * layout.BODY * LEADING))
    signature.append(Para(escape(doc.signer_name), _style(bold=True)))
    grid = Grid(
        [[recipients, signature]],
        colWidths=[layout.RECIPIENTS_WIDTH * mm, (layout.TEXT_WIDTH - layout.RECIPIENTS_WIDTH) * mm],
        style=[("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), PAD)],
    )
    return KeepTogether([*before, Spacer(1, 12), grid])
