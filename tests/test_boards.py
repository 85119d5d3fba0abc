"""Board and membership services: establishing boards and working groups, seating people, one head over any period,
ending a seat and changing a role without losing history, the roster, and the live-linked "board members" task."""

from datetime import date, timedelta
from decimal import Decimal as D

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from tests import factories
from tracker import imports
from tracker.boards import services
from tracker.boards.imports import MemberImport
from tracker.boards.models import Board, MemberRole, Membership
from tracker.boards.services import BoardFields, MemberFields
from tracker.db import local_today
from tracker.errors import StaleVersion, ValidationError
from tracker.extensions import db
from tracker.programs.models import TaskUpdate
from tracker.programs.progress import evaluate_task
from tracker.programs.rules import Status
from tracker.units.services import merge

DECIDED = date(2021, 12, 13)


@pytest.fixture
def decision(app, ward):
    return factories.create_document(ward, "63-QĐ/ĐU", DECIDED, "Quyết định thành lập Ban chỉ đạo chuyển đổi số")


@pytest.fixture
def board(app, ward, decision):
    fields = BoardFields(name="Ban chỉ đạo chuyển đổi số", target_size=3, established_by=decision)
    return services.create_board(ward, fields)


@pytest.fixture
def other_ward(app, province):
    return factories.create_unit("Phường Ba Hàng", "ward", parent=province, code="05862")


def seat(board, name="Nguyễn Văn A", role="member", starts_on=date(2022, 1, 1), actor=None, **fields):
    fields = MemberFields(person_name=name, role=role, starts_on=starts_on, **fields)
    return services.add_member(board, fields, actor=actor)


def membership_count() -> int:
    return db.session.scalar(select(func.count(Membership.id)))


def errors_of(call, *args, **kwargs) -> dict[str, str]:
    """The messages of a refused write, which (as a request would) rolls back to what was committed before it."""
    db.session.commit()
    with pytest.raises(ValidationError) as caught:
        call(*args, **kwargs)
    db.session.rollback()
    return caught.value.fields


# --- boards ------------------------------------------------------------------------------------------------


def test_a_board_and_its_working_group(ward, board, decision):
    assert (board.name, board.kind, board.target_size, board.established_by) == (
        "Ban chỉ đạo chuyển đổi số",
        "steering_board",
        3,
        decision,
    )
    group = services.create_board(
        ward, BoardFields(name="  Tổ giúp việc  ", kind="working_group", target_size=14, parent_board=board)
    )
    assert (group.name, group.parent_board_id) == ("Tổ giúp việc", board.id)


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"name": " "}, "name", "Hãy nhập tên Ban"),
        ({"kind": "committee"}, "kind", "Loại Ban “committee” không có"),
        ({"target_size": 0}, "target_size", "Số thành viên theo kế hoạch là số nguyên dương"),
        ({"target_size": -27}, "target_size", "Số thành viên theo kế hoạch là số nguyên dương"),
    ],
)
def test_bad_board_fields_are_named(ward, changes, field, message):
    fields = BoardFields(**{"name": "Ban chỉ đạo", "target_size": 27, **changes})
    errors = errors_of(services.create_board, ward, fields)
    assert errors[field].startswith(message)
    assert db.session.scalar(select(func.count(Board.id))) == 0


def test_a_working_groups_parent_is_a_steering_board_of_the_same_unit(ward, other_ward, board):
    foreign = services.create_board(other_ward, BoardFields(name="Ban chỉ đạo Ba Hàng"))
    group = services.create_board(ward, BoardFields(name="Tổ giúp việc", kind="working_group", parent_board=board))
    cases = [
        ("working_group", foreign, "Tổ giúp việc phải trực thuộc một Ban chỉ đạo của cùng đơn vị."),
        ("working_group", group, "Tổ giúp việc phải trực thuộc một Ban chỉ đạo của cùng đơn vị."),
        ("steering_board", board, "Chỉ Tổ giúp việc mới trực thuộc một Ban chỉ đạo."),
    ]
    for kind, parent, message in cases:
        fields = BoardFields(name="Tổ mới", kind=kind, parent_board=parent)
        assert errors_of(services.create_board, ward, fields) == {"parent_board_id": message}


