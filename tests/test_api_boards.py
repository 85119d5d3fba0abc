"""/api/v1 boards and members: lists in scope, establishing boards, seating people with the live task following,
ending a seat and changing a role through PATCH with no lost update, and every refusal in the JSON error shape."""

from datetime import date, timedelta
from decimal import Decimal as D

import pytest

from tests import factories
from tests.test_api import assert_error, bearer
from tests.test_boards_views import count, make_board, seat
from tracker.boards import services
from tracker.boards.models import Board, Membership
from tracker.boards.services import BoardFields, MemberFields
from tracker.db import local_today
from tracker.extensions import db
from tracker.programs.progress import evaluate_task
from tracker.units.services import merge


@pytest.fixture
def board(app, ward, users):
    return make_board(ward)


@pytest.fixture
def other_ward(app, province):
    return factories.create_unit("Phường Ba Hàng", "ward", parent=province, code="05862")


# --- boards ------------------------------------------------------------------------------------------------


def test_boards_are_listed_in_scope_with_their_staffing(client, users, ward, other_ward, board):
    seat(board, "Nguyễn Văn A", "head")
    seat(board, "Trần Thị B", ends_on=date(2023, 1, 1))
    services.create_board(other_ward, BoardFields(name="Ban chỉ đạo Ba Hàng"))
    db.session.commit()
    response = client.get("/api/v1/boards", headers=bearer(users["viewer"]))
    assert response.status_code == 200
    assert response.json["total"] == 1
    item = response.json["items"][0]
    assert item == {
        "id": board.id, "unit_id": ward.id, "kind": "steering_board", "name": "Ban chỉ đạo chuyển đổi số",
        "established_by_document_id": board.established_by_document_id, "target_size": 3, "parent_board_id": None,
        "current_members": 1, "version": 1, "created_at": item["created_at"], "updated_at": item["updated_at"],
    }  # fmt: skip
    headers = bearer(users["admin"])
    assert client.get(f"/api/v1/boards?unit_id={other_ward.id}", headers=headers).json["total"] == 1
    assert client.get("/api/v1/boards?kind=working_group", headers=headers).json["total"] == 0
    assert_error(client.get(f"/api/v1/boards?unit_id={other_ward.id}", headers=bearer(users["viewer"])), 403)
    error = assert_error(client.get("/api/v1/boards?unit_id=99999&kind=x", headers=headers), 422, "invalid")
    assert set(error["fields"]) == {"kind"}


def test_one_board_with_its_counts(client, users, board, other_ward):
    seat(board, "Nguyễn Văn A", "head")
    response = client.get(f"/api/v1/boards/{board.id}", headers=bearer(users["viewer"]))
    assert (response.json["current_members"], response.json["target_size"]) == (1, 3)
    assert_error(client.get("/api/v1/boards/99999", headers=bearer(users["viewer"])), 404, "not_found")
    foreign = services.create_board(other_ward, BoardFields(name="Ban chỉ đạo Ba Hàng"))
    db.session.commit()
    assert_error(client.get(f"/api/v1/boards/{foreign.id}", headers=bearer(users["viewer"])), 403, "forbidden")


def test_a_manager_establishes_a_board_and_its_working_group(client, users, ward, board):
    decision = board.established_by
    headers = bearer(users["manager"])
    body = {"unit_id": ward.id, "name": "Tổ giúp việc", "kind": "working_group", "target_size": 14,
            "parent_board_id": board.id, "established_by_document_id": decision.id}  # fmt: skip
    response = client.post("/api/v1/boards", json=body, headers=headers)
    assert response.status_code == 201, response.json
    group = db.session.get(Board, response.json["id"])
    assert response.headers["Location"] == f"/api/v1/boards/{group.id}"
    assert (group.kind, group.parent_board_id, group.target_size, response.json["current_members"]) == (
        "working_group", board.id, 14, 0,
    )  # fmt: skip


