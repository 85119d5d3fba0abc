"""The API contract (tracker.api.contract and .fields): declared schemas validate input in Vietnamese, shape the
answers and generate the OpenAPI document; flask-smorest adds no error handler and no documentation page of its own."""

import json
from datetime import date

import marshmallow as ma
import pytest
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from tests import factories
from tests.test_api import assert_error, bearer, new_document
from tests.test_api_programs import conforms
from tracker.api.contract import field_messages
from tracker.api.fields import Body, Day, Integer, Text
from tracker.api.queries import Paged, QueryChoice, QueryInt
from tracker.documents.models import Document
from tracker.extensions import db


def document_count() -> int:
    return db.session.scalar(select(func.count(Document.id)))


def spec(client) -> dict:
    return client.get("/api/v1/openapi.json").json


def fits(doc: dict, name: str, value: dict) -> None:
    """`value` conforms to the component `name`, with no key the schema does not declare when it says so."""
    schema = doc["components"]["schemas"][name]
    conforms(doc, {"$ref": f"#/components/schemas/{name}"}, value)
    if schema.get("additionalProperties") is False:
        assert set(value) <= set(schema["properties"]), set(value) - set(schema["properties"])


# --- the document ---------------------------------------------------------------------------------------------


def test_the_declared_bodies_refuse_unknown_fields_and_say_which_are_read_only(client):
    doc = spec(client)
    for name in ("DocumentCreate", "DocumentPatch"):
        body = doc["components"]["schemas"][name]
        assert body["additionalProperties"] is False, name
        read_only = {field for field, prop in body["properties"].items() if prop.get("readOnly")}
        assert {"id", "number", "kind_code", "issuer_code", "created_at", "updated_at"} <= read_only, name
    assert doc["components"]["schemas"]["DocumentCreate"]["required"] == ["reference", "title", "unit_id"]
    assert doc["components"]["schemas"]["DocumentPatch"]["required"] == ["version"]
    assert doc["components"]["schemas"]["DocumentPatch"]["properties"]["issued_on"]["type"] == ["string", "null"]
    create = doc["paths"]["/documents"]["post"]
    assert create["operationId"] == "create_document"
    assert create["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/DocumentCreate"
    }
    assert set(create["responses"]) == {"201", "400", "401", "403", "415", "422", "429", "503"}


