"""/api/v1 online public services: the catalog (list in scope with filters, add, read, edit with no lost update),
records per period, the report by unit, and the live task that follows a level change — for each role and scope."""

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from tests import factories
from tests.test_api import assert_error, bearer
from tests.test_public_services_views import catalog, make_service, other_ward  # noqa: F401 (fixtures used below)
from tracker.db import local_today
from tracker.extensions import db
from tracker.programs import progress
from tracker.programs.models import TaskUpdate
from tracker.public_services.models import PublicService, ServicePeriod


@pytest.fixture
def registry(catalog):  # noqa: F811 (the imported fixture)
    """The screens' catalog: in the ward, toàn trình (two quarters of records), một phần and mức độ 2; in another
    ward, one toàn trình."""
    return catalog


def counts() -> tuple[int, int]:
    return (
        db.session.scalar(select(func.count(PublicService.id))),
        db.session.scalar(select(func.count(ServicePeriod.id))),
    )


def new_service(ward, **overrides) -> dict:
    return {
        "unit_id": ward.id,
        "code": "1.001193",
        "name": "Thủ tục đăng ký khai sinh",
        "field": "Hộ tịch",
        "level": 4,
    } | overrides


# --- reading ------------------------------------------------------------------------------------------------


def test_list_in_scope_with_filters(client, users, ward, registry):
    viewer = bearer(users["viewer"])
    listed = client.get("/api/v1/services", headers=viewer).json
    assert listed["total"] == 3 and [s["code"] for s in listed["items"]] == ["1.001193", "2.000815", "2.000509"]
    first = listed["items"][0]
    assert first | {"created_at": None, "updated_at": None} == {
        "id": registry["birth"].id,
        "unit_id": ward.id,
        "code": "1.001193",
        "name": "Thủ tục đăng ký khai sinh",
        "field": "Hộ tịch",
        "level": 4,
        "level_label": "Mức độ 4 — toàn trình",
        "reach": "full",
        "online": True,
        "online_since": None,
        "version": 1,
        "created_at": None,
        "updated_at": None,
    }
    for query, codes in (
        ("level=3", ["2.000815"]),
        ("level=online", ["1.001193", "2.000815"]),
        ("level=OFFLINE", ["2.000509"]),
        ("q=chứng", ["2.000815"]),
        (f"unit_id={ward.id}&per_page=1&page=2", ["2.000815"]),
    ):
        assert [s["code"] for s in client.get(f"/api/v1/services?{query}", headers=viewer).json["items"]] == codes
    admin = bearer(users["admin"])
    assert client.get("/api/v1/services", headers=admin).json["total"] == 4


def test_bad_filters_and_other_units(client, users, registry):
    viewer = bearer(users["viewer"])
    error = assert_error(client.get("/api/v1/services?level=5&unit_id=x", headers=viewer), 422, "invalid")
    assert set(error["fields"]) == {"level", "unit_id"}
    assert_error(client.get(f"/api/v1/services?unit_id={registry['elsewhere'].unit_id}", headers=viewer), 403)
    assert_error(client.get(f"/api/v1/services/{registry['elsewhere'].id}", headers=viewer), 403)
    assert_error(client.get("/api/v1/services/999999", headers=viewer), 404)


def test_one_procedure_with_its_records(client, users, registry):
    body = client.get(f"/api/v1/services/{registry['birth'].id}", headers=bearer(users["member"])).json
    assert body["records"] == {"total": 100, "online": 80, "periods": 2, "online_share": 0.8}
    periods = client.get(f"/api/v1/services/{registry['birth'].id}/periods", headers=bearer(users["viewer"])).json
    assert periods["total"] == 2
    assert periods["items"][0] | {"id": 0, "created_at": None, "updated_at": None} == {
        "id": 0,
        "service_id": registry["birth"].id,
        "period_start": "2025-01-01",
        "period_end": "2025-03-31",
        "records_total": 40,
        "records_online": 30,
        "online_share": 0.75,
        "version": 1,
        "created_at": None,
        "updated_at": None,
    }


# --- writing -----------------------------------------------------------------------------------------------