def test_bad_boards_are_refused_field_by_field(client, users, ward, other_ward, board):
    headers = bearer(users["admin"])
    foreign = services.create_board(other_ward, BoardFields(name="Ban chỉ đạo Ba Hàng"))
    db.session.commit()
    body = {"unit_id": ward.id, "name": "Tổ", "kind": "working_group", "target_size": 0, "parent_board_id": foreign.id}
    error = assert_error(client.post("/api/v1/boards", json=body, headers=headers), 422, "invalid")
    assert error["fields"] == {
        "target_size": "Số thành viên theo kế hoạch là số nguyên dương, tối đa 500.",
        "parent_board_id": "Tổ giúp việc phải trực thuộc một Ban chỉ đạo của cùng đơn vị.",
    }
    error = assert_error(client.post("/api/v1/boards", json={"unit_id": ward.id, "size": 3}, headers=headers), 422)
    assert set(error["fields"]) == {"name", "size"}
    viewer = client.post("/api/v1/boards", json={"unit_id": ward.id, "name": "Ban"}, headers=bearer(users["viewer"]))
    assert_error(viewer, 403)
    outside = client.post(
        "/api/v1/boards", json={"unit_id": other_ward.id, "name": "Ban"}, headers=bearer(users["manager"])
    )
    assert_error(outside, 403)
    assert count(Board) == 2


# --- members -----------------------------------------------------------------------------------------------


def test_members_by_status_head_first_and_paged(client, users, board):
    seat(board, "Trần Thị Y")
    seat(board, "Nguyễn Văn A", "head")
    seat(board, "Lê Văn C", ends_on=date(2023, 1, 1))
    seat(board, "Hoàng Văn G", starts_on=local_today() + timedelta(days=5))
    headers = bearer(users["viewer"])

    def names(query: str) -> list[str]:
        response = client.get(f"/api/v1/boards/{board.id}/members{query}", headers=headers)
        assert response.status_code == 200
        return [m["person_name"] for m in response.json["items"]]

    assert names("") == ["Nguyễn Văn A", "Trần Thị Y"]
    assert names("?status=past") == ["Lê Văn C"]
    assert names("?status=upcoming") == ["Hoàng Văn G"]
    assert names("?status=all") == ["Nguyễn Văn A", "Hoàng Văn G", "Lê Văn C", "Trần Thị Y"]
    page = client.get(f"/api/v1/boards/{board.id}/members?status=all&per_page=3&page=2", headers=headers).json
    assert (page["total"], page["page"], [m["person_name"] for m in page["items"]]) == (4, 2, ["Trần Thị Y"])
    member = client.get(f"/api/v1/boards/{board.id}/members?status=past", headers=headers).json["items"][0]
    assert (member["starts_on"], member["ends_on"], member["role"]) == ("2022-01-01", "2023-01-01", "member")
    assert_error(client.get(f"/api/v1/boards/{board.id}/members?status=gone", headers=headers), 422)


def test_seating_the_last_member_completes_the_linked_task(client, users, board):
    decision = board.established_by
    program = factories.create_program(board.unit)
    task = factories.create_task(
        program,
        "Kiện toàn Ban",
        source="board_members",
        source_board_id=board.id,
        target=D(3),
        deadline=date(2021, 12, 31),
    )
    seat(board, "Nguyễn Văn A", "head")
    seat(board, "Trần Thị B", "deputy")
    body = {"person_name": "Lê Văn C", "role": "member", "starts_on": "2021-12-01", "position": "Trưởng Công an phường",
            "appointed_by_document_id": decision.id, "user_id": users["member"].id}  # fmt: skip
    response = client.post(f"/api/v1/boards/{board.id}/members", json=body, headers=bearer(users["manager"]))
    assert response.status_code == 201, response.json
    assert response.json["user_id"] == users["member"].id and response.json["ends_on"] is None
    assert response.json["warnings"][0].startswith("Lê Văn C bắt đầu ngày 01/12/2021, trước ngày ban hành")
    state = evaluate_task(task)
    assert (state.value, state.progress, state.status.value) == (3, 1, "done_late")


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"role": "head"}, "role", "mỗi Ban chỉ có một người đứng đầu"),
        (
            {"starts_on": "2022-05-01", "ends_on": "2022-04-30"},
            "ends_on",
            "Ngày kết thúc (30/04/2022) không được trước",
        ),
        ({"starts_on": "01/05/2022"}, "starts_on", "Ngày “01/05/2022” không hợp lệ: dùng dạng YYYY-MM-DD"),
        ({"role": "group_member"}, "role", "Vai trò phải là một trong: Trưởng ban"),
        ({"user_id": 99999}, "user_id", "Không có tài khoản nào có id 99999 trong phạm vi của bạn."),
        ({"person_name": None}, "person_name", "Hãy nhập họ và tên thành viên."),
    ],
)
def test_bad_members_are_refused_and_nothing_is_written(client, users, board, changes, field, message):
    seat(board, "Nguyễn Văn A", "head")
    body = {"person_name": "Trần Thị B", "role": "member", "starts_on": "2022-01-01"} | changes
    error = assert_error(
        client.post(f"/api/v1/boards/{board.id}/members", json=body, headers=bearer(users["manager"])), 422
    )
    assert message in error["fields"][field]
    assert count(Membership) == 1


