"""QR images: payload, SVG and PNG read back by a real decoder (zxing-cpp), caching by code, scope."""

import base64
import io
import time
from types import SimpleNamespace
from urllib.parse import urlsplit

import pypdfium2
import pytest
import zxingcpp
from PIL import Image
from sqlalchemy import func, select

from tests import factories
from tests.test_checkin import form_token
from tests.test_sites_queries import count_statements
from tracker.extensions import db
from tracker.qr import known, render
from tracker.sites import services
from tracker.sites.codes import grouped, new_code
from tracker.sites.models import CheckIn

QR_ALPHANUMERIC = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"


def decode(image: Image.Image) -> list:
    return zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)


def assert_reads_back(found: list, site) -> None:
    """One QR whose text is the site's upper-cased URL, in alphanumeric mode at a small version."""
    assert [b.text for b in found] == [render.payload(site.code)]
    assert int(found[0].extra["Version"]) <= 4
    assert found[0].ec_level == "Q"


def checkins_at(site) -> int:
    return db.session.scalar(select(func.count(CheckIn.id)).where(CheckIn.site_id == site.id))


def assert_checks_in(phone, decoded: str, site) -> None:
    """The decoded URL opens the site's public check-in page, as typed in lower case and as scanned; pressing the
    button of the scanned page (its form's CSRF token) counts one check-in at the site."""
    url = urlsplit(decoded)
    assert url.netloc == "CDS.EXAMPLE.GOV.VN"
    for path in (url.path.lower(), url.path):
        page = phone.get(path)
        assert page.status_code == 200, path
        assert site.name in page.get_data(as_text=True)
    assert checkins_at(site) == 0
    done = phone.post(url.path, data={"csrf_token": form_token(page)}, csrf=False)
    assert done.status_code == 200, done.get_data(as_text=True)
    assert checkins_at(site) == 1


def test_payload_is_the_upper_cased_url_in_the_alphanumeric_set(app, ward):
    site = factories.create_site(ward)
    data = render.payload(site.code)
    assert data == f"HTTPS://CDS.EXAMPLE.GOV.VN/C/{site.code}"
    assert set(data) <= set(QR_ALPHANUMERIC)
    # Alphanumeric mode keeps a typical URL at version 3 (29 modules) with error correction Q.
    assert len(render.matrix(data)) == 29


def test_base_url_comes_from_configuration(app, ward):
    app.config["PUBLIC_BASE_URL"] = "https://qr.phoyen.thainguyen.gov.vn/"
    assert render.payload("7K3M9QXAB2CD") == "HTTPS://QR.PHOYEN.THAINGUYEN.GOV.VN/C/7K3M9QXAB2CD"


def test_png_decodes_to_the_site_url_and_checks_in(app, client, ward):
    site = factories.create_site(ward)
    db.session.commit()
    image = Image.open(io.BytesIO(render.png(render.payload(site.code), box_size=4)))
    assert image.size == ((29 + 8) * 4,) * 2
    found = decode(image)
    assert_reads_back(found, site)
    assert_checks_in(client, found[0].text, site)


def test_svg_decodes_after_rendering_by_a_real_svg_renderer(app, ward):
    """The SVG bytes go through WeasyPrint's SVG renderer into a PDF, rasterised by PDFium, then decoded."""
    weasyprint = pytest.importorskip("weasyprint")
    site = factories.create_site(ward)
    image = render.svg(render.payload(site.code))
    assert image.startswith(b"<svg") and image.count(b"<path") == 1 and b'shape-rendering="crispEdges"' in image
    source = base64.b64encode(image).decode()
    html = f'<img style="width:8cm;height:8cm" src="data:image/svg+xml;base64,{source}">'
    pdf = pypdfium2.PdfDocument(weasyprint.HTML(string=html).write_pdf())
    try:
        bitmap = pdf[0].render(scale=150 / 72).to_pil()
    finally:
        pdf.close()
    assert_reads_back(decode(bitmap), site)


