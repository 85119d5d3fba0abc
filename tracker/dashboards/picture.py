"""The province picture (DESIGN §9): a unit's subordinates ranked by their programs and their registries, and the
dashboard's task lists in the order they are shown. The dashboard, its XLSX and `GET /api/v1/units/{id}/summary`
all read them from here.

The program columns come from tracker.programs.summary (UnitRow); the registry columns are counted per unit over
the whole subtree in a fixed number of grouped queries (tracker.dashboards.queries) and summed here per subordinate's
subtree, so a province of 100 communes costs what a ward of one does.
"""

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from flask_babel import lazy_gettext as _l

from tracker.dashboards import queries
from tracker.dashboards.panels import BoardRow, BoardsPanel, SiteCounts
from tracker.programs.models import TaskCategory
from tracker.programs.progress import TaskState
from tracker.programs.rules import Figure
from tracker.programs.summary import UnitRow, UnitSummary
from tracker.public_services.services import LevelCounts
from tracker.text import fold
from tracker.units.models import UnitKind
from tracker.units.services import UnitGraph

ASC, DESC = "asc", "desc"


@dataclass(frozen=True)
class Column:
    key: str
    label: object  # a lazy string
    first: str  # the direction of a first click: the best (or the most worrying) first


COLUMNS = {
    c.key: c
    for c in (
        Column("name", _l("Đơn vị"), ASC),
        Column("progress", _l("Tiến độ"), DESC),
        Column("completion", _l("Nhiệm vụ đến hạn đã hoàn thành"), DESC),
        Column("overdue", _l("Nhiệm vụ quá hạn"), DESC),
        Column("programs", _l("Chương trình"), DESC),
        Column("qr_registered", _l("Điểm QR đã đăng ký"), DESC),
        Column("qr_printed", _l("Điểm QR đã in áp phích"), DESC),
        Column("qr_active", _l("Điểm QR có lượt quét trong 30 ngày"), DESC),
        Column("services_full", _l("Dịch vụ công toàn trình"), DESC),
        Column("services_partial", _l("Dịch vụ công một phần"), DESC),
        Column("boards", _l("Thành viên Ban chỉ đạo, Tổ giúp việc (hiện tại / dự kiến)"), DESC),
    )
}
DEFAULT_SORT = ("progress", DESC)
NO_SITES, NO_SERVICES = SiteCounts(), LevelCounts()


@dataclass
class RankRow:
    """One subordinate: its programs' figures (None when it has no current program) and its registries."""

    id: int
    name: str
    kind: UnitKind
    code: str | None
    overall: Figure | None
    completion: Figure | None
    overdue: int | None
    programs: int
    qr: SiteCounts = field(default_factory=SiteCounts)
    services: LevelCounts = field(default_factory=LevelCounts)
    boards: int = 0  # boards counted (as on the staffing panel)
    members: int = 0  # their current members
    seats: int = 0  # their target sizes, where one is set

    @property
    def staffing(self) -> Decimal | None:
        """Current members ÷ target sizes (None: no board with a target)."""
        return Decimal(self.members) / Decimal(self.seats) if self.seats else None

    def sort_value(self, column: str):
        """The value this row sorts by in `column` (None: nothing to compare, listed last either way)."""
        return SORT_KEYS[column](self)


SORT_KEYS = {
    "name": lambda r: fold(r.name),
    "progress": lambda r: r.overall.value if r.overall else None,
    "completion": lambda r: r.completion.value if r.completion else None,
    "overdue": lambda r: r.overdue,
    "programs": lambda r: r.programs,
    "qr_registered": lambda r: r.qr.registered,
    "qr_printed": lambda r: r.qr.printed,
    "qr_active": lambda r: r.qr.active,
    "services_full": lambda r: r.services.full,
    "services_partial": lambda r: r.services.partial,
    "boards": lambda r: r.staffing,
}


def sort_of(args: Mapping[str, str]) -> tuple[str, str]:
    """(column, direction) from a query string's `sort` and `dir`; anything else is the default order."""
    column = args.get("sort", "")
    if column not in COLUMNS:
        return DEFAULT_SORT
    direction = args.get("dir", "")
    return column, direction if direction in (ASC, DESC) else COLUMNS[column].first


def ordered(rows: Iterable[RankRow], column: str, direction: str) -> list[RankRow]:
    """The rows by `column`, `direction`; rows without a value last, ties by name."""
    keyed = sorted(((row.sort_value(column), fold(row.name), row.id, row) for row in rows), key=lambda k: k[1:3])
    valued = [k for k in keyed if k[0] is not None]
    valued.sort(key=lambda k: k[0], reverse=direction == DESC)  # stable: ties stay by name
    return [k[-1] for k in valued] + [k[-1] for k in keyed if k[0] is None]


def rank(graph: UnitGraph, unit_id: int, unit_rows: list[UnitRow], boards: BoardsPanel, today: date) -> list[RankRow]:
    """Every subordinate that counts once under the unit (DESIGN §2.6): those with current programs and every current
    one without, with its registries summed over its subtree, in the default order (progress, best first).

    `unit_rows` are the summary's children; `boards` the unit's staffing panel (its boards carry their unit). Three
    grouped queries, whatever the number of subordinates."""
    by_id = {row.id: row for row in unit_rows}
    children = [c for c in graph.rollup_children(unit_id) if c in by_id or graph.units[c].valid_to is None]
    if not children:
        return []
    subtree = graph.subtree(unit_id)
    qr = queries.qr_points_by_unit(subtree, today)
    services = queries.online_services_by_unit(subtree)
    staffing: dict[int | None, list[BoardRow]] = defaultdict(list)
    for board in boards.boards:
        staffing[board.unit_id].append(board)
    rows = []
    for child in children:
        unit, program_row = graph.units[child], by_id.get(child)
        row = RankRow(
            child,
            unit.name,
            unit.kind,
            unit.code,
            program_row.overall if program_row else None,
            program_row.completion if program_row else None,
            program_row.overdue if program_row else None,
            program_row.programs if program_row else 0,
        )
        for below in graph.subtree(child):
            row.qr.add(qr.get(below, NO_SITES))
            more = services.get(below, NO_SERVICES)
            row.services = LevelCounts(
                row.services.full + more.full, row.services.partial + more.partial, row.services.offline + more.offline
            )
            for board in staffing.get(below, ()):
                row.boards, row.members, row.seats = (
                    row.boards + 1,
                    row.members + board.current,
                    row.seats + (board.target or 0),
                )
        rows.append(row)
    return ordered(rows, *DEFAULT_SORT)


# --- the task lists -------------------------------------------------------------------------------------------


def _by_deadline(state: TaskState):
    return (state.task.deadline or date.max, state.task.title, state.task.id)


def _by_last_update(state: TaskState):
    return (state.last_update or date.min, state.task.title, state.task.id)


def task_lists(summary: UnitSummary) -> dict[str, list[TaskState]]:
    """The dashboard's lists of tasks, each in the order it is shown: overdue, due soon and at risk by deadline,
    stale by last update (the longest silent first), indicators in the programs' order."""
    return {
        "overdue": sorted(summary.overdue, key=_by_deadline),
        "due_soon": sorted(summary.due_soon, key=_by_deadline),
        "at_risk": sorted(summary.at_risk, key=_by_deadline),
        "stale": sorted(summary.stale, key=_by_last_update),
        "indicators": [s for ps in summary.all_programs for s in ps.tasks if s.task.category == TaskCategory.INDICATOR],
    }
