"""What a unit's report document says (DESIGN §9), built once (a `model.Document`) from the report, its figures
(frozen once submitted), the changes since the previous period's report and its period, and written by the three
writers (word, pdf, sheets); the pieces the consolidated report shares with it.

The text is Vietnamese whatever the reader's language (an administrative document is written in Vietnamese): the
builders run under `flask_babel.force_locale("vi")` (see `documents.__init__`), so the labels they borrow from the
core (periods, sections) and the number formats are Vietnamese too.
"""

from datetime import date
from decimal import Decimal

from tracker.db import local_day
from tracker.formatting import number, percent, vn_date
from tracker.reports import periods, services
from tracker.reports.documents.model import Cell, Column, Document, Heading, Paragraph, Row, Table
from tracker.reports.models import SECTIONS, Report
from tracker.reports.periods import Period
from tracker.reports.snapshot import Deltas, Snapshot
from tracker.units.names import full_name
from tracker.units.services import UnitGraph, unit_graph

ROMAN = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X")
STT = 12  # mm: the width of a table's first column ("STT" in bold 12 pt and the cell's margins)
CHANGE_WIDTH = 24  # mm: "So với kỳ trước"
BLANK = "\u00a0" * 5  # a gap for a hand to fill in (non-breaking: no writer may collapse it)


# --- shared pieces -----------------------------------------------------------------------------------------


def count(value: int | None) -> Cell:
    return Cell("" if value is None else number(value, 0), value, "#,##0")


def share(ratio: Decimal | None, part: int | None = None, whole: int | None = None) -> Cell:
    """A share as "85,5% (171/200)"; "—" without one."""
    if ratio is None:
        return Cell("—")
    text = percent(ratio, 1)
    if part is not None and whole is not None:
        text += f" ({number(part, 0)}/{number(whole, 0)})"
    return Cell(text, ratio, "0.0%")


def change(delta: int | Decimal | None, points: bool = False) -> Cell:
    """A change since the previous period: "+5", "−2", "0"; a change of a share in percentage points."""
    if delta is None:
        return Cell("")
    if points:
        scaled = delta * 100
        text = number(abs(scaled), 1) + " điểm %"
        return Cell(("+" if delta > 0 else "−" if delta < 0 else "") + text, delta, "+0.0%;-0.0%;0.0%")
    text = number(abs(delta), 2)
    return Cell(("+" if delta > 0 else "−" if delta < 0 else "") + text, delta, "+#,##0.##;-#,##0.##;0")


def text(value: str) -> Cell:
    return Cell(value or "")


def date_in_words(place: str, day: date | None) -> str:
    """ "Phổ Yên, ngày 05 tháng 01 năm 2026" (Decree 30/2020: a day below 10 and the months 1 and 2 take a leading
    zero); blanks for a hand to fill when there is no date yet."""
    if day is None:
        words = f"ngày{BLANK}tháng{BLANK}năm 20.."
    else:
        month = f"{day.month:02d}" if day.month < 3 else str(day.month)
        words = f"ngày {day.day:02d} tháng {month} năm {day.year}"
    return f"{place}, {words}" if place else words[0].upper() + words[1:]


def number_line(number_text: str, issuer: str) -> str:
    """ "Số: 12/BC-BCĐ": the report's number as typed, a bare number completed, blanks when there is none."""
    kind = "BCĐ" if issuer.upper().startswith("BAN CHỈ ĐẠO") else "UBND" if "ỦY BAN" in issuer.upper() else "…"
    typed = (number_text or "").strip()
    if typed.isdigit():
        return f"Số: {int(typed):02d}/BC-{kind}"
    return f"Số: {typed}" if typed else f"Số:{BLANK * 2}/BC-{kind}"


def above(graph: UnitGraph, unit_id: int) -> str:
    """The level above a unit, in capitals, for the first line of the issuer block; "" at the top."""
    parent = graph.units.get(graph.units[unit_id].parent_id)
    return full_name(parent.name, parent.kind).upper() if parent is not None else ""


def filename(kind: str, period: Period, unit_name: str) -> str:
    """ "Báo cáo quý III năm 2026 - Phường Phổ Yên", without what no file system takes."""
    name = f"{kind} {period.label} - {unit_name}"
    return "".join(c for c in name if c not in '\\/:*?"<>|' and c >= " ").strip()