def test_the_establishing_decision_is_a_document_of_the_unit(ward, other_ward):
    elsewhere = factories.create_document(other_ward, "12-QĐ/ĐU", DECIDED, "Quyết định của phường khác")
    errors = errors_of(services.create_board, ward, BoardFields(name="Ban chỉ đạo", established_by=elsewhere))
    assert errors == {
        "established_by_document_id": "Văn bản thành lập phải là văn bản của Phường Phổ Yên hoặc đơn vị trực thuộc."
    }


def test_editing_a_board_needs_the_version_it_was_opened_at(board):
    opened = board.version
    services.update_board(board, BoardFields(name="Ban chỉ đạo CĐS", target_size=27), expected_version=opened)
    db.session.commit()
    assert (board.name, board.target_size, board.established_by, board.version) == ("Ban chỉ đạo CĐS", 27, None, 2)
    with pytest.raises(StaleVersion):
        services.update_board(board, BoardFields(name="Ghi đè"), expected_version=opened)
    db.session.rollback()
    assert db.session.get(Board, board.id).name == "Ban chỉ đạo CĐS"


def test_a_board_keeps_the_kind_its_groups_and_roles_need(ward, board):
    seat(board, role="head")
    errors = errors_of(
        services.update_board, board, BoardFields(name=board.name, kind="working_group"), expected_version=None
    )
    assert errors["kind"].startswith("Thành viên của Ban có vai trò không dùng cho loại Ban này")
    services.create_board(ward, BoardFields(name="Tổ giúp việc", kind="working_group", parent_board=board))
    errors = errors_of(services.update_board, board, BoardFields(name=board.name, kind="other"), expected_version=None)
    assert errors == {"kind": "Ban này có Tổ giúp việc trực thuộc: không đổi sang loại khác được."}


# --- seating people ----------------------------------------------------------------------------------------


def test_a_member_is_seated_with_every_detail(board, decision, users):
    saved = seat(
        board,
        "  Nguyễn   Văn A ",
        "head",
        position="Bí thư Đảng ủy, Chủ tịch HĐND phường",
        phone="0912 345 678",
        email="nguyenvana@phoyen.gov.vn",
        user=users["member"],
        appointed_by=decision,
    )
    m = saved.row
    assert (m.person_name, m.role, m.user_id, m.appointed_by, m.ends_on) == (
        "Nguyễn Văn A",
        MemberRole.HEAD,
        users["member"].id,
        decision,
        None,
    )
    assert saved.warnings == []


def test_a_second_current_head_is_refused_naming_the_first(board):
    seat(board, "Nguyễn Văn A", "head")
    errors = errors_of(seat, board, "Trần Thị B", "head", starts_on=date(2023, 5, 1))
    assert set(errors) == {"role"}
    assert "Nguyễn Văn A" in errors["role"] and "01/01/2022" in errors["role"]
    assert "mỗi Ban chỉ có một người đứng đầu" in errors["role"]
    assert membership_count() == 1


@pytest.mark.parametrize(
    ("starts_on", "ends_on", "allowed"),
    [
        (date(2023, 6, 1), None, False),  # starts inside the head's term
        (date(2021, 6, 1), date(2022, 2, 1), False),  # ends inside it
        (date(2021, 1, 1), date(2024, 12, 31), False),  # covers it
        (date(2024, 1, 1), None, True),  # starts the day after it ends
        (date(2021, 1, 1), date(2021, 12, 31), True),  # ends the day before it starts
    ],
)
def test_heads_over_dated_periods_may_not_overlap(board, starts_on, ends_on, allowed):
    seat(board, "Nguyễn Văn A", "head", ends_on=date(2023, 12, 31))
    if allowed:
        seat(board, "Trần Thị B", "head", starts_on=starts_on, ends_on=ends_on)
        assert membership_count() == 2
    else:
        assert set(errors_of(seat, board, "Trần Thị B", "head", starts_on=starts_on, ends_on=ends_on)) == {"role"}
        assert membership_count() == 1


