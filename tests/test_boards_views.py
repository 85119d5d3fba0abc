"""The board screens: establishing boards and working groups, the board page (members by role, staffing, past
members, history), seating, ending and re-roling members through the forms with the live task following, every
refusal in Vietnamese next to its field, no lost update, scope, the appendix export and fixed query counts."""

import io
import re
from datetime import date, timedelta
from decimal import Decimal as D

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from tests import factories
from tests.test_export import statement_count
from tests.test_sites_views import field_error, text
from tracker.boards import services
from tracker.boards.models import Board, Membership
from tracker.boards.services import BoardFields, MemberFields
from tracker.db import local_today
from tracker.extensions import db
from tracker.programs.progress import evaluate_task
from tracker.programs.rules import Status


def make_decision(ward):
    return factories.create_document(ward, "63-QĐ/ĐU", date(2021, 12, 13), "Quyết định thành lập Ban chỉ đạo")


def make_board(ward) -> Board:
    """The ward's steering board of 3 seats, established by 63-QĐ/ĐU of 13/12/2021 (committed)."""
    fields = BoardFields(name="Ban chỉ đạo chuyển đổi số", target_size=3, established_by=make_decision(ward))
    board = services.create_board(ward, fields)
    db.session.commit()
    return board


@pytest.fixture
def decision(app, ward):
    return make_decision(ward)


@pytest.fixture
def board(app, ward, users):
    return make_board(ward)


@pytest.fixture
def other_ward(app, province):
    return factories.create_unit("Phường Ba Hàng", "ward", parent=province, code="05862")


def seat(board, name, role="member", starts_on=date(2022, 1, 1), **fields):
    membership = services.add_member(
        board, MemberFields(person_name=name, role=role, starts_on=starts_on, **fields)
    ).row
    db.session.commit()
    return membership


def flashes(page, category: str) -> list[str]:
    return re.findall(rf'<p class="flash flash-{category}">(.*?)</p>', text(page), re.S)


def member_form(**fields) -> dict:
    person = {"person_name": "Nguyễn Văn A", "position": "Bí thư Đảng ủy", "role": "member", "phone": "0912345678"}
    return (
        person | {"starts_on": "01/01/2022", "appointed_by_reference": "63-qđ/đu", "email": "", "user_id": ""} | fields
    )


def count(model) -> int:
    return db.session.scalar(select(func.count(model.id)))


# --- boards ------------------------------------------------------------------------------------------------


def test_a_manager_establishes_a_board_and_sees_its_page(client, auth, users, ward, decision):
    auth.login("manager")
    page = client.get("/boards/new")
    assert page.status_code == 200 and 'value="05860"' in text(page)
    response = client.post(
        "/boards/new",
        data={"unit": "05860", "name": "Ban chỉ đạo chuyển đổi số", "kind": "steering_board",
              "established_by_reference": "63-QĐ/ĐU", "target_size": "27", "parent_board_id": ""},
    )  # fmt: skip
    assert response.status_code == 302
    board = db.session.scalars(select(Board)).one()
    assert (board.target_size, board.established_by_document_id, board.unit_id) == (27, decision.id, ward.id)
    shown = client.get(response.headers["Location"])
    assert "Đã thành lập “Ban chỉ đạo chuyển đổi số”." in flashes(shown, "success")
    body = text(shown)
    assert 'data-testid="current-count">0<' in body and 'data-testid="target-size">27<' in body
    assert "Còn thiếu 27 thành viên." in body
    assert 'data-testid="board-decision">63-QĐ/ĐU<' in body and "ngày 13/12/2021" in body
    assert 'data-testid="history"' in body and "Số thành viên theo kế hoạch" in body  # the creation's audit diff


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"target_size": "0"}, "target_size", "Số thành viên theo kế hoạch là số nguyên dương, tối đa 500."),
        ({"target_size": "hai mươi"}, "target_size", "“hai mươi” không phải là số: hãy viết như 4,03 hoặc 1.234,5 "
         "(dấu “,” ngăn phần thập phân, dấu “.” ngăn hàng nghìn)."),
        ({"target_size": "27,5"}, "target_size", "“27,5” không phải là số nguyên; ví dụ hợp lệ: 27."),
        ({"established_by_reference": "99-QĐ/ĐU"}, "established_by_reference",
         "Không tìm thấy văn bản “99-QĐ/ĐU” của Phường Phổ Yên: hãy thêm văn bản trước."),
        ({"name": ""}, "name", "Hãy nhập tên Ban, ví dụ: Ban chỉ đạo chuyển đổi số phường Bãi Bông."),
        ({"unit": "99999"}, "unit", "Không có đơn vị nào mang mã “99999”."),
    ],
)  # fmt: skip
def test_bad_board_input_is_named_next_to_its_field(client, auth, users, ward, decision, fields, field, message):
    auth.login("manager")
    data = {"unit": "05860", "name": "Ban chỉ đạo", "kind": "steering_board", "target_size": "27", **fields}
    response = client.post("/boards/new", data=data)
    assert response.status_code == 400
    assert field_error(response, field) == message
    assert count(Board) == 0


