"""Importing sites from CSV or XLSX: the row checks, the upload → preview → confirm screens, the template
downloads and `flask sites import`. The engine itself is tested in test_imports.py."""

import io
import re
import time

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from tests import factories
from tracker import imports
from tracker.extensions import db
from tracker.sites import services
from tracker.sites.codes import grouped
from tracker.sites.imports import SiteImport
from tracker.sites.models import Site, SiteKind

HEADER = "Tên điểm,Loại điểm,Địa chỉ,Người liên hệ,Số điện thoại,Mã đơn vị,Mã QR\n"


def csv_bytes(*lines: str, header: str = HEADER) -> bytes:
    return (header + "".join(line + "\n" for line in lines)).encode("utf-8-sig")


def site_count() -> int:
    return db.session.scalar(select(func.count(Site.id)))


def check(data: bytes, user=None, unit=None, filename="diem.csv") -> imports.Preview:
    return imports.preview(SiteImport(user, unit), data, filename)


def by_number(result: imports.Preview) -> dict:
    return {r.number: r for r in result.rows}


@pytest.fixture(autouse=True)
def stash_in_tmp(request, tmp_path):
    """Uploads kept between preview and confirmation go to the test's own folder, not the checkout's instance/."""
    if "app" in request.fixturenames:
        request.getfixturevalue("app").instance_path = str(tmp_path)


@pytest.fixture
def other_ward(app, province):
    return factories.create_unit("Phường Ba Hàng", "ward", parent=province, code="05861")


# --- the row checks -------------------------------------------------------------------------------------------


def test_rows_name_their_kind_by_label_or_code(app, ward):
    result = check(
        csv_bytes(
            "Chợ Bãi Bông,Chợ,Tổ 3,Nguyễn Văn A,0912345678,05860,",
            "UBND phường,agency,,,,05860,",
            "Trường Tiểu học,truong hoc,,,,5860,",  # accents dropped; Excel dropped the code's leading zero
        )
    )
    assert result.ok, [r.errors for r in result.rows]
    kinds = [r.target[2].kind for r in result.rows]
    assert kinds == [SiteKind.MARKET, SiteKind.AGENCY, SiteKind.SCHOOL]
    assert {r.target[0].id for r in result.rows} == {ward.id}


def test_each_bad_value_is_a_row_error_naming_row_and_field(app, ward):
    result = check(
        csv_bytes(
            ",Chợ,,,,05860,",
            "Điểm A,Quán cà phê,,,,05860,",
            "Điểm B,Chợ,,,,99999,",
            "Điểm C,Chợ,,,,,",
            "Điểm D,Chợ,,,,05860,KHONG-PHAI-MA",
            f"{'x' * 301},Chợ,,,,05860,",
        )
    )
    rows = by_number(result)
    assert rows[2].errors == {"name": "Hãy nhập “Tên điểm”."}
    assert rows[3].errors["kind"].startswith("Loại điểm “Quán cà phê” không có; hãy dùng: Cơ quan, Doanh nghiệp")
    assert rows[4].errors == {"unit": "Không có đơn vị nào mang mã “99999”."}
    assert "Hãy ghi mã đơn vị" in rows[5].errors["unit"]
    assert "không đúng dạng" in rows[6].errors["code"]
    assert rows[7].errors == {"name": "Dài tối đa 300 ký tự."}
    assert all(r.action == "error" for r in result.rows)
    lines = imports.report_lines(result)
    assert "Dòng 3 · lỗi · Loại điểm: Loại điểm “Quán cà phê” không có" in lines[1]


def test_the_unit_chosen_on_the_form_fills_empty_unit_cells(app, ward, other_ward):
    result = check(csv_bytes("Điểm A,Chợ,,,,,", "Điểm B,Chợ,,,,05861,"), unit=ward)
    assert [r.target[0] for r in result.rows] == [ward, other_ward]


