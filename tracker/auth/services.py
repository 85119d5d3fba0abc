"""Accounts: creation, authentication, passwords, deactivation, API tokens. Callers commit."""

import re

from flask_babel import gettext as _
from sqlalchemy import func, select

from tracker import audit
from tracker.auth.models import ApiToken, Role, User, hash_token
from tracker.auth.passwords import hash_password, needs_rehash, password_problem, verify_password
from tracker.db import utcnow
from tracker.errors import ValidationError
from tracker.extensions import db
from tracker.units.models import Unit

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


def create_user(username: str, password: str, role: Role | str, unit: Unit | None, full_name: str = "") -> User:
    """Create an account after checking the name is free and the password strong enough."""
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


def set_password(user: User, password: str) -> None:
    """Change the password and end every session of the account."""
    problem = password_problem(password, user.username)
    if problem:
        raise ValidationError({"password": problem})
    user.password_hash = hash_password(password)
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


def user_by_session_token(token: str) -> User | None:
    return db.session.scalar(select(User).where(User.session_token == token, User.is_active.is_(True)))


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
