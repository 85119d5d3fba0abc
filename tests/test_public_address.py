"""The public address of the QR codes (issue 11, part 1): the check of an address a phone can open, the banner staff
see before they print, the "BẢN IN THỬ" mark on posters printed meanwhile, and the admin page that stores the
address (it wins over the configuration, survives a restart, is audited and refuses what is not an http(s) URL)."""

import io

import pytest
from sqlalchemy import func, select

from tests import factories
from tests.conftest import base_config
from tests.test_posters import overlaps, read_pdf
from tests.test_sites_queries import count_statements
from tracker import create_app
from tracker.audit import AuditEvent
from tracker.extensions import db
from tracker.qr import address, posters, render
from tracker.settings import Setting

LOOPBACK = "http://127.0.0.1:5000"
PUBLIC = "https://qr.phoyen.thainguyen.gov.vn"
MARK = "BẢN IN THỬ"


def stored_settings() -> int:
    return db.session.scalar(select(func.count(Setting.id)))


# --- the check ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "https://cds.example.gov.vn",
        "http://qr.phoyen.thainguyen.gov.vn:8080/tracker/",
        "http://203.113.131.4",
        "http://172.32.0.1",
        "https://[2402:800::1]",
    ],
)
def test_a_public_name_or_address_passes(app, url):
    assert address.public_address_problem(url) is None


@pytest.mark.parametrize(
    "url, words",
    [
        (None, "Chưa đặt"),
        ("", "Chưa đặt"),
        ("   ", "Chưa đặt"),
        ("cds.example.gov.vn", "http://"),
        ("ftp://cds.example.gov.vn", "http://"),
        ("https://", "http://"),
        ("https://cds.example.gov.vn/?a=1", "http://"),
        ("https://cds.example.gov.vn:port", "http://"),
        ("https://user@cds.example.gov.vn", "http://"),
        ("http://127.0.0.1:5000", "chính máy chủ"),
        ("http://127.8.9.10", "chính máy chủ"),
        ("http://localhost:5000", "chính máy chủ"),
        ("http://LOCALHOST.", "chính máy chủ"),
        ("http://[::1]:5000", "chính máy chủ"),
        ("http://0.0.0.0:5000", "chính máy chủ"),
        ("http://10.1.2.3", "mạng nội bộ"),
        ("http://172.16.0.5", "mạng nội bộ"),
        ("http://172.31.255.254:8000", "mạng nội bộ"),
        ("http://192.168.1.10:5000", "mạng nội bộ"),
        ("http://169.254.10.1", "mạng nội bộ"),
        ("http://[fd12:3456::1]", "mạng nội bộ"),
        ("http://tracker.local", "mạng nội bộ"),
        ("http://tracker", "tên miền"),
    ],
)
def test_an_address_a_phone_cannot_open_is_explained(app, url, words):
    problem = address.public_address_problem(url)
    assert problem and words in problem


# --- the banner --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["admin", "manager", "member"])
def test_staff_see_the_banner_on_the_sites_list_and_site_pages_while_the_address_is_loopback(
    app, client, auth, users, ward, role
):
    site = factories.create_site(ward)
    db.session.commit()
    app.config["PUBLIC_BASE_URL"] = LOOPBACK
    auth.login(role)
    for url in ("/sites/", f"/sites/?unit={ward.id}", f"/sites/{site.id}"):
        page = client.get(url).get_data(as_text=True)
        assert 'data-testid="public-address-warning"' in page, url
        assert "TRACKER_PUBLIC_BASE_URL" in page and "127.0.0.1:5000" in page and "Địa chỉ công khai" in page
        assert ('data-testid="public-address-link"' in page) == (role == "admin")


def test_no_banner_for_a_public_address_or_a_viewer(app, client, auth, users, ward):
    site = factories.create_site(ward)
    db.session.commit()
    auth.login("member")
    for url in ("/sites/", f"/sites/{site.id}"):
        assert "public-address-warning" not in client.get(url).get_data(as_text=True)
    app.config["PUBLIC_BASE_URL"] = LOOPBACK
    auth.logout()
    auth.login("viewer")
    for url in ("/sites/", f"/sites/{site.id}"):
        page = client.get(url)
        assert page.status_code == 200 and "public-address-warning" not in page.get_data(as_text=True)


# --- the test-print mark -----------------------------------------------------------------------------------


