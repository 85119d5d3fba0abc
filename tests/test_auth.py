"""Login, logout, sessions that end at the server, CSRF, the failed-login limit, passwords."""

import re

import pytest
from sqlalchemy import func, select

from tests import factories
from tests.conftest import base_config
from tracker.audit import AuditEvent
from tracker.auth import services
from tracker.auth.models import User
from tracker.extensions import db


def _session_cookie(client):
    cookie = client.get_cookie("session")
    assert cookie is not None
    return cookie.value


def test_login_then_dashboard(client, auth, users):
    response = auth.login("manager")
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert client.get("/").status_code == 200


def test_login_redirects_to_a_local_next_only(client, users):
    page = client.post("/login?next=/admin/users", data={"username": "admin", "password": factories.PASSWORD})
    assert page.headers["Location"] == "/admin/users"
    client.post("/logout")
    page = client.post("/login?next=//evil.example/x", data={"username": "admin", "password": factories.PASSWORD})
    assert page.headers["Location"] == "/"


@pytest.mark.parametrize(
    ("username", "password"),
    [("manager", "sai-mat-khau-1"), ("khong-ton-tai", factories.PASSWORD)],
    ids=["wrong-password", "unknown-user"],
)
def test_bad_credentials_are_refused_with_a_vietnamese_message(client, users, username, password):
    response = client.post("/login", data={"username": username, "password": password})
    assert response.status_code == 401
    assert "Tên đăng nhập hoặc mật khẩu không đúng".encode() in response.data
    assert b'data-field="password"' in response.data
    assert client.get("/").status_code == 302
    failures = db.session.scalar(select(func.count()).where(AuditEvent.action == "login_failed"))
    assert failures == 1


def test_deactivated_user_cannot_log_in(client, users):
    users["member"].is_active = False
    db.session.commit()
    response = client.post("/login", data={"username": "member", "password": factories.PASSWORD})
    assert response.status_code == 401
    assert client.get("/").status_code == 302


def test_empty_fields_name_the_field(client, users):
    response = client.post("/login", data={"username": "", "password": ""})
    assert response.status_code == 400
    assert "Hãy nhập tên đăng nhập.".encode() in response.data
    assert "Hãy nhập mật khẩu.".encode() in response.data


def test_login_without_csrf_token_is_refused(client, users):
    response = client.post("/login", data={"username": "admin", "password": factories.PASSWORD}, csrf=False)
    assert response.status_code == 400
    assert b"CSRF" in response.data
    assert client.get("/").status_code == 302


def test_post_with_wrong_csrf_token_is_refused(client, auth, users):
    auth.login("admin")
    response = client.post("/logout", headers={"X-CSRFToken": "forged"}, csrf=False)
    assert response.status_code == 400
    assert client.get("/").status_code == 200  # still logged in: the forged logout did nothing


def test_replayed_cookie_after_logout_is_refused(app, client, auth, users):
    auth.login("viewer")
    stolen = _session_cookie(client)
    auth.logout()
    attacker = app.test_client()
    attacker.set_cookie("session", stolen)
    response = attacker.get("/")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_password_change_ends_other_sessions(app, client, auth, users):
    auth.login("member")
    other = app.test_client()
    other.post("/login", data={"username": "member", "password": factories.PASSWORD})
    assert other.get("/").status_code == 200
    new_password = "Mot-mat-khau-moi-2026"
    response = client.post(
        "/password", data={"current": factories.PASSWORD, "password": new_password, "confirm": new_password}
    )
    assert response.status_code == 302
    assert client.get("/").status_code == 200  # this browser carries on
    assert other.get("/").status_code == 302  # the other one is signed out
    auth.logout()
    assert auth.login("member", new_password).status_code == 302


def test_weak_new_password_is_refused(client, auth, users):
    auth.login("member")
    response = client.post("/password", data={"current": factories.PASSWORD, "password": "12345", "confirm": "12345"})
    assert response.status_code == 400
    assert "ít nhất 10 ký tự".encode() in response.data
    assert auth.logout().status_code == 302
    assert auth.login("member").status_code == 302  # old password still valid


def test_deactivation_ends_sessions(app, client, auth, users):
    auth.login("viewer")
    services.deactivate(db.session.get(User, users["viewer"].id))
    db.session.commit()
    assert client.get("/").status_code == 302


def test_ten_failed_logins_from_one_address_give_429(client, users):
    """Ten names tried once each: the address's limit, not an account's (tests/test_accounts.py)."""
    for n in range(10):
        assert client.post("/login", data={"username": f"khach{n}", "password": "sai-roi-nhe"}).status_code == 401
    response = client.post("/login", data={"username": "admin", "password": factories.PASSWORD})
    assert response.status_code == 429
    assert "quá nhiều lần".encode() in response.data


def test_successful_logins_do_not_count_towards_the_limit(client, auth, users):
    for _ in range(12):
        assert auth.login("admin").status_code == 302
        auth.logout()


def test_session_cookie_flags(client, users):
    response = client.post("/login", data={"username": "admin", "password": factories.PASSWORD})
    cookie = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("session="))
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert re.search(r"Expires=", cookie)  # permanent session, limited to a working day


def test_the_session_lasts_a_working_day_from_sign_in_not_from_the_last_page(app, client, auth, users):
    """A page view neither renews nor re-sends the cookie; one signed more than 10 hours ago is refused."""
    from datetime import timedelta
    from unittest import mock

    assert auth.login("viewer").status_code == 302
    assert client.get("/").status_code == 200  # the first page keeps a CSRF secret in the session
    page = client.get("/")
    assert page.status_code == 200
    assert not [h for h in page.headers.getlist("Set-Cookie") if h.startswith("session=")]
    later = app.permanent_session_lifetime + timedelta(minutes=1)
    real_time = __import__("time").time
    with mock.patch("itsdangerous.timed.time.time", lambda: real_time() + later.total_seconds()):
        assert client.get("/").status_code == 302


