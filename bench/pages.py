"""Measuring pages: SQL statements and server time per request, through the Flask test client."""

import logging
import re
import statistics
import time
import traceback
from dataclasses import asdict, dataclass, field
from pathlib import Path

from flask.logging import default_handler
from sqlalchemy import event, update

from bench.generate import PASSWORD, VIEWER, app_config
from tracker import create_app
from tracker.extensions import db
from tracker.programs.models import ProgramFigures

REPEAT = 5
ROOT = Path(__file__).resolve().parent.parent
# Transaction control is not a query of the page (SQLite gets an explicit BEGIN, PostgreSQL an implicit one).
_CONTROL = re.compile(r"^\s*(BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE|PRAGMA)\b", re.IGNORECASE)
_CSRF = re.compile(rb'name="csrf-token" content="([^"]+)"')


@dataclass
class PageResult:
    key: str
    name: str
    url: str
    status: int | None = None
    error: str | None = None  # the benchmark could not make the request
    detail: str | None = None  # why the server answered 500, from its error log
    statements: list[int] = field(default_factory=list)
    times_ms: list[float] = field(default_factory=list)
    sql: list[tuple[float, str]] = field(default_factory=list)  # (ms, statement) of the last measured request

    @property
    def ok(self) -> bool:
        return self.error is None and self.status == 200

    @property
    def problem(self) -> str | None:
        """Why the page could not be measured, in a few words (None when it was)."""
        if self.error:
            return f"error: {self.error}"
        if self.status == 404:
            return "missing (HTTP 404)"
        if self.status != 200:
            return f"HTTP {self.status}" + (f" ({self.detail})" if self.detail else "")
        return None

    @property
    def statement_count(self) -> int | None:
        return max(self.statements) if self.statements else None

    @property
    def median_ms(self) -> float | None:
        return round(statistics.median(self.times_ms), 1) if self.times_ms else None

    @property
    def sql_ms(self) -> float | None:
        """Time spent executing statements in the last measured request."""
        return round(sum(ms for ms, _s in self.sql), 1) if self.sql else None

    def as_dict(self) -> dict:
        return {
            **asdict(self),
            "statement_count": self.statement_count,
            "median_ms": self.median_ms,
            "sql_ms": self.sql_ms,
        }


class StatementCounter:
    """Counts and times the statements the app sends to the database (cursor events on its engine).

    The time of a statement is its execute; rows fetched afterwards are not included.
    """

    def __init__(self, engine):
        self.statements: list[tuple[float, str]] = []
        self._started: list[float] = []
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)

    def _before(self, conn, cursor, statement, parameters, context, executemany):
        self._started.append(time.perf_counter())

    def _after(self, conn, cursor, statement, parameters, context, executemany):
        elapsed = (time.perf_counter() - self._started.pop()) * 1000
        if not _CONTROL.match(statement):
            self.statements.append((round(elapsed, 2), " ".join(statement.split())))

    def reset(self) -> None:
        self.statements = []
        self._started = []


class ServerErrors(logging.Handler):
    """Keeps the app's error log (a 500's exception) instead of printing it, to name the cause in the report."""

    def __init__(self, app):
        super().__init__(logging.ERROR)
        self.last: str | None = None
        app.logger.removeHandler(default_handler)
        app.logger.propagate = False
        app.logger.addHandler(self)

    def emit(self, record):
        self.last = record.getMessage()
        if record.exc_info and record.exc_info[1] is not None:
            exc = record.exc_info[1]
            frames = [
                f for f in traceback.extract_tb(exc.__traceback__) if _ours(f.filename) and "jinja2" not in f.filename
            ]
            where = f" at {Path(frames[-1].filename).relative_to(ROOT)}:{frames[-1].lineno}" if frames else ""
            self.last = f"{type(exc).__name__}: {exc}{where}"


def _ours(filename: str) -> bool:
    path = Path(filename)
    return path.is_relative_to(ROOT) and not path.is_relative_to(ROOT / ".venv")


def login(client) -> None:
    page = client.get("/login")
    match = _CSRF.search(page.data)
    if not match:
        raise RuntimeError("no csrf-token meta tag on /login")
    token = match.group(1).decode()
    response = client.post(
        "/login",
        data={"username": VIEWER, "password": PASSWORD, "csrf_token": token},
        headers={"X-CSRFToken": token},
    )
    if response.status_code != 302:
        raise RuntimeError(f"login as {VIEWER} answered HTTP {response.status_code}")


def pages_of(ids: dict) -> list[tuple[str, str, str]]:
    """(key, name, url) of the pages measured; the issue names the first three."""
    return [
        ("province", "province dashboard", "/"),
        ("commune", "commune dashboard", f"/?unit_id={ids['commune_id']}"),
        ("program", "program page", f"/programs/{ids['program_id']}"),
        ("task", "task page (extra)", f"/tasks/{ids['task_id']}"),
        ("province_changed", "province dashboard after a change (extra)", "/"),
    ]


# Before each request of these pages (untimed): what a writer elsewhere would have committed. Here a task of one
# commune's program moved, so the province's kept dashboard is stale and is rendered again from the programs'
# kept figures, that one program evaluated afresh.
REPORTED_ONLY = {"province_changed"}


def _prepare(key: str, ids: dict) -> None:
    if key == "province_changed":
        db.session.execute(
            update(ProgramFigures)
            .where(ProgramFigures.program_id == ids["program_id"])
            .values(seq=ProgramFigures.seq + 1, day=None, payload=None)
        )
        db.session.commit()


def _get(client, counter: StatementCounter, url: str) -> tuple[int, int, float]:
    counter.reset()
    started = time.perf_counter()
    response = client.get(url)
    elapsed = (time.perf_counter() - started) * 1000
    return response.status_code, len(counter.statements), elapsed


def measure(url: str, ids: dict, repeat: int = REPEAT) -> list[PageResult]:
    """Log in as the province viewer, then for each page: one warm-up request, then `repeat` measured ones."""
    app = create_app(app_config(url))
    errors = ServerErrors(app)
    results = []
    with app.app_context():
        counter = StatementCounter(db.engine)
    client = app.test_client()
    try:
        login(client)
        for key, name, page_url in pages_of(ids):
            result = PageResult(key, name, page_url)
            results.append(result)
            try:
                errors.last = None
                result.status, _n, _ms = _get(client, counter, page_url)
                if result.status != 200:
                    result.detail = errors.last if result.status == 500 else None
                    continue
                for _ in range(repeat):
                    with app.app_context():
                        _prepare(key, ids)
                    status, count, elapsed = _get(client, counter, page_url)
                    result.status = status
                    result.statements.append(count)
                    result.times_ms.append(round(elapsed, 2))
                result.sql = list(counter.statements)
            except Exception as exc:  # a broken page is reported, the other pages are still measured
                result.error = f"{type(exc).__name__}: {exc}"
                traceback.print_exc()
    finally:
        with app.app_context():
            db.engine.dispose()
    return results


def profile(url: str, page_url: str, out_path, repeat: int = 3) -> int:
    """cProfile of `repeat` requests to one page (after a warm-up), written to `out_path`.

    Returns the warm-up's status: anything but 200 means nothing was profiled.
    """
    import cProfile

    app = create_app(app_config(url))
    ServerErrors(app)
    client = app.test_client()
    login(client)
    status = client.get(page_url).status_code
    if status != 200:
        return status
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(repeat):
        client.get(page_url)
    profiler.disable()
    with app.app_context():
        db.engine.dispose()
    profiler.dump_stats(str(out_path))
    return status
