"""Behind a proxy, with several workers (DESIGN §12): TRACKER_TRUSTED_PROXIES makes the login and check-in limits
count the client nginx saw, not nginx; and a production start with several workers and limits in memory fails,
naming the setting, instead of passing silently."""

import shutil
from pathlib import Path

import pytest

from tests import factories
from tests.conftest import CSRFClient, base_config
from tests.servers import NGINX, Browser, Gunicorn, Nginx
from tracker import create_app
from tracker.extensions import check_limit_storage, db
from tracker.sites import services as sites

needs_redis = pytest.mark.skipif(not shutil.which("redis-server"), reason="redis-server is not installed")
needs_nginx = pytest.mark.skipif(
    not Path(NGINX).exists(), reason=f"nginx test skipped: {NGINX} is missing (`make nginx` installs Debian's nginx)"
)
BAD_LOGIN = {"username": "admin", "password": "sai-mat-khau"}


# --- ProxyFix, in process -------------------------------------------------------------------------------------


def _app(database_url, tmp_path, **settings):
    app = create_app({**base_config(database_url, str(tmp_path)), "LOGIN_FAILURE_LIMIT": "2 per minute", **settings})
    return app


@pytest.mark.parametrize(("proxies", "separate"), [(1, True), (0, False)], ids=["trusted", "not-trusted"])
def test_the_login_limit_counts_the_forwarded_client_only_when_the_proxy_is_trusted(
    database_url, tmp_path, proxies, separate
):
    """Two clients behind one proxy (both connect from 127.0.0.1), told apart by the X-Forwarded-For it sets."""
    app = _app(database_url, tmp_path, TRUSTED_PROXIES=proxies)
    app.test_client_class = CSRFClient
    first, second = app.test_client(), app.test_client()
    for client, address in ((first, "203.0.113.7"), (second, "203.0.113.8")):
        client.environ_base.update(REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR=address)
    # Each try names another account, so only the per-address limit counts (not the per-account throttle).
    tries = [first.post("/login", data={**BAD_LOGIN, "username": f"khach-{n}"}).status_code for n in range(3)]
    assert tries == [401, 401, 429]
    assert second.post("/login", data={**BAD_LOGIN, "username": "khach-9"}).status_code == (401 if separate else 429)
    with app.app_context():
        db.engine.dispose()


def test_a_trusted_proxy_also_gives_the_scheme(database_url, tmp_path):
    app = _app(database_url, tmp_path, TRUSTED_PROXIES=1)

    @app.get("/_scheme")
    def scheme():
        from flask import request

        return {"scheme": request.scheme, "address": request.remote_addr}

    scheme.access = "public"
    client = app.test_client()
    answer = client.get("/_scheme", headers={"X-Forwarded-Proto": "https", "X-Forwarded-For": "1.2.3.4, 198.51.100.9"})
    assert answer.json == {"scheme": "https", "address": "198.51.100.9"}  # the last hop: the one nginx added
    with app.app_context():
        db.engine.dispose()


@pytest.mark.parametrize("value", ["many", -1, True, 1.5])
def test_a_bad_trusted_proxies_value_stops_the_start_naming_it(database_url, tmp_path, value):
    with pytest.raises(RuntimeError, match="TRACKER_TRUSTED_PROXIES"):
        _app(database_url, tmp_path, TRUSTED_PROXIES=value)


# --- several workers, limits in memory ------------------------------------------------------------------------


class _App:
    def __init__(self, debug=False, testing=False, **config):
        self.debug, self.testing = debug, testing
        self.config = {"RATELIMIT_STORAGE_URI": "memory://", **config}


def test_several_workers_with_limits_in_memory_are_refused_naming_the_setting():
    with pytest.raises(RuntimeError, match="TRACKER_RATELIMIT_STORAGE_URI is memory:// but 4 worker processes"):
        check_limit_storage(_App(), 4)
    check_limit_storage(_App(), 1)
    check_limit_storage(_App(RATELIMIT_STORAGE_URI="redis://127.0.0.1:6379/0"), 4)
    check_limit_storage(_App(debug=True), 4)
    check_limit_storage(_App(testing=True), 4)
    check_limit_storage(_App(RATELIMIT_PER_WORKER=True), 4)  # accepted out loud


