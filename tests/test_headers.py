"""The headers of every kind of response (DESIGN §12): the Content-Security-Policy and its companions everywhere,
`no-store` where a signed-in user's data or the API answers, each view's own caching kept, 405 with `Allow`, HSTS
and `__Host-` cookies under HTTPS, no server announcing its version; and no template that the policy would break."""

import base64
import hashlib
import re
import shutil
import threading
import urllib.request
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select
from werkzeug.serving import make_server

from tests import factories
from tests.servers import Browser, Gunicorn
from tracker import PROJECT_ROOT
from tracker.auth.services import issue_api_token
from tracker.boards.services import BoardFields, MemberFields, add_member, create_board
from tracker.checkin.views import DEVICE_COOKIE
from tracker.extensions import db
from tracker.units.models import Unit

TEMPLATES = PROJECT_ROOT / "templates"
NO_STORE = "private, no-store"


def directives(response) -> dict[str, str]:
    policy = response.headers["Content-Security-Policy"]
    return {part.split()[0]: part.partition(" ")[2] for part in (p.strip() for p in policy.split(";")) if part}


def assert_secured(response) -> None:
    """What every response carries, whatever it is."""
    policy = directives(response)
    assert "unsafe-inline" not in response.headers["Content-Security-Policy"]
    assert "unsafe-eval" not in response.headers["Content-Security-Policy"]
    assert policy["default-src"] == "'self'"
    assert policy["script-src"] == "'self'"
    assert policy["style-src"].split()[0] == "'self'"
    assert all(source.startswith("'sha256-") for source in policy["style-src"].split()[1:])
    assert policy["object-src"] == "'none'"
    assert policy["frame-ancestors"] == "'none'"
    assert policy["base-uri"] == "'none'" and policy["form-action"] == "'self'"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert "Strict-Transport-Security" not in response.headers  # plain HTTP: only under TRACKER_HTTPS
    assert "Server" not in response.headers


def assert_no_inline_code(html: str) -> None:
    """Nothing in a page that the policy refuses: no style attribute, no inline script or handler."""
    assert not re.search(r"\sstyle\s*=", html), re.search(r".{80}\sstyle\s*=.{80}", html, re.S)
    assert not re.search(r"\son[a-z]+\s*=\s*[\"']", html)
    for tag in re.findall(r"<script\b[^>]*>", html):
        assert " src=" in tag, tag


@pytest.fixture
def site(app, ward):
    made = factories.create_site(ward, address="Tổ dân phố 5")
    db.session.commit()
    return made


@pytest.fixture
def program(app, ward, users):
    program = factories.create_program(ward)
    parent = factories.create_task(program, "Kiện toàn Ban chỉ đạo")
    factories.create_task(program, "Ban hành quyết định", parent=parent)
    leaf = factories.create_task(program, "Thu ngân sách", target=Decimal("2.94"), unit_label="tỷ đồng")
    factories.create_task_update(leaf, users["admin"], "4.03")
    db.session.commit()
    return program


# --- public responses ------------------------------------------------------------------------------------------


def test_the_login_page_is_secured_and_not_no_store(client):
    page = client.get("/login")
    assert page.status_code == 200
    assert_secured(page)
    assert "no-store" not in page.headers.get("Cache-Control", "")  # public: nothing of anyone's in it
    assert_no_inline_code(page.get_data(as_text=True))


def test_the_check_in_page_inlines_only_the_stylesheet_its_policy_names(client, site):
    page = client.get(f"/c/{site.code}")
    assert page.status_code == 200
    assert_secured(page)
    assert page.headers["Cache-Control"] == NO_STORE  # its own: it carries this phone's CSRF token
    html = page.get_data(as_text=True)
    assert_no_inline_code(html)
    styles = re.findall(r"<style>(.*?)</style>", html, re.S)
    assert len(styles) == 1 and "button:disabled" in styles[0]
    digest = base64.b64encode(hashlib.sha256(styles[0].encode()).digest()).decode()
    assert f"'sha256-{digest}'" in directives(page)["style-src"].split()
    assert 'data-submit-once' in html and "onsubmit" not in html


def test_public_qr_images_keep_their_year_of_caching_even_for_a_signed_in_user(client, auth, users, site):
    for signed_in in (False, True):
        if signed_in:
            auth.login("viewer")
        image = client.get(f"/qr/{site.code}.svg")
        assert image.status_code == 200 and image.mimetype == "image/svg+xml"
        assert_secured(image)
        assert image.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        assert "Vary" not in image.headers
        assert b"style" not in image.data  # an SVG opened on its own is a document under the policy


