"""The JSON API of programs, tasks, task updates and the unit summary: paths, versions, messages, scope."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import event, func, select, update
from sqlalchemy.orm import Session

from tests import factories
from tests.test_api import assert_error, bearer
from tests.test_export import statement_count
from tracker.db import local_today
from tracker.extensions import db
from tracker.programs.models import Program, Task, TaskSource, TaskUpdate


def update_count() -> int:
    return db.session.scalar(select(func.count(TaskUpdate.id)))


@pytest.fixture
def program(app, ward):
    program = factories.create_program(ward)
    db.session.commit()
    return program


@pytest.fixture
def budget(program):
    """The demo's budget revenue: 2,94 tỷ đồng planned, due in a month."""
    task = factories.create_task(
        program,
        measure_kind="amount",
        target=Decimal("2.94"),
        unit_label="tỷ đồng",
        deadline=local_today() + timedelta(days=30),
    )
    db.session.commit()
    return task


def new_task(**overrides) -> dict:
    fields = {
        "title": "Thu ngân sách nhà nước trên địa bàn",
        "owner_name": "Nguyễn Văn A",
        "responsible": "UBND phường",
        "deadline": (local_today() + timedelta(days=30)).isoformat(),
        "expected_result": "Đạt dự toán được giao",
        "category": "indicator",
        "measure_kind": "amount",
        "target": "2.94",
        "unit_label": "tỷ đồng",
    }
    return fields | overrides


# --- programs -------------------------------------------------------------------------------------------------


def test_program_create_read_list_and_patch(client, users, ward):
    document = factories.create_document(ward)
    db.session.commit()
    headers = bearer(users["manager"])
    payload = {
        "unit_id": ward.id,
        "title": "Chương trình hành động số 27-CTr/ĐU",
        "basis_document_id": document.id,
        "starts_on": "2021-02-07",
        "ends_on": "2025-12-31",
        "is_public": True,
    }
    created = client.post("/api/v1/programs", json=payload, headers=headers)
    assert created.status_code == 201, created.json
    body = created.json
    assert {k: body[k] for k in payload} == payload
    assert (body["is_archived"], body["version"], body["progress"], body["task_count"]) == (False, 1, None, 0)
    assert body["figures"]["progress"]["items"] == []
    assert created.headers["Location"].endswith(f"/api/v1/programs/{body['id']}")
    url = f"/api/v1/programs/{body['id']}"
    assert client.get(url, headers=bearer(users["viewer"])).json == body

    listing = client.get("/api/v1/programs", headers=headers).json
    assert (listing["total"], listing["page"], [p["id"] for p in listing["items"]]) == (1, 1, [body["id"]])
    assert "figures" not in listing["items"][0]

    patched = client.patch(url, json=body | {"title": "Kế hoạch 37/KH-UBND", "is_archived": True}, headers=headers)
    assert patched.status_code == 200, patched.json
    assert (patched.json["title"], patched.json["is_archived"], patched.json["version"]) == (
        "Kế hoạch 37/KH-UBND",
        True,
        2,
    )
    assert client.get("/api/v1/programs", headers=headers).json["total"] == 0
    assert client.get("/api/v1/programs?archived=true", headers=headers).json["total"] == 1

    stale = client.patch(url, json={"version": 1, "title": "Bản cũ"}, headers=headers)
    assert "version" in assert_error(stale, 409, "conflict")["fields"]
    assert db.session.get(Program, body["id"]).title == "Kế hoạch 37/KH-UBND"


