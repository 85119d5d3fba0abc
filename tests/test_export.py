"""Program exports: the XLSX and CSV share one row builder; figures typed, formulas neutralised, scope checked."""

import csv
import io
from datetime import datetime, timedelta
from decimal import Decimal
from urllib.parse import unquote

import openpyxl
import pytest
from sqlalchemy import event

from tests import factories
from tracker.db import local_today
from tracker.exports.export import safe_text
from tracker.extensions import db
from tracker.programs.models import TaskUpdate

HEADERS = [
    "STT",
    "Nhiệm vụ",
    "Người thực hiện",
    "Đơn vị chủ trì",
    "Thời hạn",
    "Chỉ tiêu",
    "Kết quả",
    "Tỷ lệ đạt (%)",
    "Trạng thái",
    "Ghi chú",
]
FORMULA = '=HYPERLINK("http://x","y")'


@pytest.fixture
def program(app, users, ward):
    """The demo's shape: a parent with two sub-tasks, the budget revenue at 137%, a hostile title, a negative target."""
    basis = factories.create_document(ward, "27-CTr/ĐU", title="Chương trình hành động chuyển đổi số")
    program = factories.create_program(ward, "Chương trình hành động số 27-CTr/ĐU", basis_document=basis)
    due = local_today() + timedelta(days=30)
    qr = factories.create_task(program, "Tạo lập điểm quét mã QR", target=Decimal(600), unit_label="điểm")
    factories.create_task(program, "Cơ quan", parent=qr, target=Decimal(100), owner_user=users["member"])
    factories.create_task(program, "Doanh nghiệp", parent=qr, target=Decimal(500), responsible="Phòng Kinh tế")
    budget = factories.create_task(
        program,
        "Thu ngân sách nhà nước trên địa bàn",
        measure_kind="amount",
        target=Decimal("2.94"),
        unit_label="tỷ đồng",
        deadline=due,
        owner_name="Nguyễn Văn A",
        responsible="UBND phường",
    )
    factories.create_task_update(budget, users["manager"], "2", note="Ước tính")
    factories.create_task_update(budget, users["manager"], "4.03", note="Quyết toán năm")
    factories.create_task(program, FORMULA, owner_name="@admin", responsible="-1+2")
    balance = factories.create_task(program, "Cán cân", measure_kind="amount", target=Decimal(-5))
    factories.create_task_update(balance, users["manager"], "-2")
    db.session.commit()
    return program


def _xlsx(client, program):
    response = client.get(f"/programs/{program.id}/export.xlsx")
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return response, openpyxl.load_workbook(io.BytesIO(response.data)).active


def _csv(client, program):
    response = client.get(f"/programs/{program.id}/export.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.data.startswith(b"\xef\xbb\xbf")  # the BOM: Excel then reads UTF-8
    return response, list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))


def test_xlsx_has_the_title_the_headers_and_the_figures(client, auth, program):
    auth.login("viewer")
    _response, sheet = _xlsx(client, program)
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert values[0][0] == "Chương trình hành động số 27-CTr/ĐU"
    assert sheet["A1"].font.bold
    assert "Đơn vị: Phường Phổ Yên" in [row[0] for row in values[1:4]]
    header = next(i for i, row in enumerate(values) if row[0] == "STT")
    assert values[header] == HEADERS
    assert all(c.font.bold for c in sheet[header + 1])
    assert sheet.freeze_panes == f"A{header + 2}"
    assert sheet.column_dimensions["B"].width == 50
    body = {row[0]: row for row in values[header + 1 :]}
    assert list(body) == ["1", "1.1", "1.2", "2", "3", "4"]

    budget = body["2"]
    assert budget[1:4] == ["Thu ngân sách nhà nước trên địa bàn", "Nguyễn Văn A", "UBND phường"]
    assert budget[4] == datetime.combine(local_today() + timedelta(days=30), datetime.min.time())
    assert (budget[5], budget[6]) == (2.94, 4.03)
    assert budget[7] == pytest.approx(1.3707, abs=1e-4)  # 4,03 / 2,94 tỷ đồng: đạt 137,07%
    assert (budget[8], budget[9]) == ("Hoàn thành đúng hạn", "Quyết toán năm")
    cells = sheet[header + 1 + 4]
    assert cells[4].number_format == "dd/mm/yyyy"
    assert cells[5].number_format == '#,##0.00 "tỷ đồng"'
    assert cells[6].number_format == "#,##0.00"
    assert cells[7].number_format.endswith("%")
    assert body["1.1"][2] == "Member"  # rõ người from the owning user
    assert body["1"][5:8] == ["tính từ 2 nhiệm vụ con", 0, 0]  # a parent: its own 600 điểm is not its target
    assert body["1.2"][5] == 500 and sheet[header + 3][5].number_format == "#,##0"
    assert sheet[header + 3][1].alignment.indent == 1
    assert body["4"][6] == -2 and sheet[header + 1 + 6][6].data_type == "n"  # real numbers stay numbers


def test_formulas_come_out_as_text(client, auth, program):
    auth.login("viewer")
    _response, sheet = _xlsx(client, program)
    row = next(r for r in sheet.iter_rows() if r[0].value == "3")
    assert row[1].value == FORMULA  # exactly as typed, in text cells: Excel shows them, never runs them
    assert (row[2].value, row[3].value) == ("@admin", "-1+2")
    assert {cell.data_type for cell in row[1:4]} == {"s"}
    _response, lines = _csv(client, program)
    assert next(r for r in lines if r[0] == "3")[1:4] == ["'" + FORMULA, "'@admin", "'-1+2"]


