"""A report's figures (DESIGN §9): the unit's programs, tasks and registries as of the period's cut-off end, in the
three tables of the report, with the deltas against the previous period's report.

Every figure comes from the rules (`programs.progress.evaluate` for the day, `dashboards.queries` for the registries
as of the day); this module only arranges them. A snapshot is stored as JSON with a submitted report and read back
unchanged: whatever happens to the tasks afterwards, a submitted report says what it said.
"""

import json
from dataclasses import asdict, dataclass, field, fields
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import or_, select

from tracker.dashboards import queries as registries
from tracker.db import local_today, utcnow
from tracker.extensions import db
from tracker.programs import progress, rules
from tracker.programs.models import Program, TaskCategory
from tracker.programs.rules import Status
from tracker.reports.periods import Period
from tracker.units.services import UnitGraph, unit_graph

FORMAT = 1  # bump when the stored shape changes; older snapshots are read by their own format


@dataclass
class Split:
    """Table 1, the Government's four-way split of tasks (1270/BC-TCTTTg), over the programs' top-level tasks."""

    total: int = 0  # every task that counts (paused and cancelled ones are listed apart)
    done_on_time: int = 0
    done_late: int = 0
    in_progress: int = 0  # not done, within its deadline (or without one)
    overdue: int = 0  # not done, past its deadline
    stopped: int = 0  # paused or cancelled
    due: int = 0  # tasks whose deadline had come by the cut-off
    due_done: int = 0

    @property
    def done(self) -> int:
        return self.done_on_time + self.done_late

    @property
    def not_done(self) -> int:
        return self.in_progress + self.overdue

    @property
    def due_share(self) -> Decimal | None:
        """Tỷ lệ nhiệm vụ đến hạn đã hoàn thành."""
        return Decimal(self.due_done) / Decimal(self.due) if self.due else None

    def add(self, other: "Split") -> None:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))


@dataclass
class TargetRow:
    """Table 2, a chỉ tiêu: its plan, its result as of the cut-off and "đạt x%"."""

    task_id: int
    title: str
    unit_label: str
    target: Decimal | None
    value: Decimal | None
    achievement: Decimal | None
    status: str


@dataclass
class Registries:
    """Table 3: QR points, online services and board staffing of the unit as of the cut-off."""

    qr_registered: int = 0
    qr_printed: int = 0
    qr_active: int = 0
    services_full: int = 0
    services_partial: int = 0
    services_offline: int = 0
    records_total: int = 0
    records_online: int = 0
    board_current: int = 0
    board_target: int = 0

    @property
    def services_total(self) -> int:
        return self.services_full + self.services_partial + self.services_offline

    @property
    def records_share(self) -> Decimal | None:
        return Decimal(self.records_online) / Decimal(self.records_total) if self.records_total else None

    def add(self, other: "Registries") -> None:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))


@dataclass
class ProgramRow:
    id: int
    title: str
    progress: Decimal | None


@dataclass
class Snapshot:
    unit_id: int
    unit_name: str
    period: str
    as_of: date
    taken_at: datetime
    progress: Decimal | None  # the mean of the programs' progress, as the unit's own figure on the dashboard
    programs: list[ProgramRow] = field(default_factory=list)
    split: Split = field(default_factory=Split)
    targets: list[TargetRow] = field(default_factory=list)
    registries: Registries = field(default_factory=Registries)

    def to_json(self) -> str:
        data = {"format": FORMAT, **asdict(self)}
        return json.dumps(data, default=_plain, ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> "Snapshot":
        data = json.loads(text)
        data.pop("format", None)
        return cls(
            unit_id=data["unit_id"],
            unit_name=data["unit_name"],
            period=data["period"],
            as_of=date.fromisoformat(data["as_of"]),
            taken_at=datetime.fromisoformat(data["taken_at"]),
            progress=_dec(data["progress"]),
            programs=[ProgramRow(p["id"], p["title"], _dec(p["progress"])) for p in data["programs"]],
            split=Split(**data["split"]),
            targets=[
                TargetRow(**{**t, **{k: _dec(t[k]) for k in ("target", "value", "achievement")}})
                for t in data["targets"]
            ],
            registries=Registries(**data["registries"]),
        )


def _plain(value):
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date | datetime):
        return value.isoformat()
    raise TypeError(type(value))


def _dec(value) -> Decimal | None:
    return None if value is None else Decimal(value)


