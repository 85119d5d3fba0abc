"""Online public services, the domain rules (tracker.public_services.services) tested directly: the catalog with its
codes and levels in both vocabularies, the records per period, the live-linked tasks that follow the levels, and
the report by unit with its subordinates."""

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from tests import factories
from tests.test_export import statement_count
from tracker.dashboards.queries import online_services
from tracker.errors import StaleVersion, ValidationError
from tracker.extensions import db
from tracker.programs import progress
from tracker.programs.models import TaskUpdate
from tracker.public_services import report, services
from tracker.public_services.models import PublicService, ServicePeriod
from tracker.public_services.services import LevelCounts, PeriodFields, ServiceFields

Q1 = (date(2025, 1, 1), date(2025, 3, 31))
Q2 = (date(2025, 4, 1), date(2025, 6, 30))


def make_service(unit, code="1.001193", level=3, name=None, field="Hộ tịch", **extra) -> PublicService:
    fields = ServiceFields(code=code, name=name or f"Thủ tục {code}", field=field, level=level, **extra)
    return services.create_service(unit, fields)


def record(service, period=Q1, total=10, online=5) -> ServicePeriod:
    return services.record_period(service, PeriodFields(*period, total, online))


def errors_of(call, *args, **kwargs) -> dict[str, str]:
    with pytest.raises(ValidationError) as caught:
        call(*args, **kwargs)
    db.session.rollback()
    return caught.value.fields


def service_count() -> int:
    return db.session.scalar(select(func.count(PublicService.id)))


@pytest.fixture
def other_ward(app, province):
    return factories.create_unit("Phường Ba Hàng", "ward", parent=province, code="05862")


# --- levels: one definition for the catalog, the dashboard and the live tasks ------------------------------------


@pytest.mark.parametrize(
    ("typed", "level"),
    [
        ("4", 4),
        (3, 3),
        ("Toàn trình", 4),
        ("toan trinh", 4),
        ("DVC trực tuyến toàn trình", 4),
        ("Một phần", 3),
        ("MỘT PHẦN", 3),
        ("Mức độ 2", 2),
        ("mức 1", 1),
        ("Mức độ 4 — toàn trình", 4),
        ("", None),
    ],
)
def test_levels_are_read_in_both_vocabularies(app, typed, level):
    assert services.parse_level(typed) == level


@pytest.mark.parametrize("typed", ["5", "0", 7, "Mức độ 5", "trực tuyến", "-1"])
def test_a_level_outside_one_to_four_is_refused_with_the_accepted_words(app, typed):
    with pytest.raises(ValueError, match="Mức độ") as caught:
        services.parse_level(typed)
    assert "Toàn trình" in str(caught.value) or "từ 1 đến 4" in str(caught.value)


def test_decree_42_counts_only_levels_3_and_4_as_online(app):
    assert [services.reach(level) for level in (1, 2, 3, 4)] == ["offline", "offline", "partial", "full"]
    assert [services.counts_online(level) for level in (1, 2, 3, 4)] == [False, False, True, True]
    counts = LevelCounts.of({1: 2, 2: 3, 3: 4, 4: 5})
    assert (counts.full, counts.partial, counts.offline, counts.online, counts.total) == (5, 4, 5, 9, 14)


def test_the_dashboard_panel_and_the_live_tasks_count_the_same_procedures(app, ward):
    program = factories.create_program(ward)
    online = factories.create_task(program, "Thủ tục mức độ 3, 4", source="services_online", target=Decimal(10))
    full = factories.create_task(program, "Thủ tục toàn trình", source="services_full_online", target=Decimal(10))
    for code, level in (("1.1", 1), ("1.2", 2), ("1.3", 3), ("1.4", 3), ("1.5", 4)):
        make_service(ward, code, level)
    db.session.commit()
    panel = online_services({ward.id})
    assert (panel.full, panel.partial, panel.offline) == (1, 2, 2)
    assert progress.evaluate_task(online).value == panel.full + panel.partial == 3
    assert progress.evaluate_task(full).value == panel.full == 1


# --- the catalog ------------------------------------------------------------------------------------------------


