"""/api/v1 period reports (DESIGN §9, issue 13 part 7): a manager drafts, edits and submits; the level above reads
the reporting rates and the consolidated figures and returns a report with a reason; every refusal in the JSON
error shape with nothing written."""

import io
from datetime import UTC, date, datetime
from decimal import Decimal

import docx
import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from tests import factories
from tests.test_api import assert_error, bearer
from tracker.api.fields import Echo
from tracker.api.reports_schemas import SECTION_NAMES, ReportPatch
from tracker.audit import AuditEvent
from tracker.downloads import XLSX_MIMETYPE
from tracker.extensions import db
from tracker.programs.models import TaskCategory
from tracker.reports import services
from tracker.reports.models import SECTIONS, Report, ReportState

Q3 = "2026-Q3"  # data 15/06 → 14/09/2026, due 18/09/2026


def _at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 3, tzinfo=UTC)


@pytest.fixture
def today(monkeypatch):
    """The reports' clock: a day set by the test (16/09/2026 by default: Q3's data is cut off, its report not due)."""

    def set_to(day: date) -> None:
        monkeypatch.setattr(services, "local_today", lambda: day)
        monkeypatch.setattr(services, "utcnow", lambda: _at(day))

    set_to(date(2026, 9, 16))
    return set_to


@pytest.fixture
def other_ward(app, province):
    return factories.create_unit("Phường Ba Hàng", "ward", parent=province, code="05862")


@pytest.fixture
def above(app, province):
    """A manager of the province: the level above the ward."""
    user = factories.create_user("tinh", "manager", province, full_name="Nguyễn Văn Tỉnh")
    db.session.commit()
    return user


@pytest.fixture
def plan(app, ward, users):
    """The ward's 2026 program: an indicator at 80 of 100 by the cut-off (90 after it), a milestone done on time."""
    program = factories.create_program(ward, "Kế hoạch chuyển đổi số năm 2026", starts_on=date(2026, 1, 1))
    wallets = factories.create_task(
        program, "Hộ dùng ví điện tử", measure_kind="count", target=Decimal(100), deadline=date(2026, 12, 31),
        category=TaskCategory.INDICATOR, unit_label="hộ",
    )  # fmt: skip
    portal = factories.create_task(program, "Trang tin điện tử", measure_kind="milestone", deadline=date(2026, 8, 31))
    factories.create_task_update(wallets, users["manager"], "80", at=_at(date(2026, 9, 1)))
    factories.create_task_update(wallets, users["manager"], "90", at=_at(date(2026, 9, 20)))
    factories.create_task_update(portal, users["manager"], "1", at=_at(date(2026, 8, 1)))
    db.session.commit()
    return {"program": program, "wallets": wallets, "portal": portal}


def reports() -> int:
    return db.session.scalar(select(func.count(Report.id)))


def draft(unit, period: str = Q3, **text) -> Report:
    report = services.create_report(unit.id, period)
    if text:
        services.update_report(report, text)
    db.session.commit()
    return report


def submitted(unit, user, period: str = Q3, day: date = date(2026, 9, 16)) -> Report:
    report = services.create_report(unit.id, period)
    services.submit(report, user, today=day)
    report.submitted_at = _at(day)
    db.session.commit()
    return report


# --- the ward's manager: draft, edit, submit ------------------------------------------------------------------