def paragraphs(value: str) -> list[str]:
    """A narrative field's paragraphs (one a line, blank lines dropped)."""
    return [line.strip() for line in (value or "").splitlines() if line.strip()]


# --- one unit's report -------------------------------------------------------------------------------------


def report_content(report: Report) -> Document:
    """The document of one revision of a unit's report: its header, its figures (frozen once submitted) with the
    changes since the previous period's report, its narrative, its recipients and its signature block."""
    period = periods.parse(report.period)
    graph = unit_graph()
    figures = services.figures(report, graph)
    delta = services.deltas(report, figures)
    submitted = local_day(report.submitted_at) if report.submitted_at is not None and not report.is_draft else None
    kind = "Dự thảo báo cáo" if report.is_draft else "Báo cáo"
    name = filename(kind, period, figures.unit_name)
    if report.revision > 1:
        name += f" (lần {report.revision})"
    body: list[Heading | Paragraph | Table] = [*intro(figures, period, delta), Heading(f"I. {FIGURES}")]
    body += [Heading("1. Tình hình thực hiện nhiệm vụ", 2), split_table(figures, delta)]
    body.append(Heading("2. Kết quả thực hiện các chỉ tiêu", 2))
    body.append(targets_table(figures, delta) if figures.targets else Paragraph("Kỳ này không có chỉ tiêu.", True))
    body += [Heading("3. Điểm QR, dịch vụ công trực tuyến và Ban Chỉ đạo", 2), registries_table(figures, delta)]
    for n, (field_name, label) in enumerate(SECTIONS, start=1):
        body.append(Heading(f"{ROMAN[n]}. {str(label).upper()}"))
        body += [Paragraph(line) for line in paragraphs(getattr(report, field_name))]
    return Document(
        above=above(graph, report.unit_id),
        issuer=report.issuer,
        number=number_line(report.number, report.issuer),
        place_date=date_in_words(report.place, submitted),
        subject=f"Kết quả thực hiện chương trình chuyển đổi số {period.label}",
        body=body,
        recipients=paragraphs(report.recipients),
        authority=report.signer_authority,
        signer_title=report.signer_title,
        signer_name=report.signer_name,
        filename=name,
        draft=report.is_draft,
        unit_name=figures.unit_name,
        period_label=period.label,
    )


FIGURES = "SỐ LIỆU THỰC HIỆN"


def intro(figures: Snapshot, period: Period, delta: Deltas | None) -> list[Paragraph]:
    lines = [
        Paragraph(
            f"Số liệu tính đến hết ngày {vn_date(period.cutoff_end)} (kỳ số liệu từ ngày "
            f"{vn_date(period.cutoff_start)} đến ngày {vn_date(period.cutoff_end)}, theo Điều 12 Nghị định số "
            "09/2019/NĐ-CP)."
        )
    ]
    if figures.programs:
        listed = "; ".join(
            f"{p.title} ({percent(p.progress, 1)})" if p.progress is not None else p.title for p in figures.programs
        )
        lines.append(Paragraph(f"Chương trình, kế hoạch trong kỳ: {listed}."))
    if figures.progress is not None:
        since = ""
        if delta is not None and delta.progress is not None:
            since = f" ({change(delta.progress, points=True).text} so với kỳ trước)"
        lines.append(Paragraph(f"Tiến độ chung: {percent(figures.progress, 1)}{since}."))
    return lines


def _columns(delta: Deltas | None, *columns: Column) -> list[Column]:
    """The columns, and "So với kỳ trước" when there is a previous report to compare with: the widest column
    gives it its width."""
    if delta is None:
        return list(columns)
    widest = max(columns, key=lambda c: c.width)
    return [Column(c.label, c.width - CHANGE_WIDTH if c is widest else c.width, c.numeric) for c in columns] + [
        Column("So với kỳ trước", CHANGE_WIDTH)
    ]


