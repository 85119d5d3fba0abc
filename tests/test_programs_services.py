"""Program, task and update services, and the evaluation that reads them."""

from datetime import UTC, date, datetime
from decimal import Decimal as D

import pytest
from sqlalchemy import func, select

from tests import factories
from tracker.errors import StaleVersion, ValidationError
from tracker.extensions import db
from tracker.programs import services
from tracker.programs.models import TaskUpdate
from tracker.programs.progress import evaluate_program, evaluate_task
from tracker.programs.rules import Status
from tracker.programs.services import TaskFields
from tracker.programs.summary import summarize_unit


@pytest.fixture
def program(app, ward):
    return services.create_program(
        ward, "Chương trình chuyển đổi số", starts_on=date(2025, 1, 1), ends_on=date(2025, 12, 31)
    )


def _task(program, title="Thu ngân sách", **fields):
    defaults = {"measure_kind": "amount", "target": D("2.94"), "unit_label": "tỷ đồng", "deadline": date(2025, 6, 30)}
    return services.create_task(program, TaskFields(title=title, **{**defaults, **fields})).row


def _at(day):
    return datetime(day.year, day.month, day.day, 9, tzinfo=UTC)


def test_budget_revenue_reaches_137_percent(program, users):
    task = _task(program)
    services.add_update(task, users["manager"], D("4.03"), note="Quyết toán", at=_at(date(2025, 6, 1)))
    state = evaluate_task(task, today=date(2025, 7, 1))
    assert state.value == D("4.03")
    assert round(state.achievement * 100, 2) == D("137.07")
    assert state.progress == 1
    assert state.status == Status.DONE_ON_TIME
    assert state.completed_on == date(2025, 6, 1)


def test_sub_tasks_roll_up_by_weight_and_skip_cancelled(program, users):
    parent = _task(program, "Chỉ tiêu tổng hợp", measure_kind="count", target=D(10))
    a = _task(program, "Con A", measure_kind="count", target=D(10), parent=parent, weight=D(1))
    b = _task(program, "Con B", measure_kind="count", target=D(10), parent=parent, weight=D(3))
    c = _task(program, "Con C", measure_kind="count", target=D(10), parent=parent)
    services.add_update(a, users["manager"], D(10), at=_at(date(2025, 2, 1)))
    services.add_update(b, users["manager"], D(5), at=_at(date(2025, 2, 1)))
    services.set_lifecycle(c, "cancelled", "Không còn phù hợp", expected_version=c.version)
    state = evaluate_task(parent, today=date(2025, 3, 1))
    assert state.progress == (D(1) * 1 + D("0.5") * 3) / 4
    assert [i.label for i in state.rollup.excluded] == ["Con C"]
    program_state = evaluate_program(program, today=date(2025, 3, 1))
    assert program_state.progress.value == state.progress


def test_update_rules(program, users):
    task = _task(program, measure_kind="count", target=D(600))
    with pytest.raises(ValidationError) as negative:
        services.add_update(task, users["manager"], D(-5))
    assert "value" in negative.value.fields
    with pytest.raises(ValidationError):
        services.add_update(task, users["manager"], D(10) ** 15)
    services.set_lifecycle(task, "cancelled", "Bỏ", expected_version=task.version)
    with pytest.raises(ValidationError) as cancelled:
        services.add_update(task, users["manager"], D(5))
    assert "hủy" in cancelled.value.fields["value"]
    live = _task(program, "600 điểm QR", measure_kind="count", target=D(600), source="sites_registered")
    with pytest.raises(ValidationError) as typed:
        services.add_update(live, users["manager"], D(5))
    assert "tự động" in typed.value.fields["value"]


def test_stale_version_is_refused_and_nothing_written(program, users):
    task = _task(program)
    opened_at = task.version
    services.add_update(task, users["manager"], D(1), expected_version=opened_at)
    with pytest.raises(StaleVersion):
        services.add_update(task, users["member"], D(2), expected_version=opened_at)
    with pytest.raises(StaleVersion):
        services.update_task(task, TaskFields(title="Sửa"), expected_version=opened_at)
    assert db.session.scalar(select(func.count(TaskUpdate.id))) == 1


def test_sub_task_cycle_is_refused(program):
    parent = _task(program, "Cha")
    child = _task(program, "Con", parent=parent)
    grandchild = _task(program, "Cháu", parent=child)
    with pytest.raises(ValidationError) as cycle:
        services.update_task(parent, TaskFields(title="Cha", parent=grandchild), expected_version=parent.version)
    assert "parent" in cycle.value.fields