def test_a_manager_drafts_writes_and_submits(client, users, ward, plan, today):
    headers = bearer(users["manager"])
    response = client.post(f"/api/v1/units/{ward.id}/reports", json={"period": "2026-q3"}, headers=headers)
    assert response.status_code == 201, response.json
    report = response.json
    assert response.headers["Location"] == f"/api/v1/reports/{report['id']}"
    assert (report["period"], report["period_label"], report["revision"], report["state"]) == (
        "2026-Q3", "quý III năm 2026", 1, "draft",
    )  # fmt: skip
    days = ("2026-09-18", "2026-06-15", "2026-09-14")
    assert (report["due_on"], report["cutoff_start"], report["cutoff_end"]) == days
    assert (report["unit_name"], report["frozen"], report["deltas"], report["revisions"]) == (
        "Phường Phổ Yên", False, None, [],
    )  # fmt: skip
    assert report["issuer"] == "BAN CHỈ ĐẠO CHUYỂN ĐỔI SỐ PHƯỜNG PHỔ YÊN" and "Thái Nguyên" in report["recipients"]
    figures = report["figures"]
    assert (figures["as_of"], figures["unit_id"], figures["period"]) == ("2026-09-14", ward.id, "2026-Q3")
    assert figures["targets"] == [
        {"task_id": plan["wallets"].id, "title": "Hộ dùng ví điện tử", "unit_label": "hộ", "target": "100",
         "value": "80", "achievement": 0.8, "status": figures["targets"][0]["status"]},
    ]  # fmt: skip
    assert (figures["split"]["total"], figures["split"]["done_on_time"], figures["split"]["due_share"]) == (2, 1, 1.0)
    program = {"id": plan["program"].id, "title": "Kế hoạch chuyển đổi số năm 2026", "progress": 0.9}
    assert figures["programs"] == [program]
    assert set(figures["registries"]) >= {"qr_registered", "services_full", "records_share", "board_target"}

    url = f"/api/v1/reports/{report['id']}"
    text = {"achievements": "Đã triển khai ví điện tử cho 80 hộ.", "number": "12/BC-BCĐ", "proposals": None}
    response = client.patch(url, json={**text, "version": report["version"]}, headers=headers)
    assert response.status_code == 200, response.json
    assert (response.json["achievements"], response.json["number"], response.json["proposals"]) == (
        "Đã triển khai ví điện tử cho 80 hộ.", "12/BC-BCĐ", "",
    )  # fmt: skip
    assert response.json["version"] == report["version"] + 1

    stale = client.patch(url, json={"causes": "Ghi đè", "version": report["version"]}, headers=headers)
    assert assert_error(stale, 409, "conflict")["fields"].keys() == {"version"}
    assert db.session.get(Report, report["id"]).causes == ""

    response = client.post(f"{url}/submit", headers=headers)  # the body may be left out
    assert response.status_code == 200, response.json
    done = response.json
    assert (done["state"], done["frozen"], done["submitted_by"], done["submitted_at"][:10]) == (
        "submitted", True, "Manager", "2026-09-16",
    )  # fmt: skip
    assert done["figures"]["targets"][0]["value"] == "80" and done["achievements"] == text["achievements"]
    assert "submit" in db.session.scalars(select(AuditEvent.action).where(AuditEvent.entity == "reports")).all()

    listed = client.get(f"/api/v1/units/{ward.id}/reports", headers=bearer(users["viewer"])).json
    assert listed["total"] == 1 and listed["page"] == 1
    item = listed["items"][0]
    assert {k: item[k] for k in ("id", "period", "revision", "state", "due_on", "submitted_by")} == {
        "id": report["id"], "period": "2026-Q3", "revision": 1, "state": "submitted", "due_on": "2026-09-18",
        "submitted_by": "Manager",
    }  # fmt: skip


