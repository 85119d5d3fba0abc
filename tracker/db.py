"""The declarative base, its naming convention, column helpers and the SQLite connection rules."""

import logging
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from flask_sqlalchemy import SQLAlchemy
from flask_sqlalchemy.pagination import SelectPagination
from sqlalchemy import DateTime, MetaData, Numeric, event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, declared_attr, mapped_column, registry
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


LOCAL = ZoneInfo("Asia/Ho_Chi_Minh")  # the boards' calendar: deadlines, "today", windows


def utcnow() -> datetime:
    """Now, timezone-aware UTC (used as a callable column default)."""
    return datetime.now(UTC)


def local_today() -> date:
    """Today's date in Vietnam."""
    return datetime.now(LOCAL).date()


_OFFSET = timedelta(hours=7)  # Vietnam keeps UTC+7 all year: a plain offset is exact and far cheaper per row


def local_day(moment: datetime) -> date:
    """The calendar day in Vietnam of a UTC moment (aware or naive UTC)."""
    return (
        (moment.replace(tzinfo=None) + _OFFSET).date()
        if moment.utcoffset() in (None, timedelta(0))
        else (moment.astimezone(LOCAL).date())
    )


@dataclass
class Saved:
    """A write that went through, with the warnings worth showing (they never block)."""

    row: object
    warnings: list[str]


class UTCDateTime(TypeDecorator):
    """Stores naive UTC, returns aware UTC: SQLite keeps no zone, PostgreSQL gets the same values."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None and value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


# Ids are 32-bit integers on PostgreSQL: a larger number names nothing (and must not reach the driver).
MAX_ID = 2**31 - 1


# Quantities: 18 digits, 4 after the point (4,03 tỷ; 8.061 triệu; 92,45 %).
Quantity = Numeric(18, 4, asdecimal=True)


class Base(DeclarativeBase):
    registry = registry(
        metadata=MetaData(naming_convention=NAMING_CONVENTION),
        type_annotation_map={datetime: UTCDateTime(), Decimal: Quantity},
    )


# OFFSET is a 64-bit integer in SQLite and PostgreSQL: a larger one overflows in the driver (a 500).
MAX_OFFSET = 2**63 - 1


class BoundedPagination(SelectPagination):
    """A page of a SELECT, for any page number a URL can carry."""

    def _query_items(self) -> list:
        # A page past the 64-bit OFFSET is past the last row of any table: it is empty without asking, and so
        # answers as any page past the end does, which is what a user who typed ?page=99999… expects: a 404 in the
        # HTML lists (error_out; clamping would show a page other than the one in the address), an empty page in
        # the admin lists and the API. The API refuses only page numbers it cannot read (422).
        if self._query_offset > MAX_OFFSET - self.per_page:
            return []
        return super()._query_items()


class Database(SQLAlchemy):
    """Flask-SQLAlchemy, whose `paginate` (used by every list, HTML and API) stays within OFFSET's range."""

    def paginate(self, select, *, max_per_page: int | None = None, **kwargs) -> BoundedPagination:
        return BoundedPagination(select=select, session=self.session(), max_per_page=max_per_page, **kwargs)


db = Database(model_class=Base)


def get_row(model, ident):
    """The row with this id, or None (also for ids no table can hold)."""
    if not isinstance(ident, int) or isinstance(ident, bool) or not 0 < ident <= MAX_ID:
        return None
    return db.session.get(model, ident)


class TimestampMixin:
    """Integer id plus UTC created/updated stamps."""

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class VersionedMixin:
    """Optimistic concurrency: SQLAlchemy bumps `version` on each UPDATE and refuses a stale one."""

    version: Mapped[int] = mapped_column(default=1)

    @declared_attr.directive
    def __mapper_args__(cls):
        return {"version_id_col": cls.__table__.c.version}


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _no_request_reads() -> bool:
    return False


# Whether the request under way only reads: the app installs its answer (tracker.register_extensions: a GET, HEAD
# or OPTIONS request), so that this module reads no request itself. Outside the app nothing reads only.
request_reads: Callable[[], bool] = _no_request_reads
# Work marked as reading only by reads_only (a PDF streamed after its commit), per thread and task.
_reading: ContextVar[bool] = ContextVar("tracker_db_reads_only", default=False)


@event.listens_for(Engine, "connect")
def _sqlite_on_connect(dbapi_connection, connection_record):
    if type(dbapi_connection).__module__ != "sqlite3":
        return
    # Let SQLAlchemy, not the driver, emit BEGIN (see _sqlite_begin).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


# An execution option of a SQLite connection whose statements each commit on their own (no BEGIN is sent: the
# driver is in autocommit, see _sqlite_on_connect). Not SQLAlchemy's isolation_level="AUTOCOMMIT": resetting that
# when the connection goes back to the pool would turn the driver's own implicit transactions back on.
STATEMENT_AT_A_TIME = "tracker_statement_at_a_time"


@event.listens_for(Engine, "begin")
def _sqlite_begin(conn):
    if conn.dialect.name != "sqlite" or conn.get_execution_options().get(STATEMENT_AT_A_TIME, False):
        return
    # A deferred transaction that reads and then writes fails with SQLITE_BUSY when another writer
    # committed in between; writers take the lock up front and wait their turn (busy_timeout) instead.
    # Page reads stay deferred so readers never queue behind a writer.
    # Straight to the driver: a statement of SQLAlchemy's own would cost as much as a short check-in's SELECT.
    reading = _reading.get() or request_reads()
    conn.connection.driver_connection.execute("BEGIN" if reading else "BEGIN IMMEDIATE")


def reads_only(on: bool = True) -> None:
    """Mark the work under way (the rest of this request, a PDF streamed after its commit) as reading only: on
    SQLite its transactions then begin deferred, so readers never queue behind a writer, and a stream of minutes
    never holds the write lock that check-ins wait for."""
    _reading.set(on)


# --- rows a page keeps while it reads (cached figures) ----------------------------------------------------

log = logging.getLogger(__name__)
BUSY_TIMEOUT_MS = 10000
ASIDE_TIMEOUT_MS = 250


@event.listens_for(Session, "after_flush")
def _note_write(session, flush_context):
    session.info["wrote"] = True


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_rollback")
def _transaction_over(session):
    session.info.pop("wrote", None)


def insert(conn: Connection, table):
    """An INSERT with the dialect's ON CONFLICT clauses (SQLite and PostgreSQL both have them)."""
    from sqlalchemy.dialects.postgresql import insert as pg_insert
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return (pg_insert if conn.dialect.name == "postgresql" else sqlite_insert)(table)


def write_aside(work: Callable[[Connection], None]) -> bool:
    """Run `work(conn)` in a short transaction of its own, for derived rows a page keeps while it reads.

    Skipped when the session's open transaction has written (uncommitted data must never be kept); given up
    rather than waited for when a writer holds the rows (the next reader computes again). True when kept."""
    if db.session.info.get("wrote"):
        return False
    try:
        with db.engine.connect() as conn:
            raw = conn.connection.driver_connection
            sqlite = conn.dialect.name == "sqlite"
            if sqlite:
                raw.execute(f"PRAGMA busy_timeout={ASIDE_TIMEOUT_MS}")
            try:
                with conn.begin():
                    if not sqlite:
                        conn.exec_driver_sql(f"SET LOCAL lock_timeout = '{ASIDE_TIMEOUT_MS}ms'")
                    work(conn)
            finally:
                if sqlite:
                    raw.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        return True
    except DBAPIError as exc:  # busy, locked or raced
        log.info("derived rows not kept: %s", exc.orig)
        return False
