"""The page of a report (Decree 30/2020, Appendix I), shared by the Word and PDF writers: A4, the margins, the
widths of the header's two columns, the type sizes. Lengths in millimetres, sizes in points."""

PAGE_WIDTH, PAGE_HEIGHT = 210, 297  # A4
TOP, BOTTOM, LEFT, RIGHT = 20, 20, 30, 15  # margins: top/bottom 20–25, left 30–35, right 15–20
TEXT_WIDTH = PAGE_WIDTH - LEFT - RIGHT  # 165
HEADER_TOP = 10  # the page number, from the page's top edge
ISSUER_WIDTH = 68  # the header's left column: the level above, the issuer, "Số: …"
NATION_WIDTH = TEXT_WIDTH - ISSUER_WIDTH  # the right column: Quốc hiệu, Tiêu ngữ, place and date
SUBJECT_RULE = 50  # the rule under the subject (a third to a half of its line)
RECIPIENTS_WIDTH = 75  # the footer's left column ("Nơi nhận"); the signature block takes the rest

FONT = "Times New Roman"  # what Word shows; the PDF ships Liberation Serif, metric-compatible with it
BODY = 14  # the text (13–14)
HEADER = 12  # the level above, the issuer, Quốc hiệu (12–13)
MOTTO = 13  # Tiêu ngữ (13–14)
NUMBER = 13  # "Số: …"
TABLE = 12
SMALL_TABLE = 10.5  # a consolidated table of ten columns
CELL_PAD = 1.9  # mm: a cell's left and right margins (Word's default)
SMALL_PAD = 1.0  # mm: in a table of many columns
RECIPIENTS_HEADING = 12
RECIPIENTS = 11
INDENT = 10  # a paragraph's first line (mm)
AFTER = 6  # space after a paragraph (pt)
SIGNATURE_SPACE = 4  # blank lines left for the signature and the seal