@pytest.mark.parametrize(
    "overrides, field, message",
    [
        ({"title": "  "}, "title", "tên chương trình"),
        ({"starts_on": "2025-01-01", "ends_on": "2024-01-01"}, "ends_on", "sau ngày bắt đầu"),
        ({"is_public": "yes"}, "is_public", "true hoặc false"),
        ({"basis_document_id": 999999}, "basis_document_id", "999999"),
        ({"unit_id": 999999}, "unit_id", "999999"),
        ({"starts_on": "07/02/2021"}, "starts_on", "YYYY-MM-DD"),
        ({"progress": 1, "owner": "x"}, "owner", "không được hỗ trợ"),
    ],
)
def test_create_program_bad_input_is_422(client, users, ward, overrides, field, message):
    payload = {"unit_id": ward.id, "title": "Chương trình"} | overrides
    error = assert_error(client.post("/api/v1/programs", json=payload, headers=bearer(users["manager"])), 422)
    assert set(error["fields"]) == {field}
    assert message in error["fields"][field]
    assert db.session.scalar(select(func.count(Program.id))) == 0


def test_program_basis_document_must_be_in_scope(client, users, province, ward):
    elsewhere = factories.create_document(province, "01-NQ/TU", title="Nghị quyết của Tỉnh ủy")
    db.session.commit()
    payload = {"unit_id": ward.id, "title": "Chương trình", "basis_document_id": elsewhere.id}
    error = assert_error(client.post("/api/v1/programs", json=payload, headers=bearer(users["manager"])), 422)
    assert "phạm vi" in error["fields"]["basis_document_id"]


# --- tasks and updates ----------------------------------------------------------------------------------------


def test_task_create_update_and_read_the_demo_figures(client, users, program):
    headers = bearer(users["manager"])
    created = client.post(f"/api/v1/programs/{program.id}/tasks", json=new_task(), headers=headers)
    assert created.status_code == 201, created.json
    task = created.json
    assert (task["target"], task["baseline"], task["weight"], task["unit_label"]) == ("2.94", "0", "1", "tỷ đồng")
    assert (task["value"], task["progress"], task["achievement"], task["status"]) == (None, 0, None, "in_progress")
    assert (task["flags"], task["source"], task["lifecycle"], task["warnings"]) == (
        ["not_started"],
        "manual",
        "active",
        [],
    )
    assert (task["program_id"], task["parent_id"], task["depth"], task["version"]) == (program.id, None, 0, 1)
    assert created.headers["Location"].endswith(f"/api/v1/tasks/{task['id']}")

    added = client.post(
        f"/api/v1/tasks/{task['id']}/updates",
        json={"value": "4.03", "note": "Quyết toán năm", "evidence_url": "https://example.gov.vn/bc", "version": 1},
        headers=headers,
    )
    assert added.status_code == 201, added.json
    assert (added.json["value"], added.json["note"], added.json["user_id"]) == (
        "4.03",
        "Quyết toán năm",
        users["manager"].id,
    )
    after = added.json["task"]
    assert (after["value"], after["progress"], after["status"], after["version"]) == ("4.03", 1, "done_on_time", 2)
    assert after["achievement"] == pytest.approx(1.3707, abs=1e-4)  # 4,03 / 2,94 tỷ đồng: đạt 137%
    assert after["completed_on"] == local_today().isoformat()

    detail = client.get(f"/api/v1/tasks/{task['id']}", headers=bearer(users["viewer"])).json
    assert {k: detail[k] for k in after} == after
    assert detail["explain"]["value"] == 1 and "chỉ tiêu" in detail["explain"]["formula"]
    history = client.get(f"/api/v1/tasks/{task['id']}/updates", headers=headers).json
    assert (history["total"], history["items"][0]["evidence_url"]) == (1, "https://example.gov.vn/bc")
    listing = client.get(f"/api/v1/programs/{program.id}/tasks", headers=headers).json
    assert [t["id"] for t in listing["items"]] == [task["id"]]
    assert client.get(f"/api/v1/programs/{program.id}/tasks?status=overdue", headers=headers).json["total"] == 0
    assert client.get(f"/api/v1/programs/{program.id}", headers=headers).json["progress"] == 1


