"""A program's evaluated tasks, kept for the day (table `program_figures`).

A province's dashboard rolls up every task of every commune; evaluating 3,000 tasks and their 30,000 updates on
each view costs a second. The rules stay in `progress` and `rules`: this module only keeps what `progress.evaluate`
produced for a program today, and hands it back as the same `ProgramState` while nothing behind it has moved.

- A change to a program, one of its tasks or their updates (a system update from a registry included) moves the
  program's `seq` in the writer's own transaction (the session hook below); a change to units (a merge) moves all.
- A reader stores what it evaluated, on its own short connection, only where `seq` is still what it read before
  evaluating, and only when its own transaction has written nothing (uncommitted data is never kept).
- Figures are for one day: deadlines, "due soon" and "stale" move with the date.
- Live values counted from check-ins (`sites_active`) are as of the moment the figures were computed today;
  `computed_at` says when, and the program page always evaluates live.
"""

import json
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import bindparam, event, select, update
from sqlalchemy.orm import Session

from tracker.db import insert, utcnow, write_aside
from tracker.extensions import db
from tracker.programs import progress
from tracker.programs.models import MeasureKind, Program, ProgramFigures, Task, TaskCategory, TaskUpdate
from tracker.programs.rules import Flag, Point, Status
from tracker.units.models import Unit

FORMAT = 2  # bump when the payload's shape or meaning changes (2: ended programs as of their end)
TABLE = ProgramFigures.__table__


@dataclass(slots=True)
class TaskFacts:
    """What the roll-ups and the dashboard lists read of a task (the attribute names of Task)."""

    id: int
    program_id: int
    parent_id: int | None
    title: str
    deadline: date | None
    measure_kind: MeasureKind
    baseline: Decimal
    target: Decimal | None
    unit_label: str
    weight: Decimal
    category: TaskCategory


def evaluate(programs: list[Program], today: date, graph=None) -> dict[int, progress.ProgramState]:
    """Like progress.evaluate, from the day's kept figures where nothing has moved; evaluates and keeps the rest."""
    if not programs:
        return {}
    ids = [p.id for p in programs]
    kept = {
        row.program_id: row
        for row in db.session.execute(
            select(ProgramFigures.program_id, ProgramFigures.seq, ProgramFigures.day, ProgramFigures.payload).where(
                ProgramFigures.program_id.in_(ids)
            )
        )
    }
    states, missing = {}, []
    for program in programs:
        row = kept.get(program.id)
        state = _load(program, row.payload, today) if row is not None and row.day == today else None
        if state is None:
            missing.append(program)
        else:
            states[program.id] = state
    if missing:
        fresh = progress.evaluate(missing, today, graph)
        states.update(fresh)
        _keep(fresh, {p.id: kept[p.id].seq if p.id in kept else None for p in missing}, today)
    return states


# --- keeping -----------------------------------------------------------------------------------------


def _dump(state: progress.ProgramState) -> str:
    rows = []
    for s in state.tasks:
        t = s.task
        rows.append(
            [
                t.id,
                t.parent_id,
                s.depth,
                t.title,
                _day(t.deadline),
                t.measure_kind.value,
                _dec(t.baseline),
                _dec(t.target),
                t.unit_label,
                _dec(t.weight),
                t.category.value,
                _dec(s.value),
                _dec(s.progress),
                _dec(s.achievement),
                s.status.value,
                [f.value for f in s.flags],
                _day(s.completed_on),
                _day(s.last_update),
                s.note,
                s.live,
            ]
        )
    return json.dumps({"format": FORMAT, "tasks": rows}, ensure_ascii=False, separators=(",", ":"))


def _load(program: Program, payload: str | None, today: date) -> progress.ProgramState | None:
    if not payload:
        return None
    data = json.loads(payload)
    if data.get("format") != FORMAT:
        return None
    states: dict[int, progress.TaskState] = {}
    roots: list[progress.TaskState] = []
    flat: list[progress.TaskState] = []
    for row in data["tasks"]:
        (tid, parent, depth, title, deadline, kind, baseline, target, label, weight, category) = row[:11]
        (value, prog, achievement, status, flags, completed, last, note, live) = row[11:]
        facts = TaskFacts(
            tid, program.id, parent, title, _undate(deadline), MeasureKind(kind), Decimal(baseline),
            _undec(target), label, Decimal(weight), TaskCategory(category),
        )  # fmt: skip
        value = _undec(value)
        last = _undate(last)
        state = progress.TaskState(
            task=facts,
            value=value,
            progress=Decimal(prog),
            achievement=_undec(achievement),
            status=Status(status),
            flags=[Flag(f) for f in flags],
            completed_on=_undate(completed),
            points=[Point(last, value)] if last is not None and value is not None else [],
            live=live,
            note=note,
            depth=depth,
        )
        states[tid] = state
        flat.append(state)
        if parent is None:
            roots.append(state)
        else:
            states[parent].children.append(state)
    for state in flat:
        if state.children:
            state.rollup = progress.rollup_figure(state.children)
    return progress.program_state(program, roots, flat, today)


def _keep(fresh: dict[int, progress.ProgramState], seen: dict[int, int | None], today: date) -> None:
    """Store the figures just evaluated where no writer has moved them since; never fails the page."""
    now = utcnow()
    known = [
        {"pid": pid, "seen": seen[pid], "payload": _dump(state)}
        for pid, state in fresh.items()
        if seen[pid] is not None
    ]
    new = [
        {"program_id": pid, "seq": 0, "day": today, "computed_at": now, "payload": _dump(state)}
        for pid, state in fresh.items()
        if seen[pid] is None
    ]

    def keep(conn):
        if known:
            conn.execute(
                update(TABLE)
                .where(TABLE.c.program_id == bindparam("pid"), TABLE.c.seq == bindparam("seen"))
                .values(day=today, computed_at=now, payload=bindparam("payload")),
                known,
            )
        if new:
            conn.execute(insert(conn, TABLE).values(new).on_conflict_do_nothing(index_elements=["program_id"]))

    write_aside(keep)


# --- invalidation: the writer's own transaction ----------------------------------------------------------


@event.listens_for(Session, "after_flush")
def _figures_moved(session, flush_context):
    programs: set[int] = set()
    tasks: set[int] = set()
    everything = False
    for obj in (*session.new, *session.dirty, *session.deleted):
        if obj in session.dirty and not session.is_modified(obj):
            continue
        if isinstance(obj, Program):
            if obj not in session.deleted:
                programs.add(obj.id)
        elif isinstance(obj, Task):
            programs.add(obj.program_id)
        elif isinstance(obj, TaskUpdate):
            loaded = obj.__dict__.get("task")
            if loaded is not None:
                programs.add(loaded.program_id)
            else:
                tasks.add(obj.task_id)
        elif isinstance(obj, Unit):
            everything = True
    if not (programs or tasks or everything):
        return
    conn = session.connection()
    if everything:
        conn.execute(update(TABLE).values(seq=TABLE.c.seq + 1, day=None, payload=None))
        return
    if tasks:
        programs |= set(conn.scalars(select(Task.program_id).where(Task.id.in_(tasks))))
    programs.discard(None)
    if programs:
        stmt = insert(conn, TABLE).values([{"program_id": p, "seq": 1} for p in sorted(programs)])
        conn.execute(
            stmt.on_conflict_do_update(
                index_elements=["program_id"], set_={"seq": TABLE.c.seq + 1, "day": None, "payload": None}
            )
        )


def _dec(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _undec(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


def _day(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def _undate(value: str | None) -> date | None:
    return None if value is None else date.fromisoformat(value)
