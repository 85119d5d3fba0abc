"""Account administration through the /admin screens: who may do what, bad input, ending access."""

import html
import re

import pytest
from sqlalchemy import func, select

from tests import factories
from tests.conftest import AuthActions
from tracker.auth import services
from tracker.auth.models import Role, User
from tracker.extensions import db

NEW_PASSWORD = "Doi-mat-khau-2025"


def count_users(username: str) -> int:
    return db.session.scalar(select(func.count(User.id)).where(User.username == username))


def new_user_data(**overrides) -> dict:
    data = {
        "username": "nguyenvana",
        "full_name": "Nguyễn Văn A",
        "role": "member",
        "unit_code": "05860",
        "password": "Cds-phuong-2025",
    }
    data.update(overrides)
    return data


def edit_data(user: User, **overrides) -> dict:
    data = {
        "full_name": user.full_name,
        "role": user.role.value,
        "unit_code": user.unit.code if user.unit else "",
        "is_active": "y",
        "version": str(user.version),
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def signed_in(app, username: str):
    """A separate browser, signed in as `username`."""
    other = app.test_client()
    assert AuthActions(other).login(username).status_code == 302
    return other


def field_error(html: str, field: str) -> str:
    match = re.search(rf'<p class="error" id="[^"]*" data-field="{field}">([^<]*)</p>', html)
    assert match, f"no error on field {field}"
    return match.group(1)


def test_admin_creates_a_user_who_can_log_in(app, client, auth, users):
    auth.login("admin")
    response = client.post("/admin/users/new", data=new_user_data())
    assert response.status_code == 302
    user = db.session.scalar(select(User).where(User.username == "nguyenvana"))
    assert response.headers["Location"] == f"/admin/users/{user.id}"
    assert (user.full_name, user.role, user.unit.code, user.is_active) == ("Nguyễn Văn A", Role.MEMBER, "05860", True)

    other = app.test_client()
    login = AuthActions(other).login("nguyenvana", "Cds-phuong-2025")
    assert login.status_code == 302
    assert other.get("/password").status_code == 200


def test_user_list_filters_and_search(client, auth, users):
    auth.login("admin")
    page = client.get("/admin/users").get_data(as_text=True)
    listed = re.findall(r'data-testid="user-row" data-username="([^"]+)"', page)
    assert sorted(listed) == ["admin", "manager", "member", "viewer"]
    assert "Thư ký, quản lý" in page and "Phường Phổ Yên" in page

    page = client.get("/admin/users?role=member").get_data(as_text=True)
    assert re.findall(r'data-username="([^"]+)"', page) == ["member"]
    page = client.get("/admin/users?q=MANA").get_data(as_text=True)
    assert re.findall(r'data-username="([^"]+)"', page) == ["manager"]


def test_manager_sees_only_accounts_in_scope(client, auth, users, province):
    other_ward = factories.create_unit("Phường Bãi Bông", "ward", parent=province, code="05861")
    factories.create_user("outsider", "member", other_ward)
    db.session.commit()
    auth.login("manager")
    page = client.get("/admin/users").get_data(as_text=True)
    listed = sorted(re.findall(r'data-testid="user-row" data-username="([^"]+)"', page))
    assert listed == ["manager", "member", "viewer"]
    outsider = db.session.scalar(select(User).where(User.username == "outsider"))
    assert client.get(f"/admin/users/{outsider.id}/edit").status_code == 403
    assert client.get(f"/admin/users/{users['admin'].id}/edit").status_code == 403
    assert client.get(f"/admin/users/{users['member'].id}").status_code == 200


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"username": "member"}, "username", "Tên đăng nhập “member” đã có người dùng."),
        ({"password": "ngan123"}, "password", "Mật khẩu phải có ít nhất 10 ký tự."),
        (
            {"password": "password12"},
            "password",
            "Mật khẩu này nằm trong danh sách mật khẩu phổ biến mà kẻ gian thử đầu tiên; hãy chọn mật khẩu khác.",
        ),
        ({"unit_code": "99999"}, "unit_code", "Không có đơn vị nào mang mã “99999”."),
        ({"unit_code": ""}, "unit_code", "Hãy chọn đơn vị cho tài khoản không phải quản trị."),
    ],
)
def test_bad_input_is_refused_on_its_field(client, auth, users, overrides, field, message):
    auth.login("admin")
    before = db.session.scalar(select(func.count(User.id)))
    response = client.post("/admin/users/new", data=new_user_data(**overrides))
    assert response.status_code == 400
    assert field_error(response.get_data(as_text=True), field) == message
    db.session.rollback()
    assert db.session.scalar(select(func.count(User.id))) == before


def test_every_problem_is_reported_at_once(client, auth, users):
    auth.login("admin")
    response = client.post("/admin/users/new", data=new_user_data(username="member", password="x", unit_code="0"))
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    for field in ("username", "password", "unit_code"):
        field_error(html, field)


def test_manager_cannot_create_an_admin_or_an_account_outside_scope(client, auth, users, province):
    auth.login("manager")
    form = client.get("/admin/users/new").get_data(as_text=True)
    assert 'value="admin"' not in form

    response = client.post("/admin/users/new", data=new_user_data(role="admin", unit_code=""))
    assert response.status_code == 400
    assert field_error(response.get_data(as_text=True), "role") == "Bạn không có quyền cấp vai trò “Quản trị hệ thống”."
    assert count_users("nguyenvana") == 0

    response = client.post("/admin/users/new", data=new_user_data(role="manager", unit_code="19"))
    assert response.status_code == 400
    assert "nằm ngoài phạm vi bạn quản lý" in field_error(response.get_data(as_text=True), "unit_code")
    assert count_users("nguyenvana") == 0

    assert client.post("/admin/users/new", data=new_user_data()).status_code == 302
    assert count_users("nguyenvana") == 1