def test_a_unit_out_of_the_users_scope_is_a_row_error(app, users, ward, province):
    outside = factories.create_unit("Xã Khác", "commune", parent=province, code="05999")
    result = check(csv_bytes("Điểm A,Chợ,,,,05999,", "Điểm B,Chợ,,,,05860,"), user=users["member"])
    rows = by_number(result)
    assert rows[2].errors == {"unit": f"Đơn vị “{outside.name}” nằm ngoài phạm vi của tài khoản."}
    assert not rows[3].errors


def test_duplicate_names_warn_on_both_rows_naming_the_other(app, ward):
    existing = factories.create_site(ward, "Chợ Bãi Bông")
    result = check(
        csv_bytes(
            "Trường Mầm non,Trường học,,,,05860,",
            "Điểm khác,Chợ,,,,05860,",
            "TRUONG MAM NON,Trường học,,,,05860,",
            "chợ  bãi bông,Chợ,,,,05860,",
        )
    )
    rows = by_number(result)
    assert result.ok
    assert rows[2].warnings == ["Trùng tên với dòng 4 của tệp."]
    assert rows[4].warnings == ["Trùng tên với dòng 2 của tệp."]
    assert rows[3].warnings == []
    assert rows[5].warnings == [f"Đơn vị đã có điểm “Chợ Bãi Bông” (mã {grouped(existing.code)}) cùng tên."]
    assert result.counts["warning"] == 3


def test_a_qr_code_of_the_unit_updates_that_site(app, ward, other_ward):
    site = factories.create_site(ward, "Chợ cũ")
    foreign = factories.create_site(other_ward, "Chợ Ba Hàng")
    code = grouped(site.code).lower()
    result = check(
        csv_bytes(
            f"Chợ Bãi Bông mới,Chợ,Tổ 5,,,05860,{code}",
            f"Chợ Ba Hàng,Chợ,,,,05860,{foreign.code}",
            f"Lần hai,Chợ,,,,05860,{site.code}",
        )
    )
    rows = by_number(result)
    assert rows[2].action == "update" and rows[2].target[1] is site
    assert rows[2].warnings == []  # renaming a site is not a clash with itself
    assert rows[3].errors == {"code": f"Mã QR “{foreign.code}” không thuộc đơn vị “{ward.name}”."}
    assert "đã có ở dòng 2" in rows[4].errors["code"]


def test_an_update_keeps_the_columns_the_file_does_not_have(app, ward):
    site = services.create_site(ward, services.SiteFields(name="Chợ", kind="market", address="Tổ 1", contact_name="A"))
    db.session.commit()
    importer = SiteImport(None, ward)
    result = imports.preview(
        importer, csv_bytes(f"Chợ Bãi Bông,Chợ,{site.code}", header="Tên điểm,Loại,Mã QR\n"), "a.csv"
    )
    assert imports.apply(importer, result) == {"new": 0, "update": 1}
    db.session.commit()
    assert (site.name, site.address, site.contact_name) == ("Chợ Bãi Bông", "Tổ 1", "A")


def test_a_formula_is_imported_as_text_and_neutralised_on_export(app, ward):
    book = Workbook()
    book.active.append(["Tên điểm", "Loại điểm", "Mã đơn vị"])
    book.active.append(['=HYPERLINK("http://x.example","Bấm")', "Chợ", "05860"])
    out = io.BytesIO()
    book.save(out)
    importer = SiteImport(None)
    result = imports.preview(importer, out.getvalue(), "diem.xlsx")
    imports.apply(importer, result)
    db.session.commit()
    site = db.session.scalars(select(Site)).one()
    assert site.name == '=HYPERLINK("http://x.example","Bấm")'
    assert imports.safe_cell(site.name) == '\'=HYPERLINK("http://x.example","Bấm")'


def test_ten_thousand_rows_import_in_reasonable_time(app, ward, capsys):
    data = csv_bytes(*(f"Điểm {i},Hộ kinh doanh,Tổ {i % 40},,,05860," for i in range(10_000)))
    started = time.perf_counter()
    importer = SiteImport(None)
    result = imports.preview(importer, data, "diem.csv")
    checked = time.perf_counter()
    assert result.ok
    imports.apply(importer, result)
    db.session.commit()
    done = time.perf_counter()
    assert site_count() == 10_000
    # Written a batch at a time, each site still has its own code and its own audit event.
    from tracker.audit import AuditEvent

    assert db.session.scalar(select(func.count(func.distinct(Site.code)))) == 10_000
    created = select(func.count(AuditEvent.id)).where(AuditEvent.entity == "sites", AuditEvent.action == "create")
    assert db.session.scalar(created) == 10_000
    with capsys.disabled():
        print(
            f"\n10,000 sites on {db.engine.dialect.name}: check {checked - started:.1f}s, write {done - checked:.1f}s"
        )
    assert done - started < 120


