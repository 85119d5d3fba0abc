"""Evaluating programs and units: every task's value, progress, status and flags, and the explainable
roll-ups task → program → unit (DESIGN §2.4–2.6). A fixed handful of queries, whatever the size."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from functools import cached_property

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from tracker.db import local_day, local_today
from tracker.extensions import db
from tracker.programs import rules
from tracker.programs.live import live_values
from tracker.programs.models import Program, Task, TaskSource, TaskUpdate
from tracker.programs.rules import Figure, Flag, Item, Point, Status
from tracker.units.services import UnitGraph


@dataclass
class TaskState:
    """A task as it stands today, derived from its updates (or its registry, for a live-linked task)."""

    task: Task
    value: Decimal | None
    progress: Decimal
    achievement: Decimal | None
    status: Status
    flags: list[Flag]
    completed_on: date | None
    points: list[Point]
    live: bool
    note: str = ""  # the latest update's note
    depth: int = 0
    children: list["TaskState"] = field(default_factory=list)
    rollup: Figure | None = None  # a task with sub-tasks: how its progress was computed

    @property
    def last_update(self) -> date | None:
        return self.points[-1].on if self.points else None

    @property
    def counts(self) -> bool:
        return self.status.counts

    def explain(self) -> Figure:
        """The formula behind this task's percentage."""
        if self.rollup is not None:
            return self.rollup
        t = self.task
        if self.value is None:
            formula = _("chưa có số liệu: tiến độ 0%")
        elif t.measure_kind == "milestone":
            formula = _("mốc công việc: giá trị cập nhật là tỷ lệ hoàn thành (1 = xong)")
        elif t.target is None:
            formula = _("chưa có chỉ tiêu: tiến độ 0%")
        else:
            formula = _(
                "(giá trị − giá trị ban đầu) ÷ (chỉ tiêu − giá trị ban đầu) = (%(v)s − %(b)s) ÷ (%(t)s − %(b)s), "
                "giới hạn trong 0–100%%",
                v=_plain(self.value),
                b=_plain(t.baseline),
                t=_plain(t.target),
            )
        return Figure(self.progress, formula, [Item(t.title, self.progress)])

    def explain_achievement(self) -> Figure | None:
        """Tỷ lệ đạt kế hoạch with the division behind it (None for milestones or without a value)."""
        t = self.task
        if self.achievement is None or t.measure_kind == "milestone":
            return None
        parts = {"v": _plain(self.value), "t": _plain(t.target), "u": t.unit_label}
        if t.measure_kind == "decrease":
            formula = _("chỉ tiêu giảm, càng thấp càng tốt: chỉ tiêu ÷ giá trị = %(t)s ÷ %(v)s %(u)s", **parts)
        else:
            formula = _("giá trị ÷ chỉ tiêu = %(v)s ÷ %(t)s %(u)s, không giới hạn ở 100%%", **parts)
        return Figure(self.achievement, formula, [Item(t.title, self.achievement, url=f"/tasks/{t.id}")])


def _plain(value: Decimal) -> str:
    from tracker.formatting import number

    return number(value, 4)


def counted(states: list[TaskState]) -> list[tuple[Item, Status, date | None]]:
    """What the completion and on-time rates count: each task with its status and deadline."""
    return [(Item(s.task.title, s.progress, url=f"/tasks/{s.task.id}"), s.status, s.task.deadline) for s in states]


@dataclass
class ProgramState:
    program: Program
    roots: list[TaskState]
    tasks: list[TaskState]  # the whole tree in display order, with depth
    progress: Figure
    today: date  # the day the figures are read for: the day after its last day once it has ended
    ended: bool = False

    def _counted(self):
        return [
            (Item(s.task.title, s.progress, url=f"/tasks/{s.task.id}"), s.status, s.task.deadline) for s in self.roots
        ]

    @cached_property
    def completion(self) -> Figure:
        """Nhiệm vụ đến hạn đã hoàn thành, among the top-level tasks (computed when shown)."""
        return rules.completion_rate(self._counted(), self.today)

    @cached_property
    def on_time(self) -> Figure:
        return rules.on_time_rate((i, st) for i, st, _d in self._counted())

    @property
    def status_counts(self) -> dict[Status, int]:
        counts: dict[Status, int] = defaultdict(int)
        for state in self.roots:
            counts[state.status] += 1
        return dict(counts)

    def by_id(self, task_id: int) -> TaskState | None:
        return next((s for s in self.tasks if s.task.id == task_id), None)


def _leaf_state(task: Task, points: list[Point], live_value: Decimal | None, today: date) -> TaskState:
    live = task.source != TaskSource.MANUAL
    if live and live_value is not None and (not points or points[-1].value != live_value):
        points = [*points, Point(today, live_value)]
    value = points[-1].value if points else None
    kind = task.measure_kind.value
    done = rules.completed_on(kind, task.baseline, task.target, points)
    state = rules.status(task.lifecycle.value, done, task.deadline, today)
    return TaskState(
        task=task,
        value=value,
        progress=rules.progress(kind, task.baseline, task.target, value),
        achievement=rules.achievement(kind, task.target, value),
        status=state,
        flags=rules.flags(
            state=state,
            kind=kind,
            baseline=task.baseline,
            target=task.target,
            points=points,
            deadline=task.deadline,
            update_every_days=task.update_every_days,
            today=today,
            live=live,
        ),
        completed_on=done,
        points=points,
        live=live,
    )