@pytest.mark.parametrize("layout", posters.LAYOUTS)
def test_a_poster_printed_on_a_loopback_address_is_marked_and_still_decodes(app, ward, layout):
    app.config["PUBLIC_BASE_URL"] = LOOPBACK
    sites = [factories.create_site(ward, f"Hộ kinh doanh số {n}") for n in range(2)]
    out = io.BytesIO()
    posters.write_posters(sites, layout, out)
    pages = read_pdf(out.getvalue())
    assert [qr["text"] for page in pages for qr in page["qrs"]] == [
        f"HTTP://127.0.0.1:5000/C/{site.code}" for site in sites
    ]
    for page in pages:
        assert page["text"].count(MARK) == len(page["qrs"])
        # No ink of the band's text over a QR or its quiet zone.
        inked = [b for b in page["boxes"] if b[2] - b[0] > 0.01 and b[3] - b[1] > 0.01]
        for qr in page["qrs"]:
            x0, y0, x1, y1 = qr["box"]
            quiet = (x1 - x0) / 29 * 3
            assert not [b for b in inked if overlaps(b, (x0 - quiet, y0 - quiet, x1 + quiet, y1 + quiet))]


def test_a_poster_on_a_public_address_carries_no_mark(app, ward):
    site = factories.create_site(ward)
    out = io.BytesIO()
    posters.write_posters([site], "a4", out)
    (page,) = read_pdf(out.getvalue())
    assert MARK not in page["text"] and [qr["text"] for qr in page["qrs"]] == [render.payload(site.code)]


def test_the_poster_download_is_marked_while_the_address_is_private(app, client, auth, users, ward):
    site = factories.create_site(ward)
    db.session.commit()
    app.config["PUBLIC_BASE_URL"] = "http://192.168.1.10:5000"
    auth.login("member")
    response = client.get(f"/sites/{site.id}/poster.pdf")
    assert response.status_code == 200
    (page,) = read_pdf(response.data)
    assert MARK in page["text"] and page["qrs"][0]["text"] == f"HTTP://192.168.1.10:5000/C/{site.code}"


# --- the admin page ----------------------------------------------------------------------------------------


def test_the_admin_page_shows_the_address_in_force_and_the_url_of_a_known_site(app, client, auth, users, ward):
    site = factories.create_site(ward, "Chợ Bãi Bông")
    db.session.commit()
    app.config["PUBLIC_BASE_URL"] = LOOPBACK
    auth.login("admin")
    page = client.get("/admin/public-address")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert f"HTTP://127.0.0.1:5000/C/{site.code}" in text and "Chợ Bãi Bông" in text
    assert 'data-testid="public-address-problem"' in text and "TRACKER_PUBLIC_BASE_URL" in text
    assert f'value="{LOOPBACK}"' in text


def test_the_admin_sets_the_address_it_wins_over_the_configuration_and_survives_a_restart(
    app, client, auth, users, ward, database_url, tmp_path
):
    site = factories.create_site(ward)
    db.session.commit()
    app.config["PUBLIC_BASE_URL"] = LOOPBACK
    auth.login("admin")
    assert client.get("/admin/public-address").status_code == 200  # this worker now keeps the old address
    response = client.post("/admin/public-address", data={"public_base_url": f"  {PUBLIC}/ "})
    assert response.status_code == 302
    assert db.session.scalar(select(Setting.value).where(Setting.key == address.KEY)) == PUBLIC
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.entity == "settings")).one()
    assert event.action == "create" and event.changes["value"] == [None, PUBLIC] and event.actor_name

    # The worker that saved it uses it at once: payloads, images, the API, the pages.
    assert render.payload(site.code) == f"{PUBLIC}/C/{site.code}".upper()
    image = client.get(f"/qr/{site.code}.svg").get_data(as_text=True)
    assert f"{PUBLIC}/C/{site.code}".upper() in image
    assert client.get(f"/api/v1/sites/{site.id}").get_json()["url"] == f"{PUBLIC}/c/{site.code}"
    assert "public-address-warning" not in client.get(f"/sites/{site.id}").get_data(as_text=True)
    page = client.get("/admin/public-address").get_data(as_text=True)
    assert f"{PUBLIC}/C/{site.code}".upper() in page and "public-address-problem" not in page

    # A new process (a restart) reads it from the database, whatever its configuration says.
    code = site.code
    db.session.commit()
    restarted = create_app({**base_config(database_url, str(tmp_path)), "PUBLIC_BASE_URL": LOOPBACK})
    with restarted.app_context():
        assert address.public_base_url() == PUBLIC
        assert render.payload(code) == f"{PUBLIC}/C/{code}".upper()
        db.session.remove()
        db.engine.dispose()

    # A second change is an update in the audit log.
    second = client.post("/admin/public-address", data={"public_base_url": "https://cds.phoyen.gov.vn"})
    assert second.status_code == 302
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.entity == "settings").order_by(AuditEvent.id))
    assert [e.action for e in events] == ["create", "update"]


