"""The online services screens: the catalog by level with its filters, adding and editing procedures with no lost
update, raising a level (and the live task that follows), records per period, the report by unit and its XLSX,
the dashboard's link, and who may do what."""

import io
import re
from datetime import date
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from tests import factories
from tests.test_sites_views import field_error, text
from tracker.db import local_today
from tracker.extensions import db
from tracker.programs import progress
from tracker.programs.models import TaskUpdate
from tracker.public_services import services
from tracker.public_services.models import PublicService, ServicePeriod
from tracker.public_services.services import PeriodFields, ServiceFields


def listed(page) -> list[str]:
    return re.findall(r'data-testid="service-code">([^<]*)<', text(page))


def make_service(unit, code="1.001193", level=3, name="Thủ tục đăng ký khai sinh", field="Hộ tịch") -> PublicService:
    return services.create_service(unit, ServiceFields(code, name, field, level))


def service_count() -> int:
    return db.session.scalar(select(func.count(PublicService.id)))


def form(**fields) -> dict:
    return {
        "unit": "05860",
        "code": "1.001193",
        "name": "Thủ tục đăng ký khai sinh",
        "field": "Hộ tịch",
        "level": "4",
    } | fields


@pytest.fixture
def other_ward(app, province):
    return factories.create_unit("Phường Ba Hàng", "ward", parent=province, code="05862")


@pytest.fixture
def catalog(app, users, ward, other_ward):
    made = {
        "birth": make_service(ward, "1.001193", 4, "Thủ tục đăng ký khai sinh"),
        "copy": make_service(ward, "2.000815", 3, "Chứng thực bản sao từ bản chính", "Chứng thực"),
        "land": make_service(ward, "2.000509", 2, "Hòa giải tranh chấp đất đai", "Đất đai"),
        "elsewhere": make_service(other_ward, "1.000656", 4, "Thủ tục đăng ký khai tử"),
    }
    services.record_period(made["birth"], PeriodFields(date(2025, 1, 1), date(2025, 3, 31), 40, 30))
    services.record_period(made["birth"], PeriodFields(date(2025, 4, 1), date(2025, 6, 30), 60, 50))
    db.session.commit()
    return made


# --- the catalog --------------------------------------------------------------------------------------------


def test_the_catalog_lists_the_scope_by_level_with_records_and_summary(client, auth, catalog):
    auth.login("viewer")
    page = client.get("/services/")
    assert page.status_code == 200
    assert listed(page) == ["1.001193", "2.000815", "2.000509"]  # toàn trình first; another ward's is not shown
    html = text(page)
    assert (
        "Toàn trình · mức độ 4" in html
        and "Một phần · mức độ 3" in html
        and "Chưa cung cấp trực tuyến · mức độ 2" in html
    )
    assert re.search(r'data-testid="service-records">\s*80 / 100 <span class="muted">\(80%\)', html)
    assert re.search(r'data-testid="summary-full">1<', html) and re.search(r'data-testid="summary-offline">1<', html)
    assert 'data-testid="service-create"' not in html  # viewers read only


@pytest.mark.parametrize(
    ("query", "codes"),
    [
        ("level=4", ["1.001193"]),
        ("level=online", ["1.001193", "2.000815"]),
        ("level=offline", ["2.000509"]),
        ("q=2.000", ["2.000815", "2.000509"]),
        ("q=Chứng thực", ["2.000815"]),
        ("q=khai", ["1.001193"]),
        ("q=50%25", []),  # a LIKE wildcard is searched for, not used
    ],
)
def test_the_catalog_filters(client, auth, catalog, query, codes):
    auth.login("manager")
    assert listed(client.get(f"/services/?{query}")) == codes


def test_another_units_catalog_is_refused(client, auth, catalog):
    auth.login("viewer")
    assert client.get("/services/?unit=05862").status_code == 403
    assert client.get(f"/services/{catalog['elsewhere'].id}").status_code == 403
    unknown = client.get("/services/?unit=99999")
    assert unknown.status_code == 400 and field_error(unknown, "unit") == "Không có đơn vị nào mang mã “99999”."


