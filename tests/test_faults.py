"""Faults survived: Redis down, restarting or hung, and PostgreSQL unreachable or its connections killed mid-load.
The public check-in, the login and the pages keep answering (limits in each process's memory meanwhile, back on
Redis when it returns); a database away is a 503 with Retry-After, never a 500, and the app recovers by itself."""

import logging
import os
import shutil
import socket
import threading
import time
import uuid

import pytest
import sqlalchemy as sa
from sqlalchemy import event
from werkzeug.serving import make_server

from tests import factories
from tests.conftest import BACKENDS, POSTGRES_URL, CSRFClient, base_config
from tests.servers import Browser, free_port, wait_for
from tracker import create_app
from tracker.auth.services import issue_api_token
from tracker.checkin import limits as checkin_limits
from tracker.extensions import db, limiter
from tracker.sites import services as sites

needs_redis = pytest.mark.skipif(not shutil.which("redis-server"), reason="redis-server is not installed")
SQLITE, POSTGRESQL = BACKENDS
BAD_LOGIN = {"username": "admin", "password": "sai-mat-khau"}


@pytest.fixture(autouse=True)
def _limits_back_to_normal():
    """The limiter is one object per process: whatever a test did to its storage, the next test finds it sound."""
    yield
    limiter._storage_dead = False
    checkin_limits._Away.retry_at = None


def _build(database_url, tmp_path, **settings):
    app = create_app({**base_config(database_url, str(tmp_path)), **settings})
    app.test_client_class = CSRFClient
    return app


def _people_and_a_site():
    """An admin with an API token, a ward with one site: (the token, the site's code, the ward's id)."""
    ward = factories.create_unit("Phường Phổ Yên", "ward", code="05860")
    admin = factories.create_user("admin", "admin", None)
    site = sites.create_site(ward, sites.SiteFields(name="Chợ Bãi Bông", kind="market"))
    token = issue_api_token(admin, "faults")
    db.session.commit()
    return token, site.code, ward.id


def _wrong(username: str) -> dict:
    return {"username": username, "password": "sai-mat-khau"}


def _check_in(client, code: str) -> int:
    client.get(f"/c/{code}")
    return client.post(f"/c/{code}", data={"csrf_token": client.csrf_token()}).status_code


# --- Redis ----------------------------------------------------------------------------------------------------


@needs_redis
@pytest.mark.parametrize("database_url", [SQLITE], indirect=True)
def test_with_redis_down_check_in_login_and_pages_work_then_limits_go_back_to_redis(
    database_url, tmp_path, redis_server, caplog, monkeypatch
):
    monkeypatch.setattr(checkin_limits, "RETRY_SECONDS", 0.2)
    limits = {"LOGIN_FAILURE_LIMIT": "3 per minute", "CHECKIN_LIMIT_PER_ADDRESS": "3 per minute"}
    app = _build(database_url, tmp_path, RATELIMIT_STORAGE_URI=redis_server.url, **limits)
    with app.app_context():
        token, code, ward_id = _people_and_a_site()
        bearer = {"Authorization": f"Bearer {token}"}
        assert _check_in(app.test_client(), code) == 200
        assert any("checkin" in key for key in redis_server.stored_keys())

        redis_server.stop()
        caplog.set_level(logging.INFO)
        started = time.monotonic()
        phone, desk = app.test_client(), app.test_client()
        assert _check_in(phone, code) == 200
        assert desk.post("/login", data=BAD_LOGIN).status_code == 401
        assert desk.post("/login", data={"username": "admin", "password": factories.PASSWORD}).status_code == 302
        assert desk.get("/sites/").status_code == 200
        assert app.test_client().get("/api/v1/units", headers=bearer).status_code == 200
        document = {"unit_id": ward_id, "reference": "37/KH-UBND", "issued_on": "2021-11-09", "title": "Kế hoạch"}
        assert app.test_client().post("/api/v1/documents", json=document, headers=bearer).status_code == 201
        assert time.monotonic() - started < 5  # refused connections cost nothing; nothing waits on Redis
        said = caplog.text
        assert "Check-in limits: the storage is unreachable" in said
        assert "falling back to in-memory storage" in said

        # Still limited meanwhile: counted in this process's memory.
        assert [_check_in(app.test_client(), code) for _ in range(3)] == [200, 200, 429]
        stranger = app.test_client()
        stranger.environ_base["REMOTE_ADDR"] = "10.9.8.7"
        tries = [stranger.post("/login", data=_wrong(f"khach-{n}")).status_code for n in range(4)]
        assert tries == [401, 401, 401, 429]  # per address (each try names another account: no account throttle)

        redis_server.start()  # back, empty

        def counted_in_redis(scope: str, attempt) -> bool:
            attempt()
            return any(scope in key for key in redis_server.stored_keys())

        def check_in() -> int:
            return _check_in(app.test_client(), code)

        def fail_login() -> int:
            return late.post("/login", data=_wrong(f"muon-{time.monotonic()}")).status_code

        late = app.test_client()
        late.environ_base["REMOTE_ADDR"] = "10.9.8.6"
        wait_for(lambda: counted_in_redis("checkin", check_in), 10, "check-ins counted on Redis")
        # Flask-Limiter asks the storage again after 1, 2, 4… seconds (at most 32): poll as long as that.
        wait_for(lambda: counted_in_redis("auth.login", fail_login), 40, "failed logins counted on Redis")
        assert "Check-in limits: the storage answers again" in caplog.text
        db.engine.dispose()