def test_a_working_group_has_one_leader_too(ward, board):
    group = services.create_board(ward, BoardFields(name="Tổ giúp việc", kind="working_group", parent_board=board))
    seat(board, "Nguyễn Văn A", "head")  # the steering board's head does not count for the group
    seat(group, "Trần Thị B", "group_leader")
    assert set(errors_of(seat, group, "Lê Văn C", "group_leader")) == {"role"}
    errors = errors_of(seat, group, "Lê Văn C", "member")
    assert errors == {"role": "Vai trò phải là một trong: Tổ trưởng, Tổ phó, Tổ viên."}


def test_the_database_refuses_a_second_open_head_as_a_backstop(board):
    seat(board, "Nguyễn Văn A", "head")
    db.session.add(Membership(board=board, person_name="Trần Thị B", role="head", starts_on=date(2024, 1, 1)))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_two_heads_saved_at_once_give_a_field_error_not_a_crash(board, monkeypatch):
    seat(board, "Nguyễn Văn A", "head")
    monkeypatch.setattr(services, "head_conflict", lambda *args, **kwargs: None)  # the other save was not seen
    errors = errors_of(seat, board, "Trần Thị B", "head")
    assert errors == {"role": "Ban vừa được người khác thêm người đứng đầu: hãy tải lại trang để xem danh sách mới."}


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"person_name": " "}, "person_name", "Hãy nhập họ và tên thành viên."),
        ({"starts_on": None}, "starts_on", "Hãy nhập ngày bắt đầu tham gia."),
        (
            {"starts_on": date(2022, 5, 1), "ends_on": date(2022, 4, 30)},
            "ends_on",
            "Ngày kết thúc (30/04/2022) không được trước ngày bắt đầu (01/05/2022).",
        ),
        ({"role": "group_leader"}, "role", "Vai trò phải là một trong: Trưởng ban, Phó Trưởng ban thường trực"),
        ({"email": "khong-phai-thu"}, "email", "Thư điện tử “khong-phai-thu” không đúng dạng"),
        ({"phone": "0" * 41}, "phone", "Dài tối đa 40 ký tự."),
    ],
)
def test_bad_member_fields_are_named_and_nothing_is_written(board, fields, field, message):
    values = {"person_name": "Nguyễn Văn A", "role": "member", "starts_on": date(2022, 1, 1), **fields}
    errors = errors_of(services.add_member, board, MemberFields(**values))
    assert errors[field].startswith(message)
    assert membership_count() == 0


def test_a_start_before_the_establishing_decision_is_a_warning_not_a_block(board):
    saved = seat(board, starts_on=DECIDED - timedelta(days=1))
    assert saved.row.id is not None
    assert saved.warnings == [
        "Nguyễn Văn A bắt đầu ngày 12/12/2021, trước ngày ban hành văn bản thành lập Ban 63-QĐ/ĐU (13/12/2021). "
        "Đã lưu; hãy kiểm tra lại ngày."
    ]
    assert seat(board, "Trần Thị B", starts_on=DECIDED).warnings == []


def test_a_linked_account_must_be_active_and_in_scope(board, users, province, other_ward):
    outsider = factories.create_user("ba-hang", "member", other_ward)
    locked = factories.create_user("da-khoa", "member", board.unit, is_active=False)
    above = factories.create_user("tinh", "manager", province)
    message = {"user_id": "Tài khoản liên kết phải đang hoạt động và thuộc phạm vi đơn vị của Ban."}
    assert errors_of(seat, board, user=outsider) == message  # its rights do not reach the ward
    assert errors_of(seat, board, user=locked) == message
    # A province account reaches the ward, but a ward manager may not link what is outside their own scope.
    assert errors_of(seat, board, user=above, actor=users["manager"]) == message
    assert seat(board, user=above, actor=users["admin"]).row.user_id == above.id


