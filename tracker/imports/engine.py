"""The row engine: what an import declares, its header matched, each row checked into a preview (nothing
written), then the whole file applied, or nothing.

An import is any object with (see `Importer`):
    kind      short name ("sites"): the namespace of its stashed uploads
    columns   a tuple of `Column(key, header, required, aliases, example, width, help)`
    check(rows)       fill each RowResult's errors, warnings, action ("new"/"update") and target
    apply_row(row)    write one checked row through the area's services (they flush; the caller commits)
and may declare
    ignored_headers   headers a file may carry that the import reads nothing from (say, the read-only columns of
                      an export): skipped and named in `Preview.ignored`, where any other unknown header is refused

The caller (a view or a CLI command) runs:
    result = preview(importer, data, filename)     # never raises on bad input: result.fatal / row errors
    if result.ok: counts = apply(importer, result); db.session.commit()
"""

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple, Protocol

from flask_babel import force_locale
from flask_babel import gettext as _
from openpyxl.utils import get_column_letter

from tracker.errors import ValidationError
from tracker.formatting import number
from tracker.imports.reading import file_error, read_rows
from tracker.text import drop_control_characters, fold, has_control_characters, invalid_characters

MAX_ROWS = 10_000
PREVIEW_CLEAN_ROWS = 200  # rows without problems shown on a preview page; problem rows are all shown
NEW, UPDATE, ERROR = "new", "update", "error"


# --- what an import declares, and what a preview holds --------------------------------------------------------


class Column(NamedTuple):
    """One column of an import. `header` is the Vietnamese heading of the template; headers in a file match it,
    the key or an alias ignoring accents, case and spaces."""

    key: str
    header: str
    required: bool = False
    aliases: tuple[str, ...] = ()
    example: str = ""
    width: int = 20
    help: str = ""


@dataclass
class RowResult:
    """One data row: `number` is the spreadsheet row (the header is row 1); `values` maps the keys of the columns
    present in the file to their text; `target` is whatever `apply_row` needs (resolved by `check`)."""

    number: int
    values: dict[str, str]
    action: str = NEW
    errors: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    target: Any = None

    def error(self, key: str, message: str) -> None:
        """Record a problem with one field (the first one per field is kept)."""
        self.errors.setdefault(key, message)


@dataclass
class Preview:
    """The outcome of reading and checking a file. `fatal`: problems with the file as a whole (nothing was
    checked row by row)."""

    columns: Sequence[Column]
    rows: list[RowResult] = field(default_factory=list)
    fatal: list[str] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)  # headers of the file skipped as the import's ignored_headers

    @property
    def counts(self) -> dict[str, int]:
        found = {NEW: 0, UPDATE: 0, ERROR: 0, "warning": 0, "total": len(self.rows)}
        for row in self.rows:
            found[row.action] += 1
            found["warning"] += bool(row.warnings)
        return found

    @property
    def ok(self) -> bool:
        """True when the file may be applied: readable, not empty, and no row has an error."""
        return not self.fatal and bool(self.rows) and not any(r.errors for r in self.rows)

    def label(self, key: str) -> str:
        """The header a field key is shown under (a row-level problem is shown under "Dòng")."""
        for column in self.columns:
            if column.key == key:
                return str(column.header)
        return _("Dòng")

    def shown(self) -> tuple[list[RowResult], int]:
        """(rows for a preview page, how many clean rows were left out): errors first, then warnings, then the
        first clean rows."""
        errors = [r for r in self.rows if r.errors]
        warned = [r for r in self.rows if r.warnings and not r.errors]
        clean = [r for r in self.rows if not r.errors and not r.warnings]
        return errors + warned + clean[:PREVIEW_CLEAN_ROWS], max(len(clean) - PREVIEW_CLEAN_ROWS, 0)


class Importer(Protocol):
    kind: str
    columns: Sequence[Column]
    # ignored_headers: Sequence[str], optional (read with getattr): see the module's docstring

    def check(self, rows: list[RowResult]) -> None: ...

    def apply_row(self, row: RowResult) -> None: ...


# --- headers and rows -----------------------------------------------------------------------------------------