def split_table(figures: Snapshot, delta: Deltas | None) -> Table:
    """Table 1: the four-way split of 1270/BC-TCTTTg and the share of due tasks done."""
    s = figures.split
    moved = delta.split if delta is not None else {}
    rows = [
        ("1", "Tổng số nhiệm vụ", "total", True),
        ("1.1", "Đã hoàn thành đúng hạn", "done_on_time", False),
        ("1.2", "Đã hoàn thành nhưng quá hạn", "done_late", False),
        ("1.3", "Chưa hoàn thành, còn trong hạn", "in_progress", False),
        ("1.4", "Chưa hoàn thành, đã quá hạn", "overdue", False),
        ("2", "Nhiệm vụ tạm dừng, hủy bỏ (không tính vào tổng số)", "stopped", False),
    ]
    table = Table(
        "Nhiệm vụ",
        _columns(delta, Column("STT", STT, False), Column("Nội dung", 115, False), Column("Số nhiệm vụ", 38)),
        [],
    )
    for mark, label, name, bold in rows:
        cells = [text(mark), text(label), count(getattr(s, name))]
        if delta is not None:
            cells.append(change(moved.get(name)))
        table.rows.append(Row(cells, bold))
    cells = [text("3"), text("Tỷ lệ nhiệm vụ đến hạn đã hoàn thành"), share(s.due_share, s.due_done, s.due)]
    if delta is not None:
        cells.append(change(delta.due_share, points=True))
    table.rows.append(Row(cells))
    return table


def targets_table(figures: Snapshot, delta: Deltas | None) -> Table:
    """Table 2: each chỉ tiêu's plan, its result by the cut-off and "đạt x%"."""
    columns = _columns(
        delta,
        Column("STT", STT, False),
        Column("Chỉ tiêu", 67, False),
        Column("Đơn vị tính", 22, False),
        Column("Kế hoạch", 20),
        Column("Kết quả", 20),
        Column("Tỷ lệ", 24),
    )
    table = Table("Chỉ tiêu", columns, [])
    for n, t in enumerate(figures.targets, start=1):
        cells = [
            text(str(n)),
            text(t.title),
            text(t.unit_label),
            Cell(number(t.target, 2), t.target, "#,##0.##"),
            Cell(number(t.value, 2), t.value, "#,##0.##"),
            Cell(f"đạt {percent(t.achievement, 1)}", t.achievement, '"đạt "0.0%')
            if t.achievement is not None
            else text(""),
        ]
        if delta is not None:
            cells.append(change(delta.targets.get(t.task_id)))
        table.rows.append(Row(cells))
    return table


def registries_table(figures: Snapshot, delta: Deltas | None) -> Table:
    """Table 3: QR points, online services and the share of records filed online, board staffing."""
    r = figures.registries
    moved = delta.registries if delta is not None else {}
    table = Table(
        "Đăng ký",
        _columns(delta, Column("STT", STT, False), Column("Nội dung", 115, False), Column("Số liệu", 38)),
        [],
    )

    def add(mark, label, cell, name=None, bold=False):
        cells = [text(mark), text(label), cell]
        if delta is not None:
            cells.append(change(moved.get(name)) if name else text(""))
        table.rows.append(Row(cells, bold))

    add("1", "Điểm QR", text(""), bold=True)
    add("1.1", "Đã đăng ký", count(r.qr_registered), "qr_registered")
    add("1.2", "Đã in, dán áp phích", count(r.qr_printed), "qr_printed")
    add("1.3", "Đang hoạt động (có lượt quét trong 30 ngày)", count(r.qr_active), "qr_active")
    add("2", "Dịch vụ công trực tuyến", text(""), bold=True)
    add("2.1", "Toàn trình", count(r.services_full), "services_full")
    add("2.2", "Một phần", count(r.services_partial), "services_partial")
    add("2.3", "Chưa cung cấp trực tuyến", count(r.services_offline), "services_offline")
    add("2.4", "Tỷ lệ hồ sơ nộp trực tuyến", share(r.records_share, r.records_online, r.records_total))
    add("3", "Ban Chỉ đạo", text(""), bold=True)
    add("3.1", "Thành viên hiện có", count(r.board_current), "board_current")
    add("3.2", "Thành viên theo quyết định thành lập", count(r.board_target), "board_target")
    return table
