"""GET /api/v1/units and /api/v1/units/{id}: the administrative units in the user's scope; and
/api/v1/units/{id}/summary: every figure the unit's dashboard shows (tracker.api.units_schemas)."""

import marshmallow as ma
from flask_babel import gettext as _
from flask_login import current_user

from tracker.api.contract import bp
from tracker.api.helpers import get_or_404
from tracker.api.queries import Paged, QueryChoice, QueryInt, QueryText, With, page, page_schema
from tracker.api.units_schemas import UnitSummarySchema
from tracker.auth.access import EVERYONE, allow, check_scope, scope_unit_ids
from tracker.dashboards import picture, queries
from tracker.dashboards.panels import QrPanel
from tracker.db import local_today
from tracker.programs.progress import ProgramState, TaskState
from tracker.programs.summary import summarize_unit
from tracker.units import services
from tracker.units.models import Unit, UnitKind
from tracker.units.services import unit_graph

KINDS = [kind.value for kind in UnitKind]


class UnitSchema(ma.Schema):
    id = ma.fields.Integer(required=True, dump_only=True)
    code = ma.fields.String(required=True, allow_none=True, metadata={"description": "Official code, unique when set."})
    name = ma.fields.String(required=True)
    kind = ma.fields.String(required=True, metadata={"enum": KINDS})
    parent_id = ma.fields.Integer(required=True, allow_none=True)
    valid_from = ma.fields.Date(required=True, allow_none=True)
    valid_to = ma.fields.Date(required=True, allow_none=True)
    merged_into_id = ma.fields.Integer(required=True, allow_none=True)
    is_current = ma.fields.Boolean(
        required=True, dump_only=True, metadata={"description": "Not ended and not merged into another unit."}
    )
    version = ma.fields.Integer(required=True, dump_only=True)


class UnitDetailSchema(UnitSchema):
    predecessor_ids = ma.fields.Method(
        "_predecessor_ids",
        required=True,
        metadata={"type": "array", "items": {"type": "integer"}, "description": "Units merged into this one."},
    )

    def _predecessor_ids(self, unit: Unit) -> list[int]:
        return [predecessor.id for predecessor in unit.predecessors]


UnitListSchema = page_schema(UnitSchema)


class UnitQuery(Paged):
    q = QueryText(
        metadata={"description": "Name, accent- and case-insensitive ('bai bong' finds 'Bãi Bông'), or exact code."}
    )
    kind = QueryChoice(KINDS, metadata={"description": "Kind of unit."})
    parent_id = QueryInt(metadata={"description": "Only the direct children of this unit."})


@bp.get("/units")
@allow(EVERYONE)
@bp.arguments(UnitQuery, location="query")
@bp.response(200, UnitListSchema, description="A page of units.")
@bp.refuses(401)
def list_units(args: dict):
    """Units in the user's scope"""
    stmt = services.search(args.get("q", ""), kind=args.get("kind"), parent_id=args.get("parent_id"))
    scope = scope_unit_ids(current_user)
    if scope is not None:
        stmt = stmt.where(Unit.id.in_(scope))
    return page(stmt, args)


@bp.get("/units/<int:unit_id>")
@allow(EVERYONE)
@bp.response(200, UnitDetailSchema, description="The unit.")
@bp.refuses(401, 403, 404)
def get_unit(unit_id: int):
    """One unit, with the ids of the units merged into it"""
    unit = get_or_404(Unit, unit_id, _("Không có đơn vị nào có id %(id)d.", id=unit_id))
    check_scope(unit.id)
    return unit


@bp.get("/units/<int:unit_id>/summary")
@allow(EVERYONE)
@bp.response(200, UnitSummarySchema, description="The figures.")
@bp.refuses(401, 403, 404)
def unit_summary(unit_id: int):
    """Every figure of a unit's dashboard: its figures explained, its subordinates ranked, its registries, its lists"""
    unit = get_or_404(Unit, unit_id, _("Không có đơn vị nào có id %(id)d.", id=unit_id))
    check_scope(unit.id)
    today, graph = local_today(), unit_graph()
    subtree = graph.subtree(unit.id)
    summary = summarize_unit(unit.id, today, graph)
    boards = queries.board_staffing(subtree, today)
    ranking = picture.rank(graph, unit.id, summary.children, boards, today)
    unit_of = {state.program.id: state.program.unit_id for state in summary.all_programs}
    return With(
        summary,
        as_of=today,
        children=[_ranked(rank, row) for rank, row in enumerate(ranking, start=1)],
        ended=sorted(summary.ended, key=_latest_to_end),
        qr_points=_qr(queries.qr_points(subtree, today)),
        online_services=queries.online_services(subtree),
        board_staffing=boards,
        lists={name: [_listed(s, unit_of) for s in states] for name, states in picture.task_lists(summary).items()},
    )


def _ranked(rank: int, row: picture.RankRow) -> With:
    """A ranked subordinate with its two shares (null when there is no figure)."""
    return With(
        row,
        rank=rank,
        progress=row.overall.value if row.overall else None,
        completed=row.completion.value if row.completion else None,
    )


def _qr(panel: QrPanel) -> With:
    kinds = [With(counts, kind=kind, label=str(kind.label)) for kind, counts in panel.by_kind]
    return With(panel, by_kind=kinds)


def _listed(state: TaskState, unit_of: dict[int, int]) -> With:
    """A task of the lists with its program's unit; a task with sub-tasks has no target of its own (DESIGN §2.6)."""
    rolled_up = bool(state.children)
    return With(
        state,
        unit_id=unit_of[state.task.program_id],
        target=None if rolled_up else state.task.target,
        rolled_up=rolled_up,
    )


def _latest_to_end(state: ProgramState) -> tuple:
    return -state.program.ends_on.toordinal(), state.program.title, state.program.id