@pytest.mark.parametrize("fmt, mimetype", [("svg", "image/svg+xml"), ("png", "image/png")])
def test_image_is_cached_by_code(app, client, auth, users, ward, fmt, mimetype):
    site = factories.create_site(ward)
    db.session.commit()
    auth.login("viewer")
    url = f"/sites/{site.id}/qr.{fmt}"

    first = client.get(url)
    assert first.status_code == 200 and first.mimetype == mimetype
    if fmt == "png":
        assert_reads_back(decode(Image.open(io.BytesIO(first.data))), site)
    else:  # the SVG that test_svg_decodes_after_rendering_by_a_real_svg_renderer decodes
        assert first.data == render.svg(render.payload(site.code))
    tag, weak = first.get_etag()
    assert tag and not weak
    assert first.headers["Cache-Control"] == "private, no-cache"

    again = client.get(url, headers={"If-None-Match": f'"{tag}"'})
    assert again.status_code == 304 and again.data == b""
    assert again.get_etag() == (tag, False)

    # A link that names the current code may be kept for a year.
    pinned = client.get(f"{url}?v={site.code}")
    assert pinned.headers["Cache-Control"] == "private, max-age=31536000, immutable"
    assert pinned.get_etag() == (tag, False)

    # A rotated code is a new image: the old tag no longer matches, the old pin is not immutable.
    old = site.code
    site.code = services.unique_code()  # what rotate_code does to the site
    db.session.commit()
    rotated = client.get(f"{url}?v={old}", headers={"If-None-Match": f'"{tag}"'})
    assert rotated.status_code == 200
    assert rotated.get_etag()[0] != tag
    assert rotated.headers["Cache-Control"] == "private, no-cache"


def test_served_images_decode_to_the_current_code(app, client, auth, users, ward):
    site = factories.create_site(ward)
    db.session.commit()
    auth.login("member")
    png = client.get(f"/sites/{site.id}/qr.png")
    assert_reads_back(decode(Image.open(io.BytesIO(png.data))), site)
    svg = client.get(f"/sites/{site.id}/qr.svg")
    assert svg.data == render.svg(render.payload(site.code))


def test_images_of_another_unit_are_refused(app, client, auth, users, province):
    other_province = factories.create_unit("Bắc Kạn", "province", code="06")
    elsewhere = factories.create_site(factories.create_unit("Phường Phùng Chí Kiên", "ward", parent=other_province))
    db.session.commit()
    auth.login("viewer")
    assert client.get(f"/sites/{elsewhere.id}/qr.svg").status_code == 403
    assert client.get(f"/sites/{elsewhere.id}/qr.png").status_code == 403
    assert client.get("/sites/999999/qr.svg").status_code == 404
    auth.logout()
    assert auth.login("admin").status_code == 302
    assert client.get(f"/sites/{elsewhere.id}/qr.svg").status_code == 200


def test_images_need_an_account(app, client, ward):
    site = factories.create_site(ward)
    db.session.commit()
    response = client.get(f"/sites/{site.id}/qr.png")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_etag_changes_with_format_code_and_base_url(app):
    tags = {render.etag("7K3M9QXAB2CD", "svg"), render.etag("7K3M9QXAB2CD", "png"), render.etag("7K3M9QXAB2CE", "svg")}
    app.config["PUBLIC_BASE_URL"] = "https://other.gov.vn"
    tags.add(render.etag("7K3M9QXAB2CD", "svg"))
    assert len(tags) == 4
    assert render.etag("7K3M9QXAB2CE", "png") == render.etag("7K3M9QXAB2CE", "png")


def test_images_are_rendered_once_per_payload(app, monkeypatch):
    """The QR matrix is made once per code, base URL and format in a worker; a new base URL is a new image."""
    made = []
    matrix = render.matrix
    monkeypatch.setattr(render, "matrix", lambda data: made.append(data) or matrix(data))
    render.svg.cache_clear()
    render.png.cache_clear()
    data = render.payload("7K3M9QXAB2CD")
    assert render.svg(data) is render.svg(data)
    assert render.png(data) == render.png(data)
    app.config["PUBLIC_BASE_URL"] = "https://qr.phoyen.thainguyen.gov.vn"
    other = render.payload("7K3M9QXAB2CD")
    assert render.svg(other) != render.svg(data)
    assert made == [data, data, other]


def test_images_of_a_unit_below_are_served_and_of_the_own_unit(app, client, auth, users, province, ward):
    site = factories.create_site(ward)
    factories.create_user("tinh", "viewer", province)
    db.session.commit()
    auth.login("tinh")  # the site's unit is under the province: in scope through the walk up the tree
    assert client.get(f"/sites/{site.id}/qr.svg").status_code == 200
    auth.logout()
    auth.login("viewer")  # the site's own unit
    assert client.get(f"/sites/{site.id}/qr.png").status_code == 200


# --- the public image by code ------------------------------------------------------------------------------


def by_code(client, code: str, fmt: str = "svg", **headers):
    return client.get(f"/qr/{code}.{fmt}", headers=headers)


