"""A report as a Word document (python-docx), in the Decree 30/2020 layout: A4, Times New Roman, the margins of
`layout`, a header table without borders (issuer | Quốc hiệu and Tiêu ngữ, then "Số: …" | place and date), "BÁO
CÁO" and its subject, the body, and a footer table ("Nơi nhận" | the unsigned signature block). Page numbers from
page 2, top centre: a PAGE field in the header of a section whose first page has its own (empty) header."""

import io

from docx import Document as new_document
from docx.enum.section import WD_ORIENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

from tracker.reports.documents import fonts, layout, wordtable
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

# What follows a paragraph's borders in its properties (ECMA-376 CT_PPr).
AFTER_BORDERS = (
    "w:shd", "w:tabs", "w:suppressAutoHyphens", "w:kinsoku", "w:wordWrap", "w:overflowPunct", "w:topLinePunct",
    "w:autoSpaceDE", "w:autoSpaceDN", "w:bidi", "w:adjustRightInd", "w:snapToGrid", "w:spacing", "w:ind",
    "w:contextualSpacing", "w:mirrorIndents", "w:suppressOverlap", "w:jc", "w:textDirection", "w:textAlignment",
    "w:textboxTightWrap", "w:outlineLvl", "w:divId", "w:cnfStyle", "w:rPr", "w:sectPr", "w:pPrChange",
)  # fmt: skip
RULE_SIZE = 4  # pt: the type of a rule's empty paragraph
CELL_MARGINS = 2 * layout.CELL_PAD  # mm: a cell's left and right margins
MIMETYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
CENTER, LEFT, RIGHT, JUSTIFY = (
    WD_ALIGN_PARAGRAPH.CENTER,
    WD_ALIGN_PARAGRAPH.LEFT,
    WD_ALIGN_PARAGRAPH.RIGHT,
    WD_ALIGN_PARAGRAPH.JUSTIFY,
)


def to_docx(doc: Document) -> bytes:
    word = new_document()
    _page(word)
    _styles(word)
    _properties(word, doc)
    _page_numbers(word, doc)
    _header(word, doc)
    _title(word, doc)
    for block in doc.body:
        if isinstance(block, Heading):
            _heading(word, block)
        elif isinstance(block, Paragraph):
            _paragraph(word, block)
        else:
            _table(word, block)
    _footer(word, doc)
    out = io.BytesIO()
    word.save(out)
    return out.getvalue()


# --- the page and its styles ---------------------------------------------------------------------------------


def _page(word) -> None:
    section = word.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Mm(layout.PAGE_WIDTH), Mm(layout.PAGE_HEIGHT)
    section.top_margin, section.bottom_margin = Mm(layout.TOP), Mm(layout.BOTTOM)
    section.left_margin, section.right_margin = Mm(layout.LEFT), Mm(layout.RIGHT)
    section.header_distance, section.footer_distance = Mm(layout.HEADER_TOP), Mm(layout.HEADER_TOP)


def _styles(word) -> None:
    """Times New Roman for every script (Word takes the East Asian and complex-script fonts from their own
    attributes, and would otherwise fall back to the theme's), Vietnamese for the proofing tools."""
    normal = word.styles["Normal"]
    normal.font.name = layout.FONT
    normal.font.size = Pt(layout.BODY)
    fonts = normal.element.get_or_add_rPr().get_or_add_rFonts()
    for attribute in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(attribute), layout.FONT)
    for attribute in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(attribute), None)
    rpr = normal.element.get_or_add_rPr()
    lang = rpr.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        rpr.insert_element_before(lang, "w:eastAsianLayout", "w:specVanish", "w:oMath")
    lang.set(qn("w:val"), "vi-VN")
    lang.set(qn("w:eastAsia"), "vi-VN")
    paragraph = normal.paragraph_format
    paragraph.space_before, paragraph.space_after = Pt(0), Pt(0)
    paragraph.line_spacing = 1.0
    # The template's document defaults name the theme's fonts: Times New Roman there too.
    defaults = word.styles.element.find(qn("w:docDefaults"))
    if defaults is not None:
        for node in defaults.iter(qn("w:rFonts")):
            for attribute in list(node.attrib):
                del node.attrib[attribute]
            for attribute in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
                node.set(qn(attribute), layout.FONT)


