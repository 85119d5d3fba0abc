"""GET /api/v1/units and /api/v1/units/{id}: the administrative units in the user's scope."""

from flask import request
from flask_babel import gettext as _

from tracker.api.helpers import get_or_404, page_of, paging, query_choice, query_int, scope_unit_ids
from tracker.api.schemas import unit_detail_json, unit_json
from tracker.api.views import bp
from tracker.auth.access import EVERYONE, allow, check_scope
from tracker.errors import ValidationError
from tracker.units import services
from tracker.units.models import Unit, UnitKind


@bp.get("/units")
@allow(EVERYONE)
def list_units():
    errors: dict[str, str] = {}
    kind = query_choice("kind", [k.value for k in UnitKind], errors)
    parent_id = query_int("parent_id", errors)
    page, per_page = paging(errors)
    if errors:
        raise ValidationError(errors)
    stmt = services.search(request.args.get("q", ""), kind=kind, parent_id=parent_id)
    scope = scope_unit_ids()
    if scope is not None:
        stmt = stmt.where(Unit.id.in_(scope))
    return page_of(stmt, page, per_page, unit_json)


@bp.get("/units/<int:unit_id>")
@allow(EVERYONE)
def get_unit(unit_id: int):
    unit = get_or_404(Unit, unit_id, _("Không có đơn vị nào có id %(id)d.", id=unit_id))
    check_scope(unit.id)
    return unit_detail_json(unit)
