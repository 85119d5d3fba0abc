"""Exports as downloads that stream, so their memory stays flat in the number of rows.

- CSV: a generator of encoded chunks (`csv_chunks`), run while the response is sent, inside the request's context
  (`response` wraps it in `stream_with_context`): the rows it writes are read from the database in batches as it
  goes, in the request's reading transaction (deferred on SQLite, so the write lock is never held).
- XLSX: openpyxl's write-only mode writes each row to a temporary file as it is appended; `xlsx_file` saves the
  workbook into an anonymous temporary file, which `response` sends back in chunks, with its length. The file is
  built before the response starts, so a failure is still an error page, not a cut-off download.

Every CSV response has exactly one Content-Type, `text/csv; charset=utf-8`: it is given whole as the content type
(a mimetype given to Werkzeug gains a second "; charset=utf-8").

`attachment` names the download the way werkzeug's send_file does (RFC 6266 and 5987): the real name, accents and
all, as `filename*=UTF-8''…`, and an ASCII `filename` for clients that read only that; no cache keeps it.
"""

import codecs
import csv
import io
import os
import re
import tempfile
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import IO, Any
from urllib.parse import quote

from flask import Response, stream_with_context
from openpyxl import Workbook
from werkzeug.datastructures import Headers
from werkzeug.http import quote_header_value

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
CONTENT_TYPES = {"xlsx": XLSX_MIMETYPE, "csv": CSV_CONTENT_TYPE}  # by extension
CHUNK = 64 * 1024  # bytes sent at a time
BATCH = 1000  # rows read from the database at a time


def csv_chunks(rows: Iterable[Sequence[Any]], cell: Callable[[Any], Any] | None = None) -> Iterator[bytes]:
    """Rows as comma-separated UTF-8 with a BOM (so Excel reads the accents), each value through `cell` when one is
    given, in chunks of about CHUNK bytes, written as the rows come."""
    yield codecs.BOM_UTF8
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in rows:
        writer.writerow(row if cell is None else [cell(value) for value in row])
        if buffer.tell() >= CHUNK:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue().encode()


def xlsx_file(book: Workbook) -> IO[bytes]:
    """A workbook (write-only: its rows are already on disk) saved into an anonymous temporary file, rewound."""
    out = tempfile.TemporaryFile()  # noqa: SIM115 (returned open: the response closes it once sent)
    try:
        book.save(out)
    except BaseException:
        out.close()
        raise
    out.seek(0)
    return out


def ascii_name(name: str) -> str:
    """A file name in ASCII: accents taken off ("Điểm" gives "Diem"), what no header or file system takes (quotes,
    slashes, control characters, other scripts) dropped; "download" when nothing is left of the name but its
    extension."""
    root, extension = os.path.splitext(name)
    root, extension = _ascii(root).strip(" .-"), _ascii(extension)
    return f"{root or 'download'}{extension}"


def _ascii(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text.replace("Đ", "D").replace("đ", "d")).encode("ascii", "ignore").decode()
    return re.sub(r'[\\/:*?"<>|\x00-\x1f\x7f]+', "-", plain)


def attachment(body: bytes | IO[bytes] | Iterator[bytes], content_type: str, name: str, fallback: str = "") -> Response:
    """A download (`body` as `response` takes it) saved as `name`; `fallback` is the ASCII name for old clients
    (by default `name` without its accents). Kept by no cache: an export holds what its user may read."""
    plain = ascii_name(fallback or name)
    # Always a quoted-string (werkzeug's dump_options_header leaves a token bare; clients and tests read quotes).
    disposition = f"attachment; filename={quote_header_value(plain, allow_token=False)}"
    if name != plain:
        disposition += "; filename*=UTF-8''" + quote(name, safe="!#$&+-.^_`|~")  # RFC 5987 attr-chars, as send_file
    headers = Headers()
    headers.set("Content-Disposition", disposition)
    headers.set("Cache-Control", "private, no-store")
    return response(body, content_type, headers)


def response(
    body: bytes | IO[bytes] | Iterator[bytes], content_type: str, headers: dict[str, str] | Headers
) -> Response:
    """A download: `body` is bytes, an open binary file (sent in chunks with its length, closed at the end) or a
    generator of chunks (run within this request's context as the response is sent)."""
    if isinstance(body, bytes):
        return Response(body, content_type=content_type, headers=headers)
    if hasattr(body, "read"):
        sent = Response(_chunks_of(body), content_type=content_type, headers=headers, direct_passthrough=True)
        sent.content_length = os.fstat(body.fileno()).st_size
        sent.call_on_close(body.close)  # a response never read (a HEAD, a client gone) still closes it
        return sent
    return Response(stream_with_context(body), content_type=content_type, headers=headers)


def _chunks_of(file: IO[bytes]) -> Iterator[bytes]:
    """A file's content in chunks; the file is closed once read to its end."""
    with file:
        while chunk := file.read(CHUNK):
            yield chunk
