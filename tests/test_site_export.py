"""Exporting the site registry as XLSX and CSV: the import's headers then read-only columns, the list's filters
and scope, formulas kept as text, a file that imports back onto the same sites, and a fixed number of statements."""

import csv
import io
import re
from datetime import UTC, date, datetime, timedelta

import pytest
from openpyxl import Workbook, load_workbook

from tests import factories
from tests.test_export import statement_count
from tracker import imports
from tracker.db import local_today
from tracker.errors import ValidationError
from tracker.extensions import db
from tracker.sites.imports import COLUMNS, READ_ONLY_HEADERS, SiteImport
from tracker.sites.models import SiteStatus

IMPORT_HEADERS = ["Tên điểm", "Loại điểm", "Địa chỉ", "Người liên hệ", "Số điện thoại", "Mã đơn vị", "Mã QR"]
READ_ONLY = ["Trạng thái", "Ngày in áp phích", "Tổng lượt quét", "Lượt quét 30 ngày", "Lần quét gần nhất"]
HEADERS = IMPORT_HEADERS + READ_ONLY
FORMULA = '=HYPERLINK("http://x","y")'


def xlsx(client, query: str = ""):
    response = client.get(f"/sites/export.xlsx{query}")
    assert response.status_code == 200, response.status_code
    return response, load_workbook(io.BytesIO(response.data)).active


def csv_lines(client, query: str = "") -> list[list[str]]:
    response = client.get(f"/sites/export.csv{query}")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.data.startswith(b"\xef\xbb\xbf")  # a BOM, so Excel reads the accents
    return list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))


def exported_names(client, query: str = "") -> list[str]:
    _response, sheet = xlsx(client, query)
    return [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)]


def listed(client, query: str = "") -> list[str]:
    return re.findall(r'data-testid="site-name">([^<]*)<', client.get(f"/sites/{query}").get_data(as_text=True))


@pytest.fixture
def other_ward(app, province):
    return factories.create_unit("Phường Ba Hàng", "ward", parent=province, code="05862")


@pytest.fixture
def registry(app, ward, other_ward, users):
    """Four sites of the ward (one retired), one with a printed poster, one scanned recently; one elsewhere."""
    now = datetime.now(UTC)
    made = {
        "market": factories.create_site(ward, "Chợ Bãi Bông", "market", address="Tổ 5", contact_phone="0912345678"),
        "school": factories.create_site(ward, "Trường Tiểu học Phổ Yên", "school"),
        "agency": factories.create_site(ward, "UBND phường Phổ Yên", "agency"),
        "closed": factories.create_site(ward, "Cửa hàng đã đóng", "household_business"),
        "elsewhere": factories.create_site(other_ward, "Chợ Ba Hàng", "market"),
    }
    made["market"].code = "7K3M9QXAB2CD"
    made["school"].poster_printed_at = datetime(2025, 6, 30, 20, 0, tzinfo=UTC)  # 1 July in Vietnam
    made["closed"].status = SiteStatus.RETIRED
    for ago in (timedelta(days=60), timedelta(days=10), timedelta(days=3)):
        factories.check_in(made["market"], now - ago)
    factories.check_in(made["market"], datetime.combine(local_today(), datetime.min.time(), UTC) + timedelta(hours=1))
    factories.check_in(made["agency"], now - timedelta(days=45))
    db.session.commit()
    return made


# --- what the file holds ---------------------------------------------------------------------------------------


def test_the_xlsx_has_the_import_headers_then_the_read_only_ones(client, auth, registry):
    auth.login("member")
    response, sheet = xlsx(client, "?status=all")
    today = local_today()
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert f'filename="diem-qr-phuong-pho-yen-{today:%Y%m%d}.xlsx"' in response.headers["Content-Disposition"]
    assert [c.value for c in sheet[1]] == HEADERS
    assert [c.header for c in COLUMNS] == IMPORT_HEADERS  # the import's columns, in its order
    assert [str(h) for h in READ_ONLY_HEADERS] == READ_ONLY  # then the headers the import skips
    body = {row[0].value: row for row in sheet.iter_rows(min_row=2)}
    assert list(body) == ["Chợ Bãi Bông", "Cửa hàng đã đóng", "Trường Tiểu học Phổ Yên", "UBND phường Phổ Yên"]
    market = [c.value for c in body["Chợ Bãi Bông"]]
    assert market[:7] == ["Chợ Bãi Bông", "Chợ", "Tổ 5", None, "0912345678", "05860", "7K3M-9QXA-B2CD"]
    assert market[7:11] == ["Đang hoạt động", None, 4, 3]
    last_scan = body["Chợ Bãi Bông"][11]
    assert last_scan.value == datetime.combine(today, datetime.min.time()) + timedelta(hours=8)  # 01:00 UTC
    assert last_scan.number_format == "dd/mm/yyyy hh:mm"
    printed = body["Trường Tiểu học Phổ Yên"][8]
    assert printed.value == datetime(2025, 7, 1) and printed.number_format == "dd/mm/yyyy"
    assert body["Trường Tiểu học Phổ Yên"][9].value == 0 and body["Trường Tiểu học Phổ Yên"][9].data_type == "n"
    assert body["Cửa hàng đã đóng"][7].value == "Đã ngừng"
    assert sheet.freeze_panes == "A2"