def test_every_error_response_is_the_apps_error_shape(client):
    doc = spec(client)
    responses = doc["components"]["responses"]
    assert set(responses) == {
        "BAD_REQUEST",
        "UNAUTHORIZED",
        "FORBIDDEN",
        "NOT_FOUND",
        "CONFLICT",
        "UNSUPPORTED_MEDIA_TYPE",
        "UNPROCESSABLE_ENTITY",
        "TOO_MANY_REQUESTS",
        "SERVICE_UNAVAILABLE",
    }  # none of flask-smorest's own (DEFAULT_ERROR and the like)
    for name, response in responses.items():
        assert response["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}, name
    error = doc["components"]["schemas"]["Error"]["properties"]["error"]
    assert set(error["properties"]) == {"code", "message", "fields"}
    for path, operations in doc["paths"].items():
        for method, operation in operations.items():
            for status, response in operation["responses"].items():
                if status.startswith(("4", "5")):
                    assert response["$ref"].startswith("#/components/responses/"), (path, method, status)


def test_answers_fit_the_generated_schemas(client, users, ward):
    doc = spec(client)
    headers = bearer(users["manager"])
    created = client.post("/api/v1/documents", json=new_document(ward), headers=headers)
    assert created.status_code == 201
    fits(doc, "Document", created.json)
    listed = client.get("/api/v1/documents", headers=headers).json
    fits(doc, "DocumentList", listed)
    assert listed["items"] == [created.json]
    refused = client.post("/api/v1/documents", json={}, headers=headers)
    assert_error(refused, 422)
    fits(doc, "Error", refused.json)


def test_flask_smorest_serves_no_page_and_handles_no_error_of_the_app(app, client):
    assert not [rule.rule for rule in app.url_map.iter_rules() if rule.endpoint.startswith("api-docs")]
    assert client.get("/openapi.json").status_code == 404
    page = client.get("/no-such-page")  # the app's HTML error page, not flask-smorest's JSON
    assert page.status_code == 404 and page.mimetype == "text/html"
    assert "Không tìm thấy trang" in page.get_data(as_text=True)


# --- input: the JSON checks before the schema, then one Vietnamese message per field ---------------------------


def test_a_write_not_sent_as_json_is_415_before_any_field_is_read(client, users):
    response = client.post("/api/v1/documents", data="unit_id=1", headers=bearer(users["manager"]))
    error = assert_error(response, 415, "unsupported_media_type")
    assert error["fields"] == {}
    assert document_count() == 0


def test_a_bad_character_in_a_key_is_named_before_the_schema_refuses_the_key(client, users, ward):
    body = json.dumps(new_document(ward) | {"ghi\u202echú": 1})
    headers = bearer(users["manager"]) | {"Content-Type": "application/json"}
    error = assert_error(client.post("/api/v1/documents", data=body, headers=headers), 422, "invalid")
    assert list(error["fields"]) == ["ghi\\u202echú"]
    assert "ký tự không hợp lệ" in error["fields"]["ghi\\u202echú"]
    deep = json.dumps(new_document(ward) | {"x": [[[[[[[[[1]]]]]]]]]})
    assert "sâu" in assert_error(client.post("/api/v1/documents", data=deep, headers=headers), 400)["message"]
    assert document_count() == 0


def test_read_only_fields_sent_back_on_create_are_ignored(client, users, ward):
    echoed = {"id": 4242, "version": 9, "number": "x", "created_at": "whatever", "kind_code": None}
    response = client.post("/api/v1/documents", json=new_document(ward) | echoed, headers=bearer(users["manager"]))
    assert response.status_code == 201
    assert response.json["id"] != 4242
    assert (response.json["version"], response.json["number"], response.json["kind_code"]) == (1, "37", "KH")


def test_out_of_scope_is_refused_before_the_fields_are_discussed(client, users, province, ward):
    other_ward = factories.create_unit("Phường Bách Quang", "ward", parent=province)
    db.session.commit()
    body = {"unit_id": other_ward.id, "title": "", "colour": "red"}
    assert_error(client.post("/api/v1/documents", json=body, headers=bearer(users["manager"])), 403, "forbidden")
    assert document_count() == 0


def test_one_bad_field_is_the_message_and_an_unknown_one_is_named(client, users, ward):
    headers = bearer(users["manager"])
    error = assert_error(client.post("/api/v1/documents", json=new_document(ward, colour="red"), headers=headers), 422)
    assert error == {
        "code": "invalid",
        "message": "Trường “colour” không được hỗ trợ.",
        "fields": {"colour": "Trường “colour” không được hỗ trợ."},
    }


def test_query_parameters_blank_is_absent_and_per_page_is_capped(client, users, ward):
    factories.create_document(ward)
    db.session.commit()
    headers = bearer(users["viewer"])
    listed = client.get("/api/v1/documents?kind_code=&unit_id=%20&page=&q=", headers=headers)
    assert (listed.status_code, listed.json["total"], listed.json["page"]) == (200, 1, 1)
    assert client.get("/api/v1/documents?per_page=5000", headers=headers).json["per_page"] == 200
    error = assert_error(client.get("/api/v1/documents?per_page=0&kind_code=zz", headers=headers), 422)
    assert error["fields"] == {
        "per_page": "Tham số “per_page” phải là số nguyên từ 1 trở lên.",
        "kind_code": error["fields"]["kind_code"],
    }
    assert error["fields"]["kind_code"].startswith("Giá trị “zz” của “kind_code” không có; dùng một trong: NQ, QĐ")
    assert error["message"] == "Dữ liệu gửi lên có 2 trường không hợp lệ."


# --- the fields the next areas build on -----------------------------------------------------------------------


class Sample(Body):
    count = Integer(required=True)
    name = Text(needed=_l("Hãy nhập trích yếu của văn bản."), max_length=5)
    note = Text(allow_none=True)
    day = Day()


class SampleQuery(Paged):
    n = QueryInt()
    kind = QueryChoice(["KH", "QĐ"], normalise=str.upper)


def problems(schema: ma.Schema, data) -> dict[str, str]:
    with pytest.raises(ma.ValidationError) as caught:
        schema.load(data)
    return field_messages({"json": caught.value.messages}, schema)


@pytest.mark.parametrize(
    "data, field, message",
    [
        ({}, "count", "Trường “count” cần có giá trị."),
        ({"count": None}, "count", "Trường “count” cần có giá trị."),
        ({"count": True}, "count", "Trường “count” phải là số nguyên."),
        ({"count": 1.5}, "count", "Trường “count” phải là số nguyên."),
        ({"count": 1, "name": "  "}, "name", "Hãy nhập trích yếu của văn bản."),
        ({"count": 1, "name": None}, "name", "Hãy nhập trích yếu của văn bản."),
        ({"count": 1, "name": "sáu chữ"}, "name", "Trường “name” dài quá 5 ký tự."),
        ({"count": 1, "name": ["a"]}, "name", "Trường “name” phải là chuỗi ký tự."),
        ({"count": 1, "note": "a\x00b"}, "note", "Trường “note” chứa ký tự không hợp lệ"),
        ({"count": 1, "day": "2021-02-31"}, "day", "Ngày “2021-02-31” không hợp lệ: dùng dạng YYYY-MM-DD"),
        ({"count": 1, "day": "1899-12-31"}, "day", "Trường “day”: Năm phải từ 1900 đến 2100"),
        ({"count": 1, "day": None}, "day", "Trường “day” cần có giá trị."),
    ],
)
def test_body_fields_speak_vietnamese_and_name_the_field(app, data, field, message):
    with app.test_request_context():
        found = problems(Sample(), data)
    assert list(found) == [field]
    assert found[field].startswith(message), found


def test_body_fields_load_typed_values(app):
    with app.test_request_context():
        loaded = Sample().load({"count": 3, "name": "Chợ", "note": None, "day": "2024-02-29"})
    assert loaded == {"count": 3, "name": "Chợ", "note": None, "day": date(2024, 2, 29)}


def test_query_fields_read_text_from_the_query_string(app):
    with app.test_request_context():
        loaded = SampleQuery().load({"n": " -3 ", "kind": "qđ", "page": "2", "ignored": "x"})
        assert loaded == {"n": -3, "kind": "QĐ", "page": 2, "per_page": app.config["PER_PAGE"]}
        found = problems(SampleQuery(), {"n": "1" * 30, "page": "0"})
    assert found == {
        "n": "Tham số “n” phải là số nguyên.",
        "page": "Tham số “page” phải là số nguyên từ 1 trở lên.",
    }


def test_every_api_answer_a_test_receives_is_checked_against_the_document(app, client, users, ward):
    """tests/conftest.py checks each /api/v1 JSON answer of every test: a body off its schema, or a status the
    operation does not declare, fails the test that received it."""
    from tests.conftest import check_against_the_api_document

    document = factories.create_document(ward)
    db.session.commit()
    answer = client.get(f"/api/v1/documents/{document.id}", headers=bearer(users["viewer"]))
    assert answer.status_code == 200
    check_against_the_api_document(app, answer)
    answer.set_data(json.dumps({**answer.get_json(), "title": 42}))
    with pytest.raises(AssertionError, match="does not fit its declared schema"):
        check_against_the_api_document(app, answer)
    answer.status_code = 418
    with pytest.raises(AssertionError, match="418 is not declared"):
        check_against_the_api_document(app, answer)