def test_a_submitted_report_keeps_its_figures_and_compares_with_the_period_before(client, users, ward, plan, today):
    factories.create_task_update(plan["wallets"], users["manager"], "50.5", at=_at(date(2026, 6, 1)))
    submitted(ward, users["manager"], "2026-Q2", date(2026, 6, 16))
    report = submitted(ward, users["manager"])
    factories.create_task_update(plan["wallets"], users["manager"], "5", at=_at(date(2026, 9, 2)))
    db.session.commit()
    body = client.get(f"/api/v1/reports/{report.id}", headers=bearer(users["member"])).json
    assert body["figures"]["targets"][0]["value"] == "80"  # a later update of the quarter's days changes nothing
    deltas = body["deltas"]
    assert deltas["targets"] == [{"task_id": plan["wallets"].id, "change": "29.5"}]
    assert (deltas["split"]["done_on_time"], deltas["split"]["in_progress"]) == (1, -1)  # the portal, done in Q3
    assert set(deltas["registries"]) == set(body["figures"]["registries"]) - {"services_total", "records_share"}
    assert isinstance(deltas["progress"], float)
    draft_q4 = client.post(f"/api/v1/units/{ward.id}/reports", json={"period": "2026-Q4"},
                           headers=bearer(users["manager"])).json  # fmt: skip
    assert draft_q4["deltas"]["split"]["total"] == 0  # against Q3's submitted report


def test_the_level_above_returns_a_report_and_a_new_revision_opens(client, users, ward, plan, above, today):
    report = submitted(ward, users["manager"])
    response = client.post(f"/api/v1/reports/{report.id}/return", json={"reason": "Thiếu số liệu điểm QR"},
                           headers=bearer(above))  # fmt: skip
    assert response.status_code == 201, response.json
    new = response.json
    assert response.headers["Location"] == f"/api/v1/reports/{new['id']}"
    assert (new["revision"], new["state"], new["frozen"]) == (2, "draft", False)
    assert new["revisions"] == [{"id": report.id, "revision": 1, "state": "returned"}]
    old = client.get(f"/api/v1/reports/{report.id}", headers=bearer(users["viewer"])).json
    assert (old["state"], old["return_reason"], old["returned_by"], old["frozen"]) == (
        "returned", "Thiếu số liệu điểm QR", "Nguyễn Văn Tỉnh", True,
    )  # fmt: skip
    assert old["revisions"] == [{"id": new["id"], "revision": 2, "state": "draft"}]
    listed = client.get(f"/api/v1/units/{ward.id}/reports", headers=bearer(users["viewer"])).json["items"]
    assert [(item["id"], item["revision"]) for item in listed] == [(new["id"], 2)]

    response = client.post(f"/api/v1/reports/{new['id']}/submit", json={"version": new["version"]},
                           headers=bearer(users["manager"]))  # fmt: skip
    assert (response.status_code, response.json["state"], response.json["revision"]) == (200, "submitted", 2)


def test_an_admin_may_return_too(client, users, ward, plan, today):
    report = submitted(ward, users["manager"])
    response = client.post(f"/api/v1/reports/{report.id}/return", json={"reason": "Bổ sung"},
                           headers=bearer(users["admin"]))  # fmt: skip
    assert response.status_code == 201 and response.json["revision"] == 2


# --- the level above: reporting rates and the consolidated figures ---------------------------------------------


def test_the_province_sees_who_reported_on_time_and_who_is_missing(client, users, province, ward, other_ward, plan,
                                                                    above, today):  # fmt: skip
    report = submitted(ward, users["manager"])
    response = client.get(f"/api/v1/units/{province.id}/reporting?period=2026-Q3", headers=bearer(above))
    assert response.status_code == 200, response.json
    body = response.json
    assert (body["unit_id"], body["period"], body["period_label"]) == (province.id, "2026-Q3", "quý III năm 2026")
    assert (body["expected"], body["submitted"], body["on_time"]) == (2, 1, 1)
    assert body["rates"] == {"submitted": 0.5, "on_time": 0.5}
    assert body["missing"] == [{"unit_id": other_ward.id, "name": "Phường Ba Hàng", "due_on": "2026-09-18"}]
    rows = {row["unit_id"]: row for row in body["rows"]}
    assert {k: rows[ward.id][k] for k in ("report_id", "state", "submitted_report_id", "submitted_on", "on_time")} == {
        "report_id": report.id, "state": "submitted", "submitted_report_id": report.id, "submitted_on": "2026-09-16",
        "on_time": True,
    }  # fmt: skip
    assert rows[ward.id]["figures"]["targets"][0]["value"] == "80"
    assert (rows[other_ward.id]["figures"], rows[other_ward.id]["report_id"], rows[other_ward.id]["on_time"]) == (
        None, None, False,
    )  # fmt: skip
    assert body["totals"]["split"] == rows[ward.id]["figures"]["split"]
    assert body["totals"]["registries"] == rows[ward.id]["figures"]["registries"]