def report_programs(unit_ids, period: Period) -> list[Program]:
    """The programs a report covers: the unit's own (and its predecessors'), not archived, running at some time
    between the period's cut-off start and end."""
    return db.session.scalars(
        select(Program)
        .where(
            Program.unit_id.in_(unit_ids),
            Program.is_archived.is_(False),
            or_(Program.starts_on.is_(None), Program.starts_on <= period.cutoff_end),
            or_(Program.ends_on.is_(None), Program.ends_on >= period.cutoff_start),
        )
        .order_by(Program.starts_on.nulls_last(), Program.id)
    ).all()


def take(unit_id: int, period: Period, graph: UnitGraph | None = None) -> Snapshot:
    """The unit's figures as of the period's cut-off end, from the rules, in a fixed number of queries."""
    graph = graph or unit_graph()
    day = period.cutoff_end
    own = graph.own(unit_id)
    programs = report_programs(own, period)
    states = progress.evaluate(programs, day, graph)
    roots = [s for p in programs for s in states[p.id].roots]
    snapshot = Snapshot(
        unit_id=unit_id,
        unit_name=graph.units[unit_id].name,
        period=period.key,
        as_of=day,
        taken_at=utcnow(),
        progress=rules.weighted_mean(
            (rules.Item(p.title, states[p.id].progress.value or rules.ZERO) for p in programs), ""
        ).value,
        programs=[ProgramRow(p.id, p.title, states[p.id].progress.value) for p in programs],
        split=split(roots, day),
        targets=[
            TargetRow(
                s.task.id, s.task.title, s.task.unit_label, s.task.target, s.value, s.achievement, s.status.value
            )
            for p in programs
            for s in states[p.id].tasks
            if s.task.category == TaskCategory.INDICATOR and s.counts
        ],
        registries=registry_counts(set(own), day),
    )
    return snapshot


def split(roots: list[progress.TaskState], day: date) -> Split:
    """The four-way split of these tasks as of the day, and the due tasks done (rules.completion_rate)."""
    result = Split()
    for state in roots:
        if not state.counts:
            result.stopped += 1
            continue
        result.total += 1
        if state.status == Status.DONE_ON_TIME:
            result.done_on_time += 1
        elif state.status == Status.DONE_LATE:
            result.done_late += 1
        elif state.status == Status.OVERDUE:
            result.overdue += 1
        else:
            result.in_progress += 1
    completion = rules.completion_rate(progress.counted(roots), day)
    result.due = len(completion.included)
    result.due_done = sum(1 for item in completion.included if item.value == rules.ONE)
    return result


def registry_counts(unit_ids: set[int], day: date) -> Registries:
    """The registry panels of the dashboard, read as of the day (today's, for a day not yet come)."""
    today = min(day, local_today())
    qr = registries.qr_points(unit_ids, today, as_of=day)
    services = registries.online_services(unit_ids, as_of=day)
    boards = registries.board_staffing(unit_ids, today, as_of=day)
    records = services.records
    total = online = 0
    if records is not None:
        for item in records.items:
            total += int(item.weight)
            online += int(item.weight) if item.value == rules.ONE else 0
    return Registries(
        qr_registered=qr.total.registered,
        qr_printed=qr.total.printed,
        qr_active=qr.total.active,
        services_full=services.full,
        services_partial=services.partial,
        services_offline=services.offline,
        records_total=total,
        records_online=online,
        board_current=boards.current,
        board_target=boards.target,
    )


@dataclass
class Deltas:
    """Changes since the previous period's report (None where it has no report, or a figure had no value)."""

    progress: Decimal | None = None
    split: dict[str, int] = field(default_factory=dict)
    due_share: Decimal | None = None
    registries: dict[str, int] = field(default_factory=dict)
    targets: dict[int, Decimal] = field(default_factory=dict)  # task id → value change


def deltas(current: Snapshot, previous: Snapshot | None) -> Deltas | None:
    if previous is None:
        return None

    def minus(a, b):
        return None if a is None or b is None else a - b

    before = {t.task_id: t.value for t in previous.targets}
    return Deltas(
        progress=minus(current.progress, previous.progress),
        split={f.name: getattr(current.split, f.name) - getattr(previous.split, f.name) for f in fields(Split)},
        due_share=minus(current.split.due_share, previous.split.due_share),
        registries={
            f.name: getattr(current.registries, f.name) - getattr(previous.registries, f.name)
            for f in fields(Registries)
        },
        targets={
            t.task_id: t.value - before[t.task_id]
            for t in current.targets
            if t.value is not None and before.get(t.task_id) is not None
        },
    )