def _weighted(states: list[TaskState], formula: str) -> Figure:
    reasons = {Status.PAUSED: _("tạm dừng"), Status.CANCELLED: _("đã hủy")}
    return rules.weighted_mean(
        (
            Item(s.task.title, s.progress, s.task.weight, reasons.get(s.status), url=f"/tasks/{s.task.id}")
            for s in states
        ),
        formula,
    )


def rollup_figure(children: list[TaskState]) -> Figure:
    """A task with sub-tasks: the weighted mean of its active children's progress."""
    return _weighted(children, _("trung bình có trọng số tiến độ các nhiệm vụ con đang triển khai"))


def _parent_state(task: Task, children: list[TaskState], today: date) -> TaskState:
    figure = rollup_figure(children)
    active = [c for c in children if c.counts]
    done = None
    if active and all(c.status.is_done for c in active):
        done = max(c.completed_on for c in active)
    state = rules.status(task.lifecycle.value, done, task.deadline, today)
    flags = []
    if state.counts and not state.is_done:
        if rules.due_soon(task.deadline, today):
            flags.append(Flag.DUE_SOON)
        if any(Flag.AT_RISK in c.flags for c in active):
            flags.append(Flag.AT_RISK)
    progress = figure.value if figure.value is not None else rules.ZERO
    return TaskState(
        task=task,
        value=None,
        progress=progress,
        achievement=None,
        status=state,
        flags=flags,
        completed_on=done,
        points=[],
        live=False,
        children=children,
        rollup=figure,
    )


def evaluate(programs: list[Program], today: date | None = None, graph: UnitGraph | None = None):
    """{program id: ProgramState} for these programs as of `today`, in three queries plus at most four for live
    values.

    Any day can be read (DESIGN §9): each task's value is its latest update dated on or before it, its status and
    flags are computed for it. An ended program keeps its final figures: its tasks are read as of its last day.
    A past day, or an ended program, reads a live-linked task from its recorded history (the system updates),
    never from today's registries.
    """
    today = today or local_today()
    if not programs:
        return {}
    ids = [p.id for p in programs]
    tasks = db.session.scalars(
        select(Task)
        .where(Task.program_id.in_(ids))
        # Who, on every screen and export: joined in the same statement, whatever the number of owners.
        .options(joinedload(Task.owner_user), joinedload(Task.owner_member))
        .order_by(Task.position, Task.id)
    ).all()
    points: dict[int, list[Point]] = defaultdict(list)
    notes: dict[int, str] = {}
    if tasks:
        rows = db.session.execute(
            select(TaskUpdate.task_id, TaskUpdate.at, TaskUpdate.value, TaskUpdate.note)
            .join(Task, Task.id == TaskUpdate.task_id)
            .where(Task.program_id.in_(ids))
            .order_by(TaskUpdate.task_id, TaskUpdate.at, TaskUpdate.id)
        )
        for task_id, at, value, note in rows:
            points[task_id].append(Point(local_day(at), value))
            notes[task_id] = note
    day_of = {p.id: rules.as_of(p.ends_on, today) for p in programs}
    current = {p.id: p.unit_id for p in programs if not rules.has_ended(p.ends_on, today)}
    # The registries hold today's counts only: a past day reads a live task from its recorded system updates.
    reading = [t for t in tasks if t.program_id in current] if today >= local_today() else []
    live = live_values(reading, current, today, graph)

    children: dict[int | None, list[Task]] = defaultdict(list)
    roots_of: dict[int, list[Task]] = defaultdict(list)
    for task in tasks:
        if task.parent_id is None:
            roots_of[task.program_id].append(task)
        else:
            children[task.parent_id].append(task)

    def build(task: Task, depth: int) -> TaskState:
        day = day_of[task.program_id]
        kids = [build(c, depth + 1) for c in children.get(task.id, ())]
        # What was recorded by the day the figures are read for (its last day, for an ended program).
        last_day = today if task.program_id in current else day - timedelta(days=1)
        seen = [p for p in points[task.id] if p.on <= last_day]
        state = _parent_state(task, kids, day) if kids else _leaf_state(task, seen, live.get(task.id), day)
        state.depth = depth
        state.note = notes.get(task.id, "")
        return state

    result = {}
    for program in programs:
        roots = [build(t, 0) for t in roots_of.get(program.id, ())]
        flat: list[TaskState] = []

        def walk(states, flat=flat):
            for s in states:
                flat.append(s)
                walk(s.children)

        walk(roots)
        result[program.id] = program_state(program, roots, flat, today)
    return result


def program_state(program: Program, roots: list[TaskState], flat: list[TaskState], today: date) -> ProgramState:
    """A program from its evaluated tasks: its progress is the weighted mean of its active top-level tasks."""
    figure = _weighted(roots, _("trung bình có trọng số tiến độ các nhiệm vụ cấp cao nhất đang triển khai"))
    ended = rules.has_ended(program.ends_on, today)
    return ProgramState(
        program=program,
        roots=roots,
        tasks=flat,
        progress=figure,
        today=rules.as_of(program.ends_on, today),
        ended=ended,
    )


def evaluate_program(program: Program, today: date | None = None) -> ProgramState:
    return evaluate([program], today)[program.id]


def evaluate_task(task: Task, today: date | None = None) -> TaskState:
    """One task (with its sub-tasks) as it stands today."""
    state = evaluate_program(task.program, today).by_id(task.id)
    assert state is not None
    return state
