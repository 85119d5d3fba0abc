"""Boards in a real Chromium: on the demo's Phổ Yên steering board (26 of 27 seats; the ward formed it after the 2025
merger), its manager adds the 27th member on a phone, and the live-linked "board formed" task turns complete at once."""

from dataclasses import dataclass
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from tests.e2e.test_programs_flow import _no_horizontal_overflow
from tracker.boards import services
from tracker.boards.models import Board
from tracker.db import local_today
from tracker.demo import build_demo
from tracker.extensions import db
from tracker.programs.models import Task
from tracker.programs.progress import evaluate_task

pytestmark = pytest.mark.browser

BOARD = "Ban chỉ đạo chuyển đổi số phường Phổ Yên"
TASK = "Kiện toàn Ban chỉ đạo chuyển đổi số phường đủ 27 thành viên"


@dataclass(frozen=True)
class DemoBoard:
    board_id: int
    task_id: int
    program_id: int


@pytest.fixture
def demo_board(live_server) -> DemoBoard:
    """The demo's own builder on the live database (it reuses the seeded province and ward by their codes)."""
    with live_server.app.app_context():
        build_demo()
        db.session.commit()
        board = db.session.scalars(select(Board).where(Board.name == BOARD)).one()
        task = db.session.scalars(select(Task).where(Task.title == TASK)).one()
        assert len(services.members(board, "current", local_today())) == 26
        assert evaluate_task(task).value == 26
        found = DemoBoard(board.id, task.id, task.program_id)
        db.session.remove()
    return found


def test_a_manager_adds_the_27th_member_and_the_board_task_completes(page, live_server, log_in, demo_board):
    log_in(page, "manager")

    # From the ward's dashboard to the board through the staffing panel.
    panel = page.get_by_test_id("boards-panel")
    expect(panel.locator(f'tr[data-board-id="{demo_board.board_id}"]')).to_contain_text("26 / 27")
    panel.get_by_role("link", name=BOARD, exact=True).click()
    expect(page).to_have_url(f"{live_server.url}/boards/{demo_board.board_id}")
    expect(page.get_by_test_id("current-count")).to_have_text("26")
    expect(page.get_by_test_id("target-size")).to_have_text("27")
    expect(page.get_by_test_id("staffing-note")).to_have_text("Còn thiếu 1 thành viên.")
    groups = page.get_by_test_id("role-group")
    expect(groups.first).to_have_attribute("data-role", "head")  # Trưởng ban first
    _no_horizontal_overflow(page)

    # The 27th member, appointed by the board's own decision two days ago.
    page.get_by_test_id("member-add").click()
    form = page.get_by_test_id("member-form")
    form.get_by_label("Họ và tên").fill("Trần Thị Z")
    form.get_by_label("Chức vụ").fill("Chủ tịch Hội Liên hiệp Phụ nữ phường")
    form.get_by_label("Vai trò trong Ban").select_option("member")
    start = local_today() - timedelta(days=2)
    form.get_by_label("Ngày bắt đầu").fill(f"{start:%d/%m/%Y}")
    form.get_by_label("Quyết định phân công").fill("12-QĐ/ĐU")
    _no_horizontal_overflow(page)
    form.get_by_test_id("member-save").click()

    expect(page).to_have_url(f"{live_server.url}/boards/{demo_board.board_id}")
    expect(page.locator(".flash-success")).to_have_text(f"Đã thêm Trần Thị Z vào {BOARD}.")
    expect(page.get_by_test_id("current-count")).to_have_text("27")
    expect(page.get_by_test_id("staffing-note")).to_have_text("Đã đủ thành viên theo kế hoạch.")
    row = page.get_by_test_id("current-members").get_by_test_id("member-row").filter(has_text="Trần Thị Z")
    expect(row.get_by_test_id("member-position")).to_have_text("Chủ tịch Hội Liên hiệp Phụ nữ phường")

    # The linked task moved in the same save: 27 / 27, 100 %, done — late, since its deadline was 30/09/2025.
    page.get_by_test_id("linked-task").click()
    expect(page).to_have_url(f"{live_server.url}/tasks/{demo_board.task_id}")
    expect(page.get_by_test_id("task-value")).to_have_text("27 / 27 người")
    expect(page.get_by_test_id("task-progress").locator(".figure-value")).to_have_text("100%")
    status = page.get_by_test_id("task-status").locator("[data-status]")
    expect(status).to_have_attribute("data-status", "done_late")
    expect(status).to_have_text("Hoàn thành quá hạn")
    latest = page.get_by_test_id("updates").get_by_test_id("update-row").first
    expect(latest.get_by_test_id("update-author")).to_have_text("Hệ thống")
    expect(latest).to_contain_text("27")
    _no_horizontal_overflow(page)

    page.get_by_test_id("task-program").click()
    expect(page).to_have_url(f"{live_server.url}/programs/{demo_board.program_id}")
    task_row = page.locator(f'[data-testid="task-row"][data-task-id="{demo_board.task_id}"]')
    expect(task_row.get_by_test_id("task-progress")).to_have_text("100%")
    expect(task_row.locator("[data-status]")).to_have_attribute("data-status", "done_late")
