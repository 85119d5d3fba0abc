"""Accounts: creation, authentication, passwords, deactivation, API tokens. Callers commit."""

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask_babel import get_timezone
from flask_babel import gettext as _
from sqlalchemy import Select, bindparam, false, func, or_, select
from sqlalchemy.orm import selectinload

from tracker import audit
from tracker.audit import AuditEvent
from tracker.auth.access import in_scope, name_scope
from tracker.auth.models import ApiToken, Role, User, hash_token
from tracker.auth.passwords import hash_password, needs_rehash, password_problem, verify_password
from tracker.db import utcnow
from tracker.errors import ValidationError, check_version, flush_versioned
from tracker.extensions import db
from tracker.units.models import Unit
from tracker.units.names import find_unit
from tracker.units.services import subtree_select

USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")


def _check_username(username: str, user_id: int | None = None) -> str:
    username = username.strip().lower()
    if not USERNAME_RE.match(username):
        raise ValidationError(
            {"username": _("Tên đăng nhập gồm 2–64 chữ thường không dấu, số, dấu chấm, gạch ngang hoặc gạch dưới.")}
        )
    clash = db.session.scalar(select(User.id).where(func.lower(User.username) == username))
    if clash is not None and clash != user_id:
        raise ValidationError({"username": _("Tên đăng nhập “%(u)s” đã có người dùng.", u=username)})
    return username


def _check_scope(role: Role, unit: Unit | None) -> None:
    if role != Role.ADMIN and unit is None:
        raise ValidationError({"unit": _("Hãy chọn đơn vị cho tài khoản không phải quản trị.")})


def create_user(
    username: str,
    password: str,
    role: Role | str,
    unit: Unit | None,
    full_name: str = "",
    *,
    must_change_password: bool = False,
) -> User:
    """Create an account after checking the name is free and the password strong enough; `must_change_password`
    when someone other than its owner chose the password."""
    role = Role(role)
    username = _check_username(username)
    problem = password_problem(password, username)
    if problem:
        raise ValidationError({"password": problem})
    _check_scope(role, unit)
    user = User(
        username=username,
        full_name=full_name.strip(),
        password_hash=hash_password(password),
        role=role,
        unit=unit,
        must_change_password=must_change_password,
    )
    db.session.add(user)
    db.session.flush()
    return user


def update_user(user: User, *, full_name: str, role: Role | str, unit: Unit | None, is_active: bool) -> User:
    """Edit an account; deactivation ends its sessions and API tokens."""
    role = Role(role)
    _check_scope(role, unit)
    user.full_name = full_name.strip()
    user.role = role
    user.unit = unit
    if user.is_active and not is_active:
        deactivate(user)
    user.is_active = is_active
    db.session.flush()
    return user


def deactivate(user: User) -> None:
    """Turn the account off: its cookies and tokens stop working at once."""
    user.is_active = False
    user.rotate_session()
    for token in user.api_tokens:
        if token.revoked_at is None:
            token.revoke()
    db.session.flush()


def set_password(user: User, password: str, *, must_change: bool = False) -> None:
    """Change the password and end every session of the account; `must_change` when its owner did not choose it."""
    problem = password_problem(password, user.username)
    if problem:
        raise ValidationError({"password": problem})
    if verify_password(user.password_hash, password):  # a password someone chose would otherwise stay for good
        raise ValidationError({"password": _("Mật khẩu mới phải khác mật khẩu hiện tại.")})
    user.password_hash = hash_password(password)
    user.must_change_password = must_change
    user.rotate_session()
    db.session.flush()


def authenticate(username: str, password: str) -> User | None:
    """The active user with this name and password, or None; records the attempt either way."""
    name = (username or "").strip().lower()
    user = db.session.scalar(select(User).where(func.lower(User.username) == name))
    ok = verify_password(user.password_hash if user else None, password or "")
    if user is None or not ok or not user.is_active:
        reason = "unknown_user" if user is None else ("inactive" if ok else "bad_password")
        audit.record("login_failed", "users", user.id if user else None, {"username": name, "reason": reason})
        return None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = utcnow()
    audit.set_request_actor(user.id, user.username)
    audit.record("login", "users", user.id)
    return user


