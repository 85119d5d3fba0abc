"""Figures as of a past day (DESIGN §9): the same rules, read for that day — each task's latest update dated on or
before it, its status and flags for it, live-linked tasks from their recorded history, never today's registries."""

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from tracker.db import local_day
from tracker.extensions import db
from tracker.models import Program, TaskUpdate, Unit
from tracker.programs.progress import evaluate_program
from tracker.programs.rules import Flag, Status
from tracker.programs.summary import summarize_unit

END_OF_2021 = date(2021, 12, 31)


@pytest.fixture
def bai_bong_program(runner, app):
    assert runner.invoke(args=["demo"]).exit_code == 0
    bai_bong = db.session.scalar(select(Unit).where(Unit.name == "Phường Bãi Bông"))
    return db.session.scalar(select(Program).where(Program.unit_id == bai_bong.id, Program.starts_on.is_not(None)))


def _by_position(state):
    return {s.task.position: s for s in state.tasks}


def test_bai_bong_program_as_of_the_end_of_2021_against_today(bai_bong_program):
    then = evaluate_program(bai_bong_program, END_OF_2021)
    now = evaluate_program(bai_bong_program)
    assert not then.ended and now.ended  # current then; ended (31/12/2025) today, with its final figures
    t, n = _by_position(then), _by_position(now)

    # The Ban chỉ đạo had 26 of its 27 members from decision 63-QĐ/ĐU (13/12/2021): due that very day, in progress
    # and flagged then; overdue in its final figures. The Tổ giúp việc was complete on 31/12/2021.
    assert (t[3].value, t[3].status, t[3].flags) == (Decimal(26), Status.IN_PROGRESS, [Flag.DUE_SOON])
    assert n[3].status == Status.OVERDUE
    assert (t[4].value, t[4].status, t[4].completed_on) == (Decimal(14), Status.DONE_ON_TIME, END_OF_2021)
    # No procedure was online before 2022: the services task had no value then, whatever the registry says today.
    assert t[2].value is None and n[2].value == Decimal(10)
    # Budget revenue was reported on 31/12/2022: nothing yet at the end of 2021, 137 % of plan today.
    assert t[7].value is None and t[7].status == Status.IN_PROGRESS and Flag.NOT_STARTED in t[7].flags
    assert n[7].value == Decimal("4.03") and round(n[7].achievement * 100) == 137
    # The website milestone was due 31/03/2022 and done 01/03/2022: in progress then (due later), done today.
    assert t[5].status == Status.IN_PROGRESS and n[5].status == Status.DONE_ON_TIME
    assert then.progress.value < now.progress.value
    # The due-task completion is read for its own day: at the end of 2021 only the Ban chỉ đạo was due.
    assert [i.label for i in then.completion.included] == [t[3].task.title] and then.completion.value == 0
    assert now.completion.value == Decimal(4) / Decimal(7)


def test_every_value_is_the_latest_update_dated_on_or_before_the_day(bai_bong_program):
    updates = db.session.scalars(
        select(TaskUpdate)
        .where(TaskUpdate.task_id.in_([t.id for t in bai_bong_program.tasks]))
        .order_by(TaskUpdate.at, TaskUpdate.id)
    ).all()
    for day in (date(2021, 6, 30), END_OF_2021, date(2022, 6, 30), date(2023, 1, 1)):
        state = evaluate_program(bai_bong_program, day)
        for task_state in state.tasks:
            dated = [u.value for u in updates if u.task_id == task_state.task.id and local_day(u.at) <= day]
            # A live-linked task too: its recorded system updates, not today's count of the registry.
            assert task_state.value == (dated[-1] if dated else None), (day, task_state.task.title)


def test_a_unit_as_of_a_past_day_counts_the_program_that_was_current_then(app, bai_bong_program):
    db.session.commit()
    with app.test_request_context("/"):  # as the dashboard reads
        then = summarize_unit(bai_bong_program.unit_id, END_OF_2021)
        now = summarize_unit(bai_bong_program.unit_id)
    assert bai_bong_program.id in [ps.program.id for ps in then.all_programs]
    assert bai_bong_program.id not in [ps.program.id for ps in now.all_programs]
    assert bai_bong_program.id in [ps.program.id for ps in now.ended]
