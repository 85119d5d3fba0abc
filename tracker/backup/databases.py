"""The database part of an archive: SQLite through its online backup API, PostgreSQL through pg_dump -Fc."""

import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.pool import NullPool

from tracker.backup import BackupError
from tracker.backup.figures import has_rows, revision, table_figures
from tracker.db import BUSY_TIMEOUT_MS

MEMBER = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}


def check_url(url: sa.URL) -> str:
    """The URL's dialect, when backups know it."""
    dialect = url.get_backend_name()
    if dialect not in MEMBER:
        raise BackupError(f"Chưa sao lưu được CSDL {dialect}: chỉ SQLite và PostgreSQL.")
    if dialect == "sqlite":
        _sqlite_path(url)
    return dialect


def _connect(url: sa.URL | str):
    return sa.create_engine(url, poolclass=NullPool)


def figures(url: sa.URL | str) -> tuple[dict, str | None]:
    """(table figures, Alembic revision) of a database."""
    engine = _connect(url)
    try:
        with engine.connect() as conn:
            return table_figures(conn), revision(conn)
    finally:
        engine.dispose()


def has_data(url: sa.URL) -> bool:
    """Whether the database holds any row (a missing SQLite file holds none)."""
    if url.get_backend_name() == "sqlite" and not _sqlite_path(url).exists():
        return False
    engine = _connect(url)
    try:
        with engine.connect() as conn:
            return has_rows(conn)
    finally:
        engine.dispose()


def dump(url: sa.URL, work: Path) -> tuple[Path, dict, str | None]:
    """A consistent copy of the database in `work`, with the figures and revision of that very copy."""
    return (_sqlite_dump if url.get_backend_name() == "sqlite" else _pg_dump)(url, work)


def check_staged(dialect: str, staged: Path) -> dict | None:
    """Before the target is touched: the SQLite file is sound; its figures, to compare with the manifest's.
    A PostgreSQL dump is only checked by its sha256 here: its figures are counted once loaded."""
    if dialect != "sqlite":
        return None
    _sqlite_check(staged)
    return figures(f"sqlite:///{staged}")[0]


def load(url: sa.URL, staged: Path) -> None:
    """Replace the target's contents by the staged copy, all or nothing."""
    (_sqlite_load if url.get_backend_name() == "sqlite" else _pg_load)(url, staged)


# --- SQLite ---------------------------------------------------------------------------------------------------


def _sqlite_path(url: sa.URL) -> Path:
    if not url.database or url.database == ":memory:" or url.database.startswith("file:"):
        raise BackupError(f"CSDL SQLite “{url.database or ':memory:'}” không phải một tệp: không sao lưu được.")
    return Path(url.database)


def _sqlite_copy(source: Path, target: Path) -> None:
    """SQLite's online backup in one step: one read transaction, so the copy is the database as of one moment
    while writers go on (in WAL mode a reader never blocks them). Into a live target it is one write transaction."""
    src = sqlite3.connect(source, timeout=BUSY_TIMEOUT_MS / 1000)
    try:
        dst = sqlite3.connect(target, timeout=BUSY_TIMEOUT_MS / 1000)
        try:
            src.backup(dst)
        finally:
            dst.close()
    finally:
        src.close()


def _sqlite_check(path: Path) -> None:
    """One self-contained file (no -wal beside it) whose pages SQLite finds sound."""
    try:
        conn = sqlite3.connect(path)
        try:
            conn.execute("PRAGMA journal_mode=DELETE")
            result = conn.execute("PRAGMA integrity_check").fetchall()
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"Tệp CSDL SQLite hỏng: {exc}.") from None
    if result != [("ok",)]:
        raise BackupError(f"Tệp CSDL SQLite hỏng (integrity_check: {result[0][0]}).")


def _sqlite_dump(url: sa.URL, work: Path) -> tuple[Path, dict, str | None]:
    source = _sqlite_path(url)
    if not source.is_file():
        raise BackupError(f"Không có tệp CSDL {source}.")
    copy = work / MEMBER["sqlite"]
    _sqlite_copy(source, copy)
    found, rev = figures(f"sqlite:///{copy}")
    _sqlite_check(copy)
    return copy, found, rev


def _sqlite_load(url: sa.URL, staged: Path) -> None:
    target = _sqlite_path(url)
    target.parent.mkdir(parents=True, exist_ok=True)
    _sqlite_copy(staged, target)


# --- PostgreSQL -----------------------------------------------------------------------------------------------


