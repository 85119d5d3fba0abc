"""The first hour on a fresh install, in a real Chromium (issue 11's walk): `init`'s admin signs in with the printed
password and must choose another, sets the public address (the default points at 127.0.0.1, which no phone opens),
creates a manager by typing a unit's name without accents; the manager signs in, chooses a password, registers a
site and prints its poster, whose decoded QR is the public address."""

import re
import shutil
import threading
from pathlib import Path

import pypdfium2
import pytest
import sqlalchemy as sa
from playwright.sync_api import Browser, expect
from werkzeug.serving import make_server

from tests.conftest import base_config
from tests.e2e.conftest import DESKTOP, TIMEOUT_MS
from tests.e2e.test_sites_flow import _decode
from tracker import create_app
from tracker.extensions import db
from tracker.text import fold
from tracker.units.models import Unit

PUBLIC = "https://cds.phoyen.example.gov.vn"


@pytest.fixture(scope="module")
def fresh_install(sqlite_template, tmp_path_factory):
    """A migrated, empty database after `flask init --no-demo` (the official units and the admin), served on a
    loopback port with the default public address; the admin's printed password."""
    folder = tmp_path_factory.mktemp("first-hour")
    path = folder / "tracker.sqlite3"
    shutil.copyfile(sqlite_template, path)
    app = create_app(base_config(f"sqlite:///{path}", str(folder)) | {"PUBLIC_BASE_URL": "http://127.0.0.1:5000"})
    result = app.test_cli_runner().invoke(args=["init", "--no-demo"])
    assert result.exit_code == 0, result.output
    password = re.search(r"Mật khẩu \(chỉ hiện một lần\): (\S+)", result.output).group(1)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", app, password
    server.shutdown()
    thread.join(timeout=5)
    server.server_close()
    with app.app_context():
        db.engine.dispose()


def a_ward_named_once(app) -> Unit:
    """A current ward whose name, without accents, names no other unit: typed as a newcomer would."""
    with app.app_context():
        units = db.session.scalars(sa.select(Unit).where(Unit.valid_to.is_(None))).all()
        counts: dict[str, int] = {}
        for unit in units:
            counts[fold(unit.name)] = counts.get(fold(unit.name), 0) + 1
        ward = next(u for u in units if u.kind.value == "ward" and counts[fold(u.name)] == 1)
        db.session.expunge(ward)
        return ward


def sign_in_and_choose_a_password(page, base: str, username: str, given: str, chosen: str) -> None:
    page.goto(f"{base}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", given)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url(re.compile(r"/password$"))  # a password someone else chose works once
    page.fill("input[name=current]", given)
    page.fill("input[name=password]", chosen)
    page.fill("input[name=confirm]", chosen)
    page.locator("form button[type=submit]").last.click()
    page.wait_for_url(lambda url: not url.endswith("/password"))


def test_the_first_hour_from_init_to_a_poster_a_phone_can_open(browser: Browser, fresh_install, tmp_path):
    base, app, printed = fresh_install
    ward = a_ward_named_once(app)
    admin = browser.new_context(**DESKTOP)
    admin.set_default_timeout(TIMEOUT_MS)
    page = admin.new_page()
    sign_in_and_choose_a_password(page, base, "admin", printed, "trang sang tren song cau phuong")

    # Before printing: the sites page warns that the default address opens on no phone, and leads to the setting.
    page.goto(f"{base}/sites/")
    expect(page.get_by_test_id("public-address-warning")).to_contain_text("TRACKER_PUBLIC_BASE_URL")
    page.get_by_test_id("public-address-link").click()
    page.wait_for_url(re.compile(r"/admin/public-address$"))
    expect(page.locator("body")).to_contain_text("127.0.0.1")
    page.fill("input[name=public_base_url]", PUBLIC)
    page.locator("form.form button[type=submit]").click()
    expect(page.locator("input[name=public_base_url]")).to_have_value(PUBLIC)
    page.goto(f"{base}/sites/")
    expect(page.get_by_test_id("public-address-warning")).to_have_count(0)

    # A manager, by the ward's name typed without accents.
    page.goto(f"{base}/admin/users/new")
    page.fill("input[name=username]", "quanly")
    page.fill("input[name=full_name]", "Nguyễn Văn A")
    page.select_option("select[name=role]", "manager")
    page.fill("input[name=unit_code]", fold(ward.name))
    page.fill("input[name=password]", "Cds-phuong-2025")
    page.locator("form button[type=submit]").last.click()
    page.wait_for_url(re.compile(r"/admin/users/\d+$"))
    expect(page.locator("body")).to_contain_text(ward.name)

    # The manager: a password of their own, a site, its poster.
    manager = browser.new_context(**DESKTOP, accept_downloads=True)
    manager.set_default_timeout(TIMEOUT_MS)
    desk = manager.new_page()
    sign_in_and_choose_a_password(desk, base, "quanly", "Cds-phuong-2025", "mot buoi sang dep troi o phuong")
    desk.goto(f"{base}/sites/new")
    desk.fill("input[name=name]", "Nhà văn hóa tổ dân phố 5")
    desk.select_option("select[name=kind]", "residential_group")
    desk.locator("form button[type=submit]").last.click()
    desk.wait_for_url(re.compile(r"/sites/\d+$"))
    expect(desk.get_by_test_id("site-payload")).to_have_text(re.compile(f"^{re.escape(PUBLIC.upper())}/C/"))
    with desk.expect_download() as info:
        desk.get_by_test_id("poster-a4").click()
    data = Path(info.value.path()).read_bytes()
    pdf = pypdfium2.PdfDocument(data)
    try:
        sheet = pdf[0]
        text = sheet.get_textpage().get_text_range()
        assert "BẢN IN THỬ" not in text and ward.name in text
        (decoded,) = _decode(sheet.render(scale=150 / 72).to_pil())
    finally:
        pdf.close()
    assert decoded.startswith(f"{PUBLIC.upper()}/C/")
    admin.close()
    manager.close()