@pytest.mark.parametrize(
    "value, words",
    [
        ("", "Hãy nhập địa chỉ công khai"),
        ("qr.phoyen.thainguyen.gov.vn", "Địa chỉ công khai phải là"),
        ("javascript:alert(1)", "Địa chỉ công khai phải là"),
        ("https://qr.phoyen.gov.vn/?x=1", "Địa chỉ công khai phải là"),
        ("https://" + "a" * 2000 + ".vn", "tối đa 2000"),
    ],
)
def test_a_value_that_is_not_an_http_url_is_refused_naming_the_field_and_nothing_is_stored(
    app, client, auth, users, value, words
):
    auth.login("admin")
    response = client.post("/admin/public-address", data={"public_base_url": value})
    text = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'data-field="public_base_url"' in text and words in text
    assert stored_settings() == 0
    assert not db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.entity == "settings"))


@pytest.mark.parametrize("role", ["manager", "member", "viewer"])
def test_only_admins_see_or_set_the_address(app, client, auth, users, role):
    auth.login(role)
    assert client.get("/admin/public-address").status_code == 403
    assert client.post("/admin/public-address", data={"public_base_url": PUBLIC}).status_code == 403
    assert stored_settings() == 0


def test_other_workers_see_a_new_address_within_the_ttl(app, ward, monkeypatch):
    site = factories.create_site(ward)
    db.session.commit()
    clock = [1000.0]
    monkeypatch.setattr(address.time, "monotonic", lambda: clock[0])
    assert render.payload(site.code).startswith("HTTPS://CDS.EXAMPLE.GOV.VN/")
    address.set_public_base_url(PUBLIC)  # as another worker would: this one's copy is not forgotten
    db.session.commit()
    assert render.payload(site.code).startswith("HTTPS://CDS.EXAMPLE.GOV.VN/")
    clock[0] += address.TTL + 1
    assert render.payload(site.code) == f"{PUBLIC}/C/{site.code}".upper()


def test_the_address_costs_no_sql_on_the_image_route_once_kept(app, client, ward):
    site = factories.create_site(ward)
    db.session.commit()
    assert client.get(f"/qr/{site.code}.png").status_code == 200
    again, asked = count_statements(client.get, f"/qr/{site.code}.svg")
    assert again.status_code == 200 and asked == 0


# --- make run ----------------------------------------------------------------------------------------------


def test_the_command_says_where_the_app_serves_and_warns_about_a_loopback_address(app, runner):
    app.config["PUBLIC_BASE_URL"] = LOOPBACK
    result = runner.invoke(args=["public-address", "--serving", "http://0.0.0.0:8000"])
    assert result.exit_code == 0
    assert "Trang chạy tại: http://0.0.0.0:8000" in result.stdout
    assert f"{LOOPBACK} (theo TRACKER_PUBLIC_BASE_URL)" in result.stdout
    assert "Cảnh báo" in result.stderr and "/admin/public-address" in result.stderr


def test_the_command_names_a_stored_address_and_does_not_warn_about_it(app, runner):
    app.config["PUBLIC_BASE_URL"] = LOOPBACK
    address.set_public_base_url(PUBLIC)
    db.session.commit()
    result = runner.invoke(args=["public-address"])
    assert result.exit_code == 0 and "Trang chạy tại" not in result.stdout
    assert PUBLIC in result.stdout and "Địa chỉ công khai" in result.stdout and not result.stderr


def test_the_page_and_the_banner_read_in_english(app, client, auth, users, ward):
    site = factories.create_site(ward)
    db.session.commit()
    app.config["PUBLIC_BASE_URL"] = LOOPBACK
    auth.login("admin")
    client.get("/?lang=en")
    for url in ("/admin/public-address", f"/sites/{site.id}"):
        page = client.get(url).get_data(as_text=True)
        assert "Public address" in page or "public address" in page, url
        for vietnamese in ("Địa chỉ công khai", "điện thoại", "BẢN IN THỬ", "Cấu hình máy chủ", "Đang dùng"):
            assert vietnamese not in page, (url, vietnamese)
