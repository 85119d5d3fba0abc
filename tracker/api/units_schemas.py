"""The schema of `GET /api/v1/units/{id}/summary`: every figure a unit's dashboard shows (DESIGN §3, §9) — its figures
explained, its subordinates ranked with their programs and registries, the registry panels and the task lists —
dumped from the same objects the dashboard renders (tracker.programs.summary, tracker.dashboards)."""

import marshmallow as ma

from tracker.api.fields import DecimalText
from tracker.api.programs import FigureSchema, StatusCountsSchema, ratio
from tracker.api.queries import NestedFrom
from tracker.boards.models import BoardKind
from tracker.programs.rules import Flag, Status
from tracker.sites.models import SiteKind
from tracker.units.models import UnitKind

COUNT = {"validate": ma.validate.Range(min=0)}


def _enum(values, **kwargs) -> ma.fields.String:
    return ma.fields.String(metadata={"enum": [str(v) for v in values]}, **kwargs)


def _count(description: str = "", **kwargs) -> ma.fields.Integer:
    return ma.fields.Integer(required=True, metadata={"minimum": 0, "description": description}, **COUNT, **kwargs)


class SummaryProgramSchema(ma.Schema):
    id = ma.fields.Integer(required=True, attribute="program.id")
    title = ma.fields.String(required=True, attribute="program.title")
    progress = ratio("A share: 1 = 100%.", required=True, attribute="progress.value")


# --- the ranking of subordinates --------------------------------------------------------------------------------


class SummarySitesSchema(ma.Schema):
    """QR points: active (not retired) sites, those with a printed poster, those checked into in the last 30 days."""

    registered = _count()
    printed = _count()
    active = _count()


class SummaryReachSchema(ma.Schema):
    """Online public services by reach: toàn trình (level 4), một phần (3), not online (1, 2)."""

    full = _count("Toàn trình (level 4).")
    partial = _count("Một phần (level 3).")
    offline = _count("Not online (levels 1, 2).")


class SummaryStaffingSchema(ma.Schema):
    boards = _count("Boards counted (as on the staffing panel).")
    current = _count("Their current members.", attribute="members")
    target = _count("Their target sizes, where one is set.", attribute="seats")


class SummaryUnitFiguresSchema(ma.Schema):
    overall = ma.fields.Nested(FigureSchema, required=True, allow_none=True)
    completion = ma.fields.Nested(FigureSchema, required=True, allow_none=True)


class SummaryUnitSchema(ma.Schema):
    """A subordinate unit as the dashboard ranks it: its subtree's current programs and its registries."""

    rank = ma.fields.Integer(required=True, validate=ma.validate.Range(min=1))
    id = ma.fields.Integer(required=True)
    name = ma.fields.String(required=True)
    kind = _enum(UnitKind, required=True)
    code = ma.fields.String(required=True, allow_none=True)
    overall = ratio("Overall progress; null when it has no current program.", required=True, attribute="progress")
    completion = ratio(
        "Due top-level tasks completed; null when none is due or it has no current program.",
        required=True,
        attribute="completed",
    )
    overdue = ma.fields.Integer(
        required=True,
        allow_none=True,
        metadata={"minimum": 0, "description": "Overdue tasks (any level); null when it has no current program."},
        **COUNT,
    )
    programs = _count("Its current programs and its subordinates'.")
    qr_points = ma.fields.Nested(SummarySitesSchema, required=True, attribute="qr")
    online_services = ma.fields.Nested(SummaryReachSchema, required=True, attribute="services")
    board_staffing = NestedFrom(SummaryStaffingSchema, read=lambda row: row, required=True)
    figures = NestedFrom(
        SummaryUnitFiguresSchema,
        read=lambda row: row,
        required=True,
        metadata={"description": "The overall and completion figures explained (null: no current program)."},
    )


# --- the registry panels ----------------------------------------------------------------------------------------