def test_deadline_outside_the_period_warns_but_saves(program):
    saved = services.create_task(program, TaskFields(title="Muộn", deadline=date(2026, 3, 1), target=D(1)))
    assert saved.row.id and saved.warnings


def test_measure_checks(program):
    with pytest.raises(ValidationError) as bad:
        services.create_task(
            program, TaskFields(title="Giảm nghèo", measure_kind="decrease", baseline=D("1.5"), target=D(2))
        )
    assert "target" in bad.value.fields
    same = services.create_task(program, TaskFields(title="Giữ nguyên", baseline=D(5), target=D(5))).row
    assert evaluate_task(same).progress == 0  # no division by zero


def test_members_update_only_what_they_own(program, users):
    mine = _task(program, "Của tôi", owner_user=users["member"])
    theirs = _task(program, "Của người khác")
    assert services.may_update(users["member"], mine)
    assert not services.may_update(users["member"], theirs)
    assert services.may_update(users["manager"], theirs)
    assert not services.may_update(users["viewer"], mine)


def test_unit_summary_ranks_communes_once_each(app, province, users):
    other = factories.create_unit("Phường Bắc Kạn", "ward", parent=province, code="01843")
    old = factories.create_unit("Phường Phùng Chí Kiên", "ward", parent=province)
    old.merged_into = other
    for unit, value in ((users["manager"].unit, D(10)), (old, D(5))):
        program = services.create_program(unit, f"Chương trình {unit.name}")
        task = _task(program, measure_kind="count", target=D(10))
        services.add_update(task, users["manager"], value, at=_at(date(2025, 2, 1)))
    summary = summarize_unit(province.id, today=date(2025, 3, 1))
    assert [row.name for row in summary.children] == ["Phường Phổ Yên", "Phường Bắc Kạn"]
    assert summary.overall.value == D("0.75")
    assert summary.children[1].programs == 1  # the merged ward's program counts under its successor


def test_a_board_member_can_own_a_task(program, ward, province):
    from tracker.boards.models import Board, Membership

    board = Board(unit=ward, kind="steering_board", name="Ban chỉ đạo", target_size=27)
    seat = Membership(board=board, person_name="Nguyễn Văn A", role="head", starts_on=date(2025, 1, 1))
    elsewhere = Board(unit=factories.create_unit("Phường Bắc Kạn", "ward", parent=province), kind="other", name="Khác")
    stranger = Membership(board=elsewhere, person_name="Trần Thị B", role="member", starts_on=date(2025, 1, 1))
    db.session.add_all([board, seat, elsewhere, stranger])
    db.session.flush()
    task = _task(program, owner_member=seat)
    assert task.owner_member_id == seat.id
    with pytest.raises(ValidationError) as outside:
        _task(program, "Khác", owner_member=stranger)
    assert "owner_member" in outside.value.fields


def test_a_parent_task_keeps_its_stored_measure_and_takes_no_value(program, users):
    """The rule lives in the service, so the form, the API and any import meet it alike (DESIGN §2.6)."""
    parent = _task(program, "Tạo điểm QR", measure_kind="count", target=D(600), unit_label="điểm")
    _task(program, "Điểm QR trường học", measure_kind="count", target=D(40), parent=parent)
    kept = {"title": "Tạo điểm QR", "measure_kind": "count", "baseline": D(0), "target": D(600), "unit_label": "điểm"}

    def edit(**changes):
        return services.update_task(parent, TaskFields(**kept | changes), expected_version=None)

    for changes, field in (
        ({"target": D(700)}, "target"),
        ({"target": None}, "target"),
        ({"baseline": D(10)}, "baseline"),
        ({"measure_kind": "milestone"}, "measure_kind"),
        ({"source": "sites_registered"}, "source"),
    ):
        with pytest.raises(ValidationError) as refused:
            edit(**changes)
        assert list(refused.value.fields) == [field], changes
        assert refused.value.fields[field].startswith("Nhiệm vụ có nhiệm vụ con: tiến độ tính từ các nhiệm vụ con")
        assert (parent.target, parent.baseline, parent.measure_kind, parent.source) == (600, 0, "count", "manual")

    edit(title="Tạo điểm QR trên địa bàn", weight=D(2), target=D("600.0000"))  # the stored measure, as stored
    assert (parent.title, parent.weight, parent.target) == ("Tạo điểm QR trên địa bàn", 2, 600)

    with pytest.raises(ValidationError) as typed:
        services.add_update(parent, users["manager"], D(5))
    assert list(typed.value.fields) == ["value"] and "nhiệm vụ con" in typed.value.fields["value"]
    assert db.session.scalar(select(func.count(TaskUpdate.id))) == 0