def test_value_as_a_json_number_and_sub_tasks_in_tree_order(client, users, program):
    headers = bearer(users["admin"])
    url = f"/api/v1/programs/{program.id}/tasks"
    parent = client.post(url, json=new_task(title="Điểm QR", measure_kind="count", target=10), headers=headers).json
    child = {"measure_kind": "count", "target": 10, "parent_id": parent["id"]}
    first = client.post(url, json=new_task(title="Cơ quan", weight="3", **child), headers=headers).json
    client.post(url, json=new_task(title="Doanh nghiệp", **child), headers=headers)
    other = client.post(url, json=new_task(title="Trang tin điện tử", measure_kind="milestone"), headers=headers)
    assert other.json["target"] == "1"
    assert client.post(f"/api/v1/tasks/{first['id']}/updates", json={"value": 10}, headers=headers).status_code == 201
    listing = client.get(url, headers=headers).json
    assert [(t["title"], t["depth"]) for t in listing["items"]] == [
        ("Điểm QR", 0),
        ("Cơ quan", 1),
        ("Doanh nghiệp", 1),
        ("Trang tin điện tử", 0),
    ]
    assert listing["items"][0]["progress"] == 0.75  # (3 × 1 + 1 × 0) / 4
    page = client.get(f"{url}?per_page=2&page=2", headers=headers).json
    assert (page["total"], [t["title"] for t in page["items"]]) == (4, ["Doanh nghiệp", "Trang tin điện tử"])
    refused = client.post(f"/api/v1/tasks/{parent['id']}/updates", json={"value": 5}, headers=headers)
    assert "nhiệm vụ con" in assert_error(refused, 422)["fields"]["value"]


def test_target_equal_to_baseline_is_accepted(client, users, program):
    headers = bearer(users["manager"])
    url = f"/api/v1/programs/{program.id}/tasks"
    zero = client.post(url, json=new_task(baseline=0, target=0, measure_kind="count"), headers=headers)
    assert zero.status_code == 201, zero.json
    flat = client.post(url, json=new_task(baseline="10", target="10.0", measure_kind="count"), headers=headers).json
    done = client.post(f"/api/v1/tasks/{zero.json['id']}/updates", json={"value": "0"}, headers=headers).json["task"]
    assert (done["progress"], done["achievement"]) == (1, None)
    half = client.post(f"/api/v1/tasks/{flat['id']}/updates", json={"value": 5}, headers=headers).json["task"]
    assert (half["progress"], half["achievement"]) == (0, 0.5)


@pytest.mark.parametrize(
    "value, message",
    [
        ("abc", "không phải là số"),
        ("4,03 tỷ", "không phải là số"),
        ("4,03", "dấu chấm thập phân"),
        ("1,234.5", "không ngăn hàng nghìn"),
        ("1e3", "không phải là số dạng máy đọc"),
        (True, "phải là số"),
        ("-1", "không được âm"),
        (-1, "không được âm"),
        (1e20, "quá lớn"),
        (10**25, "quá lớn"),
        ("NaN", "không phải là số"),
        (None, "Hãy nhập giá trị"),
    ],
)
def test_bad_update_value_is_422(client, users, program, value, message):
    task = factories.create_task(program, measure_kind="count", target=Decimal(600))
    db.session.commit()
    response = client.post(f"/api/v1/tasks/{task.id}/updates", json={"value": value}, headers=bearer(users["manager"]))
    error = assert_error(response, 422, "invalid")
    assert set(error["fields"]) == {"value"}
    assert message in error["fields"]["value"]
    assert update_count() == 0


def test_cancelled_and_live_linked_tasks_take_no_value(client, users, program):
    cancelled = factories.create_task(program, "Nhiệm vụ đã hủy")
    cancelled.lifecycle, cancelled.lifecycle_reason = "cancelled", "Không còn phù hợp"
    live = factories.create_task(program, "Điểm QR", source=TaskSource.SITES_REGISTERED, target=Decimal(600))
    db.session.commit()
    before = update_count()
    headers = bearer(users["manager"])
    error = assert_error(client.post(f"/api/v1/tasks/{cancelled.id}/updates", json={"value": 1}, headers=headers), 422)
    assert "đã hủy" in error["fields"]["value"]
    error = assert_error(client.post(f"/api/v1/tasks/{live.id}/updates", json={"value": 1}, headers=headers), 422)
    assert "tự động" in error["fields"]["value"]
    assert update_count() == before


