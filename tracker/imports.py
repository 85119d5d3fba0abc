"""The import engine: CSV or XLSX in, a row-by-row preview out, then an all-or-nothing apply.

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
and, between a preview page and its confirmation, keeps the upload with `stash` / `load_stash` / `discard`.
`template_xlsx` / `template_csv` / `download` give the blank file to fill in. Text written to a spreadsheet goes
through one of two guards: `safe_cell` for CSV (`csv_cell`, `csv_file`), where a cell starting like a formula gains
an apostrophe, and `xlsx_row` for XLSX, where it is stored as a text cell holding exactly what was typed.

Values are always text: formulas are read as their text and never evaluated.
"""

import csv
import io
import json
import re
import secrets
import time
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from datetime import time as clock
from decimal import Decimal
from pathlib import Path
from typing import Any, NamedTuple, Protocol
from urllib.parse import quote

from babel.numbers import get_decimal_symbol
from flask import Response, abort, current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import ERROR_CODES, ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from tracker.downloads import CSV_CONTENT_TYPE as CSV_MIMETYPE  # the whole Content-Type: one charset
from tracker.downloads import XLSX_MIMETYPE, response
from tracker.errors import ValidationError, abort_with
from tracker.formatting import number
from tracker.numbers import user_locale
from tracker.text import drop_control_characters, fold, has_control_characters, invalid_characters

