"""What the consolidated report of the level above says (DESIGN §9): its subordinates' reporting rate (expected,
sent, on time, missing, by name), then a row per subordinate with the figures of the report it sent (the four-way
split, its targets, its registries) and the totals, built only from submitted reports (services.reporting).

The unit has no report row of its own for it: the header and footer are those a new report of the unit would get
(its last report's, else its registry's), the number and the date are left for the hand that signs it.
"""

from decimal import Decimal

from tracker.formatting import percent, vn_date
from tracker.reports import services
from tracker.reports.documents.content import (
    ROMAN,
    STT,
    above,
    count,
    date_in_words,
    filename,
    number_line,
    paragraphs,
    share,
    text,
)
from tracker.reports.documents.model import Cell, Column, Document, Heading, Paragraph, Row, Table
from tracker.reports.periods import Period
from tracker.reports.snapshot import Registries, Snapshot, Split
from tracker.units.services import unit_graph

NOT_SENT = "Chưa gửi báo cáo"


def reporting_content(unit_id: int, period: Period) -> Document:
    graph = unit_graph()
    result = services.reporting(unit_id, period, graph)
    defaults = services.default_header(unit_id)  # what a new report of this unit would carry
    name = graph.units[unit_id].name
    sent = result.submitted
    body: list[Heading | Paragraph | Table] = [
        Paragraph(
            f"Tổng hợp từ báo cáo đã gửi của {len(sent)}/{result.expected} đơn vị trực thuộc; số liệu của mỗi đơn vị "
            f"tính đến hết ngày {vn_date(period.cutoff_end)} (kỳ số liệu từ ngày {vn_date(period.cutoff_start)} "
            f"đến ngày {vn_date(period.cutoff_end)}), như đơn vị đã gửi."
        ),
        Heading(f"{ROMAN[0]}. TÌNH HÌNH GỬI BÁO CÁO"),
        rates_table(result),
        *rate_notes(result),
        Heading(f"{ROMAN[1]}. TỔNG HỢP SỐ LIỆU CỦA CÁC ĐƠN VỊ"),
        Heading("1. Tình hình thực hiện nhiệm vụ và chỉ tiêu", 2),
        tasks_table(result),
        Heading("2. Điểm QR, dịch vụ công trực tuyến và Ban Chỉ đạo", 2),
        registries_table(result),
    ]
    proposals = [(row.name, paragraphs(row.submitted.proposals)) for row in sent if row.submitted.proposals.strip()]
    if proposals:
        body.append(Heading(f"{ROMAN[2]}. ĐỀ XUẤT, KIẾN NGHỊ CỦA CÁC ĐƠN VỊ"))
        for unit_name, lines in proposals:
            body.append(Paragraph(f"{unit_name}: {' '.join(lines)}"))
    subject = f"kết quả thực hiện chương trình chuyển đổi số {period.label} của các đơn vị trực thuộc"
    body.append(Paragraph(f"Trên đây là báo cáo tổng hợp {subject}./."))
    return Document(
        above=above(graph, unit_id),
        issuer=defaults["issuer"],
        number=number_line("", defaults["issuer"]),
        place_date=date_in_words(defaults["place"], None),
        subject=f"Tổng hợp {subject}",
        body=body,
        recipients=paragraphs(defaults["recipients"]),
        authority=defaults["signer_authority"],
        signer_title=defaults["signer_title"],
        signer_name=defaults["signer_name"],
        filename=filename("Tổng hợp báo cáo", period, name),
        unit_name=name,
        period_label=period.label,
    )


def _rate(part: int, whole: int) -> Cell:
    return share(Decimal(part) / Decimal(whole) if whole else None)


def rates_table(result: services.Reporting) -> Table:
    """DHIS2's reporting rate summary: expected, sent, sent on time, missing."""
    table = Table(
        "Tình hình gửi",
        [Column("STT", STT, False), Column("Nội dung", 105, False), Column("Số đơn vị", 24), Column("Tỷ lệ", 24)],
        [],
    )
    expected = result.expected
    for mark, label, part in (
        ("1", "Đơn vị phải gửi báo cáo", expected),
        ("2", "Đơn vị đã gửi báo cáo", len(result.submitted)),
        ("2.1", "trong đó: gửi đúng hạn", len(result.on_time)),
        ("3", "Đơn vị chưa gửi báo cáo", len(result.missing)),
    ):
        table.rows.append(Row([text(mark), text(label), count(part), _rate(part, expected)], bold=mark == "1"))
    return table


