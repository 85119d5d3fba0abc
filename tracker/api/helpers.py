"""The hand readers of the areas not yet declared in tracker.api.contract (bodies, query strings, paging), and
loading rows and units: one Vietnamese message per bad field."""

import re
from collections.abc import Callable, Iterable
from datetime import date

from flask import current_app, request
from flask_babel import gettext as _
from flask_login import current_user

from tracker.api.contract import json_object  # noqa: F401 (the areas not converted yet import it from here)
from tracker.api.fields import MAX_PER_PAGE, parse_date
from tracker.auth.models import Role
from tracker.db import get_row
from tracker.errors import ValidationError, abort_with
from tracker.extensions import db
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


def query_int(name: str, errors: dict[str, str], minimum: int | None = None) -> int | None:
    """An integer query parameter (None when absent); a message goes into `errors` when it is not one."""
    raw = request.args.get(name, "").strip()
    if not raw:
        return None
    if not re.fullmatch(r"-?\d{1,18}", raw) or (minimum is not None and int(raw) < minimum):
        errors[name] = (
            _("Tham số “%(name)s” phải là số nguyên từ %(min)d trở lên.", name=name, min=minimum)
            if minimum is not None
            else _("Tham số “%(name)s” phải là số nguyên.", name=name)
        )
        return None
    return int(raw)


def query_choice(name: str, choices: Iterable[str], errors: dict[str, str], normalise: Callable = str) -> str | None:
    """A query parameter that must be one of `choices` (None when absent)."""
    raw = request.args.get(name, "").strip()
    if not raw:
        return None
    by_key = {normalise(c): c for c in choices}
    if normalise(raw) not in by_key:
        errors[name] = _(
            "Giá trị “%(value)s” của “%(name)s” không có; dùng một trong: %(choices)s.",
            value=raw,
            name=name,
            choices=", ".join(by_key.values()),
        )
        return None
    return by_key[normalise(raw)]


def paging(errors: dict[str, str]) -> tuple[int, int]:
    """?page= (from 1) and ?per_page= (default PER_PAGE, capped at MAX_PER_PAGE)."""
    page = query_int("page", errors, minimum=1) or 1
    per_page = query_int("per_page", errors, minimum=1) or current_app.config["PER_PAGE"]
    return page, min(per_page, MAX_PER_PAGE)


def page_of(stmt, page: int, per_page: int, serialise: Callable) -> dict:
    """One page of a SELECT as {"items", "total", "page", "per_page"}."""
    result = db.paginate(stmt, page=page, per_page=per_page, max_per_page=MAX_PER_PAGE, error_out=False)
    return {
        "items": [serialise(row) for row in result.items],
        "total": result.total,
        "page": page,
        "per_page": per_page,
    }


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


def body_unit(body, required: str, *, manage: bool = True):
    """The unit a new row belongs to, from the body's `unit_id`: a field error when it is missing or unknown, and
    out of scope refused (403) before any detail of the input is discussed. `manage`: the user must manage it."""
    from tracker.auth.access import check_manage, check_scope
    from tracker.units.models import Unit

    unit_id = body.integer("unit_id", required)
    unit = get_row(Unit, unit_id)
    if unit_id is not None and unit is None:
        body.errors["unit_id"] = _("Không có đơn vị nào có id %(id)d.", id=unit_id)
    if unit is not None:
        (check_manage if manage else check_scope)(unit.id)
    return unit
