"""Programs in a real Chromium: a member records a value on a phone and sees every figure move, a manager
builds a program with a task and a sub-task through the forms, and a wrong number is refused in place."""

import re
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from uuid import uuid4

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import func, select

from tests import factories
from tests.e2e.conftest import DESKTOP, WARD
from tracker.auth.models import User
from tracker.db import local_today
from tracker.extensions import db
from tracker.programs.models import Task, TaskUpdate
from tracker.units.models import Unit

pytestmark = pytest.mark.browser

WARD_CODE = "05860"  # the ward's official code, as seeded by conftest._seed


def _tag() -> str:
    """A suffix that keeps this test's rows apart from every other row of the shared live database."""
    return uuid4().hex[:8]


def _percent(text: str) -> Decimal:
    """'46,67%' → Decimal('46.67'), read the way the screens write it."""
    match = re.search(r"(-?[\d.]+(?:,\d+)?)\s*%", text)
    assert match, f"no percentage in {text!r}"
    return Decimal(match.group(1).replace(".", "").replace(",", "."))


def _figure_value(page: Page, testid: str) -> Decimal:
    value = page.get_by_test_id(testid).locator(".figure-value").first
    expect(value).to_have_text(re.compile(r"%"))
    return _percent(value.inner_text())


def _no_horizontal_overflow(page: Page) -> None:
    """Nothing wider than the phone. Measured against the configured viewport, not window.innerWidth: with
    is_mobile Chromium zooms a too-wide page out and innerWidth grows with it (908 for a 900px box), so
    `scrollWidth <= innerWidth` would always hold."""
    width = page.viewport_size["width"] if page.viewport_size else 0
    scroll, inner = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert scroll <= width + 1 and inner <= width + 1, f"sideways scroll: scrollWidth {scroll}, innerWidth {inner}"


@dataclass(frozen=True)
class UpdateFlow:
    program_id: int
    task_id: int
    title: str


def _ward_and_user(username: str) -> tuple[Unit, User]:
    ward = db.session.scalar(select(Unit).where(Unit.code == WARD_CODE))
    user = db.session.scalar(select(User).where(User.username == username))
    assert ward is not None and ward.name == WARD and user is not None
    return ward, user


def _make_update_flow(app) -> UpdateFlow:
    """A ward program of three top-level tasks, equal weights: the member's amount task (0 → target 2,94 tỷ đồng,
    due in 5 days, so the dashboard lists it as due soon), a milestone already done (100%) and a count at 4/10
    (40%). Program progress: (0 + 1 + 0,4) / 3 = 46,67% before, (1 + 1 + 0,4) / 3 = 80% once 4,03 is typed."""
    tag = _tag()
    today = local_today()
    with app.app_context():
        ward, member = _ward_and_user("member")
        _ward, manager = _ward_and_user("manager")
        # Dated from this month: the dashboard lists programs newest start first, so its card stays in view.
        program = factories.create_program(
            ward,
            f"Chương trình thu ngân sách {tag}",
            starts_on=today - timedelta(days=30),
            ends_on=today + timedelta(days=335),
        )
        task = factories.create_task(
            program,
            f"Thu ngân sách nhà nước {tag}",
            owner_user=member,
            measure_kind="amount",
            target=Decimal("2.94"),
            unit_label="tỷ đồng",
            deadline=today + timedelta(days=5),
        )
        done = factories.create_task(
            program, f"Ban hành kế hoạch {tag}", measure_kind="milestone", deadline=today + timedelta(days=30)
        )
        factories.create_task_update(done, manager, "1", note="Đã ban hành")
        partial = factories.create_task(
            program, f"Điểm QR đã gắn {tag}", target=Decimal(10), deadline=today + timedelta(days=90)
        )
        factories.create_task_update(partial, manager, "4")
        db.session.commit()
        flow = UpdateFlow(program.id, task.id, task.title)
        db.session.remove()
    return flow


