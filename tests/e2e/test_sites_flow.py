"""QR check-in points in a real Chromium: an official registers a site through the form and downloads its A4
poster (a one-page PDF whose QR decodes to the site's URL); the public checks in from a phone at /c/<code>, once per
device per 30 minutes; the official then sees the counts move on the site page, the list and the dashboard; the
list exports to XLSX with its filters, and the public QR image of a code opens on a phone with no account."""

import io
import re
from dataclasses import dataclass
from pathlib import Path
from uuid import uuid4

import pypdfium2
import pytest
import zxingcpp
from PIL import Image
from playwright.sync_api import Page, expect
from sqlalchemy import func, select

from tests.e2e.conftest import WARD
from tracker.extensions import db
from tracker.sites import services
from tracker.sites.codes import grouped
from tracker.sites.models import CheckIn, Site
from tracker.units.models import Unit

pytestmark = pytest.mark.browser

WARD_CODE = "05860"  # the ward's official code, as seeded by conftest._seed
PUBLIC_BASE_URL = "https://cds.example.gov.vn"  # tests.conftest.base_config
# Crockford base32 without I L O U, printed in three groups of four.
GROUPED_CODE = re.compile(r"^[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$")
DATETIME = re.compile(r"^\d{2}:\d{2} \d{2}/\d{2}/\d{4}$")  # HH:MM dd/mm/yyyy
A4 = (595.28, 841.89)  # points


def _tag() -> str:
    """A suffix that keeps this test's rows apart from every other row of the shared live database."""
    return uuid4().hex[:8]


def _int(text: str) -> int:
    """'1.234' → 1234, as the screens write whole numbers."""
    digits = text.strip().replace(".", "")
    assert digits.isdigit(), f"not a whole number: {text!r}"
    return int(digits)


def _figure(page: Page, testid: str) -> int:
    return _int(page.get_by_test_id(testid).inner_text())


def _payload(code: str) -> str:
    return f"{PUBLIC_BASE_URL}/c/{code}".upper()


def _no_horizontal_overflow(page: Page) -> None:
    """Nothing wider than the phone, measured against the configured viewport (with is_mobile Chromium zooms a
    too-wide page out and innerWidth grows with it, so innerWidth alone would hide the overflow)."""
    width = page.viewport_size["width"] if page.viewport_size else 0
    scroll, inner = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert scroll <= width + 1 and inner <= width + 1, f"sideways scroll: scrollWidth {scroll}, innerWidth {inner}"


def _decode(image: Image.Image) -> list[str]:
    found = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)
    return [b.text for b in found if str(b.extra.get("Version", "")).isdigit()]  # not a stray Micro QR


@dataclass(frozen=True)
class SiteRow:
    id: int
    code: str
    name: str
    address: str


def _make_site(app, name: str, address: str, kind: str = "market") -> SiteRow:
    with app.app_context():
        ward = db.session.scalar(select(Unit).where(Unit.code == WARD_CODE))
        assert ward is not None and ward.name == WARD
        site = services.create_site(ward, services.SiteFields(name=name, kind=kind, address=address))
        db.session.commit()
        row = SiteRow(site.id, site.code, site.name, site.address)
        db.session.remove()
    return row


@dataclass(frozen=True)
class Stored:
    code: str
    name: str
    kind: str
    address: str
    unit_code: str
    poster_printed_at: object


def _site(app, site_id: int) -> Stored:
    """The site as stored, read straight from the live server's database."""
    with app.app_context():
        site = db.session.get(Site, site_id)
        assert site is not None
        row = Stored(site.code, site.name, site.kind.value, site.address, site.unit.code, site.poster_printed_at)
        db.session.remove()
    return row


def _checkins(app, site_id: int) -> int:
    with app.app_context():
        count = db.session.scalar(select(func.count()).select_from(CheckIn).where(CheckIn.site_id == site_id))
        db.session.remove()
    return count


def _open_sites_from_menu(page: Page, live_server) -> None:
    """The phone layout folds the navigation into a menu: open it and follow "Điểm QR"."""
    page.locator("details.menu > summary").click()
    page.get_by_role("link", name="Điểm QR", exact=True).click()
    expect(page).to_have_url(f"{live_server.url}/sites/")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Điểm QR · {WARD}")


