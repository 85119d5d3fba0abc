"""The JSON API under /api/v1: authentication, scope, the error shape, units, documents, the OpenAPI document."""

import re
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import event, func, select, update
from sqlalchemy.orm import Session

from tests import factories
from tracker.auth.models import ApiToken
from tracker.auth.services import issue_api_token
from tracker.db import local_today
from tracker.documents.models import Document
from tracker.extensions import db


def bearer(user) -> dict:
    token = issue_api_token(user, "test")
    db.session.commit()
    return {"Authorization": f"Bearer {token}"}


def document_count() -> int:
    return db.session.scalar(select(func.count(Document.id)))


def assert_error(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.is_json
    error = response.json["error"]
    assert set(error) == {"code", "message", "fields"}
    assert error["message"]
    if code:
        assert error["code"] == code
    return error


def new_document(ward, **overrides) -> dict:
    fields = {"unit_id": ward.id, "reference": "37/KH-UBND", "issued_on": "2021-11-09", "title": "Kế hoạch CĐS"}
    return fields | overrides


# --- authentication -------------------------------------------------------------------------------------------


def test_bearer_token_authenticates(client, users, ward):
    response = client.get("/api/v1/units", headers=bearer(users["viewer"]))
    assert response.status_code == 200
    assert [u["id"] for u in response.json["items"]] == [ward.id]


@pytest.mark.parametrize("revoked", [False, True], ids=["unknown", "revoked"])
def test_unknown_or_revoked_token_is_401(client, users, revoked):
    if revoked:
        headers = bearer(users["manager"])
        db.session.scalars(select(ApiToken)).one().revoke()
        db.session.commit()
    else:
        headers = {"Authorization": "Bearer not-a-token"}
    assert_error(client.get("/api/v1/units", headers=headers), 401, "unauthorized")
    response = client.post("/api/v1/documents", json={}, headers=headers)
    assert_error(response, 401, "unauthorized")


def test_no_credentials_is_401_json(client, users, ward):
    assert_error(client.get("/api/v1/documents"), 401, "unauthorized")
    assert_error(client.get(f"/api/v1/units/{ward.id}"), 401, "unauthorized")


def test_cookie_write_needs_the_csrf_header(client, auth, users, ward):
    auth.login("manager")
    refused = client.post("/api/v1/documents", json=new_document(ward), csrf=False)
    error = assert_error(refused, 400, "bad_request")
    assert "CSRF" in error["message"]
    assert document_count() == 0
    accepted = client.post("/api/v1/documents", json=new_document(ward))
    assert accepted.status_code == 201
    assert document_count() == 1


def test_cookie_reads_need_no_csrf_header(client, auth, users):
    auth.login("viewer")
    assert client.get("/api/v1/documents").status_code == 200


@pytest.mark.parametrize("role", ["viewer", "member"])
def test_readers_cannot_write(client, users, ward, role):
    assert_error(client.post("/api/v1/documents", json=new_document(ward), headers=bearer(users[role])), 403)
    assert document_count() == 0


def test_manager_of_another_unit_is_refused(client, users, province, ward):
    other_ward = factories.create_unit("Phường Bách Quang", "ward", parent=province)
    outsider = factories.create_user("outsider", "manager", other_ward)
    document = factories.create_document(ward)
    db.session.commit()
    headers = bearer(outsider)
    assert_error(client.post("/api/v1/documents", json=new_document(ward), headers=headers), 403, "forbidden")
    assert_error(client.get(f"/api/v1/documents/{document.id}", headers=headers), 403)
    patch = {"version": 1, "title": "Đổi tên"}
    assert_error(client.patch(f"/api/v1/documents/{document.id}", json=patch, headers=headers), 403)
    assert_error(client.get(f"/api/v1/units/{ward.id}", headers=headers), 403)
    assert client.get("/api/v1/documents", headers=headers).json["total"] == 0
    assert document_count() == 1
    assert db.session.get(Document, document.id).title == "Kế hoạch chuyển đổi số"


# --- units ----------------------------------------------------------------------------------------------------


def test_units_search_is_accent_insensitive(client, users, province, ward):
    bai_bong = factories.create_unit("Phường Bãi Bông", "ward", parent=province)
    factories.create_unit("Xã Bình Sơn", "commune", parent=province)
    db.session.commit()
    headers = bearer(users["admin"])
    for q in ("bai bong", "BÃI BÔNG", "Bãi  bông"):
        response = client.get("/api/v1/units", query_string={"q": q}, headers=headers)
        assert [u["name"] for u in response.json["items"]] == ["Phường Bãi Bông"], q
    found = client.get("/api/v1/units", query_string={"kind": "ward", "parent_id": province.id}, headers=headers)
    assert {u["id"] for u in found.json["items"]} == {ward.id, bai_bong.id}
    assert found.json["total"] == 2
    assert client.get("/api/v1/units?q=05860", headers=headers).json["items"][0]["id"] == ward.id


def test_units_list_pages_and_caps_per_page(client, users, province):
    for n in range(3):
        factories.create_unit(f"Tổ dân phố {n}", "residential_group", parent=province)
    db.session.commit()
    headers = bearer(users["admin"])
    first = client.get("/api/v1/units?kind=residential_group&per_page=2", headers=headers).json
    second = client.get("/api/v1/units?kind=residential_group&per_page=2&page=2", headers=headers).json
    assert (first["total"], first["page"], first["per_page"], len(first["items"])) == (3, 1, 2, 2)
    assert (second["page"], len(second["items"])) == (2, 1)
    assert client.get("/api/v1/units?per_page=5000", headers=headers).json["per_page"] == 200


@pytest.mark.parametrize(
    "query, field",
    [("kind=hamlet", "kind"), ("parent_id=abc", "parent_id"), ("page=0", "page"), ("per_page=x", "per_page")],
)
def test_units_bad_query_is_422(client, users, query, field):
    error = assert_error(client.get(f"/api/v1/units?{query}", headers=bearer(users["admin"])), 422, "invalid")
    assert set(error["fields"]) == {field}


def test_unit_detail_names_parent_and_predecessors(client, users, province, ward):
    old = factories.create_unit("Phường Ba Hàng", "ward", parent=province, valid_from=date(2020, 1, 1))
    old.valid_to, old.merged_into = date(2025, 7, 1), ward
    db.session.commit()
    headers = bearer(users["viewer"])
    body = client.get(f"/api/v1/units/{ward.id}", headers=headers).json
    assert body == {
        "id": ward.id,
        "code": "05860",
        "name": "Phường Phổ Yên",
        "kind": "ward",
        "parent_id": province.id,
        "valid_from": None,
        "valid_to": None,
        "merged_into_id": None,
        "is_current": True,
        "version": 1,
        "predecessor_ids": [old.id],
    }
    merged = client.get(f"/api/v1/units/{old.id}", headers=headers).json
    assert (merged["merged_into_id"], merged["valid_to"], merged["is_current"]) == (ward.id, "2025-07-01", False)
    # The viewer's rights reach down and to predecessors, not up to the province.
    assert_error(client.get(f"/api/v1/units/{province.id}", headers=headers), 403, "forbidden")
    error = assert_error(client.get("/api/v1/units/999999", headers=headers), 404, "not_found")
    assert "999999" in error["message"]


def test_unit_answers_fit_their_declared_schemas(client, users, province, ward):
    from tests.test_api_contract import fits, spec

    doc = spec(client)
    headers = bearer(users["admin"])
    listed = client.get("/api/v1/units?per_page=1", headers=headers).json
    fits(doc, "UnitList", listed)
    assert (listed["total"], listed["per_page"], len(listed["items"])) == (2, 1, 1)
    fits(doc, "UnitDetail", client.get(f"/api/v1/units/{ward.id}", headers=headers).json)
    assert doc["components"]["schemas"]["UnitDetail"]["required"] == sorted(
        ["id", "code", "name", "kind", "parent_id", "valid_from", "valid_to", "merged_into_id", "is_current"]
        + ["version", "predecessor_ids"]
    )
    operation = doc["paths"]["/units"]["get"]
    assert {p["name"] for p in operation["parameters"]} == {"q", "kind", "parent_id", "page", "per_page"}
    assert operation["operationId"] == "list_units"


# --- documents ------------------------------------------------------------------------------------------------


def test_create_document_returns_the_parsed_reference(client, users, ward):
    headers = bearer(users["manager"])
    payload = new_document(ward, reference=" 63-qđ/đu ", issued_on="2023-03-15", title="Quyết định thành lập BCĐ")
    response = client.post("/api/v1/documents", json=payload, headers=headers)
    assert response.status_code == 201
    body = response.json
    assert body["reference"] == "63-QĐ/ĐU"
    assert (body["number"], body["kind_code"], body["issuer_code"]) == ("63", "QĐ", "ĐU")
    assert (body["unit_id"], body["issued_on"], body["version"]) == (ward.id, "2023-03-15", 1)
    assert isinstance(body["id"], int)
    assert response.headers["Location"].endswith(f"/api/v1/documents/{body['id']}")
    assert client.get(f"/api/v1/documents/{body['id']}", headers=headers).json == body


def test_create_document_without_a_date(client, users, ward):
    payload = {"unit_id": ward.id, "reference": "37/KH-UBND", "title": "Kế hoạch"}
    response = client.post("/api/v1/documents", json=payload, headers=bearer(users["admin"]))
    assert response.status_code == 201
    assert response.json["issued_on"] is None


@pytest.mark.parametrize(
    "overrides, field, message",
    [
        ({"title": None}, "title", "trích yếu"),
        ({"title": "   "}, "title", "trích yếu"),
        ({"reference": "abc"}, "reference", "37/KH-UBND"),
        ({"reference": None}, "reference", "số ký hiệu"),
        ({"issued_on": "31/02/2021"}, "issued_on", "YYYY-MM-DD"),
        ({"issued_on": "2021-02-31"}, "issued_on", "YYYY-MM-DD"),
        ({"reference": "15/2021/TT-BTTTT", "issued_on": "2020-11-09"}, "issued_on", "2021"),
        ({"unit_id": 999999}, "unit_id", "999999"),
        ({"unit_id": None}, "unit_id", "đơn vị"),
        ({"unit_id": "2"}, "unit_id", "số nguyên"),
        ({"unit_id": True}, "unit_id", "số nguyên"),
        ({"title": 5}, "title", "chuỗi"),
        ({"colour": "red"}, "colour", "không được hỗ trợ"),
    ],
)
def test_create_document_bad_input_is_422(client, users, ward, overrides, field, message):
    payload = {k: v for k, v in new_document(ward, **overrides).items() if v is not None}
    response = client.post("/api/v1/documents", json=payload, headers=bearer(users["manager"]))
    error = assert_error(response, 422, "invalid")
    assert field in error["fields"]
    assert message in error["fields"][field]
    assert document_count() == 0


def test_create_document_reports_every_bad_field_at_once(client, users):
    response = client.post("/api/v1/documents", json={"issued_on": "9/11/2021"}, headers=bearer(users["admin"]))
    error = assert_error(response, 422)
    assert set(error["fields"]) == {"unit_id", "reference", "issued_on", "title"}
    assert error["message"] == "Dữ liệu gửi lên có 4 trường không hợp lệ."


@pytest.mark.parametrize("body", [b"{not json", b"", b"[1, 2]", b'"text"'])
def test_malformed_json_body_is_400(client, users, body):
    headers = bearer(users["manager"]) | {"Content-Type": "application/json"}
    error = assert_error(client.post("/api/v1/documents", data=body, headers=headers), 400, "bad_request")
    assert "JSON" in error["message"]


def test_patch_document_and_stale_version(client, users, ward):
    document = factories.create_document(ward)
    db.session.commit()
    url = f"/api/v1/documents/{document.id}"
    headers = bearer(users["manager"])
    current = client.get(url, headers=headers).json
    # A client may send back what it read: read-only fields are ignored, left-out fields keep their value.
    edited = current | {"title": "Kế hoạch chuyển đổi số năm 2022", "reference": "37/kh-ubnd"}
    response = client.patch(url, json=edited, headers=headers)
    assert response.status_code == 200
    assert (response.json["title"], response.json["version"]) == ("Kế hoạch chuyển đổi số năm 2022", 2)
    assert (response.json["reference"], response.json["issued_on"]) == ("37/KH-UBND", "2021-11-09")

    stale = client.patch(url, json={"version": 1, "title": "Bản cũ ghi đè"}, headers=headers)
    error = assert_error(stale, 409, "conflict")
    assert "version" in error["fields"]
    saved = db.session.get(Document, document.id)
    assert (saved.title, saved.version) == ("Kế hoạch chuyển đổi số năm 2022", 2)

    cleared = client.patch(url, json={"version": 2, "issued_on": None}, headers=headers)
    assert (cleared.status_code, cleared.json["issued_on"], cleared.json["version"]) == (200, None, 3)


def test_patch_losing_a_race_is_409(client, users, ward):
    document = factories.create_document(ward)
    headers = bearer(users["manager"])

    @event.listens_for(Session, "before_flush", once=True)
    def someone_else_saves_first(session, flush_context, instances):
        # Lands between the view's read (version 1) and its versioned UPDATE.
        session.connection().execute(update(Document).values(version=Document.version + 1))

    body = {"version": 1, "title": "Mới"}
    response = client.patch(f"/api/v1/documents/{document.id}", json=body, headers=headers)
    assert "version" in assert_error(response, 409, "conflict")["fields"]
    saved = db.session.get(Document, document.id)
    assert (saved.title, saved.version) == ("Kế hoạch chuyển đổi số", 1)


@pytest.mark.parametrize(
    "body, field",
    [
        ({"title": "Không có phiên bản"}, "version"),
        ({"version": "1"}, "version"),
        ({"version": 1, "title": ""}, "title"),
        ({"version": 1, "reference": "abc"}, "reference"),
        ({"version": 1, "issued_on": "31/02/2021"}, "issued_on"),
        ({"version": 1, "unit_id": 999999}, "unit_id"),
    ],
)
def test_patch_document_bad_input_is_422(client, users, ward, body, field):
    document = factories.create_document(ward)
    db.session.commit()
    response = client.patch(f"/api/v1/documents/{document.id}", json=body, headers=bearer(users["manager"]))
    assert field in assert_error(response, 422, "invalid")["fields"]
    saved = db.session.get(Document, document.id)
    assert (saved.reference, saved.title, saved.version) == ("37/KH-UBND", "Kế hoạch chuyển đổi số", 1)


def test_unknown_document_is_404(client, users):
    headers = bearer(users["admin"])
    assert_error(client.get("/api/v1/documents/424242", headers=headers), 404, "not_found")
    assert_error(client.patch("/api/v1/documents/424242", json={"version": 1}, headers=headers), 404)


def test_list_documents_in_scope_with_filters(client, users, province, ward):
    other_ward = factories.create_unit("Phường Bách Quang", "ward", parent=province)
    group = factories.create_unit("Tổ dân phố 1", "residential_group", parent=ward)
    factories.create_document(ward, "37/KH-UBND", date(2021, 11, 9), "Kế hoạch chuyển đổi số")
    factories.create_document(group, "63-QĐ/ĐU", date(2023, 3, 15), "Quyết định thành lập Tổ giúp việc")
    factories.create_document(other_ward, "27-CTr/ĐU", date(2022, 1, 5), "Chương trình hành động")
    db.session.commit()
    viewer = bearer(users["viewer"])

    def refs(query: str, headers=viewer) -> list[str]:
        return [d["reference"] for d in client.get(f"/api/v1/documents{query}", headers=headers).json["items"]]

    assert refs("") == ["63-QĐ/ĐU", "37/KH-UBND"]  # newest first, the other ward left out
    assert refs("?kind_code=qđ") == ["63-QĐ/ĐU"]
    assert refs("?q=tổ giúp") == ["63-QĐ/ĐU"]
    assert refs("?q=KH-UBND") == ["37/KH-UBND"]
    assert refs("?q=100%") == []
    assert refs(f"?unit_id={group.id}") == ["63-QĐ/ĐU"]
    assert refs("", bearer(users["admin"])) == ["63-QĐ/ĐU", "27-CTr/ĐU", "37/KH-UBND"]
    paged = client.get("/api/v1/documents?per_page=1&page=2", headers=viewer).json
    assert (paged["total"], paged["page"], paged["per_page"], len(paged["items"])) == (2, 2, 1, 1)
    assert_error(client.get(f"/api/v1/documents?unit_id={other_ward.id}", headers=viewer), 403)
    for query, field in (("kind_code=XYZ", "kind_code"), ("unit_id=999999", "unit_id"), ("page=-1", "page")):
        error = assert_error(client.get(f"/api/v1/documents?{query}", headers=viewer), 422, "invalid")
        assert set(error["fields"]) == {field}


def test_unknown_api_path_and_method_answer_json(client, users):
    headers = bearer(users["admin"])
    assert_error(client.get("/api/v1/nothing-here", headers=headers), 404, "not_found")
    assert_error(client.delete("/api/v1/documents", headers=headers), 405, "method_not_allowed")


# --- OpenAPI --------------------------------------------------------------------------------------------------


def _api_routes(app) -> dict[str, set[str]]:
    routes: dict[str, set[str]] = {}
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/") or rule.endpoint == "api.openapi":
            continue
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule.removeprefix("/api/v1"))
        routes.setdefault(path, set()).update(m.lower() for m in rule.methods - {"HEAD", "OPTIONS"})
    return routes