def test_a_manager_adds_a_procedure(client, users, ward):
    response = client.post(
        "/api/v1/services", json=new_service(ward, level="Toàn trình"), headers=bearer(users["manager"])
    )
    assert response.status_code == 201, response.json
    body = response.json
    assert response.headers["Location"].endswith(f"/api/v1/services/{body['id']}")
    assert (body["level"], body["reach"], body["online_since"]) == (4, "full", local_today().isoformat())
    assert body["records"]["total"] == 0


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"level": 5}, "level", "Mức độ phải từ 1 đến 4 (3 = một phần, 4 = toàn trình); đã nhập 5."),
        ({"level": "toàn bộ"}, "level", "Mức độ “toàn bộ” không hợp lệ."),
        ({"level": None}, "level", "Hãy chọn mức độ."),
        ({"code": "1.000656"}, "code", "Đơn vị “Phường Phổ Yên” đã có thủ tục mã 1.000656"),
        ({"code": ""}, "code", "Hãy nhập mã thủ tục"),
        ({"online_since": "2025-02-30"}, "online_since", "Ngày “2025-02-30” không hợp lệ"),
        ({"unit_id": 999999}, "unit_id", "Không có đơn vị nào có id 999999."),
        ({"colour": "red"}, "colour", "Trường “colour” không được hỗ trợ."),
    ],
)
def test_bad_input_is_422_naming_the_field_and_nothing_is_written(client, users, ward, overrides, field, message):
    make_service(ward, "1.000656", 4)
    db.session.commit()
    response = client.post("/api/v1/services", json=new_service(ward, **overrides), headers=bearer(users["manager"]))
    error = assert_error(response, 422, "invalid")
    assert error["fields"][field].startswith(message)
    assert counts() == (1, 0)


def test_members_viewers_and_other_units_may_not_write(client, users, ward, registry):
    for role in ("member", "viewer"):
        assert_error(
            client.post("/api/v1/services", json=new_service(ward, code="9.1"), headers=bearer(users[role])), 403
        )
    manager = bearer(users["manager"])
    assert_error(
        client.post("/api/v1/services", json=new_service(registry["elsewhere"].unit, code="9.1"), headers=manager), 403
    )
    elsewhere = registry["elsewhere"]
    patch = {"version": elsewhere.version, "level": 1}
    assert_error(client.patch(f"/api/v1/services/{elsewhere.id}", json=patch, headers=manager), 403)
    period = {"period_start": "2025-01-01", "period_end": "2025-03-31", "records_total": 1, "records_online": 1}
    assert_error(client.post(f"/api/v1/services/{elsewhere.id}/periods", json=period, headers=manager), 403)
    assert elsewhere.level == 4 and counts() == (4, 2)


def test_raising_a_level_needs_the_version_and_moves_the_live_task(client, users, ward, registry):
    program = factories.create_program(ward)
    task = factories.create_task(program, "Thủ tục toàn trình", source="services_full_online", target=Decimal(2))
    db.session.commit()
    copy = registry["copy"]
    manager = bearer(users["manager"])
    missing = assert_error(client.patch(f"/api/v1/services/{copy.id}", json={"level": 4}, headers=manager), 422)
    assert "version" in missing["fields"]
    opened = copy.version
    response = client.patch(f"/api/v1/services/{copy.id}", json={"version": opened, "level": 4}, headers=manager)
    assert response.status_code == 200, response.json
    assert (response.json["level"], response.json["version"]) == (4, opened + 1)
    assert response.json["online_since"] is None  # already online (một phần) before: since when is not known
    state = progress.evaluate_task(task)
    assert (state.value, state.progress, state.status.value) == (Decimal(2), Decimal(1), "done_on_time")
    system = db.session.scalars(select(TaskUpdate).where(TaskUpdate.task_id == task.id)).all()
    assert [(u.value, u.user_id) for u in system][-1] == (Decimal(2), None)

    stale = client.patch(f"/api/v1/services/{copy.id}", json={"version": opened, "level": 1}, headers=manager)
    error = assert_error(stale, 409, "conflict")
    assert "version" in error["fields"]
    assert copy.level == 4
    moved = {"version": copy.version, "unit_id": registry["elsewhere"].unit_id}
    assert (
        "unit_id"
        in assert_error(client.patch(f"/api/v1/services/{copy.id}", json=moved, headers=manager), 422)["fields"]
    )