def test_the_appointing_decision_is_a_document_of_the_unit(board, other_ward):
    elsewhere = factories.create_document(other_ward, "12-QĐ/ĐU", DECIDED, "Quyết định của phường khác")
    errors = errors_of(seat, board, appointed_by=elsewhere)
    assert errors == {
        "appointed_by_document_id": "Văn bản phân công phải là văn bản của Phường Phổ Yên hoặc đơn vị trực thuộc."
    }


# --- ending a seat and changing a role ---------------------------------------------------------------------


def test_ending_a_seat_keeps_the_row(board):
    m = seat(board).row
    services.end_membership(m, date(2024, 6, 30), expected_version=m.version)
    db.session.commit()
    assert db.session.get(Membership, m.id).ends_on == date(2024, 6, 30)
    assert membership_count() == 1
    roster = services.roster(board, date(2025, 1, 1))
    assert (roster.current, roster.past) == ([], [m])


def test_an_end_before_the_start_or_missing_is_refused(board):
    m = seat(board, starts_on=date(2022, 5, 1)).row
    errors = errors_of(services.end_membership, m, date(2022, 4, 30), expected_version=m.version)
    assert errors == {"ends_on": "Ngày kết thúc (30/04/2022) không được trước ngày bắt đầu (01/05/2022)."}
    assert errors_of(services.end_membership, m, None, expected_version=m.version) == {
        "ends_on": "Hãy nhập ngày thôi tham gia Ban."
    }
    assert db.session.get(Membership, m.id).ends_on is None


def test_ending_from_a_stale_page_is_a_conflict(board):
    m = seat(board).row
    opened = m.version
    services.end_membership(m, date(2024, 6, 30), expected_version=opened)
    db.session.commit()
    with pytest.raises(StaleVersion):
        services.end_membership(m, date(2025, 6, 30), expected_version=opened)
    db.session.rollback()
    assert db.session.get(Membership, m.id).ends_on == date(2024, 6, 30)


def test_a_head_who_left_can_be_succeeded_but_not_extended_over_the_successor(board):
    first = seat(board, "Nguyễn Văn A", "head").row
    services.end_membership(first, date(2023, 12, 31), expected_version=first.version)
    seat(board, "Trần Thị B", "head", starts_on=date(2024, 1, 1))
    errors = errors_of(services.end_membership, first, date(2024, 3, 31), expected_version=None)
    assert "Trần Thị B" in errors["role"]


def test_a_role_change_ends_one_seat_and_opens_another(board, users, decision):
    old = seat(board, "Nguyễn Văn A", "member", position="Chủ tịch UBND phường", phone="0912", user=users["member"]).row
    saved = services.change_role(
        old, "standing_deputy", date(2024, 3, 1), appointed_by=decision, expected_version=old.version
    )
    db.session.commit()
    new = saved.row
    assert old.ends_on == date(2024, 2, 29)
    assert (new.person_name, new.position, new.phone, new.user_id) == (
        "Nguyễn Văn A",
        "Chủ tịch UBND phường",
        "0912",
        users["member"].id,
    )
    assert (new.role, new.starts_on, new.ends_on, new.appointed_by) == (
        "standing_deputy",
        date(2024, 3, 1),
        None,
        decision,
    )
    roster = services.roster(board, date(2024, 3, 1))
    assert (roster.current, roster.past) == ([new], [old])
    before = services.roster(board, date(2024, 2, 29))
    assert before.current == [old] and before.upcoming == [new]


def test_a_role_change_to_head_respects_the_current_head(board):
    seat(board, "Nguyễn Văn A", "head")
    deputy = seat(board, "Trần Thị B", "standing_deputy").row
    errors = errors_of(services.change_role, deputy, "head", date(2024, 1, 1), expected_version=deputy.version)
    assert "Nguyễn Văn A" in errors["role"]
    assert db.session.get(Membership, deputy.id).ends_on is None
    assert membership_count() == 2