def _refs(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def test_openapi_document_matches_the_routes(app, client):
    response = client.get("/api/v1/openapi.json")  # public: clients discover the API before they sign in
    assert response.status_code == 200
    spec = response.json
    assert spec["openapi"].startswith("3.1")
    assert spec["servers"] == [{"url": "/api/v1"}]
    assert spec["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "An API token of a user.",
    }
    documented = {path: {m for m in item if m != "parameters"} for path, item in spec["paths"].items()}
    assert documented == _api_routes(app)

    for path, item in spec["paths"].items():
        names = set(re.findall(r"{([^}]+)}", path))
        for method, operation in item.items():
            declared = {p["name"] for p in operation.get("parameters", []) if p["in"] == "path"}
            assert declared == names, (path, method)
            assert "200" in operation["responses"] or "201" in operation["responses"], (path, method)
            if method in {"post", "patch"}:
                assert "requestBody" in operation, (path, method)

    for ref in set(_refs(spec)):
        node = spec
        for part in ref.removeprefix("#/").split("/"):
            node = node[part]
        assert node, ref
    error = spec["components"]["schemas"]["Error"]["properties"]["error"]
    assert error["required"] == ["code", "message", "fields"]


def test_the_unit_summary_lists_ended_programs_apart_as_documented(client, users, province, ward):
    """Issue 11: an ended program (past ends_on) leaves the summary's figures and is listed apart, with its final
    progress, as the dashboard shows it; the OpenAPI document describes every key the summary answers."""
    current = factories.create_program(ward, "Chương trình chuyển đổi số 2025–2030", ends_on=date(2030, 12, 31))
    done = factories.create_task(current, "Đã xong", target=Decimal(10))
    factories.create_task_update(done, users["admin"], "10")
    ended = factories.create_program(
        ward, "Chương trình hành động số 27-CTr/ĐU", starts_on=date(2021, 2, 7), ends_on=date(2025, 12, 31)
    )
    halfway = factories.create_task(ended, "Tạo lập 600 điểm QR", target=Decimal(600))
    factories.create_task_update(halfway, users["admin"], "300", at=datetime(2025, 6, 30, 9, tzinfo=UTC))
    older = factories.create_program(ward, "Kế hoạch năm 2022", starts_on=date(2022, 1, 1), ends_on=date(2022, 12, 31))
    db.session.commit()
    assert local_today() > date(2025, 12, 31)

    for unit in (ward, province):  # the province reads its subordinates' ended programs too
        summary = client.get(f"/api/v1/units/{unit.id}/summary", headers=bearer(users["admin"])).json
        assert summary["ended_programs"] == [
            {"id": ended.id, "unit_id": ward.id, "title": ended.title, "ends_on": "2025-12-31", "progress": 0.5},
            {"id": older.id, "unit_id": ward.id, "title": older.title, "ends_on": "2022-12-31", "progress": None},
        ]
        assert summary["overall"]["value"] == 1  # the current program alone
        assert summary["counts"]["programs"] == 1
    assert [p["id"] for p in summary["programs"]] == []  # the province has no program of its own
    ward_summary = client.get(f"/api/v1/units/{ward.id}/summary", headers=bearer(users["viewer"])).json
    assert [p["id"] for p in ward_summary["programs"]] == [current.id]

    schemas = client.get("/api/v1/openapi.json").json["components"]["schemas"]
    schema = schemas["UnitSummary"]
    assert set(summary) <= set(schema["properties"]) and set(schema["required"]) <= set(summary)
    item = schemas[schema["properties"]["ended_programs"]["items"]["$ref"].rsplit("/", 1)[1]]
    assert set(item["required"]) == set(item["properties"]) == set(summary["ended_programs"][0])
