"""GET /api/v1/units/{id}/summary carries every figure the unit's dashboard shows (DESIGN §9, issue 13 part 6): the
figures explained, the ranking of subordinates with their programs and registries, the registry panels and the task
lists, each declared in the OpenAPI document (tests/conftest.py checks every answer against it)."""

from datetime import timedelta
from decimal import Decimal

from sqlalchemy import event

from tests import factories
from tests.test_api import assert_error, bearer
from tests.test_dashboards import grow
from tests.test_province_picture import picture, ranking  # noqa: F401 (the fixture)
from tracker.db import local_today
from tracker.extensions import db
from tracker.programs.models import TaskCategory


def summary_of(client, unit, user) -> dict:
    response = client.get(f"/api/v1/units/{unit.id}/summary", headers=bearer(user))
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.json


def test_the_ranking_carries_each_subordinates_programs_and_registries(client, auth, users, picture):  # noqa: F811
    summary = summary_of(client, picture["province"], users["admin"])
    ward, other, quiet = (picture[k].id for k in ("ward", "other", "quiet"))
    children = {child["id"]: child for child in summary["children"]}
    assert [child["id"] for child in summary["children"]] == [other, ward, quiet]  # as the dashboard ranks them
    assert [child["rank"] for child in summary["children"]] == [1, 2, 3]

    row = children[ward]
    assert (row["name"], row["kind"], row["code"], row["programs"], row["overdue"]) == (
        "Phường Phổ Yên",
        "ward",
        "05860",
        2,
        3,
    )
    assert row["completion"] == float(Decimal(1) / Decimal(3))
    assert row["overall"] == float((Decimal("1.3") / 3 + Decimal("0.5")) / 2)
    assert row["qr_points"] == {"registered": 2, "printed": 2, "active": 1}
    assert row["online_services"] == {"full": 1, "partial": 1, "offline": 0}
    assert row["board_staffing"] == {"boards": 2, "current": 6, "target": 8}
    assert "= 1 ÷ 3" in row["figures"]["completion"]["formula"]
    assert [i["label"] for i in row["figures"]["overall"]["items"]] == [
        "Phường Phổ Yên (chương trình của đơn vị)",
        "Tổ dân phố số 1",
    ]

    nothing = children[quiet]
    assert (nothing["overall"], nothing["completion"], nothing["overdue"], nothing["programs"]) == (None, None, None, 0)
    assert nothing["figures"] == {"overall": None, "completion": None}
    assert children[other]["online_services"] == {"full": 0, "partial": 0, "offline": 1}

    # The same figures as the dashboard's ranking, row for row.
    login_page = auth.login("admin")
    assert login_page.status_code == 302
    page = ranking(client.get(f"/?unit_id={picture['province'].id}")).rows
    assert list(page) == [child["id"] for child in summary["children"]]
    for child in summary["children"]:
        shown = page[child["id"]]
        assert shown["qr_registered"] == str(child["qr_points"]["registered"])
        assert shown["services_partial"] == str(child["online_services"]["partial"])