def test_web_concurrency_declares_the_workers_to_create_app(tmp_path, monkeypatch):
    monkeypatch.setenv("TRACKER_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("TRACKER_SECRET_KEY", "x")
    monkeypatch.setenv("WEB_CONCURRENCY", "3")
    with pytest.raises(RuntimeError, match="TRACKER_RATELIMIT_STORAGE_URI"):
        create_app()
    monkeypatch.setenv("TRACKER_RATELIMIT_STORAGE_URI", "redis://127.0.0.1:6379/0")
    create_app()


@pytest.fixture
def deployed(sqlite_template, tmp_path) -> tuple[str, str]:
    """A migrated SQLite file with one site, for a server started from TRACKER_* variables: (its URL, the code)."""
    path = tmp_path / "tracker.sqlite3"
    shutil.copyfile(sqlite_template, path)
    url = f"sqlite:///{path}"
    app = create_app(base_config(url, str(tmp_path)))
    with app.app_context():
        ward = factories.create_unit("Phường Phổ Yên", "ward", code="05860")
        site = sites.create_site(ward, sites.SiteFields(name="Chợ Bãi Bông", kind="market"))
        db.session.commit()
        code = site.code
        db.engine.dispose()
    return url, code


def test_gunicorn_refuses_two_workers_with_limits_in_memory_and_starts_one(deployed, tmp_path):
    """gunicorn.conf.py, read by gunicorn started from the checkout, checks with gunicorn's own worker count."""
    url, _code = deployed
    refused = Gunicorn(tmp_path, {"TRACKER_DATABASE_URL": url}, workers=2)
    try:
        status = refused.process.wait(60)
        if status == 1 and "Connection in use" in refused.output():  # the free port was taken meanwhile: again
            refused = Gunicorn(tmp_path, {"TRACKER_DATABASE_URL": url}, workers=2)
            status = refused.process.wait(60)
        assert status == 3, refused.output()  # gunicorn's "worker failed to boot": the master halts
    finally:
        refused.stop()
    assert "Refusing to start: TRACKER_RATELIMIT_STORAGE_URI is memory:// but 2 worker processes" in refused.output()
    single = Gunicorn(tmp_path, {"TRACKER_DATABASE_URL": url}, workers=1)
    try:
        single.wait_ready()
    finally:
        single.stop()


# --- through a real nginx -------------------------------------------------------------------------------------


@needs_redis
@needs_nginx
@pytest.mark.parametrize(("proxies", "separate"), [(1, True), (0, False)], ids=["trusted", "not-trusted"])
def test_two_clients_behind_nginx_get_separate_limits_only_when_it_is_trusted(
    deployed, tmp_path, redis_server, proxies, separate
):
    """gunicorn with two workers sharing the limits in Redis, nginx in front; two clients connect to nginx from
    127.0.0.2 and 127.0.0.3. Trusted, they have a limit each, and a forged X-Forwarded-For does not escape it;
    not trusted, everyone is nginx's 127.0.0.1 and shares one."""
    url, code = deployed
    settings = {
        "TRACKER_DATABASE_URL": url,
        "TRACKER_RATELIMIT_STORAGE_URI": redis_server.url,
        "TRACKER_TRUSTED_PROXIES": str(proxies),
        "TRACKER_LOGIN_FAILURE_LIMIT": "3 per minute",
        "TRACKER_CHECKIN_LIMIT_PER_ADDRESS": "3 per minute",
    }
    app = Gunicorn(tmp_path, settings, workers=2)
    try:
        app.wait_ready()
        proxy = Nginx(tmp_path, app.port)
        try:
            a, b = Browser(proxy.port, "127.0.0.2"), Browser(proxy.port, "127.0.0.3")
            assert [a.failed_login() for _ in range(4)] == [401, 401, 401, 429]
            assert a.failed_login({"X-Forwarded-For": "198.51.100.1"}) == 429
            assert b.failed_login() == (401 if separate else 429)
            assert [a.check_in(code) for _ in range(4)] == [200, 200, 200, 429]
            assert b.check_in(code) == (200 if separate else 429)
        finally:
            proxy.stop()
    finally:
        app.stop()
    keyed = "127.0.0.2" if separate else "127.0.0.1"
    stored = redis_server.stored_keys()
    assert any(keyed in key for key in stored), stored  # counted in Redis, per client
    assert "Traceback" not in app.output()