MAX_ROWS = 10_000
MAX_UNCOMPRESSED = 50 * 1024 * 1024  # an XLSX whose parts inflate past this is refused unopened
MAX_ENTRIES = 200
MAX_RATIO = 100  # inflated / compressed, for parts past RATIO_FLOOR: a zip bomb, not a spreadsheet
RATIO_FLOOR = 1024 * 1024
STASH_SECONDS = 24 * 3600
PREVIEW_CLEAN_ROWS = 200  # rows without problems shown on a preview page; problem rows are all shown
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
NEW, UPDATE, ERROR = "new", "update", "error"
_BOMS = ((b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be"))
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{32}$")


def safe_cell(value: Any) -> Any:
    """A value for a CSV cell, which a spreadsheet parses as if typed: text loses characters XML cannot hold and,
    when it starts like a formula ("=HYPERLINK(…)", "+84…"), gains a leading apostrophe (OWASP's CSV injection
    guard). Numbers and dates pass unchanged. An XLSX cell needs no apostrophe: see `xlsx_row`."""
    if value is None:
        return ""
    if not isinstance(value, str):
        return value
    text = ILLEGAL_CHARACTERS_RE.sub("", value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_cell(value: Any) -> str:
    """A value as CSV text: text as `safe_cell` makes it; numbers and dates as the imports read them (decimal
    comma, dd/mm/yyyy), never with an apostrophe (-2 stays a number)."""
    return safe_cell(value) if isinstance(value, str) else _cell_text(value)


def xlsx_cells(sheet, values: Sequence[Any]) -> tuple:
    """The cells of a row of an openpyxl sheet, not yet appended (a write-only sheet writes a row as it is
    appended: style its cells first). Text keeps exactly its characters (less those XML cannot hold) in a text
    cell, even when it starts like a formula: openpyxl would store "=HYPERLINK(…)" as a formula, which Excel runs;
    as text, Excel shows it and never runs it, and the quote prefix keeps it text when edited. Numbers and dates
    pass unchanged."""
    # Placeholder coordinates, which appending replaces (a write-only sheet names the cell in a message it formats).
    cells = tuple(
        Cell(sheet, row=1, column=n, value=ILLEGAL_CHARACTERS_RE.sub("", v) if isinstance(v, str) else v)
        for n, v in enumerate(values, start=1)
    )
    for cell in cells:
        if isinstance(cell.value, str):
            cell.data_type = "s"
            cell.quotePrefix = cell.value.startswith(FORMULA_STARTS)
    return cells


def xlsx_values(sheet, values: Sequence[Any]) -> list:
    """A row for a write-only sheet, as safe as `xlsx_cells` and cheaper: text that could be read as a formula or
    an error code, and dates (to be given a format), get their cell from `xlsx_cells`; any other value stays plain,
    which the sheet writes as it is (each cell handed to a write-only sheet costs openpyxl an exception). Text
    loses the characters XML cannot hold."""
    row = []
    for value in values:
        if isinstance(value, str):
            value = ILLEGAL_CHARACTERS_RE.sub("", value)
            if value.startswith(FORMULA_STARTS) or value in ERROR_CODES:
                (value,) = xlsx_cells(sheet, [value])
        elif isinstance(value, date):
            (value,) = xlsx_cells(sheet, [value])
        row.append(value)
    return row


def xlsx_row(sheet, values: Sequence[Any]) -> tuple:
    """Append a row of `xlsx_cells` to an openpyxl sheet and return its cells."""
    cells = xlsx_cells(sheet, values)
    sheet.append(cells)  # built first, then appended: asking the sheet for its last row costs a scan of every row
    return cells


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


# --- reading a file into rows of text -------------------------------------------------------------------------


def _file_error(message: str) -> ValidationError:
    return ValidationError({"file": message})


def _decode(data: bytes) -> str:
    """The text of a CSV: UTF-8 (BOM or not) or UTF-16 with its BOM; anything else names the first bad line."""
    encoding = "utf-8"
    for bom, name in _BOMS:
        if data.startswith(bom):
            encoding, data = name, data[len(bom) :]
            break
    else:
        if b"\x00" in data:
            raise _file_error(_("Tệp không phải là văn bản CSV (UTF-16 thiếu dấu BOM, hoặc tệp nhị phân)."))
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data[: exc.start].decode(encoding, errors="replace").count("\n") + 1
        raise _file_error(
            _(
                "Dòng %(line)d có ký tự không đúng mã %(enc)s (tệp lẫn nhiều bảng mã, ví dụ TCVN3 hoặc Windows-1258). "
                "Hãy lưu lại tệp dạng “CSV UTF-8” rồi tải lên lại.",
                line=line,
                enc=encoding.upper().replace("-LE", "").replace("-BE", ""),
            )
        ) from None


def _delimiter(text: str) -> str:
    """The separator of the header line among , ; and tab (quoted text ignored); a comma when there is none."""
    header = next((line for line in text.splitlines() if line.strip()), "")
    header = re.sub(r'"[^"]*"', "", header)
    counts = {sep: header.count(sep) for sep in ("\t", ";", ",")}
    best = max(counts, key=counts.get)
    return best if counts[best] else ","


def _csv_rows(data: bytes) -> Iterator[tuple[int, list[str]]]:
    text = _decode(data)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    try:
        yield from enumerate(reader, start=1)
    except csv.Error as exc:
        raise _file_error(_("Không đọc được tệp CSV ở dòng %(line)d: %(msg)s", line=reader.line_num, msg=exc)) from None


# Workbooks that carry macros (VBA): an import reads values only, and a file that can run code has no place in the
# instance folder's stash or in anyone's downloads later.
MACRO_EXTENSIONS = (".xlsm", ".xltm", ".xlam", ".xlsb")


def _macro_file() -> ValidationError:
    return _file_error(
        _("Tệp Excel có macro (.xlsm, .xlsb…) không được nhận: hãy lưu thành “Excel Workbook (.xlsx)” rồi tải lên lại.")
    )


def _check_zip(data: bytes) -> None:
    """Refuse before opening anything that is not a sound, modest zip (an .xlsx is one) without macros."""
    broken = _("Tệp .xlsx bị hỏng hoặc không phải tệp Excel. Hãy mở tệp bằng Excel, lưu lại rồi tải lên lại.")
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise _file_error(broken)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        raise _file_error(broken) from None
    too_big = _(
        "Tệp .xlsx quá lớn khi giải nén (tối đa %(mb)d MB, %(n)d thành phần).", mb=MAX_UNCOMPRESSED >> 20, n=MAX_ENTRIES
    )
    if len(entries) > MAX_ENTRIES or sum(e.file_size for e in entries) > MAX_UNCOMPRESSED:
        raise _file_error(too_big)
    if any(entry.filename.lower().endswith("vbaproject.bin") for entry in entries):  # an .xlsm renamed .xlsx
        raise _macro_file()
    for entry in entries:
        if entry.file_size > RATIO_FLOOR and entry.file_size > MAX_RATIO * max(entry.compress_size, 1):
            raise _file_error(too_big)


def _cell_text(value: Any) -> str:
    """A cell as text, the way a person would have typed it (numbers with the user's decimal mark and no grouping,
    which the number parser reads back exactly; dates dd/mm/yyyy)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        text = format(Decimal(repr(value)), "f")
        return (text.rstrip("0").rstrip(".") if "." in text else text).replace(".", get_decimal_symbol(user_locale()))
    if isinstance(value, datetime):
        return value.strftime("%d/%m/%Y" if value.time() == clock() else "%d/%m/%Y %H:%M")
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, clock):
        return value.strftime("%H:%M")
    return str(getattr(value, "text", value))  # array formulas: their text


def _xlsx_rows(data: bytes) -> Iterator[tuple[int, list[str]]]:
    """The first sheet's rows; formulas come as their text (data_only=False), never as a computed value."""
    _check_zip(data)
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception:  # any parser failure on an untrusted upload is a bad file, not a server error
        raise _file_error(_("Không mở được tệp Excel: tệp bị hỏng hoặc không đúng định dạng .xlsx.")) from None
    try:
        sheet = book.worksheets[0]
        for number_, cells in enumerate(sheet.iter_rows(values_only=True), start=1):
            yield number_, [_cell_text(v) for v in cells]
    except Exception:  # as above: a broken part inside a sound zip
        raise _file_error(_("Không đọc được nội dung tệp Excel: tệp bị hỏng.")) from None
    finally:
        book.close()


def read_rows(data: bytes, filename: str) -> Iterator[tuple[int, list[str]]]:
    """(spreadsheet row number, cells as text) of a .csv, .txt (Excel's "Unicode text") or .xlsx upload."""
    extension = Path(filename or "").suffix.lower()
    if extension in MACRO_EXTENSIONS:
        raise _macro_file()
    if extension == ".xlsx" or data.startswith(b"PK\x03\x04"):
        return _xlsx_rows(data)
    if extension in (".csv", ".txt", ".tsv"):
        return _csv_rows(data)
    if extension == ".xls":
        raise _file_error(_("Định dạng .xls (Excel 97–2003) không được hỗ trợ: hãy lưu thành .xlsx hoặc CSV UTF-8."))
    raise _file_error(_("Chỉ nhận tệp .xlsx hoặc .csv (tệp đã chọn: “%(name)s”).", name=filename or "?"))


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
        raise _file_error(
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
            raise _file_error(_("Tệp có hơn %(n)s dòng dữ liệu: hãy chia thành nhiều tệp nhỏ hơn.", n=number(MAX_ROWS)))
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
        raise _file_error(_("Tệp trống. Các cột cần có: %(expected)s.", expected=_expected(columns)))
    if not results:
        raise _file_error(_("Tệp chỉ có dòng tiêu đề, không có dòng dữ liệu nào."))
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
        raise _file_error(_("Tệp còn lỗi: chưa nhập dòng nào."))
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


# --- keeping an upload between its preview and its confirmation -----------------------------------------------


@dataclass
class Stashed:
    data: bytes
    filename: str
    options: dict


def _stash_dir() -> Path:
    folder = Path(current_app.instance_path) / "imports"
    folder.mkdir(mode=0o700, exist_ok=True)
    return folder


def stash(kind: str, user_id: int, data: bytes, filename: str, options: dict | None = None) -> str:
    """Keep an upload for a day under a random token bound to its user; stale uploads are swept on the way."""
    folder = _stash_dir()
    cutoff = time.time() - STASH_SECONDS
    for old in folder.iterdir():
        try:
            if old.stat().st_mtime < cutoff:
                old.unlink()
        except OSError:
            continue  # swept by another worker meanwhile
    token = secrets.token_urlsafe(24)
    (folder / f"{token}.data").write_bytes(data)
    meta = {"kind": kind, "user_id": user_id, "filename": filename, "options": options or {}, "at": time.time()}
    (folder / f"{token}.json").write_text(json.dumps(meta), encoding="utf-8")  # written last: marks it complete
    return token


def load_stash(kind: str, token: str, user_id: int) -> Stashed:
    """The upload kept under `token`: 410 when unknown or expired, 403 when another user uploaded it."""
    gone = _("Phiên nhập này đã hết hạn hoặc đã được xác nhận. Hãy tải tệp lên lại.")
    if not _TOKEN.match(token or ""):
        abort_with(410, gone)
    folder = _stash_dir()
    try:
        meta = json.loads((folder / f"{token}.json").read_text(encoding="utf-8"))
        data = (folder / f"{token}.data").read_bytes()
    except (OSError, ValueError):
        abort_with(410, gone)
    if meta.get("kind") != kind or time.time() - meta.get("at", 0) > STASH_SECONDS:
        abort_with(410, gone)
    if meta.get("user_id") != user_id:
        abort(403)
    return Stashed(data, meta.get("filename", ""), meta.get("options", {}))


def discard(token: str) -> None:
    """Forget a stashed upload (after its confirmation)."""
    if _TOKEN.match(token or ""):
        for suffix in (".json", ".data"):
            (_stash_dir() / f"{token}{suffix}").unlink(missing_ok=True)


def preview_upload(importer: Importer, kind: str, user_id: int, file, options: dict | None = None):
    """Check an uploaded file (a werkzeug FileStorage); when it may be applied, keep it for its confirmation.
    Returns (the preview, the stash token or None)."""
    data, filename = file.read(), file.filename or ""
    result = preview(importer, data, filename)
    return result, (stash(kind, user_id, data, filename, options) if result.ok else None)


def confirm_stash(kind: str, token: str, user_id: int, importer_for: Callable[[dict], Importer]):
    """Check a kept upload again (the registry may have changed since its preview) and apply it.

    `importer_for(options)` builds the import from the options kept with the upload; a ValidationError it raises
    (say, the unit is no longer in the user's scope) is a fatal problem. Returns (the preview, the counts of new and
    updated rows, the importer), with counts None when nothing may be written (the preview says why): the caller
    then rolls back; otherwise it commits and discards the token. 410 or 403 as load_stash."""
    stashed = load_stash(kind, token, user_id)
    try:
        importer = importer_for(stashed.options)
    except ValidationError as exc:
        return Preview((), fatal=list(exc.fields.values())), None, None
    result = preview(importer, stashed.data, stashed.filename)
    if not result.ok:
        return result, None, importer
    try:
        return result, apply(importer, result), importer
    except ValidationError as exc:
        result.fatal = list(exc.fields.values())
        return result, None, importer


class UploadForm(FlaskForm):
    """The upload form every import uses; subclass it to add the import's own choices (e.g. a unit)."""

    file = FileField(
        _l("Tệp CSV hoặc Excel (.xlsx)"),
        validators=[FileRequired(_l("Hãy chọn tệp cần nhập."))],
        description=_l("Tối đa 10.000 dòng. Dùng tệp mẫu để có đúng các cột."),
    )


# --- the blank file to fill in ---------------------------------------------------------------------------------


def template_xlsx(columns: Sequence[Column], title: str) -> bytes:
    """A workbook with the bold Vietnamese headers, one example row, column widths, text cells, and a second sheet
    explaining each column."""
    book = Workbook()
    sheet = book.active
    with force_locale("vi"):
        sheet.title = str(title)[:31]
        sheet.append([str(c.header) for c in columns])
        xlsx_row(sheet, [c.example for c in columns])
        for index, column in enumerate(columns, start=1):
            letter = get_column_letter(index)
            sheet.column_dimensions[letter].width = column.width
            sheet.column_dimensions[letter].number_format = "@"  # codes and phones keep their leading zeros
            header = sheet.cell(row=1, column=index)
            header.font = Font(bold=True)
            header.fill = PatternFill("solid", fgColor="E8EEF4")
        sheet.freeze_panes = "A2"
        notes = book.create_sheet(_("Hướng dẫn"))
        notes.append([_("Cột"), _("Bắt buộc"), _("Ghi chú")])
        for cell in notes[1]:
            cell.font = Font(bold=True)
        for column in columns:
            xlsx_row(notes, [str(column.header), _("Có") if column.required else "", str(column.help)])
        notes.append([])
        notes.append([_("Dòng 2 của trang đầu là ví dụ: hãy sửa hoặc xoá trước khi nhập. Tối đa 10.000 dòng.")])
        for letter, width in (("A", 22), ("B", 10), ("C", 90)):
            notes.column_dimensions[letter].width = width
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def csv_file(rows: Iterable[Sequence[Any]]) -> bytes:
    """Rows as a comma-separated file in UTF-8 with a BOM (so Excel reads the accents), each value as `csv_cell`."""
    out = io.StringIO()
    csv.writer(out).writerows([csv_cell(value) for value in row] for row in rows)
    return out.getvalue().encode("utf-8-sig")


def template_csv(columns: Sequence[Column]) -> bytes:
    """The same header and example row as CSV."""
    with force_locale("vi"):
        header = [str(c.header) for c in columns]
    return csv_file([header, [c.example for c in columns]])


def download(body, fmt: str, name: str) -> Response:
    """An attachment response (`name` is ASCII, without extension); `body` is bytes, or a file or chunks that
    stream (tracker.downloads.response)."""
    content_type = XLSX_MIMETYPE if fmt == "xlsx" else CSV_MIMETYPE
    disposition = f"attachment; filename=\"{name}.{fmt}\"; filename*=UTF-8''{quote(f'{name}.{fmt}')}"
    return response(body, content_type, {"Content-Disposition": disposition})
