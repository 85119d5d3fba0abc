"""Importing online public services from the national portal's statistics (CSV or XLSX): the row checks, the
upload → preview → confirm screens (all rows or none) and the template downloads."""

import io
import re
from datetime import date

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from tests import factories
from tests.test_site_import import stash_in_tmp  # noqa: F401 (uploads kept in the test's own folder)
from tracker import imports
from tracker.db import local_today
from tracker.extensions import db
from tracker.public_services import services
from tracker.public_services.imports import ServiceImport
from tracker.public_services.models import PublicService, ServicePeriod
from tracker.public_services.services import PeriodFields, ServiceFields

HEADER = "STT,Mã thủ tục,Tên thủ tục,Lĩnh vực,Mức độ,Tổng số hồ sơ,Hồ sơ trực tuyến,Từ ngày,Đến ngày\n"
Q1 = (date(2025, 1, 1), date(2025, 3, 31))


def csv_bytes(*lines: str, header: str = HEADER) -> bytes:
    return (header + "".join(line + "\n" for line in lines)).encode("utf-8-sig")


def check(data: bytes, user=None, unit=None, period=(None, None), filename="dvc.csv") -> imports.Preview:
    return imports.preview(ServiceImport(user, unit, period, date(2025, 5, 20)), data, filename)


def by_number(result: imports.Preview) -> dict:
    return {r.number: r for r in result.rows}


def counts() -> tuple[int, int]:
    return (
        db.session.scalar(select(func.count(PublicService.id))),
        db.session.scalar(select(func.count(ServicePeriod.id))),
    )


@pytest.fixture
def other_ward(app, province):
    return factories.create_unit("Phường Ba Hàng", "ward", parent=province, code="05862")


# --- the row checks -------------------------------------------------------------------------------------------


def test_rows_of_the_portal_statistics_are_read(app, ward):
    result = check(
        csv_bytes(
            "1,1.001193,Thủ tục đăng ký khai sinh,Hộ tịch,Toàn trình,52,47,01/04/2025,30/06/2025",
            "2,2.000815,Chứng thực bản sao từ bản chính,Chứng thực,Một phần,455,131,01/04/2025,30/06/2025",
            "3,2.000509,Hòa giải tranh chấp đất đai,Đất đai,2,3,0,,",
            "4,1.000954,Thông báo tổ chức lễ hội,Văn hóa cơ sở,Mức độ 1,,,,",
        ),
        unit=ward,
        period=(date(2025, 4, 1), date(2025, 6, 30)),  # the form's period fills rows that leave it empty
    )
    assert result.ok, [r.errors for r in result.rows]
    levels = [r.target[2].level for r in result.rows]
    assert levels == [4, 3, 2, 1]
    periods = [r.target[3] for r in result.rows]
    assert (periods[2].period_start, periods[2].period_end, periods[2].records_total) == (
        date(2025, 4, 1),
        date(2025, 6, 30),
        3,
    )
    assert periods[3] is None  # a catalog-only row
    assert {r.action for r in result.rows} == {"new"}


