"""The archive: `backup` writes it, `restore` checks it whole, then loads it into an empty database."""

import gzip
import hashlib
import io
import json
import os
import secrets
import shutil
import tarfile
import tempfile
import zlib
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path, PurePosixPath

import sqlalchemy as sa
from alembic.script import ScriptDirectory
from flask import current_app

from tracker.backup import BackupError, databases
from tracker.backup.figures import CHUNK, differences, file_sha256
from tracker.db import LOCAL

FORMAT = 1
MANIFEST = "manifest.json"
FILES = "files/"
ARCHIVE_PREFIX, ARCHIVE_SUFFIX = "tracker-", ".tar.gz"
BROKEN = (tarfile.TarError, EOFError, zlib.error, gzip.BadGzipFile, UnicodeDecodeError)


def upload_folder() -> Path:
    """Where uploaded files live: UPLOAD_FOLDER, relative to the instance folder unless absolute."""
    return Path(current_app.instance_path) / current_app.config["UPLOAD_FOLDER"]


def _database_url() -> sa.URL:
    return sa.make_url(current_app.config["SQLALCHEMY_DATABASE_URI"])


def _uploaded(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.rglob("*") if p.is_file() and not p.is_symlink())


def _app_version() -> str:
    try:
        return metadata.version("tracker")
    except metadata.PackageNotFoundError:
        return "unknown"


# --- backup ---------------------------------------------------------------------------------------------------


def _destination(dest: Path, keep: int | None) -> Path:
    if dest.is_dir():
        return dest / f"{ARCHIVE_PREFIX}{datetime.now(LOCAL):%Y%m%d-%H%M%S}{ARCHIVE_SUFFIX}"
    if keep:
        raise BackupError("--keep chỉ dùng được khi DEST là một thư mục.")
    if not dest.parent.is_dir():
        raise BackupError(f"Không có thư mục {dest.parent}.")
    return dest


class _Hashing:
    """A file read into the archive, hashed on the way."""

    def __init__(self, f):
        self.f, self.digest = f, hashlib.sha256()

    def read(self, size=-1):
        chunk = self.f.read(size)
        self.digest.update(chunk)
        return chunk


def _add_file(tar: tarfile.TarFile, name: str, path: Path, sha256: str) -> None:
    info = tar.gettarinfo(path, arcname=name)
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    with path.open("rb") as f:
        reader = _Hashing(f)
        tar.addfile(info, reader)
    if reader.digest.hexdigest() != sha256:
        raise BackupError(f"Tệp {path} đã đổi trong lúc sao lưu: hãy chạy lại.")


def create_backup(dest: Path, keep: int | None = None) -> dict:
    """Write one archive (DEST, or a dated name in the folder DEST): the database as of one moment, every uploaded
    file and manifest.json, first. It appears only complete; `keep` then leaves the newest archives of the folder.
    Returns the manifest, with the archive's path and the archives removed."""
    url = _database_url()
    dialect = databases.check_url(url)
    folder = upload_folder()
    target = _destination(dest, keep)
    if target.exists():
        raise BackupError(f"Đã có tệp {target}: chọn tên khác.")
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".tracker-backup-") as tmp:
        work = Path(tmp)
        copy, figures, revision = databases.dump(url, work)
        files = {FILES + p.relative_to(folder).as_posix(): p for p in _uploaded(folder)}
        manifest = {
            "format": FORMAT,
            "app": "tracker",
            "app_version": _app_version(),
            "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "dialect": dialect,
            "revision": revision,
            "database": {"member": copy.name, "size": copy.stat().st_size, "sha256": file_sha256(copy)},
            "tables": figures,
            "files": {name: {"size": p.stat().st_size, "sha256": file_sha256(p)} for name, p in files.items()},
        }
        partial = work / "archive.partial"
        gz = {"mode": "w:gz", "compresslevel": 6} if target.name.endswith((".gz", ".tgz")) else {"mode": "w"}
        with tarfile.open(partial, **gz) as tar:  # gzip's own default level: -9 took twice as long for 5 % less
            body = json.dumps(manifest, ensure_ascii=False, indent=1).encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size, info.mtime, info.mode = len(body), int(datetime.now(UTC).timestamp()), 0o600
            tar.addfile(info, io.BytesIO(body))
            _add_file(tar, copy.name, copy, manifest["database"]["sha256"])
            for name, path in files.items():
                _add_file(tar, name, path, manifest["files"][name]["sha256"])
        partial.chmod(0o600)  # the whole database: passwords' hashes, visitors' phones
        os.replace(partial, target)
    manifest["path"] = str(target)
    manifest["removed"] = _prune(target.parent, keep) if keep else []
    return manifest


def _prune(folder: Path, keep: int) -> list[str]:
    """Delete all but the newest `keep` dated archives of the folder (names sort by time); other files stay."""
    dated = sorted(
        p for p in folder.iterdir()
        if p.name.startswith(ARCHIVE_PREFIX) and p.name.endswith(ARCHIVE_SUFFIX) and p.is_file()
    )  # fmt: skip
    removed = dated[:-keep]
    for path in removed:
        path.unlink()
    return [str(p) for p in removed]


# --- restore --------------------------------------------------------------------------------------------------