def test_a_working_group_is_started_from_its_steering_board(client, auth, users, ward, board, other_ward):
    foreign = services.create_board(other_ward, BoardFields(name="Ban chỉ đạo Ba Hàng"))
    db.session.commit()
    auth.login("manager")
    page = client.get(f"/boards/new?parent={board.id}")
    assert re.search(rf'<option selected value="{board.id}">', text(page))
    assert re.search(r'<option selected value="working_group">', text(page))
    data = {"unit": "05860", "name": "Tổ giúp việc", "kind": "working_group", "target_size": "14"}
    refused = client.post("/boards/new", data=data | {"parent_board_id": str(foreign.id)})
    assert refused.status_code == 400
    assert field_error(refused, "parent_board_id") == "Hãy chọn một mục trong danh sách."  # not among the choices
    response = client.post("/boards/new", data=data | {"parent_board_id": str(board.id)})
    assert response.status_code == 302
    group = db.session.scalars(select(Board).where(Board.kind == "working_group")).one()
    assert group.parent_board_id == board.id
    assert f'href="/boards/{group.id}"' in text(client.get(f"/boards/{board.id}"))


def test_editing_a_board_from_a_stale_page_is_a_conflict(client, auth, users, board):
    auth.login("manager")
    data = {"name": "Ban chỉ đạo CĐS", "kind": "steering_board", "target_size": "27",
            "established_by_reference": "63-QĐ/ĐU", "parent_board_id": "", "version": str(board.version)}  # fmt: skip
    assert client.post(f"/boards/{board.id}/edit", data=data).status_code == 302
    assert db.session.get(Board, board.id).target_size == 27
    stale = client.post(f"/boards/{board.id}/edit", data=data | {"name": "Ghi đè", "target_size": "30"})
    assert stale.status_code == 409
    assert "Ban này vừa được người khác sửa." in text(stale)
    assert (db.session.get(Board, board.id).name, db.session.get(Board, board.id).target_size) == (
        "Ban chỉ đạo CĐS",
        27,
    )


def test_another_units_board_is_out_of_reach(client, auth, users, other_ward):
    foreign = services.create_board(other_ward, BoardFields(name="Ban chỉ đạo Ba Hàng", target_size=20))
    m = services.add_member(foreign, MemberFields(person_name="Lê Văn C", role="head", starts_on=date(2022, 1, 1))).row
    db.session.commit()
    auth.login("manager")
    assert client.get(f"/boards/{foreign.id}").status_code == 403
    data = {"name": "Đổi tên", "kind": "steering_board", "target_size": "5", "version": "1"}
    assert client.post(f"/boards/{foreign.id}/edit", data=data).status_code == 403
    assert client.post(f"/boards/{foreign.id}/members/new", data=member_form()).status_code == 403
    ending = {"end-ends_on": "01/01/2025", "end-version": "1"}
    assert client.post(f"/boards/members/{m.id}/end", data=ending).status_code == 403
    assert db.session.get(Board, foreign.id).name == "Ban chỉ đạo Ba Hàng"
    assert db.session.get(Membership, m.id).ends_on is None and count(Membership) == 1


