"""Who may do what, in one place.

Every view names who may use it with @allow(...) or @public; the before-request guard refuses any
endpoint that names nobody (deny by default). Rights on a unit reach its subtree and its predecessors.
"""

from functools import wraps

from flask import abort
from flask_login import current_user

from tracker.auth.models import Role, User
from tracker.db import get_row
from tracker.units.models import Unit
from tracker.units.names import find_unit
from tracker.units.services import ancestor_ids, subtree_select

EVERYONE = frozenset(Role)
STAFF = frozenset({Role.ADMIN, Role.MANAGER, Role.MEMBER})
MANAGERS = frozenset({Role.ADMIN, Role.MANAGER})
ADMINS = frozenset({Role.ADMIN})
PUBLIC = "public"


def allow(roles):
    """Mark a view as open to these roles (any signed-in user whose role is in `roles`)."""

    def mark(view):
        view.access = frozenset(roles)
        return view

    return mark


def public(view):
    """Mark a view as open to anyone, signed in or not."""
    view.access = PUBLIC
    return view


def same_for_everyone(view):
    """Mark a public view whose response does not depend on the visitor's cookies, so shared caches may keep one
    copy for everyone (no `Vary: Cookie`, see tracker.auth.setup.SessionInterface)."""
    view.same_for_everyone = True
    return view


def in_scope(user: User, unit_id: int | None) -> bool:
    """True when the unit is the user's unit, under it, or merged into something under it."""
    if user.role == Role.ADMIN:
        return True
    if unit_id is None or user.unit_id is None:
        return False
    return user.unit_id in ancestor_ids(unit_id)


def scope_unit_ids(user: User, unit: Unit | None = None):
    """The units a list shows: the chosen unit's subtree (its scope checked by the caller), else the user's whole
    scope — None (everything) for an admin, a SELECT of their unit's subtree, or [] for an account without one."""
    if unit is not None:
        return subtree_select(unit.id)
    if user.unit_id is not None:
        return subtree_select(user.unit_id)
    return None if user.role == Role.ADMIN else []


def shown_unit(user: User, ref: str | None) -> tuple[Unit | None, object]:
    """The unit a list or page shows — typed by name or code (403 out of scope), else the user's own — and the
    units it covers (scope_unit_ids)."""
    if ref:
        unit = find_unit(ref, "unit", name_scope(user))
        check_scope(unit.id)
        return unit, scope_unit_ids(user, unit)
    return user.unit, scope_unit_ids(user, user.unit)


def name_scope(user: User) -> int | None:
    """The unit among whose subtree a unit typed by name is looked for (units.services.find_unit's `within`):
    the user's own; None, no limit, for an admin (and for an account without a unit, whom access checks refuse)."""
    return None if user.role == Role.ADMIN else user.unit_id


def can_manage(user: User, unit_id: int | None) -> bool:
    """Managers (and admins) edit programs, boards, registries and documents of units in scope."""
    return user.role in MANAGERS and in_scope(user, unit_id)


def check_scope(unit_id: int | None) -> None:
    """Abort with 403 unless the current user may read this unit's records."""
    if not in_scope(current_user, unit_id):
        abort(403)


def check_manage(unit_id: int | None) -> None:
    """Abort with 403 unless the current user may edit this unit's records."""
    if not can_manage(current_user, unit_id):
        abort(403)


def load_in_scope(model, ident: int, *, manage: bool = False):
    """Load a row by id or 404, then 403 unless its unit is in the user's scope (or editable)."""
    obj = get_row(model, ident)
    if obj is None:
        abort(404)
    (check_manage if manage else check_scope)(obj.unit_id)
    return obj


def admin_only(view):
    @wraps(view)
    def wrapped(*args, **kwargs):
        if current_user.role != Role.ADMIN:
            abort(403)
        return view(*args, **kwargs)

    return wrapped