def test_csv_has_the_headers_and_the_figures_written_the_vietnamese_way(client, auth, program):
    auth.login("member")
    _response, lines = _csv(client, program)
    assert lines[0] == HEADERS
    body = {row[0]: row for row in lines[1:]}
    assert list(body) == ["1", "1.1", "1.2", "2", "3", "4"]
    deadline = (local_today() + timedelta(days=30)).strftime("%d/%m/%Y")
    assert body["2"] == [
        "2",
        "Thu ngân sách nhà nước trên địa bàn",
        "Nguyễn Văn A",
        "UBND phường",
        deadline,
        "2,94 tỷ đồng",
        "4,03",
        "137,07",
        "Hoàn thành đúng hạn",
        "Quyết toán năm",
    ]
    assert body["1"][5:8] == ["tính từ 2 nhiệm vụ con", "0%", "0"]
    assert body["4"][5:8] == ["'-5", "-2", "40"]  # the value is a number; the target text neutralised


def test_a_parent_task_exports_the_progress_rolled_up_from_its_sub_tasks(client, auth, users, program):
    """Kết quả and Tỷ lệ đạt of a parent are its progress, the weighted mean of its sub-tasks, never blank."""
    offices, firms = program.tasks[1], program.tasks[2]
    assert (offices.parent, firms.parent) == (program.tasks[0], program.tasks[0])
    factories.create_task_update(offices, users["manager"], "50")  # 50 / 100
    factories.create_task_update(firms, users["manager"], "500")  # 500 / 500
    db.session.add(TaskUpdate(task=program.tasks[0], value=Decimal(9)))  # from before it had sub-tasks: ignored
    db.session.commit()
    auth.login("viewer")
    _response, sheet = _xlsx(client, program)
    row = next(r for r in sheet.iter_rows() if r[0].value == "1")
    assert [c.value for c in row[5:8]] == ["tính từ 2 nhiệm vụ con", 0.75, 0.75]
    assert (row[6].number_format, row[7].number_format) == ("0.00%", "#,##0.00%")
    _response, lines = _csv(client, program)
    assert next(r for r in lines if r[0] == "1")[5:8] == ["tính từ 2 nhiệm vụ con", "75%", "75"]
    assert next(r for r in lines if r[0] == "1.1")[5:8] == ["100", "50", "50"]  # a sub-task keeps its own figures


def test_filename_is_ascii_with_the_real_name_in_utf8(client, auth, program):
    auth.login("viewer")
    response, _sheet = _xlsx(client, program)
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith(f'attachment; filename="chuong-trinh-hanh-dong-so-27-ctr-du-{program.id}.xlsx"')
    disposition.encode("ascii")
    real = disposition.split("filename*=UTF-8''", 1)[1]
    assert unquote(real) == "Chương trình hành động số 27-CTr-ĐU.xlsx"
    assert response.headers["Cache-Control"] == "private, no-store"


def test_out_of_scope_is_refused(client, auth, province, program):
    other_ward = factories.create_unit("Phường Bách Quang", "ward", parent=province)
    factories.create_user("outsider", "viewer", other_ward)
    db.session.commit()
    for extension in ("xlsx", "csv"):
        assert client.get(f"/programs/{program.id}/export.{extension}").status_code == 302  # to the login page
    auth.login("outsider")
    for extension in ("xlsx", "csv"):
        assert client.get(f"/programs/{program.id}/export.{extension}").status_code == 403
        assert client.get(f"/programs/424242/export.{extension}").status_code == 404


def test_an_empty_program_exports_its_headers(client, auth, ward, users):
    empty = factories.create_program(ward, "Kế hoạch mới")
    db.session.commit()
    auth.login("admin")
    _response, lines = _csv(client, empty)
    assert lines == [HEADERS]
    _response, sheet = _xlsx(client, empty)
    assert [c.value for c in sheet[sheet.max_row]] == HEADERS


@pytest.mark.parametrize(
    "text, expected",
    [
        ("=1+1", "'=1+1"),
        ("+84 912", "'+84 912"),
        ("-5", "'-5"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("\x01=1", "'=1"),  # a control character cannot hide a formula
        ("Bình thường = 1", "Bình thường = 1"),
        ("", ""),
    ],
)
def test_safe_text(text, expected):
    assert safe_text(text) == expected


def test_an_id_no_row_can_have_is_404(client, auth, users):
    auth.login("admin")
    assert client.get(f"/programs/{2**40}/export.xlsx").status_code == 404


def statement_count(client, url: str, headers: dict | None = None) -> int:
    """How many SQL statements one GET runs (it must answer 200), its streamed body read to the end."""
    db.session.commit()
    seen: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        response = client.get(url, headers=headers)
        response.get_data()  # an export streams: its rows are read as its body is
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    assert response.status_code == 200
    return len(seen)


def test_statements_do_not_grow_with_tasks(client, auth, ward, program):
    auth.login("viewer")
    url = f"/programs/{program.id}/export.xlsx"
    client.get(url)  # warm-up: first-request work is not the export's
    small = statement_count(client, url)
    for n in range(5):
        owner = factories.create_user(f"can-bo-{n}", "member", ward)
        task = factories.create_task(program, f"Nhiệm vụ {n}", target=Decimal(10), owner_user=owner)
        factories.create_task_update(task, owner, "3", note=f"Ghi chú {n}")
    assert statement_count(client, url) == small