def test_cookies_are_secure_when_deployed_with_https(database_url, tmp_path):
    from tracker import create_app

    app = create_app({**base_config(database_url, str(tmp_path)), "HTTPS": True})
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["PREFERRED_URL_SCHEME"] == "https"
    assert app.config["PERMANENT_SESSION_LIFETIME"].total_seconds() <= 12 * 3600


def test_api_tokens_are_stored_hashed(app, users):
    token = services.issue_api_token(users["manager"], "test")
    db.session.commit()
    stored = db.session.scalar(select(User).where(User.username == "manager")).api_tokens[0].token_hash
    assert token not in stored and len(stored) == 64
    assert services.user_by_api_token(token).username == "manager"
    assert services.user_by_api_token(token + "x") is None


def test_password_hashes_are_argon2id(app):
    user = services.create_user("thu.ky", "Mat-khau-that-manh-1", "admin", None)
    assert user.password_hash.startswith("$argon2id$")


def test_only_a_testing_app_hashes_with_cheap_parameters(database_url, tmp_path):
    """The suite hashes with argon2's least parameters; a deployed app (TESTING off) keeps RFC 9106's low-memory
    profile, and each verifies the other's hashes (a hash carries its parameters)."""
    from tracker import create_app
    from tracker.auth.passwords import hash_password, needs_rehash, verify_password

    deployed = create_app({**base_config(database_url, str(tmp_path)), "TESTING": False})
    with deployed.app_context():
        strong = hash_password("Mat-khau-that-manh-1")
        assert needs_rehash(strong) is False
    assert strong.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    with create_app(base_config(database_url, str(tmp_path))).app_context():
        cheap = hash_password("Mat-khau-that-manh-1")
        assert cheap.startswith("$argon2id$v=19$m=8,t=1,p=1$")
        assert verify_password(strong, "Mat-khau-that-manh-1") and not verify_password(strong, "sai")
    with deployed.app_context():
        assert verify_password(cheap, "Mat-khau-that-manh-1")
        assert needs_rehash(cheap) is True  # a cheap hash that reached production is upgraded at the next sign-in


def test_users_create_and_token_commands(runner, app, ward):
    db.session.commit()
    result = runner.invoke(
        args=["users", "create", "can.bo", "--role", "member", "--unit", "05860", "--password-stdin"],
        input="Mat-khau-can-bo-1\n",
    )
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User).where(User.username == "can.bo"))
    assert user.unit.code == "05860"
    result = runner.invoke(args=["users", "token", "can.bo"])
    assert result.exit_code == 0
    token = result.output.strip()
    assert services.user_by_api_token(token).id == user.id
    by_name = runner.invoke(  # the unit by its name, typed without accents, as the forms take it
        args=["users", "create", "can.bo.2", "--role", "viewer", "--unit", "pho yen", "--password-stdin"],
        input="Mat-khau-can-bo-2\n",
    )
    assert by_name.exit_code == 0, by_name.output
    assert db.session.scalar(select(User).where(User.username == "can.bo.2")).unit.code == "05860"


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (
            ["users", "create", "x1", "--role", "member", "--unit", "99999", "--password-stdin"],
            "Mat-khau-dai-1\n",
            "99999",
        ),
        (["users", "create", "x2", "--role", "member", "--password-stdin"], "Mat-khau-dai-1\n", "đơn vị"),
        (["users", "create", "x3", "--role", "admin", "--password-stdin"], "ngan\n", "ít nhất"),
        (["users", "create", "admin", "--role", "admin", "--password-stdin"], "Mat-khau-dai-1\n", "đã có người dùng"),
    ],
    ids=["unknown-unit", "no-unit", "weak-password", "duplicate"],
)
def test_users_create_refuses_bad_input(runner, app, users, args, stdin, message):
    before = db.session.scalar(select(func.count(User.id)))
    result = runner.invoke(args=args, input=stdin)
    assert result.exit_code != 0
    assert message in result.output
    assert db.session.scalar(select(func.count(User.id))) == before


def test_random_passwords_always_pass_the_strength_rule(monkeypatch):
    """`init` prints a random admin password: a draw the rule refuses (a common one, however unlikely) is drawn
    again."""
    from tracker.auth import passwords

    draws = iter(["password1234", "anhyeuem123456", "abcd-EFGH_ijk123"])
    monkeypatch.setattr(passwords.secrets, "token_urlsafe", lambda n: next(draws))
    assert passwords.random_password("admin") == "abcd-EFGH_ijk123"


def test_a_required_fields_star_stays_beside_its_label_and_a_name_that_is_the_role_shows_once(client, users):
    login = client.get("/login").get_data(as_text=True)
    label = r'<span class="field-label"><label for="username">[^<]+</label><span class="req" aria-hidden="true">&nbsp;'
    assert re.search(label, login)  # one grid item with its label: the star no longer wraps onto a line alone
    admin = users["admin"]
    admin.full_name = "Quản trị hệ thống"  # as `init` names it: the same words as the role
    db.session.commit()
    assert client.post("/login", data={"username": "admin", "password": factories.PASSWORD}).status_code == 302
    menu = re.search(r'<span class="nav-user">([^<]+)</span>', client.get("/").get_data(as_text=True)).group(1)
    assert menu.strip() == "Quản trị hệ thống"