def _header_key(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", fold(text))


def _expected(columns: Sequence[Column]) -> str:
    return ", ".join(f"“{c.header}”" + ("*" if c.required else "") for c in columns)


def match_headers(columns: Sequence[Column], header: list[str], ignored: Sequence[str] = ()) -> list[str | None]:
    """The column key of each header cell (None for a blank one or one of the `ignored` headers), or a
    ValidationError naming the expected headers."""
    known: dict[str, str] = {}
    for column in columns:
        with force_locale("vi"):
            vietnamese = str(column.header)
        for name in (column.key, vietnamese, str(column.header), *column.aliases):
            known.setdefault(_header_key(name), column.key)
    skipped = set()
    for name in ignored:
        with force_locale("vi"):
            skipped.add(_header_key(str(name)))
        skipped.add(_header_key(str(name)))
    keys: list[str | None] = []
    unknown, repeated = [], []
    for cell in header:
        if not cell.strip():
            keys.append(None)
            continue
        key = known.get(_header_key(cell))
        if key is None:
            if _header_key(cell) not in skipped:
                unknown.append(cell.strip())
        elif key in keys:
            repeated.append(cell.strip())
        keys.append(key)
    missing = [str(c.header) for c in columns if c.required and c.key not in keys]
    problems = []
    if unknown:
        problems.append(_("cột không nhận ra: %(names)s", names=", ".join(f"“{n}”" for n in unknown)))
    if repeated:
        problems.append(_("cột lặp lại: %(names)s", names=", ".join(f"“{n}”" for n in repeated)))
    if missing:
        problems.append(_("thiếu cột bắt buộc: %(names)s", names=", ".join(f"“{n}”" for n in missing)))
    if problems:
        raise file_error(
            _(
                "Dòng tiêu đề không đúng (%(problems)s). Các cột cần có: %(expected)s (* là bắt buộc). "
                "Hãy dùng tệp mẫu.",
                problems="; ".join(problems),
                expected=_expected(columns),
            )
        )
    return keys


def _parse(
    columns: Sequence[Column], rows: Iterator[tuple[int, list[str]]], ignored: Sequence[str] = ()
) -> tuple[list[RowResult], list[str]]:
    """Header (the first non-blank row) matched, data rows turned into RowResults, required values checked.
    Returns the rows and the headers skipped (`ignored` ones, whose cells are not read)."""
    keys: list[str | None] | None = None
    skipped: list[str] = []
    results: list[RowResult] = []
    headers = {c.key: c.header for c in columns}
    required = {c.key: c for c in columns if c.required}
    examples = {c.key: c.example for c in columns if c.example}
    for number_, cells in rows:
        if not any(c.strip() for c in cells):
            continue
        if keys is None:
            keys = match_headers(columns, cells, ignored)
            skipped = [cell.strip() for cell, key in zip(cells, keys, strict=True) if key is None and cell.strip()]
            continue
        if len(results) == MAX_ROWS:
            raise file_error(_("Tệp có hơn %(n)s dòng dữ liệu: hãy chia thành nhiều tệp nhỏ hơn.", n=number(MAX_ROWS)))
        row = RowResult(number_, {k: "" for k in keys if k})
        for key, cell in zip(keys, cells, strict=False):
            if key:
                # Checked without control characters, so that no lookup sends a NUL to the database.
                row.values[key] = drop_control_characters(cell).strip()
                if has_control_characters(cell):
                    row.error(key, invalid_characters(headers[key]))
        extra = [i for i in range(len(keys), len(cells)) if cells[i].strip()]
        if extra:
            row.error("row", _("Có dữ liệu ở cột %(col)s, ngoài các cột tiêu đề.", col=get_column_letter(extra[0] + 1)))
        for key, column in required.items():
            if not row.values.get(key):
                row.error(key, _("Hãy nhập “%(header)s”.", header=column.header))
        if examples and all(row.values.get(k) == v for k, v in examples.items()):
            row.warnings.append(_("Dòng này giống hệt dòng ví dụ của tệp mẫu: xoá nó nếu không cần."))
        results.append(row)
    if keys is None:
        raise file_error(_("Tệp trống. Các cột cần có: %(expected)s.", expected=_expected(columns)))
    if not results:
        raise file_error(_("Tệp chỉ có dòng tiêu đề, không có dòng dữ liệu nào."))
    return results, skipped


def preview(importer: Importer, data: bytes, filename: str) -> Preview:
    """Read and check a file without writing anything; problems are in the result, never raised."""
    result = Preview(importer.columns)
    try:
        ignored = getattr(importer, "ignored_headers", ())
        result.rows, result.ignored = _parse(importer.columns, read_rows(data, filename), ignored)
    except ValidationError as exc:
        result.fatal = list(exc.fields.values())
        return result
    importer.check(result.rows)
    for row in result.rows:
        if row.errors:
            row.action = ERROR
    return result


def apply(importer: Importer, result: Preview) -> dict[str, int]:
    """Write every row (services flush, the caller commits once), or a ValidationError naming the row that failed;
    the caller then rolls back and nothing is written. Returns the counts of new and updated rows."""
    if not result.ok:
        raise file_error(_("Tệp còn lỗi: chưa nhập dòng nào."))
    for row in result.rows:
        try:
            importer.apply_row(row)
        except ValidationError as exc:
            message = _("Dòng %(n)d: %(msg)s", n=row.number, msg=exc.message)
            raise ValidationError({f"row {row.number}": message}) from exc
    counts = result.counts
    return {NEW: counts[NEW], UPDATE: counts[UPDATE]}


def report_lines(result: Preview) -> list[str]:
    """The preview as text, one line per problem, then the totals (for CLI commands)."""
    lines = list(result.fatal)
    if result.ignored:
        names = ", ".join(f"“{n}”" for n in result.ignored)
        lines.append(_("Bỏ qua các cột chỉ để xem: %(names)s.", names=names))
    for row in result.rows:
        for key, message in row.errors.items():
            lines.append(_("Dòng %(n)d · lỗi · %(field)s: %(msg)s", n=row.number, field=result.label(key), msg=message))
        for message in row.warnings:
            lines.append(_("Dòng %(n)d · cảnh báo · %(msg)s", n=row.number, msg=message))
    if result.rows:
        c = result.counts
        lines.append(
            _(
                "%(total)d dòng: %(new)d mới, %(update)d cập nhật, %(error)d lỗi, %(warning)d có cảnh báo.",
                total=c["total"],
                new=c[NEW],
                update=c[UPDATE],
                error=c[ERROR],
                warning=c["warning"],
            )
        )
    return lines