def test_the_head_steps_down_to_deputy_and_the_seat_is_free(board):
    head = seat(board, "Nguyễn Văn A", "head").row
    services.change_role(head, "deputy", date(2024, 1, 1), expected_version=head.version)
    seat(board, "Trần Thị B", "head", starts_on=date(2024, 1, 1))
    assert membership_count() == 3


@pytest.mark.parametrize(
    ("role", "changed_on", "field", "message"),
    [
        ("deputy", None, "changed_on", "Hãy nhập ngày bắt đầu giữ vai trò mới."),
        (
            "deputy",
            date(2022, 1, 1),
            "changed_on",
            "Ngày đổi vai trò phải sau ngày bắt đầu của vai trò hiện tại (01/01/2022).",
        ),
        ("deputy", date(2025, 1, 1), "changed_on", "Thành viên này đã thôi tham gia từ sau ngày 31/12/2024."),
        ("member", date(2023, 1, 1), "role", "Vai trò mới trùng với vai trò hiện tại."),
        ("group_member", date(2023, 1, 1), "role", "Vai trò phải là một trong: Trưởng ban"),
    ],
)
def test_bad_role_changes_are_named(board, role, changed_on, field, message):
    m = seat(board, ends_on=date(2024, 12, 31)).row
    errors = errors_of(services.change_role, m, role, changed_on, expected_version=m.version)
    assert errors[field].startswith(message)
    assert membership_count() == 1 and db.session.get(Membership, m.id).ends_on == date(2024, 12, 31)


def test_correcting_details_keeps_role_and_dates_out_of_reach(board):
    m = seat(board, "Nguyen Van A", "member", ends_on=date(2024, 12, 31)).row
    fields = MemberFields(person_name="Nguyễn Văn A", role="head", starts_on=date(2022, 2, 1), position="Phó Bí thư")
    services.update_member(m, fields, expected_version=m.version)
    db.session.commit()
    assert (m.person_name, m.position, m.role, m.starts_on, m.ends_on) == (
        "Nguyễn Văn A",
        "Phó Bí thư",
        "member",
        date(2022, 2, 1),
        date(2024, 12, 31),
    )
    with pytest.raises(StaleVersion):
        services.update_member(m, fields, expected_version=1)


# --- the roster --------------------------------------------------------------------------------------------


def test_the_roster_groups_current_members_by_role_head_first(board):
    today = date(2025, 1, 1)
    for name, role in [
        ("Trần Thị Y", "member"),
        ("Đỗ Văn D", "member"),
        ("Lê Văn C", "deputy"),
        ("Nguyễn Văn A", "head"),
    ]:
        seat(board, name, role)
    left = seat(board, "Phạm Văn E", "member", ends_on=date(2024, 6, 30)).row
    later = seat(board, "Hoàng Văn G", "member", starts_on=date(2025, 2, 1)).row
    roster = services.roster(board, today)
    assert [(r, [m.person_name for m in seats]) for r, seats in roster.groups] == [
        ("head", ["Nguyễn Văn A"]),
        ("deputy", ["Lê Văn C"]),
        ("member", ["Đỗ Văn D", "Trần Thị Y"]),  # by name, accents folded: Đ sorts with D
    ]
    assert (roster.past, roster.upcoming) == ([left], [later])
    assert (len(roster.current), roster.missing, roster.share) == (4, 0, 4 / 3)
    assert services.current_counts([board.id], today) == {board.id: 4}
    assert services.current_counts([board.id], date(2024, 6, 30)) == {board.id: 5}  # the last day still counts


# --- the live-linked task ----------------------------------------------------------------------------------


def _board_task(board, deadline):
    program = factories.create_program(board.unit)
    return factories.create_task(
        program, "Kiện toàn Ban chỉ đạo", source="board_members", source_board_id=board.id, target=D(3),
        unit_label="người", deadline=deadline,
    )  # fmt: skip