@pytest.mark.parametrize(
    "overrides, field, message",
    [
        ({"title": None}, "title", "tên nhiệm vụ"),
        ({"category": "misc"}, "category", "indicator"),
        ({"measure_kind": None}, "measure_kind", "count"),
        ({"weight": 0}, "weight", "lớn hơn 0"),
        ({"target": "-5", "measure_kind": "count"}, "target", "không được âm"),
        ({"target": 1e15}, "target", "quá lớn"),
        ({"target": "hai"}, "target", "không phải là số"),
        ({"measure_kind": "decrease", "baseline": "1", "target": "2"}, "target", "nhỏ hơn"),
        ({"update_every_days": 0}, "update_every_days", "từ 1 đến"),
        ({"update_every_days": 10**12}, "update_every_days", "từ 1 đến 3660"),
        ({"unit_label": "x" * 41}, "unit_label", "40"),
        ({"deadline": "30/06/2025"}, "deadline", "YYYY-MM-DD"),
        ({"owner_user_id": 999999}, "owner_user_id", "999999"),
        ({"parent_id": 999999}, "parent_id", "999999"),
        ({"source": "board_members"}, "source_board_id", "Ban"),
        ({"source_site_kind": "castle"}, "source_site_kind", "market"),
        ({"program_id": 999999}, "program_id", "chương trình khác"),
        ({"lifecycle": "paused"}, "lifecycle_reason", "lý do"),
    ],
)
def test_create_task_bad_input_is_422(client, users, program, overrides, field, message):
    response = client.post(
        f"/api/v1/programs/{program.id}/tasks", json=new_task(**overrides), headers=bearer(users["manager"])
    )
    error = assert_error(response, 422, "invalid")
    assert field in error["fields"], error
    assert message in error["fields"][field]
    assert db.session.scalar(select(func.count(Task.id))) == 0


def test_parent_cycle_is_refused(client, users, program):
    top = factories.create_task(program, "Cấp 1")
    middle = factories.create_task(program, "Cấp 2", parent=top)
    bottom = factories.create_task(program, "Cấp 3", parent=middle)
    db.session.commit()
    headers = bearer(users["manager"])
    for parent in (bottom, top):
        response = client.patch(f"/api/v1/tasks/{top.id}", json={"version": 1, "parent_id": parent.id}, headers=headers)
        assert "nhiệm vụ con" in assert_error(response, 422, "invalid")["fields"]["parent_id"]
    assert db.session.get(Task, top.id).parent_id is None
    elsewhere = factories.create_task(factories.create_program(program.unit, "Chương trình khác"), "Khác")
    db.session.commit()
    response = client.patch(f"/api/v1/tasks/{top.id}", json={"version": 1, "parent_id": elsewhere.id}, headers=headers)
    assert "cùng chương trình" in assert_error(response, 422)["fields"]["parent_id"]


def test_patch_task_fields_and_lifecycle(client, users, budget):
    headers = bearer(users["manager"])
    url = f"/api/v1/tasks/{budget.id}"
    current = client.get(url, headers=headers).json
    edited = client.patch(url, json=current | {"target": 3, "owner_user_id": users["member"].id}, headers=headers)
    assert edited.status_code == 200, edited.json
    assert (edited.json["target"], edited.json["owner_user_id"], edited.json["version"]) == ("3", users["member"].id, 2)
    assert edited.json["title"] == current["title"]

    paused = client.patch(url, json={"version": 2, "lifecycle": "paused"}, headers=headers)
    assert "lý do" in assert_error(paused, 422)["fields"]["lifecycle_reason"]
    paused = client.patch(url, json={"version": 2, "lifecycle": "paused", "lifecycle_reason": "Chờ"}, headers=headers)
    assert (paused.json["status"], paused.json["lifecycle_reason"], paused.json["version"]) == ("paused", "Chờ", 3)
    resumed = client.patch(url, json={"version": 3, "lifecycle": "active"}, headers=headers).json
    assert (resumed["status"], resumed["lifecycle_reason"]) == ("in_progress", "")

    missing = client.patch(url, json={"target": 4}, headers=headers)
    assert "version" in assert_error(missing, 422)["fields"]
    assert db.session.get(Task, budget.id).target == 3