def test_only_managers_in_scope_seat_people(client, users, board, other_ward):
    body = {"person_name": "Trần Thị B", "role": "member", "starts_on": "2022-01-01"}
    assert_error(client.post(f"/api/v1/boards/{board.id}/members", json=body, headers=bearer(users["member"])), 403)
    foreign = services.create_board(other_ward, BoardFields(name="Ban chỉ đạo Ba Hàng"))
    db.session.commit()
    assert_error(client.post(f"/api/v1/boards/{foreign.id}/members", json=body, headers=bearer(users["manager"])), 403)
    assert count(Membership) == 0


def test_patch_ends_a_seat_and_a_stale_version_is_409(client, users, board):
    m = seat(board, "Nguyễn Văn A", "head")
    opened = m.version
    headers = bearer(users["manager"])
    url = f"/api/v1/members/{m.id}"
    assert assert_error(client.patch(url, json={"ends_on": "2024-12-31"}, headers=headers), 422)["fields"] == {
        "version": "Hãy gửi kèm phiên bản (version) của thành viên đã đọc, để không ghi đè thay đổi của người khác."
    }
    response = client.patch(url, json={"ends_on": "2024-12-31", "version": opened}, headers=headers)
    assert response.status_code == 200, response.json
    assert (response.json["ends_on"], response.json["version"]) == ("2024-12-31", opened + 1)
    error = assert_error(client.patch(url, json={"ends_on": "2025-06-30", "version": opened}, headers=headers), 409)
    assert set(error["fields"]) == {"version"}
    early = client.patch(url, json={"ends_on": "2021-01-01", "version": opened + 1}, headers=headers)
    assert "không được trước ngày bắt đầu" in assert_error(early, 422)["fields"]["ends_on"]
    assert db.session.get(Membership, m.id).ends_on == date(2024, 12, 31) and count(Membership) == 1


def test_patch_role_opens_a_new_seat_with_the_same_service_as_the_screens(client, users, board):
    decision = board.established_by
    m = seat(board, "Nguyễn Văn A", "standing_deputy", position="Chủ tịch UBND phường")
    headers = bearer(users["manager"])
    body = {"role": "head", "changed_on": "2024-03-01", "appointed_by_document_id": decision.id, "version": m.version}
    response = client.patch(f"/api/v1/members/{m.id}", json=body, headers=headers)
    assert response.status_code == 200, response.json
    new = response.json
    assert new["id"] != m.id
    assert (new["role"], new["starts_on"], new["position"], new["appointed_by_document_id"]) == (
        "head", "2024-03-01", "Chủ tịch UBND phường", decision.id,
    )  # fmt: skip
    old = db.session.get(Membership, m.id)
    assert (old.role, old.ends_on, old.appointed_by_document_id) == ("standing_deputy", date(2024, 2, 29), None)
    both = client.patch(
        f"/api/v1/members/{new['id']}", json={"role": "deputy", "ends_on": "2025-01-01", "version": 1}, headers=headers
    )
    assert set(assert_error(both, 422)["fields"]) == {"ends_on"}