def test_viewers_read_but_do_not_write(client, auth, users, board):
    seat(board, "Nguyễn Văn A", "head")
    auth.login("viewer")
    page = client.get(f"/boards/{board.id}")
    assert page.status_code == 200 and "Nguyễn Văn A" in text(page)
    assert 'data-testid="member-add"' not in text(page) and 'data-testid="member-manage"' not in text(page)
    assert client.post(f"/boards/{board.id}/members/new", data=member_form()).status_code == 403
    assert count(Membership) == 1


# --- members -----------------------------------------------------------------------------------------------


def test_seating_the_last_member_completes_the_linked_task(client, auth, users, board):
    program = factories.create_program(board.unit)
    task = factories.create_task(
        program, "Kiện toàn Ban chỉ đạo", source="board_members", source_board_id=board.id, target=D(3),
        deadline=local_today() + timedelta(days=10),
    )  # fmt: skip
    seat(board, "Nguyễn Văn A", "head")
    seat(board, "Trần Thị B", "deputy")
    assert evaluate_task(task).value == 2
    auth.login("manager")
    page = client.get(f"/boards/{board.id}/members/new")
    assert page.status_code == 200 and f'value="{local_today():%d/%m/%Y}"' in text(page)
    response = client.post(f"/boards/{board.id}/members/new", data=member_form(person_name="Lê Văn C"))
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/boards/{board.id}")
    m = db.session.scalars(select(Membership).where(Membership.person_name == "Lê Văn C")).one()
    assert (m.position, m.phone, m.appointed_by.reference, m.starts_on) == (
        "Bí thư Đảng ủy", "0912345678", "63-QĐ/ĐU", date(2022, 1, 1),
    )  # fmt: skip
    state = evaluate_task(task)
    assert (state.value, state.progress, state.status) == (3, 1, Status.DONE_ON_TIME)
    shown = client.get(f"/boards/{board.id}")
    assert "Đã thêm Lê Văn C vào Ban chỉ đạo chuyển đổi số." in flashes(shown, "success")
    assert "Đã đủ thành viên theo kế hoạch." in text(shown)
    assert f'href="/tasks/{task.id}"' in text(shown)


def test_a_start_before_the_decision_is_flashed_as_a_warning(client, auth, users, board):
    auth.login("manager")
    response = client.post(f"/boards/{board.id}/members/new", data=member_form(starts_on="01/12/2021"))
    assert response.status_code == 302 and count(Membership) == 1
    warning = flashes(client.get(response.headers["Location"]), "warning")
    assert warning == [
        "Nguyễn Văn A bắt đầu ngày 01/12/2021, trước ngày ban hành văn bản thành lập Ban 63-QĐ/ĐU (13/12/2021). "
        "Đã lưu; hãy kiểm tra lại ngày."
    ]


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"role": "head", "person_name": "Trần Thị B"}, "role", "mỗi Ban chỉ có một người đứng đầu"),
        ({"starts_on": "31/02/2022"}, "starts_on", "Ngày “31/02/2022” không hợp lệ"),
        ({"appointed_by_reference": "quyết định"}, "appointed_by_reference", "Số ký hiệu “quyết định” không đúng mẫu."),
        ({"person_name": "  "}, "person_name", "Hãy nhập họ và tên thành viên."),
        ({"role": "group_member"}, "role", "Hãy chọn một mục trong danh sách."),
        ({"email": "a@b"}, "email", "Thư điện tử “a@b” không đúng dạng"),
    ],
)
def test_bad_member_input_is_named_and_nothing_is_written(client, auth, users, board, fields, field, message):
    seat(board, "Nguyễn Văn A", "head")
    auth.login("manager")
    response = client.post(f"/boards/{board.id}/members/new", data=member_form(**fields))
    assert response.status_code == 400
    assert message in field_error(response, field)
    assert count(Membership) == 1