# --- the screens ----------------------------------------------------------------------------------------------


def upload(client, data: bytes, filename="diem.csv", unit="05860"):
    return client.post("/sites/import", data={"file": (io.BytesIO(data), filename), "unit": unit})


def token_of(response) -> str:
    match = re.search(rb'name="token" value="([^"]+)"', response.data)
    assert match, "no confirm form on the preview"
    return match.group(1).decode()


def test_the_upload_page_is_for_staff(client, auth, users):
    auth.login("viewer")
    assert client.get("/sites/import").status_code == 403
    auth.logout()
    auth.login("member")
    page = client.get("/sites/import")
    assert page.status_code == 200
    assert 'value="05860"' in page.get_data(as_text=True)


def test_preview_then_confirm_through_the_token(client, auth, users, ward):
    auth.login("member")
    page = upload(client, csv_bytes("Chợ Bãi Bông,Chợ,,,,,", "Trường Tiểu học,Trường học,,,,05860,"))
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'data-testid="count-new">2<' in html
    assert site_count() == 0  # a preview writes nothing
    token = token_of(page)
    done = client.post("/sites/import/confirm", data={"token": token})
    assert done.status_code == 302
    assert done.headers["Location"].startswith("/sites/")
    assert sorted(db.session.scalars(select(Site.name))) == ["Chợ Bãi Bông", "Trường Tiểu học"]
    listing = client.get(done.headers["Location"])
    assert "Đã nhập 2 điểm" in listing.get_data(as_text=True)
    again = client.post("/sites/import/confirm", data={"token": token})
    assert again.status_code == 410  # a token is used once
    assert site_count() == 2


def test_one_bad_row_means_nothing_is_written(client, auth, users, ward):
    auth.login("member")
    page = upload(client, csv_bytes("Chợ Bãi Bông,Chợ,,,,,", "Điểm lỗi,Không biết,,,,,", "Trường,Trường học,,,,,"))
    assert page.status_code == 400
    html = page.get_data(as_text=True)
    assert 'name="token"' not in html
    assert "Dòng 3, Loại điểm: Loại điểm “Không biết” không có" in html
    assert html.index('data-row="3"') < html.index('data-row="2"')  # errors first
    assert site_count() == 0


def test_a_wrong_header_goes_back_to_the_form(client, auth, users, ward):
    auth.login("member")
    page = upload(client, b"Name,Category\nA,B\n")
    assert page.status_code == 400
    assert "Các cột cần có: “Tên điểm”*, “Loại điểm”*" in page.get_data(as_text=True)


def test_the_form_unit_must_exist_and_be_in_scope(client, auth, users, ward, province):
    factories.create_unit("Xã Khác", "commune", parent=province, code="05999")
    auth.login("member")
    assert "nằm ngoài phạm vi" in upload(client, csv_bytes("A,Chợ,,,,,"), unit="05999").get_data(as_text=True)
    assert "Không có đơn vị" in upload(client, csv_bytes("A,Chợ,,,,,"), unit="12345").get_data(as_text=True)


def test_a_token_of_another_user_is_refused(client, auth, users, ward):
    auth.login("member")
    token = token_of(upload(client, csv_bytes("Chợ Bãi Bông,Chợ,,,,,")))
    auth.logout()
    auth.login("manager")
    assert client.post("/sites/import/confirm", data={"token": token}).status_code == 403
    assert site_count() == 0


