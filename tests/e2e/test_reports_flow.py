"""Issue 13's "done when", in a real Chromium: a ward's manager drafts the 2026-Q3 report on a phone, writes the
narrative and submits it; the city's viewer sees the ward as submitted on time and the other ward missing and opens
the consolidated report; the city's manager returns the ward's report with a reason; the ward submits revision 2.

The submission is on time when it is made between the data cut-off (14/09/2026) and the due date (18/09/2026): for
the first one the server's clock in tracker.reports.services reads 16/09/2026; revision 2 is sent today, late."""

import io
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from uuid import uuid4

import pytest
from docx import Document
from playwright.sync_api import expect
from sqlalchemy import select

from tests import factories
from tests.e2e.conftest import DESKTOP
from tests.e2e.test_programs_flow import _no_horizontal_overflow
from tracker.extensions import db
from tracker.programs.models import TaskCategory
from tracker.reports import services
from tracker.reports.models import Report, ReportState
from tracker.units.models import Unit

pytestmark = pytest.mark.browser

ON_TIME = date(2026, 9, 16)  # after Q3's cut-off end (14/09), before its due date (18/09)


@dataclass(frozen=True)
class City:
    city_id: int
    ward_id: int
    ward: str
    missing: str
    ward_manager: str
    city_viewer: str
    city_manager: str


@pytest.fixture
def city(live_server) -> City:
    """A city of its own under the seeded province, two wards, a program in the first; the three accounts."""
    tag = uuid4().int % 10_000
    with live_server.app.app_context():
        province = db.session.scalar(select(Unit).where(Unit.code == "19"))
        town = factories.create_unit(f"Thành phố Sông Công {tag}", "city", parent=province)
        ward = factories.create_unit(f"Phường Bách Quang {tag}", "ward", parent=town)
        missing = factories.create_unit(f"Phường Lương Sơn {tag}", "ward", parent=town)
        made = City(
            town.id, ward.id, ward.name, missing.name, f"pbq-{tag}", f"tpsc-xem-{tag}", f"tpsc-{tag}"
        )  # fmt: skip
        manager = factories.create_user(made.ward_manager, "manager", ward)
        factories.create_user(made.city_viewer, "viewer", town)
        factories.create_user(made.city_manager, "manager", town)
        program = factories.create_program(ward, "Kế hoạch chuyển đổi số năm 2026", starts_on=date(2026, 1, 1))
        wallets = factories.create_task(
            program, "Hộ gia đình dùng ví điện tử", measure_kind="count", target=Decimal(1200),
            deadline=date(2026, 12, 31), category=TaskCategory.INDICATOR, unit_label="hộ",
        )  # fmt: skip
        factories.create_task(program, "Trang thông tin điện tử của phường", measure_kind="milestone",
                              deadline=date(2026, 8, 31))  # fmt: skip
        factories.create_task_update(wallets, manager, "840", at=datetime(2026, 9, 1, 3, tzinfo=UTC))
        db.session.commit()
        db.session.remove()
    return made


def _report_state(live_server, ward_id: int) -> list[tuple[int, ReportState]]:
    with live_server.app.app_context():
        found = [(r.revision, r.state) for r in services.revisions(ward_id, "2026-Q3")]
        db.session.remove()
    return found


