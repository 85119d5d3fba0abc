"""Figures kept for the day: a program's evaluated tasks and the program part of a unit's dashboard.

What is kept must be exactly what a fresh evaluation gives, and must never outlive the data behind it."""

from datetime import date, timedelta
from decimal import Decimal as D

import pytest
from sqlalchemy import delete, func, select, update

from tests.test_dashboards import Panel
from tracker.dashboards.models import DashboardFragment
from tracker.db import local_today
from tracker.extensions import db
from tracker.programs import figures, progress, services
from tracker.programs.models import Program, ProgramFigures
from tracker.programs.services import TaskFields

TODAY = local_today()


@pytest.fixture
def program(app, ward, users):
    program = services.create_program(ward, "Chương trình chuyển đổi số")
    member = users["member"]
    revenue = services.create_task(
        program,
        TaskFields(title="Thu ngân sách", measure_kind="amount", baseline=D(0), target=D("2.94"),
                   deadline=TODAY - timedelta(days=10), unit_label="tỷ đồng"),
    ).row  # fmt: skip
    services.add_update(revenue, member, D("4.03"), note="Báo cáo quý")
    parent = services.create_task(program, TaskFields(title="Hạ tầng số", deadline=TODAY + timedelta(days=3))).row
    for i, (target, value) in enumerate([(D(10), D(4)), (D(20), None)]):
        child = services.create_task(
            program,
            TaskFields(title=f"Việc con {i}", measure_kind="count", target=target, parent=parent,
                       deadline=TODAY + timedelta(days=3)),
        ).row  # fmt: skip
        if value is not None:
            services.add_update(child, member, value)
    services.create_task(
        program, TaskFields(title="Cổng thông tin", measure_kind="milestone", deadline=TODAY - timedelta(days=1))
    )
    db.session.commit()
    return program


@pytest.fixture
def page(app):
    """Evaluate as a page does: in a GET request, where SQLite reads in a deferred transaction."""
    with app.test_request_context("/"):
        yield


def _facts(state: progress.ProgramState) -> list[tuple]:
    return [
        (s.task.id, s.task.title, s.depth, s.value, s.progress, s.achievement, s.status, s.flags, s.completed_on,
         s.last_update, s.note, s.live, s.explain().value, s.explain().formula)
        for s in state.tasks
    ]  # fmt: skip


def test_kept_figures_are_exactly_a_fresh_evaluation(page, program):
    fresh = progress.evaluate([program], TODAY)[program.id]
    first = figures.evaluate([program], TODAY)[program.id]  # evaluates and keeps
    db.session.commit()
    kept_row = db.session.get(ProgramFigures, program.id)
    assert kept_row.day == TODAY and kept_row.payload
    kept = figures.evaluate([program], TODAY)[program.id]  # from the kept row
    assert kept.tasks[0].task is not first.tasks[0].task  # really read back, not the same objects
    assert _facts(kept) == _facts(fresh)
    assert (kept.progress.value, kept.completion.value, kept.on_time.value) == (
        fresh.progress.value,
        fresh.completion.value,
        fresh.on_time.value,
    )
    assert [(i.label, i.value, i.excluded) for i in kept.completion.items] == [
        (i.label, i.value, i.excluded) for i in fresh.completion.items
    ]


def test_an_update_moves_the_revision_in_the_same_transaction(page, program, users):
    figures.evaluate([program], TODAY)
    db.session.commit()
    before = db.session.get(ProgramFigures, program.id).seq
    task = program.tasks[0]
    services.add_update(task, users["member"], D("5"))
    db.session.rollback()  # a writer that gives up leaves the kept figures as they were
    assert db.session.get(ProgramFigures, program.id).seq == before
    services.add_update(task, users["member"], D("5"))
    db.session.commit()
    row = db.session.get(ProgramFigures, program.id)
    assert row.seq == before + 1 and row.day is None and row.payload is None
    state = figures.evaluate([program], TODAY)[program.id]
    assert state.by_id(task.id).value == D("5")


