"""Posters: every page rasterised by PDFium and read back by zxing-cpp; long names wrap inside the page and never
meet the QR; a download marks nothing, "Đánh dấu đã in" and a complete bulk PDF mark the sites printed; scope,
layouts and empty selections are refused whole."""

import io
import re
import sqlite3
import time
from urllib.parse import urlsplit

import pypdfium2
import pytest
import sqlalchemy as sa
import zxingcpp
from reportlab.lib.units import mm

from tests import factories
from tests.test_api import assert_error, bearer
from tests.test_qr import assert_checks_in
from tracker.db import utcnow
from tracker.extensions import db
from tracker.qr import posters, render
from tracker.sites import services
from tracker.sites.codes import grouped
from tracker.sites.models import CheckIn, Site

DPI = 150
LONG_NAME = (
    "Trung tâm Văn hóa – Thể thao và Truyền thông phường Phổ Yên, điểm tiếp nhận và trả kết quả thủ tục hành chính "
    "liên thông thuộc Ủy ban nhân dân phường, khu dân cư số 12, tổ dân phố Bãi Bông Đông và các hộ kinh doanh cá thể "
    "ven Quốc lộ 3 cũ"
)
LONG_ADDRESS = (
    "Số nhà 1234, ngõ 56, ngách 78, đường Nguyễn Tất Thành kéo dài, tổ dân phố Bãi Bông Đông, phường Phổ Yên, "
    "tỉnh Thái Nguyên (cạnh chợ đầu mối nông sản, đối diện Trường Trung học cơ sở Bãi Bông, gần cổng khu công "
    "nghiệp Yên Bình)"
)


