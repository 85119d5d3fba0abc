"""Exports stream: a CSV is a generator whose rows are read from the database a batch at a time as it is sent, an
XLSX is written row by row (openpyxl's write-only mode) to a temporary file sent in chunks and closed once sent.
Every CSV response carries one charset. The content itself is held by test_site_export, test_export and the
boards' and services' tests."""

import csv
import io
import sqlite3
from datetime import UTC, date, datetime, timedelta

import pytest
from openpyxl import Workbook, load_workbook
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from sqlalchemy.engine import Result

from tests import factories
from tracker import downloads, imports
from tracker.extensions import db

CSV = "text/csv; charset=utf-8"


@pytest.fixture
def sites(app, ward, users):
    """Seven sites of the ward, the first ones scanned."""
    made = [factories.create_site(ward, f"Điểm {n}", "business", address=f"Tổ {n}") for n in range(7)]
    for n, site in enumerate(made[:3]):
        factories.check_in(site, datetime.now(UTC) - timedelta(days=n))
    db.session.commit()
    return made


@pytest.fixture
def fetched(app, monkeypatch):
    """Rows fetched from the database so far by `fetchmany` (how a result read in batches is read), with the
    export reading 2 rows at a time; the sizes of the fetches in `fetched.sizes`."""
    monkeypatch.setattr(downloads, "BATCH", 2)
    count = Fetched()
    fetchmany = Result.fetchmany

    def counted(result, size=None):
        found = fetchmany(result, size)
        count.sizes.append(len(found))
        return found

    monkeypatch.setattr(Result, "fetchmany", counted)
    return count


class Fetched:
    def __init__(self):
        self.sizes: list[int] = []

    def __int__(self) -> int:
        return sum(self.sizes)


def test_the_csv_is_written_as_its_rows_are_read(client, auth, sites, fetched, monkeypatch):
    monkeypatch.setattr(downloads, "CHUNK", 1)  # a chunk per row, to see when each one goes out
    auth.login("member")
    response = client.get("/sites/export.csv", buffered=False)
    assert response.status_code == 200 and response.is_streamed
    assert response.headers["Content-Type"] == CSV and "Content-Length" not in response.headers
    seen = []  # (rows read so far, the chunk sent then)
    for chunk in response.response:
        seen.append((int(fetched), chunk))
    response.close()
    rows = [chunk.decode("utf-8-sig") for _loaded, chunk in seen if chunk != b"\xef\xbb\xbf"]
    assert [row.split(",")[0] for row in rows] == ["Tên điểm"] + [f"Điểm {n}" for n in range(7)]
    data_rows = [loaded for loaded, chunk in seen[2:]]  # after the BOM and the header
    # The n-th row goes out once its batch of 2 is read, never after all 7: batches of 2, 2, 2, 1.
    assert data_rows == [2, 2, 4, 4, 6, 6, 7] and max(fetched.sizes) == 2


def test_the_xlsx_is_written_row_by_row_then_sent_in_chunks(client, auth, sites, fetched, monkeypatch):
    appended = []  # rows read when each row reached the sheet
    append = WriteOnlyWorksheet.append

    def counted(sheet, row):
        appended.append(int(fetched))
        append(sheet, row)

    monkeypatch.setattr(WriteOnlyWorksheet, "append", counted)
    files = []
    xlsx_file = downloads.xlsx_file
    monkeypatch.setattr(downloads, "xlsx_file", lambda book: files.append(xlsx_file(book)) or files[-1])
    auth.login("member")
    response = client.get("/sites/export.xlsx")
    assert response.status_code == 200 and response.is_streamed
    assert appended == [0, 2, 2, 4, 4, 6, 6, 7]  # the header, then each batch of 2 as it is read
    data = response.get_data()
    assert int(response.headers["Content-Length"]) == len(data)
    assert files[0].closed  # the temporary file, once sent
    sheet = load_workbook(io.BytesIO(data)).active
    assert [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)] == [f"Điểm {n}" for n in range(7)]
    assert sheet.column_dimensions["A"].width and sheet.freeze_panes == "A2" and sheet.auto_filter.ref == "A1:L8"