def test_a_reader_does_not_keep_what_a_writer_moved_meanwhile(page, program, monkeypatch):
    figures.evaluate([program], TODAY)
    db.session.commit()
    db.session.execute(update(ProgramFigures).values(day=None, payload=None))
    db.session.commit()
    real = progress.evaluate

    def evaluate_while_someone_writes(programs, today, graph=None):
        result = real(programs, today, graph)
        with db.engine.begin() as conn:  # another request commits a change in between
            conn.execute(update(ProgramFigures).values(seq=ProgramFigures.seq + 1))
        return result

    monkeypatch.setattr(progress, "evaluate", evaluate_while_someone_writes)
    figures.evaluate([program], TODAY)
    db.session.commit()
    assert db.session.get(ProgramFigures, program.id).payload is None  # not kept: it may be older than the write


def test_uncommitted_writes_are_never_kept(page, program, users):
    db.session.execute(delete(ProgramFigures))
    db.session.commit()
    services.add_update(program.tasks[0], users["member"], D("1"))  # flushed, not committed
    figures.evaluate([program], TODAY)
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(ProgramFigures)) == 0


def test_figures_are_for_one_day(page, program):
    figures.evaluate([program], TODAY)
    db.session.commit()
    tomorrow = TODAY + timedelta(days=30)
    later = figures.evaluate([program], tomorrow)[program.id]
    assert _facts(later) == _facts(progress.evaluate([program], tomorrow)[program.id])
    assert any(s.status.value == "overdue" for s in later.tasks)  # the sub-tasks' deadline has passed by then


def _dashboard(client, unit):
    page = client.get(f"/?unit_id={unit.id}")
    assert page.status_code == 200
    return page.get_data(as_text=True)


def test_the_dashboard_is_kept_and_moves_at_once_with_an_update(client, auth, ward, program, users):
    auth.login("manager")
    first = client.get(f"/?unit_id={ward.id}")
    kept = db.session.scalar(select(DashboardFragment).where(DashboardFragment.unit_id == ward.id))
    assert kept is not None and kept.day == TODAY
    # (100% revenue + sub-tasks (40% + 0%) ÷ 2 + milestone 0%) ÷ 3
    assert Panel(first, "own").text.startswith("Tiến độ chương trình của đơn vị 40%")
    assert "Số liệu chương trình tính lúc" in Panel(first, "computed-at").text
    child = next(t for t in program.tasks if t.title == "Việc con 1")
    response = client.post(f"/tasks/{child.id}/updates", data={"value": "20", "version": str(child.version)})
    assert response.status_code in (302, 303)
    # (100% + (40% + 100%) ÷ 2 + 0%) ÷ 3
    assert Panel(client.get(f"/?unit_id={ward.id}"), "own").text.startswith("Tiến độ chương trình của đơn vị 56,67%")


def test_a_unit_renamed_is_renamed_on_its_parents_kept_dashboard(client, auth, province, ward, program):
    auth.login("admin")
    assert "Phường Phổ Yên" in _dashboard(client, province)
    ward.name = "Phường Phổ Yên Mới"
    db.session.commit()
    assert "Phường Phổ Yên Mới" in _dashboard(client, province)


def test_an_archived_program_leaves_the_kept_dashboard(client, auth, ward, program):
    auth.login("admin")
    assert "Chương trình chuyển đổi số" in _dashboard(client, ward)
    db.session.execute(update(Program).where(Program.id == program.id).values(is_archived=True))  # not via ORM
    db.session.commit()
    # A bulk UPDATE bypasses the session hook; the fingerprint still sees the program leave the subtree.
    assert "Chương trình chuyển đổi số" not in _dashboard(client, ward)


@pytest.mark.parametrize("day", [date(2030, 1, 1)])
def test_a_day_change_computes_again(page, program, day):
    figures.evaluate([program], TODAY)
    db.session.commit()
    figures.evaluate([program], day)
    db.session.commit()
    assert db.session.get(ProgramFigures, program.id).day == day