def logout(user: User) -> None:
    """End the session at the server: the old cookie no longer names anyone."""
    user.rotate_session()
    audit.record("logout", "users", user.id)


# Every signed-in request asks this: the statement is built once.
_BY_SESSION_TOKEN = select(User).where(User.session_token == bindparam("token"), User.is_active.is_(True))


def user_by_session_token(token: str) -> User | None:
    return db.session.scalar(_BY_SESSION_TOKEN, {"token": token})


def issue_api_token(user: User, name: str = "") -> str:
    """Create an API token for the user and return it in clear, once."""
    row, token = ApiToken.issue(user, name)
    db.session.add(row)
    db.session.flush()
    return token


def user_by_api_token(token: str) -> User | None:
    row = db.session.scalar(
        select(ApiToken).where(ApiToken.token_hash == hash_token(token), ApiToken.revoked_at.is_(None))
    )
    if row is None or not row.user.is_active:
        return None
    return row.user


# Account administration: what one user may do to another's account.


def may_manage_user(actor: User, user: User) -> bool:
    """Admins manage every account; managers manage non-admin accounts of units in their scope."""
    if actor.role == Role.ADMIN:
        return True
    return actor.role == Role.MANAGER and user.role != Role.ADMIN and in_scope(actor, user.unit_id)


def grantable_roles(actor: User) -> list[Role]:
    """The roles this user may give, from the least power up: admins any, managers anything but admin."""
    roles = [Role.VIEWER, Role.MEMBER, Role.MANAGER, Role.ADMIN]
    return roles if actor.role == Role.ADMIN else roles[:-1]


def users_query(actor: User, *, role: str | None = None, active: bool | None = None, q: str = "") -> Select:
    """A SELECT of the accounts the actor manages, filtered by role, state and a name fragment."""
    stmt = select(User).options(selectinload(User.unit))
    if actor.role != Role.ADMIN:
        if actor.unit_id is None:
            stmt = stmt.where(false())
        else:
            stmt = stmt.where(User.unit_id.in_(subtree_select(actor.unit_id)), User.role != Role.ADMIN)
    if role in {r.value for r in Role}:
        stmt = stmt.where(User.role == Role(role))
    if active is not None:
        stmt = stmt.where(User.is_active.is_(active))
    q = (q or "").strip()
    if q:
        pattern = _contains(q)
        stmt = stmt.where(or_(User.username.ilike(pattern, escape="\\"), User.full_name.ilike(pattern, escape="\\")))
    return stmt.order_by(User.username)


def _contains(text: str) -> str:
    """A LIKE pattern for `text` anywhere, its wildcards escaped (escape char '\\')."""
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _collect(errors: dict, check, *args):
    """Run one check, keeping its field messages so a form can show every problem at once."""
    try:
        return check(*args)
    except ValidationError as exc:
        errors.update(exc.fields)
        return None


def _role(value: Role | str) -> Role:
    try:
        return Role(value)
    except ValueError:
        raise ValidationError({"role": _("Vai trò không hợp lệ.")}) from None


def _unit(ref: str | None, actor: User) -> Unit | None:
    """The unit typed on an account's form; a name is read within the actor's scope."""
    return find_unit(ref, within=name_scope(actor)) if (ref or "").strip() else None


def _check_grant(actor: User, role: Role | None, unit: Unit | None) -> None:
    errors = {}
    if role is not None and role not in grantable_roles(actor):
        errors["role"] = _("Bạn không có quyền cấp vai trò “%(role)s”.", role=role.label)
    if actor.role != Role.ADMIN and unit is not None and not in_scope(actor, unit.id):
        errors["unit"] = _("Đơn vị “%(name)s” nằm ngoài phạm vi bạn quản lý.", name=unit.name)
    if errors:
        raise ValidationError(errors)