@pytest.mark.parametrize("fmt", ["svg", "png"])
def test_the_image_by_code_is_public_and_kept_by_any_cache_for_a_year(app, client, auth, users, ward, fmt):
    site = factories.create_site(ward)
    db.session.commit()

    public = by_code(client, site.code, fmt)  # no account
    assert public.status_code == 200 and public.mimetype == render.FORMATS[fmt]
    assert public.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    tag, weak = public.get_etag()
    assert tag and not weak
    if fmt == "png":
        assert_reads_back(decode(Image.open(io.BytesIO(public.data))), site)

    again = by_code(client, site.code, fmt, **{"If-None-Match": f'"{tag}"'})
    assert again.status_code == 304 and again.data == b""
    assert again.get_etag() == (tag, False)

    for spelling in (site.code.lower(), grouped(site.code), grouped(site.code).lower()):
        typed = by_code(client, spelling, fmt)
        assert typed.status_code == 200 and typed.get_etag() == (tag, False), spelling

    auth.login("viewer")  # the same image, and tag, as by the site's id
    by_site = client.get(f"/sites/{site.id}/qr.{fmt}")
    assert by_site.get_etag() == (tag, False)
    assert by_site.data == public.data

    # One copy for everyone in a shared cache: no Vary on the cookies, none set, even for a signed-in visitor;
    # a page that does read the session still says so.
    signed_in = by_code(client, site.code, fmt)
    assert "cookie" not in signed_in.headers.get("Vary", "").lower()
    assert "Set-Cookie" not in signed_in.headers
    assert "cookie" not in public.headers.get("Vary", "").lower()
    assert "Cookie" in client.get(f"/sites/{site.id}").headers.get("Vary", "")


def test_the_png_by_code_checks_in_at_its_site(app, client, ward):
    site = factories.create_site(ward)
    db.session.commit()
    (found,) = decode(Image.open(io.BytesIO(by_code(client, site.code, "png").data)))
    assert_checks_in(app.test_client(), found.text, site)


def test_the_image_by_code_answers_404_and_410_as_the_check_in_page(app, client, ward):
    site, retired, rotated = (factories.create_site(ward, name) for name in ("Chợ Bãi Bông", "Chợ tạm", "Chợ cũ"))
    services.set_status(retired, "retired", expected_version=None)
    old = rotated.code
    services.rotate_code(rotated)
    unknown = services.unique_code()
    db.session.commit()
    answers = {
        "ABC": 404,
        "7K3M9QXAB2CDE": 404,
        "7K3M9QXAB2CU": 404,  # U is not in the alphabet
        unknown: 404,
        retired.code: 410,
        old: 410,
        grouped(old).lower(): 410,
        rotated.code: 200,
        site.code: 200,
    }
    for fmt in ("svg", "png"):
        assert {code: by_code(client, code, fmt).status_code for code in answers} == answers


def later(monkeypatch, seconds: float) -> None:
    """This worker's clock, as tracker.qr.known reads it, `seconds` ahead."""
    now = time.monotonic()
    monkeypatch.setattr(known, "time", SimpleNamespace(monotonic=lambda: now + seconds))


def test_a_code_asked_before_its_rotation_is_served_until_the_verdict_expires(app, client, ward, monkeypatch):
    site = factories.create_site(ward)
    db.session.commit()
    old = site.code
    assert by_code(client, old).status_code == 200
    services.rotate_code(site)
    db.session.commit()
    assert by_code(client, old, "png").status_code == 200  # this worker's verdict is still fresh
    assert client.get(f"/c/{old}").status_code == 410  # the check-in never trusts it
    later(monkeypatch, known.TTL - 1)
    assert by_code(client, old).status_code == 200
    later(monkeypatch, known.TTL + 1)
    assert by_code(client, old).status_code == 410
    assert by_code(client, site.code).status_code == 200


def test_a_fresh_verdict_costs_no_sql(app, client, ward):
    site = factories.create_site(ward)
    db.session.commit()
    for code, status in ((site.code, 200), (services.unique_code(), 404)):
        first, asked = count_statements(by_code, client, code, "svg")
        assert first.status_code == status and asked > 0
        again, cached = count_statements(by_code, client, grouped(code).lower(), "png")
        assert again.status_code == status and cached == 0, code


def test_the_verdicts_kept_are_bounded(app, client, monkeypatch):
    monkeypatch.setattr(known, "MAX_CODES", 3)
    codes = [new_code() for _ in range(5)]  # no site at all: every one is unknown
    for code in codes:
        assert by_code(client, code).status_code == 404
        kept = app.extensions["tracker.qr.verdicts"]
        assert len(kept) <= 3 and code in kept