@pytest.mark.parametrize("database_url", [SQLITE], indirect=True)
def test_a_hung_redis_costs_a_request_about_a_second_once_not_forever(database_url, tmp_path, monkeypatch):
    """A Redis that accepts connections and never answers (a hung server, a half-open network): the short socket
    timeouts give up, the limits fall back to memory, the check-in and the login answer."""
    monkeypatch.setattr(checkin_limits, "RETRY_SECONDS", 60)
    with socket.socket() as hung:
        hung.bind(("127.0.0.1", 0))
        hung.listen(64)
        url = f"redis://127.0.0.1:{hung.getsockname()[1]}/0"
        app = _build(database_url, tmp_path, RATELIMIT_STORAGE_URI=url)
        with app.app_context():
            _token, code, _ward = _people_and_a_site()
            started = time.monotonic()
            assert _check_in(app.test_client(), code) == 200
            first = time.monotonic() - started
            assert app.test_client().post("/login", data=BAD_LOGIN).status_code == 401
            started = time.monotonic()
            assert _check_in(app.test_client(), code) == 200
            assert app.test_client().post("/login", data=BAD_LOGIN).status_code == 401
            again = time.monotonic() - started
            db.engine.dispose()
    assert first < 3, first
    assert again < 1, again  # memory until the storage is asked again