class SummaryKindSchema(SummarySitesSchema):
    kind = _enum(SiteKind, required=True)
    label = ma.fields.String(required=True, metadata={"description": "The kind's name, in the request's language."})


class SummaryQrSchema(ma.Schema):
    total = ma.fields.Nested(SummarySitesSchema, required=True)
    by_kind = ma.fields.List(
        ma.fields.Nested(SummaryKindSchema),
        required=True,
        metadata={"description": "Kinds with at least one site, the largest first."},
    )


class SummaryServicesSchema(SummaryReachSchema):
    total = _count("Procedures in the catalogue.")
    share = ma.fields.Nested(
        FigureSchema, required=True, metadata={"description": "Procedures online (levels 3, 4) ÷ all procedures."}
    )
    records = ma.fields.Nested(
        FigureSchema,
        required=True,
        allow_none=True,
        metadata={"description": "Records submitted online ÷ all records received; null when none was entered."},
    )
    records_from = ma.fields.Date(
        required=True, allow_none=True, metadata={"description": "Start of the first period the records cover."}
    )
    records_to = ma.fields.Date(
        required=True, allow_none=True, metadata={"description": "End of the last period the records cover."}
    )


class SummaryBoardSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    name = ma.fields.String(required=True)
    kind = _enum(BoardKind, required=True)
    unit_id = ma.fields.Integer(required=True)
    unit_name = ma.fields.String(required=True)
    current = _count("Members seated today.")
    target = ma.fields.Integer(required=True, allow_none=True, metadata={"minimum": 1})
    complete = ma.fields.Boolean(required=True, metadata={"description": "A target set and reached."})


class SummaryBoardsSchema(ma.Schema):
    boards = ma.fields.List(
        ma.fields.Nested(SummaryBoardSchema),
        required=True,
        metadata={
            "description": "Every board of the subtree, the furthest from its target first; a board of an ended unit "
            "with no seat left is history and is left out."
        },
    )
    complete = _count("Boards with their target reached.")
    current = _count("Current members of all the boards.")
    target = _count("Target sizes of all the boards.")


# --- the task lists ---------------------------------------------------------------------------------------------


class SummaryTaskSchema(ma.Schema):
    """A task as the dashboard's lists show it (a TaskState with its program's unit)."""

    id = ma.fields.Integer(required=True, attribute="task.id")
    title = ma.fields.String(required=True, attribute="task.title")
    program_id = ma.fields.Integer(required=True, attribute="task.program_id")
    unit_id = ma.fields.Integer(required=True, metadata={"description": "The unit whose program it is."})
    deadline = ma.fields.Date(required=True, allow_none=True, attribute="task.deadline")
    status = _enum(Status, required=True)
    flags = ma.fields.List(_enum(Flag), required=True)
    progress = ratio("Its progress; a task with sub-tasks: their weighted mean.", required=True)
    value = DecimalText(
        required=True,
        allow_none=True,
        metadata={"description": "Latest update or live registry value; null with sub-tasks or never updated."},
    )
    target = DecimalText(
        required=True, allow_none=True, metadata={"description": "Its own target; null for a task with sub-tasks."}
    )
    unit_label = ma.fields.String(required=True, attribute="task.unit_label")
    achievement = ma.fields.Float(
        required=True,
        allow_none=True,
        metadata={"minimum": 0, "description": "value ÷ target, not clamped (an indicator's 'đạt x%')."},
    )
    last_update = ma.fields.Date(required=True, allow_none=True)
    rolled_up = ma.fields.Boolean(required=True, metadata={"description": "true for a task with sub-tasks."})


def _tasks(description: str) -> ma.fields.List:
    return ma.fields.List(ma.fields.Nested(SummaryTaskSchema), required=True, metadata={"description": description})