def test_periods_are_recorded_and_corrected_with_their_checks(client, users, registry):
    birth = registry["birth"]
    manager = bearer(users["manager"])
    q3 = {"period_start": "2025-07-01", "period_end": "2025-09-30", "records_total": 60, "records_online": 50}
    created = client.post(f"/api/v1/services/{birth.id}/periods", json=q3, headers=manager)
    assert created.status_code == 201, created.json
    period_id = created.json["id"]
    for changes, field in (
        ({"records_online": 61}, "records_online"),
        ({"records_total": -1}, "records_total"),
        ({"period_end": "2025-03-01"}, "period_end"),
        ({"period_start": "2025-06-01"}, "period_start"),  # overlaps the second quarter
        ({"records_total": "60"}, "records_total"),
    ):
        error = assert_error(
            client.post(f"/api/v1/services/{birth.id}/periods", json=q3 | changes, headers=manager), 422
        )
        assert field in error["fields"], (changes, error)
    assert counts()[1] == 3

    version = created.json["version"]
    fixed = client.patch(
        f"/api/v1/service-periods/{period_id}", json={"version": version, "records_online": 55}, headers=manager
    )
    assert fixed.status_code == 200 and fixed.json["records_online"] == 55 and fixed.json["records_total"] == 60
    stale = client.patch(
        f"/api/v1/service-periods/{period_id}", json={"version": version, "records_online": 1}, headers=manager
    )
    assert_error(stale, 409)
    assert db.session.get(ServicePeriod, period_id).records_online == 55


def test_the_report_by_unit(client, users, province, ward, registry):
    admin = bearer(users["admin"])
    body = client.get(f"/api/v1/services/report?unit_id={province.id}", headers=admin).json
    assert body["unit"]["id"] == province.id and (body["start"], body["end"]) == (None, None)
    assert [r["unit_name"] for r in body["rows"]] == ["Phường Ba Hàng", "Phường Phổ Yên"]
    assert body["total"] == {
        "unit_id": None,
        "unit_name": "Tổng cộng",
        "services": 4,
        "full": 2,
        "partial": 1,
        "offline": 1,
        "full_share": 0.5,
        "partial_share": 0.25,
        "online_share": 0.75,
        "records_total": 100,
        "records_online": 80,
        "records_share": 0.8,
    }
    later = client.get(f"/api/v1/services/report?unit_id={province.id}&start=2025-04-01", headers=admin).json
    assert (later["total"]["records_total"], later["total"]["records_online"]) == (60, 50)
    latest = client.get(f"/api/v1/services/report?unit_id={province.id}&start=2025-07-01", headers=admin).json
    assert latest["total"]["records_total"] == 0 and latest["total"]["records_share"] is None
    viewer = bearer(users["viewer"])
    own = client.get("/api/v1/services/report", headers=viewer).json
    assert own["unit"]["id"] == ward.id and len(own["rows"]) == 1
    assert_error(client.get(f"/api/v1/services/report?unit_id={province.id}", headers=viewer), 403)
    bad = assert_error(client.get("/api/v1/services/report?start=2025-13-01&end=x", headers=viewer), 422)
    assert set(bad["fields"]) == {"start", "end"}
    assert "unit_id" in assert_error(client.get("/api/v1/services/report", headers=admin), 422)["fields"]


# --- the declared contract ------------------------------------------------------------------------------------


def test_every_answer_fits_its_declared_schema(client, users, province, ward, registry):
    from tests.test_api_contract import fits

    doc = client.get("/api/v1/openapi.json").json
    manager, admin = bearer(users["manager"]), bearer(users["admin"])
    created = client.post("/api/v1/services", json=new_service(ward, code="9.000001"), headers=manager)
    fits(doc, "ServiceDetail", created.json)
    fits(doc, "Records", created.json["records"])
    assert set(created.json) == set(doc["components"]["schemas"]["ServiceDetail"]["properties"])
    listed = client.get("/api/v1/services", headers=manager).json
    fits(doc, "ServiceList", listed)
    for item in listed["items"]:
        fits(doc, "Service", item)
    birth = registry["birth"]
    fits(doc, "ServiceDetail", client.get(f"/api/v1/services/{birth.id}", headers=manager).json)
    periods = client.get(f"/api/v1/services/{birth.id}/periods", headers=manager).json
    fits(doc, "PeriodList", periods)
    q3 = {"period_start": "2025-07-01", "period_end": "2025-09-30", "records_total": 0, "records_online": 0}
    recorded = client.post(f"/api/v1/services/{birth.id}/periods", json=q3, headers=manager)
    fits(doc, "Period", recorded.json)
    assert recorded.json["online_share"] is None  # no records: no share
    report = client.get(f"/api/v1/services/report?unit_id={province.id}", headers=admin).json
    fits(doc, "ServiceReport", report)
    fits(doc, "Unit", report["unit"])
    for row in [*report["rows"], report["total"]]:
        fits(doc, "ReportRow", row)