def test_static_files_keep_their_revalidation_even_for_a_signed_in_user(client, auth, users):
    auth.login("viewer")
    for path in ("/static/css/app.css", "/static/js/app.js"):
        with client.get(path) as response:
            assert response.status_code == 200
            assert_secured(response)
            assert response.headers["Cache-Control"] == "no-cache"  # Flask's: revalidated by ETag, not no-store
            assert response.headers["ETag"]


def test_a_404_page_is_secured(client):
    page = client.get("/no-such-page")
    assert page.status_code == 404
    assert_secured(page)
    assert_no_inline_code(page.get_data(as_text=True))


# --- signed in -------------------------------------------------------------------------------------------------


def test_every_page_of_a_signed_in_user_is_no_store_and_has_no_inline_code(client, auth, users, ward, program, site):
    auth.login("admin")
    leaf = next(t for t in program.tasks if t.title == "Thu ngân sách")
    pages = [
        f"/?unit_id={ward.id}",
        f"/programs/{program.id}",
        f"/tasks/{leaf.id}",
        f"/sites/{site.id}",
        "/sites/",
        "/admin/users",
        "/admin/audit",
        "/no-such-page",  # an error page of a signed-in user names them in its menu
    ]
    for path in pages:
        page = client.get(path)
        assert page.status_code in (200, 404), path
        assert_secured(page)
        assert page.headers["Cache-Control"] == NO_STORE, path
        html = page.get_data(as_text=True)
        assert_no_inline_code(html)
    task_page = client.get(f"/tasks/{leaf.id}").get_data(as_text=True)
    assert '<svg xmlns="http://www.w3.org/2000/svg" class="chart"' in task_page  # the value chart, drawn
    program_page = client.get(f"/programs/{program.id}").get_data(as_text=True)
    assert re.search(r'data-depth="1"', program_page)  # indentation comes from app.css by data-depth
    assert re.search(r'<rect class="bar-fill" width="100(\.0)?" height="1"/>', program_page)  # 4,03 of 2,94