def test_member_records_a_value_on_a_phone_and_the_figures_move(page, live_server, log_in):
    flow = _make_update_flow(live_server.app)
    log_in(page, "member")

    # The dashboard: note the overall figure, then reach the task from the "due soon" list in one tap.
    expect(page.get_by_test_id("dashboard-title")).to_contain_text(WARD)
    overall_before = _figure_value(page, "overall")
    card = page.get_by_test_id("programs").locator(f'li.program-card[data-program-id="{flow.program_id}"]')
    program_before = _percent(card.locator(".figure-value").inner_text())
    assert program_before == Decimal("46.67")
    row = page.get_by_test_id("due-soon").locator(f'tr[data-task-id="{flow.task_id}"]')
    row.get_by_role("link", name=flow.title).click()
    expect(page).to_have_url(f"{live_server.url}/tasks/{flow.task_id}")

    expect(page.get_by_test_id("task-title")).to_have_text(flow.title)
    expect(page.get_by_test_id("task-status").locator("[data-status]")).to_have_text("Đang thực hiện trong hạn")
    expect(page.get_by_test_id("updates").get_by_test_id("update-row")).to_have_count(0)
    _no_horizontal_overflow(page)

    # The form is on the task page: type the value the Vietnamese way, a note, one tap to save.
    note = f"Số liệu Kho bạc tháng này {_tag()}"
    page.get_by_label("Giá trị mới").fill("4,03")
    page.get_by_label("Ghi chú").fill(note)
    page.get_by_test_id("update-submit").click()

    expect(page.locator(".flash").first).to_contain_text("Đã cập nhật tiến độ")
    expect(page).to_have_url(f"{live_server.url}/tasks/{flow.task_id}")
    figures = page.get_by_test_id("task-figures")
    expect(figures.get_by_test_id("task-value")).to_have_text("4,03 / 2,94 tỷ đồng")
    expect(figures.get_by_test_id("achievement")).to_have_text("đạt 137,07%")
    timeline = page.get_by_test_id("updates").get_by_test_id("update-row")
    expect(timeline).to_have_count(1)
    expect(timeline.first.get_by_test_id("update-value")).to_have_text("4,03 tỷ đồng")
    expect(timeline.first).to_contain_text(note)
    expect(timeline.first.get_by_test_id("update-author")).to_have_text("Member")
    status = page.get_by_test_id("task-status").locator("[data-status]")
    expect(status).to_have_text("Hoàn thành đúng hạn")
    expect(status).to_have_attribute("data-status", "done_on_time")
    _no_horizontal_overflow(page)

    # The program page, through the breadcrumb: 46,67% → 80%.
    page.get_by_test_id("task-program").click()
    expect(page).to_have_url(f"{live_server.url}/programs/{flow.program_id}")
    program_after = _figure_value(page, "program-progress")
    assert (program_before, program_after) == (Decimal("46.67"), Decimal("80"))
    task_row = page.locator(f'[data-testid="task-row"][data-task-id="{flow.task_id}"]')
    expect(task_row.get_by_test_id("task-progress")).to_have_text("100%")
    _no_horizontal_overflow(page)

    # The dashboard again: the program's card and the overall figure moved up too.
    page.goto("/")
    expect(card.locator(".figure-value")).to_have_text("80%")
    overall_after = _figure_value(page, "overall")
    assert overall_after > overall_before, (overall_before, overall_after)
    _no_horizontal_overflow(page)


def test_manager_builds_a_program_with_a_task_and_a_sub_task(new_context, live_server, log_in):
    page = new_context(DESKTOP).new_page()
    tag = _tag()
    log_in(page, "manager")

    page.goto("/programs/new")
    form = page.get_by_test_id("program-form")
    unit = form.get_by_label("Đơn vị", exact=True)
    expect(unit).to_have_value(WARD_CODE)  # prefilled with the manager's own ward
    unit.fill(WARD_CODE)
    title = f"Kế hoạch chuyển đổi số {tag}"
    form.get_by_label("Tên chương trình, kế hoạch").fill(title)
    form.get_by_label("Bắt đầu").fill("01/01/2025")
    form.get_by_label("Kết thúc").fill("31/12/2030")
    form.get_by_role("button", name="Lưu").click()

    expect(page.get_by_test_id("program-title")).to_have_text(title)
    expect(page).to_have_url(re.compile(r"/programs/\d+$"))
    program_url = page.url
    expect(page.get_by_test_id("program-unit")).to_have_text(WARD)
    expect(page.get_by_test_id("program-meta")).to_contain_text("01/01/2025 – 31/12/2030")
    expect(page.get_by_test_id("task-empty")).to_be_visible()

    # A task with a target and a deadline.
    page.get_by_test_id("task-create").click()
    parent_title = f"Gắn mã QR cho điểm dịch vụ {tag}"
    _fill_task(page, parent_title, target="600", unit_label="điểm", deadline="30/06/2030")
    expect(page.get_by_test_id("task-title")).to_have_text(parent_title)
    parent_id = int(page.url.rstrip("/").rsplit("/", 1)[1])

    # A sub-task through the program tree's "+ nhiệm vụ con" link, which preselects the parent.
    page.goto(program_url)
    parent_row = page.locator(f'[data-testid="task-row"][data-task-id="{parent_id}"]')
    parent_row.get_by_test_id("subtask-create").click()
    expect(page).to_have_url(re.compile(rf"/tasks/new\?parent={parent_id}$"))
    expect(page.get_by_label("Thuộc nhiệm vụ")).to_have_value(str(parent_id))
    child_title = f"Gắn mã QR tại chợ {tag}"
    _fill_task(page, child_title, target="120,5", unit_label="điểm", deadline="31/03/2030")
    expect(page.get_by_test_id("task-title")).to_have_text(child_title)
    expect(page.get_by_test_id("task-parent")).to_have_text(parent_title)
    child_id = int(page.url.rstrip("/").rsplit("/", 1)[1])

    # The tree: the sub-task right after its parent, one level deeper and indented further.
    page.goto(program_url)
    rows = page.get_by_test_id("task-tree").get_by_test_id("task-row")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_have_attribute("data-task-id", str(parent_id))
    expect(rows.nth(0)).to_have_attribute("data-depth", "0")
    expect(rows.nth(1)).to_have_attribute("data-task-id", str(child_id))
    expect(rows.nth(1)).to_have_attribute("data-depth", "1")
    expect(rows.nth(0)).to_contain_text("tính từ 1 nhiệm vụ con")
    expect(rows.nth(1).get_by_test_id("task-value")).to_have_text("— / 120,5 điểm")
    parent_box, child_box = rows.nth(0).bounding_box(), rows.nth(1).bounding_box()
    assert parent_box and child_box and child_box["x"] > parent_box["x"] + 10, (parent_box, child_box)
    assert child_box["y"] > parent_box["y"]

    # Figures expand to their formula.
    progress = page.get_by_test_id("program-progress")
    formula = progress.locator(".formula")
    expect(formula).to_be_hidden()
    progress.locator("summary").click()
    expect(formula).to_be_visible()
    expect(formula).to_contain_text("Cách tính:")
    expect(formula).to_contain_text("trung bình có trọng số tiến độ các nhiệm vụ cấp cao nhất")
    expect(progress.locator(".figure-items")).to_contain_text(parent_title)