def test_each_bad_value_is_a_row_error_naming_row_and_field(app, ward):
    result = check(
        csv_bytes(
            "1,,Thiếu mã,Hộ tịch,4,,,,",
            "2,1.1,Mức độ sai,Hộ tịch,5,,,,",
            "3,1.2,Nhiều hơn tổng,Hộ tịch,4,10,11,01/01/2025,31/03/2025",
            "4,1.3,Số âm,Hộ tịch,4,-5,0,01/01/2025,31/03/2025",
            "5,1.4,Kỳ ngược,Hộ tịch,4,10,5,31/03/2025,01/01/2025",
            "6,1.5,,Hộ tịch,4,,,,",
            "7,1.6,Thiếu kỳ,Hộ tịch,3,10,5,,",
            "8,1.7,Thiếu mức độ,Hộ tịch,,,,,",
            "9,1.1,Trùng mã trong tệp,Hộ tịch,3,,,,",
        ),
        unit=ward,
    )
    rows = by_number(result)
    assert rows[2].errors == {"code": "Hãy nhập “Mã thủ tục”."}
    assert rows[3].errors == {
        "level": "Mức độ “5” không hợp lệ. Ghi 1, 2, 3, 4, hoặc “Một phần” (mức độ 3), “Toàn trình” (mức độ 4)."
    }
    assert rows[4].errors == {"records_online": "Số hồ sơ trực tuyến (11) không được lớn hơn tổng số hồ sơ (10)."}
    assert rows[5].errors == {"records_total": "Tổng số hồ sơ không được âm."}
    assert rows[6].errors == {"period_end": "Ngày kết thúc kỳ (01/01/2025) phải từ ngày bắt đầu (31/03/2025) trở đi."}
    assert rows[7].errors == {"name": "Hãy nhập tên thủ tục."}
    assert set(rows[8].errors) == {"period_start", "period_end"}
    assert rows[9].errors["level"].startswith("Hãy chọn mức độ.")
    assert rows[10].errors == {"code": "Mã thủ tục 1.1 đã có ở dòng 3 của tệp."}
    assert not result.ok and all(r.action == "error" for r in result.rows)
    lines = imports.report_lines(result)
    assert "Dòng 3 · lỗi · Mức độ: Mức độ “5” không hợp lệ." in lines[1]


def test_an_existing_code_updates_the_procedure_and_its_same_period(app, ward):
    service = services.create_service(ward, ServiceFields("1.001193", "Đăng ký khai sinh", "Hộ tịch", 3))
    services.record_period(service, PeriodFields(*Q1, 40, 20))
    other = services.create_service(ward, ServiceFields("2.000815", "Chứng thực bản sao", "Chứng thực", 4))
    services.record_period(other, PeriodFields(*Q1, 400, 90))
    db.session.commit()
    result = check(
        csv_bytes(
            "1,1.001193,,,Toàn trình,46,39,01/01/2025,31/03/2025",  # empty name and field keep the catalog's
            "2,2.000815,,,3,10,5,01/03/2025,31/05/2025",  # overlaps the recorded quarter
        ),
        unit=ward,
    )
    rows = by_number(result)
    assert rows[2].action == "update" and not rows[2].errors
    assert rows[3].errors == {
        "period_start": "Kỳ này trùng với kỳ 01/01/2025 – 31/03/2025 đã có số liệu của thủ tục; hãy sửa kỳ đó."
    }
    assert rows[3].warnings == ["Mức độ giảm từ 4 xuống 3."]

    fixed = check(csv_bytes("1,1.001193,,,Toàn trình,46,39,01/01/2025,31/03/2025"), unit=ward)
    assert fixed.ok
    assert imports.apply(ServiceImport(None, ward, today=date(2025, 5, 20)), fixed) == {"new": 0, "update": 1}
    db.session.commit()
    assert (service.name, service.field, service.level, service.online_since) == (
        "Đăng ký khai sinh",
        "Hộ tịch",
        4,
        None,  # already online before the import: since when is not known
    )
    assert [(p.records_total, p.records_online) for p in service.periods] == [(46, 39)]


def test_codes_excel_turned_into_numbers_are_mended_with_a_warning(app, ward):
    result = check(csv_bytes('1,"1,00161",Thủ tục,Hộ tịch,4,,,,'), unit=ward)
    row = result.rows[0]
    assert row.target[2].code == "1.001610"
    assert row.warnings == ["Mã “1,00161” được hiểu là 1.001610 (Excel đã đổi mã thành số)."]