def test_a_stream_holds_no_write_lock(app, client, auth, sites, fetched, database_url, monkeypatch):
    """Half-way through a CSV, another process can still write (SQLite: the export reads in a deferred
    transaction; PostgreSQL never locks readers out)."""
    if not database_url.startswith("sqlite"):
        pytest.skip("SQLite's write lock")
    monkeypatch.setattr(downloads, "CHUNK", 1)
    auth.login("member")
    response = client.get("/sites/export.csv", buffered=False)
    chunks = iter(response.response)
    assert next(chunks) == b"\xef\xbb\xbf"
    assert next(chunks).startswith("Tên điểm".encode()) and next(chunks).startswith("Điểm 0".encode())
    assert int(fetched) == 2  # the first batch read, the cursor still open
    other = sqlite3.connect(db.engine.url.database, timeout=0, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # would raise "database is locked" under a writing transaction
    other.execute("ROLLBACK")
    other.close()
    rest = b"".join(chunks)
    response.close()
    assert rest.decode().count("\r\n") >= 6


TEMPLATES = ["/sites/import/template.csv", "/boards/import/template.csv", "/services/import/template.csv"]


@pytest.mark.parametrize("url", ["/sites/export.csv", *TEMPLATES])
def test_every_csv_names_its_charset_once(client, auth, sites, url):
    auth.login("manager")
    response = client.get(url)
    assert response.status_code == 200
    assert response.headers.getlist("Content-Type") == [CSV]
    assert response.data.startswith(b"\xef\xbb\xbf")


def test_the_program_exports_stream_with_one_charset(client, auth, ward, users):
    program = factories.create_program(ward, "Chương trình 27")
    for n in range(3):
        factories.create_task(program, f"=Nhiệm vụ {n}")
    db.session.commit()
    auth.login("viewer")
    text = client.get(f"/programs/{program.id}/export.csv?lang=en")
    assert text.is_streamed and text.headers["Content-Type"] == CSV
    lines = list(csv.reader(io.StringIO(text.get_data().decode("utf-8-sig"))))
    assert lines[0][:2] == ["No.", "Task"]  # the user's language, kept while the generator runs
    assert [line[1] for line in lines[1:]] == [f"'=Nhiệm vụ {n}" for n in range(3)]
    book = client.get(f"/programs/{program.id}/export.xlsx")
    assert book.is_streamed and int(book.headers["Content-Length"]) == len(book.data)
    sheet = load_workbook(io.BytesIO(book.data)).active
    assert [c.value for c in sheet["B"][-3:]] == [f"=Nhiệm vụ {n}" for n in range(3)]
    assert {c.data_type for c in sheet["B"][-3:]} == {"s"}


def test_the_site_csv_stays_vietnamese_for_an_english_reader(client, auth, sites):
    auth.login("member")
    response = client.get("/sites/export.csv?lang=en")
    header = response.get_data().decode("utf-8-sig").split("\r\n")[0]
    assert header.startswith("Tên điểm,Loại điểm,") and "Trạng thái" in header


def test_xlsx_values_keep_text_as_text_in_a_write_only_sheet():
    """A data row of a write-only sheet: only what needs a cell gets one; text still never becomes a formula."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet("x")
    formula = '=HYPERLINK("http://x","y")'
    row = imports.xlsx_values(sheet, [formula, "#N/A", "+84 912", "Bình\x01 thường", -2, date(2025, 7, 1), None])
    assert [type(v).__name__ for v in row] == ["Cell", "Cell", "Cell", "str", "int", "Cell", "NoneType"]
    row[5].number_format = "dd/mm/yyyy"
    sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    back = load_workbook(out).active[1]
    assert [c.value for c in back[:5]] == [formula, "#N/A", "+84 912", "Bình thường", -2]
    assert [c.data_type for c in back[:5]] == ["s", "s", "s", "s", "n"]
    assert [c.quotePrefix for c in back[:4]] == [True, False, True, False]
    assert back[5].value == datetime(2025, 7, 1) and back[5].number_format == "dd/mm/yyyy"
