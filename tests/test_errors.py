"""Error pages: Vietnamese, the right status, never a traceback; JSON under /api."""

import pytest
from flask import abort

from tests.test_api import assert_error, bearer
from tracker.auth.access import public
from tracker.errors import StaleVersion


@pytest.fixture
def failing_routes(app):
    def boom():
        raise RuntimeError("secret internal detail")

    def gone():
        abort(410)

    def stale():
        raise StaleVersion()

    for name, view in (("boom", boom), ("gone", gone), ("stale", stale)):
        app.add_url_rule(f"/_test/{name}", f"test_{name}", public(view))
        app.add_url_rule(f"/api/v1/_test/{name}", f"api_test_{name}", public(view))
    return app


@pytest.mark.parametrize(
    ("path", "status", "text"),
    [
        ("/khong-co-trang-nay", 404, "Không tìm thấy trang"),
        ("/_test/boom", 500, "Lỗi hệ thống"),
        ("/_test/gone", 410, "Không còn hiệu lực"),
        ("/_test/stale", 409, "Dữ liệu đã thay đổi"),
    ],
)
def test_error_pages_are_vietnamese_without_traceback(client, failing_routes, path, status, text):
    response = client.get(path)
    assert response.status_code == status
    body = response.get_data(as_text=True)
    assert text in body
    assert "Traceback" not in body and "secret internal detail" not in body
    assert '<html lang="vi">' in body


@pytest.mark.parametrize(("name", "status"), [("boom", 500), ("gone", 410), ("stale", 409)])
def test_api_errors_are_json(client, failing_routes, name, status):
    response = client.get(f"/api/v1/_test/{name}")
    assert response.status_code == status
    error = response.get_json()["error"]
    assert error["message"] and error["code"]
    assert "secret internal detail" not in response.get_data(as_text=True)


def test_method_not_allowed(client):
    assert client.delete("/login").status_code == 405


def test_upload_over_the_limit_is_413(app, client):
    app.config["MAX_CONTENT_LENGTH"] = 1024
    response = client.post("/login", data={"username": "x" * 4096, "password": "y"})
    assert response.status_code == 413
    assert "Tệp quá lớn" in response.get_data(as_text=True)


def test_english_catalog_is_available(client):
    page = client.get("/login?lang=en")
    assert "Sign in" in page.get_data(as_text=True)
    assert client.get("/login").get_data(as_text=True).count("Sign in") >= 1  # remembered by cookie
    assert "Đăng nhập" in client.get("/login?lang=vi").get_data(as_text=True)


# --- page numbers past any table: never an OFFSET overflow -------------------------------------------------------

HUGE_PAGES = ("922337203685477580", str(10**20))


@pytest.mark.parametrize("page", HUGE_PAGES)
@pytest.mark.parametrize(
    ("path", "status"),
    [
        # The lists answer a page past the end with a 404, the admin lists with an empty page: a huge page alike.
        ("/sites/", 404),
        ("/documents/", 404),
        ("/programs/", 404),
        ("/units/", 404),
        ("/services/", 404),
        ("/boards/", 404),
        ("/admin/users", 200),
        ("/admin/audit", 200),
    ],
)
def test_a_huge_page_of_a_list_is_past_its_end(client, auth, users, path, page, status):
    auth.login("admin")
    assert client.get(f"{path}?page=2").status_code == status
    assert client.get(f"{path}?page={page}").status_code == status


def test_a_huge_page_of_the_api_is_refused_or_empty(client, users):
    headers = bearer(users["admin"])
    error = assert_error(client.get(f"/api/v1/sites?page={10**20}", headers=headers), 422, "invalid")
    assert "page" in error["fields"]
    for path in ("/api/v1/sites", "/api/v1/documents", "/api/v1/units"):
        last = client.get(f"{path}?page=999999999999999999&per_page=200", headers=headers)
        assert last.status_code == 200
        assert last.json["items"] == []
