"""Logging in and out on a phone, a wrong password, and the 404 page, in a real Chromium."""

import re

import pytest
from playwright.sync_api import expect

from tests import factories
from tests.e2e.conftest import WARD

pytestmark = pytest.mark.browser


def test_manager_logs_in_and_out_on_a_phone(page, new_context, live_server):
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login(\?|$)"))

    page.get_by_label("Tên đăng nhập").fill("manager")
    page.get_by_label("Mật khẩu").fill(factories.PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()

    title = page.get_by_test_id("dashboard-title")
    expect(title).to_contain_text("Tổng quan")
    expect(title).to_contain_text(WARD)
    old_cookies = page.context.cookies()
    assert any(c["name"] == "session" for c in old_cookies)
    # Control: before logout the same cookie, replayed elsewhere, is a valid session.
    twin = new_context().new_page()
    twin.context.add_cookies(old_cookies)
    twin.goto("/")
    expect(twin.get_by_test_id("dashboard-title")).to_contain_text(WARD)

    logout = page.get_by_test_id("logout")
    expect(logout).to_be_hidden()  # folded away in the phone menu until it is opened
    page.locator("details.menu > summary").click()
    expect(logout).to_have_text("Đăng xuất")
    logout.click()

    expect(page).to_have_url(f"{live_server.url}/login")
    expect(page.locator(".flash")).to_have_text("Bạn đã đăng xuất.")

    # The server rotated the session token, so the cookie from before logout names no one now.
    replay = new_context()
    replay.add_cookies(old_cookies)
    stale = replay.new_page()
    stale.goto("/")
    expect(stale).to_have_url(re.compile(r"/login(\?|$)"))
    expect(stale.get_by_test_id("dashboard-title")).to_have_count(0)


def test_wrong_password_shows_the_error_next_to_the_field(page, live_server):
    page.goto("/login")
    page.get_by_label("Tên đăng nhập").fill("member")
    page.get_by_label("Mật khẩu").fill("not-the-password")
    page.get_by_role("button", name="Đăng nhập").click()

    error = page.locator('.field.has-error p.error[data-field="password"]')
    expect(error).to_have_text("Tên đăng nhập hoặc mật khẩu không đúng, hoặc tài khoản đã bị khóa.")
    expect(page.get_by_label("Mật khẩu")).to_have_attribute("aria-invalid", "true")
    expect(page).to_have_url(f"{live_server.url}/login")


def test_missing_page_shows_the_vietnamese_404(page):
    response = page.goto("/khong-co-trang-nay")

    assert response is not None and response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("Không tìm thấy trang")
    expect(page.locator("body")).to_contain_text("Trang hoặc dữ liệu bạn tìm không tồn tại.")
    expect(page.locator("body")).not_to_contain_text("Traceback")