# --- versions: two people at once -----------------------------------------------------------------------------


def test_two_clients_patching_one_task(app, users, budget):
    first, second = app.test_client(), app.test_client()
    manager, admin = bearer(users["manager"]), bearer(users["admin"])
    url = f"/api/v1/tasks/{budget.id}"
    assert first.get(url, headers=manager).json["version"] == second.get(url, headers=admin).json["version"] == 1
    assert first.patch(url, json={"version": 1, "title": "Bản của người thứ nhất"}, headers=manager).status_code == 200
    late = second.patch(url, json={"version": 1, "title": "Bản của người thứ hai", "target": 9}, headers=admin)
    assert "version" in assert_error(late, 409, "conflict")["fields"]
    saved = db.session.get(Task, budget.id)
    assert (saved.title, saved.target, saved.version) == ("Bản của người thứ nhất", Decimal("2.94"), 2)


def test_two_clients_updating_one_value(app, users, budget):
    budget.owner_user_id = users["member"].id
    db.session.commit()
    first, second = app.test_client(), app.test_client()
    url = f"/api/v1/tasks/{budget.id}/updates"
    read = budget.version  # both people opened the task at this version
    ok = first.post(url, json={"value": "3", "version": read}, headers=bearer(users["member"]))
    assert ok.status_code == 201
    late = second.post(url, json={"value": "4.03", "version": read}, headers=bearer(users["manager"]))
    assert_error(late, 409, "conflict")
    assert [u.value for u in db.session.scalars(select(TaskUpdate))] == [Decimal(3)]


def test_patch_losing_a_race_is_409(client, users, budget):
    headers = bearer(users["manager"])

    @event.listens_for(Session, "before_flush", once=True)
    def someone_else_saves_first(session, flush_context, instances):
        session.connection().execute(update(Task).values(version=Task.version + 1))

    response = client.patch(f"/api/v1/tasks/{budget.id}", json={"version": 1, "title": "Mới"}, headers=headers)
    assert_error(response, 409, "conflict")
    saved = db.session.get(Task, budget.id)
    assert (saved.title, saved.version) == ("Thu ngân sách nhà nước trên địa bàn", 1)


# --- who may do what ------------------------------------------------------------------------------------------


def test_members_update_only_the_tasks_they_own(client, users, program, budget):
    mine = factories.create_task(program, "Việc của tôi", target=Decimal(10), owner_user=users["member"])
    db.session.commit()
    member = bearer(users["member"])
    assert client.post(f"/api/v1/tasks/{mine.id}/updates", json={"value": 4}, headers=member).status_code == 201
    assert_error(client.post(f"/api/v1/tasks/{budget.id}/updates", json={"value": 1}, headers=member), 403)
    assert_error(client.patch(f"/api/v1/tasks/{mine.id}", json={"version": 2}, headers=member), 403)
    assert_error(client.post(f"/api/v1/programs/{program.id}/tasks", json=new_task(), headers=member), 403)
    viewer = bearer(users["viewer"])
    assert_error(client.post(f"/api/v1/tasks/{mine.id}/updates", json={"value": 5}, headers=viewer), 403)
    assert_error(client.post("/api/v1/programs", json={"unit_id": program.unit_id, "title": "X"}, headers=viewer), 403)
    assert update_count() == 1
    mine_only = client.get(f"/api/v1/programs/{program.id}/tasks?owner_user_id={users['member'].id}", headers=viewer)
    assert [t["id"] for t in mine_only.json["items"]] == [mine.id]