def test_official_registers_a_site_and_downloads_its_poster(page, live_server, log_in):
    tag = _tag()
    name = f"Chợ Bãi Bông – Tổ dân phố Đông {tag}"
    address = "Số 12, đường Nguyễn Tất Thành, tổ dân phố Bãi Bông Đông"
    log_in(page, "member")
    _open_sites_from_menu(page, live_server)
    registered_before = _figure(page, "summary-registered")
    printed_before = _figure(page, "summary-printed")

    # Register through the form: the unit is filled in with the member's own ward.
    page.get_by_test_id("site-create").click()
    expect(page).to_have_url(f"{live_server.url}/sites/new?unit={WARD_CODE}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Đăng ký điểm QR")
    expect(page.get_by_label("Đơn vị", exact=True)).to_have_value(WARD_CODE)
    page.get_by_label("Tên điểm").fill(name)
    page.get_by_label("Loại điểm").select_option(label="Chợ")
    page.get_by_label("Địa chỉ", exact=True).fill(address)
    page.get_by_test_id("site-save").click()

    # The site page: name, kind, address, the QR and the code in groups of four.
    expect(page).to_have_url(re.compile(rf"^{re.escape(live_server.url)}/sites/\d+$"))
    site_id = int(page.url.rsplit("/", 1)[1])
    site = _site(live_server.app, site_id)
    assert (site.name, site.kind, site.address, site.unit_code) == (name, "market", address, WARD_CODE)
    expect(page.locator(".flash")).to_contain_text(f"Đã đăng ký điểm QR “{name}”, mã {grouped(site.code)}.")
    expect(page.get_by_test_id("site-name")).to_have_text(name)
    expect(page.get_by_test_id("site-unit")).to_have_text(WARD)
    expect(page.get_by_test_id("site-kind")).to_have_text("Chợ")
    expect(page.get_by_test_id("site-address")).to_have_text(address)
    shown_code = page.get_by_test_id("site-code").inner_text()
    assert GROUPED_CODE.match(shown_code) and shown_code.replace("-", "") == site.code
    expect(page.get_by_test_id("site-payload")).to_have_text(_payload(site.code))
    expect(page.get_by_test_id("site-printed")).to_have_text("chưa in")
    _no_horizontal_overflow(page)

    # The QR on screen is a real one: a screenshot of it decodes to the site's URL.
    preview = page.get_by_test_id("qr-preview")
    expect(preview).to_be_visible()
    assert preview.evaluate("e => e.tagName === 'IMG' || e.querySelector('svg') !== null")
    assert _decode(Image.open(io.BytesIO(preview.screenshot()))) == [_payload(site.code)]

    # The A4 poster: one page, A4, the name with its diacritics, the code, and a QR that decodes to the site.
    poster = page.get_by_test_id("poster-a4")
    expect(poster).to_have_text("Tải áp phích A4")
    with page.expect_download() as info:
        poster.click()
    download = info.value
    assert download.suggested_filename == f"ap-phich-cho-bai-bong-to-dan-pho-dong-{tag}-{site.code}-a4.pdf"
    data = Path(download.path()).read_bytes()
    assert data.startswith(b"%PDF-")
    pdf = pypdfium2.PdfDocument(data)
    try:
        assert len(pdf) == 1
        sheet = pdf[0]
        assert tuple(round(x) for x in sheet.get_size()) == tuple(round(x) for x in A4)
        text = " ".join(sheet.get_textpage().get_text_range().split())
        assert tag in text and "Chợ Bãi Bông" in text and grouped(site.code) in text and WARD in text
        assert _decode(sheet.render(scale=150 / 72).to_pil()) == [_payload(site.code)]
    finally:
        pdf.close()

    # Downloading marks nothing (a GET only reads); "Đánh dấu đã in" does: the page says when, the list counts it.
    page.reload()
    expect(page.get_by_test_id("site-printed")).to_have_text("chưa in")
    assert _site(live_server.app, site_id).poster_printed_at is None
    page.get_by_test_id("mark-printed").click()
    printed = page.get_by_test_id("site-printed")
    expect(printed).to_have_text(re.compile(r"^in lần gần nhất \d{2}:\d{2} \d{2}/\d{2}/\d{4}$"))
    assert _site(live_server.app, site_id).poster_printed_at is not None
    page.goto("/sites/")
    assert _figure(page, "summary-registered") == registered_before + 1
    assert _figure(page, "summary-printed") == printed_before + 1
    row = page.locator(f'tr[data-testid="site-row"][data-site-id="{site_id}"]')
    expect(row.get_by_test_id("site-name")).to_have_text(name)
    expect(row.get_by_test_id("site-code")).to_have_text(grouped(site.code))
    expect(row.get_by_test_id("site-printed")).to_have_text(re.compile(r"^\d{2}/\d{2}/\d{4}$"))
    expect(row.get_by_test_id("site-checkins")).to_have_text("0")


