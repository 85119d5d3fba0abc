"""Importing a board's members from CSV or XLSX: the row checks (the member service's own, plus one head per file),
the row-numbered report, all-or-nothing, the upload → preview → confirm screens and the template."""

import io
from datetime import date, timedelta
from decimal import Decimal as D

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from tests import factories
from tests.test_boards_views import make_board
from tests.test_site_import import stash_in_tmp, token_of  # noqa: F401 (an autouse fixture)
from tests.test_sites_views import text
from tracker import imports
from tracker.boards import services
from tracker.boards.imports import COLUMNS, MemberImport
from tracker.boards.models import Membership
from tracker.boards.services import BoardFields, MemberFields
from tracker.db import local_today
from tracker.errors import ValidationError
from tracker.extensions import db
from tracker.programs.progress import evaluate_task

HEADER = (
    "STT,Họ và tên,Chức vụ,Vai trò trong Ban,Số điện thoại,Thư điện tử,Ngày bắt đầu,Quyết định phân công,Tài khoản\n"
)


def csv_bytes(*lines: str, header: str = HEADER) -> bytes:
    return (header + "".join(line + "\n" for line in lines)).encode("utf-8-sig")


def count() -> int:
    return db.session.scalar(select(func.count(Membership.id)))


@pytest.fixture
def board(app, ward, users):
    return make_board(ward)


def check(board, data: bytes, user=None, filename="thanh-vien.csv") -> imports.Preview:
    return imports.preview(MemberImport(board, user), data, filename)


def problems(result: imports.Preview) -> dict[int, dict[str, str]]:
    return {r.number: r.errors for r in result.rows if r.errors}


# --- the row checks -------------------------------------------------------------------------------------------


def test_good_rows_import_and_move_the_linked_task(board, users):
    program = factories.create_program(board.unit)
    task = factories.create_task(
        program, "Kiện toàn Ban", source="board_members", source_board_id=board.id, target=D(3),
        deadline=local_today() + timedelta(days=30),
    )  # fmt: skip
    db.session.commit()
    result = check(
        board,
        csv_bytes(
            "1,Nguyễn Văn A,Bí thư Đảng ủy,Trưởng ban,0912345678,,13/12/2021,63-qđ/đu,member",
            "2,Trần Thị B,Chủ tịch UBND phường,pho truong ban thuong truc,,b@phoyen.gov.vn,13/12/2021,,",
            "3,Lê Văn C,Công an phường,member,,,2021-12-13,,",
        ),
        users["manager"],
    )
    assert result.ok, problems(result)
    assert [r.target.role for r in result.rows] == ["head", "standing_deputy", "member"]
    assert imports.apply(MemberImport(board, users["manager"]), result) == {"new": 3, "update": 0}
    db.session.commit()
    head = db.session.scalars(select(Membership).where(Membership.role == "head")).one()
    assert (head.person_name, head.user_id, head.appointed_by.reference, head.starts_on) == (
        "Nguyễn Văn A", users["member"].id, "63-QĐ/ĐU", date(2021, 12, 13),
    )  # fmt: skip
    state = evaluate_task(task)
    assert (state.value, state.progress, state.status.is_done) == (3, 1, True)