def test_out_of_scope_is_403(client, users, province, program, budget):
    other_ward = factories.create_unit("Phường Bách Quang", "ward", parent=province)
    outsider = factories.create_user("outsider", "manager", other_ward)
    db.session.commit()
    headers = bearer(outsider)
    for path in (
        f"/api/v1/programs/{program.id}",
        f"/api/v1/programs/{program.id}/tasks",
        f"/api/v1/tasks/{budget.id}",
        f"/api/v1/tasks/{budget.id}/updates",
        f"/api/v1/units/{program.unit_id}/summary",
        f"/api/v1/programs?unit_id={program.unit_id}",
    ):
        assert_error(client.get(path, headers=headers), 403, "forbidden")
    assert_error(client.post("/api/v1/programs", json={"unit_id": program.unit_id, "title": "X"}, headers=headers), 403)
    assert_error(client.patch(f"/api/v1/programs/{program.id}", json={"version": 1}, headers=headers), 403)
    assert_error(client.post(f"/api/v1/programs/{program.id}/tasks", json=new_task(), headers=headers), 403)
    assert_error(client.patch(f"/api/v1/tasks/{budget.id}", json={"version": 1, "title": "X"}, headers=headers), 403)
    assert_error(client.post(f"/api/v1/tasks/{budget.id}/updates", json={"value": 1}, headers=headers), 403)
    assert client.get("/api/v1/programs", headers=headers).json["total"] == 0
    assert update_count() == 0
    assert db.session.get(Task, budget.id).version == 1


def test_credentials_are_needed(client, users, program, budget):
    assert_error(client.get("/api/v1/programs"), 401, "unauthorized")
    assert_error(client.get(f"/api/v1/tasks/{budget.id}"), 401)
    assert_error(client.post(f"/api/v1/tasks/{budget.id}/updates", json={"value": 1}), 401)
    assert_error(client.get("/api/v1/tasks/424242", headers=bearer(users["admin"])), 404, "not_found")
    assert_error(client.get("/api/v1/programs/424242/tasks", headers=bearer(users["admin"])), 404)


# --- the unit summary -----------------------------------------------------------------------------------------


def test_unit_summary_with_subordinates(client, users, province, ward, budget):
    other = factories.create_unit("Phường Bách Quang", "ward", parent=province)
    behind = factories.create_task(
        factories.create_program(other, "Kế hoạch"),
        "Quá hạn",
        target=Decimal(10),
        deadline=local_today() - timedelta(days=1),
    )
    factories.create_task_update(budget, users["admin"], "4.03")
    factories.create_task_update(behind, users["admin"], "5")
    db.session.commit()
    summary = client.get(f"/api/v1/units/{province.id}/summary", headers=bearer(users["admin"])).json
    assert (summary["unit_id"], summary["name"], summary["as_of"]) == (
        province.id,
        "Thái Nguyên",
        local_today().isoformat(),
    )
    assert summary["overall"]["value"] == 0.75  # mean of the two wards: 100% and 50%
    assert {i["label"]: i["value"] for i in summary["overall"]["items"]} == {
        "Phường Phổ Yên": 1,
        "Phường Bách Quang": 0.5,
    }
    assert summary["overall"]["formula"]
    assert [(c["rank"], c["name"], c["overall"]) for c in summary["children"]] == [
        (1, "Phường Phổ Yên", 1),
        (2, "Phường Bách Quang", 0.5),
    ]
    assert summary["own"]["value"] is None  # the province has no programs of its own
    assert summary["completion"]["value"] == 0  # the one task due is not done
    assert [i["excluded"] for i in summary["completion"]["items"] if i["excluded"]] == [
        "chưa đến hạn (đã hoàn thành sớm)"
    ]
    assert (summary["status_counts"]["done_on_time"], summary["status_counts"]["overdue"]) == (1, 1)
    assert summary["counts"] == {"programs": 2, "overdue": 1, "due_soon": 0, "stale": 0, "at_risk": 0}
    ward_view = client.get(f"/api/v1/units/{ward.id}/summary", headers=bearer(users["viewer"])).json
    assert (ward_view["own"]["value"], [p["progress"] for p in ward_view["programs"]]) == (1, [1])