def pg_tool(name: str, server_major: int) -> str:
    """The client program `name` (pg_dump, pg_restore, psql), no older than the server: Debian keeps one per major
    version under /usr/lib/postgresql; else the one on PATH."""
    for candidate in (f"/usr/lib/postgresql/{server_major}/bin/{name}", shutil.which(name)):
        if not candidate or not os.access(candidate, os.X_OK):
            continue
        # Programs found by this function, arguments as a list, no shell: nothing a user types reaches a shell.
        said = subprocess.run([candidate, "--version"], capture_output=True, text=True, check=False).stdout  # noqa: S603
        match = re.search(r"\) (\d+)", said) or re.search(r"(\d+)", said)
        major = int(match.group(1)) if match else 0
        if major < server_major:
            raise BackupError(
                f"{candidate} là bản {major}, cũ hơn máy chủ PostgreSQL {server_major}: "
                f"cài gói postgresql-client-{server_major} rồi chạy lại."
            )
        return candidate
    raise BackupError(
        f"Không tìm thấy {name} (cần cho CSDL PostgreSQL): cài gói postgresql-client-{server_major} "
        f"(Debian/Ubuntu: apt-get install postgresql-client-{server_major}) rồi chạy lại."
    )


def _libpq(url: sa.URL) -> tuple[str, dict]:
    """The URL as libpq reads it, and an environment carrying the password (never on a command line)."""
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    return url.set(drivername="postgresql", password=None).render_as_string(hide_password=False), env


def _server_major(conn: sa.Connection) -> int:
    return int(conn.exec_driver_sql("SHOW server_version_num").scalar()) // 10000


def _run(command: list[str], env: dict, what: str, **kwargs) -> None:
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False, **kwargs)  # noqa: S603
    if done.returncode:
        raise BackupError(f"{what} thất bại (mã {done.returncode}): {done.stderr.strip()[-2000:]}")


def _pg_dump(url: sa.URL, work: Path) -> tuple[Path, dict, str | None]:
    """pg_dump -Fc of the snapshot a REPEATABLE READ transaction exports; that transaction then counts the same
    snapshot, so the manifest describes exactly the dump while the app goes on writing."""
    copy = work / MEMBER["postgresql"]
    dsn, env = _libpq(url)
    engine = _connect(url)
    try:
        with engine.connect() as conn:
            tool = pg_tool("pg_dump", _server_major(conn))
            conn.rollback()
            conn = conn.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
            with conn.begin():
                snapshot = conn.exec_driver_sql("SELECT pg_export_snapshot()").scalar()
                _run([tool, "-Fc", f"--snapshot={snapshot}", f"--file={copy}", f"--dbname={dsn}"], env, "pg_dump")
                return copy, table_figures(conn), revision(conn)
    finally:
        engine.dispose()


def _drops(conn: sa.Connection) -> list[str]:
    """DROP statements for what the target's schema holds (tables with their triggers, views, sequences,
    functions, types), run in the restore's own transaction."""
    found = [
        ("VIEW", "SELECT quote_ident(viewname) FROM pg_views WHERE schemaname = current_schema()"),
        ("TABLE", "SELECT quote_ident(tablename) FROM pg_tables WHERE schemaname = current_schema()"),
        ("SEQUENCE", "SELECT quote_ident(sequencename) FROM pg_sequences WHERE schemaname = current_schema()"),
        (
            "FUNCTION",
            "SELECT p.oid::regprocedure::text FROM pg_proc p WHERE p.pronamespace = current_schema()::regnamespace "
            "AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e')",
        ),
        (
            "TYPE",
            "SELECT quote_ident(typname) FROM pg_type WHERE typnamespace = current_schema()::regnamespace "
            "AND typtype IN ('e', 'd')",
        ),
    ]
    q = conn.exec_driver_sql
    return [f"DROP {kind} IF EXISTS {name} CASCADE" for kind, sql in found for name in q(sql).scalars()]


def _pg_load(url: sa.URL, staged: Path) -> None:
    """pg_restore's script, after the DROPs, through psql in one transaction: on any error nothing changes."""
    dsn, env = _libpq(url)
    engine = _connect(url)
    try:
        with engine.connect() as conn:
            major = _server_major(conn)
            drops = _drops(conn)
    finally:
        engine.dispose()
    restore, psql = pg_tool("pg_restore", major), pg_tool("psql", major)
    command = [psql, "-X", "-q", "-v", "ON_ERROR_STOP=1", "--single-transaction", f"--dbname={dsn}"]
    command += [arg for statement in drops for arg in ("-c", statement)] + ["-f", "-"]
    with tempfile.TemporaryFile() as errors:
        script = subprocess.Popen(  # noqa: S603
            [restore, "--no-owner", "--no-privileges", "--file=-", str(staged)],
            stdout=subprocess.PIPE, stderr=errors, env=env,
        )  # fmt: skip
        try:
            _run(command, env, "Nạp bản sao lưu vào PostgreSQL (psql)", stdin=script.stdout)
        finally:
            script.stdout.close()
            script.wait()
        if script.returncode:
            errors.seek(0)
            said = errors.read().decode(errors="replace").strip()[-2000:]
            raise BackupError(f"pg_restore thất bại (mã {script.returncode}): {said}")