def test_units_out_of_the_managers_reach_are_row_errors(app, users, ward, province):
    outside = factories.create_unit("Xã Khác", "commune", code="05999")
    header = HEADER.rstrip("\n") + ",Mã đơn vị\n"
    result = check(
        csv_bytes("1,1.1,A,,4,,,,,05999", "2,1.2,B,,4,,,,,5860", "3,1.3,C,,4,,,,,", header=header),
        user=users["manager"],
    )
    rows = by_number(result)
    assert rows[2].errors == {"unit": f"Tài khoản không được sửa danh mục thủ tục của “{outside.name}”."}
    assert not rows[3].errors and rows[3].target[0] == ward  # Excel dropped the code's leading zero
    assert rows[4].errors == {"unit": "Hãy ghi mã đơn vị, hoặc chọn đơn vị khi tải tệp lên."}


def test_an_xlsx_of_the_template_is_read(app, ward):
    book = Workbook()
    sheet = book.active
    sheet.append(["Mã thủ tục", "Tên thủ tục", "Mức độ", "Tổng số hồ sơ", "Hồ sơ trực tuyến", "Từ ngày", "Đến ngày"])
    sheet.append(["1.001193", "Đăng ký khai sinh", 4, 52, 47, date(2025, 4, 1), date(2025, 6, 30)])
    out = io.BytesIO()
    book.save(out)
    result = check(out.getvalue(), unit=ward, filename="dvc.xlsx")
    assert result.ok, [r.errors for r in result.rows]
    period = result.rows[0].target[3]
    assert (period.period_start, period.records_online) == (date(2025, 4, 1), 47)


# --- the screens -------------------------------------------------------------------------------------------------


def upload(client, data: bytes, filename="dvc.csv", **fields):
    form = {"unit": "05860", "file": (io.BytesIO(data), filename)} | fields
    return client.post("/services/import", data=form, content_type="multipart/form-data")


def test_upload_preview_confirm_imports_every_row(client, auth, users, ward):
    auth.login("manager")
    assert client.get("/services/import").status_code == 200
    data = csv_bytes(
        "1,1.001193,Thủ tục đăng ký khai sinh,Hộ tịch,Toàn trình,52,47,,",
        "2,2.000815,Chứng thực bản sao,Chứng thực,Một phần,455,131,,",
    )
    page = upload(client, data, period_start="01/04/2025", period_end="30/06/2025")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert counts() == (0, 0)  # a preview writes nothing
    token = re.search(r'name="token" value="([^"]+)"', html).group(1)
    done = client.post("/services/import/confirm", data={"token": token})
    assert done.status_code == 302 and done.headers["Location"].endswith("/services/?unit=05860")
    assert counts() == (2, 2)
    birth = db.session.scalar(select(PublicService).where(PublicService.code == "1.001193"))
    assert (birth.level, birth.online_since, birth.unit_id) == (4, local_today(), ward.id)
    assert [(p.period_start, p.records_online) for p in birth.periods] == [(date(2025, 4, 1), 47)]
    again = client.post("/services/import/confirm", data={"token": token})
    assert again.status_code == 410 and counts() == (2, 2)


def test_a_file_with_bad_rows_imports_nothing_and_reports_each_row(client, auth, users):
    auth.login("manager")
    data = csv_bytes(
        "1,1.1,Đúng,Hộ tịch,4,,,,", "2,1.2,Sai,Hộ tịch,9,,,,", "3,1.3,Sai nữa,Hộ tịch,4,5,6,01/01/2025,31/03/2025"
    )
    page = upload(client, data)
    assert page.status_code == 400
    html = page.get_data(as_text=True)
    errors = re.findall(r'data-testid="row-error" data-field="([^"]+)">([^<]*)<', html)
    assert errors == [
        ("level", "Dòng 3, Mức độ: Mức độ “9” không hợp lệ. " + services.level_help()),
        ("records_online", "Dòng 4, Hồ sơ trực tuyến: Số hồ sơ trực tuyến (6) không được lớn hơn tổng số hồ sơ (5)."),
    ]
    assert 'name="token"' not in html
    assert counts() == (0, 0)


def test_a_wrong_header_names_the_expected_columns(client, auth, users):
    auth.login("manager")
    page = upload(client, csv_bytes("1,x", header="Số TT,Tên\n"))
    assert page.status_code == 400
    assert "cột không nhận ra: “Số TT”" in page.get_data(as_text=True)
    assert counts() == (0, 0)


