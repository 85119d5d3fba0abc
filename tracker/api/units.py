"""GET /api/v1/units and /api/v1/units/{id}: the administrative units in the user's scope."""

import marshmallow as ma
from flask_babel import gettext as _
from flask_login import current_user

from tracker.api.contract import bp
from tracker.api.helpers import get_or_404
from tracker.api.queries import Paged, QueryChoice, QueryInt, QueryText, page, page_schema
from tracker.auth.access import EVERYONE, allow, check_scope, scope_unit_ids
from tracker.units import services
from tracker.units.models import Unit, UnitKind

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
