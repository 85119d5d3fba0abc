"""No 500 from any input: lone surrogates and non-characters in JSON text and keys, bidi overrides in names, deeply
nested JSON, integers past 64 bits in query strings, days before 1900, JSON sent as text/plain. Each is a 4xx that
names the field, and nothing is written."""

import json
from datetime import date

import pytest
from sqlalchemy import func, select

from tests import factories
from tests.test_api import assert_error, bearer
from tests.test_sites_views import form as site_form
from tracker.api.openapi import document as openapi_document
from tracker.audit import AuditEvent
from tracker.documents.models import Document
from tracker.extensions import db
from tracker.programs.models import Program, Task, TaskUpdate
from tracker.public_services.models import PublicService, ServicePeriod
from tracker.sites.models import Site

LONE_SURROGATE = "\ud800"
THIRTY_DIGITS = "1" * 30
DOMAIN = (Document, Program, Task, TaskUpdate, Site, PublicService, ServicePeriod)


def rows() -> dict[str, int]:
    """How many rows each domain table and the audit log hold: a refused write leaves them all as they were."""
    counts = {model.__tablename__: db.session.scalar(select(func.count()).select_from(model)) for model in DOMAIN}
    counts["audit"] = db.session.scalar(select(func.count()).where(AuditEvent.action != "denied"))
    return counts


def raw_json(client, method: str, url: str, text: str, headers: dict):
    """Send `text` as the JSON body exactly as written (json.dumps escapes a lone surrogate as \\ud800)."""
    return client.open(url, method=method, data=text.encode(), headers={**headers, "Content-Type": "application/json"})


@pytest.fixture
def world(app, users, ward):
    """One row of every kind an API write addresses by id."""
    return factories.create_one_of_each(ward, users["member"])


