"""Programs, tasks, updates and the unit summary declared in the API contract: every answer fits its generated
schema exactly (no key it does not declare), the bodies refuse what they do not declare, and a service's field is
named as the body sends it."""

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from tests import factories
from tests.test_api import assert_error, bearer
from tests.test_api_programs import conforms, new_task
from tracker.db import local_today
from tracker.extensions import db
from tracker.programs.models import Program, Task, TaskUpdate


@pytest.fixture
def program_and_task(app, ward):
    program = factories.create_program(ward)
    task = factories.create_task(program, "Điểm QR", measure_kind="count", target=Decimal(10))
    db.session.commit()
    return program, task


def spec(client) -> dict:
    return client.get("/api/v1/openapi.json").json


def exactly(doc: dict, name: str, value, where: str = "$") -> None:
    """`value` conforms to the component `name`, and neither it nor anything nested in it has a key its schema does
    not declare."""
    conforms(doc, {"$ref": f"#/components/schemas/{name}"}, value)
    _declared(doc, doc["components"]["schemas"][name], value, where)


def _declared(doc: dict, schema: dict, value, where: str) -> None:
    if "$ref" in schema:
        return _declared(doc, doc["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]], value, where)
    if isinstance(value, dict) and "properties" in schema:
        assert set(value) <= set(schema["properties"]), (where, set(value) - set(schema["properties"]))
        for key, item in value.items():
            _declared(doc, schema["properties"][key], item, f"{where}.{key}")
    if isinstance(value, list) and "items" in schema:
        for n, item in enumerate(value):
            _declared(doc, schema["items"], item, f"{where}[{n}]")


def test_every_answer_fits_its_declared_schema(client, users, province, ward):
    doc = spec(client)
    headers = bearer(users["manager"])
    document = factories.create_document(ward)
    db.session.commit()
    body = {"unit_id": ward.id, "title": "Chương trình", "basis_document_id": document.id, "ends_on": "2030-12-31"}
    program = client.post("/api/v1/programs", json=body, headers=headers)
    assert program.status_code == 201, program.json
    exactly(doc, "ProgramDetail", program.json)
    url = f"/api/v1/programs/{program.json['id']}"
    exactly(doc, "ProgramDetail", client.get(url, headers=headers).json)
    patched = client.patch(url, json={"version": 1, "is_public": True}, headers=headers)
    exactly(doc, "ProgramDetail", patched.json)
    exactly(doc, "ProgramList", client.get("/api/v1/programs", headers=headers).json)

    parent = client.post(
        f"{url}/tasks", json=new_task(title="Điểm QR", measure_kind="count", target=10), headers=headers
    )
    assert parent.status_code == 201, parent.json
    exactly(doc, "TaskSaved", parent.json)
    child = client.post(f"{url}/tasks", json=new_task(parent_id=parent.json["id"], target="4.50"), headers=headers)
    exactly(doc, "TaskSaved", child.json)
    assert child.json["target"] == "4.5" and child.json["weight"] == "1"
    task_url = f"/api/v1/tasks/{child.json['id']}"
    added = client.post(f"{task_url}/updates", json={"value": "1.20", "note": "Quý I"}, headers=headers)
    assert added.status_code == 201, added.json
    exactly(doc, "TaskUpdateCreated", added.json)
    assert (added.json["value"], added.json["task"]["value"]) == ("1.2", "1.2")
    exactly(doc, "TaskUpdateList", client.get(f"{task_url}/updates", headers=headers).json)
    exactly(doc, "TaskDetail", client.get(task_url, headers=headers).json)
    exactly(doc, "TaskDetail", client.get(f"/api/v1/tasks/{parent.json['id']}", headers=headers).json)
    edited = client.patch(task_url, json={"version": 2, "lifecycle": "paused", "lifecycle_reason": "Chờ"},
                          headers=headers)  # fmt: skip
    assert edited.status_code == 200, edited.json
    exactly(doc, "TaskSaved", edited.json)
    listing = client.get(f"{url}/tasks", headers=headers).json
    exactly(doc, "TaskList", listing)
    assert [(t["rolled_up"], t["target"]) for t in listing["items"]] == [(True, None), (False, "4.5")]

    ended = factories.create_program(ward, "Kế hoạch 2022", ends_on=local_today() - timedelta(days=400))
    factories.create_task(ended, "Xong", target=Decimal(1))
    db.session.commit()
    for unit in (province, ward):
        summary = client.get(f"/api/v1/units/{unit.id}/summary", headers=bearer(users["admin"])).json
        exactly(doc, "UnitSummary", summary)
        assert [p["id"] for p in summary["ended_programs"]] == [ended.id]
    assert [(c["rank"], c["name"]) for c in summary["children"]] == []
    province_summary = client.get(f"/api/v1/units/{province.id}/summary", headers=bearer(users["admin"])).json
    assert [(c["rank"], c["id"]) for c in province_summary["children"]] == [(1, ward.id)]
    assert set(province_summary["status_counts"]) == set(doc["components"]["schemas"]["StatusCounts"]["properties"])

    exactly(doc, "Error", client.post(f"{url}/tasks", json={}, headers=headers).json)


def test_the_bodies_are_declared_and_refuse_what_they_do_not_declare(client):
    schemas = spec(client)["components"]["schemas"]
    for name in ("ProgramCreate", "ProgramPatch", "TaskCreate", "TaskPatch", "TaskUpdateCreate"):
        assert schemas[name]["additionalProperties"] is False, name
    assert set(schemas["ProgramCreate"]["required"]) == {"unit_id", "title"}
    assert schemas["ProgramPatch"]["required"] == ["version"]
    assert schemas["TaskCreate"]["required"] == ["title"]
    assert schemas["TaskPatch"]["required"] == ["version"]
    assert "required" not in schemas["TaskUpdateCreate"]  # a missing value is the service's to name
    task = schemas["TaskCreate"]["properties"]
    assert task["target"]["type"] == ["string", "number", "null"]
    assert "indicator" in task["category"]["enum"] and task["source_site_kind"]["enum"][-1] is None
    assert {"id", "status", "progress", "explain", "warnings", "version"} <= {
        name for name, prop in task.items() if prop.get("readOnly")
    }
    assert schemas["Task"]["properties"]["weight"]["pattern"] == r"^-?\d+(\.\d+)?$"
    assert schemas["TaskUpdateCreate"]["properties"]["confirm"]["type"] == "boolean"


def test_a_bad_body_is_422_before_the_row_is_looked_for(client, users, program_and_task):
    """Declared schemas check the body first: a bad body to an unknown program or task is a 422, a good one a 404."""
    headers = bearer(users["manager"])
    assert (
        "weight"
        in assert_error(
            client.post("/api/v1/programs/424242/tasks", json=new_task(weight="1,5"), headers=headers), 422
        )["fields"]
    )
    assert_error(client.post("/api/v1/programs/424242/tasks", json=new_task(), headers=headers), 404)
    assert_error(client.post("/api/v1/tasks/424242/updates", json={"value": True}, headers=headers), 422)
    assert_error(client.patch("/api/v1/tasks/424242", json={"version": 1}, headers=headers), 404)


def test_writes_take_json_only_and_unknown_or_echoed_keys_as_documented(client, users, program_and_task):
    program, task = program_and_task
    headers = bearer(users["manager"])
    text = client.post(f"/api/v1/programs/{program.id}/tasks", data=json.dumps(new_task()), headers=headers)
    assert_error(text, 415, "unsupported_media_type")
    error = assert_error(client.post(f"/api/v1/tasks/{task.id}/updates", json={"value": 1, "vaule": 2},
                                     headers=headers), 422)  # fmt: skip
    assert error["fields"] == {"vaule": "Trường “vaule” không được hỗ trợ."}
    echoed = {"value": "2", "id": 9999, "task_id": 1, "at": "x", "user_id": None, "task": {"id": 1}}
    recorded = client.post(f"/api/v1/tasks/{task.id}/updates", json=echoed, headers=headers)
    assert recorded.status_code == 201 and recorded.json["id"] != 9999 and recorded.json["task_id"] == task.id
    assert db.session.scalar(select(func.count(TaskUpdate.id))) == 1


def test_a_service_field_is_named_as_the_body_sends_it(client, users, program_and_task):
    program, task = program_and_task
    headers = bearer(users["manager"])
    paused = client.patch(f"/api/v1/tasks/{task.id}", json={"version": 1, "lifecycle": "cancelled"}, headers=headers)
    assert list(assert_error(paused, 422)["fields"]) == ["lifecycle_reason"]
    other = factories.create_task(factories.create_program(program.unit, "Khác"), "Khác")
    db.session.commit()
    moved = client.patch(f"/api/v1/tasks/{task.id}", json={"version": 1, "parent_id": other.id}, headers=headers)
    assert list(assert_error(moved, 422)["fields"]) == ["parent_id"]
    assert db.session.get(Task, task.id).lifecycle == "active"


def test_confirm_is_needed_for_a_value_ten_times_the_target_and_is_strict(client, users, program_and_task):
    _program, task = program_and_task
    headers = bearer(users["manager"])
    url = f"/api/v1/tasks/{task.id}/updates"
    doubted = assert_error(client.post(url, json={"value": 1000}, headers=headers), 422)
    assert list(doubted["fields"]) == ["value"]
    strict = assert_error(client.post(url, json={"value": 1000, "confirm": "yes"}, headers=headers), 422)
    assert strict["fields"] == {"confirm": "Trường “confirm” phải là true hoặc false."}
    assert client.post(url, json={"value": 1000, "confirm": True}, headers=headers).status_code == 201


def test_program_list_filters_and_bad_queries(client, users, ward, program_and_task):
    program, _task = program_and_task
    headers = bearer(users["viewer"])
    assert client.get("/api/v1/programs?archived=ALL&unit_id=", headers=headers).json["total"] == 1
    error = assert_error(client.get("/api/v1/programs?archived=maybe&per_page=0", headers=headers), 422)
    assert set(error["fields"]) == {"archived", "per_page"}
    tasks = assert_error(client.get(f"/api/v1/programs/{program.id}/tasks?status=late", headers=headers), 422)
    assert tasks["fields"]["status"].startswith("Giá trị “late” của “status” không có; dùng một trong: done_on_time")
    assert db.session.scalar(select(func.count(Program.id))) == 1