def _properties(word, doc: Document) -> None:
    props = word.core_properties
    props.title = f"{TITLE} {doc.subject}"
    props.subject = doc.subject
    props.author = doc.issuer
    props.last_modified_by = doc.issuer
    props.comments = ""
    props.keywords = ""
    props.language = "vi-VN"


def _page_numbers(word, doc: Document) -> None:
    """The page number at the top centre from page 2; a draft's first page says so at its top right."""
    section = word.sections[0]
    section.different_first_page_header_footer = True
    number = section.header.paragraphs[0]
    number.alignment = CENTER
    _field(number, "PAGE", "2")
    first = section.first_page_header.paragraphs[0]
    if doc.draft:
        first.alignment = RIGHT
        _run(first, DRAFT, bold=True)
        _borders(first, ("top", "left", "bottom", "right"))
        first.paragraph_format.left_indent = Mm(layout.TEXT_WIDTH - 32)


def _field(paragraph, instruction: str, shown: str) -> None:
    """A Word field (PAGE…) as a complex field: begin, instruction, separate, the last value shown, end."""
    run = paragraph.add_run()
    for kind, value in (("begin", None), ("instr", instruction), ("separate", None), ("text", shown), ("end", None)):
        if kind == "instr":
            node = OxmlElement("w:instrText")
            node.set(qn("xml:space"), "preserve")
            node.text = f" {value} "
        elif kind == "text":
            node = OxmlElement("w:t")
            node.text = value
        else:
            node = OxmlElement("w:fldChar")
            node.set(qn("w:fldCharType"), kind)
        run._r.append(node)


# --- the header ----------------------------------------------------------------------------------------------


def _header(word, doc: Document) -> None:
    """Two columns without borders: issuer | Quốc hiệu and Tiêu ngữ; then "Số: …" | place and date, level."""
    table = word.add_table(rows=2, cols=2)
    _widths(table, [layout.ISSUER_WIDTH, layout.NATION_WIDTH])
    issuer, nation = table.rows[0].cells
    if doc.above:
        _line(issuer, doc.above, size=layout.HEADER, first=True)
    _line(issuer, doc.issuer, size=layout.HEADER, bold=True, first=not doc.above)
    _rule(issuer.add_paragraph(), layout.ISSUER_WIDTH / 3, layout.ISSUER_WIDTH - CELL_MARGINS)
    _line(nation, NATION, size=layout.HEADER, bold=True, first=True)
    _line(nation, MOTTO, size=layout.MOTTO, bold=True)
    _rule(nation.add_paragraph(), _motto_width(), layout.NATION_WIDTH - CELL_MARGINS)
    number, place = table.rows[1].cells
    _line(number, doc.number, size=layout.NUMBER, first=True)
    _line(place, doc.place_date, size=layout.BODY, italic=True, first=True)
    for cell in (number, place):
        cell.paragraphs[0].paragraph_format.space_before = Pt(6)


def _motto_width() -> float:
    """The Tiêu ngữ's length in mm (its rule is as long), from the metrics of Liberation Serif Bold, which are
    Times New Roman's."""
    return fonts.width_mm(MOTTO, layout.MOTTO, bold=True)


def _line(cell, text: str, size: float, bold=False, italic=False, first=False, align=CENTER):
    paragraph = cell.paragraphs[0] if first else cell.add_paragraph()
    paragraph.alignment = align
    _run(paragraph, text, bold=bold, italic=italic, size=size)
    return paragraph


def _rule(paragraph, length: float, width: float) -> None:
    """Make `paragraph` a centred rule `length` mm long in a box `width` mm wide: empty, its mark in a small type
    (its line is as low), a bottom border (LibreOffice draws an empty paragraph's top border over the line above),
    indented from both sides."""
    side = max((width - length) / 2, 0)
    paragraph.paragraph_format.left_indent = paragraph.paragraph_format.right_indent = Mm(side)
    mark = OxmlElement("w:rPr")
    size = OxmlElement("w:sz")
    size.set(qn("w:val"), str(RULE_SIZE * 2))  # half-points
    mark.append(size)
    paragraph._p.get_or_add_pPr().insert_element_before(mark, "w:sectPr", "w:pPrChange")
    _borders(paragraph, ("bottom",))


