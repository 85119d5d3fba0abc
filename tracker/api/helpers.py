"""Loading rows and the units a list may show, for the API's views; and Fields, the hand reader tracker.api.bodies
still builds on (no view reads a body by hand any more: tracker.api.contract declares them)."""

from collections.abc import Iterable
from datetime import date

from flask_babel import gettext as _
from flask_login import current_user

from tracker.api.fields import parse_date
from tracker.auth.models import Role
from tracker.db import get_row
from tracker.errors import ValidationError, abort_with
from tracker.forms import day_problem
from tracker.text import has_control_characters, invalid_characters, shown
from tracker.units.services import subtree_select


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


class Fields:
    """Typed reads of a JSON object's fields; every problem is kept, then raised together by check()."""

    def __init__(self, data: dict, accepted: Iterable[str], read_only: Iterable[str] = ()):
        self.data = data
        self.errors: dict[str, str] = {}
        known = set(accepted) | set(read_only)
        for key in data:
            if key not in known:
                self.errors[key] = _("Trường “%(name)s” không được hỗ trợ.", name=key)

    def _get(self, name: str, required: str | None, default):
        """(value, given): an absent field takes `default`; a required one with no value is an error."""
        if name not in self.data:
            if required and default is None:
                self.errors[name] = required
            return default, False
        if self.data[name] is None:
            if required:
                self.errors[name] = required
            return None, False
        return self.data[name], True

    def integer(self, name: str, required: str | None = None, default: int | None = None) -> int | None:
        value, given = self._get(name, required, default)
        if given and not _is_int(value):
            self.errors[name] = _("Trường “%(name)s” phải là số nguyên.", name=name)
            return None
        return value

    def text(self, name: str, required: str | None = None, default: str | None = None) -> str | None:
        value, given = self._get(name, required, default)
        if given and not isinstance(value, str):
            self.errors[name] = _("Trường “%(name)s” phải là chuỗi ký tự.", name=name)
            return None
        if given and has_control_characters(value):
            self.errors[name] = invalid_characters(name)
        elif given and required and not value.strip():
            self.errors[name] = required
        return value

    def date(self, name: str, default: date | None = None) -> date | None:
        if name not in self.data:
            return default
        value = self.data[name]
        if value is None:
            return None
        parsed = parse_date(value)
        if parsed is None:
            self.errors[name] = _(
                "Ngày “%(value)s” không hợp lệ: dùng dạng YYYY-MM-DD, ví dụ 2021-11-09.", value=shown(str(value))
            )
        elif problem := day_problem(parsed):
            self.errors[name] = _("Trường “%(name)s”: %(problem)s", name=name, problem=problem)
            return None
        return parsed

    def check(self) -> None:
        if self.errors:
            raise ValidationError(self.errors)


def scope_unit_ids():
    """The ids of the units the current user may read: None for an admin (all), else a SELECT (or [])."""
    if current_user.role == Role.ADMIN:
        return None
    if current_user.unit_id is None:
        return []
    return subtree_select(current_user.unit_id)


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
        return scope_unit_ids()
    from tracker.auth.access import check_scope
    from tracker.units.models import Unit

    if get_row(Unit, unit_id) is None:
        raise ValidationError({"unit_id": _("Không có đơn vị nào có id %(id)d.", id=unit_id)})
    check_scope(unit_id)
    return subtree_select(unit_id)  # scope reaches a unit's whole subtree