def test_a_late_report_and_a_draft_are_not_on_time(client, users, province, ward, other_ward, plan, above, today):
    submitted(ward, users["manager"], day=date(2026, 9, 25))
    draft(other_ward)
    body = client.get(f"/api/v1/units/{province.id}/reporting?period=2026-Q3", headers=bearer(above)).json
    assert (body["expected"], body["submitted"], body["on_time"], body["rates"]["on_time"]) == (2, 1, 0, 0.0)
    rows = {row["unit_id"]: row for row in body["rows"]}
    assert (rows[other_ward.id]["state"], rows[other_ward.id]["submitted_report_id"]) == ("draft", None)
    assert [m["unit_id"] for m in body["missing"]] == [other_ward.id]


def test_reporting_needs_a_period(client, users, province, ward, above):
    for query in ("", "?period=", "?period=%C2%84"):  # a control character is dropped from a query, leaving nothing
        error = assert_error(client.get(f"/api/v1/units/{province.id}/reporting{query}", headers=bearer(above)), 422)
        assert error["fields"] == {"period": "Hãy chọn kỳ báo cáo (period), ví dụ 2026-Q3."}
    body = client.get(f"/api/v1/units/{ward.id}/reporting?period=2026", headers=bearer(users["viewer"])).json
    assert (body["expected"], body["rates"]) == (0, {"submitted": None, "on_time": None})


# --- bad input: a 4xx naming the field, nothing written ---------------------------------------------------------


@pytest.mark.parametrize("key", ["2026-Q5", "2026-M13", "Q3", "2026-Q3 ", "", 2026, None])
def test_a_malformed_period_is_refused_naming_it(client, users, ward, key):
    headers = bearer(users["manager"])
    error = assert_error(client.post(f"/api/v1/units/{ward.id}/reports", json={"period": key}, headers=headers), 422)
    assert list(error["fields"]) == ["period"]
    assert reports() == 0
    if key in ("2026-Q5", "2026-M13", "Q3"):  # a query is trimmed: "2026-Q3 " is read as 2026-Q3 there
        error = assert_error(client.get(f"/api/v1/units/{ward.id}/reporting?period={key}", headers=headers), 422)
        assert list(error["fields"]) == ["period"]


def test_the_period_message_says_what_is_wrong(client, users, ward):
    headers = bearer(users["manager"])
    response = client.post(f"/api/v1/units/{ward.id}/reports", json={"period": "2026-Q5"}, headers=headers)
    error = assert_error(response, 422, "invalid")
    assert error["fields"]["period"] == "Kỳ báo cáo “2026-Q5” không có: Quý chỉ từ 1 đến 4."
    error = assert_error(client.post(f"/api/v1/units/{ward.id}/reports", json={}, headers=headers), 422)
    assert error["fields"] == {"period": "Hãy chọn kỳ báo cáo (period), ví dụ 2026-Q3."}


def test_a_second_report_for_the_same_period_is_refused(client, users, ward, today):
    draft(ward)
    headers = bearer(users["manager"])
    error = assert_error(client.post(f"/api/v1/units/{ward.id}/reports", json={"period": Q3}, headers=headers), 422)
    assert list(error["fields"]) == ["period"] and "đã có báo cáo" in error["message"]
    assert reports() == 1