def test_the_public_checks_in_on_a_phone_once_per_device(page, new_context, live_server):
    tag = _tag()
    site = _make_site(live_server.app, f"Trường Tiểu học Phổ Yên {tag}", "Tổ dân phố Bãi Bông Tây", kind="school")

    # A phone that has never logged in opens the printed link, typed lower-case.
    response = page.goto(f"/c/{site.code.lower()}")
    assert response is not None and response.status == 200
    expect(page.locator("html")).to_have_attribute("lang", "vi")
    expect(page).to_have_title(site.name)
    expect(page.get_by_role("heading", level=1)).to_have_text(site.name)
    expect(page.get_by_text(WARD, exact=True)).to_be_visible()
    expect(page.get_by_text(site.address, exact=True)).to_be_visible()
    buttons = page.get_by_role("button")
    expect(buttons).to_have_count(1)
    button = buttons.first
    expect(button).to_have_text("Điểm danh tại đây")
    box = button.bounding_box()
    assert box is not None and box["height"] >= 60 and box["width"] >= 300, f"not one big button: {box}"
    _no_horizontal_overflow(page)
    assert _checkins(live_server.app, site.id) == 0

    button.tap()
    confirmation = page.get_by_role("status")
    expect(confirmation).to_have_text(re.compile(r"^Đã ghi nhận lượt điểm danh lúc \d{2}:\d{2} \d{2}/\d{2}/\d{4}$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(site.name)
    expect(page.get_by_text("Mỗi thiết bị được tính một lần")).to_have_count(0)
    _no_horizontal_overflow(page)
    assert _checkins(live_server.app, site.id) == 1

    # The same phone again within 30 minutes: told so, and counted once.
    page.goto(f"/c/{site.code.lower()}")
    page.get_by_role("button", name="Điểm danh tại đây").tap()
    expect(page.get_by_role("status")).to_have_text(
        re.compile(r"^Lượt điểm danh của bạn tại đây đã được ghi nhận trước đó, lúc \d{2}:\d{2} \d{2}/\d{2}/\d{4}\.$")
    )
    expect(page.get_by_text("Mỗi thiết bị được tính một lần trong 30 phút tại một điểm.")).to_be_visible()
    assert _checkins(live_server.app, site.id) == 1

    # Another phone follows the QR payload itself (/C/<CODE>, upper-case): a second check-in.
    other = new_context().new_page()
    response = other.goto(f"/C/{site.code}")
    assert response is not None and response.status == 200
    expect(other.get_by_role("heading", level=1)).to_have_text(site.name)
    other.get_by_role("button", name="Điểm danh tại đây").tap()
    expect(other.get_by_role("status")).to_have_text(re.compile(r"^Đã ghi nhận lượt điểm danh lúc "))
    assert _checkins(live_server.app, site.id) == 2


def test_an_unknown_code_gives_the_neutral_404_page(page, live_server):
    site = _make_site(live_server.app, f"Nhà văn hóa {_tag()}", "Tổ dân phố 3")
    unknown = "ZZZZZZZZZZZZ" if site.code != "ZZZZZZZZZZZZ" else "YYYYYYYYYYYY"
    pages = []
    for path in (f"/c/{unknown.lower()}", f"/C/{unknown}", "/c/not-a-code"):
        response = page.goto(path)
        assert response is not None and response.status == 404, path
        expect(page.get_by_role("heading", level=1)).to_have_text("Không tìm thấy điểm QR này")
        expect(page.get_by_text("Hãy kiểm tra lại mã in dưới mã QR, hoặc quét lại mã trên áp phích.")).to_be_visible()
        expect(page.get_by_role("button")).to_have_count(0)
        _no_horizontal_overflow(page)
        pages.append(page.content())
    # Neutral: a malformed code and an unknown one read the same, and nothing names a site or a unit.
    assert len(set(pages)) == 1
    assert WARD not in pages[0]


def test_the_counts_move_for_the_official(page, desktop_page, live_server, log_in):
    site = _make_site(live_server.app, f"Hộ kinh doanh Bà Nguyễn Thị B {_tag()}", "Ki-ốt số 5, chợ Ba Hàng")
    official = desktop_page
    log_in(official, "manager")

    # Before: nobody has scanned.
    expect(official.get_by_test_id("qr-panel")).to_be_visible()
    dashboard_active = _figure(official, "qr-active")
    dashboard_registered = _figure(official, "qr-registered")
    official.goto("/sites/")
    list_active = _figure(official, "summary-active")
    list_checkins = _figure(official, "summary-checkins")
    official.goto(f"/sites/{site.id}")
    expect(official.get_by_test_id("stats-total")).to_have_text("0")
    expect(official.get_by_test_id("stats-7d")).to_have_text("0")
    expect(official.get_by_test_id("stats-last")).to_have_text("chưa có")

    # The public checks in from a phone.
    page.goto(f"/c/{site.code.lower()}")
    page.get_by_role("button", name="Điểm danh tại đây").tap()
    said = page.get_by_role("status")
    expect(said).to_have_text(re.compile(r"^Đã ghi nhận lượt điểm danh lúc "))
    at = said.inner_text().removeprefix("Đã ghi nhận lượt điểm danh lúc ").strip()
    assert DATETIME.match(at)

    # The site page: 1 in total, in 7 and 30 days, and the last scan is the one the phone was told about.
    official.reload()
    expect(official.get_by_test_id("stats-total")).to_have_text("1")
    expect(official.get_by_test_id("stats-7d")).to_have_text("1")
    expect(official.get_by_test_id("stats-30d")).to_have_text("1")
    expect(official.get_by_test_id("stats-last")).to_have_text(at)
    today = at.split(" ")[1]
    day = official.get_by_test_id("stats-days").locator("tbody tr").filter(has_text=today)
    expect(day.locator("td.num")).to_have_text("1")

    # The list: the row and the unit's summary.
    official.goto("/sites/")
    row = official.locator(f'tr[data-testid="site-row"][data-site-id="{site.id}"]')
    expect(row.get_by_test_id("site-checkins")).to_have_text("1")
    expect(row.get_by_test_id("site-last-scan")).to_have_text(at)
    assert _figure(official, "summary-active") == list_active + 1
    assert _figure(official, "summary-checkins") == list_checkins + 1

    # The dashboard's QR panel: one more active point, none registered meanwhile.
    official.goto("/")
    assert _figure(official, "qr-active") == dashboard_active + 1
    assert _figure(official, "qr-registered") == dashboard_registered


def test_official_exports_the_list_and_shares_the_public_qr_image(desktop_page, new_context, live_server, log_in):
    """The list's "Xuất Excel" carries its filters into an XLSX of the sites found; the site page's SVG and PNG
    links are the public images of the code, which a phone with no account opens and which decode to the site."""
    import openpyxl

    page = desktop_page
    tag = _tag()
    site = _make_site(live_server.app, f"Nhà văn hóa tổ dân phố {tag}", "Tổ dân phố Bãi Bông Tây", kind="other")
    _make_site(live_server.app, f"Nhà văn hóa tổ dân phố {tag} 2", "Tổ dân phố Bãi Bông Đông", kind="other")
    log_in(page, "member")
    page.goto(f"/sites/?q={tag}")
    with page.expect_download() as info:
        page.get_by_test_id("site-export-xlsx").click()
    download = info.value
    assert download.suggested_filename.endswith(".xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(Path(download.path()).read_bytes()), read_only=True).active
    rows = [[cell for cell in row] for row in sheet.iter_rows(values_only=True)]
    names = sorted(row[0] for row in rows[1:] if row and row[0])
    assert names == [site.name, f"{site.name} 2"]
    assert any(grouped(site.code) in [str(cell) for cell in row] for row in rows[1:])

    page.goto(f"/sites/{site.id}")
    svg_link = page.get_by_test_id("qr-image-svg")
    assert svg_link.get_attribute("href") == f"/qr/{site.code}.svg"
    with page.expect_download() as info:
        svg_link.click()
    svg = Path(info.value.path()).read_bytes()
    assert svg.startswith(b"<svg") and _payload(site.code).encode() in svg

    phone = new_context().new_page()  # no account, no cookie of the office
    response = phone.goto(f"/qr/{site.code}.png")
    assert response.status == 200 and response.headers["cache-control"].startswith("public")
    assert _decode(Image.open(io.BytesIO(response.body()))) == [_payload(site.code)]