def test_ending_a_seat_from_its_page(client, auth, users, board):
    m = seat(board, "Nguyễn Văn A", "head", starts_on=date(2022, 5, 1))
    opened = m.version
    auth.login("manager")
    page = client.get(f"/boards/members/{m.id}/edit")
    assert page.status_code == 200 and 'data-testid="member-end"' in text(page)
    early = client.post(f"/boards/members/{m.id}/end", data={"end-ends_on": "30/04/2022", "end-version": str(opened)})
    assert early.status_code == 400
    assert field_error(early, "end-ends_on") == "Ngày kết thúc (30/04/2022) không được trước ngày bắt đầu (01/05/2022)."
    done = client.post(f"/boards/members/{m.id}/end", data={"end-ends_on": "31/12/2024", "end-version": str(opened)})
    assert done.status_code == 302
    assert db.session.get(Membership, m.id).ends_on == date(2024, 12, 31) and count(Membership) == 1
    shown = client.get(f"/boards/{board.id}")
    assert "Nguyễn Văn A thôi tham gia Ban chỉ đạo chuyển đổi số sau ngày 31/12/2024." in flashes(shown, "success")
    past = text(shown).split('data-testid="past-members"')[1]
    assert "Nguyễn Văn A" in past and "01/05/2022 – 31/12/2024" in past
    stale = client.post(f"/boards/members/{m.id}/edit", data=member_form(version=str(opened)))
    assert stale.status_code == 409  # the seat moved on since that version
    assert "Thành viên này vừa được người khác sửa." in text(stale)


def test_changing_a_role_keeps_the_old_seat_as_history(client, auth, users, board):
    m = seat(board, "Nguyễn Văn A", "standing_deputy", position="Chủ tịch UBND phường")
    auth.login("manager")
    data = {"role-role": "head", "role-changed_on": "01/03/2024", "role-version": str(m.version)}
    response = client.post(f"/boards/members/{m.id}/role", data=data)
    assert response.status_code == 302
    old, new = db.session.scalars(select(Membership).order_by(Membership.id)).all()
    assert (old.role, old.ends_on) == ("standing_deputy", date(2024, 2, 29))
    assert (new.person_name, new.position, new.role, new.starts_on) == (
        "Nguyễn Văn A",
        "Chủ tịch UBND phường",
        "head",
        date(2024, 3, 1),
    )
    shown = client.get(f"/boards/{board.id}")
    assert "Nguyễn Văn A giữ vai trò Trưởng ban từ ngày 01/03/2024." in flashes(shown, "success")
    again = client.post(f"/boards/members/{m.id}/role", data=data)
    assert again.status_code == 409 and count(Membership) == 2


def test_a_role_change_that_would_make_a_second_head_is_refused_on_its_field(client, auth, users, board):
    seat(board, "Nguyễn Văn A", "head")
    deputy = seat(board, "Trần Thị B", "standing_deputy")
    auth.login("manager")
    data = {"role-role": "head", "role-changed_on": "01/03/2024", "role-version": str(deputy.version)}
    response = client.post(f"/boards/members/{deputy.id}/role", data=data)
    assert response.status_code == 400
    assert "Nguyễn Văn A" in field_error(response, "role-role")
    assert count(Membership) == 2 and db.session.get(Membership, deputy.id).ends_on is None


def test_correcting_a_members_details_and_linking_an_account_in_scope(client, auth, users, board, other_ward):
    outsider = factories.create_user("ba-hang", "member", other_ward)
    m = seat(board, "Nguyen Van A", "member")
    auth.login("manager")
    page = text(client.get(f"/boards/members/{m.id}/edit"))
    assert f'<option value="{users["member"].id}">' in page and f'value="{outsider.id}"' not in page
    data = member_form(person_name="Nguyễn Văn A", user_id=str(users["member"].id), version=str(m.version))
    response = client.post(f"/boards/members/{m.id}/edit", data=data)
    assert response.status_code == 302
    m = db.session.get(Membership, m.id)
    assert (m.person_name, m.user_id, m.role, m.appointed_by.reference) == (
        "Nguyễn Văn A", users["member"].id, "member", "63-QĐ/ĐU",
    )  # fmt: skip
    history = text(client.get(f"/boards/members/{m.id}/edit")).split('data-testid="history"')[1]
    assert "Nguyen Van A" in history and "Nguyễn Văn A" in history
    refused = client.post(f"/boards/members/{m.id}/edit", data=data | {"user_id": str(outsider.id), "version": "2"})
    assert refused.status_code == 400 and field_error(refused, "user_id") == "Hãy chọn một mục trong danh sách."