def _schema(doc: dict, schema: dict) -> dict:
    """A request body's schema with its $ref and allOf resolved into one set of properties."""
    if "$ref" in schema:
        return _schema(doc, doc["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]])
    properties = dict(schema.get("properties", {}))
    for part in schema.get("allOf", ()):
        properties |= _schema(doc, part).get("properties", {})
    return {"properties": properties}


def api_writes(app) -> list[tuple[str, str, list[str]]]:
    """(method, path, the body's text fields) of every write the OpenAPI document declares."""
    with app.test_request_context():
        doc = openapi_document()
    writes = []
    for path, operations in doc["paths"].items():
        for method, operation in operations.items():
            content = operation.get("requestBody", {}).get("content", {}).get("application/json")
            if method in ("post", "patch", "put") and content:
                properties = _schema(doc, content["schema"])["properties"]
                texts = [name for name, spec in properties.items() if "string" in str(spec.get("type"))]
                writes.append((method.upper(), path, texts))
    return writes


def test_a_lone_surrogate_in_every_text_field_of_every_api_write_is_a_422_naming_it(client, users, world):
    headers = bearer(users["admin"])
    writes = api_writes(client.application)
    assert len(writes) >= 15 and sum(len(texts) for _m, _p, texts in writes) >= 40  # the walk covers the API
    before = rows()
    for method, path, texts in writes:
        url = "/api/v1" + path.format(**world)
        for name in texts:
            response = raw_json(client, method, url, json.dumps({name: f"Chợ{LONE_SURROGATE}"}), headers)
            error = assert_error(response, 422, "invalid")
            assert name in error["fields"], (method, path, name, error)
            assert "ký tự không hợp lệ" in error["fields"][name]
    assert rows() == before


@pytest.mark.parametrize("bad", ["\ud800", "\udfff", "\ufffe", "\U0010ffff", "\ufdd0"])
def test_a_bad_code_point_in_a_json_key_or_nested_text_is_named(client, users, ward, bad):
    headers = bearer(users["manager"])
    body = json.dumps({"unit_id": ward.id, "name": "Chợ", "kind": "market", f"ghi{bad}chú": 1})
    error = assert_error(raw_json(client, "POST", "/api/v1/sites", body, headers), 422, "invalid")
    assert list(error["fields"]) == [f"ghi{bad.encode('unicode_escape').decode()}chú"]
    nested = json.dumps({"site_ids": [1, {"x": [f"a{bad}"]}], "layout": "a4"})
    error = assert_error(raw_json(client, "POST", "/api/v1/posters", nested, headers), 422, "invalid")
    assert list(error["fields"]) == ["site_ids"]
    assert site_count() == 0


def site_count() -> int:
    return db.session.scalar(select(func.count(Site.id)))


@pytest.mark.parametrize("bidi", ["\u202e", "\u202d", "\u2066", "\u200f"])
def test_a_name_with_a_bidi_override_is_refused_in_forms_the_api_and_imports(client, auth, users, ward, bidi):
    name = f"Chợ {bidi}gnôB iãB"
    response = client.post("/api/v1/sites", json={"unit_id": ward.id, "name": name, "kind": "market"},
                           headers=bearer(users["manager"]))
    assert "name" in assert_error(response, 422, "invalid")["fields"]
    auth.login("member")
    page = client.post("/sites/new", data=site_form(name=name))
    assert page.status_code == 400 and "Trường “name” chứa ký tự không hợp lệ" in page.get_data(as_text=True)
    assert site_count() == 0


def test_deeply_nested_json_is_a_400(client, users):
    headers = bearer(users["manager"])
    for body in ("[" * 100_000, '{"name": ' + "[" * 50 + "]" * 50 + "}"):
        response = raw_json(client, "POST", "/api/v1/sites", body, headers)
        error = assert_error(response, 400)
        assert "JSON" in error["message"]
    assert site_count() == 0


def test_json_sent_as_text_plain_to_a_write_is_a_415(client, users, ward):
    body = json.dumps({"unit_id": ward.id, "name": "Chợ Bãi Bông", "kind": "market"})
    headers = {**bearer(users["manager"]), "Content-Type": "text/plain"}
    response = client.post("/api/v1/sites", data=body, headers=headers)
    error = assert_error(response, 415, "unsupported_media_type")
    assert "application/json" in error["message"]
    assert site_count() == 0


@pytest.mark.parametrize(
    ("url", "name"),
    [
        (f"/documents/?unit_id={THIRTY_DIGITS}", "unit_id"),
        (f"/programs/?unit_id={THIRTY_DIGITS}", "unit_id"),
        (f"/units/?parent_id={THIRTY_DIGITS}", "parent_id"),
        (f"/?unit_id={THIRTY_DIGITS}", "unit_id"),
        (f"/boards/new?parent={THIRTY_DIGITS}", "parent"),
        ("/documents/?unit_id=-3", "unit_id"),
    ],
)
def test_an_integer_past_64_bits_in_a_query_string_is_a_400_naming_it(client, auth, users, url, name):
    auth.login("admin")
    response = client.get(url)
    assert response.status_code == 400
    assert f"Tham số “{name}” phải là mã số nguyên dương" in response.get_data(as_text=True)


def test_the_audit_filter_names_a_huge_entity_id(client, auth, users):
    auth.login("admin")
    response = client.get(f"/admin/audit?entity_id={THIRTY_DIGITS}")
    assert response.status_code in (200, 400)  # a filter form shows its error next to the field
    assert "Mã số phải là số nguyên dương" in response.get_data(as_text=True)
    api = client.get(f"/api/v1/documents?unit_id={THIRTY_DIGITS}", headers=bearer(users["admin"]))
    assert "unit_id" in assert_error(api, 422)["fields"]


@pytest.mark.parametrize("typed", ["01/01/0001", "31/12/1899", "0001-01-01"])
def test_a_day_before_1900_is_refused_with_a_message(client, auth, users, ward, typed):
    program = factories.create_program(ward)
    db.session.commit()
    auth.login("manager")
    response = client.post(f"/programs/{program.id}/tasks/new", data={"title": "Nhiệm vụ", "deadline": typed,
                                                                       "measure_kind": "count", "category": "other"})
    assert response.status_code == 400
    assert "Năm phải từ 1900 đến 2100" in response.get_data(as_text=True)
    api = client.post(f"/api/v1/programs/{program.id}/tasks", json={"title": "Nhiệm vụ", "deadline": "0001-01-01"},
                      headers=bearer(users["manager"]))
    assert "Năm phải từ 1900 đến 2100 (ngày đã nhập: 01/01/0001)" in assert_error(api, 422)["fields"]["deadline"]
    assert db.session.scalar(select(func.count(Task.id))) == 0


def test_every_date_prints_with_four_year_digits():
    from tracker.formatting import vn_date

    assert vn_date(date(1, 2, 3)) == "03/02/0001"
    assert vn_date(date(2025, 7, 1)) == "01/07/2025"