# --- adding and editing ---------------------------------------------------------------------------------------


def test_a_manager_adds_a_procedure(client, auth, users, ward):
    auth.login("manager")
    page = client.get("/services/new")
    assert page.status_code == 200 and 'value="05860"' in text(page)
    response = client.post("/services/new", data=form())
    assert response.status_code == 302
    service = db.session.scalars(select(PublicService)).one()
    assert response.headers["Location"].endswith(f"/services/{service.id}")
    assert (service.unit_id, service.code, service.level) == (ward.id, "1.001193", 4)
    assert service.online_since == local_today()  # added online: online since today
    shown = client.get(response.headers["Location"])
    assert 'data-testid="history"' in text(shown) and "Toàn trình · mức độ 4" in text(shown)


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"code": ""}, "code", "Hãy nhập mã thủ tục, ví dụ 1.004227."),
        ({"name": ""}, "name", "Hãy nhập tên thủ tục."),
        ({"level": "5"}, "level", "Hãy chọn một mục trong danh sách."),
        ({"level": ""}, "level", "Hãy chọn một mục trong danh sách."),
        ({"online_since": "31/02/2025"}, "online_since", "Ngày “31/02/2025” không hợp lệ"),
        ({"unit": "99999"}, "unit", "Không có đơn vị nào mang mã “99999”."),
    ],
)
def test_bad_input_is_refused_next_to_its_field(client, auth, users, fields, field, message):
    auth.login("manager")
    page = client.post("/services/new", data=form(**fields))
    assert page.status_code == 400
    assert field_error(page, field).startswith(message)
    assert service_count() == 0


def test_every_bad_field_is_named_at_once(client, auth, users):
    auth.login("manager")
    page = client.post("/services/new", data=form(unit="99999", name="", level="9"))
    assert page.status_code == 400
    assert field_error(page, "unit") == "Không có đơn vị nào mang mã “99999”."
    assert field_error(page, "name") == "Hãy nhập tên thủ tục."
    assert re.findall(r'data-field="level">([^<]*)<', text(page)) == ["Hãy chọn một mục trong danh sách."]
    assert service_count() == 0


def test_a_duplicate_code_in_the_unit_is_refused(client, auth, catalog):
    auth.login("manager")
    page = client.post("/services/new", data=form(code="1.001193"))
    assert page.status_code == 400
    assert field_error(page, "code") == "Đơn vị “Phường Phổ Yên” đã có thủ tục mã 1.001193 (Thủ tục đăng ký khai sinh)."
    assert service_count() == 4


def test_another_units_procedure_may_not_be_added_or_edited(client, auth, catalog):
    auth.login("manager")
    assert client.post("/services/new", data=form(unit="05862", code="9.9")).status_code == 403
    elsewhere = catalog["elsewhere"]
    assert client.get(f"/services/{elsewhere.id}/edit").status_code == 403
    edit = form(version=str(elsewhere.version), name="Đổi tên")
    assert client.post(f"/services/{elsewhere.id}/edit", data=edit).status_code == 403
    level = {"level": "1", "version": str(elsewhere.version)}
    assert client.post(f"/services/{elsewhere.id}/level", data=level).status_code == 403
    assert (elsewhere.name, elsewhere.level) == ("Thủ tục đăng ký khai tử", 4)
    assert service_count() == 4


def test_members_and_viewers_read_but_do_not_write(client, auth, catalog):
    birth = catalog["birth"]
    for role in ("member", "viewer"):
        auth.login(role)
        page = client.get(f"/services/{birth.id}")
        assert page.status_code == 200 and 'data-testid="level-form"' not in text(page)
        assert client.post(f"/services/{birth.id}/level", data={"level": "1", "version": "1"}).status_code == 403
        assert client.get("/services/new").status_code == 403
        auth.logout()
    assert birth.level == 4


