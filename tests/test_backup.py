"""`flask backup` and `flask restore` (DESIGN §12): a round trip on SQLite and PostgreSQL gives the same rows, files
and checksums and an app that serves; a backup taken while another process writes is consistent; a broken,
tampered or too new archive, or a target holding data, is refused with nothing changed."""

import io
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tarfile
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests import factories
from tests.conftest import POSTGRES_URL, CSRFClient, _pg_url, base_config
from tracker import create_app
from tracker.backup import BackupError, databases
from tracker.backup.figures import table_figures
from tracker.demo import build_demo
from tracker.extensions import db

UPLOADED = {
    "2026/ab/bien-ban.pdf": b"%PDF-1.7 bien ban hop",
    "anh-diem-qr.png": b"\x89PNG\r\n\x1a\n" + bytes(range(256)),
}


def _needs_client(url: str) -> None:
    if url.startswith("postgresql") and not shutil.which("pg_dump"):
        pytest.skip("pg_dump is not installed (apt-get install postgresql-client): PostgreSQL backups not tested")


@contextmanager
def app_on(url: str, uploads: Path):
    """An app on this database and upload folder, inside its app context."""
    app = create_app(base_config(url, str(uploads.parent)) | {"UPLOAD_FOLDER": str(uploads)})
    app.test_client_class = CSRFClient
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


def run(app, *args):
    result = app.test_cli_runner().invoke(args=[str(a) for a in args])
    # A refusal is a message and exit code 1 (click), never a traceback.
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result


def counts(url: str) -> dict[str, int]:
    """Rows per table, by plain COUNT(*) (not through the code under test)."""
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        names = sa.inspect(conn).get_table_names()
        found = {n: conn.execute(sa.select(sa.func.count()).select_from(sa.table(n))).scalar() for n in names}
    engine.dispose()
    return found


def write_uploads(folder: Path, files: dict[str, bytes]) -> None:
    for name, body in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(body)


def read_uploads(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def members(archive: Path) -> dict[str, bytes]:
    with tarfile.open(archive) as tar:
        return {m.name: tar.extractfile(m).read() for m in tar}


def rewrite(archive: Path, out: Path, **changes) -> Path:
    """A copy of the archive with members replaced (bytes) or edited (a function of their bytes)."""
    body = members(archive)
    for name, change in changes.items():
        body[name] = change(body.get(name)) if callable(change) else change
    with tarfile.open(out, "w:gz") as tar:
        for name, data in body.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return out


def edit_manifest(edit):
    def change(data):
        manifest = json.loads(data)
        edit(manifest)
        return json.dumps(manifest).encode()

    return change


@pytest.fixture
def source(database_url, tmp_path):
    """The demo scenario, an admin and two uploaded files."""
    _needs_client(database_url)
    uploads = tmp_path / "source-uploads"
    write_uploads(uploads, UPLOADED)
    with app_on(database_url, uploads) as app:
        build_demo()
        factories.create_user("admin", "admin", None)
        db.session.commit()
        yield app


@pytest.fixture
def empty_database(database_url, tmp_path):
    """A database with nothing in it, of the source's kind."""
    if database_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'restored' / 'tracker.sqlite3'}"
        return
    name = f"tracker_restore_{os.getpid()}"
    admin = sa.create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        conn.exec_driver_sql(f"CREATE DATABASE {name}")
    yield _pg_url(name)
    with admin.connect() as conn:
        conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    admin.dispose()