def test_submission_waits_for_the_cutoff_end(client, users, ward, plan, today):
    today(date(2026, 9, 14))
    report = draft(ward, achievements="Dự thảo")
    error = assert_error(client.post(f"/api/v1/reports/{report.id}/submit", headers=bearer(users["manager"])), 422)
    assert list(error["fields"]) == ["period"] and "14/09/2026" in error["message"]
    report = db.session.get(Report, report.id)
    assert (report.state, report.figures, report.submitted_at, report.version) == (ReportState.DRAFT, None, None, 2)


def test_out_of_scope_is_403_and_unknown_is_404(client, users, ward, other_ward, today):
    foreign = draft(other_ward)
    headers = bearer(users["manager"])
    for response in (
        client.post(f"/api/v1/reports/{foreign.id}/submit", headers=headers),
        client.patch(f"/api/v1/reports/{foreign.id}", json={"achievements": "x"}, headers=headers),
        client.get(f"/api/v1/reports/{foreign.id}", headers=headers),
        client.post(f"/api/v1/units/{other_ward.id}/reports", json={"period": "2026-Q2"}, headers=headers),
        client.get(f"/api/v1/units/{other_ward.id}/reports", headers=headers),
        client.get(f"/api/v1/units/{other_ward.id}/reporting?period={Q3}", headers=headers),
    ):
        assert_error(response, 403, "forbidden")
    foreign = db.session.get(Report, foreign.id)
    assert (foreign.state, foreign.achievements, reports()) == (ReportState.DRAFT, "", 1)
    for response in (
        client.get("/api/v1/reports/99999", headers=headers),
        client.post("/api/v1/reports/99999/submit", headers=headers),
        client.get("/api/v1/units/99999/reports", headers=headers),
        client.post("/api/v1/units/99999/reports", json={"period": Q3}, headers=headers),
    ):
        assert_error(response, 404, "not_found")
    assert reports() == 1


@pytest.mark.parametrize("role", ["member", "viewer"])
def test_members_and_viewers_read_but_do_not_write(client, users, ward, role, today):
    report = draft(ward)
    headers = bearer(users[role])
    assert client.get(f"/api/v1/reports/{report.id}", headers=headers).status_code == 200
    for response in (
        client.post(f"/api/v1/units/{ward.id}/reports", json={"period": "2026-Q2"}, headers=headers),
        client.patch(f"/api/v1/reports/{report.id}", json={"achievements": "x"}, headers=headers),
        client.post(f"/api/v1/reports/{report.id}/submit", headers=headers),
        client.post(f"/api/v1/reports/{report.id}/return", json={"reason": "x"}, headers=headers),
    ):
        assert_error(response, 403, "forbidden")
    assert (reports(), db.session.get(Report, report.id).state) == (1, ReportState.DRAFT)


@pytest.mark.parametrize("reason", [None, "", "   "])
def test_returning_without_a_reason_is_refused(client, users, ward, above, today, reason):
    report = submitted(ward, users["manager"])
    body = {} if reason is None else {"reason": reason}
    error = assert_error(client.post(f"/api/v1/reports/{report.id}/return", json=body, headers=bearer(above)), 422)
    assert list(error["fields"]) == ["reason"]
    assert (reports(), db.session.get(Report, report.id).state) == (1, ReportState.SUBMITTED)


def test_only_the_level_above_returns(client, users, ward, other_ward, above, today):
    report = submitted(ward, users["manager"])
    sibling = factories.create_user("bahang", "manager", other_ward)
    db.session.commit()
    for user in (users["manager"], sibling):  # its own unit, a unit beside it: neither is above
        response = client.post(f"/api/v1/reports/{report.id}/return", json={"reason": "x"}, headers=bearer(user))
        assert_error(response, 403, "forbidden")
    assert (reports(), db.session.get(Report, report.id).state) == (1, ReportState.SUBMITTED)
    open_one = draft(other_ward, "2026-Q2")
    error = assert_error(client.post(f"/api/v1/reports/{open_one.id}/return", json={"reason": "x"},
                                     headers=bearer(above)), 422)  # fmt: skip
    assert list(error["fields"]) == ["state"]
    assert reports() == 2


