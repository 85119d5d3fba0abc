import hashlib
import secrets
from datetime import datetime

from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from sqlalchemy import ForeignKey, String, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.db import TimestampMixin, VersionedMixin, db, utcnow
from tracker.enums import LabelledEnum, enum_column
from tracker.units.models import Unit


class Role(LabelledEnum):
    ADMIN = "admin"
    MANAGER = "manager"
    MEMBER = "member"
    VIEWER = "viewer"


Role.with_labels(
    admin=_l("Quản trị hệ thống"),
    manager=_l("Thư ký, quản lý"),
    member=_l("Thành viên"),
    viewer=_l("Người xem"),
)


def new_session_token() -> str:
    return secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    """API tokens are stored as SHA-256: they are random, so a slow hash buys nothing."""
    return hashlib.sha256(token.encode()).hexdigest()


class User(UserMixin, TimestampMixin, VersionedMixin, db.Model):
    """An account; its rights apply to its unit and everything under it (admin: everywhere)."""

    __tablename__ = "users"

    username: Mapped[str] = mapped_column(String(64), unique=True)
    full_name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[Role] = mapped_column(enum_column(Role))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    is_active: Mapped[bool] = mapped_column(default=True)
    # Flask-Login keeps this in the cookie instead of the id: rotating it ends every session at the server.
    session_token: Mapped[str] = mapped_column(String(64), unique=True, default=new_session_token)
    last_login_at: Mapped[datetime | None]
    # Set when someone else chose the password (init prints it, an administrator types it): it works once, to sign
    # in and choose a new one (ASVS V6.4.1).
    must_change_password: Mapped[bool] = mapped_column(default=False, server_default=false())

    unit: Mapped[Unit | None] = relationship()
    api_tokens: Mapped[list["ApiToken"]] = relationship(back_populates="user")

    AUDIT_EXCLUDE = frozenset({"password_hash", "session_token", "last_login_at", "must_change_password"})

    def get_id(self) -> str:
        return self.session_token

    def rotate_session(self) -> None:
        self.session_token = new_session_token()

    @property
    def display_name(self) -> str:
        return self.full_name or self.username

    def __repr__(self) -> str:
        return f"<User {self.id} {self.username} {self.role}>"


class ApiToken(TimestampMixin, db.Model):
    """A bearer token for the API, stored hashed; shown once when created."""

    __tablename__ = "api_tokens"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(String(100), default="")
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    user: Mapped[User] = relationship(back_populates="api_tokens")

    AUDIT_EXCLUDE = frozenset({"token_hash", "last_used_at"})

    @classmethod
    def issue(cls, user: User, name: str = "") -> tuple["ApiToken", str]:
        token = secrets.token_urlsafe(32)
        return cls(user=user, name=name, token_hash=hash_token(token)), token

    def revoke(self) -> None:
        self.revoked_at = utcnow()

    def __repr__(self) -> str:
        return f"<ApiToken {self.id} user={self.user_id}>"