def test_an_edit_opened_before_someone_elses_save_is_409(client, auth, catalog):
    birth = catalog["birth"]
    auth.login("manager")
    opened = birth.version
    first = client.post(f"/services/{birth.id}/edit", data=form(name="Đăng ký khai sinh", version=str(opened)))
    assert first.status_code == 302
    stale = client.post(f"/services/{birth.id}/edit", data=form(name="Tên cũ", version=str(opened)))
    assert stale.status_code == 409
    assert "vừa được người khác sửa" in text(stale)
    assert birth.name == "Đăng ký khai sinh"
    stale_level = client.post(f"/services/{birth.id}/level", data={"level": "3", "version": str(opened)})
    assert stale_level.status_code == 409 and "vừa được người khác sửa" in text(stale_level)
    assert birth.level == 4


# --- raising a level moves the live task ---------------------------------------------------------------------


def test_raising_a_procedure_to_toan_trinh_moves_the_services_task(client, auth, users, ward, catalog):
    program = factories.create_program(ward)
    task = factories.create_task(program, "Thủ tục toàn trình", source="services_full_online", target=Decimal(4))
    db.session.commit()
    assert progress.evaluate_task(task).value == 1
    copy = catalog["copy"]
    auth.login("manager")
    response = client.post(f"/services/{copy.id}/level", data={"level": "4", "version": str(copy.version)})
    assert response.status_code == 302
    assert copy.level == 4
    state = progress.evaluate_task(task)
    assert (state.value, state.progress) == (Decimal(2), Decimal("0.5"))
    system = db.session.scalars(select(TaskUpdate).where(TaskUpdate.task_id == task.id, TaskUpdate.value == 2)).all()
    assert len(system) == 1 and system[0].user_id is None
    shown = client.get(response.headers["Location"])
    assert "Đã chuyển thủ tục 2.000815 sang Mức độ 4 — toàn trình." in text(shown)
    task_page = text(client.get(f"/tasks/{task.id}"))
    assert re.search(r'data-testid="task-value">2 / 4', task_page)


def test_a_level_outside_the_list_is_refused(client, auth, catalog):
    copy = catalog["copy"]
    auth.login("manager")
    page = client.post(f"/services/{copy.id}/level", data={"level": "7", "version": str(copy.version)})
    assert page.status_code == 400
    assert field_error(page, "level") == "Hãy chọn một mục trong danh sách."
    assert copy.level == 3


# --- records per period ----------------------------------------------------------------------------------------


def test_a_manager_records_a_period_and_corrects_it(client, auth, catalog):
    copy = catalog["copy"]
    auth.login("manager")
    data = {"period_start": "01/01/2025", "period_end": "31/03/2025", "records_total": "1.234", "records_online": "96"}
    response = client.post(f"/services/{copy.id}/periods", data=data)
    assert response.status_code == 302
    period = db.session.scalars(select(ServicePeriod).where(ServicePeriod.service_id == copy.id)).one()
    assert (period.records_total, period.records_online) == (1234, 96)
    page = client.get(f"/services/periods/{period.id}/edit")
    assert page.status_code == 200 and 'value="1234"' in text(page)
    fixed = dict(data, records_online="100", version=str(period.version))
    assert client.post(f"/services/periods/{period.id}/edit", data=fixed).status_code == 302
    assert period.records_online == 100
    stale = client.post(f"/services/periods/{period.id}/edit", data=dict(fixed, records_online="1"))
    assert stale.status_code == 409 and period.records_online == 100
    shown = text(client.get(f"/services/{copy.id}"))
    assert "01/01/2025 – 31/03/2025" in shown and "100 / 1.234" in shown


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"records_online": "50"}, "records_online", "Số hồ sơ trực tuyến (50) không được lớn hơn tổng số hồ sơ (40)."),
        ({"records_total": "-3"}, "records_total", "Tổng số hồ sơ không được âm."),
        ({"records_total": "abc"}, "records_total", "“abc” không phải là số"),
        (
            {"period_start": "01/01/2026", "period_end": "01/12/2025"},
            "period_end",
            "Ngày kết thúc kỳ (01/12/2025) phải từ ngày bắt đầu (01/01/2026) trở đi.",
        ),
        (
            {"period_start": "01/03/2025", "period_end": "31/03/2025"},
            "period_start",
            "Kỳ này trùng với kỳ 01/01/2025 – 31/03/2025 đã có số liệu của thủ tục; hãy sửa kỳ đó.",
        ),
    ],
)
def test_bad_records_are_refused_and_nothing_is_written(client, auth, catalog, changes, field, message):
    birth = catalog["birth"]
    auth.login("manager")
    data = {"period_start": "01/01/2026", "period_end": "31/03/2026", "records_total": "40", "records_online": "10"}
    page = client.post(f"/services/{birth.id}/periods", data=data | changes)
    assert page.status_code == 400
    assert field_error(page, field).startswith(message)
    assert db.session.scalar(select(func.count(ServicePeriod.id))) == 2


