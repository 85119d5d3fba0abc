"""Online public services in a real Chromium: a manager on a phone finds a procedure from the dashboard, raises
it to toàn trình, and the live-linked services task moves at once (value, progress, a system update); a level
outside the list and records above the total are refused in place."""

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from uuid import uuid4

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from tests import factories
from tests.e2e.test_programs_flow import WARD_CODE, _no_horizontal_overflow, _ward_and_user
from tracker.db import local_today
from tracker.extensions import db
from tracker.public_services import services
from tracker.public_services.models import PublicService, ServicePeriod
from tracker.public_services.services import ServiceFields

pytestmark = pytest.mark.browser


@dataclass(frozen=True)
class Catalog:
    tag: str
    program_id: int
    task_id: int
    service_id: int  # at một phần: the one the manager raises
    code: str


def _make_catalog(app) -> Catalog:
    """A residential group of the ward (so no other test's procedures count) with a program whose task follows the
    toàn trình procedures, target 4; its catalog: two toàn trình, one một phần, one mức độ 2 → 2 / 4 = 50%."""
    tag = uuid4().hex[:8]
    with app.app_context():
        ward, _manager = _ward_and_user("manager")
        group = factories.create_unit(f"Tổ dân phố {tag}", "residential_group", parent=ward)
        program = factories.create_program(group, f"Kế hoạch cải cách hành chính {tag}")
        task = factories.create_task(
            program,
            f"Thủ tục cung cấp dịch vụ công trực tuyến toàn trình {tag}",
            source="services_full_online",
            target=Decimal(4),
            unit_label="thủ tục",
            deadline=local_today() + timedelta(days=90),
        )
        for code, name, field, level in (
            (f"1.001193.{tag}", "Thủ tục đăng ký khai sinh", "Hộ tịch", 4),
            (f"1.000656.{tag}", "Thủ tục đăng ký khai tử", "Hộ tịch", 4),
            (f"1.001022.{tag}", "Thủ tục đăng ký kết hôn", "Hộ tịch", 3),
            (f"2.000509.{tag}", "Thủ tục hòa giải tranh chấp đất đai", "Đất đai", 2),
        ):
            services.create_service(group, ServiceFields(code, name, field, level))
        db.session.commit()
        marriage = db.session.scalar(select(PublicService).where(PublicService.code == f"1.001022.{tag}"))
        catalog = Catalog(tag, program.id, task.id, marriage.id, marriage.code)
        db.session.remove()
    return catalog


def _task_value(page: Page, task_id: int) -> str:
    page.goto(f"/tasks/{task_id}")
    return page.get_by_test_id("task-value").inner_text()


def test_a_manager_raises_a_procedure_to_toan_trinh_and_the_task_moves(page, live_server, log_in):
    catalog = _make_catalog(live_server.app)
    log_in(page, "manager")
    assert _task_value(page, catalog.task_id) == "2 / 4 thủ tục"
    expect(page.get_by_test_id("task-progress").locator(".figure-value")).to_have_text("50%")

    # From the dashboard's services panel to the catalog, then to the procedure.
    page.goto("/")
    page.get_by_test_id("services-links").get_by_role("link", name="Danh mục thủ tục").click()
    expect(page).to_have_url(f"{live_server.url}/services/?unit={WARD_CODE}")
    page.get_by_label("Tìm theo mã, tên hoặc lĩnh vực").fill(catalog.tag)
    page.get_by_role("button", name="Tìm").click()
    rows = page.get_by_test_id("service-row")
    expect(rows).to_have_count(4)
    expect(rows.first.get_by_test_id("service-level")).to_have_text("Toàn trình · mức độ 4")
    _no_horizontal_overflow(page)
    page.get_by_role("link", name="Thủ tục đăng ký kết hôn").click()
    expect(page).to_have_url(f"{live_server.url}/services/{catalog.service_id}")
    expect(page.get_by_test_id("service-level").first).to_have_text("Một phần · mức độ 3")

    # One choice, one tap.
    page.get_by_label("Mức độ mới").select_option(label="Mức độ 4 — toàn trình")
    page.get_by_test_id("level-save").click()
    expect(page.locator(".flash").first).to_have_text(f"Đã chuyển thủ tục {catalog.code} sang Mức độ 4 — toàn trình.")
    expect(page.get_by_test_id("service-level").first).to_have_text("Toàn trình · mức độ 4")
    expect(page.get_by_test_id("service-online-since")).to_have_text("—")  # online (một phần) before: unknown since
    expect(page.get_by_test_id("history")).to_contain_text("(2)")
    _no_horizontal_overflow(page)

    # The task moved at once: 3 / 4 = 75%, with the system's update in its history.
    assert _task_value(page, catalog.task_id) == "3 / 4 thủ tục"
    expect(page.get_by_test_id("task-progress").locator(".figure-value")).to_have_text("75%")
    latest = page.get_by_test_id("updates").get_by_test_id("update-row").first
    expect(latest.get_by_test_id("update-author")).to_have_text("Hệ thống")
    expect(latest.get_by_test_id("update-value")).to_have_text("3 thủ tục")

    # And on the program page.
    page.get_by_test_id("task-program").click()
    row = page.locator(f'[data-testid="task-row"][data-task-id="{catalog.task_id}"]')
    expect(row.get_by_test_id("task-progress")).to_have_text("75%")


def test_records_above_the_total_are_refused_next_to_the_field(page, live_server, log_in):
    catalog = _make_catalog(live_server.app)
    log_in(page, "manager")
    page.goto(f"/services/{catalog.service_id}")
    form = page.get_by_test_id("period-form")
    form.get_by_label("Từ ngày").fill("01/01/2025")
    form.get_by_label("Đến ngày").fill("31/03/2025")
    form.get_by_label("Tổng số hồ sơ").fill("24")
    form.get_by_label("Hồ sơ trực tuyến").fill("30")
    with page.expect_response(lambda r: r.request.method == "POST" and r.url.endswith("/periods")) as posted:
        page.get_by_test_id("period-save").click()
    assert posted.value.status == 400
    error = page.locator('p.error[data-field="records_online"]')
    expect(error).to_have_text("Số hồ sơ trực tuyến (30) không được lớn hơn tổng số hồ sơ (24).")
    expect(form.get_by_label("Hồ sơ trực tuyến")).to_have_value("30")
    expect(page.get_by_test_id("period-empty")).to_be_visible()
    _no_horizontal_overflow(page)

    form = page.get_by_test_id("period-form")
    form.get_by_label("Hồ sơ trực tuyến").fill("11")
    form.get_by_test_id("period-save").click()
    expect(page.locator(".flash").first).to_have_text("Đã ghi số hồ sơ của kỳ.")
    expect(page.get_by_test_id("period-row")).to_have_count(1)
    expect(page.get_by_test_id("records-total")).to_have_text("11 / 24 (45,83%)")
    with live_server.app.app_context():
        stored = db.session.scalars(select(ServicePeriod).where(ServicePeriod.service_id == catalog.service_id)).all()
        assert [(p.records_total, p.records_online) for p in stored] == [(24, 11)]
        db.session.remove()