def test_a_submitted_report_is_not_edited(client, users, ward, today):
    report = submitted(ward, users["manager"])
    headers = bearer(users["manager"])
    response = client.patch(f"/api/v1/reports/{report.id}", json={"achievements": "Sửa"}, headers=headers)
    error = assert_error(response, 422, "invalid")
    assert list(error["fields"]) == ["state"]
    error = assert_error(client.post(f"/api/v1/reports/{report.id}/submit", headers=headers), 422)
    assert list(error["fields"]) == ["state"]
    report = db.session.get(Report, report.id)
    assert (report.achievements, report.state) == ("", ReportState.SUBMITTED)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"title": "Báo cáo"}, "title"),
        ({"achievements": 12}, "achievements"),
        ({"number": "12/BC\n-BCĐ"}, "number"),
        ({"signer_name": "x" * 201}, "signer_name"),
        ({"version": "1"}, "version"),
    ],
)
def test_bad_edits_are_refused_naming_the_field(client, users, ward, today, body, field):
    report = draft(ward)
    headers = bearer(users["manager"])
    error = assert_error(client.patch(f"/api/v1/reports/{report.id}", json=body, headers=headers), 422, "invalid")
    assert list(error["fields"]) == [field]
    report = db.session.get(Report, report.id)
    assert (report.version, report.number, report.achievements, report.signer_name) == (1, "", "", "")


def test_unknown_fields_are_refused_on_every_write(client, users, ward, above, today):
    headers = bearer(users["manager"])
    error = assert_error(client.post(f"/api/v1/units/{ward.id}/reports", json={"period": Q3, "unit": 1},
                                     headers=headers), 422)  # fmt: skip
    assert list(error["fields"]) == ["unit"] and reports() == 0
    report = draft(ward)
    error = assert_error(client.post(f"/api/v1/reports/{report.id}/submit", json={"now": True}, headers=headers), 422)
    assert list(error["fields"]) == ["now"]
    assert db.session.get(Report, report.id).state == ReportState.DRAFT


def test_the_edit_body_is_the_services_editable_fields():
    sent = {name for name, field in ReportPatch._declared_fields.items() if not isinstance(field, Echo)}
    assert sent == {*services.EDITABLE, "version"}
    assert list(SECTION_NAMES) == [name for name, _label in SECTIONS]


# --- documents ----------------------------------------------------------------------------------------------------


def test_the_report_as_documents(client, users, ward, other_ward, plan, today):
    report = submitted(ward, users["manager"])
    response = client.get(f"/api/v1/reports/{report.id}/document.docx", headers=bearer(users["viewer"]))
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert response.headers["Cache-Control"] == "private, no-store"
    text = "\n".join(p.text for p in docx.Document(io.BytesIO(response.data)).paragraphs)
    assert "BÁO CÁO" in text
    pdf = client.get(f"/api/v1/reports/{report.id}/document.pdf", headers=bearer(users["viewer"]))
    assert (pdf.status_code, pdf.mimetype, pdf.data[:5]) == (200, "application/pdf", b"%PDF-")
    sheets = client.get(f"/api/v1/reports/{report.id}/document.xlsx", headers=bearer(users["viewer"]))
    assert sheets.status_code == 200 and sheets.mimetype == XLSX_MIMETYPE
    assert load_workbook(io.BytesIO(sheets.data)).sheetnames
    foreign = draft(other_ward)
    assert_error(client.get(f"/api/v1/reports/{foreign.id}/document.docx", headers=bearer(users["viewer"])), 403)
    assert_error(client.get("/api/v1/reports/99999/document.docx", headers=bearer(users["viewer"])), 404)
    assert_error(client.get(f"/api/v1/reports/{report.id}/document.doc", headers=bearer(users["viewer"])), 404)