def test_a_procedure_is_added_with_clean_fields(app, ward):
    service = make_service(ward, " 1.001193 ", 4, name="  Thủ tục   đăng ký khai sinh ", online_since=date(2022, 3, 1))
    assert (service.code, service.name, service.field, service.level) == (
        "1.001193",
        "Thủ tục đăng ký khai sinh",
        "Hộ tịch",
        4,
    )
    assert service.online_since == date(2022, 3, 1)
    assert service.level_label == "Mức độ 4 — toàn trình"


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"code": ""}, "code", "Hãy nhập mã thủ tục, ví dụ 1.004227."),
        ({"code": "1.00 42/27"}, "code", "Mã thủ tục chỉ gồm chữ, số, dấu chấm, gạch ngang, ví dụ 1.004227."),
        ({"code": "1." + "0" * 40}, "code", "Dài tối đa 40 ký tự."),
        ({"name": " "}, "name", "Hãy nhập tên thủ tục."),
        ({"field": "x" * 201}, "field", "Dài tối đa 200 ký tự."),
        ({"level": 5}, "level", "Mức độ phải từ 1 đến 4 (3 = một phần, 4 = toàn trình); đã nhập 5."),
        ({"level": 0}, "level", "Mức độ phải từ 1 đến 4 (3 = một phần, 4 = toàn trình); đã nhập 0."),
        (
            {"level": None},
            "level",
            "Hãy chọn mức độ. Ghi 1, 2, 3, 4, hoặc “Một phần” (mức độ 3), “Toàn trình” (mức độ 4).",
        ),
        (
            {"level": 2, "online_since": date(2024, 1, 1)},
            "online_since",
            "Thủ tục mức độ 1, 2 chưa được tính là trực tuyến: để trống “Trực tuyến từ ngày”.",
        ),
    ],
)
def test_bad_fields_are_named_and_nothing_is_written(app, ward, fields, field, message):
    values = {"code": "1.001193", "name": "Đăng ký khai sinh", "level": 3} | fields
    assert errors_of(services.create_service, ward, ServiceFields(**values)) == {field: message}
    assert service_count() == 0


def test_a_code_is_unique_within_a_unit_only(app, ward, other_ward):
    make_service(ward, "1.001193", name="Đăng ký khai sinh")
    db.session.commit()
    errors = errors_of(make_service, ward, "1.001193")
    assert errors == {"code": "Đơn vị “Phường Phổ Yên” đã có thủ tục mã 1.001193 (Đăng ký khai sinh)."}
    assert make_service(other_ward, "1.001193").unit_id == other_ward.id  # another unit's catalog
    second = make_service(ward, "1.000656")
    db.session.commit()
    fields = ServiceFields("1.001193", second.name, "", 3)
    assert "1.001193" in errors_of(services.update_service, second, fields, expected_version=second.version)["code"]


def test_an_edit_opened_at_an_old_version_is_refused(app, ward):
    service = make_service(ward)
    db.session.commit()
    opened = service.version
    services.update_service(service, ServiceFields(service.code, "Tên mới", "", 3), expected_version=opened)
    db.session.commit()
    with pytest.raises(StaleVersion):
        services.update_service(service, ServiceFields(service.code, "Tên khác", "", 4), expected_version=opened)
    db.session.rollback()
    assert (service.name, service.level) == ("Tên mới", 3)


def test_going_online_records_the_day_and_going_offline_clears_it(app, ward):
    service = make_service(ward, level=2)
    db.session.commit()
    services.set_level(service, 4, expected_version=service.version, today=date(2025, 5, 20))
    assert (service.level, service.online_since) == (4, date(2025, 5, 20))
    services.set_level(service, 3, expected_version=None, today=date(2025, 6, 1))
    assert service.online_since == date(2025, 5, 20)  # still online since then
    services.set_level(service, 1, expected_version=None, today=date(2025, 6, 2))
    assert (service.level, service.online_since) == (1, None)
    assert errors_of(services.set_level, service, 5, expected_version=None, today=date(2025, 6, 2)) == {
        "level": "Mức độ phải từ 1 đến 4 (3 = một phần, 4 = toàn trình); đã nhập 5."
    }


def test_raising_a_level_moves_the_live_tasks_with_a_system_update(app, ward, province):
    program = factories.create_program(province)  # the province's program counts the ward's procedures
    online = factories.create_task(program, "Thủ tục trực tuyến", source="services_online", target=Decimal(4))
    full = factories.create_task(program, "Thủ tục toàn trình", source="services_full_online", target=Decimal(2))
    service = make_service(ward, "1.001193", 2)
    make_service(ward, "1.000656", 4)
    db.session.commit()
    assert (progress.evaluate_task(online).value, progress.evaluate_task(full).value) == (1, 1)

    services.set_level(service, 4, expected_version=service.version, today=date(2025, 5, 20))
    db.session.commit()
    online_state, full_state = progress.evaluate_task(online), progress.evaluate_task(full)
    assert (online_state.value, online_state.progress) == (Decimal(2), Decimal("0.5"))
    assert (full_state.value, full_state.progress, full_state.status.value) == (Decimal(2), Decimal(1), "done_on_time")
    last = db.session.scalars(
        select(TaskUpdate).where(TaskUpdate.task_id == full.id).order_by(TaskUpdate.id.desc())
    ).first()
    assert (last.value, last.user_id) == (Decimal(2), None)