def test_the_csv_has_the_same_columns_with_dates_written_dd_mm_yyyy(client, auth, registry):
    auth.login("member")
    lines = csv_lines(client)
    assert lines[0] == HEADERS
    body = {row[0]: row for row in lines[1:]}
    assert list(body) == ["Chợ Bãi Bông", "Trường Tiểu học Phổ Yên", "UBND phường Phổ Yên"]  # active by default
    today = local_today().strftime("%d/%m/%Y")
    assert body["Chợ Bãi Bông"] == [
        "Chợ Bãi Bông", "Chợ", "Tổ 5", "", "0912345678", "05860", "7K3M-9QXA-B2CD",
        "Đang hoạt động", "", "4", "3", f"{today} 08:00",
    ]  # fmt: skip
    assert body["Trường Tiểu học Phổ Yên"][7:] == ["Đang hoạt động", "01/07/2025", "0", "0", ""]


def test_the_list_links_to_the_export_with_its_filters(client, auth, registry):
    auth.login("member")
    page = client.get("/sites/?kind=school&q=ph%E1%BB%95").get_data(as_text=True)
    for fmt in ("xlsx", "csv"):
        link = re.search(rf'href="(/sites/export\.{fmt}\?[^"]*)" data-testid="site-export-{fmt}"', page).group(1)
        assert "kind=school" in link and "unit=05860" in link
        assert client.get(link.replace("&amp;", "&")).status_code == 200
    assert "Xuất Excel" in page and "Xuất CSV" in page


# --- the list's filters and scope ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        "",
        "?kind=school",
        "?status=retired",
        "?status=all",
        "?q=ph%E1%BB%95+y%C3%AAn",
        "?q=7k3m-9qxa-b2cd",
        "?printed=yes",
        "?printed=no",
        "?activity=active",
        "?activity=inactive&kind=agency",
        "?kind=castle&printed=maybe",
    ],
)
def test_the_export_finds_what_the_list_finds(client, auth, registry, query):
    auth.login("member")
    assert exported_names(client, query) == listed(client, query)
    assert [row[0] for row in csv_lines(client, query)[1:]] == listed(client, query)


def test_the_filters_apply(client, auth, registry):
    auth.login("member")
    assert exported_names(client, "?kind=school") == ["Trường Tiểu học Phổ Yên"]
    assert exported_names(client, "?status=retired") == ["Cửa hàng đã đóng"]
    assert exported_names(client, "?q=ph%E1%BB%95+y%C3%AAn") == ["Trường Tiểu học Phổ Yên", "UBND phường Phổ Yên"]


def test_scope_is_the_lists(client, auth, registry):
    for role in ("manager", "member", "viewer"):
        auth.login(role)
        assert "Chợ Ba Hàng" not in exported_names(client, "?status=all")
        assert client.get("/sites/export.xlsx?unit=05862").status_code == 403
        assert client.get("/sites/export.csv?unit=05862").status_code == 403
        auth.logout()
    anonymous = client.get("/sites/export.csv")
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    auth.login("admin")
    assert len(exported_names(client, "?status=all")) == 5  # an admin without a unit: every unit
    response, sheet = xlsx(client, "?unit=05862")
    assert [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)] == ["Chợ Ba Hàng"]
    assert "diem-qr-phuong-ba-hang-" in response.headers["Content-Disposition"]
    assert "diem-qr-tat-ca-" in client.get("/sites/export.csv").headers["Content-Disposition"]
    assert client.get("/sites/export.xlsx?unit=99999").status_code == 400


# --- formulas stay text ----------------------------------------------------------------------------------------


def test_a_formula_imported_from_csv_comes_back_as_text(client, auth, users, ward):
    data = f'Tên điểm,Loại điểm,Mã đơn vị\n"{FORMULA.replace(chr(34), chr(34) * 2)}",Chợ,05860\n'.encode()
    importer = SiteImport(None)
    imports.apply(importer, imports.preview(importer, data, "diem.csv"))
    db.session.commit()
    auth.login("viewer")
    _response, sheet = xlsx(client)
    cell = sheet["A2"]
    assert cell.value == FORMULA and cell.data_type == "s"  # exactly as typed, a text cell, never a formula
    assert cell.quotePrefix
    assert csv_lines(client)[1][0] == "'" + FORMULA