def test_round_trip_gives_the_same_rows_files_and_checksums_and_an_app_that_serves(
    source, database_url, empty_database, tmp_path
):
    archive = tmp_path / "tracker.tar.gz"
    made = run(source, "backup", archive)
    assert made.exit_code == 0, made.output
    assert archive.is_file() and oct(archive.stat().st_mode & 0o777) == "0o600"
    database_member = databases.MEMBER[sa.make_url(database_url).get_backend_name()]
    assert set(members(archive)) == {"manifest.json", database_member} | {f"files/{n}" for n in UPLOADED}
    expected_counts = counts(database_url)
    with db.engine.connect() as conn:
        expected_figures = table_figures(conn)
    manifest = json.loads(members(archive)["manifest.json"])
    current = db.session.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
    assert manifest["tables"] == expected_figures and manifest["revision"] == current
    assert {n: t["rows"] for n, t in manifest["tables"].items()} == expected_counts
    assert expected_counts["units"] > 5 and expected_counts["audit_events"] > 0

    uploads = tmp_path / "restored-uploads"
    with app_on(empty_database, uploads) as target:
        restored = run(target, "restore", archive)
        assert restored.exit_code == 0, restored.output
        assert f"units: {expected_counts['units']} dòng" in restored.output
        assert "2 tệp tải lên" in restored.output and "khớp với manifest" in restored.output
        with db.engine.connect() as conn:
            assert table_figures(conn) == expected_figures
        assert counts(empty_database) == expected_counts
        assert read_uploads(uploads) == UPLOADED

        client = target.test_client()
        assert client.post("/login", data={"username": "admin", "password": factories.PASSWORD}).status_code == 302
        page = client.get("/")
        assert page.status_code == 200
        assert "Thái Nguyên" in page.get_data(as_text=True)


def test_a_target_holding_data_is_refused_unless_forced(source, database_url, tmp_path):
    archive = tmp_path / "tracker.tar"
    assert run(source, "backup", archive).exit_code == 0
    before = counts(database_url)
    factories.create_unit("Phường thêm sau sao lưu", "ward")
    db.session.commit()
    uploads = Path(source.config["UPLOAD_FOLDER"])
    write_uploads(uploads, {"sau-sao-luu.pdf": b"%PDF later"})

    refused = run(source, "restore", archive)
    assert refused.exit_code == 1
    assert "đã có dữ liệu" in refused.output and "--force" in refused.output
    assert counts(database_url)["units"] == before["units"] + 1
    assert "sau-sao-luu.pdf" in read_uploads(uploads)

    db.session.remove()
    forced = run(source, "restore", "--force", archive)
    assert forced.exit_code == 0, forced.output
    assert counts(database_url) == before
    assert read_uploads(uploads) == UPLOADED
    # The app goes on writing to the restored database (its triggers, sequences and constraints came back).
    factories.create_unit("Phường sau khôi phục", "ward", code="99999")
    db.session.commit()
    assert counts(database_url)["units"] == before["units"] + 1


def test_a_database_fresh_from_migrations_counts_as_empty(sqlite_archive, sqlite_template, tmp_path):
    target = tmp_path / "migrated.sqlite3"
    shutil.copyfile(sqlite_template, target)
    with app_on(f"sqlite:///{target}", tmp_path / "restored-uploads") as fresh:
        restored = run(fresh, "restore", sqlite_archive)
    assert restored.exit_code == 0, restored.output
    assert counts(f"sqlite:///{target}") == counts(f"sqlite:///{tmp_path / 'source.sqlite3'}")


WRITER = """
import pathlib, sqlite3, sys, time
conn = sqlite3.connect(sys.argv[1], timeout=10, isolation_level=None)
stop, started = pathlib.Path(sys.argv[2]), pathlib.Path(sys.argv[3])
n, slowest = 0, 0.0
while not stop.exists():
    begun = time.perf_counter()
    conn.execute("BEGIN IMMEDIATE")
    conn.execute(
        "INSERT INTO units (name, search_name, kind, created_at, updated_at, version) "
        "VALUES (?, ?, 'ward', '2026-01-01 00:00:00', '2026-01-01 00:00:00', 1)", (f"Tổ {n}", f"to {n}"))
    conn.execute("COMMIT")
    slowest = max(slowest, time.perf_counter() - begun)
    n += 1
    if n == 200:
        started.touch()
print(n, slowest)
"""