def test_a_ward_reports_its_quarter_and_the_city_returns_it(new_context, log_in, live_server, city, monkeypatch):
    # The ward's manager, on a phone: the menu, the period due, the draft.
    ward_page = new_context().new_page()
    log_in(ward_page, city.ward_manager)
    ward_page.get_by_text("Trình đơn").click()
    ward_page.get_by_role("link", name="Báo cáo định kỳ").click()
    expect(ward_page.get_by_test_id("reports-title")).to_have_text(f"Báo cáo định kỳ · {city.ward}")
    ward_page.get_by_test_id("draft-2026-Q3").click()
    expect(ward_page.get_by_test_id("report-title")).to_have_text("Báo cáo quý III năm 2026")
    figures = ward_page.get_by_test_id("report-figures")
    expect(figures.get_by_test_id("table-targets")).to_contain_text("Hộ gia đình dùng ví điện tử")
    expect(figures.get_by_test_id("table-targets")).to_contain_text("70%")  # 840 of 1.200
    _no_horizontal_overflow(ward_page)

    form = ward_page.get_by_test_id("report-form")
    form.get_by_label("Kết quả đạt được").fill("840 hộ gia đình dùng ví điện tử.\nCổng thông tin đang xây dựng.")
    form.get_by_label("Tồn tại, hạn chế").fill("Trang thông tin điện tử chậm so với kế hoạch.")
    form.get_by_test_id("report-save").click()
    expect(ward_page.locator(".flash-success")).to_have_text("Đã lưu dự thảo báo cáo quý III năm 2026.")
    form.get_by_label("Đề xuất, kiến nghị").fill("Đề nghị thành phố hỗ trợ kinh phí trang thông tin.")
    monkeypatch.setattr(services, "local_today", lambda: ON_TIME)
    monkeypatch.setattr(services, "utcnow", lambda: datetime(2026, 9, 16, 2, tzinfo=UTC))
    form.get_by_test_id("report-submit").click()
    expect(ward_page.locator(".flash-success")).to_have_text("Đã nộp báo cáo quý III năm 2026 (lần 1) lên cấp trên.")
    monkeypatch.undo()
    expect(ward_page.get_by_test_id("report-meta")).to_contain_text("Đã nộp")
    expect(ward_page.get_by_test_id("section-proposals")).to_have_text(
        "Đề nghị thành phố hỗ trợ kinh phí trang thông tin."
    )
    expect(ward_page.get_by_test_id("report-form")).to_have_count(0)
    assert _report_state(live_server, city.ward_id) == [(1, ReportState.SUBMITTED)]

    # The city's viewer, on a desktop: the ward on time, the other ward missing, the consolidated report.
    viewer = new_context({**DESKTOP, "accept_downloads": True}).new_page()
    log_in(viewer, city.city_viewer)
    viewer.goto("/reports/")
    viewer.get_by_test_id("reporting-link").click()
    picker = viewer.get_by_test_id("period-form")
    picker.get_by_label("Kỳ báo cáo").fill("2026-Q3")
    picker.get_by_role("button", name="Xem").click()
    expect(viewer.get_by_test_id("reporting-period")).to_contain_text("Quý III năm 2026")
    expect(viewer.get_by_test_id("rate-expected")).to_have_text("2")
    expect(viewer.get_by_test_id("rate-on-time")).to_have_text("1")
    expect(viewer.get_by_test_id("missing")).to_have_text(f"Chưa nộp: {city.missing}.")
    row = viewer.locator(f'tr[data-testid="subordinate-row"][data-unit-id="{city.ward_id}"]')
    expect(row.get_by_test_id("row-state")).to_contain_text("Đã nộp")
    expect(row.get_by_test_id("row-timeliness")).to_have_text("Đúng hạn")
    expect(row).to_contain_text("16/09/2026")
    consolidated = viewer.get_by_test_id("consolidated-table")
    expect(consolidated.get_by_test_id("consolidated-row")).to_have_count(1)
    expect(consolidated.get_by_test_id("consolidated-row")).to_contain_text(city.ward)
    expect(consolidated.get_by_test_id("consolidated-total")).to_contain_text("Tổng cộng (1 đơn vị đã nộp)")
    with viewer.expect_download() as info:
        viewer.get_by_test_id("reporting-download-docx").click()
    assert info.value.suggested_filename.endswith(".docx")
    with open(info.value.path(), "rb") as file:
        text = "\n".join(p.text for p in Document(io.BytesIO(file.read())).paragraphs)
    assert "BÁO CÁO" in text
    row.get_by_test_id("row-report").click()
    expect(viewer.get_by_test_id("report-title")).to_have_text("Báo cáo quý III năm 2026")
    expect(viewer.get_by_test_id("return-form")).to_have_count(0)  # a viewer reads, returns nothing

    # The city's manager returns it: without a reason first, then with one.
    manager = new_context(DESKTOP).new_page()
    log_in(manager, city.city_manager)
    manager.goto(viewer.url)
    back = manager.get_by_test_id("return-form")
    back.get_by_test_id("return-submit").click()
    expect(manager.get_by_test_id("return-form").locator(".error")).to_have_text("Hãy ghi lý do trả lại báo cáo.")
    back.get_by_label("Lý do trả lại").fill("Bổ sung số liệu điểm QR và tiến độ trang thông tin điện tử.")
    back.get_by_test_id("return-submit").click()
    expect(manager.locator(".flash-success")).to_contain_text("Đã trả lại báo cáo quý III năm 2026")
    expect(manager.get_by_test_id("return-reason")).to_contain_text("Bổ sung số liệu điểm QR")

    # The ward: its list says revision 2 is a draft; it reads why, edits, submits again (late now).
    ward_page.goto(f"/units/{city.ward_id}/reports")
    listed = ward_page.locator('tr[data-testid="report-row"][data-period="2026-Q3"]')
    expect(listed).to_contain_text("Dự thảo")
    listed.get_by_role("link").click()
    expect(ward_page.get_by_test_id("report-revision")).to_have_text("lần 2")
    expect(ward_page.get_by_test_id("previous-return")).to_contain_text("Bổ sung số liệu điểm QR")
    form = ward_page.get_by_test_id("report-form")
    expect(form.get_by_label("Kết quả đạt được")).to_have_value(
        "840 hộ gia đình dùng ví điện tử.\nCổng thông tin đang xây dựng."
    )
    form.get_by_label("Tồn tại, hạn chế").fill("Trang thông tin điện tử chậm; đã có 3 điểm QR đăng ký.")
    form.get_by_test_id("report-submit").click()
    expect(ward_page.locator(".flash-success")).to_have_text("Đã nộp báo cáo quý III năm 2026 (lần 2) lên cấp trên.")
    revisions = ward_page.get_by_test_id("revision-row")
    expect(revisions).to_have_count(2)
    expect(revisions.first).to_contain_text("Đã nộp")
    expect(revisions.last).to_contain_text("Bị trả lại")
    _no_horizontal_overflow(ward_page)
    assert _report_state(live_server, city.ward_id) == [(2, ReportState.SUBMITTED), (1, ReportState.RETURNED)]

    # The returned revision stays readable with its reason; the city's page counts revision 2, sent late.
    viewer.goto(f"/units/{city.city_id}/reporting?period=2026-Q3")
    expect(row.get_by_test_id("row-timeliness")).to_have_text("Trễ hạn")
    with live_server.app.app_context():
        first = db.session.scalar(select(Report.id).where(Report.unit_id == city.ward_id, Report.revision == 1))
        db.session.remove()
    viewer.goto(f"/reports/{first}")
    expect(viewer.get_by_test_id("return-reason")).to_contain_text("Bổ sung số liệu điểm QR")
    expect(viewer.get_by_test_id("not-latest")).to_be_visible()
