"""Period reports (DESIGN §9): drafts read live as of the cut-off end, submission freezes the figures, the level above
returns with a reason (a new revision), deltas against the previous period, schedules and reporting rates."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from tests import factories
from tracker.audit import AuditEvent
from tracker.errors import ValidationError
from tracker.extensions import db
from tracker.programs import services as programs
from tracker.programs.models import TaskCategory
from tracker.reports import periods, services
from tracker.reports.models import Report, ReportState

Q3 = periods.parse("2026-Q3")  # data 15/06 → 14/09/2026, due 18/09/2026
AFTER_Q3 = date(2026, 9, 16)


def _at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 3, tzinfo=UTC)


@pytest.fixture
def plan(app, ward, users):
    """The ward's 2026 program: an indicator at 80 of 100 by the cut-off (90 after it), a milestone done on time."""
    program = factories.create_program(ward, "Kế hoạch chuyển đổi số năm 2026", starts_on=date(2026, 1, 1))
    wallets = factories.create_task(
        program, "Hộ dùng ví điện tử", measure_kind="count", target=Decimal(100), deadline=date(2026, 12, 31),
        category=TaskCategory.INDICATOR, unit_label="hộ",
    )  # fmt: skip
    portal = factories.create_task(program, "Trang tin điện tử", measure_kind="milestone", deadline=date(2026, 8, 31))
    late = factories.create_task(
        program, "Kiện toàn Tổ công nghệ số", measure_kind="milestone", deadline=date(2026, 7, 1)
    )
    factories.create_task_update(wallets, users["manager"], "80", at=_at(date(2026, 9, 1)))
    factories.create_task_update(wallets, users["manager"], "90", at=_at(date(2026, 9, 20)))
    factories.create_task_update(portal, users["manager"], "1", at=_at(date(2026, 8, 1)))
    db.session.commit()
    return {"program": program, "wallets": wallets, "portal": portal, "late": late}


def test_a_draft_reads_the_figures_as_of_the_cutoff_end(plan, ward):
    report = services.create_report(ward.id, "2026-q3")
    assert (report.period, report.revision, report.state) == ("2026-Q3", 1, ReportState.DRAFT)
    figures = services.figures(report)
    assert figures.as_of == date(2026, 9, 14)
    assert [(t.title, t.value, t.target) for t in figures.targets] == [("Hộ dùng ví điện tử", 80, 100)]
    split = figures.split
    assert (split.total, split.done_on_time, split.in_progress, split.overdue) == (3, 1, 1, 1)
    assert (split.due, split.due_done) == (2, 1)
    assert report.issuer == "BAN CHỈ ĐẠO CHUYỂN ĐỔI SỐ PHƯỜNG PHỔ YÊN" and "Thái Nguyên" in report.recipients


def test_one_report_per_unit_and_period(plan, ward):
    services.create_report(ward.id, "2026-Q3")
    with pytest.raises(ValidationError) as err:
        services.create_report(ward.id, "2026-Q3")
    assert "period" in err.value.fields and "đã có báo cáo" in err.value.message
    assert db.session.scalar(select(func.count(Report.id))) == 1


@pytest.mark.parametrize("key", ["2026-Q5", "2026-M13", "Q3"])
def test_a_malformed_period_writes_nothing(plan, ward, key):
    with pytest.raises(ValidationError) as err:
        services.create_report(ward.id, key)
    assert list(err.value.fields) == ["period"]
    assert db.session.scalar(select(func.count(Report.id))) == 0


def test_submission_waits_for_the_cutoff_and_then_freezes_the_figures(plan, ward, users):
    report = services.create_report(ward.id, "2026-Q3")
    services.update_report(report, {"achievements": "Đã triển khai ví điện tử cho 80 hộ."})
    with pytest.raises(ValidationError) as err:
        services.submit(report, users["manager"], today=Q3.cutoff_end)
    assert "14/09/2026" in err.value.fields["period"] and report.state == ReportState.DRAFT

    services.submit(report, users["manager"], today=AFTER_Q3)
    db.session.commit()
    assert report.state == ReportState.SUBMITTED and report.figures
    before = services.figures(report)
    wallets, portal = plan["wallets"], plan["portal"]

    # Editing a task, its target, its deadline, adding an update: the submitted report says what it said.
    programs.update_task(wallets, programs.TaskFields(
        title="Hộ gia đình dùng ví điện tử", measure_kind="count", target=Decimal(50), deadline=date(2026, 6, 30),
        category=TaskCategory.INDICATOR, unit_label="hộ",
    ), expected_version=wallets.version)  # fmt: skip
    factories.create_task_update(portal, users["manager"], "0", at=_at(date(2026, 9, 1)))
    factories.create_task_update(wallets, users["manager"], "5", at=_at(date(2026, 9, 2)))
    db.session.commit()
    after = services.figures(db.session.get(Report, report.id))
    assert after == before
    # …while a fresh reading of the same day moved with them.
    live = services.snapshot.take(ward.id, Q3)
    assert live.targets[0].title == "Hộ gia đình dùng ví điện tử" and live.targets[0].value == 5
    assert live.split != before.split

    with pytest.raises(ValidationError) as err:
        services.update_report(report, {"achievements": "Sửa sau khi nộp"})
    assert "state" in err.value.fields
    events = db.session.scalars(select(AuditEvent.action).where(AuditEvent.entity == "reports")).all()
    assert "submit" in events