def test_the_board_page_lists_members_by_role_head_first_and_past_ones_with_dates(client, auth, users, board):
    seat(board, "Trần Thị Y", "member")
    seat(board, "Lê Văn C", "standing_deputy")
    seat(board, "Nguyễn Văn A", "head")
    seat(board, "Phạm Văn E", "member", ends_on=date(2023, 6, 30))
    auth.login("viewer")
    body = text(client.get(f"/boards/{board.id}"))
    current = body.split('data-testid="current-members"')[1].split('data-testid="past-members"')[0]
    assert re.findall(r'data-testid="role-group" data-role="(\w+)"', current) == ["head", "standing_deputy", "member"]
    assert re.findall(r'data-testid="member-name">([^<]*)<', current) == ["Nguyễn Văn A", "Lê Văn C", "Trần Thị Y"]
    assert 'data-testid="current-count">3<' in body and "Đã đủ thành viên theo kế hoạch." in body
    past = body.split('data-testid="past-members"')[1]
    assert "Phạm Văn E" in past and "01/01/2022 – 30/06/2023" in past


def test_the_dashboard_links_each_board_to_its_page(client, auth, users, board):
    auth.login("viewer")
    panel = text(client.get("/")).split('data-testid="boards-panel"')[1]
    assert f'<a href="/boards/{board.id}">Ban chỉ đạo chuyển đổi số</a>' in panel


# --- the list, the export, query counts --------------------------------------------------------------------


def test_the_list_shows_staffing_with_the_same_statements_for_2_or_12_boards(client, auth, users, ward, other_ward):
    def grow(numbers):
        for n in numbers:
            b = services.create_board(ward, BoardFields(name=f"Ban {n:02d}", target_size=5))
            for i in range(n % 4):
                services.add_member(
                    b, MemberFields(person_name=f"Người {i}", role="member", starts_on=date(2022, 1, 1))
                )
        db.session.commit()

    grow(range(2))
    services.create_board(other_ward, BoardFields(name="Ban Ba Hàng"))
    db.session.commit()
    auth.login("viewer")
    client.get("/boards/")
    small = statement_count(client, "/boards/")
    grow(range(2, 12))
    large = statement_count(client, "/boards/")
    assert large == small
    body = text(client.get("/boards/"))
    assert "Ban Ba Hàng" not in body  # another ward's
    assert re.findall(r'data-testid="board-staffing">([^<]*)<', body)[:4] == ["0 / 5", "1 / 5", "2 / 5", "3 / 5"]
    filtered = client.get("/boards/?unit=05862")
    assert filtered.status_code == 403


def test_the_board_page_runs_the_same_statements_for_3_or_30_members(client, auth, users, board):
    def grow(numbers):
        for n in numbers:
            seat(board, f"Người {n:02d}", ends_on=date(2023, 1, 1) if n % 5 == 0 else None)

    grow(range(3))
    auth.login("viewer")
    url = f"/boards/{board.id}"
    client.get(url)
    small = statement_count(client, url)
    grow(range(3, 30))
    assert statement_count(client, url) == small


def test_the_export_is_the_decisions_appendix(client, auth, users, board):
    seat(board, "Trần Thị Y", "member", position='=HYPERLINK("http://x")')
    seat(board, "Nguyễn Văn A", "head", position="Bí thư Đảng ủy, Chủ tịch HĐND phường")
    seat(board, "Lê Văn C", "deputy", ends_on=date(2023, 1, 1))  # past: not listed
    auth.login("viewer")
    response = client.get(f"/boards/{board.id}/members.xlsx")
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert "danh-sach-thanh-vien-ban" in response.headers["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = [[c for c in row if c is not None] for row in sheet.iter_rows(values_only=True)]
    assert rows[0] == ["DANH SÁCH THÀNH VIÊN BAN CHỈ ĐẠO CHUYỂN ĐỔI SỐ"]
    assert rows[1] == ["(Kèm theo Quyết định số 63-QĐ/ĐU ngày 13/12/2021)"]
    assert rows[3] == ["STT", "Họ và tên", "Chức vụ", "Vai trò trong Ban"]
    assert rows[4:] == [
        [1, "Nguyễn Văn A", "Bí thư Đảng ủy, Chủ tịch HĐND phường", "Trưởng ban"],
        [2, "Trần Thị Y", '=HYPERLINK("http://x")', "Ủy viên"],
    ]
    assert sheet["C6"].data_type == "s"  # exactly as typed, a text cell, never a formula
