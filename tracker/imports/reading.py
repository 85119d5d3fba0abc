"""Reading an upload into rows of text: CSV (UTF-8 or UTF-16, comma, semicolon or tab) or XLSX, refused before
parsing when it is not what it claims (a macro workbook, a zip bomb, an .xls). Problems are ValidationErrors on
`file`, in Vietnamese. Values are always text: formulas are read as their text and never evaluated."""

import csv
import io
import re
import zipfile
from collections.abc import Iterator
from datetime import date, datetime
from datetime import time as clock
from decimal import Decimal
from pathlib import Path
from typing import Any

from babel.numbers import get_decimal_symbol
from flask_babel import gettext as _
from openpyxl import load_workbook

from tracker.errors import ValidationError
from tracker.numbers import user_locale

MAX_UNCOMPRESSED = 50 * 1024 * 1024  # an XLSX whose parts inflate past this is refused unopened
MAX_ENTRIES = 200
MAX_RATIO = 100  # inflated / compressed, for parts past RATIO_FLOOR: a zip bomb, not a spreadsheet
RATIO_FLOOR = 1024 * 1024
_BOMS = ((b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be"))


def file_error(message: str) -> ValidationError:
    """A problem with the file as a whole."""
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
            raise file_error(_("Tệp không phải là văn bản CSV (UTF-16 thiếu dấu BOM, hoặc tệp nhị phân)."))
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data[: exc.start].decode(encoding, errors="replace").count("\n") + 1
        raise file_error(
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
        raise file_error(_("Không đọc được tệp CSV ở dòng %(line)d: %(msg)s", line=reader.line_num, msg=exc)) from None


# Workbooks that carry macros (VBA): an import reads values only, and a file that can run code has no place in the
# instance folder's stash or in anyone's downloads later.
MACRO_EXTENSIONS = (".xlsm", ".xltm", ".xlam", ".xlsb")


def _macro_file() -> ValidationError:
    return file_error(
        _("Tệp Excel có macro (.xlsm, .xlsb…) không được nhận: hãy lưu thành “Excel Workbook (.xlsx)” rồi tải lên lại.")
    )


def _check_zip(data: bytes) -> None:
    """Refuse before opening anything that is not a sound, modest zip (an .xlsx is one) without macros."""
    broken = _("Tệp .xlsx bị hỏng hoặc không phải tệp Excel. Hãy mở tệp bằng Excel, lưu lại rồi tải lên lại.")
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise file_error(broken)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        raise file_error(broken) from None
    too_big = _(
        "Tệp .xlsx quá lớn khi giải nén (tối đa %(mb)d MB, %(n)d thành phần).", mb=MAX_UNCOMPRESSED >> 20, n=MAX_ENTRIES
    )
    if len(entries) > MAX_ENTRIES or sum(e.file_size for e in entries) > MAX_UNCOMPRESSED:
        raise file_error(too_big)
    if any(entry.filename.lower().endswith("vbaproject.bin") for entry in entries):  # an .xlsm renamed .xlsx
        raise _macro_file()
    for entry in entries:
        if entry.file_size > RATIO_FLOOR and entry.file_size > MAX_RATIO * max(entry.compress_size, 1):
            raise file_error(too_big)


def cell_text(value: Any) -> str:
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
        raise file_error(_("Không mở được tệp Excel: tệp bị hỏng hoặc không đúng định dạng .xlsx.")) from None
    try:
        sheet = book.worksheets[0]
        for number_, cells in enumerate(sheet.iter_rows(values_only=True), start=1):
            yield number_, [cell_text(v) for v in cells]
    except Exception:  # as above: a broken part inside a sound zip
        raise file_error(_("Không đọc được nội dung tệp Excel: tệp bị hỏng.")) from None
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
        raise file_error(_("Định dạng .xls (Excel 97–2003) không được hỗ trợ: hãy lưu thành .xlsx hoặc CSV UTF-8."))
    raise file_error(_("Chỉ nhận tệp .xlsx hoặc .csv (tệp đã chọn: “%(name)s”).", name=filename or "?"))