def _system_values(task) -> list[D]:
    return list(
        db.session.scalars(
            select(TaskUpdate.value)
            .where(TaskUpdate.task_id == task.id, TaskUpdate.user_id.is_(None))
            .order_by(TaskUpdate.id)
        )
    )


@pytest.mark.parametrize(("days", "status"), [(30, Status.DONE_ON_TIME), (-30, Status.DONE_LATE)])
def test_seating_the_last_member_completes_the_linked_task_at_once(board, days, status):
    task = _board_task(board, local_today() + timedelta(days=days))
    seat(board, "Nguyễn Văn A", "head")
    seat(board, "Trần Thị B", "deputy")
    db.session.commit()
    state = evaluate_task(task)
    assert (state.value, state.progress, state.status.is_done) == (D(2), D(2) / D(3), False)
    seat(board, "Lê Văn C", "member")
    db.session.commit()
    state = evaluate_task(task)
    assert (state.value, state.progress, state.status) == (D(3), D(1), status)
    assert _system_values(task) == [D(0), D(2), D(3)]  # one system update per committed change


def test_ending_or_changing_roles_moves_the_task_only_when_the_count_moves(board):
    task = _board_task(board, date(2030, 1, 1))
    seats = [seat(board, name).row for name in ("Nguyễn Văn A", "Trần Thị B", "Lê Văn C")]
    db.session.commit()
    services.change_role(seats[0], "deputy", date(2024, 1, 1), expected_version=seats[0].version)
    db.session.commit()
    assert _system_values(task) == [D(0), D(3)]  # same people: no new value
    services.end_membership(seats[1], date(2024, 6, 30), expected_version=seats[1].version)
    db.session.commit()
    assert _system_values(task) == [D(0), D(3), D(2)]
    assert evaluate_task(task).status == Status.IN_PROGRESS


def test_a_refused_seat_records_nothing(board):
    task = _board_task(board, date(2030, 1, 1))
    seat(board, "Nguyễn Văn A", "head")
    db.session.commit()
    errors_of(seat, board, "Trần Thị B", "head")
    db.session.commit()
    assert _system_values(task) == [D(0), D(1)]


# --- the boards of a dissolved ward ------------------------------------------------------------------------


@pytest.fixture
def dissolved(app, ward, province):
    """Phường Bãi Bông's steering board with one seat, the ward merged into Phường Phổ Yên since 01/07/2025 (the
    seat ended that day)."""
    bai_bong = factories.create_unit("Phường Bãi Bông", "ward", parent=province)
    old_board = services.create_board(bai_bong, BoardFields(name="Ban chỉ đạo phường Bãi Bông", target_size=27))
    seat(old_board, "Nguyễn Văn A", "head", starts_on=DECIDED)
    db.session.commit()
    merge([bai_bong], ward, date(2025, 7, 1))
    db.session.commit()
    return old_board


def test_a_dissolved_wards_board_takes_no_new_seat(dissolved):
    before = membership_count()
    held = db.session.scalars(select(Membership).where(Membership.board_id == dissolved.id)).one()
    errors = errors_of(seat, dissolved, "Trần Thị B", "member", starts_on=local_today())
    assert errors["board_id"] == (
        "Ban chỉ đạo phường Bãi Bông thuộc Phường Bãi Bông, đơn vị đã sáp nhập vào Phường Phổ Yên: Ban này là lịch "
        "sử, không thêm thành viên mới. Hãy thêm vào Ban của Phường Phổ Yên."
    )
    errors = errors_of(seat, dissolved, "Trần Thị B", "member", starts_on=date(2022, 1, 1), ends_on=date(2024, 1, 1))
    assert "board_id" in errors  # not even a past seat: the dissolved ward's records are closed
    errors = errors_of(services.change_role, held, "member", date(2025, 7, 1), expected_version=held.version)
    assert "đã sáp nhập vào Phường Phổ Yên" in errors["board_id"]  # a new role is a new seat
    assert membership_count() == before

    # Its history stays readable and correctable.
    assert [m.person_name for m in services.members(dissolved, "past", local_today())] == ["Nguyễn Văn A"]
    fields = MemberFields(person_name="Nguyễn Văn An", role="head", starts_on=DECIDED, position="Bí thư Đảng ủy")
    services.update_member(held, fields, expected_version=held.version)
    services.end_membership(held, date(2025, 6, 30), expected_version=held.version)
    db.session.commit()
    assert (held.person_name, held.ends_on) == ("Nguyễn Văn An", date(2025, 6, 30))