def test_exports_with_personal_data_are_no_store(client, auth, users, ward, site):
    board = create_board(ward, BoardFields(name="Ban chỉ đạo chuyển đổi số", target_size=3))
    member = MemberFields(person_name="Nguyễn Văn A", role="head", starts_on=date(2022, 1, 1), phone="0912345678")
    add_member(board, member)
    db.session.commit()
    auth.login("manager")
    for path in (f"/boards/{board.id}/members.xlsx", "/sites/export.csv", "/sites/export.xlsx"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert "attachment" in response.headers["Content-Disposition"]
        assert_secured(response)
        assert "no-store" in response.headers["Cache-Control"], path


# --- the API ---------------------------------------------------------------------------------------------------


def test_api_answers_and_errors_are_json_and_no_store(client, users, ward):
    token = issue_api_token(users["viewer"], "test")
    db.session.commit()
    bearer = {"Authorization": f"Bearer {token}"}
    for path, headers, status in [
        ("/api/v1/programs", bearer, 200),
        ("/api/v1/programs/999999", bearer, 404),
        ("/api/v1/programs", {}, 401),
        ("/api/v1/no-such-thing", {}, 404),
    ]:
        response = client.get(path, headers=headers)
        assert response.status_code == status, path
        assert response.is_json, path
        assert_secured(response)
        assert response.headers["Cache-Control"] == NO_STORE, path


# --- 405 -------------------------------------------------------------------------------------------------------


def test_a_405_says_which_methods_are_allowed_in_html_and_json(client):
    page = client.delete("/login")
    assert page.status_code == 405
    assert set(page.headers["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS", "POST"}
    assert "text/html" in page.headers["Content-Type"]
    assert_secured(page)
    answer = client.delete("/api/v1/programs")
    assert answer.status_code == 405 and answer.is_json
    assert answer.get_json()["error"]["code"] == "method_not_allowed"
    assert set(answer.headers["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS", "POST"}
    assert_secured(answer)


# --- templates -------------------------------------------------------------------------------------------------


def test_no_template_holds_inline_script_handlers_or_style_attributes():
    found = []
    for path in sorted(TEMPLATES.rglob("*.html")):
        source = path.read_text(encoding="utf-8")
        name = path.relative_to(TEMPLATES)
        for body in re.findall(r"<script\b[^>]*>(.*?)</script>", source, re.S):
            if body.strip():
                found.append(f"{name}: inline <script>")
        found += [f"{name}: {m.group(0)!r}" for m in re.finditer(r"\son[a-z]{3,}\s*=\s*[\"']", source)]
        found += [f"{name}: {m.group(0)!r}" for m in re.finditer(r"\sstyle\s*=|[\"']style[\"']\s*:", source)]
        for style in re.findall(r"<style\b[^>]*>(.*?)</style>", source, re.S):
            if style != "{{ checkin_css }}":  # the one inline stylesheet, allowed by its hash
                found.append(f"{name}: inline <style>")
    assert not found, found


# --- under HTTPS -----------------------------------------------------------------------------------------------


def set_cookies(response) -> dict[str, str]:
    return {c.split("=", 1)[0]: c for c in response.headers.getlist("Set-Cookie")}


def test_under_https_cookies_are_host_prefixed_and_secure_hsts_is_sent_and_login_works(https_app):
    client = https_app.test_client()
    base = "https://localhost"
    form = client.get("/login", base_url=base)
    assert form.headers["Strict-Transport-Security"] == "max-age=63072000; includeSubDomains"
    token = re.search(r'name="csrf-token" content="([^"]+)"', form.get_data(as_text=True)).group(1)
    # A browser sends the Referer on a same-origin form: Flask-WTF insists on it under HTTPS.
    signed_in = client.post(
        "/login?lang=en",
        data={"username": "viewer", "password": factories.PASSWORD, "csrf_token": token},
        base_url=base,
        headers={"Referer": f"{base}/login"},
        csrf=False,
    )
    assert signed_in.status_code == 302, signed_in.get_data(as_text=True)
    cookies = set_cookies(signed_in)
    assert set(cookies) == {"__Host-session", "__Host-lang"}
    for cookie in cookies.values():
        attributes = {part.strip().split("=")[0].lower() for part in cookie.split(";")[1:]}
        assert {"secure", "httponly", "path"} <= attributes and "domain" not in attributes, cookie
        assert "Path=/" in cookie and "SameSite=Lax" in cookie
    home = client.get("/", base_url=base)
    assert home.status_code == 200 and home.headers["Cache-Control"] == NO_STORE
    assert 'data-testid="logout"' in home.get_data(as_text=True)  # signed in, through the __Host- cookie
    assert home.headers["Strict-Transport-Security"].startswith("max-age=")
    assert int(home.headers["Strict-Transport-Security"].split("=")[1].split(";")[0]) >= 365 * 24 * 3600


def test_under_https_the_check_in_device_cookie_is_host_prefixed(https_app):
    ward = db.session.scalar(select(Unit).where(Unit.code == "05860"))
    site = factories.create_site(ward)
    db.session.commit()
    client = https_app.test_client()
    page = client.get(f"/c/{site.code}", base_url="https://localhost")
    cookie = set_cookies(page)[f"__Host-{DEVICE_COOKIE}"]
    assert "Secure" in cookie and "Path=/" in cookie and "Domain" not in cookie
    again = client.get(f"/c/{site.code}", base_url="https://localhost")
    assert f"__Host-{DEVICE_COOKIE}" not in set_cookies(again)  # read back under its prefixed name, kept


# --- the servers -----------------------------------------------------------------------------------------------


def fetch_headers(url: str):
    with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 (a loopback URL built here)
        response.read()  # the whole body: a server cut short may leave its file open
        return response.headers


def test_the_development_server_does_not_announce_itself(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        headers = fetch_headers(f"http://127.0.0.1:{server.server_port}/static/css/app.css")
    finally:
        server.shutdown()
        thread.join(timeout=5)
        server.server_close()
    assert headers.get_all("Server") is None
    assert headers["X-Content-Type-Options"] == "nosniff"


def test_gunicorn_names_itself_without_a_version(sqlite_template, tmp_path):
    """As the README launches it (from the checkout, gunicorn.conf.py applying): gunicorn's own `Server: gunicorn`
    — it has no setting to drop it, and nginx does not pass it on — never a version; the app's headers as well."""
    pytest.importorskip("gunicorn")
    database = shutil.copyfile(sqlite_template, tmp_path / "tracker.sqlite3")
    server = Gunicorn(tmp_path, {"TRACKER_DATABASE_URL": f"sqlite:///{database}"}, workers=1)
    try:
        server.wait_ready()
        status, headers, _ = Browser(server.port).get("/static/css/app.css")
    finally:
        server.stop()
    assert status == 200
    assert headers.get_all("Server") == ["gunicorn"]
    assert "Content-Security-Policy" in headers and headers["X-Frame-Options"] == "DENY"
