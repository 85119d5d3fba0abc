"""The audit trail: one session hook writes every insert, update and delete of a domain row,
with its field diff, actor and address, in the same transaction as the change."""

from datetime import date, datetime
from decimal import Decimal
from enum import Enum

from flask import g, has_app_context, has_request_context, request
from sqlalchemy import JSON, Index, String, event, insert, inspect, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from tracker.db import db, utcnow


class AuditEvent(db.Model):
    """Append-only: a trigger in the database refuses UPDATE and DELETE on this table."""

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_entity", "entity", "entity_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor_id: Mapped[int | None]
    actor_name: Mapped[str] = mapped_column(String(200), default="")
    action: Mapped[str] = mapped_column(String(40), index=True)
    entity: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[int | None]
    changes: Mapped[dict] = mapped_column(JSON, default=dict)
    ip: Mapped[str | None] = mapped_column(String(45))

    def __repr__(self) -> str:
        return f"<AuditEvent {self.id} {self.action} {self.entity}:{self.entity_id}>"


def set_request_actor(user_id: int | None, name: str) -> None:
    """Called once the request's user is known (by the login loader)."""
    g.audit_actor = (user_id, name)


def set_cli_actor(name: str, user_id: int | None = None) -> None:
    """CLI commands name themselves as the actor ('cli:demo') for the rest of their app context."""
    g.audit_actor = (user_id, name)


def _actor() -> tuple[int | None, str, str | None]:
    if has_request_context():
        user_id, name = g.get("audit_actor", (None, ""))
        return user_id, name, request.remote_addr
    if has_app_context():
        user_id, name = g.get("audit_actor", (None, "system"))
        return user_id, name, None
    return None, "system", None


def _plain(value):
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _is_audited(obj) -> bool:
    return isinstance(obj, db.Model) and getattr(type(obj), "AUDITED", True) and not isinstance(obj, AuditEvent)


def _columns(obj):
    excluded = getattr(type(obj), "AUDIT_EXCLUDE", frozenset()) | {"id", "created_at", "updated_at", "version"}
    return [a for a in inspect(obj).mapper.column_attrs if a.key not in excluded]


def _diff(obj, action: str) -> dict:
    state = inspect(obj)
    changes = {}
    for attr in _columns(obj):
        if action == "create":
            new = getattr(obj, attr.key)
            if new is not None and new != "":
                changes[attr.key] = [None, _plain(new)]
        elif action == "delete":
            changes[attr.key] = [_plain(getattr(obj, attr.key)), None]
        else:
            hist = state.attrs[attr.key].history
            if hist.has_changes():
                old = hist.deleted[0] if hist.deleted else None
                new = hist.added[0] if hist.added else None
                if old != new:
                    changes[attr.key] = [_plain(old), _plain(new)]
    return changes


def _row(action, entity, entity_id, changes):
    actor_id, actor_name, ip = _actor()
    return {
        "at": utcnow(),
        "actor_id": actor_id,
        "actor_name": actor_name,
        "action": action,
        "entity": entity,
        "entity_id": entity_id,
        "changes": changes,
        "ip": ip,
    }


@event.listens_for(db.Model, "attribute_instrument", propagate=True)
def _keep_old_values(cls, key, inst):
    # Load the old value before a column is overwritten (active history), so that a field set on an
    # expired row still diffs against what the database held, and a no-op write records nothing.
    if _is_audited_class(cls) and hasattr(inst, "property") and hasattr(inst.property, "columns"):
        event.listen(inst, "set", _passthrough, active_history=True, retval=True)


def _passthrough(target, value, oldvalue, initiator):
    return value


def _is_audited_class(cls) -> bool:
    return getattr(cls, "AUDITED", True) and cls is not AuditEvent


@event.listens_for(Session, "after_flush")
def _audit_flush(session, flush_context):
    # new/dirty/deleted and attribute history still show the pre-flush state here, and ids are assigned.
    rows = []
    for action, objects in (("create", session.new), ("update", session.dirty), ("delete", session.deleted)):
        for obj in objects:
            if not _is_audited(obj):
                continue
            changes = _diff(obj, action)
            if action == "update" and not changes:
                continue
            rows.append(_row(action, obj.__tablename__, obj.id, changes))
    if rows:
        session.connection().execute(insert(AuditEvent), rows)


def record(action: str, entity: str, entity_id: int | None = None, changes: dict | None = None) -> None:
    """An event that is not a row change: login success or failure, a refused request."""
    db.session.add(AuditEvent(**_row(action, entity, entity_id, changes or {})))


def history(entity: str, entity_id: int, limit: int = 200) -> list[AuditEvent]:
    """The "Lịch sử" of one row, newest first."""
    return db.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.entity == entity, AuditEvent.entity_id == entity_id)
        .order_by(AuditEvent.id.desc())
        .limit(limit)
    ).all()
