"""Settings an administrator changes while the app runs, kept in the database so that a restart keeps them.

A stored value wins over the configuration (tracker.config, instance/config.py, TRACKER_* variables). Each change
is a row insert or update, so the audit log records it like any other (tracker.audit)."""

from datetime import datetime

from sqlalchemy import String, select
from sqlalchemy.orm import Mapped, mapped_column

from tracker.db import db, utcnow


class Setting(db.Model):
    __tablename__ = "settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(80), unique=True)
    value: Mapped[str] = mapped_column(String(2000))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    def __repr__(self) -> str:
        return f"<Setting {self.key}={self.value!r}>"


def stored(key: str) -> str | None:
    """The stored value of a setting, or None when none is stored."""
    return db.session.scalar(select(Setting.value).where(Setting.key == key))


def store(key: str, value: str) -> Setting:
    """Store a setting's value (flushes; the caller commits)."""
    setting = db.session.scalar(select(Setting).where(Setting.key == key))
    if setting is None:
        setting = Setting(key=key, value=value)
        db.session.add(setting)
    else:
        setting.value = value
    db.session.flush()
    return setting