def test_members_may_not_import_and_a_manager_not_into_another_unit(client, auth, users, other_ward):
    auth.login("member")
    assert client.get("/services/import").status_code == 403
    auth.logout()
    auth.login("manager")
    page = upload(client, csv_bytes("1,1.1,A,,4,,,,"), unit="05862")
    assert page.status_code == 400
    assert "Tài khoản không được sửa danh mục thủ tục của “Phường Ba Hàng”." in page.get_data(as_text=True)
    assert counts() == (0, 0)


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_the_templates_document_the_columns(client, auth, users, fmt):
    auth.login("viewer")
    response = client.get(f"/services/import/template.{fmt}")
    assert response.status_code == 200
    assert "mau-nhap-dich-vu-cong" in response.headers["Content-Disposition"]
    expected = [
        "STT",
        "Mã thủ tục",
        "Tên thủ tục",
        "Lĩnh vực",
        "Mức độ",
        "Tổng số hồ sơ",
        "Hồ sơ trực tuyến",
        "Từ ngày",
    ]
    if fmt == "csv":
        header = response.data.decode("utf-8-sig").splitlines()[0].split(",")
    else:
        book = load_workbook(io.BytesIO(response.data))
        header = [c.value for c in book.worksheets[0][1]]
        notes = {row[0]: row[2] for row in book.worksheets[1].iter_rows(min_row=2, values_only=True) if row[0]}
        assert "“Toàn trình” (mức độ 4)" in notes["Mức độ"]
    assert header[: len(expected)] == expected
    # The blank template, filled in as given, imports (its example row only warns).
    if fmt == "csv":
        result = check(response.data, unit=factories.create_unit("Tổ 1", "residential_group"))
        assert result.ok and result.rows[0].warnings


def test_a_confirmation_checks_the_file_again_and_imports_nothing_when_it_no_longer_fits(client, auth, users, ward):
    birth = services.create_service(ward, ServiceFields("1.001193", "Đăng ký khai sinh", "Hộ tịch", 4))
    db.session.commit()
    auth.login("manager")
    data = csv_bytes("1,1.001193,,,,52,47,01/04/2025,30/06/2025", "2,2.000815,Chứng thực bản sao,Chứng thực,3,,,,")
    page = upload(client, data)
    assert page.status_code == 200
    token = re.search(r'name="token" value="([^"]+)"', page.get_data(as_text=True)).group(1)
    services.record_period(birth, PeriodFields(date(2025, 6, 1), date(2025, 6, 30), 20, 18))  # meanwhile, by hand
    db.session.commit()
    refused = client.post("/services/import/confirm", data={"token": token})
    assert refused.status_code == 409
    html = refused.get_data(as_text=True)
    assert "Dữ liệu đã thay đổi kể từ lúc xem trước: chưa nhập dòng nào." in html
    assert "Dòng 2, Từ ngày: Kỳ này trùng với kỳ 01/06/2025 – 30/06/2025" in html
    assert counts() == (1, 1)


def test_a_shared_unit_name_in_a_row_is_read_within_the_managers_scope(app, users, province):
    own = factories.create_unit("Phường Tân An", "ward", parent=province, code="05870")
    factories.create_unit("Phường Tân An", "ward", parent=factories.create_unit("Tuyên Quang", "province", code="08"))
    tinh = factories.create_user("tinh", "manager", province)
    db.session.commit()
    header = HEADER.rstrip("\n") + ",Mã đơn vị\n"
    result = check(csv_bytes("1,1.1,A,,4,,,,,tan an", header=header), user=tinh)
    assert result.ok, [r.errors for r in result.rows]
    assert result.rows[0].target[0] == own
    assert not check(csv_bytes("1,1.1,A,,4,,,,,tan an", header=header), user=users["admin"]).ok  # the choices
