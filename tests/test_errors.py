"""Error pages: Vietnamese, the right status, never a traceback; JSON under /api."""

import pytest
from flask import abort

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
    assert client.delete("/login").status_code in (400, 405)


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