def read_pdf(data: bytes) -> list[dict]:
    """Per page: its size in points, the QRs found at DPI (text, corners in points from the bottom left, version),
    and the box of every printed character."""
    assert data.startswith(b"%PDF-")
    pdf = pypdfium2.PdfDocument(data)
    pages = []
    try:
        for page in pdf:
            width, height = page.get_size()
            image = page.render(scale=DPI / 72).to_pil()
            found = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)
            qrs = []
            for barcode in sorted(found, key=lambda b: (b.position.top_left.y // 100, b.position.top_left.x)):
                if not str(barcode.extra.get("Version", "")).isdigit():
                    continue  # a spurious Micro QR ("M1") read in the small print, not one of ours
                corners = [barcode.position.top_left, barcode.position.bottom_right]
                (x0, y0), (x1, y1) = ((p.x * 72 / DPI, height - p.y * 72 / DPI) for p in corners)
                qrs.append({"text": barcode.text, "version": int(barcode.extra["Version"]), "box": (x0, y1, x1, y0)})
            text = page.get_textpage()
            boxes = [text.get_charbox(i) for i in range(text.count_chars())]
            pages.append(
                {"size": (width, height), "qrs": qrs, "boxes": boxes, "text": " ".join(text.get_text_range().split())}
            )
    finally:
        pdf.close()
    return pages


def codes_read(pages: list[dict]) -> list[str]:
    return [qr["text"] for page in pages for qr in page["qrs"]]


def payloads(sites) -> list[str]:
    return [render.payload(site.code) for site in sites]


def overlaps(a, b) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def assert_laid_out(page: dict, margin: float) -> None:
    """Every character inside the page less `margin`, none over a QR (its quiet zone kept clear too)."""
    width, height = page["size"]
    inked = [box for box in page["boxes"] if box[2] - box[0] > 0.01 and box[3] - box[1] > 0.01]
    assert inked
    for left, bottom, right, top in inked:
        assert margin - 0.5 <= left and right <= width - margin + 0.5, (left, right)
        assert margin - 0.5 <= bottom and top <= height - margin + 0.5, (bottom, top)
    for qr in page["qrs"]:
        x0, y0, x1, y1 = qr["box"]
        quiet = (x1 - x0) / 29 * 3  # of the 4-module quiet zone, 3 modules (the decoder's corners are approximate)
        clear = (x0 - quiet, y0 - quiet, x1 + quiet, y1 + quiet)
        assert not [box for box in inked if overlaps(box, clear)]


# --- the renderer ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("layout, per_page", [("a4", 1), ("a5", 1), ("a4x4", 4)])
def test_every_poster_decodes_to_its_site(app, ward, layout, per_page):
    sites = [factories.create_site(ward, f"Hộ kinh doanh số {n}") for n in range(5)]
    out = io.BytesIO()
    posters.write_posters(sites, layout, out, program_reference="Kế hoạch 37/KH-UBND")
    pages = read_pdf(out.getvalue())
    assert len(pages) == -(-5 // per_page)
    assert codes_read(pages) == payloads(sites)
    assert all(qr["version"] <= 4 for page in pages for qr in page["qrs"])
    first = pages[0]["text"]
    for text in ("ĐIỂM QUÉT MÃ QR", "Phường Phổ Yên", "Hộ kinh doanh số 0", grouped(sites[0].code), "Zalo"):
        assert text in first
    assert "cds.example.gov.vn" in first and "Kế hoạch 37/KH-UBND" in first and "In ngày " in first


def test_a4_qr_is_at_least_10_cm_wide_and_vector(app, ward):
    site = factories.create_site(ward)
    out = io.BytesIO()
    posters.write_posters([site], "a4", out)
    (page,) = read_pdf(out.getvalue())
    x0, _y0, x1, _y1 = page["qrs"][0]["box"]
    assert (x1 - x0) / mm >= 100
    pdf = pypdfium2.PdfDocument(out.getvalue())
    try:
        kinds = {obj.type for obj in pdf[0].get_objects()}
    finally:
        pdf.close()
    assert pypdfium2.raw.FPDF_PAGEOBJ_IMAGE not in kinds  # squares, not a picture
    assert pypdfium2.raw.FPDF_PAGEOBJ_PATH in kinds


@pytest.mark.parametrize("layout, margin", [("a4", 10 * mm), ("a5", 7 * mm), ("a4x4", 5 * mm)])
def test_long_vietnamese_names_wrap_inside_the_page(app, ward, layout, margin):
    site = factories.create_site(ward, LONG_NAME, address=LONG_ADDRESS)
    out = io.BytesIO()
    posters.write_posters([site] * (4 if layout == "a4x4" else 1), layout, out, title="ĐIỂM QUÉT MÃ QR ĐIỂM DANH")
    (page,) = read_pdf(out.getvalue())
    assert codes_read([page]) == [render.payload(site.code)] * (4 if layout == "a4x4" else 1)
    assert LONG_NAME in page["text"] and LONG_ADDRESS in page["text"]  # nothing cut
    assert_laid_out(page, margin)
    if layout == "a4x4":  # each sticker stays in its quarter, clear of the cut
        width, height = page["size"]
        for box in page["boxes"]:
            for cut, low, high in ((width / 2, box[0], box[2]), (height / 2, box[1], box[3])):
                assert not (low < cut + 4 * mm and high > cut - 4 * mm)


def test_the_name_shrinks_to_three_lines_then_wraps(app):
    posters.register_fonts()
    spec, width = posters.POSTER_A4, posters.POSTER_A4.width - 2 * posters.POSTER_A4.margin
    size, lines = posters.fit_name("Chợ Bãi Bông", spec, 1, width)
    assert (size, lines) == (spec.name_max, ["Chợ Bãi Bông"])
    size, lines = posters.fit_name(LONG_NAME[:120], spec, 1, width)
    assert spec.name_min < size < spec.name_max and len(lines) <= 3
    size, lines = posters.fit_name(LONG_NAME, spec, 1, width)
    assert size == spec.name_min and len(lines) > 3 and " ".join(lines) == LONG_NAME


def test_a_word_longer_than_the_line_is_broken_not_cut(app):
    posters.register_fonts()
    word = "Nhàhàngsinhtháivenhồ" * 6
    lines = posters.wrap(word, posters.BOLD, 30, 200)
    assert len(lines) > 1 and "".join(lines) == word


@pytest.mark.parametrize("spec", [posters.POSTER_A4, posters.POSTER_A5, posters.STICKER], ids=["a4", "a5", "sticker"])
def test_the_longest_fields_keep_the_qr_at_its_minimum(app, ward, spec):
    name, address = ("Điểm tiếp nhận hồ sơ " * 20)[:300], ("Tổ dân phố Bãi Bông " * 30)[:500]
    site = factories.create_site(ward, name, address=address)
    layout = posters.compose(site, spec, posters.texts(), 29)
    assert layout.qr_size >= spec.qr_min
    assert all(line.y > spec.margin / 2 for line in layout.lines)


def test_batches_are_joined_into_one_document(app, ward, monkeypatch):
    monkeypatch.setattr(posters, "BATCH", 2)
    sites = [factories.create_site(ward, f"Điểm {n}") for n in range(5)]
    chunks = list(posters.stream_posters(iter(sites), "a4"))
    assert all(chunk.count(b"/Type /Page\n") == 2 for chunk in chunks[1:3])  # a chunk per batch of two pages
    assert codes_read(read_pdf(b"".join(chunks))) == payloads(sites)


def test_an_unknown_layout_is_refused_before_anything_is_written(app, ward):
    with pytest.raises(ValueError):
        posters.stream_posters([factories.create_site(ward)], "a3")


# --- the downloads -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("layout", posters.LAYOUTS)
def test_poster_download_decodes_and_checks_in_and_the_staff_mark_it_printed(app, client, auth, users, ward, layout):
    site = factories.create_site(ward)
    db.session.commit()
    assert site.poster_printed_at is None
    auth.login("member")
    response = client.get(f"/sites/{site.id}/poster.pdf?layout={layout}&reference=Kế hoạch 37/KH-UBND")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert site.code in response.headers["Content-Disposition"]
    (page,) = read_pdf(response.data)
    assert codes_read([page]) == [render.payload(site.code)]
    assert "Kế hoạch 37/KH-UBND" in page["text"]
    assert db.session.get(Site, site.id).poster_printed_at is None  # downloading or previewing only reads
    marked = client.post(f"/sites/{site.id}/printed")
    assert marked.status_code == 302 and marked.headers["Location"].endswith(f"/sites/{site.id}")
    assert db.session.get(Site, site.id).poster_printed_at is not None
    assert urlsplit(page["qrs"][0]["text"]).path == f"/C/{site.code}"
    assert_checks_in(app.test_client(), page["qrs"][0]["text"], site)


def test_bulk_by_ticked_sites_streams_one_pdf_in_name_order(app, client, auth, users, ward):
    sites = [factories.create_site(ward, name) for name in ("Chợ C", "Chợ A", "Chợ B")]
    untouched = factories.create_site(ward, "Chợ D")
    db.session.commit()
    auth.login("member")
    response = client.post("/sites/posters", data={"site_ids": [s.id for s in sites], "layout": "a4"})
    assert response.status_code == 200 and response.is_streamed
    assert response.headers["Content-Disposition"].startswith("attachment;")
    pages = read_pdf(response.data)
    in_order = sorted(sites, key=lambda s: s.name)
    assert codes_read(pages) == payloads(in_order)
    for page in pages:
        assert_laid_out(page, 10 * mm)
    assert all(db.session.get(Site, s.id).poster_printed_at for s in sites)
    assert db.session.get(Site, untouched.id).poster_printed_at is None
    assert_checks_in(app.test_client(), pages[1]["qrs"][0]["text"], in_order[1])  # a phone scans the second page


def test_bulk_by_unit_and_filters(app, client, auth, users, ward):
    group = factories.create_unit("Tổ dân phố Bãi Bông", "residential_group", parent=ward)
    market = factories.create_site(ward, "Chợ Phổ Yên", kind="market")
    school = factories.create_site(group, "Trường Tiểu học Bãi Bông", kind="school")
    printed = factories.create_site(ward, "Chợ cũ", kind="market")
    retired = factories.create_site(ward, "Chợ tạm", kind="market")
    services.mark_posters_printed([printed.id])
    services.set_status(retired, "retired", expected_version=None)
    db.session.commit()
    auth.login("manager")

    response = client.post("/sites/posters", data={"unit": ward.code, "kind": "market", "printed": "no"})
    assert codes_read(read_pdf(response.data)) == payloads([market])

    # No unit named: the user's own unit and its subtree; 4-up stickers; retired sites are never printed.
    response = client.post("/sites/posters", data={"layout": "a4x4", "status": "all"})
    pages = read_pdf(response.data)
    assert len(pages) == 1
    assert sorted(codes_read(pages)) == sorted(payloads([market, school, printed]))
    assert response.headers["Content-Disposition"].endswith('-3-a4x4.pdf"')


def printed_ids() -> list[int]:
    db.session.rollback()  # a fresh look at what the stream committed
    return list(db.session.scalars(sa.select(Site.id).where(Site.poster_printed_at.is_not(None)).order_by(Site.id)))


def filtered_form(client, query: str) -> dict[str, str]:
    """The fields of the list's "print every site of the filters" form, as the list renders it for `query`."""
    page = client.get(f"/sites/?{query}").get_data(as_text=True)
    form = page.split('data-testid="posters-filtered"')[1].split("</form>")[0]
    return dict(re.findall(r'type="hidden" name="(\w+)" value="([^"]*)"', form))


@pytest.fixture
def by_activity(app, users, ward):
    """Two sites of the ward: one checked in today (active), one never (inactive)."""
    busy, quiet = factories.create_site(ward, "Chợ đông"), factories.create_site(ward, "Chợ vắng")
    db.session.add(CheckIn(site_id=busy.id, at=utcnow(), device_hash="a" * 64))
    db.session.commit()
    return {"active": busy, "inactive": quiet}


@pytest.mark.parametrize("activity", ["active", "inactive"])
@pytest.mark.parametrize("via", ["form", "api"])
def test_bulk_printing_honours_the_activity_filter(app, client, auth, users, ward, by_activity, activity, via):
    if via == "form":
        auth.login("member")
        fields = filtered_form(client, f"activity={activity}")
        assert fields["activity"] == activity
        response = client.post("/sites/posters", data=fields)
    else:
        body = {"unit_id": ward.id, "activity": activity}
        response = client.post("/api/v1/posters", json=body, headers=bearer(users["member"]))
    assert response.status_code == 200, response.get_data(as_text=True)
    wanted = by_activity[activity]
    pages = read_pdf(response.data)
    assert len(pages) == 1 and codes_read(pages) == payloads([wanted])
    assert printed_ids() == [wanted.id]


def test_a_bad_activity_in_the_api_is_422_naming_it(app, client, users, ward, by_activity):
    body = {"unit_id": ward.id, "activity": "dormant"}
    error = assert_error(client.post("/api/v1/posters", json=body, headers=bearer(users["member"])), 422, "invalid")
    assert "activity" in error["fields"]
    assert printed_ids() == []


def start_bulk(client, auth, sites, monkeypatch):
    """A bulk print of these sites, a page per chunk, not read yet."""
    monkeypatch.setattr(posters, "BATCH", 1)
    auth.login("member")
    response = client.post("/sites/posters", data={"site_ids": [s.id for s in sites]}, buffered=False)
    assert response.status_code == 200 and response.is_streamed
    return response, iter(response.response)


def test_sites_are_marked_printed_only_once_the_pdf_is_complete(app, client, auth, users, ward, monkeypatch):
    sites = [factories.create_site(ward, f"Chợ {n}") for n in range(3)]
    db.session.commit()
    response, chunks = start_bulk(client, auth, sites, monkeypatch)
    assert next(chunks).startswith(b"%PDF-")
    next(chunks)  # the first page
    response.close()  # the download is cut short
    assert printed_ids() == []

    response, chunks = start_bulk(client, auth, sites, monkeypatch)
    first = next(chunks)
    assert printed_ids() == []
    body = first + b"".join(chunks)
    response.close()
    assert len(read_pdf(body)) == 3
    assert printed_ids() == sorted(s.id for s in sites)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_stream_reads_outside_the_sqlite_write_lock(app, client, auth, users, ward, database_url, monkeypatch):
    """While a bulk PDF streams, a check-in on another connection is written at once, not after the download."""
    sites = [factories.create_site(ward, f"Chợ {n}") for n in range(3)]
    db.session.commit()
    response, chunks = start_bulk(client, auth, sites, monkeypatch)
    try:
        head = next(chunks) + next(chunks)  # the first page is out: the stream's transaction has read the sites
        phone = sqlite3.connect(sa.make_url(database_url).database, timeout=0.2, isolation_level=None)
        try:
            started = time.monotonic()
            phone.execute("BEGIN IMMEDIATE")  # as a check-in: take the write lock (fails if the stream holds it)
            phone.execute(
                "INSERT INTO checkins (site_id, at, device_hash) VALUES (?, ?, ?)",
                (sites[0].id, utcnow().strftime("%Y-%m-%d %H:%M:%S.%f"), "b" * 64),
            )
            phone.execute("COMMIT")
            assert time.monotonic() - started < 1
        finally:
            phone.close()
        body = head + b"".join(chunks)
    finally:
        response.close()
    assert len(read_pdf(body)) == 3
    assert printed_ids() == sorted(s.id for s in sites)
    assert db.session.scalar(sa.select(sa.func.count(CheckIn.id))) == 1


def test_bulk_refuses_the_whole_request_for_a_site_of_another_unit(app, client, auth, users, ward):
    other_province = factories.create_unit("Bắc Kạn", "province", code="06")
    elsewhere = factories.create_site(factories.create_unit("Phường Phùng Chí Kiên", "ward", parent=other_province))
    mine = factories.create_site(ward)
    db.session.commit()
    auth.login("member")
    response = client.post("/sites/posters", data={"site_ids": [mine.id, elsewhere.id]})
    assert response.status_code == 403
    assert client.post("/sites/posters", data={"unit": "06"}).status_code == 403
    assert client.get(f"/sites/{elsewhere.id}/poster.pdf").status_code == 403
    assert db.session.get(Site, mine.id).poster_printed_at is None


def test_unknown_layout_empty_selection_and_retired_sites_are_400(app, client, auth, users, ward):
    site = factories.create_site(ward)
    retired = factories.create_site(ward, "Chợ tạm")
    services.set_status(retired, "retired", expected_version=None)
    db.session.commit()
    auth.login("member")
    for response in (
        client.get(f"/sites/{site.id}/poster.pdf?layout=a3"),
        client.post("/sites/posters", data={"site_ids": [site.id], "layout": "letter"}),
    ):
        assert response.status_code == 400
        assert "Khổ in" in response.get_data(as_text=True)
    empty = client.post("/sites/posters", data={"unit": ward.code, "kind": "school"})
    assert empty.status_code == 400 and "Không có điểm QR" in empty.get_data(as_text=True)
    assert client.post("/sites/posters", data={"site_ids": ["1x"]}).status_code == 400
    assert client.post("/sites/posters", data={"site_ids": [site.id], "reference": "x" * 201}).status_code == 400
    assert client.post("/sites/posters", data={"site_ids": [retired.id]}).status_code == 400
    assert client.get(f"/sites/{retired.id}/poster.pdf").status_code == 400
    assert client.post("/sites/posters", data={"site_ids": [site.id, 999999]}).status_code == 404
    assert client.post("/sites/posters", data={"site_ids": [site.id, 2**40]}).status_code == 404
    assert db.session.get(Site, site.id).poster_printed_at is None


def test_viewers_may_see_the_qr_but_not_print(app, client, auth, users, ward):
    site = factories.create_site(ward)
    db.session.commit()
    auth.login("viewer")
    assert client.get(f"/sites/{site.id}/qr.svg").status_code == 200
    assert client.get(f"/sites/{site.id}/poster.pdf").status_code == 403
    assert client.post("/sites/posters", data={"site_ids": [site.id]}).status_code == 403


# --- the command -------------------------------------------------------------------------------------------


def test_posters_command_writes_the_unit_and_marks_it_printed(app, runner, ward, tmp_path):
    group = factories.create_unit("Tổ dân phố Bãi Bông", "residential_group", parent=ward)
    sites = [factories.create_site(ward, "Chợ Phổ Yên"), factories.create_site(group, "Nhà văn hóa tổ 3", kind="other")]
    db.session.commit()
    out = tmp_path / "posters.pdf"
    result = runner.invoke(args=["posters", str(out), "--unit", ward.code, "--layout", "a5", "--reference", "KH 37"])
    assert result.exit_code == 0, result.output
    assert "2 áp phích" in result.output and "giây" in result.output
    pages = read_pdf(out.read_bytes())
    assert sorted(codes_read(pages)) == sorted(payloads(sites))
    assert all("KH 37 · In ngày" in page["text"] for page in pages)
    db.session.expire_all()
    assert all(db.session.get(Site, s.id).poster_printed_at for s in sites)

    result = runner.invoke(args=["posters", str(out), "--unit", ward.code, "--kind", "school"])
    assert result.exit_code != 0 and "không có điểm QR" in result.output
    result = runner.invoke(args=["posters", str(out), "--unit", "99999"])
    assert result.exit_code != 0 and "99999" in result.output
