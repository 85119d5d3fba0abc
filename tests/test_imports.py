"""The import engine (tracker.imports): reading CSV and XLSX safely, headers, limits, the preview model,
all-or-nothing apply, stashed uploads and the blank templates. Area imports are tested in their own files."""

import io
import os
import time
import zipfile
from datetime import date, datetime

import pytest
from openpyxl import Workbook, load_workbook
from werkzeug.exceptions import Forbidden, HTTPException

from tracker import imports
from tracker.errors import ValidationError
from tracker.imports import Column, RowResult, stashes

COLUMNS = (
    Column("name", "Tên điểm", True, ("ten",), "Chợ Bãi Bông", 30, "Tên in trên áp phích."),
    Column("phone", "Số điện thoại", False, ("sdt",), "0912345678", 16),
    Column("note", "Ghi chú", False),
)


@pytest.fixture(autouse=True)
def stash_in_tmp(request, tmp_path):
    """Uploads kept between preview and confirmation go to the test's own folder, not the checkout's instance/."""
    if "app" in request.fixturenames:
        request.getfixturevalue("app").instance_path = str(tmp_path)


class Recorder:
    """A minimal import: 'bad' in a name is a row error; applied rows are recorded."""

    kind = "test"
    columns = COLUMNS

    def __init__(self):
        self.applied: list[int] = []

    def check(self, rows: list[RowResult]) -> None:
        for row in rows:
            if "bad" in row.values.get("name", ""):
                row.error("name", "Tên không hợp lệ.")

    def apply_row(self, row: RowResult) -> None:
        if "explode" in row.values.get("note", ""):
            raise ValidationError({"note": "Không ghi được."})
        self.applied.append(row.number)


def xlsx(rows) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def run(data: bytes, filename: str = "diem.csv") -> imports.Preview:
    return imports.preview(Recorder(), data, filename)


def table(result: imports.Preview):
    return [(r.number, r.values) for r in result.rows]


CSV_TEXT = 'Tên điểm,Số điện thoại,Ghi chú\r\nChợ Bãi Bông,0912345678,"có dấu phẩy, ở đây"\r\nTrường Tiểu học,,\r\n'


# --- encodings and delimiters ---------------------------------------------------------------------------------


def test_utf8_with_and_without_bom_and_utf16_read_the_same(app):
    expected = [
        (2, {"name": "Chợ Bãi Bông", "phone": "0912345678", "note": "có dấu phẩy, ở đây"}),
        (3, {"name": "Trường Tiểu học", "phone": "", "note": ""}),
    ]
    tabbed = CSV_TEXT.replace(",", "\t").replace('"có dấu phẩy\t ở đây"', "có dấu phẩy, ở đây")
    variants = {
        "utf-8": CSV_TEXT.encode("utf-8"),
        "utf-8 BOM": CSV_TEXT.encode("utf-8-sig"),
        "utf-16 LE (Excel Unicode text)": b"\xff\xfe" + tabbed.encode("utf-16-le"),
        "utf-16 BE": b"\xfe\xff" + tabbed.encode("utf-16-be"),
        "semicolons": CSV_TEXT.replace(",", ";").replace('"có dấu phẩy; ở đây"', '"có dấu phẩy, ở đây"').encode(),
    }
    for name, data in variants.items():
        result = run(data, "diem.txt" if "16" in name else "diem.csv")
        assert not result.fatal, name
        assert table(result) == expected, name


def test_a_windows_1258_byte_in_a_utf8_file_names_its_line(app):
    data = "Tên điểm\nChợ Bãi Bông\n".encode() + b"Tr\xfd\xd2ng\n" + "Điểm\n".encode()
    result = run(data)
    assert not result.rows
    assert "Dòng 3" in result.fatal[0] and "UTF-8" in result.fatal[0]


def test_utf16_without_bom_or_binary_is_refused(app):
    result = run("Tên điểm\nA\n".encode("utf-16-le"))
    assert "BOM" in result.fatal[0]


# --- headers --------------------------------------------------------------------------------------------------