# --- the report -------------------------------------------------------------------------------------------------


def test_the_report_has_a_row_per_unit_and_exports_to_xlsx(client, auth, users, province, catalog):
    auth.login("admin")
    page = client.get("/services/report?unit=19")
    assert page.status_code == 200
    html = text(page)
    rows = re.findall(r'data-testid="report-row" data-unit-id="(\d+)"', html)
    assert rows == [str(catalog["elsewhere"].unit_id), str(catalog["birth"].unit_id)]  # by name: Ba Hàng, Phổ Yên
    total = html[html.index('data-testid="report-total"') :]
    assert re.search(r'data-col="total">4<', total) and re.search(r'data-col="records">80 / 100<', total)
    assert re.search(r'data-col="online-share">75%<', total)

    download = client.get("/services/report.xlsx?unit=19&start=01/04/2025")
    assert download.status_code == 200 and download.mimetype.endswith("spreadsheetml.sheet")
    sheet = load_workbook(io.BytesIO(download.data)).active
    values = list(sheet.iter_rows(values_only=True))
    assert values[0][0] == "Báo cáo dịch vụ công trực tuyến — Thái Nguyên"
    assert "các kỳ từ 01/04/2025" in values[1][0]
    header = values.index(next(v for v in values if v and v[0] == "Đơn vị"))
    assert [v[0] for v in values[header + 1 :]] == ["Phường Ba Hàng", "Phường Phổ Yên", "Tổng cộng"]
    assert values[-1][1:4] == (4, 2, 0.5) and values[-1][8:] == (60, 50, pytest.approx(50 / 60))


def test_the_report_refuses_bad_dates_and_other_units(client, auth, catalog):
    auth.login("manager")
    assert client.get("/services/report").status_code == 200  # the manager's own ward
    assert client.get("/services/report?unit=05862").status_code == 403
    bad = client.get("/services/report?unit=05860&start=31/03/2025&end=01/01/2025")
    assert bad.status_code == 400 and field_error(bad, "end") == "Ngày cuối phải từ ngày đầu trở đi."
    assert client.get("/services/report.xlsx?unit=05860&start=hôm qua").status_code == 400


def test_the_dashboard_panel_links_to_the_catalog_and_the_report(client, auth, catalog):
    auth.login("viewer")
    page = text(client.get("/"))
    panel = page[page.index('data-testid="services-panel"') :]
    assert '/services/?unit=05860"' in panel and '/services/report?unit=05860"' in panel


def test_a_province_manager_typing_a_shared_ward_name_gets_the_ward_of_the_province(client, auth, users, province):
    """'Phường Tân An' is a ward of Thái Nguyên and of Tuyên Quang: the form, the catalog's filter and the import's
    unit read the name within the manager's scope."""
    own = factories.create_unit("Phường Tân An", "ward", parent=province, code="05870")
    other = factories.create_unit("Tuyên Quang", "province", code="08")
    make_service(factories.create_unit("Phường Tân An", "ward", parent=other), "1.000656")
    factories.create_user("tinh", "manager", province)
    db.session.commit()
    auth.login("tinh")
    response = client.post("/services/new", data=form(unit="tan an"))
    assert response.status_code == 302, field_error(response, "unit")
    assert db.session.scalar(select(PublicService.unit_id).where(PublicService.code == "1.001193")) == own.id
    assert listed(client.get("/services/?unit=tan+an")) == ["1.001193"]
