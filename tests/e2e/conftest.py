"""Browser fixtures: the app served for real on a loopback port, driven by Debian's Chromium through Playwright.

`live_server` is one server per session on a copy of the migrated SQLite template, with one account per role
(see ACCOUNTS); tests that change data should make their own rows. `browser` is one Chromium per session;
`page` is a fresh phone-sized context per test, `desktop_page` a desktop one, `new_context` makes more.
"""

import shutil
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright
from werkzeug.serving import make_server

from tests import factories
from tests.conftest import base_config
from tracker import create_app
from tracker.extensions import db

CHROMIUM = Path("/usr/bin/chromium")
# No outside network here: without the background-networking flags Chromium keeps dialling Google and failing.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 3, "is_mobile": True, "has_touch": True}
DESKTOP = {"viewport": {"width": 1280, "height": 800}}
# Fail fast: every page here is local, so waiting longer only hides a broken selector.
TIMEOUT_MS = 5_000

WARD = "Phường Phổ Yên"
# username → role; all but the admin are scoped to WARD. Every password is factories.PASSWORD.
ACCOUNTS = {"admin": "admin", "manager": "manager", "member": "member", "viewer": "viewer"}


@dataclass(frozen=True)
class LiveServer:
    url: str
    app: Flask


def _seed(app: Flask) -> None:
    with app.app_context():
        province = factories.create_unit("Thái Nguyên", "province", code="19")
        ward = factories.create_unit(WARD, "ward", parent=province, code="05860")
        for username, role in ACCOUNTS.items():
            factories.create_user(username, role, None if role == "admin" else ward)
        db.session.commit()
        db.session.remove()


@pytest.fixture(scope="session")
def live_server(sqlite_template, tmp_path_factory):
    """The app on 127.0.0.1 with a random port, in a daemon thread; CSRF stays on as in production."""
    folder = tmp_path_factory.mktemp("e2e")
    path = folder / "tracker.sqlite3"
    shutil.copyfile(sqlite_template, path)
    app = create_app(base_config(f"sqlite:///{path}", str(folder)))
    _seed(app)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    yield LiveServer(f"http://127.0.0.1:{server.server_port}", app)
    server.shutdown()
    thread.join(timeout=5)
    server.server_close()
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        pytest.skip("Chromium not installed: run `make chromium`")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def new_context(browser: Browser, live_server: LiveServer):
    """Make browser contexts (PHONE by default) pointed at the live server; all closed after the test."""
    made: list[BrowserContext] = []

    def make(device: dict = PHONE) -> BrowserContext:
        context = browser.new_context(base_url=live_server.url, locale="vi-VN", **device)
        context.set_default_timeout(TIMEOUT_MS)
        made.append(context)
        return context

    yield make
    for context in made:
        context.close()


@pytest.fixture
def page(new_context) -> Page:
    """A phone-sized page (390×844, touch) in its own context."""
    return new_context(PHONE).new_page()


@pytest.fixture
def desktop_page(new_context) -> Page:
    return new_context(DESKTOP).new_page()


@pytest.fixture
def log_in():
    """Log a page in through the real form: log_in(page, "manager")."""

    def log_in(page: Page, username: str, password: str = factories.PASSWORD) -> None:
        page.goto("/login")
        page.get_by_label("Tên đăng nhập").fill(username)
        page.get_by_label("Mật khẩu").fill(password)
        page.get_by_role("button", name="Đăng nhập").click()
        page.wait_for_url(lambda url: "/login" not in url)

    return log_in