def test_headers_match_ignoring_accents_case_spaces_and_by_alias(app):
    result = run("  TEN DIEM ,SỐ  ĐIỆN   THOẠI,ghi chu\nA,1,x\n".encode())
    assert table(result) == [(2, {"name": "A", "phone": "1", "note": "x"})]
    result = run(b"ten;sdt\nA;1\n")
    assert table(result) == [(2, {"name": "A", "phone": "1"})]


@pytest.mark.parametrize(
    "header, problem",
    [
        ("Tên điểm,Điện thoại bàn", "cột không nhận ra: “Điện thoại bàn”"),
        ("Số điện thoại,Ghi chú", "thiếu cột bắt buộc: “Tên điểm”"),
        ("Tên điểm,Ten diem", "cột lặp lại: “Ten diem”"),
    ],
)
def test_a_wrong_header_names_the_expected_ones(app, header, problem):
    result = run(f"{header}\nA,B\n".encode())
    assert not result.rows and not result.ok
    message = result.fatal[0]
    assert problem in message
    assert "“Tên điểm”*, “Số điện thoại”, “Ghi chú”" in message


def test_empty_file_and_header_only_are_refused(app):
    assert "Tệp trống" in run(b"").fatal[0]
    assert "không có dòng dữ liệu" in run("Tên điểm\n\n".encode()).fatal[0]


def test_blank_rows_are_skipped_and_numbers_stay_those_of_the_spreadsheet(app):
    result = run("\nTên điểm,Ghi chú\n\nA,\n,\nB,\n".encode())
    assert [r.number for r in result.rows] == [4, 6]


def test_required_values_and_cells_past_the_header_are_row_errors(app):
    result = run("Tên điểm,Ghi chú\n,x\nA,,lạc cột\n".encode())
    assert result.rows[0].errors == {"name": "Hãy nhập “Tên điểm”."}
    assert "cột C" in result.rows[1].errors["row"]
    assert result.counts["error"] == 2 and not result.ok


def test_the_example_row_left_in_is_a_warning(app):
    result = run(imports.template_csv(COLUMNS))
    assert result.ok
    assert "dòng ví dụ" in result.rows[0].warnings[0]


# --- limits ---------------------------------------------------------------------------------------------------


def test_ten_thousand_rows_pass_and_one_more_is_refused(app):
    header = "Tên điểm\n"
    result = run((header + "".join(f"Điểm {i}\n" for i in range(10_000))).encode())
    assert result.ok and len(result.rows) == 10_000 and result.rows[-1].number == 10_001
    result = run((header + "".join(f"Điểm {i}\n" for i in range(10_001))).encode())
    assert not result.rows
    assert "hơn 10.000 dòng" in result.fatal[0]


def test_ten_thousand_and_one_xlsx_rows_are_refused_too(app):
    data = xlsx([["Tên điểm"], *([f"Điểm {i}"] for i in range(10_001))])
    assert "hơn 10.000 dòng" in run(data, "a.xlsx").fatal[0]


# --- XLSX safety ----------------------------------------------------------------------------------------------


def test_xlsx_cells_are_read_as_typed_text(app):
    data = xlsx(
        [
            ["Tên điểm", "Số điện thoại", "Ghi chú"],
            ['=HYPERLINK("http://x.example","bấm vào")', 912345678, 4.03],
            ["B", None, datetime(2025, 7, 1)],
            ["C", 1.5e20, date(2021, 2, 7)],
        ]
    )
    result = run(data, "diem.xlsx")
    assert table(result) == [
        (2, {"name": '=HYPERLINK("http://x.example","bấm vào")', "phone": "912345678", "note": "4,03"}),
        (3, {"name": "B", "phone": "", "note": "01/07/2025"}),
        (4, {"name": "C", "phone": "150000000000000000000", "note": "07/02/2021"}),
    ]


