"""Loading rows and the units a list may show, for the API's views."""

from flask_babel import gettext as _
from flask_login import current_user

from tracker.auth.access import check_scope, scope_unit_ids
from tracker.db import get_row
from tracker.errors import ValidationError, abort_with
from tracker.units.models import Unit


def get_or_404(model, ident: int, not_found: str):
    """The row with this id, or a 404 naming what was looked for (scope is checked by the caller)."""
    obj = get_row(model, ident)
    if obj is None:
        abort_with(404, not_found)
    return obj


def listed_units(unit_id: int | None):
    """The units a list may show: the named unit's subtree (a 422 if it does not exist, a 403 out of scope),
    else the user's whole scope (None: everything, for an admin)."""
    if unit_id is None:
        return scope_unit_ids(current_user)
    unit = get_row(Unit, unit_id)
    if unit is None:
        raise ValidationError({"unit_id": _("Không có đơn vị nào có id %(id)d.", id=unit_id)})
    check_scope(unit_id)
    return scope_unit_ids(current_user, unit)  # scope reaches a unit's whole subtree
