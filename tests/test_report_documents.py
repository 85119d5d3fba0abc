"""Report documents (DESIGN §9): the DOCX in the Decree 30/2020 layout, opened with python-docx; the PDF's text
extracted with pypdfium2; the XLSX's numbers read with openpyxl; the consolidated report of the level above."""

import io
from datetime import UTC, date, datetime
from decimal import Decimal

import docx
import pytest
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

from tests import factories
from tracker.errors import ValidationError
from tracker.extensions import db
from tracker.programs.models import TaskCategory
from tracker.reports import periods, services
from tracker.reports.documents import report_document

Q3 = periods.parse("2026-Q3")
AFTER_Q3 = date(2026, 9, 16)
NARRATIVE = {
    "achievements": "Cấp mã QR cho chợ Phổ Yên và 80 hộ kinh doanh.\n\nTổ chức 5 lớp tập huấn kỹ năng số.",
    "shortcomings": "Một số tổ dân phố chưa có Tổ công nghệ số cộng đồng.",
    "causes": "Nhân lực còn kiêm nhiệm.",
    "next_steps": "In, dán áp phích mã QR tại các điểm còn thiếu.",
    "proposals": "Đề nghị tỉnh hỗ trợ kinh phí in áp phích.",
    "number": "12",
}


def _at(day: date, hour: int = 3) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


@pytest.fixture
def plan(app, ward, users):
    """The ward's 2026 program (an indicator at 80 of 100 by the cut-off, a milestone done on time, one overdue),
    two QR points registered before the cut-off."""
    program = factories.create_program(ward, "Kế hoạch chuyển đổi số năm 2026", starts_on=date(2026, 1, 1))
    wallets = factories.create_task(
        program, "Hộ dùng ví điện tử", measure_kind="count", target=Decimal(100), deadline=date(2026, 12, 31),
        category=TaskCategory.INDICATOR, unit_label="hộ",
    )  # fmt: skip
    portal = factories.create_task(program, "Trang tin điện tử", measure_kind="milestone", deadline=date(2026, 8, 31))
    factories.create_task(program, "Kiện toàn Tổ công nghệ số", measure_kind="milestone", deadline=date(2026, 7, 1))
    factories.create_task_update(wallets, users["manager"], "30", at=_at(date(2026, 5, 4)))
    factories.create_task_update(wallets, users["manager"], "80", at=_at(date(2026, 9, 1)))
    factories.create_task_update(portal, users["manager"], "1", at=_at(date(2026, 8, 1)))
    for name in ("Chợ Phổ Yên", "Nhà văn hóa tổ 3"):
        factories.insert_site(ward, name, "market", created_at=_at(date(2026, 3, 1)))
    db.session.commit()
    return {"program": program, "wallets": wallets, "portal": portal}


@pytest.fixture
def submitted(plan, ward, users):
    """The ward's Q2 report (for the deltas), then its Q3 report with a narrative, submitted on 16/09/2026."""
    q2 = services.create_report(ward.id, "2026-Q2")
    services.submit(q2, users["manager"], today=date(2026, 6, 20))
    report = services.create_report(ward.id, "2026-Q3")
    services.update_report(report, NARRATIVE)
    services.submit(report, users["manager"], today=AFTER_Q3)
    report.submitted_at = _at(AFTER_Q3)
    db.session.commit()
    return report


def _open(body: bytes) -> docx.document.Document:
    return docx.Document(io.BytesIO(body))


def _texts(document) -> list[str]:
    return [p.text for p in document.paragraphs]


def _cells(table) -> list[list[str]]:
    return [[c.text for c in row.cells] for row in table.rows]


def test_the_docx_page_is_a4_with_the_decree_margins_and_page_numbers_from_page_2(submitted):
    body, mimetype, name = report_document(submitted, "docx")
    assert mimetype == "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    assert name == "Báo cáo quý III năm 2026 - Phường Phổ Yên.docx"
    (section,) = _open(body).sections
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)  # stored in twips
    assert 20 <= round(section.top_margin.mm) <= 25 and 20 <= round(section.bottom_margin.mm) <= 25
    assert 30 <= round(section.left_margin.mm) <= 35 and 15 <= round(section.right_margin.mm) <= 20
    assert section.different_first_page_header_footer
    header = section.header.paragraphs[0]
    assert " PAGE " in [node.text for node in header._p.iter(qn("w:instrText"))]
    assert header.alignment == docx.enum.text.WD_ALIGN_PARAGRAPH.CENTER
    assert not "".join(p.text for p in section.first_page_header.paragraphs).strip()  # no number on page 1


def test_the_docx_header_says_who_issues_it_where_and_when(submitted):
    document = _open(report_document(submitted, "docx")[0])
    header = document.tables[0]
    issuer, nation = (cell.text for cell in header.rows[0].cells)
    number, place = (cell.text for cell in header.rows[1].cells)
    assert issuer.splitlines()[:2] == ["TỈNH THÁI NGUYÊN", "BAN CHỈ ĐẠO CHUYỂN ĐỔI SỐ PHƯỜNG PHỔ YÊN"]
    assert nation.splitlines()[:2] == ["CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc"]
    assert number == "Số: 12/BC-BCĐ"
    assert place == "Phổ Yên, ngày 16 tháng 9 năm 2026"
    texts = _texts(document)
    title = texts.index("BÁO CÁO")
    assert texts[title + 1] == "Kết quả thực hiện chương trình chuyển đổi số quý III năm 2026"
    assert "DỰ THẢO" not in "".join(p.text for p in document.sections[0].first_page_header.paragraphs)