def test_truncated_and_non_zip_xlsx_are_clear_errors(app):
    good = xlsx([["Tên điểm"], ["A"]])
    for data in (good[: len(good) // 2], b"this is not a spreadsheet", b"PK\x03\x04garbage"):
        result = run(data, "diem.xlsx")
        assert not result.rows
        assert "bị hỏng" in result.fatal[0]


def test_a_zip_that_is_not_a_workbook_is_a_clear_error(app):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("readme.txt", "hello")
    assert "Không mở được tệp Excel" in run(out.getvalue(), "diem.xlsx").fatal[0]


def test_a_zip_bomb_is_refused_unopened(app):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (60 * 1024 * 1024))
    data = out.getvalue()
    assert len(data) < 100 * 1024  # small on the wire
    assert "quá lớn khi giải nén" in run(data, "diem.xlsx").fatal[0]

    out = io.BytesIO()  # under the total limit, but one part inflates 1000-fold
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/sharedStrings.xml", b" " * (5 * 1024 * 1024))
    assert "quá lớn khi giải nén" in run(out.getvalue(), "diem.xlsx").fatal[0]


def test_a_zip_with_too_many_parts_is_refused(app):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for i in range(imports.MAX_ENTRIES + 1):
            archive.writestr(f"part{i}.xml", "x")
    assert "quá lớn khi giải nén" in run(out.getvalue(), "diem.xlsx").fatal[0]


def test_other_formats_are_named(app):
    assert ".xls (Excel 97–2003)" in run(b"\xd0\xcf\x11\xe0", "cu.xls").fatal[0]
    assert "Chỉ nhận tệp .xlsx hoặc .csv" in run(b"x", "diem.pdf").fatal[0]


def with_part(data: bytes, name: str, content: bytes) -> bytes:
    """The workbook with one part added or replaced."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for entry in source.infolist():
            if entry.filename != name:
                target.writestr(entry, source.read(entry))
        target.writestr(name, content)
    return out.getvalue()


@pytest.mark.parametrize("filename", ["diem.xlsm", "DIEM.XLSM", "mau.xltm", "diem.xlsb", "addin.xlam"])
def test_macro_workbooks_are_refused_by_name(app, filename):
    problem = run(xlsx([["Tên điểm"], ["A"]]), filename).fatal[0]
    assert "có macro" in problem and ".xlsx" in problem


def test_a_macro_workbook_renamed_xlsx_is_refused_by_content(app):
    data = with_part(xlsx([["Tên điểm"], ["A"]]), "xl/vbaProject.bin", b"\xd0\xcf\x11\xe0 VBA")
    assert "có macro" in run(data, "diem.xlsx").fatal[0]


def test_openpyxl_reads_uploads_through_defusedxml_and_an_entity_bomb_is_a_bad_file(app):
    from openpyxl import xml

    assert xml.DEFUSEDXML is True  # openpyxl checks this once: defusedxml must be installed (pyproject)
    laughs = "".join(f'<!ENTITY l{n} "{f"&l{n - 1};" * 10}">' for n in range(1, 10))
    sheet = (
        f'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY l0 "ha">{laughs}]>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1">'
        '<c r="A1" t="inlineStr"><is><t>&l9;</t></is></c></row></sheetData></worksheet>'
    )
    data = with_part(xlsx([["Tên điểm"], ["A"]]), "xl/worksheets/sheet1.xml", sheet.encode())
    started = time.monotonic()
    result = run(data, "diem.xlsx")
    assert result.fatal and "Excel" in result.fatal[0] and not result.rows
    assert time.monotonic() - started < 2  # refused, not expanded to a billion "ha"


# --- formulas stay text, and are neutralised on the way out ---------------------------------------------------


@pytest.mark.parametrize(
    "value, expected",
    [
        ('=HYPERLINK("x","y")', '\'=HYPERLINK("x","y")'),
        ("+84 912", "'+84 912"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\x01=1", "'=1"),
        ("Bình thường = 1", "Bình thường = 1"),
        (None, ""),
        (4.5, 4.5),
    ],
)
def test_safe_cell(value, expected):
    assert imports.safe_cell(value) == expected


def test_the_report_export_uses_the_same_guard():
    from tracker.exports import export

    assert export.safe_text is imports.safe_cell


# --- preview and apply ----------------------------------------------------------------------------------------


def test_preview_counts_and_orders_problem_rows_first(app):
    result = run("Tên điểm\nA\nbad one\nB\n".encode())
    assert result.counts == {"new": 2, "update": 0, "error": 1, "warning": 0, "total": 3}
    shown, hidden = result.shown()
    assert [r.number for r in shown] == [3, 2, 4] and hidden == 0
    assert result.label("name") == "Tên điểm" and result.label("row") == "Dòng"
    lines = imports.report_lines(result)
    assert lines[0] == "Dòng 3 · lỗi · Tên điểm: Tên không hợp lệ."
    assert lines[-1] == "3 dòng: 2 mới, 0 cập nhật, 1 lỗi, 0 có cảnh báo."


def test_apply_refuses_a_file_with_any_bad_row(app):
    importer = Recorder()
    result = imports.preview(importer, "Tên điểm\nA\nbad\n".encode(), "a.csv")
    with pytest.raises(ValidationError) as caught:
        imports.apply(importer, result)
    assert "file" in caught.value.fields
    assert importer.applied == []


def test_apply_names_the_row_a_service_refused(app):
    importer = Recorder()
    result = imports.preview(importer, "Tên điểm,Ghi chú\nA,\nB,explode\n".encode(), "a.csv")
    with pytest.raises(ValidationError) as caught:
        imports.apply(importer, result)
    assert caught.value.fields == {"row 3": "Dòng 3: Không ghi được."}


def test_apply_counts(app):
    importer = Recorder()
    result = imports.preview(importer, "Tên điểm\nA\nB\n".encode(), "a.csv")
    assert imports.apply(importer, result) == {"new": 2, "update": 0}
    assert importer.applied == [2, 3]


# --- stashed uploads ------------------------------------------------------------------------------------------


def test_a_stash_is_bound_to_its_user_and_kind(app):
    token = imports.stash("test", 7, b"data", "a.csv", {"unit": "05860"})
    stashed = imports.load_stash("test", token, 7)
    assert (stashed.data, stashed.filename, stashed.options) == (b"data", "a.csv", {"unit": "05860"})
    with pytest.raises(Forbidden):
        imports.load_stash("test", token, 8)
    with pytest.raises(HTTPException) as caught:
        imports.load_stash("other", token, 7)
    assert caught.value.code == 410
    imports.discard(token)
    for bad in (token, "../../config", ""):
        with pytest.raises(HTTPException) as caught:
            imports.load_stash("test", bad, 7)
        assert caught.value.code == 410


def test_stashes_older_than_a_day_expire_and_are_swept(app):
    old = imports.stash("test", 7, b"old", "a.csv")
    folder = stashes.folder()
    day_ago = time.time() - imports.STASH_SECONDS - 60
    for path in folder.glob(f"{old}.*"):
        os.utime(path, (day_ago, day_ago))
    imports.stash("test", 7, b"new", "b.csv")
    assert not list(folder.glob(f"{old}.*"))
    with pytest.raises(HTTPException) as caught:
        imports.load_stash("test", old, 7)
    assert caught.value.code == 410


# --- templates ------------------------------------------------------------------------------------------------


def test_the_xlsx_template_has_bold_headers_an_example_and_widths(app):
    book = load_workbook(io.BytesIO(imports.template_xlsx(COLUMNS, "Điểm QR")))
    sheet = book.worksheets[0]
    assert [c.value for c in sheet[1]] == ["Tên điểm", "Số điện thoại", "Ghi chú"]
    assert all(c.font.bold for c in sheet[1])
    assert [c.value for c in sheet[2]][:2] == ["Chợ Bãi Bông", "0912345678"]
    assert sheet.column_dimensions["A"].width == 30
    notes = book.worksheets[1]
    assert [c.value for c in notes[2]] == ["Tên điểm", "Có", "Tên in trên áp phích."]


def test_the_csv_template_is_utf8_with_a_bom_and_reads_back(app):
    data = imports.template_csv(COLUMNS)
    assert data.startswith(b"\xef\xbb\xbf")
    assert data.decode("utf-8-sig").splitlines()[0] == "Tên điểm,Số điện thoại,Ghi chú"
    assert table(run(data)) == [(2, {"name": "Chợ Bãi Bông", "phone": "0912345678", "note": ""})]


def test_the_templates_headers_stay_vietnamese_in_english(app):
    from flask_babel import force_locale

    with force_locale("en"):
        data = imports.template_csv(COLUMNS)
    assert data.decode("utf-8-sig").startswith("Tên điểm,")