def test_confirm_checks_again(client, auth, users, ward, other_ward):
    site = factories.create_site(ward, "Chợ")
    db.session.commit()
    auth.login("admin")
    token = token_of(upload(client, csv_bytes(f"Chợ mới,Chợ,,,,,{site.code}", "Điểm mới,Chợ,,,,,")))
    site.unit_id = other_ward.id  # meanwhile the site moved to another unit
    db.session.commit()
    page = client.post("/sites/import/confirm", data={"token": token})
    assert page.status_code == 409
    assert "không thuộc đơn vị" in page.get_data(as_text=True)
    assert site_count() == 1
    assert db.session.get(Site, site.id).name == "Chợ"


def test_an_upload_past_the_size_limit_is_413(app, client, auth, users, ward):
    app.config["MAX_CONTENT_LENGTH"] = 1024
    auth.login("member")
    page = upload(client, csv_bytes(*(f"Điểm {i},Chợ,,,,," for i in range(200))))
    assert page.status_code == 413
    assert "Tệp quá lớn" in page.get_data(as_text=True)


def test_templates_download_for_everyone(client, auth, users):
    auth.login("viewer")
    response = client.get("/sites/import/template.xlsx")
    assert response.status_code == 200
    assert response.mimetype == imports.XLSX_MIMETYPE
    sheet = load_workbook(io.BytesIO(response.data)).worksheets[0]
    assert [c.value for c in sheet[1]] == [
        "Tên điểm",
        "Loại điểm",
        "Địa chỉ",
        "Người liên hệ",
        "Số điện thoại",
        "Mã đơn vị",
        "Mã QR",
    ]
    assert sheet["A1"].font.bold
    response = client.get("/sites/import/template.csv")
    assert response.status_code == 200
    assert response.data.startswith(b"\xef\xbb\xbfT\xc3\xaan \xc4\x91i\xe1\xbb\x83m,")
    assert "mau-nhap-diem-qr.csv" in response.headers["Content-Disposition"]


def test_the_template_imports_as_is(app, ward):
    from tracker.sites.imports import COLUMNS

    result = check(imports.template_xlsx(COLUMNS, "Điểm QR"), unit=ward, filename="mau.xlsx")
    assert result.ok and result.rows[0].warnings  # the example row is flagged, not refused


# --- the command line -----------------------------------------------------------------------------------------


def test_cli_reports_rows_and_exits_1_writing_nothing(runner, ward, tmp_path):
    path = tmp_path / "diem.csv"
    path.write_bytes(csv_bytes("Chợ Bãi Bông,Chợ,,,,05860,", ",Chợ,,,,05860,", "Điểm C,Chợ,,,,88888,"))
    db.session.commit()
    result = runner.invoke(args=["sites", "import", str(path)])
    assert result.exit_code == 1
    assert "Dòng 3 · lỗi · Tên điểm: Hãy nhập “Tên điểm”." in result.output
    assert "Dòng 4 · lỗi · Mã đơn vị: Không có đơn vị nào mang mã “88888”." in result.output
    assert "3 dòng: 1 mới, 0 cập nhật, 2 lỗi, 0 có cảnh báo." in result.output
    assert site_count() == 0


def test_cli_dry_run_then_import(runner, ward, tmp_path):
    path = tmp_path / "diem.csv"
    path.write_bytes(csv_bytes("Chợ Bãi Bông,Chợ,,,,,", "Trường,Trường học,,,,,"))
    db.session.commit()
    result = runner.invoke(args=["sites", "import", str(path), "--unit", "05860", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "--dry-run" in result.output and site_count() == 0
    result = runner.invoke(args=["sites", "import", str(path)])
    assert result.exit_code == 1 and "Hãy ghi mã đơn vị" in result.output
    result = runner.invoke(args=["sites", "import", str(path), "--unit", "05860"])
    assert result.exit_code == 0, result.output
    assert "Đã nhập 2 điểm (2 mới, 0 cập nhật)." in result.output
    db.session.expire_all()
    assert site_count() == 2


def test_cli_names_an_unknown_unit(runner, ward, tmp_path):
    path = tmp_path / "diem.csv"
    path.write_bytes(csv_bytes("A,Chợ,,,,,"))
    result = runner.invoke(args=["sites", "import", str(path), "--unit", "77777"])
    assert result.exit_code == 1
    assert "77777" in result.output
