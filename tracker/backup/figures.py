"""Row counts and checksums of every table, written the same by SQLite and PostgreSQL for the same data."""

import hashlib
import json
from datetime import UTC, date, datetime, time
from decimal import Decimal
from enum import Enum
from pathlib import Path

import sqlalchemy as sa

CHUNK = 1 << 20


def _plain(value):
    """A value as JSON writes it, the same whichever database and driver returned it."""
    if isinstance(value, Enum):
        value = value.value
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value.isoformat(sep=" ")
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, bytes | memoryview):
        return bytes(value).hex()
    return value


def table_figures(conn: sa.Connection) -> dict[str, dict]:
    """{table: {"rows": n, "sha256": …}} for every table, each read once in primary-key order.

    Columns are read through their reflected types, not the models' (an archive may hold an older schema), so
    booleans, decimals and times read alike on SQLite and PostgreSQL."""
    inspector = sa.inspect(conn)
    pg = conn.dialect.name == "postgresql"
    figures = {}
    for name in sorted(inspector.get_table_names()):
        table = sa.table(name, *(sa.column(c["name"], c["type"]) for c in inspector.get_columns(name)))
        keys = inspector.get_pk_constraint(name)["constrained_columns"] or list(table.c.keys())
        # Text keys in code-point order on both: PostgreSQL's default collation follows the server's locale.
        order = [table.c[k].collate("C") if pg and isinstance(table.c[k].type, sa.String) else table.c[k] for k in keys]
        digest, rows = hashlib.sha256(), 0
        for row in conn.execution_options(yield_per=5000).execute(sa.select(table).order_by(*order)):
            line = json.dumps([_plain(v) for v in row], ensure_ascii=False, sort_keys=True, separators=(",", ":"))
            digest.update(line.encode() + b"\n")
            rows += 1
        figures[name] = {"rows": rows, "sha256": digest.hexdigest()}
    return figures


def differences(found: dict[str, dict], expected: dict[str, dict]) -> list[str]:
    """One line per table whose rows or checksum differ from the manifest's (or that only one side has)."""
    lines = []
    for name in sorted(found.keys() | expected.keys()):
        have, want = found.get(name), expected.get(name)
        if have == want:
            continue
        if have is None or want is None:
            lines.append(f"bảng {name}: {'không có trong manifest' if want is None else 'thiếu'}")
        elif have["rows"] != want["rows"]:
            lines.append(f"bảng {name}: {have['rows']} dòng, manifest ghi {want['rows']}")
        else:
            lines.append(f"bảng {name}: mã kiểm tra không khớp")
    return lines


def revision(conn: sa.Connection) -> str | None:
    """The database's Alembic revision (None before any migration)."""
    if not sa.inspect(conn).has_table("alembic_version"):
        return None
    return conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()


def has_rows(conn: sa.Connection) -> bool:
    """Whether any table but alembic_version holds a row (a database fresh from `db upgrade` is empty)."""
    for name in sa.inspect(conn).get_table_names():
        if name != "alembic_version" and conn.scalar(sa.select(sa.literal(1)).select_from(sa.table(name)).limit(1)):
            return True
    return False


def file_sha256(path: Path) -> str:
    """The sha256 of a file, read a MiB at a time."""
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()
