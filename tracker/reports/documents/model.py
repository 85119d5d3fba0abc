"""What a report document holds, whatever it is written as (word, pdf, sheets): the Decree 30/2020 header (the
level above, the issuer, "Số: …/BC-…", the place and date), the subject, a body of headings, paragraphs and tables,
"Nơi nhận" and the unsigned signature block. Table cells carry the text the documents print and, for the
spreadsheet, the number behind it. Text loses the control characters no XML document may hold, here, once."""

import re
from dataclasses import dataclass
from decimal import Decimal

CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
NATION = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
MOTTO = "Độc lập - Tự do - Hạnh phúc"
TITLE = "BÁO CÁO"
DRAFT = "DỰ THẢO"
RECIPIENTS = "Nơi nhận:"


@dataclass(frozen=True)
class Cell:
    """A table cell: what the document prints and, for a spreadsheet, the number behind it (None: the text)."""

    text: str
    value: int | Decimal | None = None
    style: str = ""  # the spreadsheet's number format: "0", "0.0%", "+0;-0;0"…

    def __post_init__(self):
        object.__setattr__(self, "text", plain(self.text))


@dataclass
class Row:
    cells: list[Cell]
    bold: bool = False  # a total or a group's heading
    # Fewer cells than columns: the last one spans the rest (a unit that sent no report: "Chưa nộp báo cáo").


@dataclass(frozen=True)
class Column:
    label: str
    width: float  # mm; a table's widths add up to layout.TEXT_WIDTH
    numeric: bool = True  # right-aligned figures; False: text, left-aligned
    group: str = ""  # a heading over this column and its neighbours of the same group ("Đã hoàn thành")


@dataclass(frozen=True)
class HeaderCell:
    """A cell of a table's header: where it starts and how many rows and columns it spans."""

    text: str
    row: int
    column: int
    rows: int = 1
    columns: int = 1


@dataclass
class Table:
    sheet: str  # the spreadsheet's sheet name (≤ 31 characters)
    columns: list[Column]
    rows: list[Row]
    small: bool = False  # many columns: a smaller type

    @property
    def header_rows(self) -> int:
        return 2 if any(c.group for c in self.columns) else 1

    def header(self) -> list[HeaderCell]:
        """One row of labels; with groups, two: a group's heading over its columns' labels, the other labels
        spanning both rows."""
        if self.header_rows == 1:
            return [HeaderCell(c.label, 0, n) for n, c in enumerate(self.columns)]
        cells, n = [], 0
        while n < len(self.columns):
            column = self.columns[n]
            if not column.group:
                cells.append(HeaderCell(column.label, 0, n, rows=2))
                n += 1
                continue
            end = n
            while end < len(self.columns) and self.columns[end].group == column.group:
                cells.append(HeaderCell(self.columns[end].label, 1, end))
                end += 1
            cells.append(HeaderCell(column.group, 0, n, columns=end - n))
            n = end
        return sorted(cells, key=lambda c: (c.row, c.column))


@dataclass(frozen=True)
class Heading:
    text: str
    level: int = 1  # 1: "I. …" bold capitals; 2: "1. …" bold

    def __post_init__(self):
        object.__setattr__(self, "text", plain(self.text))


@dataclass(frozen=True)
class Paragraph:
    text: str
    italic: bool = False

    def __post_init__(self):
        object.__setattr__(self, "text", plain(self.text))


@dataclass
class Document:
    above: str  # the level above ("TỈNH THÁI NGUYÊN"), "" when none
    issuer: str
    number: str  # the line "Số: 12/BC-BCĐ"
    place_date: str  # "Phổ Yên, ngày 16 tháng 9 năm 2026"
    subject: str
    body: list[Heading | Paragraph | Table]
    recipients: list[str]
    authority: str  # "TM. BAN CHỈ ĐẠO"
    signer_title: str
    signer_name: str
    filename: str  # without its extension
    draft: bool = False
    unit_name: str = ""
    period_label: str = ""

    def __post_init__(self):
        for name in ("above", "issuer", "number", "place_date", "subject", "authority", "signer_title", "signer_name"):
            setattr(self, name, plain(getattr(self, name)))
        self.recipients = [plain(line) for line in self.recipients]

    @property
    def tables(self) -> list[Table]:
        return [block for block in self.body if isinstance(block, Table)]


def plain(value: str) -> str:
    """Text without the control characters no XML document may hold (a form lets a pasted one through)."""
    return CONTROL.sub("", value or "")
