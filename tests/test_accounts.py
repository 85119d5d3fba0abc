"""Accounts (ASVS V6/V7): passwords by length and a shipped list of common ones, no composition rule; one account
attacked from many addresses is slowed, then locked for minutes (audited); a password someone else chose works
once, to choose another; a new account starts as a viewer."""

import re

import pytest
from sqlalchemy import select

from tests import factories
from tests.conftest import AuthActions
from tracker.audit import AuditEvent
from tracker.auth import services
from tracker.auth.models import Role, User
from tracker.auth.passwords import common_passwords, password_problem
from tracker.extensions import db

COMMON = "danh sách mật khẩu phổ biến"


def test_the_shipped_list_holds_ten_thousand_common_passwords_vietnamese_ones_included():
    listed = common_passwords()
    assert len(listed) >= 10_000
    assert {"anhyeuem123", "matkhau", "123456789a", "password", "iloveyou", "emyeuanh"} <= listed


@pytest.mark.parametrize("password", ["password12", "anhyeuem123", "123456789a", "Matkhau@2025", "@@qwerty1234"])
def test_a_common_password_or_a_common_word_dressed_up_is_refused(password):
    assert COMMON in password_problem(password, "nguyenvana")


@pytest.mark.parametrize(
    ("password", "problem"),
    [("matkhau", "ít nhất 10 ký tự"), ("nguyenvana-2025", "tên đăng nhập"), ("x" * 257, "tối đa 256")],
)
def test_short_long_or_name_bearing_passwords_are_refused(password, problem):
    assert problem in password_problem(password, "nguyenvana")


@pytest.mark.parametrize("password", ["trang sang tren song cau", "Trăng sáng trên sông Cầu", "Mat-khau-2025!"])
def test_a_long_passphrase_of_letters_only_is_accepted(password):
    assert password_problem(password, "nguyenvana") is None


def test_the_forms_refuse_a_common_password_with_its_reason(client, auth, users):
    auth.login("admin")
    data = {"username": "nguyenvana", "full_name": "", "role": "member", "unit_code": "05860", "password": "password12"}
    response = client.post("/admin/users/new", data=data)
    assert response.status_code == 400 and COMMON in response.get_data(as_text=True)
    assert db.session.scalar(select(User).where(User.username == "nguyenvana")) is None
    auth.logout()
    auth.login("member")
    own = {"current": factories.PASSWORD, "password": "anhyeuem123", "confirm": "anhyeuem123"}
    response = client.post("/password", data=own)
    assert response.status_code == 400 and COMMON in response.get_data(as_text=True)


def addresses(n: int) -> list[dict]:
    return [{"REMOTE_ADDR": f"10.0.{i // 250}.{i % 250 + 1}"} for i in range(n)]


def test_forty_failed_logins_from_forty_addresses_lock_the_account_for_minutes(app, client, users):
    """Each address stays far under its own limit; the account's is what stops the attack."""
    attacker = app.test_client()
    answers = [
        attacker.post("/login", data={"username": "Manager ", "password": f"doan-thu-{n}"}, environ_base=env)
        for n, env in enumerate(addresses(40))
    ]
    statuses = [response.status_code for response in answers]
    assert statuses[:3] == [401, 401, 401]  # then slowed: three a minute
    assert statuses[3:] == [429] * 37
    locked = answers[-1].get_data(as_text=True)
    assert "tạm khóa đăng nhập" in locked and re.search(r"thử lại sau \d+ phút", locked)
    assert int(answers[-1].headers["Retry-After"]) > 0
    # The right password from a new address is refused too while the lock lasts: a lucky guess tells nothing.
    right = app.test_client().post("/login", data={"username": "manager", "password": factories.PASSWORD},
                                   environ_base={"REMOTE_ADDR": "10.9.9.9"})
    assert right.status_code == 429
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "login_locked")).all()
    assert len(events) == 38 and events[0].changes["username"] == "manager" and events[0].ip
    assert len(db.session.scalars(select(AuditEvent).where(AuditEvent.action == "login_failed")).all()) == 3
    # Another account is not touched.
    other = AuthActions(app.test_client()).login("viewer")
    assert other.status_code == 302


def test_the_lock_lifts_when_its_window_ends(app, client, users, monkeypatch):
    import time as clock

    for n, env in enumerate(addresses(12)):
        client.post("/login", data={"username": "viewer", "password": f"sai-{n}"}, environ_base=env)
    assert client.post("/login", data={"username": "viewer", "password": factories.PASSWORD}).status_code == 429
    later = clock.time() + 16 * 60
    monkeypatch.setattr(clock, "time", lambda: later)  # the limits library reads time.time()
    assert AuthActions(app.test_client()).login("viewer").status_code == 302


def test_the_password_init_prints_must_be_changed_at_first_sign_in(app, runner):
    result = runner.invoke(args=["init", "--no-demo"])
    assert result.exit_code == 0, result.output
    password = re.search(r"Mật khẩu \(chỉ hiện một lần\): (\S+)", result.output).group(1)
    assert "yêu cầu đổi mật khẩu" in result.output
    browser = app.test_client()
    assert AuthActions(browser).login("admin", password).status_code == 302
    for path in ("/", "/programs/", "/admin/users"):
        response = browser.get(path)
        assert response.status_code == 302 and response.headers["Location"] == "/password"
    api = browser.get("/api/v1/programs")
    assert api.status_code == 403 and "đổi mật khẩu" in api.json["error"]["message"]
    assert "hãy đổi mật khẩu trước khi tiếp tục" in browser.get("/password").get_data(as_text=True)
    new = "mot cau that dai de nho"
    changed = browser.post("/password", data={"current": password, "password": new, "confirm": new})
    assert changed.status_code == 302
    assert browser.get("/").status_code == 200
    assert db.session.scalar(select(User.must_change_password).where(User.username == "admin")) is False


def test_a_password_an_administrator_chose_must_be_changed_too(app, client, auth, users):
    auth.login("admin")
    data = {"username": "nguyenvana", "full_name": "", "role": "member", "unit_code": "05860",
            "password": "Cds-phuong-2025"}
    assert client.post("/admin/users/new", data=data).status_code == 302
    newcomer = app.test_client()
    assert AuthActions(newcomer).login("nguyenvana", "Cds-phuong-2025").status_code == 302
    assert newcomer.get("/sites/").headers["Location"] == "/password"
    member = users["member"]
    services.reset_password(db.session.get(User, member.id), "Dat-lai-2025")
    db.session.commit()
    assert db.session.get(User, member.id).must_change_password is True


def test_the_new_user_form_offers_viewer_first_and_selected(client, auth, users):
    auth.login("admin")
    page = client.get("/admin/users/new").get_data(as_text=True)
    offered = re.findall(r'<option (selected )?value="(\w+)"', page)
    assert [value for _s, value in offered][:4] == ["viewer", "member", "manager", "admin"]
    assert ("selected ", "viewer") in offered
    assert [r.value for r in services.grantable_roles(users["manager"])] == ["viewer", "member", "manager"]
    assert Role.ADMIN not in services.grantable_roles(users["manager"])