def rate_notes(result: services.Reporting) -> list[Paragraph]:
    late = [row for row in result.submitted if not row.on_time]
    missing = result.missing
    notes = [
        Paragraph(
            f"Đơn vị chưa gửi báo cáo ({len(missing)}): " + ", ".join(row.name for row in missing) + "."
            if missing
            else "Tất cả các đơn vị đã gửi báo cáo."
        )
    ]
    if late:
        notes.append(Paragraph(f"Đơn vị gửi sau hạn ({len(late)}): " + ", ".join(row.name for row in late) + "."))
    return notes


def _targets(figures: Snapshot) -> tuple[int, int]:
    """A report's targets, and how many reached their plan."""
    reached = sum(1 for t in figures.targets if t.achievement is not None and t.achievement >= 1)
    return len(figures.targets), reached


def _split_cells(split: Split, targets: tuple[int, int]) -> list[Cell]:
    return [
        count(split.total),
        count(split.done_on_time),
        count(split.done_late),
        count(split.in_progress),
        count(split.overdue),
        Cell(percent(split.due_share, 1), split.due_share, "0.0%") if split.due_share is not None else text("—"),
        count(targets[0]),
        count(targets[1]),
    ]


def tasks_table(result: services.Reporting) -> Table:
    """A row per subordinate: the four-way split of its tasks, the share of due tasks done, its targets."""
    done, open_, targets = "Đã hoàn thành", "Chưa hoàn thành", "Chỉ tiêu"
    columns = [
        Column("STT", 11, False),
        Column("Đơn vị", 47, False),
        Column("Tổng số nhiệm vụ", 13),
        Column("Đúng hạn", 12.5, group=done),
        Column("Quá hạn", 12.5, group=done),
        Column("Trong hạn", 12.5, group=open_),
        Column("Quá hạn", 12.5, group=open_),
        Column("Tỷ lệ nhiệm vụ đến hạn đã hoàn thành", 19),
        Column("Số chỉ tiêu", 12.5, group=targets),
        Column("Đạt kế hoạch", 12.5, group=targets),
    ]
    table = Table("Nhiệm vụ", columns, [], small=True)
    targets = [0, 0]
    for n, row in enumerate(result.rows, start=1):
        if row.figures is None:
            table.rows.append(Row([text(str(n)), text(row.name), text(NOT_SENT)]))
            continue
        own = _targets(row.figures)
        targets = [targets[0] + own[0], targets[1] + own[1]]
        table.rows.append(Row([text(str(n)), text(row.name), *_split_cells(row.figures.split, own)]))
    table.rows.append(Row([text(""), text("Tổng cộng"), *_split_cells(result.split, tuple(targets))], bold=True))
    return table


def _registry_cells(r: Registries) -> list[Cell]:
    return [
        count(r.qr_registered),
        count(r.qr_printed),
        count(r.qr_active),
        count(r.services_full),
        count(r.services_partial),
        count(r.services_offline),
        share(r.records_share),
        count(r.board_current),
        count(r.board_target),
    ]


def registries_table(result: services.Reporting) -> Table:
    """A row per subordinate: QR points, online services and records filed online, board staffing."""
    qr, online, board = "Điểm QR", "Dịch vụ công trực tuyến", "Ban Chỉ đạo"
    columns = [
        Column("STT", 11, False),
        Column("Đơn vị", 37, False),
        Column("Đã đăng ký", 13, group=qr),
        Column("Đã in áp phích", 13, group=qr),
        Column("Đang hoạt động", 13, group=qr),
        Column("Toàn trình", 13, group=online),
        Column("Một phần", 13, group=online),
        Column("Chưa cung cấp", 13, group=online),
        Column("Hồ sơ nộp trực tuyến", 13),
        Column("Hiện có", 13, group=board),
        Column("Theo quyết định", 13, group=board),
    ]
    table = Table("Đăng ký", columns, [], small=True)
    for n, row in enumerate(result.rows, start=1):
        if row.figures is None:
            table.rows.append(Row([text(str(n)), text(row.name), text(NOT_SENT)]))
        else:
            table.rows.append(Row([text(str(n)), text(row.name), *_registry_cells(row.figures.registries)]))
    table.rows.append(Row([text(""), text("Tổng cộng"), *_registry_cells(result.registries)], bold=True))
    return table