def _granted(errors: dict[str, str], actor: User, role: Role | str, unit_code: str | None):
    """The role and unit `actor` may give an account (read, then checked against the actor's own rights and the
    role's scope); each problem goes into `errors` under its field."""
    role = _collect(errors, _role, role)
    unit = _collect(errors, _unit, unit_code, actor)
    if "unit" not in errors:
        _collect(errors, _check_grant, actor, role, unit)
        if role is not None:
            _collect(errors, _check_scope, role, unit)
    return role, unit


def add_user(
    actor: User, *, username: str, password: str, role: Role | str, unit_code: str | None, full_name: str = ""
) -> User:
    """Create an account on behalf of `actor`, who may only grant roles and units within their own rights."""
    errors: dict[str, str] = {}
    role, unit = _granted(errors, actor, role, unit_code)
    username = _collect(errors, _check_username, username) or username
    problem = password_problem(password, username)
    if problem:
        errors["password"] = problem
    if errors:
        raise ValidationError(errors)
    return create_user(username, password, role, unit, full_name, must_change_password=True)


def edit_user(
    actor: User,
    user: User,
    *,
    version: int,
    full_name: str,
    role: Role | str,
    unit_code: str | None,
    is_active: bool,
) -> User:
    """Edit an account opened at `version` (StaleVersion if it changed since); deactivating ends its access."""
    check_version(user, version)
    errors: dict[str, str] = {}
    role, unit = _granted(errors, actor, role, unit_code)
    if actor.id == user.id:
        # Nobody locks themselves out: another administrator has to do that.
        if not is_active:
            errors["is_active"] = _("Bạn không thể tự khóa tài khoản của chính mình.")
        if role is not None and role != user.role:
            errors["role"] = _("Bạn không thể tự đổi vai trò của chính mình.")
    if errors:
        raise ValidationError(errors)
    update_user(user, full_name=full_name, role=role, unit=unit, is_active=is_active)
    flush_versioned()
    return user


def reset_password(user: User, password: str) -> None:
    """An administrator sets a new password: every session of the account ends, its owner must choose another at
    the next sign-in; the reset is audited."""
    set_password(user, password, must_change=True)
    audit.record("password_reset", "users", user.id)


def audit_query(
    *,
    entity: str | None = None,
    entity_id: int | None = None,
    action: str | None = None,
    actor: str = "",
    since: date | None = None,
    until: date | None = None,
) -> Select:
    """A SELECT of audit events, newest first; `since`/`until` are whole days in the app's time zone."""
    stmt = select(AuditEvent)
    if entity:
        stmt = stmt.where(AuditEvent.entity == entity)
    if entity_id is not None:
        stmt = stmt.where(AuditEvent.entity_id == entity_id)
    if action:
        stmt = stmt.where(AuditEvent.action == action)
    actor = (actor or "").strip()
    if actor:
        stmt = stmt.where(AuditEvent.actor_name.ilike(_contains(actor), escape="\\"))
    if since is not None:
        stmt = stmt.where(AuditEvent.at >= _day_start(since))
    if until is not None:
        stmt = stmt.where(AuditEvent.at < _day_start(until + timedelta(days=1)))
    return stmt.order_by(AuditEvent.at.desc(), AuditEvent.id.desc())


def _day_start(day: date) -> datetime:
    """Midnight of `day` where the users are (BABEL_DEFAULT_TIMEZONE), in UTC as stored."""
    return datetime.combine(day, time.min, tzinfo=ZoneInfo(str(get_timezone()))).astimezone(UTC)


def audit_vocabulary() -> tuple[list[str], list[str]]:
    """The entities and actions present in the audit trail, for the filter lists."""
    entities = db.session.scalars(select(AuditEvent.entity).distinct().order_by(AuditEvent.entity)).all()
    actions = db.session.scalars(select(AuditEvent.action).distinct().order_by(AuditEvent.action)).all()
    return list(entities), list(actions)