class SummaryListsSchema(ma.Schema):
    overdue = _tasks("Overdue tasks (any level), the earliest deadline first.")
    due_soon = _tasks("Tasks due within 7 days and not done, the earliest deadline first.")
    at_risk = _tasks("Tasks whose progress lags the time elapsed, the earliest deadline first.")
    stale = _tasks("Tasks not updated as often as they should be, the longest silent first.")
    indicators = _tasks("Indicators (chỉ tiêu), in their programs' order.")


# --- the summary --------------------------------------------------------------------------------------------------


def _size(name: str) -> ma.fields.Function:
    return ma.fields.Function(
        lambda summary: len(getattr(summary, name)), required=True, metadata={"type": "integer", "minimum": 0}
    )


class SummaryCountsSchema(ma.Schema):
    programs = _size("all_programs")
    overdue = _size("overdue")
    due_soon = _size("due_soon")
    stale = _size("stale")
    at_risk = _size("at_risk")


class EndedProgramSchema(ma.Schema):
    id = ma.fields.Integer(required=True, attribute="program.id")
    unit_id = ma.fields.Integer(required=True, attribute="program.unit_id")
    title = ma.fields.String(required=True, attribute="program.title")
    ends_on = ma.fields.Date(required=True, attribute="program.ends_on")
    progress = ratio(
        "Final progress: the weighted mean of its top-level tasks at its close.",
        required=True,
        attribute="progress.value",
    )


class UnitSummarySchema(ma.Schema):
    """Every figure a unit's dashboard shows: its figures with its subordinates, each explained; the subordinates
    ranked; the registry panels; the task lists (a UnitSummary with the day it was read for and the dashboard's
    parts)."""

    unit_id = ma.fields.Integer(required=True)
    name = ma.fields.String(required=True)
    as_of = ma.fields.Date(required=True, metadata={"description": "Today, in Vietnam."})
    overall = ma.fields.Nested(
        FigureSchema, required=True, metadata={"description": "The unit with its subordinates, each commune once."}
    )
    own = ma.fields.Nested(FigureSchema, required=True, metadata={"description": "Mean of the unit's own programs."})
    completion = ma.fields.Nested(
        FigureSchema, required=True, metadata={"description": "Share of the tasks due that are completed."}
    )
    on_time = ma.fields.Nested(FigureSchema, required=True, metadata={"description": "Completed on time ÷ completed."})
    status_counts = ma.fields.Nested(StatusCountsSchema, required=True)
    programs = ma.fields.List(
        ma.fields.Nested(SummaryProgramSchema),
        required=True,
        metadata={"description": "The unit's own programs (and its predecessors')."},
    )
    children = ma.fields.List(
        ma.fields.Nested(SummaryUnitSchema),
        required=True,
        metadata={
            "description": "The dashboard's ranking: every subordinate counted once under the unit (those with current "
            "programs, and every current one without), ranked by overall progress, best first, those without a "
            "current program last (by name). Registries are summed over each subordinate's subtree."
        },
    )
    counts = NestedFrom(SummaryCountsSchema, read=lambda summary: summary, required=True)
    qr_points = ma.fields.Nested(SummaryQrSchema, required=True, metadata={"description": "The subtree's QR points."})
    online_services = ma.fields.Nested(
        SummaryServicesSchema, required=True, metadata={"description": "The subtree's online public services."}
    )
    board_staffing = ma.fields.Nested(
        SummaryBoardsSchema, required=True, metadata={"description": "The subtree's boards and their staffing."}
    )
    lists = ma.fields.Nested(SummaryListsSchema, required=True, metadata={"description": "The dashboard's task lists."})
    ended_programs = ma.fields.List(
        ma.fields.Nested(EndedProgramSchema),
        required=True,
        attribute="ended",
        metadata={
            "description": "Programs of the unit and its subordinates past their end date, the latest to end first. "
            "They keep their final figures (read as of their close) and count in none of the summary's figures, "
            "lists or counts, which are those of the current programs."
        },
    )