def _borders(paragraph, sides) -> None:
    ppr = paragraph._p.get_or_add_pPr()
    borders = OxmlElement("w:pBdr")
    for side in sides:
        edge = OxmlElement(f"w:{side}")
        edge.set(qn("w:val"), "single")
        edge.set(qn("w:sz"), "6")
        edge.set(qn("w:space"), "1")
        edge.set(qn("w:color"), "auto")
        borders.append(edge)
    ppr.insert_element_before(borders, *AFTER_BORDERS)  # Word refuses properties out of the schema's order


def _title(word, doc: Document) -> None:
    title = word.add_paragraph()
    title.alignment = CENTER
    title.paragraph_format.space_before = Pt(18)
    _run(title, TITLE, bold=True)
    subject = word.add_paragraph()
    subject.alignment = CENTER
    _run(subject, doc.subject, bold=True)
    rule = word.add_paragraph()
    _rule(rule, layout.SUBJECT_RULE, layout.TEXT_WIDTH)
    rule.paragraph_format.space_after = Pt(12)


# --- the body ------------------------------------------------------------------------------------------------


def _heading(word, block: Heading) -> None:
    paragraph = word.add_paragraph()
    paragraph.alignment = JUSTIFY
    paragraph.paragraph_format.first_line_indent = Mm(layout.INDENT)
    paragraph.paragraph_format.space_before = Pt(6)
    paragraph.paragraph_format.space_after = Pt(layout.AFTER)
    paragraph.paragraph_format.keep_with_next = True
    _run(paragraph, block.text, bold=True)


def _paragraph(word, block: Paragraph) -> None:
    paragraph = word.add_paragraph()
    paragraph.alignment = JUSTIFY
    paragraph.paragraph_format.first_line_indent = Mm(layout.INDENT)
    paragraph.paragraph_format.space_after = Pt(layout.AFTER)
    paragraph.paragraph_format.line_spacing = 1.15
    _run(paragraph, block.text, italic=block.italic)


def _table(word, block: Table) -> None:
    word.element.body.sectPr.addprevious(wordtable.table_element(block))
    word.add_paragraph().paragraph_format.space_after = Pt(layout.AFTER)


def _widths(table, widths_mm) -> None:
    """Fixed column widths (Word honours the cells' widths, LibreOffice the grid's: both are set)."""
    table.autofit = False  # a fixed layout
    for column, width in zip(table.columns, widths_mm, strict=True):
        column.width = Mm(width)
        for cell in column.cells:
            cell.width = Mm(width)


# --- the footer ----------------------------------------------------------------------------------------------


def _footer(word, doc: Document) -> None:
    """ "Nơi nhận" at the bottom left, the signature block (unsigned) at the bottom right, in a borderless table."""
    # The signature never stands alone on a page: the last paragraph goes over with it.
    word.paragraphs[-1].paragraph_format.keep_with_next = True
    word.add_paragraph().paragraph_format.keep_with_next = True
    table = word.add_table(rows=1, cols=2)
    _widths(table, [layout.RECIPIENTS_WIDTH, layout.TEXT_WIDTH - layout.RECIPIENTS_WIDTH])
    table.rows[0]._tr.get_or_add_trPr().append(OxmlElement("w:cantSplit"))
    recipients, signature = table.rows[0].cells
    _line(recipients, RECIPIENTS, size=layout.RECIPIENTS_HEADING, bold=True, italic=True, first=True, align=LEFT)
    for line in doc.recipients:
        _line(recipients, line, size=layout.RECIPIENTS, align=LEFT)
    first = True
    for line in (doc.authority, doc.signer_title):
        if line:
            _line(signature, line.upper(), size=layout.BODY, bold=True, first=first)
            first = False
    for _ in range(layout.SIGNATURE_SPACE):
        _line(signature, "", size=layout.BODY, first=first)
        first = False
    _line(signature, doc.signer_name, size=layout.BODY, bold=True, first=first)


def _run(paragraph, text: str, bold=False, italic=False, size: float | None = None):
    run = paragraph.add_run(text)
    run.bold = bold or None
    run.italic = italic or None
    if size is not None and size != layout.BODY:
        run.font.size = Pt(size)
    return run