@pytest.mark.parametrize("ident", [2**31, 10**20])
def test_ids_no_row_can_have_are_404_or_422(client, users, program, ident):
    headers = bearer(users["admin"])
    for path in (f"/api/v1/programs/{ident}", f"/api/v1/tasks/{ident}/updates", f"/api/v1/units/{ident}/summary"):
        assert_error(client.get(path, headers=headers), 404, "not_found")
    assert_error(client.get(f"/api/v1/programs?unit_id={ident}", headers=headers), 422)
    body = new_task(owner_user_id=ident, parent_id=ident, source_board_id=ident)
    error = assert_error(client.post(f"/api/v1/programs/{program.id}/tasks", json=body, headers=headers), 422)
    assert set(error["fields"]) == {"owner_user_id", "parent_id", "source_board_id"}


def test_values_are_kept_to_four_decimals(client, users, budget):
    url = f"/api/v1/tasks/{budget.id}/updates"
    for value, kept in ((1e-300, "0"), ("4.03004", "4.03"), (2.00005, "2")):
        response = client.post(url, json={"value": value}, headers=bearer(users["manager"]))
        assert (response.status_code, response.json["value"]) == (201, kept)


def test_statements_do_not_grow_with_programs_and_tasks(client, users, ward, program, budget):
    headers = bearer(users["viewer"])
    urls = ("/api/v1/programs", f"/api/v1/programs/{program.id}/tasks", f"/api/v1/units/{ward.id}/summary")
    small = [statement_count(client, url, headers) for url in urls]
    for n in range(3):
        other = factories.create_program(ward, f"Kế hoạch {n}")
        for m in range(3):
            task = factories.create_task(other, f"Nhiệm vụ {m}", target=Decimal(10))
            factories.create_task_update(task, users["manager"], "4")
        factories.create_task(program, f"Thêm {n}", parent=budget)
    assert [statement_count(client, url, headers) for url in urls] == small


def conforms(spec: dict, schema: dict, value, where: str = "$") -> None:
    """`value` fits `schema` of the OpenAPI document: $ref and allOf, required keys, types, enums, patterns."""
    if "$ref" in schema:
        return conforms(spec, spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]], value, where)
    for part in schema.get("allOf", ()):
        conforms(spec, part, value, where)
    types = schema.get("type")
    types = [types] if isinstance(types, str) else types or []
    kinds = {"null": type(None), "boolean": bool, "integer": int, "number": int | float, "string": str}
    kinds |= {"array": list, "object": dict}
    if types:
        fits = ["boolean"] if isinstance(value, bool) else [t for t in types if isinstance(value, kinds[t])]
        assert set(fits) & set(types), (where, types, value)
    if "enum" in schema and value is not None:
        assert value in schema["enum"], (where, value)
    if "pattern" in schema and isinstance(value, str):
        assert re.fullmatch(schema["pattern"], value), (where, value)
    if isinstance(value, dict):
        for name in schema.get("required", ()):
            assert name in value, (where, name)
        for name, sub in schema.get("properties", {}).items():
            if name in value:
                conforms(spec, sub, value[name], f"{where}.{name}")
    if isinstance(value, list) and "items" in schema:
        for n, item in enumerate(value):
            conforms(spec, schema["items"], item, f"{where}[{n}]")