def test_a_sqlite_backup_while_another_process_writes_is_consistent(sqlite_template, tmp_path):
    path = tmp_path / "live.sqlite3"
    shutil.copyfile(sqlite_template, path)
    url = f"sqlite:///{path}"
    with app_on(url, tmp_path / "uploads") as app:
        build_demo()
        db.session.commit()
        # Enough rows that the backup's reading and counting take a while.
        db.session.execute(
            sa.text("INSERT INTO units (name, search_name, kind, created_at, updated_at, version) "
                    "VALUES (:n, :n, 'ward', '2026-01-01 00:00:00', '2026-01-01 00:00:00', 1)"),
            [{"n": f"Thôn {i}"} for i in range(20000)],
        )  # fmt: skip
        db.session.commit()
        stop, started = tmp_path / "stop", tmp_path / "started"
        writer = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(path), str(stop), str(started)], stdout=subprocess.PIPE, text=True
        )
        try:
            deadline = time.monotonic() + 30
            while not started.exists() and time.monotonic() < deadline:
                time.sleep(0.01)
            assert started.exists(), "the writer did not start"
            before = counts(url)["units"]
            made = run(app, "backup", tmp_path / "live.tar.gz")
            after = counts(url)["units"]
        finally:
            stop.touch()
            written, slowest = writer.communicate(timeout=30)[0].split()
        assert made.exit_code == 0, made.output
    assert writer.returncode == 0
    # The writer went on during the backup, never waiting for it long.
    assert after > before and float(slowest) < 5
    manifest = json.loads(members(tmp_path / "live.tar.gz")["manifest.json"])
    assert before <= manifest["tables"]["units"]["rows"] <= after <= before + int(written)

    copy = tmp_path / "copy.sqlite3"
    copy.write_bytes(members(tmp_path / "live.tar.gz")["database.sqlite3"])
    conn = sqlite3.connect(copy)
    assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    assert conn.execute("PRAGMA journal_mode").fetchone() == ("delete",)
    conn.close()
    assert counts(f"sqlite:///{copy}") == {n: t["rows"] for n, t in manifest["tables"].items()}
    with app_on(f"sqlite:///{tmp_path / 'restored.sqlite3'}", tmp_path / "restored-uploads") as target:
        assert run(target, "restore", tmp_path / "live.tar.gz").exit_code == 0


@pytest.fixture
def sqlite_archive(sqlite_template, tmp_path):
    uploads = tmp_path / "uploads"
    write_uploads(uploads, UPLOADED)
    path = tmp_path / "source.sqlite3"
    shutil.copyfile(sqlite_template, path)
    with app_on(f"sqlite:///{path}", uploads) as app:
        build_demo()
        db.session.commit()
        assert run(app, "backup", tmp_path / "good.tar.gz").exit_code == 0
    return tmp_path / "good.tar.gz"


def add_file(name):
    return lambda m: m["files"].update({name: {"size": 1, "sha256": "0" * 64}})


def units_rows(rows):
    return lambda m: m["tables"]["units"].update(rows=rows)


def revision(value):
    return lambda m: m.update(revision=value)


def dialect(value):
    return lambda m: m.update(dialect=value, database={"member": "database.pgdump", "size": 1, "sha256": "0"})


def _flip_a_byte(data: bytes) -> bytes:
    middle = len(data) // 2
    return data[:middle] + bytes([data[middle] ^ 0xFF]) + data[middle + 1 :]


def change(**replaced):
    return lambda archive, out: rewrite(archive, out, **replaced)


def in_manifest(edit):
    return change(**{"manifest.json": edit_manifest(edit)})


def truncated(archive, out):
    out.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
    return out


def not_a_tar(archive, out):
    out.write_bytes(b"PK\x03\x04 not a tar")
    return out