def test_each_bad_row_is_reported_by_number_and_nothing_is_imported(board, users, province):
    factories.create_user("tinh", "manager", province)  # reaches the ward, but out of the ward manager's scope
    services.add_member(board, MemberFields(person_name="Ông Trưởng Ban", role="head", starts_on=date(2021, 12, 13)))
    db.session.commit()
    result = check(
        board,
        csv_bytes(
            "1,Người Tốt,,Ủy viên,,,01/01/2022,,",
            "2,,,Ủy viên,,,01/01/2022,,",
            "3,Người B,,Chủ nhiệm,,,01/01/2022,,",
            "4,Người C,,Tổ viên,,,01/01/2022,,",
            "5,Người D,,Ủy viên,,,31/02/2022,,",
            "6,Người E,,Ủy viên,,,01/01/2022,99-QĐ/ĐU,",
            "7,Người G,,Ủy viên,,,01/01/2022,quyết định,",
            "8,Người H,,Ủy viên,,,01/01/2022,,khong-co",
            "9,Người I,,Ủy viên,,,01/01/2022,,tinh",
            "10,Người K,,Trưởng ban,,,01/01/2022,,",
            "11,Người L,,Ủy viên,,thu@,01/01/2022,,",
        ),
        users["manager"],
    )
    assert not result.ok
    found = problems(result)
    assert sorted(found) == list(range(3, 13))  # the header is row 1; row 2 is good
    assert found[3] == {"person_name": "Hãy nhập “Họ và tên”."}
    assert found[4]["role"].startswith("Vai trò “Chủ nhiệm” không có; hãy dùng: Trưởng ban, ")
    assert found[5]["role"].startswith("Vai trò “Tổ viên” không có")  # a working group's role on a steering board
    assert found[6] == {
        "starts_on": "Ngày “31/02/2022” không hợp lệ: hãy nhập theo dạng ngày/tháng/năm, ví dụ 01/07/2025."
    }
    assert found[7] == {"appointed_by": "Không tìm thấy văn bản “99-QĐ/ĐU” của đơn vị: hãy thêm văn bản trước."}
    assert found[8]["appointed_by"].startswith("Số ký hiệu “quyết định” không đúng mẫu.")
    assert found[9] == {"username": "Không có tài khoản nào tên “khong-co”."}
    assert found[10] == {"username": "Tài khoản liên kết phải đang hoạt động và thuộc phạm vi đơn vị của Ban."}
    assert "Ông Trưởng Ban" in found[11]["role"]
    assert found[12]["email"].startswith("Thư điện tử “thu@” không đúng dạng")
    lines = imports.report_lines(result)
    assert "Dòng 4 · lỗi · Vai trò trong Ban: Vai trò “Chủ nhiệm” không có" in "\n".join(lines)
    with pytest.raises(ValidationError):  # the engine refuses a file with errors
        imports.apply(MemberImport(board, users["manager"]), result)
    db.session.rollback()
    assert count() == 1


def test_one_head_per_file(board):
    result = check(board, csv_bytes("1,Người A,,Trưởng ban,,,01/01/2022,,", "2,Người B,,head,,,01/06/2022,,"))
    assert problems(result) == {3: {"role": "Dòng 2 của tệp đã là người đứng đầu Ban: mỗi Ban chỉ có một."}}


def test_warnings_do_not_block(board):
    services.add_member(board, MemberFields(person_name="Nguyễn Văn A", role="member", starts_on=date(2022, 1, 1)))
    db.session.commit()
    result = check(
        board,
        csv_bytes(
            "1,nguyen van a,,Ủy viên,,,01/01/2022,,",
            "2,Trần Thị B,,Ủy viên,,,01/12/2021,,",
            "3,Trần  Thị B,,Ủy viên,,,01/01/2022,,",
        ),
    )
    assert result.ok
    warnings = {r.number: r.warnings for r in result.rows}
    assert warnings[2] == ["Ban đã có một thành viên hiện tại cùng họ tên."]
    assert warnings[3] == [
        "Trần Thị B bắt đầu ngày 01/12/2021, trước ngày ban hành văn bản thành lập Ban 63-QĐ/ĐU (13/12/2021). "
        "Đã lưu; hãy kiểm tra lại ngày."
    ]
    assert warnings[4] == ["Trùng họ tên với dòng 3 của tệp."]


def test_an_xlsx_with_real_dates_and_a_formula(board):
    book = Workbook()
    sheet = book.active
    sheet.append([str(c.header) for c in COLUMNS])
    sheet.append([1, '=HYPERLINK("http://x","A")', "Bí thư", "Trưởng ban", "0912345678", None, date(2021, 12, 13)])
    out = io.BytesIO()
    book.save(out)
    result = check(board, out.getvalue(), filename="thanh-vien.xlsx")
    assert result.ok, problems(result)
    assert result.rows[0].target.starts_on == date(2021, 12, 13)
    assert result.rows[0].target.person_name == '=HYPERLINK("http://x","A")'  # kept as text, never evaluated


def test_the_template_imports_as_is(board):
    result = check(board, imports.template_xlsx(COLUMNS, "Thành viên"), filename="mau.xlsx")
    assert result.ok and result.rows[0].warnings  # the example row is flagged, not refused


# --- the screens ----------------------------------------------------------------------------------------------


def upload(client, board, data: bytes, filename="thanh-vien.csv"):
    return client.post(f"/boards/{board.id}/import", data={"file": (io.BytesIO(data), filename)})


