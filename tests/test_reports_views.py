"""The period reports' screens (issue 13 part 9): a unit's reports and schedule, the editor (figures beside the
narrative, save, submit, revisions, return), the level above's reporting page; every bad input refused in Vietnamese
with a 4xx, naming its field, writing nothing; who may read, write, submit and return."""

import html
import re
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from tests import factories
from tests.test_export import statement_count
from tests.test_sites_views import field_error, text
from tests.test_translations import vietnamese_left
from tracker.db import local_today
from tracker.extensions import db
from tracker.programs.models import TaskCategory
from tracker.reports import periods, services
from tracker.reports.models import Report, ReportSchedule, ReportState

Q3 = "2026-Q3"  # data 15/06 → 14/09/2026, due 18/09/2026
FUTURE = "2030-Q1"  # its data is not cut off before 15/03/2030: a draft, never a submission


def _at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 3, tzinfo=UTC)


@pytest.fixture
def plan(app, ward, users):
    """The ward's 2026 program: an indicator at 80 of 100 by Q3's cut-off, a milestone done on time."""
    program = factories.create_program(ward, "Kế hoạch chuyển đổi số năm 2026", starts_on=date(2026, 1, 1))
    wallets = factories.create_task(
        program, "Hộ dùng ví điện tử", measure_kind="count", target=Decimal(100), deadline=date(2026, 12, 31),
        category=TaskCategory.INDICATOR, unit_label="hộ",
    )  # fmt: skip
    portal = factories.create_task(program, "Trang tin điện tử", measure_kind="milestone", deadline=date(2026, 8, 31))
    factories.create_task_update(wallets, users["manager"], "80", at=_at(date(2026, 9, 1)))
    factories.create_task_update(portal, users["manager"], "1", at=_at(date(2026, 8, 1)))
    db.session.commit()
    return program


@pytest.fixture
def above(app, province):
    """A manager and a viewer of the province: the level above the ward."""
    made = {"manager": factories.create_user("tinh", "manager", province), "viewer": factories.create_user(
        "tinh-xem", "viewer", province)}  # fmt: skip
    db.session.commit()
    return made


def count() -> int:
    return db.session.scalar(select(func.count(Report.id)))


def draft(ward, key=Q3) -> Report:
    report = services.create_report(ward.id, key)
    db.session.commit()
    return report


def submitted(ward, key=Q3, on: date = date(2026, 9, 16)) -> Report:
    report = services.create_report(ward.id, key)
    services.update_report(report, {"achievements": "Đã triển khai ví điện tử cho 80 hộ."})
    services.submit(report, None, today=on)
    report.submitted_at = _at(on)
    db.session.commit()
    return report