# --- records per period -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("period", "total", "online", "errors"),
    [
        (Q1, 10, 11, {"records_online": "Số hồ sơ trực tuyến (11) không được lớn hơn tổng số hồ sơ (10)."}),
        (Q1, -1, 0, {"records_total": "Tổng số hồ sơ không được âm."}),
        (Q1, 5, -2, {"records_online": "Số hồ sơ trực tuyến không được âm."}),
        (Q1, Decimal("2.5"), 1, {"records_total": "Tổng số hồ sơ phải là số nguyên."}),
        (
            Q1,
            None,
            None,
            {"records_total": "Hãy nhập tổng số hồ sơ.", "records_online": "Hãy nhập số hồ sơ trực tuyến."},
        ),
        (
            (date(2025, 3, 31), date(2025, 1, 1)),
            10,
            5,
            {"period_end": "Ngày kết thúc kỳ (01/01/2025) phải từ ngày bắt đầu (31/03/2025) trở đi."},
        ),
        (
            (None, None),
            1,
            1,
            {
                "period_start": "Hãy nhập ngày bắt đầu kỳ (dd/mm/yyyy).",
                "period_end": "Hãy nhập ngày kết thúc kỳ (dd/mm/yyyy).",
            },
        ),
    ],
)
def test_bad_records_are_named_and_nothing_is_written(app, ward, period, total, online, errors):
    service = make_service(ward)
    db.session.commit()
    assert errors_of(services.record_period, service, PeriodFields(*period, total, online)) == errors
    assert db.session.scalar(select(func.count(ServicePeriod.id))) == 0


def test_periods_of_a_procedure_never_overlap(app, ward):
    service = make_service(ward)
    first = record(service, Q1)
    record(service, Q2, 20, 15)
    db.session.commit()
    assert errors_of(record, service, (date(2025, 3, 1), date(2025, 3, 31))) == {
        "period_start": "Kỳ này trùng với kỳ 01/01/2025 – 31/03/2025 đã có số liệu của thủ tục; hãy sửa kỳ đó."
    }
    fixed = services.update_period(first, PeriodFields(*Q1, 12, 12), expected_version=first.version)
    assert (fixed.records_total, fixed.records_online) == (12, 12)  # the period itself is no overlap
    db.session.commit()
    with pytest.raises(StaleVersion):
        services.update_period(first, PeriodFields(*Q1, 1, 1), expected_version=1)
    db.session.rollback()
    other = make_service(ward, "1.000656")
    assert record(other, Q1).service_id == other.id  # another procedure's same quarter


# --- the report ---------------------------------------------------------------------------------------------


def test_the_report_has_a_row_per_unit_with_subordinates_and_a_total(app, province, ward, other_ward):
    outside = factories.create_unit("Hà Nội", "province", code="01")
    for code, level, periods in (
        ("1.1", 4, [(Q1, 40, 30), (Q2, 60, 50)]),
        ("1.2", 3, [(Q1, 100, 20)]),
        ("1.3", 2, []),
        ("1.4", 1, [(Q2, 5, 0)]),
    ):
        service = make_service(ward, code, level)
        for period, total, online in periods:
            record(service, period, total, online)
    record(make_service(other_ward, "2.1", 4), Q1, 10, 10)
    make_service(province, "3.1", 2)
    make_service(outside, "9.9", 4)
    db.session.commit()

    found = report.unit_report(province)
    rows = {row.unit_name: row for row in found.rows}
    assert [row.unit_name for row in found.rows] == ["Thái Nguyên", "Phường Ba Hàng", "Phường Phổ Yên"]
    pho_yen = rows["Phường Phổ Yên"]
    assert (pho_yen.levels.full, pho_yen.levels.partial, pho_yen.levels.offline) == (1, 1, 2)
    assert (pho_yen.full_share, pho_yen.partial_share, pho_yen.online_share) == (
        Decimal("0.25"),
        Decimal("0.25"),
        Decimal("0.5"),
    )
    assert (pho_yen.records_total, pho_yen.records_online, pho_yen.records_share) == (205, 100, Decimal(100) / 205)
    assert rows["Thái Nguyên"].records_share is None  # no records: no share, not 0%
    total = found.total
    assert (total.levels.full, total.levels.partial, total.levels.offline, total.levels.total) == (2, 1, 3, 6)
    assert (total.records_total, total.records_online) == (215, 110)

    first_quarter = report.unit_report(province, *Q1)
    assert (first_quarter.total.records_total, first_quarter.total.records_online) == (150, 60)
    assert first_quarter.total.levels.total == 6  # levels are today's, whatever the period
    assert [r.unit_name for r in report.unit_report(ward).rows] == ["Phường Phổ Yên"]


def test_the_report_and_the_catalog_run_a_fixed_number_of_statements(client, auth, users, ward, province):
    def grow(start, stop):
        for n in range(start, stop):
            unit = factories.create_unit(f"Tổ dân phố {n}", "residential_group", parent=ward)
            service = make_service(unit, f"1.{n:06d}", 1 + n % 4)
            record(service, Q1, n + 1, n // 2)
        db.session.commit()

    grow(0, 3)
    auth.login("manager")
    client.get("/services/report?unit=05860")  # warm-up
    small = (statement_count(client, "/services/report?unit=05860"), statement_count(client, "/services/?unit=05860"))
    grow(3, 30)
    large = (statement_count(client, "/services/report?unit=05860"), statement_count(client, "/services/?unit=05860"))
    assert large == small
    assert len(report.unit_report(ward).rows) == 30
