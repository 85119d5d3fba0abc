"""Keeping an upload between its preview and its confirmation, in the instance folder, under a random token bound
to its user and its import, for a day. A token that is unknown, expired or of another import is `Gone`; one
uploaded by another user is `NotYours`: the web flow (tracker.imports.flow) answers them 410 and 403."""

import json
import re
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from flask import current_app

STASH_SECONDS = 24 * 3600
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{32}$")


class Gone(Exception):
    """No upload is kept under this token for this import (unknown, expired, already confirmed)."""


class NotYours(Exception):
    """The upload kept under this token is another user's."""


@dataclass
class Stashed:
    data: bytes
    filename: str
    options: dict


def folder() -> Path:
    """Where uploads are kept (made on first use, readable by the app's user only)."""
    path = Path(current_app.instance_path) / "imports"
    path.mkdir(mode=0o700, exist_ok=True)
    return path


def stash(kind: str, user_id: int, data: bytes, filename: str, options: dict | None = None) -> str:
    """Keep an upload for a day under a random token bound to its user; stale uploads are swept on the way."""
    kept = folder()
    cutoff = time.time() - STASH_SECONDS
    for old in kept.iterdir():
        try:
            if old.stat().st_mtime < cutoff:
                old.unlink()
        except OSError:
            continue  # swept by another worker meanwhile
    token = secrets.token_urlsafe(24)
    (kept / f"{token}.data").write_bytes(data)
    meta = {"kind": kind, "user_id": user_id, "filename": filename, "options": options or {}, "at": time.time()}
    (kept / f"{token}.json").write_text(json.dumps(meta), encoding="utf-8")  # written last: marks it complete
    return token


def load(kind: str, token: str, user_id: int) -> Stashed:
    """The upload kept under `token`: Gone when unknown or expired, NotYours when another user uploaded it."""
    if not _TOKEN.match(token or ""):
        raise Gone()
    kept = folder()
    try:
        meta = json.loads((kept / f"{token}.json").read_text(encoding="utf-8"))
        data = (kept / f"{token}.data").read_bytes()
    except (OSError, ValueError):
        raise Gone() from None
    if meta.get("kind") != kind or time.time() - meta.get("at", 0) > STASH_SECONDS:
        raise Gone()
    if meta.get("user_id") != user_id:
        raise NotYours()
    return Stashed(data, meta.get("filename", ""), meta.get("options", {}))


def discard(token: str) -> None:
    """Forget a stashed upload (after its confirmation)."""
    if _TOKEN.match(token or ""):
        for suffix in (".json", ".data"):
            (folder() / f"{token}{suffix}").unlink(missing_ok=True)