def test_patch_corrects_details_and_refuses_what_it_does_not_know(client, users, board, other_ward):
    m = seat(board, "Nguyen Van A", "member")
    headers = bearer(users["manager"])
    url = f"/api/v1/members/{m.id}"
    response = client.patch(
        url, json={"person_name": "Nguyễn Văn A", "phone": "0912", "id": 5, "version": m.version}, headers=headers
    )
    assert response.status_code == 200, response.json
    assert (response.json["person_name"], response.json["phone"], response.json["role"]) == (
        "Nguyễn Văn A",
        "0912",
        "member",
    )
    error = assert_error(client.patch(url, json={"deleted": True, "version": 2}, headers=headers), 422)
    assert set(error["fields"]) == {"deleted"}
    foreign = services.create_board(other_ward, BoardFields(name="Ban chỉ đạo Ba Hàng"))
    other = services.add_member(
        foreign, MemberFields(person_name="Lê Văn C", role="member", starts_on=date(2022, 1, 1))
    ).row
    db.session.commit()
    assert_error(
        client.patch(f"/api/v1/members/{other.id}", json={"ends_on": "2024-01-01", "version": 1}, headers=headers), 403
    )
    assert_error(client.patch("/api/v1/members/99999", json={"version": 1}, headers=headers), 404)
    assert db.session.get(Membership, other.id).ends_on is None


def test_a_dissolved_wards_board_takes_no_new_member_through_the_api(client, users, province, ward):
    bai_bong = factories.create_unit("Phường Bãi Bông", "ward", parent=province)
    old_board = services.create_board(bai_bong, BoardFields(name="Ban chỉ đạo phường Bãi Bông", target_size=27))
    seat(old_board, "Nguyễn Văn A", "head", starts_on=date(2021, 12, 13))
    merge([bai_bong], ward, date(2025, 7, 1))
    db.session.commit()
    before = count(Membership)
    body = {"person_name": "Trần Thị B", "role": "member", "starts_on": local_today().isoformat()}
    response = client.post(f"/api/v1/boards/{old_board.id}/members", json=body, headers=bearer(users["manager"]))
    error = assert_error(response, 422, "invalid")
    assert set(error["fields"]) == {"board_id"}
    assert "Phường Bãi Bông, đơn vị đã sáp nhập vào Phường Phổ Yên" in error["fields"]["board_id"]
    assert count(Membership) == before
    listed = client.get(f"/api/v1/boards/{old_board.id}/members?status=all", headers=bearer(users["viewer"]))
    assert [m["person_name"] for m in listed.json["items"]] == ["Nguyễn Văn A"]  # its history stays readable


# --- the contract: declared schemas validate the input and describe every answer --------------------------------


def test_every_answer_fits_its_declared_schema(client, users, ward, board):
    from tests.test_api_contract import fits, spec

    doc = spec(client)
    headers = bearer(users["manager"])
    seat(board, "Nguyễn Văn A", "standing_deputy")
    body = {"unit_id": ward.id, "name": "Tổ giúp việc", "kind": "working_group", "parent_board_id": board.id}
    created = client.post("/api/v1/boards", json=body, headers=headers)
    assert created.status_code == 201, created.json
    fits(doc, "Board", created.json)
    assert (created.json["target_size"], created.json["established_by_document_id"]) == (None, None)
    fits(doc, "Board", client.get(f"/api/v1/boards/{board.id}", headers=headers).json)
    listed = client.get("/api/v1/boards", headers=headers).json
    fits(doc, "BoardList", listed)
    assert [b["current_members"] for b in listed["items"]] == [1, 0]  # by name: Ban chỉ đạo…, Tổ giúp việc

    person = {"person_name": "Trần Thị B", "role": "member", "starts_on": "2021-12-01", "position": None}
    seated = client.post(f"/api/v1/boards/{board.id}/members", json=person, headers=headers)
    assert seated.status_code == 201, seated.json
    fits(doc, "SavedMembership", seated.json)
    assert seated.json["position"] == "" and len(seated.json["warnings"]) == 1  # before the decision of 13/12/2021
    fits(doc, "MembershipList", client.get(f"/api/v1/boards/{board.id}/members", headers=headers).json)
    url = f"/api/v1/members/{seated.json['id']}"
    corrected = client.patch(url, json={"phone": "0912", "version": 1}, headers=headers)
    fits(doc, "SavedMembership", corrected.json)
    assert (corrected.json["phone"], corrected.json["warnings"]) == ("0912", [seated.json["warnings"][0]])
    ended = client.patch(url, json={"ends_on": "2024-12-31", "version": 2}, headers=headers)
    fits(doc, "SavedMembership", ended.json)
    assert (ended.json["ends_on"], ended.json["warnings"]) == ("2024-12-31", [])
    refused = client.post("/api/v1/boards", json={}, headers=headers)
    assert set(assert_error(refused, 422)["fields"]) == {"unit_id", "name"}
    fits(doc, "Error", refused.json)