def test_a_parent_task_is_a_roll_up_and_takes_no_value_and_no_measure_of_its_own(client, users, program):
    """DESIGN §2.6: a task with sub-tasks takes its progress from them; its JSON says so, with no value, target or
    baseline of its own, and a value or a change of its measure is refused on the field (422), nothing written."""
    headers = bearer(users["manager"])
    parent = factories.create_task(program, "Tạo điểm QR", target=Decimal(600), unit_label="điểm")
    factories.create_task_update(parent, users["manager"], "600")  # typed before it had sub-tasks
    child = factories.create_task(program, "Điểm QR trường học", parent=parent, target=Decimal(40))
    factories.create_task_update(child, users["manager"], "10")
    db.session.commit()
    url = f"/api/v1/tasks/{parent.id}"
    spec = client.get("/api/v1/openapi.json").json

    read = client.get(url, headers=headers).json
    conforms(spec, {"$ref": "#/components/schemas/TaskDetail"}, read)
    assert {k: read[k] for k in ("rolled_up", "children", "value", "target", "baseline", "achievement")} == {
        "rolled_up": True,
        "children": 1,
        "value": None,
        "target": None,
        "baseline": None,
        "achievement": None,
    }
    assert read["progress"] == 0.25 and read["explain"]["items"][0]["label"] == "Điểm QR trường học"  # 10 ÷ 40
    leaf = client.get(f"/api/v1/tasks/{child.id}", headers=headers).json
    conforms(spec, {"$ref": "#/components/schemas/TaskDetail"}, leaf)
    assert (leaf["rolled_up"], leaf["children"], leaf["value"], leaf["target"], leaf["baseline"]) == (
        False, 0, "10", "40", "0",
    )  # fmt: skip
    listing = client.get(f"/api/v1/programs/{program.id}/tasks", headers=headers).json
    conforms(spec, {"$ref": "#/components/schemas/TaskList"}, listing)
    assert [(t["rolled_up"], t["target"]) for t in listing["items"]] == [(True, None), (False, "40")]

    before = update_count()
    for body in ({"value": 5, "version": read["version"]}, {"value": None}):
        refused = client.post(f"{url}/updates", json=body, headers=headers)
        assert "Nhiệm vụ có nhiệm vụ con" in assert_error(refused, 422)["fields"]["value"], body
    assert update_count() == before

    for body, field, label in (
        ({"target": 700}, "target", "Chỉ tiêu"),
        ({"baseline": "10"}, "baseline", "Giá trị ban đầu"),
        ({"measure_kind": "milestone"}, "measure_kind", "Cách đo"),
        ({"source": "sites_active"}, "source", "Nguồn số liệu"),
        ({"target": 700, "title": "Đổi tên"}, "target", "Chỉ tiêu"),
    ):
        response = client.patch(url, json={"version": read["version"], **body}, headers=headers)
        error = assert_error(response, 422)
        assert list(error["fields"]) == [field]
        assert error["fields"][field] == (
            f"Nhiệm vụ có nhiệm vụ con: tiến độ tính từ các nhiệm vụ con, không nhận “{label}” riêng; "
            "hãy đặt ở các nhiệm vụ con."
        )
    db.session.expire_all()
    stored = db.session.get(Task, parent.id)
    assert (stored.target, stored.baseline, stored.measure_kind, stored.title) == (600, 0, "count", "Tạo điểm QR")
    assert update_count() == before

    # The whole object read may be sent back: its null baseline and target keep the stored ones.
    saved = client.patch(url, json=read | {"weight": "2"}, headers=headers)
    assert saved.status_code == 200, saved.json
    conforms(spec, {"$ref": "#/components/schemas/TaskSaved"}, saved.json)
    assert (saved.json["weight"], saved.json["target"], saved.json["rolled_up"]) == ("2", None, True)
    db.session.expire_all()
    stored = db.session.get(Task, parent.id)
    assert (stored.weight, stored.target, stored.baseline) == (2, 600, 0)
    body = {"version": leaf["version"], "target": 50}
    changed = client.patch(f"/api/v1/tasks/{child.id}", json=body, headers=headers)
    assert changed.status_code == 200 and changed.json["target"] == "50"