def test_the_level_above_returns_with_a_reason_and_a_new_revision_opens(plan, ward, province, users):
    report = services.create_report(ward.id, "2026-Q3")
    services.update_report(report, {"achievements": "Kết quả quý III"})
    services.submit(report, users["manager"], today=AFTER_Q3)
    city_manager = factories.create_user("tinh", "manager", province)
    assert services.may_return(city_manager, report) and services.may_return(users["admin"], report)
    assert not services.may_return(users["manager"], report)  # its own unit is not above it
    with pytest.raises(ValidationError) as err:
        services.return_report(report, "  ", city_manager)
    assert list(err.value.fields) == ["reason"] and report.state == ReportState.SUBMITTED

    draft = services.return_report(report, "Thiếu số liệu điểm QR", city_manager)
    db.session.commit()
    assert (report.state, report.return_reason, report.figures is not None) == (
        ReportState.RETURNED, "Thiếu số liệu điểm QR", True,
    )  # fmt: skip
    assert (draft.revision, draft.state, draft.achievements, draft.figures) == (
        2,
        ReportState.DRAFT,
        "Kết quả quý III",
        None,
    )
    assert [r.revision for r in services.revisions(ward.id, "2026-Q3")] == [2, 1]
    assert [r.revision for r in services.unit_reports(ward.id)] == [2]
    with pytest.raises(ValidationError):
        services.return_report(report, "Lần nữa", city_manager)  # already returned
    services.submit(draft, users["manager"], today=date(2026, 9, 25))
    assert draft.state == ReportState.SUBMITTED
    actions = db.session.scalars(select(AuditEvent.action).where(AuditEvent.entity == "reports")).all()
    assert actions.count("submit") == 2 and actions.count("return") == 1


def test_deltas_against_the_previous_period_report(plan, ward, users):
    factories.create_task_update(plan["wallets"], users["manager"], "30", at=_at(date(2026, 5, 4)))
    q2 = services.create_report(ward.id, "2026-Q2")
    services.submit(q2, users["manager"], today=date(2026, 6, 20))
    q3 = services.create_report(ward.id, "2026-Q3")
    assert services.previous_report(q3).id == q2.id
    delta = services.deltas(q3, services.figures(q3))
    assert delta.targets == {plan["wallets"].id: Decimal(50)}  # 30 by 14/06, 80 by 14/09
    assert delta.split["done_on_time"] == 1 and delta.progress > 0
    assert services.deltas(q2, services.figures(q2)) is None  # no Q1 report


def test_schedules_default_inherit_and_refuse_bad_values(plan, ward, province):
    assert services.schedule_for(ward.id).kinds == periods.DEFAULT_KINDS
    services.set_schedule(province.id, "mqhy", "20")
    assert services.schedule_for(ward.id).due_day == 20 and services.schedule_for(ward.id).unit_id == province.id
    services.set_schedule(ward.id, "Q", 15)
    assert services.schedule_for(ward.id).kinds == {periods.PeriodKind.QUARTER}
    with pytest.raises(ValidationError) as err:
        services.set_schedule(ward.id, "QZ", 31)
    assert set(err.value.fields) == {"kinds", "due_day"}


def test_reporting_rates_and_the_consolidated_figures(plan, ward, province, users):
    late = factories.create_unit("Phường Bắc Kạn", "ward", parent=province, code="01843")
    missing = factories.create_unit("Xã Đại Phúc", "commune", parent=province)
    gone = factories.create_unit("Phường Bãi Bông", "ward", parent=province, valid_to=date(2025, 7, 1))
    on_time = services.create_report(ward.id, "2026-Q3")
    services.submit(on_time, users["manager"], today=AFTER_Q3)
    on_time.submitted_at = _at(date(2026, 9, 18))
    tardy = services.create_report(late.id, "2026-Q3")
    services.submit(tardy, users["manager"], today=AFTER_Q3)
    tardy.submitted_at = _at(date(2026, 9, 30))
    db.session.commit()

    result = services.reporting(province.id, Q3)
    assert [r.name for r in result.rows] == ["Phường Bắc Kạn", "Phường Phổ Yên", "Xã Đại Phúc"]  # not the merged one
    assert gone.id not in [r.unit_id for r in result.rows]
    assert result.expected == 3 and len(result.submitted) == 2
    assert [r.name for r in result.on_time] == ["Phường Phổ Yên"]
    assert [r.name for r in result.missing] == [missing.name]
    assert result.split.total == 3  # only the submitted reports' figures: the ward's three tasks
    # A unit whose schedule leaves quarters out is not expected for a quarter.
    services.set_schedule(missing.id, "Y", 18)
    assert services.reporting(province.id, Q3).expected == 2


def test_registries_are_counted_as_of_the_cutoff(plan, ward):
    factories.create_site(ward)  # registered today, 08/12/2026 or later: after Q3's data ends
    db.session.commit()
    assert services.snapshot.take(ward.id, Q3).registries.qr_registered == 0
    year = services.snapshot.take(ward.id, periods.parse("2030"))  # a period not yet cut off: today's registry
    assert year.registries.qr_registered == 1