def _read_manifest(tar: tarfile.TarFile, dialect: str) -> dict:
    first = tar.next()
    if first is None or first.name != MANIFEST or not first.isreg() or first.size > 64 << 20:
        raise BackupError(f"Không phải bản sao lưu của Tracker: thiếu {MANIFEST} ở đầu tệp.")
    try:
        manifest = json.loads(tar.extractfile(first).read())
        ok = (
            manifest["format"] == FORMAT
            and manifest["dialect"] in databases.MEMBER
            and manifest["database"]["member"] == databases.MEMBER[manifest["dialect"]]
            and all(isinstance(v, dict) and {"rows", "sha256"} <= v.keys() for v in manifest["tables"].values())
            and all(_safe_name(n) and {"size", "sha256"} <= v.keys() for n, v in manifest["files"].items())
        )
    except (ValueError, KeyError, TypeError, AttributeError):
        ok = False
    if not ok:
        raise BackupError(f"{MANIFEST} của bản sao lưu không hợp lệ (định dạng {FORMAT} của Tracker).")
    if manifest["dialect"] != dialect:
        raise BackupError(
            f"Bản sao lưu là CSDL {manifest['dialect']}, CSDL đích là {dialect}: chỉ khôi phục được vào cùng loại."
        )
    return manifest


def _safe_name(name: str) -> bool:
    parts = PurePosixPath(name).parts
    return name.startswith(FILES) and len(parts) > 1 and not name.startswith("/") and ".." not in parts


def _check_revision(manifest: dict) -> bool:
    """Refuse a schema the code does not know (newer than it); True when `db upgrade` must follow the restore."""
    script = ScriptDirectory(current_app.extensions["migrate"].directory)
    known = {s.revision for s in script.walk_revisions()}
    heads = set(script.get_heads())
    revision = manifest["revision"]
    if revision not in known:
        raise BackupError(
            f"Bản sao lưu ở phiên bản CSDL “{revision}”, mã nguồn này chỉ biết đến {', '.join(sorted(heads))}: "
            "cập nhật mã nguồn rồi khôi phục."
        )
    return revision not in heads


def _extract(tar: tarfile.TarFile, manifest: dict, work: Path) -> tuple[Path, Path]:
    """Every member, each checked against the manifest's size and sha256, into `work`; nothing missing, nothing
    more."""
    expected = {manifest["database"]["member"]: manifest["database"], **manifest["files"]}
    database, files = work / manifest["database"]["member"], work / "files"
    files.mkdir()
    for index, member in enumerate(tar):
        if index == 0:  # the manifest, read already
            continue
        want = expected.pop(member.name, None)
        if want is None or not member.isreg():
            raise BackupError(f"Bản sao lưu có “{member.name}” mà manifest không ghi: tệp đã bị sửa.")
        path = database if member.name == manifest["database"]["member"] else files / member.name[len(FILES) :]
        path.parent.mkdir(parents=True, exist_ok=True)
        digest, source = hashlib.sha256(), tar.extractfile(member)
        with path.open("wb") as out:
            while chunk := source.read(CHUNK):
                digest.update(chunk)
                out.write(chunk)
        if digest.hexdigest() != want["sha256"] or member.size != want["size"]:
            raise BackupError(f"“{member.name}” trong bản sao lưu không khớp mã kiểm tra sha256: tệp hỏng hoặc bị sửa.")
    if expected:
        raise BackupError(f"Bản sao lưu thiếu {len(expected)} tệp manifest có ghi, như “{min(expected)}”.")
    return database, files


def _replace_folder(staged: Path, folder: Path) -> None:
    old = folder.with_name(f".{folder.name}.old-{secrets.token_hex(4)}")
    if folder.exists():
        folder.rename(old)
    staged.rename(folder)
    shutil.rmtree(old, ignore_errors=True)


def restore_backup(src: Path, force: bool = False) -> dict:
    """Load an archive into the app's database and upload folder, both empty unless `force`. The whole archive is
    checked first (sizes, sha256, and for SQLite the rows' figures); the database then changes in one transaction,
    and its counts and checksums are compared with the manifest. Returns what was restored."""
    url = _database_url()
    dialect = databases.check_url(url)
    folder = upload_folder()
    folder.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=folder.parent, prefix=".tracker-restore-") as tmp:
        try:
            with tarfile.open(src, "r:*") as tar:
                manifest = _read_manifest(tar, dialect)
                upgrade = _check_revision(manifest)
                if not force and (databases.has_data(url) or _uploaded(folder)):
                    raise BackupError(
                        "CSDL đích (hoặc thư mục tệp tải lên) đã có dữ liệu: thêm --force để thay thế toàn bộ."
                    )
                database, files = _extract(tar, manifest, Path(tmp))
        except BROKEN as exc:
            raise BackupError(f"{src} hỏng hoặc không phải bản sao lưu (tar): {exc}.") from None
        staged = databases.check_staged(dialect, database)
        if staged is not None and (problems := differences(staged, manifest["tables"])):
            raise BackupError("CSDL trong bản sao lưu không khớp manifest: " + "; ".join(problems) + ".")
        databases.load(url, database)
        found, _ = databases.figures(url)
        if problems := differences(found, manifest["tables"]):
            raise BackupError("CSDL sau khi nạp không khớp manifest: " + "; ".join(problems) + ".")
        _replace_folder(files, folder)
    return {
        "created_at": manifest["created_at"],
        "app_version": manifest["app_version"],
        "revision": manifest["revision"],
        "upgrade": upgrade,
        "tables": {name: v["rows"] for name, v in found.items()},
        "files": len(manifest["files"]),
        "file_bytes": sum(v["size"] for v in manifest["files"].values()),
    }
