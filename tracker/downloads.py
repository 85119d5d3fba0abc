"""Exports as downloads that stream, so their memory stays flat in the number of rows.

- CSV: a generator of encoded chunks (`csv_chunks`), run while the response is sent, inside the request's context
  (`response` wraps it in `stream_with_context`): the rows it writes are read from the database in batches as it
  goes, in the request's reading transaction (deferred on SQLite, so the write lock is never held).
- XLSX: openpyxl's write-only mode writes each row to a temporary file as it is appended; `xlsx_file` saves the
  workbook into an anonymous temporary file, which `response` sends back in chunks, with its length. The file is
  built before the response starts, so a failure is still an error page, not a cut-off download.

Every CSV response has exactly one Content-Type, `text/csv; charset=utf-8`: it is given whole as the content type
(a mimetype given to Werkzeug gains a second "; charset=utf-8").
"""

import codecs
import csv
import io
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import IO, Any

from flask import Response, stream_with_context
from openpyxl import Workbook

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
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


def response(body: bytes | IO[bytes] | Iterator[bytes], content_type: str, headers: dict[str, str]) -> Response:
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