def test_the_bodies_are_declared_closed_with_their_read_only_echoes(client):
    from tests.test_api_contract import spec

    doc = spec(client)
    schemas = doc["components"]["schemas"]
    for name, required in (
        ("BoardCreate", ["name", "unit_id"]),
        ("MembershipCreate", ["person_name", "role", "starts_on"]),
        ("MembershipPatch", ["version"]),
    ):
        assert schemas[name]["additionalProperties"] is False, name
        assert schemas[name]["required"] == required, name
    assert {"id", "current_members", "version"} <= {
        k for k, v in schemas["BoardCreate"]["properties"].items() if v.get("readOnly")
    }
    assert schemas["MembershipPatch"]["properties"]["warnings"]["readOnly"] is True
    assert schemas["BoardCreate"]["properties"]["kind"]["default"] == "steering_board"
    seat_201 = doc["paths"]["/boards/{board_id}/members"]["post"]["responses"]["201"]
    assert seat_201["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/SavedMembership"}
    assert "warnings" in schemas["SavedMembership"]["required"]
    assert "warnings" not in schemas["Membership"]["properties"]  # a listed seat carries none


def test_read_only_fields_sent_back_are_ignored_and_rows_out_of_reach_are_not_found(
    client, users, ward, board, other_ward
):
    headers = bearer(users["manager"])
    echoed = {"id": 4242, "board_id": 1, "version": 7, "warnings": ["x"], "created_at": "whenever"}
    person = {"person_name": "Trần Thị B", "role": "member", "starts_on": "2022-01-01"} | echoed
    seated = client.post(f"/api/v1/boards/{board.id}/members", json=person, headers=headers)
    assert seated.status_code == 201, seated.json
    assert (seated.json["board_id"], seated.json["version"], seated.json["warnings"]) == (board.id, 1, [])
    assert seated.json["id"] != 4242
    foreign = factories.create_document(other_ward)
    db.session.commit()
    body = {"unit_id": ward.id, "name": "Ban", "kind": "khác", "established_by_document_id": foreign.id}
    error = assert_error(client.post("/api/v1/boards", json=body, headers=headers), 422)
    assert error["fields"] == {
        "kind": "Giá trị “khác” của “kind” không có; dùng một trong: steering_board, working_group, other.",
        "established_by_document_id": f"Không có văn bản nào có id {foreign.id} trong phạm vi của bạn.",
    }
    for value, message in ((None, "Hãy nhập ngày bắt đầu tham gia."), ("2022-02-30", "không hợp lệ")):
        person = {"person_name": "Lê Văn C", "role": "member", "starts_on": value}
        error = assert_error(client.post(f"/api/v1/boards/{board.id}/members", json=person, headers=headers), 422)
        assert message in error["fields"]["starts_on"]
    assert count(Board) == 1 and count(Membership) == 1


def test_a_bad_body_is_refused_before_the_row_is_looked_up(client, users):
    """The body is checked by its schema before the view loads its row: a bad body to an unknown id is a 422."""
    headers = bearer(users["manager"])
    error = assert_error(client.patch("/api/v1/members/99999", json={"ends_on": "2024-01-01"}, headers=headers), 422)
    assert set(error["fields"]) == {"version"}
    assert_error(client.post("/api/v1/boards/99999/members", json={"role": 5}, headers=headers), 422)
    assert_error(client.post("/api/v1/boards/99999/members", data="x", headers=headers), 415)