BROKEN = {
    "database": (change(**{"database.sqlite3": _flip_a_byte}), "sha256"),
    "file": (change(**{"files/anh-diem-qr.png": b"another picture"}), "sha256"),
    "extra-file": (change(**{"files/extra.sh": b"rm -rf /"}), "manifest không ghi"),
    "path-escape": (change(**{"files/../../escape": b"x"}), "manifest không ghi"),
    "missing-file": (in_manifest(add_file("files/missing.pdf")), "thiếu 1 tệp"),
    "listed-escape": (in_manifest(add_file("files/../x")), "không hợp lệ"),
    "figures": (in_manifest(units_rows(1)), r"units: \d+ dòng, manifest ghi 1"),
    "newer-revision": (in_manifest(revision("0099")), "cập nhật mã nguồn"),
    "other-dialect": (in_manifest(dialect("postgresql")), "cùng loại"),
    "manifest": (change(**{"manifest.json": b"{not json"}), "manifest.json"),
    "truncated": (truncated, "hỏng"),
    "not-tar": (not_a_tar, "hỏng"),
}


@pytest.mark.parametrize(("broken", "message"), BROKEN.values(), ids=BROKEN.keys())
def test_a_broken_or_tampered_archive_is_refused_and_nothing_changes(sqlite_archive, tmp_path, broken, message):
    archive = broken(sqlite_archive, tmp_path / "broken.tar.gz")
    target = tmp_path / "target" / "tracker.sqlite3"
    uploads = tmp_path / "target" / "uploads"
    with app_on(f"sqlite:///{target}", uploads) as app:
        refused = run(app, "restore", archive)
    assert refused.exit_code == 1, refused.output
    assert re.search(message, refused.output), refused.output
    assert not target.exists() and not uploads.exists()
    assert [p.name for p in target.parent.iterdir()] == []  # no staging left behind


def test_an_archive_from_an_older_revision_restores_and_asks_for_an_upgrade(sqlite_archive, tmp_path):
    older = in_manifest(revision("0001"))(sqlite_archive, tmp_path / "older.tar.gz")
    with app_on(f"sqlite:///{tmp_path / 'restored.sqlite3'}", tmp_path / "restored-uploads") as app:
        restored = run(app, "restore", older)
    assert restored.exit_code == 0, restored.output
    assert "migration 0001" in restored.output and "db upgrade" in restored.output


def test_keep_leaves_the_newest_dated_archives_of_a_folder(sqlite_archive, tmp_path):
    folder = tmp_path / "backups"
    folder.mkdir()
    for name in ("tracker-20250101-023000.tar.gz", "tracker-20250102-023000.tar.gz", "notes.txt"):
        (folder / name).write_text("old")
    with app_on(f"sqlite:///{tmp_path / 'source.sqlite3'}", tmp_path / "uploads") as app:
        made = run(app, "backup", folder, "--keep", 2)
        assert made.exit_code == 0, made.output
        assert "Đã xóa 1 bản cũ: tracker-20250101-023000.tar.gz" in made.output
        names = sorted(p.name for p in folder.iterdir())
        assert names[0] == "notes.txt" and names[1] == "tracker-20250102-023000.tar.gz" and len(names) == 3
        assert members(folder / names[2])["files/anh-diem-qr.png"] == UPLOADED["anh-diem-qr.png"]
        assert "DEST là một thư mục" in run(app, "backup", tmp_path / "x.tar", "--keep", 2).output
        existing = run(app, "backup", sqlite_archive)
        assert existing.exit_code == 1 and "Đã có tệp" in existing.output


def test_postgresql_client_tools_missing_or_too_old_are_named(monkeypatch):
    real = shutil.which("pg_dump")
    monkeypatch.setattr(databases.shutil, "which", lambda name: None)
    with pytest.raises(BackupError, match="Không tìm thấy pg_dump.*postgresql-client-99"):
        databases.pg_tool("pg_dump", 99)
    if real:
        monkeypatch.setattr(databases.shutil, "which", lambda name: real)
        with pytest.raises(BackupError, match="cũ hơn máy chủ PostgreSQL 99"):
            databases.pg_tool("pg_dump", 99)