def page_text(page) -> str:
    """The page's text, tags dropped, whitespace collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", text(page))).split())


def report_form(report: Report, **fields) -> dict:
    values = {name: getattr(report, name) for name in services.EDITABLE}
    return values | {"version": report.version} | fields


# --- a unit's reports --------------------------------------------------------------------------------------


def test_the_unit_list_shows_its_reports_the_periods_due_and_its_schedule(client, auth, users, ward, plan):
    report = submitted(ward, "2026-Q2", on=date(2026, 6, 16))
    auth.login("manager")
    page = client.get(f"/units/{ward.id}/reports")
    assert page.status_code == 200
    body = text(page)
    row = re.search(r'<tr data-testid="report-row" data-period="2026-Q2".*?</tr>', body, re.S).group(0)
    assert f"/reports/{report.id}" in row and "Quý II năm 2026" in row and 'data-state="submitted"' in row
    assert "18/06/2026" in row  # its due date by the default schedule
    due = services.schedule_for(ward.id)
    for period in periods.latest_ended(local_today(), due.kinds):  # due now, none started: "Lập báo cáo"
        assert f'data-testid="draft-{period.key}"' in body
    assert "Quý, 6 tháng, Năm" in page_text(page) and "ngày 18 tháng cuối kỳ" in page_text(page)
    assert 'data-testid="schedule-form"' in body and 'data-testid="report-create"' in body

    auth.logout()
    auth.login("viewer")  # reads, writes nothing
    body = text(client.get(f"/units/{ward.id}/reports"))
    assert f"/reports/{report.id}" in body
    assert "Lập báo cáo" not in body and "schedule-form" not in body and "report-create" not in body


def test_the_menu_leads_to_the_users_unit_reports(client, auth, users, ward):
    auth.login("viewer")
    assert "Báo cáo định kỳ" in text(client.get(f"/units/{ward.id}/reports"))
    assert client.get("/reports/").headers["Location"].endswith(f"/units/{ward.id}/reports")
    auth.logout()
    auth.login("admin")  # no unit of their own: picks a province
    page = client.get("/reports/")
    assert page.status_code == 200 and "Thái Nguyên" in text(page)


def test_a_manager_drafts_writes_and_submits(client, auth, users, ward, plan):
    auth.login("manager")
    created = client.post(f"/units/{ward.id}/reports", data={"period": "2026-q3"})
    assert created.status_code == 302
    report = db.session.scalars(select(Report)).one()
    assert created.headers["Location"].endswith(f"/reports/{report.id}")

    page = client.get(f"/reports/{report.id}")
    body = text(page)
    assert page.status_code == 200 and 'data-testid="report-form"' in body
    tasks = re.search(r'data-testid="table-tasks".*?</table>', body, re.S).group(0)
    assert re.search(r'data-row="total">.*?<td class="num">2</td>', tasks, re.S)
    targets = re.search(r'data-testid="table-targets".*?</table>', body, re.S).group(0)
    assert "Hộ dùng ví điện tử" in targets and "80%" in targets
    assert 'data-testid="table-registries"' in body and "Kết quả đạt được" in body
    assert "/document.docx" in body

    saved = client.post(f"/reports/{report.id}", data=report_form(report, achievements="Ví điện tử: 80 hộ."))
    assert saved.status_code == 302
    db.session.refresh(report)
    assert report.achievements == "Ví điện tử: 80 hộ." and report.state == ReportState.DRAFT

    done = client.post(f"/reports/{report.id}/submit", data=report_form(report, causes="Người dân chủ động."))
    assert done.status_code == 302
    db.session.refresh(report)
    assert (report.state, report.causes, report.submitted_by_id) == (
        ReportState.SUBMITTED, "Người dân chủ động.", users["manager"].id,
    )  # fmt: skip
    assert report.figures and services.figures(report).targets[0].value == 80
    page = client.get(f"/reports/{report.id}")
    assert 'data-testid="report-form"' not in text(page)  # read only once submitted
    assert "Người dân chủ động." in text(page) and "đã chốt khi nộp" in text(page)


def test_a_stale_save_is_refused_with_the_stale_message(client, auth, users, ward):
    report = draft(ward)
    auth.login("manager")
    form = report_form(report, achievements="Bản của tôi")
    services.update_report(report, {"achievements": "Bản của người khác"})
    db.session.commit()
    page = client.post(f"/reports/{report.id}", data=form)
    assert page.status_code == 409 and "vừa được người khác sửa" in text(page)
    db.session.refresh(report)
    assert report.achievements == "Bản của người khác"


def test_the_schedule_is_edited_by_a_manager_of_the_unit_or_above(client, auth, users, ward, above):
    auth.login("manager")
    saved = client.post(f"/units/{ward.id}/schedule", data={"kinds": ["Q", "Y"], "due_day": "20"})
    assert saved.status_code == 302
    assert (services.schedule_for(ward.id).due_day, services.schedule_for(ward.id).unit_id) == (20, ward.id)
    bad = client.post(f"/units/{ward.id}/schedule", data={"due_day": "31"})
    assert bad.status_code == 400
    assert "ít nhất một loại kỳ" in field_error(bad, "kinds") and "từ 1 đến 28" in field_error(bad, "due_day")
    assert services.schedule_for(ward.id).due_day == 20
    auth.logout()
    auth.login("tinh")
    assert client.post(f"/units/{ward.id}/schedule", data={"kinds": "M", "due_day": "5"}).status_code == 302
    assert services.schedule_for(ward.id).kinds == {periods.PeriodKind.MONTH}


# --- bad input ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("key", ["2026-Q5", "2026-M13", "Q3", ""])
def test_a_malformed_period_is_refused_naming_the_field(client, auth, users, ward, province, key):
    auth.login("manager")
    page = client.post(f"/units/{ward.id}/reports", data={"period": key})
    assert page.status_code == 400 and "Kỳ báo cáo" in field_error(page, "period")
    assert count() == 0
    auth.logout()
    auth.login("admin")
    if key:
        page = client.get(f"/units/{province.id}/reporting", query_string={"period": key})
        assert page.status_code == 400 and "Kỳ báo cáo" in field_error(page, "period")
        assert 'data-testid="subordinates"' not in text(page)


def test_submission_before_the_cutoff_end_is_refused_and_saves_nothing(client, auth, users, ward):
    report = draft(ward, FUTURE)
    auth.login("manager")
    page = client.post(f"/reports/{report.id}/submit", data=report_form(report, achievements="Chưa đến lúc"))
    assert page.status_code == 400
    assert "Chưa nộp được báo cáo quý I năm 2030" in page_text(page) and "14/03/2030" in page_text(page)
    assert "Chưa đến lúc" in text(page)  # what was typed is still in the form
    db.session.refresh(report)
    assert (report.state, report.achievements, report.figures) == (ReportState.DRAFT, "", None)


def test_a_second_report_for_the_same_unit_and_period_is_refused(client, auth, users, ward):
    draft(ward)
    auth.login("manager")
    page = client.post(f"/units/{ward.id}/reports", data={"period": Q3})
    assert page.status_code == 400 and "đã có báo cáo quý III năm 2026" in field_error(page, "period")
    assert count() == 1


def test_a_report_of_a_unit_out_of_scope_is_refused(client, auth, users, ward):
    elsewhere = factories.create_unit("Xã Bằng Thành", "commune", parent=factories.create_unit("Bắc Kạn", "province"))
    report = draft(elsewhere)
    form = report_form(report, achievements="Không phải của tôi")
    for role in ("viewer", "manager"):
        auth.login(role)
        assert client.get(f"/reports/{report.id}").status_code == 403
        assert client.get(f"/units/{elsewhere.id}/reports").status_code == 403
        assert client.get(f"/units/{elsewhere.id}/reporting").status_code == 403
        assert client.get(f"/reports/{report.id}/document.docx").status_code == 403
        auth.logout()
    auth.login("manager")
    assert client.post(f"/reports/{report.id}", data=form).status_code == 403
    assert client.post(f"/reports/{report.id}/submit", data=form).status_code == 403
    assert client.post(f"/units/{elsewhere.id}/reports", data={"period": "2026-Q2"}).status_code == 403
    assert client.post(f"/units/{elsewhere.id}/schedule", data={"kinds": "Q", "due_day": "18"}).status_code == 403
    db.session.refresh(report)
    assert report.achievements == "" and count() == 1
    assert db.session.scalar(select(func.count(ReportSchedule.id))) == 0


def test_returning_needs_the_level_above_and_a_reason(client, auth, users, ward, above):
    report = submitted(ward)
    auth.login("manager")  # the ward's own manager is not above it
    assert client.post(f"/reports/{report.id}/return", data={"reason": "Tự trả", "version": 1}).status_code == 403
    assert 'data-testid="return-form"' not in text(client.get(f"/reports/{report.id}"))
    auth.logout()
    auth.login("tinh-xem")  # a viewer of the province reads, returns nothing
    assert 'data-testid="return-form"' not in text(client.get(f"/reports/{report.id}"))
    assert client.post(f"/reports/{report.id}/return", data={"reason": "Xem", "version": 1}).status_code == 403
    auth.logout()

    auth.login("tinh")
    assert 'data-testid="return-form"' in text(client.get(f"/reports/{report.id}"))
    page = client.post(f"/reports/{report.id}/return", data={"reason": "   ", "version": report.version})
    assert page.status_code == 400 and field_error(page, "reason") == "Hãy ghi lý do trả lại báo cáo."
    db.session.refresh(report)
    assert report.state == ReportState.SUBMITTED and count() == 1

    reason = {"reason": "Thiếu số liệu điểm QR", "version": report.version}
    done = client.post(f"/reports/{report.id}/return", data=reason)
    assert done.status_code == 302
    db.session.refresh(report)
    assert (report.state, report.return_reason) == (ReportState.RETURNED, "Thiếu số liệu điểm QR")
    again = client.post(f"/reports/{report.id}/return", data={"reason": "Lần nữa", "version": report.version})
    assert again.status_code == 400 and "Chỉ trả lại được báo cáo đã nộp." in page_text(again)
    auth.logout()

    # The returned revision stays readable, with its frozen figures and the reason; the ward edits revision 2.
    auth.login("manager")
    returned = client.get(f"/reports/{report.id}")
    assert returned.status_code == 200 and "Thiếu số liệu điểm QR" in page_text(returned)
    assert 'data-testid="report-form"' not in text(returned) and 'data-testid="not-latest"' in text(returned)
    second = services.revisions(ward.id, Q3)[0]
    page = client.get(f"/reports/{second.id}")
    assert second.revision == 2 and 'data-testid="report-form"' in text(page)
    assert "Lần 1 bị cấp trên trả lại" in page_text(page) and "Thiếu số liệu điểm QR" in page_text(page)
    assert client.post(f"/reports/{second.id}/submit", data=report_form(second)).status_code == 302
    db.session.refresh(second)
    assert second.state == ReportState.SUBMITTED


def test_editing_a_submitted_report_is_refused_with_a_message(client, auth, users, ward):
    report = submitted(ward)
    auth.login("manager")
    for action in ("", "/submit"):
        page = client.post(f"/reports/{report.id}{action}", data=report_form(report, achievements="Sửa sau khi nộp"))
        assert page.status_code == 400 and "đã nộp, không sửa được" in page_text(page)
    db.session.refresh(report)
    assert report.achievements == "Đã triển khai ví điện tử cho 80 hộ." and report.state == ReportState.SUBMITTED


def test_a_member_reads_but_cannot_write(client, auth, users, ward, plan):
    report = draft(ward)
    auth.login("member")
    page = client.get(f"/reports/{report.id}")
    assert page.status_code == 200 and 'data-testid="report-form"' not in text(page)
    assert "Nộp báo cáo" not in text(page)
    form = report_form(report, achievements="Thành viên viết")
    assert client.post(f"/reports/{report.id}", data=form).status_code == 403
    assert client.post(f"/reports/{report.id}/submit", data=form).status_code == 403
    assert client.post(f"/units/{ward.id}/reports", data={"period": "2026-Q2"}).status_code == 403
    assert client.post(f"/units/{ward.id}/schedule", data={"kinds": "Q", "due_day": "18"}).status_code == 403
    assert client.get(f"/units/{ward.id}/reports").status_code == 200
    db.session.refresh(report)
    assert report.achievements == "" and count() == 1


# --- the level above ---------------------------------------------------------------------------------------


def test_the_reporting_rates_names_and_consolidated_table(client, auth, users, ward, province, plan, above):
    late = factories.create_unit("Phường Bắc Kạn", "ward", parent=province)
    missing = factories.create_unit("Xã Đại Phúc", "commune", parent=province)
    draft(missing)  # a draft is not a submission
    on_time = submitted(ward)
    submitted(late, on=date(2026, 9, 30))
    auth.login("tinh-xem")
    page = client.get(f"/units/{province.id}/reporting", query_string={"period": Q3})
    assert page.status_code == 200
    body, words = text(page), page_text(page)
    rates = {k: re.search(rf'data-testid="rate-{k}">([^<]*)<', body).group(1) for k in ("expected", "submitted",
             "on-time", "missing")}  # fmt: skip
    assert rates == {"expected": "3", "submitted": "2", "on-time": "1", "missing": "1"}
    assert "66,67%" in body and "33,33%" in body
    assert "Chưa nộp: Xã Đại Phúc" in words
    rows = dict(re.findall(r'data-testid="subordinate-row" data-unit-id="(\d+)">(.*?)</tr>', body, re.S))
    assert "Đúng hạn" in rows[str(ward.id)] and "16/09/2026" in rows[str(ward.id)]
    assert f"/reports/{on_time.id}" in rows[str(ward.id)]
    assert "Trễ hạn" in rows[str(late.id)] and "30/09/2026" in rows[str(late.id)]
    assert 'data-state="draft"' in rows[str(missing.id)] and "Quá hạn, chưa nộp" in rows[str(missing.id)]
    consolidated = re.findall(r'data-testid="consolidated-row" data-unit-id="(\d+)"', body)
    assert consolidated == [str(late.id), str(ward.id)]  # only the submitted ones, by name
    total = re.search(r'data-testid="consolidated-total">(.*?)</tr>', body, re.S).group(1)
    assert re.search(r'data-column="total">2<', total)  # the ward's two tasks; the other ward has no program
    assert re.search(r'data-column="targets">0 / 1<', total)  # 80 of 100 households: not reached


def test_the_reporting_page_defaults_to_the_latest_ended_quarter(client, auth, users, province, ward):
    auth.login("admin")
    page = client.get(f"/units/{province.id}/reporting")
    expected = periods.latest_ended(local_today(), [periods.PeriodKind.QUARTER])[0]
    assert page.status_code == 200 and f'value="{expected.key}"' in text(page)
    assert expected.label[1:] in page_text(page)


def test_the_documents_download_and_a_bad_period_is_refused(client, auth, users, ward, province, plan):
    report = submitted(ward)
    auth.login("viewer")
    page = text(client.get(f"/reports/{report.id}"))
    assert f'href="/reports/{report.id}/document.docx"' in page
    docx = client.get(f"/reports/{report.id}/document.docx")
    assert docx.status_code == 200 and docx.mimetype.endswith("wordprocessingml.document")
    assert "attachment" in docx.headers["Content-Disposition"]
    auth.logout()
    auth.login("admin")
    page = text(client.get(f"/units/{province.id}/reporting", query_string={"period": Q3}))
    assert f'href="/units/{province.id}/reporting/document.docx?period=2026-Q3"' in page
    consolidated = client.get(f"/units/{province.id}/reporting/document.docx", query_string={"period": Q3})
    assert consolidated.status_code == 200 and consolidated.mimetype.endswith("wordprocessingml.document")
    bad = client.get(f"/units/{province.id}/reporting/document.docx", query_string={"period": "2026-Q5"})
    assert bad.status_code == 400 and "Kỳ báo cáo “2026-Q5” không có" in page_text(bad)


def test_the_reporting_page_runs_the_same_statements_whatever_the_number_of_subordinates(client, auth, users, province):
    def ward_reporting(n: int) -> None:
        unit = factories.create_unit(f"Phường Số {n}", "ward", parent=province)
        program = factories.create_program(unit, f"Kế hoạch {n}", starts_on=date(2026, 1, 1))
        factories.create_task(program, "Hộ dùng ví điện tử", measure_kind="count", target=Decimal(100),
                              deadline=date(2026, 12, 31), category=TaskCategory.INDICATOR)  # fmt: skip
        submitted(unit)

    ward_reporting(0)
    auth.login("admin")
    url = f"/units/{province.id}/reporting?period={Q3}"
    client.get(url)  # warm-up: first-request work is not the page's
    few = statement_count(client, url)
    for n in range(1, 6):
        ward_reporting(n)
    assert statement_count(client, url) == few


def test_the_screens_in_english_show_no_vietnamese(client, auth, users, ward, province, plan, above):
    previous = submitted(ward, "2026-Q2", on=date(2026, 6, 16))
    current = services.create_report(ward.id, Q3)
    db.session.commit()
    names = [ward.name, province.name, "Kế hoạch chuyển đổi số năm 2026", "Hộ dùng ví điện tử", "Trang tin điện tử",
             previous.achievements, previous.issuer, previous.place, previous.signer_authority, previous.signer_title,
             *previous.recipients.splitlines(), "hộ", "Tinh", "Manager"]  # fmt: skip
    auth.login("tinh")
    found = {}
    for url in (
        f"/reports/{current.id}",
        f"/reports/{previous.id}",
        f"/units/{ward.id}/reports",
        f"/units/{province.id}/reporting?period=2026-Q2",
        f"/units/{province.id}/reporting?period=2026-Q5",
        "/reports/",
    ):
        page = client.get(url + ("&" if "?" in url else "?") + "lang=en", follow_redirects=True)
        if left := vietnamese_left(text(page), names):
            found[url] = left
    assert not found