def test_a_unit_past_its_valid_to_takes_no_new_seat_either(board, ward):
    ward.valid_to = local_today() - timedelta(days=1)
    db.session.commit()
    errors = errors_of(seat, board, "Trần Thị B", "member", starts_on=date(2022, 1, 1))
    assert errors["board_id"].startswith("Ban chỉ đạo chuyển đổi số thuộc Phường Phổ Yên, đơn vị đã hết hiệu lực")
    assert membership_count() == 0
    ward.valid_to = local_today()  # its last day: still current
    db.session.commit()
    assert seat(board, "Trần Thị B", "member").row.id


def test_the_form_and_the_import_refuse_a_dissolved_wards_board_too(client, auth, users, dissolved):
    before = membership_count()
    auth.login("manager")  # Phổ Yên's manager: its predecessors' records are in reach
    data = {"person_name": "Trần Thị B", "position": "", "role": "member", "phone": "", "email": "", "user_id": ""}
    response = client.post(f"/boards/{dissolved.id}/members/new", data=data | {"starts_on": "01/08/2025"})
    assert response.status_code == 400
    assert "đã sáp nhập vào Phường Phổ Yên: Ban này là lịch sử" in response.get_data(as_text=True)

    header = "Họ và tên,Vai trò trong Ban,Ngày bắt đầu\n"
    preview = imports.preview(MemberImport(dissolved, users["manager"]), f"{header}Trần Thị B,Ủy viên,01/08/2025\n"
                              .encode(), "thanh-vien.csv")  # fmt: skip
    assert "đã sáp nhập vào Phường Phổ Yên" in preview.rows[0].errors["board_id"]
    assert membership_count() == before


def test_no_board_is_established_on_a_dissolved_or_ended_unit(client, auth, users, ward, dissolved):
    from tests.test_api import bearer

    bai_bong = dissolved.unit
    boards = db.session.scalar(select(func.count(Board.id)))
    merged = (
        "Phường Bãi Bông đã sáp nhập vào Phường Phổ Yên: không thành lập Ban mới cho đơn vị này. Hãy chọn đơn vị "
        "Phường Phổ Yên."
    )
    assert errors_of(services.create_board, bai_bong, BoardFields(name="Ban chỉ đạo mới")) == {"unit_id": merged}
    auth.login("manager")  # Phổ Yên's: the predecessor is in reach, and found by name
    data = {"unit": "bai bong", "name": "Ban chỉ đạo mới", "kind": "steering_board", "target_size": "9"}
    response = client.post("/boards/new", data=data)
    assert response.status_code == 400
    assert f'data-field="unit">{merged}<' in response.get_data(as_text=True)
    body = {"unit_id": bai_bong.id, "name": "Ban chỉ đạo mới"}
    response = client.post("/api/v1/boards", json=body, headers=bearer(users["manager"]))
    assert response.status_code == 422 and response.json["error"]["fields"] == {"unit_id": merged}

    ward.valid_to = local_today() - timedelta(days=1)  # a unit past its last day, merged into none
    db.session.commit()
    errors = errors_of(services.create_board, ward, BoardFields(name="Ban chỉ đạo mới"))
    assert errors["unit_id"].startswith("Phường Phổ Yên đã hết hiệu lực từ sau ngày ")
    assert db.session.scalar(select(func.count(Board.id))) == boards
    # Its existing boards stay correctable.
    services.update_board(dissolved, BoardFields(name="Ban chỉ đạo phường Bãi Bông (cũ)"), expected_version=None)