# --- PostgreSQL -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("database_url", [SQLITE], indirect=True)
def test_an_unreachable_database_is_a_503_page_or_json_with_retry_after(database_url, tmp_path, caplog):
    """Nothing listens where the database should be: every request that needs it answers 503, in Vietnamese or
    in the API's JSON error shape, with Retry-After; nothing is logged as an unhandled error."""
    app = _build(database_url, tmp_path)
    with app.app_context():
        _token, code, _ward = _people_and_a_site()
        db.engine.dispose()
    away = _build(f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/tracker", tmp_path)
    client = away.test_client()
    page = client.get(f"/c/{code}")
    assert page.status_code == 503
    assert page.headers["Retry-After"] == "5"
    assert "Hệ thống tạm gián đoạn" in page.get_data(as_text=True)
    answer = client.get("/api/v1/units", headers={"Authorization": "Bearer anything"})
    assert answer.status_code == 503 and answer.headers["Retry-After"] == "5"
    assert answer.json["error"]["code"] == "unavailable"
    login = client.post("/login", data={"username": "admin", "password": factories.PASSWORD})
    assert login.status_code == 503
    assert "Unhandled error" not in caplog.text
    assert "Database unavailable" in caplog.text


def _pg(application_name: str):
    """The app on the test run's PostgreSQL database, its connections named so the test can find and kill them."""
    return {"SQLALCHEMY_ENGINE_OPTIONS": {"connect_args": {"application_name": application_name}}}


def _kill(application_name: str) -> int:
    admin = sa.create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        killed = conn.execute(
            sa.text("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = :name"),
            {"name": application_name},
        ).scalar()
    admin.dispose()
    return killed


@pytest.mark.parametrize("database_url", [POSTGRESQL], indirect=True)
def test_connections_killed_between_requests_are_replaced_unseen(database_url, tmp_path):
    name = f"tracker-faults-{uuid.uuid4().hex[:8]}"
    app = _build(database_url, tmp_path, **_pg(name))
    with app.app_context():
        token, _code, _ward = _people_and_a_site()
        db.session.remove()
        bearer = {"Authorization": f"Bearer {token}"}
        client = app.test_client()
        assert client.get("/api/v1/units", headers=bearer).status_code == 200
        assert _kill(name) >= 1
        assert client.get("/api/v1/units", headers=bearer).status_code == 200  # pre-ping found it dead
        db.engine.dispose()


@pytest.mark.parametrize("database_url", [POSTGRESQL], indirect=True)
def test_a_connection_killed_during_a_request_is_a_503_and_the_next_request_works(database_url, tmp_path, caplog):
    name = f"tracker-faults-{uuid.uuid4().hex[:8]}"
    app = _build(database_url, tmp_path, **_pg(name))
    with app.app_context():
        token, code, _ward = _people_and_a_site()
        db.session.remove()
        bearer = {"Authorization": f"Bearer {token}"}
        killed = []

        def kill_before_the_statement(conn, cursor, statement, parameters, context, executemany):
            if not killed:
                killed.append(_kill(name))

        event.listen(db.engine, "before_cursor_execute", kill_before_the_statement)
        try:
            answer = app.test_client().get("/api/v1/units", headers=bearer)
        finally:
            event.remove(db.engine, "before_cursor_execute", kill_before_the_statement)
        assert killed and killed[0] >= 1
        assert answer.status_code == 503 and answer.headers["Retry-After"] == "5"
        assert answer.json["error"]["code"] == "unavailable"
        assert app.test_client().get("/api/v1/units", headers=bearer).status_code == 200
        assert _check_in(app.test_client(), code) == 200
        assert "Unhandled error" not in caplog.text
        db.engine.dispose()


@pytest.mark.parametrize("database_url", [POSTGRESQL], indirect=True)
def test_connections_killed_under_load_give_200_or_503_never_500_and_the_app_recovers(database_url, tmp_path):
    """A threaded server under four clients for three seconds while every connection of the app is killed four
    times a second: each answer is 200 or 503 (with Retry-After), and once the killing stops every request is 200."""
    name = f"tracker-faults-{uuid.uuid4().hex[:8]}"
    app = _build(database_url, tmp_path, TESTING=False, **_pg(name))
    with app.app_context():
        token, code, _ward = _people_and_a_site()
        db.session.remove()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_port
    answers: list[tuple[int, str | None]] = []
    stop = threading.Event()

    def load(n: int) -> None:
        browser = Browser(port)
        while not stop.is_set():
            if n % 2:
                status, headers, _ = browser.get("/api/v1/units", headers={"Authorization": f"Bearer {token}"})
            else:
                status, headers, _ = browser.get(f"/c/{code}")
            answers.append((status, headers.get("Retry-After")))

    clients = [threading.Thread(target=load, args=(n,)) for n in range(4)]
    for client in clients:
        client.start()
    killed = 0
    try:
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline:
            killed += _kill(name)
            time.sleep(0.25)
    finally:
        stop.set()
        for client in clients:
            client.join(30)
    try:
        after = [Browser(port).get("/api/v1/units", headers={"Authorization": f"Bearer {token}"})[0] for _ in range(10)]
    finally:
        server.shutdown()
        with app.app_context():
            db.engine.dispose()
    statuses = {status for status, _ in answers}
    assert killed > 0
    assert statuses <= {200, 503}, sorted(statuses)
    assert all(retry == "5" for status, retry in answers if status == 503)
    assert after == [200] * 10
    print(f"{len(answers)} answers, {sum(s == 503 for s, _ in answers)} of them 503, {killed} connections killed")


@pytest.mark.skipif(not os.environ.get("TRACKER_TEST_POSTGRES_URL"), reason="needs PostgreSQL")
def test_postgres_engines_ping_before_use_and_give_up_connecting_after_5_s(tmp_path):
    app = create_app({**base_config(POSTGRES_URL, str(tmp_path)), **_pg("x")})
    options = app.config["SQLALCHEMY_ENGINE_OPTIONS"]
    assert options["pool_pre_ping"] is True
    assert options["connect_args"] == {"connect_timeout": 5, "application_name": "x"}
