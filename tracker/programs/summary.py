"""A unit's dashboard figures: its current programs (from the day's kept figures), its subordinates ranked, the
task lists and the rates, every percentage explained (DESIGN §2.6, §4). Built on `progress` (the rules of a
program) and `figures` (what is kept of them for the day)."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import select

from tracker.db import local_today
from tracker.extensions import db
from tracker.programs import figures, rules
from tracker.programs.models import Program
from tracker.programs.progress import ProgramState, TaskState, counted
from tracker.programs.rules import Figure, Flag, Item, Status
from tracker.units.services import UnitGraph, unit_graph


@dataclass
class UnitRow:
    """A subordinate unit as ranked: its overall progress, and over its subtree's current programs the number of
    programs, the due-task completion of their top-level tasks and the number of overdue tasks (any level)."""

    id: int
    name: str
    kind: str
    code: str | None
    overall: Figure
    programs: int
    completion: Figure
    overdue: int


@dataclass
class UnitSummary:
    """A unit's dashboard figures, with subordinates; every percentage explains itself."""

    unit_id: int
    name: str
    own: Figure
    overall: Figure
    completion: Figure
    on_time: Figure
    status_counts: dict[Status, int]
    programs: list[ProgramState]  # the unit's own current programs (and its predecessors')
    children: list[UnitRow]  # subordinate units with current programs, best first
    overdue: list[TaskState]
    due_soon: list[TaskState]
    stale: list[TaskState]
    at_risk: list[TaskState]
    all_programs: list[ProgramState]  # the current programs of the whole subtree
    ended: list[ProgramState] = field(default_factory=list)  # past their end: final figures, in no roll-up


def summarize_unit(unit_id: int, today: date | None = None, graph: UnitGraph | None = None) -> UnitSummary:
    """Everything the unit dashboard shows, from a fixed number of queries.

    Only current programs count in the roll-ups (overall, ranking, due-task completion, the task lists); ended
    ones are listed apart with their final figures.
    """
    today = today or local_today()
    graph = graph or unit_graph()
    subtree = graph.subtree(unit_id)
    programs = db.session.scalars(
        select(Program)
        .where(Program.unit_id.in_(subtree), Program.is_archived.is_(False))
        .order_by(Program.starts_on.desc().nulls_last(), Program.id)
    ).all()
    states = figures.evaluate(list(programs), today, graph)
    ended = [states[p.id] for p in programs if states[p.id].ended]
    programs = [p for p in programs if not states[p.id].ended]
    by_unit: dict[int, list[ProgramState]] = defaultdict(list)
    for program in programs:
        by_unit[program.unit_id].append(states[program.id])

    own_cache: dict[int, list[ProgramState]] = {}
    overall_cache: dict[int, Figure | None] = {}

    def own_programs(u: int) -> list[ProgramState]:
        if u not in own_cache:
            own_cache[u] = [s for v in graph.own(u) for s in by_unit.get(v, ())]
        return own_cache[u]

    def own_figure(u: int) -> Figure:
        items = [
            Item(s.program.title, s.progress.value or rules.ZERO, url=f"/programs/{s.program.id}")
            for s in own_programs(u)
        ]
        return rules.weighted_mean(items, _("trung bình tiến độ các chương trình của đơn vị"))

    def overall(u: int) -> Figure | None:
        if u in overall_cache:
            return overall_cache[u]
        items = []
        if own_programs(u):
            items.append(Item(_("%(name)s (chương trình của đơn vị)", name=graph.units[u].name), own_figure(u).value))
        for child in graph.rollup_children(u):
            figure = overall(child)
            if figure is not None:
                items.append(Item(graph.units[child].name, figure.value, url=f"/?unit_id={child}"))
        result = (
            rules.weighted_mean(
                items, _("trung bình của đơn vị (nếu có chương trình) và từng đơn vị trực thuộc có chương trình")
            )
            if items
            else None
        )
        overall_cache[u] = result
        return result

    children = []
    for child in graph.rollup_children(unit_id):
        figure = overall(child)
        if figure is not None:
            row = graph.units[child]
            below = [ps for v in graph.subtree(child) for ps in by_unit.get(v, ())]
            completion = rules.completion_rate(counted([s for ps in below for s in ps.roots]), today)
            overdue = sum(s.status == Status.OVERDUE for ps in below for s in ps.tasks)
            children.append(UnitRow(child, row.name, row.kind, row.code, figure, len(below), completion, overdue))
    children.sort(key=lambda r: (-(r.overall.value or 0), r.name))

    all_states = [states[p.id] for p in programs]
    roots = [(s, ps) for ps in all_states for s in ps.roots]
    flat = [s for ps in all_states for s in ps.tasks]
    status_counts: dict[Status, int] = defaultdict(int)
    for s, _ps in roots:
        status_counts[s.status] += 1
    rows = counted([s for s, _p in roots])
    return UnitSummary(
        unit_id=unit_id,
        name=graph.units[unit_id].name,
        own=own_figure(unit_id),
        overall=overall(unit_id) or Figure(None, _("chưa có chương trình nào")),
        completion=rules.completion_rate(rows, today),
        on_time=rules.on_time_rate((i, st) for i, st, _d in rows),
        status_counts=dict(status_counts),
        programs=own_programs(unit_id),
        children=children,
        overdue=[s for s in flat if s.status == Status.OVERDUE],
        due_soon=[s for s in flat if Flag.DUE_SOON in s.flags],
        stale=[s for s in flat if Flag.STALE in s.flags],
        at_risk=[s for s in flat if Flag.AT_RISK in s.flags],
        all_programs=all_states,
        ended=ended,
    )