def test_manager_cannot_promote_to_admin(client, auth, users):
    auth.login("manager")
    member = users["member"]
    response = client.post(f"/admin/users/{member.id}/edit", data=edit_data(member, role="admin", unit_code=""))
    assert response.status_code == 400
    db.session.expire_all()
    assert member.role == Role.MEMBER


def test_viewer_and_member_are_refused(client, auth, users):
    for name in ("viewer", "member"):
        auth.login(name)
        assert client.get("/admin/users").status_code == 403
        assert client.get("/admin/users/new").status_code == 403
        assert client.get("/admin/audit").status_code == 403
        auth.logout()
    auth.login("manager")
    assert client.get("/admin/audit").status_code == 403


def test_anonymous_is_sent_to_login(client, users):
    response = client.get("/admin/users")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


def test_edit_saves_and_unknown_user_is_404(client, auth, users):
    auth.login("admin")
    viewer = users["viewer"]
    response = client.post(
        f"/admin/users/{viewer.id}/edit", data=edit_data(viewer, full_name="Trần Thị B", role="member")
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert (viewer.full_name, viewer.role) == ("Trần Thị B", Role.MEMBER)
    assert client.get("/admin/users/9999/edit").status_code == 404


def test_deactivation_ends_sessions_and_api_tokens(app, client, auth, users):
    member = users["member"]
    token = services.issue_api_token(member, "test")
    db.session.commit()
    browser = signed_in(app, "member")
    assert browser.get("/password").status_code == 200
    api = app.test_client()
    assert api.get("/password", headers={"Authorization": f"Bearer {token}"}).status_code == 200

    auth.login("admin")
    response = client.post(f"/admin/users/{member.id}/edit", data=edit_data(member, is_active=None))
    assert response.status_code == 302

    after = browser.get("/password")
    assert after.status_code == 302
    assert after.headers["Location"].startswith("/login")
    assert api.get("/password", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    db.session.expire_all()
    assert member.is_active is False
    assert services.user_by_api_token(token) is None
    assert AuthActions(app.test_client()).login("member").status_code == 401


def test_nobody_deactivates_themselves(client, auth, users):
    auth.login("admin")
    admin = users["admin"]
    response = client.post(f"/admin/users/{admin.id}/edit", data=edit_data(admin, is_active=None))
    assert response.status_code == 400
    assert field_error(response.get_data(as_text=True), "is_active")


def test_password_reset_ends_sessions(app, client, auth, users):
    member = users["member"]
    browser = signed_in(app, "member")
    auth.login("admin")
    response = client.post(
        f"/admin/users/{member.id}/password", data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    )
    assert response.status_code == 302
    after = browser.get("/password")
    assert after.status_code == 302
    assert after.headers["Location"].startswith("/login")
    fresh = AuthActions(app.test_client())
    assert fresh.login("member").status_code == 401
    assert fresh.login("member", NEW_PASSWORD).status_code == 302


def test_weak_reset_password_is_refused(client, auth, users):
    member = users["member"]
    old_hash = member.password_hash
    auth.login("admin")
    response = client.post(
        f"/admin/users/{member.id}/password", data={"password": "member1234", "confirm": "member1234"}
    )
    assert response.status_code == 400
    assert field_error(response.get_data(as_text=True), "password") == "Mật khẩu không được chứa tên đăng nhập."
    db.session.expire_all()
    assert member.password_hash == old_hash


def test_stale_version_is_a_conflict_and_overwrites_nothing(app, client, auth, users):
    auth.login("admin")
    viewer = users["viewer"]
    opened = edit_data(viewer, full_name="Bản của quản trị")
    # Someone else saves first.
    manager = signed_in(app, "manager")
    first = manager.post(f"/admin/users/{viewer.id}/edit", data=edit_data(viewer, full_name="Bản của thư ký"))
    assert first.status_code == 302

    response = client.post(f"/admin/users/{viewer.id}/edit", data=opened)
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "vừa được người khác cập nhật" in html
    assert 'value="Bản của thư ký"' in html  # the form now shows what is saved
    db.session.expire_all()
    assert viewer.full_name == "Bản của thư ký"


def test_edit_without_a_version_is_refused(client, auth, users):
    auth.login("admin")
    viewer = users["viewer"]
    response = client.post(f"/admin/users/{viewer.id}/edit", data=edit_data(viewer, full_name="Ai đó", version=None))
    assert response.status_code == 400
    assert "Biểu mẫu thiếu thông tin phiên bản: hãy tải lại trang rồi sửa lại." in response.get_data(as_text=True)
    db.session.expire_all()
    assert viewer.full_name == "Viewer"


@pytest.mark.parametrize("editor", ["admin", "manager"])
def test_editing_a_user_of_a_unit_without_a_code_shows_it_and_keeps_it(client, auth, users, ward, editor):
    group = factories.create_unit("Tổ dân phố số 5", "residential_group", parent=ward)
    user = factories.create_user("to5", "member", group, full_name="Lê Văn E")
    db.session.commit()
    auth.login(editor)
    page = client.get(f"/admin/users/{user.id}/edit").get_data(as_text=True)
    tag = re.search(r'<input[^>]*name="unit_code"[^>]*>', page).group(0)
    shown = html.unescape(re.search(r'value="([^"]*)"', tag).group(1))
    assert shown == f"Tổ dân phố số 5, Phường Phổ Yên (#{group.id})"
    response = client.post(f"/admin/users/{user.id}/edit", data=edit_data(user, unit_code=shown))
    assert response.status_code == 302
    db.session.expire_all()
    assert (user.unit_id, user.role, user.full_name) == (group.id, Role.MEMBER, "Lê Văn E")