def test_xlsx_row_keeps_text_as_text_and_numbers_as_numbers():
    sheet = Workbook().active
    cells = imports.xlsx_row(sheet, [FORMULA, "#N/A", "+84 912", "\x01=1", "Bình thường", -2, date(2025, 7, 1)])
    out = io.BytesIO()
    sheet.parent.save(out)
    back = load_workbook(io.BytesIO(out.getvalue())).active[1]
    assert [c.value for c in back[:5]] == [FORMULA, "#N/A", "+84 912", "=1", "Bình thường"]
    assert {c.data_type for c in back[:5]} == {"s"}
    assert [c.quotePrefix for c in cells[:5]] == [True, False, True, True, False]
    assert (back[5].value, back[5].data_type) == (-2, "n") and back[6].value == datetime(2025, 7, 1)
    assert [imports.csv_cell(v) for v in (FORMULA, -2, 4.5, None, date(2025, 7, 1))] == [
        "'" + FORMULA, "-2", "4,5", "", "01/07/2025"
    ]  # fmt: skip


def test_xlsx_row_appends_without_scanning_the_sheet(monkeypatch):
    """A province exports 60,000 sites: asking the sheet for its last row on every append (a scan of all rows)
    made that quadratic. Rows land in order, the returned cells are the sheet's own."""
    from openpyxl.worksheet.worksheet import Worksheet

    sheet = Workbook().active

    def scan(self):
        raise AssertionError("xlsx_row asked the sheet for its last row")

    monkeypatch.setattr(Worksheet, "max_row", property(scan))
    for n in range(3):
        cells = imports.xlsx_row(sheet, [f"dòng {n}", n])
    monkeypatch.undo()
    assert [[c.value for c in row] for row in sheet.iter_rows()] == [["dòng 0", 0], ["dòng 1", 1], ["dòng 2", 2]]
    assert cells[0] is sheet["A3"]


# --- back in through the import ----------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_an_exported_file_imports_back_as_is_onto_the_same_sites(client, auth, users, registry, fmt):
    auth.login("member")
    before = {s.id: (s.name, s.kind, s.address, s.contact_name, s.contact_phone, s.status) for s in registry.values()}
    data = client.get(f"/sites/export.{fmt}?status=all").data  # the read-only columns included: they are skipped
    importer = SiteImport(users["member"])
    result = imports.preview(importer, data, f"diem-qr.{fmt}")
    assert result.fatal == [] and result.ok
    assert result.counts == {"new": 0, "update": 4, "error": 0, "warning": 0, "total": 4}
    assert result.ignored == READ_ONLY
    assert imports.report_lines(result)[0] == f"Bỏ qua các cột chỉ để xem: {', '.join(f'“{h}”' for h in READ_ONLY)}."
    targets = {row.target[1].id for row in result.rows}
    assert targets == {registry[k].id for k in ("market", "school", "agency", "closed")}
    assert imports.apply(importer, result) == {"new": 0, "update": 4}
    db.session.commit()
    after = {s.id: (s.name, s.kind, s.address, s.contact_name, s.contact_phone, s.status) for s in registry.values()}
    assert after == before  # every site as it was, the retired one still retired


def test_an_unknown_header_is_still_refused(client, auth, users, registry):
    auth.login("member")
    lines = csv_lines(client)
    lines[0][-1] = "Ghi chú riêng"  # not one of the export's read-only columns
    out = io.StringIO()
    csv.writer(out).writerows(lines)
    result = imports.preview(SiteImport(users["member"]), out.getvalue().encode(), "diem-qr.csv")
    assert not result.ok and result.rows == []
    assert "cột không nhận ra: “Ghi chú riêng”)" in result.fatal[0]  # the read-only headers left are not named


def test_only_the_declared_headers_are_skipped(users, ward):
    data = "Tên điểm,Loại điểm,Mã đơn vị,Trạng thái\nChợ Mới,Chợ,05860,Đang hoạt động\n".encode()
    assert imports.preview(SiteImport(None), data, "diem.csv").ok
    assert imports.match_headers(COLUMNS, ["Tên điểm", "trang thai", "Loại điểm"], READ_ONLY) == ["name", None, "kind"]
    with pytest.raises(ValidationError, match="cột không nhận ra: “Trạng thái”"):
        imports.match_headers(COLUMNS, ["Tên điểm", "Loại điểm", "Trạng thái"])  # an import that declares none


# --- cost ------------------------------------------------------------------------------------------------------


def test_the_export_runs_the_same_statements_for_5_or_60_sites(client, auth, users, ward):
    def grow(numbers):
        for n in numbers:
            site = factories.create_site(ward, f"Điểm {n:02d}", "business")
            factories.check_in(site, datetime.now(UTC) - timedelta(days=n % 40))
        db.session.commit()

    grow(range(5))
    auth.login("member")
    client.get("/sites/export.xlsx")  # warm-up: first-request work is not the export's
    small = {fmt: statement_count(client, f"/sites/export.{fmt}") for fmt in ("xlsx", "csv")}
    grow(range(5, 60))
    large = {fmt: statement_count(client, f"/sites/export.{fmt}") for fmt in ("xlsx", "csv")}
    assert large == small
    assert len(exported_names(client)) == 60  # every site, not one page of the list