def _fill_task(page: Page, title: str, *, target: str, unit_label: str, deadline: str) -> None:
    form = page.get_by_test_id("task-form")
    form.get_by_label("Tên nhiệm vụ, chỉ tiêu").fill(title)
    form.get_by_label("Rõ thời gian: thời hạn").fill(deadline)
    form.get_by_label("Cách đo").select_option("count")
    form.get_by_label("Chỉ tiêu", exact=True).fill(target)
    form.get_by_label("Đơn vị tính").fill(unit_label)
    form.get_by_role("button", name="Lưu").click()
    expect(page.locator(".flash").first).to_contain_text("Đã thêm nhiệm vụ")


def test_a_value_that_is_not_a_number_is_refused_next_to_the_field(page, live_server, log_in):
    tag = _tag()
    with live_server.app.app_context():
        ward, member = _ward_and_user("member")
        program = factories.create_program(ward, f"Chương trình nhập sai {tag}")
        task = factories.create_task(
            program,
            f"Số hồ sơ trực tuyến {tag}",
            owner_user=member,
            target=Decimal(500),
            unit_label="hồ sơ",
            deadline=local_today() + timedelta(days=60),
        )
        factories.create_task_update(task, member, "120", note="Lần đầu")
        db.session.commit()
        task_id = task.id
        db.session.remove()

    log_in(page, "member")
    page.goto(f"/tasks/{task_id}")
    timeline = page.get_by_test_id("updates").get_by_test_id("update-row")
    expect(timeline).to_have_count(1)

    value = page.get_by_label("Giá trị mới")
    value.fill("abc")
    page.get_by_label("Ghi chú").fill("Không được lưu")
    with page.expect_response(lambda r: r.request.method == "POST" and r.url.endswith("/updates")) as posted:
        page.get_by_test_id("update-submit").click()
    assert posted.value.status == 400

    error = page.locator('.field.has-error p.error[data-field="value"]')
    expect(error).to_have_text(
        "“abc” không phải là số: hãy viết như 4,03 hoặc 1.234,5 (dấu “,” ngăn phần thập phân, dấu “.” ngăn hàng nghìn)."
    )
    expect(value).to_have_attribute("aria-invalid", "true")
    expect(error).to_have_attribute("id", "value-error")
    expect(value).to_have_attribute("aria-describedby", "value-error")
    expect(value).to_have_value("abc")  # what was typed stays, to be corrected
    expect(page.get_by_label("Ghi chú")).to_have_value("Không được lưu")
    expect(timeline).to_have_count(1)
    expect(page.get_by_test_id("updates").locator("h2")).to_have_text("Các lần cập nhật (1)")
    expect(page.get_by_test_id("task-value")).to_have_text("120 / 500 hồ sơ")
    _no_horizontal_overflow(page)
    with live_server.app.app_context():
        count = db.session.scalar(select(func.count(TaskUpdate.id)).where(TaskUpdate.task_id == task_id))
        assert db.session.get(Task, task_id) is not None
        db.session.remove()
    assert count == 1