def test_the_registry_panels_and_the_lists(client, users, picture):  # noqa: F811
    summary = summary_of(client, picture["province"], users["admin"])
    assert summary["qr_points"]["total"] == {"registered": 5, "printed": 2, "active": 2}
    kinds = {
        k["kind"]: (k["label"], k["registered"], k["printed"], k["active"]) for k in summary["qr_points"]["by_kind"]
    }
    assert kinds == {
        "agency": ("Cơ quan", 3, 1, 2),
        "school": ("Trường học", 1, 1, 0),
        "market": ("Chợ", 1, 0, 0),
    }
    assert summary["qr_points"]["by_kind"][0]["kind"] == "agency"  # the largest first

    services = summary["online_services"]
    assert (services["full"], services["partial"], services["offline"], services["total"]) == (1, 1, 1, 3)
    assert "= 2 ÷ 3" in services["share"]["formula"]
    assert services["records"] is None and services["records_from"] is None

    boards = summary["board_staffing"]
    assert (boards["complete"], boards["current"], boards["target"]) == (1, 6, 8)
    assert [(b["name"], b["current"], b["target"], b["complete"]) for b in boards["boards"]] == [
        ("Ban chỉ đạo phường", 3, 5, False),
        ("Tổ công nghệ số", 3, 3, True),
    ]
    assert boards["boards"][1]["unit_id"] == picture["group"].id and boards["boards"][1]["kind"] == "steering_board"

    lists = summary["lists"]
    assert set(lists) == {"overdue", "due_soon", "at_risk", "stale", "indicators"}
    overdue = lists["overdue"]
    assert [t["title"] for t in overdue] == ["Quá hạn 1", "Quá hạn 2", "Con quá hạn"]  # the earliest deadline first
    first = overdue[0]
    assert first["status"] == "overdue" and first["unit_id"] == picture["ward"].id
    assert (first["value"], first["target"], first["progress"]) == ("20", "100", 0.2)
    assert first["deadline"] == (local_today() - timedelta(days=3)).isoformat()
    assert overdue[1]["unit_id"] == picture["group"].id
    assert summary["counts"]["overdue"] == len(overdue) == 3


def test_indicators_and_a_rolled_up_task_in_the_lists(client, users, ward):
    today = local_today()
    program = factories.create_program(ward, "Kế hoạch")
    parent = factories.create_task(
        program, "Tạo điểm QR", category=TaskCategory.INDICATOR, target=Decimal(600), deadline=today - timedelta(days=1)
    )
    child = factories.create_task(program, "Điểm QR trường học", parent=parent, target=Decimal(40))
    factories.create_task_update(child, users["admin"], "10")
    db.session.commit()
    summary = summary_of(client, ward, users["viewer"])
    (indicator,) = summary["lists"]["indicators"]
    assert indicator["id"] == parent.id and indicator["rolled_up"] is True
    assert (indicator["target"], indicator["value"], indicator["progress"]) == (None, None, 0.25)
    assert [t["id"] for t in summary["lists"]["overdue"]] == [parent.id]
    assert summary["children"] == []  # a ward without subordinates


def test_the_document_declares_every_part(client):
    components = client.get("/api/v1/openapi.json").json["components"]["schemas"]
    summary = components["UnitSummary"]
    for key in ("children", "qr_points", "online_services", "board_staffing", "lists", "counts", "ended_programs"):
        assert key in summary["properties"] and key in summary["required"], key
    task = components["SummaryTask"]["properties"]
    for key in ("id", "title", "program_id", "deadline", "status", "progress", "value", "target"):
        assert key in task, key
    unit = components["SummaryUnit"]["properties"]
    for key in ("overall", "completion", "overdue", "qr_points", "online_services", "board_staffing", "figures"):
        assert key in unit, key
    services = components["SummaryServices"]["properties"]
    assert {"full", "partial", "offline", "share", "records", "records_from", "records_to"} <= set(services)


def test_scope_and_unknown_units(client, users, province, ward):
    assert_error(client.get(f"/api/v1/units/{province.id}/summary", headers=bearer(users["viewer"])), 403)
    assert_error(client.get("/api/v1/units/424242/summary", headers=bearer(users["admin"])), 404)
    assert_error(client.get(f"/api/v1/units/{ward.id}/summary"), 401)


def test_the_summary_is_a_fixed_number_of_statements(client, users, province):
    headers = bearer(users["admin"])

    def statements() -> int:
        seen = []
        listener = lambda *args: seen.append(args[2])  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            assert client.get(f"/api/v1/units/{province.id}/summary", headers=headers).status_code == 200
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        return len(seen)

    grow(province, range(1, 2))
    client.get(f"/api/v1/units/{province.id}/summary", headers=headers)
    few = statements()
    grow(province, range(2, 5))
    client.get(f"/api/v1/units/{province.id}/summary", headers=headers)
    assert statements() == few