def test_preview_then_confirm(client, auth, users, board):
    auth.login("manager")
    page = client.get(f"/boards/{board.id}/import")
    assert page.status_code == 200 and "Nhập thành viên từ tệp" in text(page)
    preview = upload(
        client, board, csv_bytes("1,Nguyễn Văn A,,Trưởng ban,,,01/12/2021,,", "2,Trần Thị B,,Ủy viên,,,01/01/2022,,")
    )
    assert preview.status_code == 200
    assert 'data-testid="count-new">2<' in text(preview) and count() == 0  # a preview writes nothing
    token = token_of(preview)
    done = client.post(f"/boards/{board.id}/import/confirm", data={"token": token})
    assert done.status_code == 302 and done.headers["Location"].endswith(f"/boards/{board.id}")
    assert sorted(db.session.scalars(select(Membership.person_name))) == ["Nguyễn Văn A", "Trần Thị B"]
    shown = text(client.get(done.headers["Location"]))
    assert "Đã thêm 2 thành viên vào Ban chỉ đạo chuyển đổi số." in shown
    assert "Dòng 2: Nguyễn Văn A bắt đầu ngày 01/12/2021" in shown  # the warning, flashed with its row
    assert client.post(f"/boards/{board.id}/import/confirm", data={"token": token}).status_code == 410


def test_one_bad_row_means_nothing_is_written(client, auth, users, board):
    auth.login("manager")
    page = upload(client, board, csv_bytes("1,Người A,,Ủy viên,,,01/01/2022,,", "2,Người B,,Phó ban,,,01/01/2022,,"))
    assert page.status_code == 400
    body = text(page)
    assert 'name="token"' not in body and count() == 0
    assert "Dòng 3, Vai trò trong Ban: Vai trò “Phó ban” không có; hãy dùng: Trưởng ban" in body
    assert "Chưa nhập dòng nào: hãy sửa các lỗi trong tệp rồi tải lên lại." in body


def test_a_bad_date_is_a_row_error(client, auth, users, board):
    auth.login("manager")
    page = upload(client, board, csv_bytes("1,Người A,,Ủy viên,,,32/01/2022,,"))
    assert page.status_code == 400
    assert "Dòng 2, Ngày bắt đầu: Ngày “32/01/2022” không hợp lệ" in text(page)
    assert count() == 0


def test_confirm_checks_again(client, auth, users, board):
    auth.login("manager")
    token = token_of(upload(client, board, csv_bytes("1,Người A,,Trưởng ban,,,01/01/2022,,")))
    services.add_member(board, MemberFields(person_name="Người Khác", role="head", starts_on=date(2022, 1, 1)))
    db.session.commit()  # meanwhile someone seated a head
    page = client.post(f"/boards/{board.id}/import/confirm", data={"token": token})
    assert page.status_code == 409
    assert "Dữ liệu đã thay đổi kể từ lúc xem trước: chưa nhập dòng nào." in text(page)
    assert "Người Khác" in text(page)
    assert count() == 1


def test_a_token_is_bound_to_its_user_and_board(client, auth, users, board, ward):
    other = services.create_board(ward, BoardFields(name="Tổ giúp việc", kind="working_group", parent_board=board))
    db.session.commit()
    auth.login("manager")
    token = token_of(upload(client, board, csv_bytes("1,Người A,,Ủy viên,,,01/01/2022,,")))
    assert client.post(f"/boards/{other.id}/import/confirm", data={"token": token}).status_code == 409
    auth.logout()
    auth.login("admin")
    assert client.post(f"/boards/{board.id}/import/confirm", data={"token": token}).status_code == 403
    assert count() == 0


def test_only_managers_import_and_everyone_gets_the_template(client, auth, users, board):
    auth.login("member")
    assert client.get(f"/boards/{board.id}/import").status_code == 403
    assert upload(client, board, csv_bytes("1,Người A,,Ủy viên,,,01/01/2022,,")).status_code == 403
    response = client.get("/boards/import/template.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).worksheets[0]
    assert [c.value for c in sheet[1]] == [
        "STT", "Họ và tên", "Chức vụ", "Vai trò trong Ban", "Số điện thoại", "Thư điện tử", "Ngày bắt đầu",
        "Quyết định phân công", "Tài khoản",
    ]  # fmt: skip
    csv_template = client.get("/boards/import/template.csv")
    assert csv_template.status_code == 200 and "mau-nhap-thanh-vien.csv" in csv_template.headers["Content-Disposition"]