def test_the_services_bodies_and_queries_are_declared(client):
    doc = client.get("/api/v1/openapi.json").json
    schemas = doc["components"]["schemas"]
    for name in ("ServiceCreate", "ServicePatch", "PeriodCreate", "PeriodPatch"):
        assert schemas[name]["additionalProperties"] is False, name
    assert schemas["ServiceCreate"]["required"] == ["code", "level", "name", "unit_id"]
    assert schemas["PeriodCreate"]["required"] == ["period_end", "period_start", "records_online", "records_total"]
    assert schemas["ServicePatch"]["required"] == schemas["PeriodPatch"]["required"] == ["version"]
    level = schemas["ServiceCreate"]["properties"]["level"]
    assert level["oneOf"][0] == {"type": "integer", "enum": [1, 2, 3, 4]} and level["oneOf"][1]["type"] == "string"
    report = doc["paths"]["/services/report"]["get"]
    assert [(p["name"], p["schema"].get("format")) for p in report["parameters"]] == [
        ("unit_id", None),
        ("start", "date"),
        ("end", "date"),
    ]
    listed = doc["paths"]["/services"]["get"]
    assert {p["name"]: p["schema"].get("enum") for p in listed["parameters"]}["level"] == [
        "1",
        "2",
        "3",
        "4",
        "online",
        "offline",
        "",  # blank: any level
    ]


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({}, "period_start", "Hãy nhập ngày bắt đầu kỳ (dd/mm/yyyy)."),
        ({"records_total": None}, "records_total", "Hãy nhập tổng số hồ sơ."),
        ({"records_online": None}, "records_online", "Hãy nhập số hồ sơ trực tuyến."),
        ({"period_end": "2025-09-31"}, "period_end", "Ngày “2025-09-31” không hợp lệ"),
        ({"records_online": 1.5}, "records_online", "Trường “records_online” phải là số nguyên."),
    ],
)
def test_a_period_names_its_missing_or_bad_field(client, users, registry, body, field, message):
    q3 = {"period_start": "2025-07-01", "period_end": "2025-09-30", "records_total": 60, "records_online": 50}
    sent = {key: value for key, value in (q3 | body).items() if body or key != "period_start"}
    url = f"/api/v1/services/{registry['birth'].id}/periods"
    error = assert_error(client.post(url, json=sent, headers=bearer(users["manager"])), 422)
    assert error["fields"][field].startswith(message)
    assert counts()[1] == 2


def test_the_level_is_read_as_a_number_or_the_portals_words(client, users, ward, registry):
    manager = bearer(users["manager"])
    copy = registry["copy"]
    for level, expected in (("Một phần", 3), ("mức độ 2", 2), (4, 4)):
        response = client.patch(
            f"/api/v1/services/{copy.id}", json={"version": copy.version, "level": level}, headers=manager
        )
        assert (response.status_code, response.json["level"]) == (200, expected), response.json
    for level in (True, 4.0, ["4"], ""):
        error = assert_error(
            client.patch(
                f"/api/v1/services/{copy.id}", json={"version": copy.version, "level": level}, headers=manager
            ),
            422,
        )
        assert error["fields"]["level"].startswith(("Mức độ", "Hãy chọn mức độ")), level
    assert copy.level == 4


def test_the_reports_days_must_be_in_order(client, users, province):
    admin = bearer(users["admin"])
    error = assert_error(
        client.get(f"/api/v1/services/report?unit_id={province.id}&start=2025-06-01&end=2025-03-31", headers=admin),
        422,
    )
    assert error["fields"] == {"end": "Ngày cuối phải từ ngày đầu trở đi."}
    unknown = assert_error(client.get("/api/v1/services/report?unit_id=999999", headers=admin), 422)
    assert unknown["fields"] == {"unit_id": "Không có đơn vị nào có id 999999."}
