"""Fixtures in the flaskr manner (app, client, runner, auth), on SQLite and, when
TRACKER_TEST_POSTGRES_URL is set, on PostgreSQL too. The schema is built by the real migrations."""

import os
import re
import shutil
from urllib.parse import quote

import jsonschema_rs
import pytest
import sqlalchemy as sa
from flask import has_app_context
from flask.testing import FlaskClient
from werkzeug.exceptions import HTTPException

from tests import factories
from tracker import create_app
from tracker.extensions import db

POSTGRES_URL = os.environ.get("TRACKER_TEST_POSTGRES_URL")
# One database per test run, so parallel runs on one server never meet.
PG_TEST_DB = f"tracker_test_{os.getpid()}"

BACKENDS = [
    "sqlite",
    pytest.param(
        "postgresql",
        marks=[
            pytest.mark.postgres,
            pytest.mark.skipif(
                not POSTGRES_URL,
                reason="PostgreSQL run skipped: set TRACKER_TEST_POSTGRES_URL (CI sets it) to run the suite on it",
            ),
        ],
    ),
]


def base_config(database_url: str, instance_path: str) -> dict:
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "DATABASE_URL": database_url,
        "RATELIMIT_STORAGE_URI": "memory://",
        "PUBLIC_BASE_URL": "https://cds.example.gov.vn",
        "SERVER_NAME": None,
    }


def _migrate(url: str, instance_path: str) -> None:
    from flask_migrate import upgrade

    app = create_app(base_config(url, instance_path))
    with app.app_context():
        upgrade()
        db.engine.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory):
    folder = tmp_path_factory.mktemp("template")
    path = folder / "template.sqlite3"
    _migrate(f"sqlite:///{path}", str(folder))
    return path


def _pg_url(database: str) -> str:
    return sa.make_url(POSTGRES_URL).set(database=database).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def postgres_database(tmp_path_factory):
    admin = sa.create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {PG_TEST_DB} WITH (FORCE)")
        conn.exec_driver_sql(f"CREATE DATABASE {PG_TEST_DB}")
        # A throwaway database: a commit need not wait for the disk (a crash would lose its last tests' rows).
        conn.exec_driver_sql(f"ALTER DATABASE {PG_TEST_DB} SET synchronous_commit = off")
    admin.dispose()
    url = _pg_url(PG_TEST_DB)
    _migrate(url, str(tmp_path_factory.mktemp("pg")))
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        tables = [
            r[0]
            for r in conn.exec_driver_sql(
                "SELECT tablename FROM pg_tables WHERE schemaname='public' AND tablename <> 'alembic_version'"
            )
        ]
        sequences = [
            r[0] for r in conn.exec_driver_sql("SELECT sequencename FROM pg_sequences WHERE schemaname='public'")
        ]
        superuser = conn.exec_driver_sql("SELECT rolsuper FROM pg_roles WHERE rolname = current_user").scalar()
    engine.dispose()
    if superuser:
        # Emptying a test's few rows with DELETE is five times faster than TRUNCATE, which makes new files for every
        # table. As a replica the session fires no trigger: not the append-only audit log's, nor the foreign keys'.
        empty = "SET LOCAL session_replication_role = replica; "
        empty += "".join(f'DELETE FROM "{table}"; ' for table in tables)
        empty += "".join(f'ALTER SEQUENCE "{sequence}" RESTART; ' for sequence in sequences)
    else:  # TRUNCATE fires no row triggers either, so the append-only audit table can be emptied
        empty = f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"
    yield url, empty
    admin = sa.create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {PG_TEST_DB} WITH (FORCE)")
    admin.dispose()


@pytest.fixture(params=BACKENDS)
def database_url(request, tmp_path):
    if request.param == "sqlite":
        path = tmp_path / "tracker.sqlite3"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    url, empty = request.getfixturevalue("postgres_database")
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql(empty)
    engine.dispose()
    return url


class CSRFClient(FlaskClient):
    """A test client that behaves like a separate browser talking to a separate server process:

    - it sends the page's CSRF token with every form or JSON write, unless csrf=False;
    - each request runs in its own app context, so `g` (the logged-in user, the locale) and the
      database session are the request's own — a view that forgets to commit fails its test;
    - the test's own session is committed before and expired after each request, so the test
      sees what the request committed and nothing else.
    """

    _csrf: tuple[str, str] | None = None  # (the session's raw token, the signed token a page of it carries)

    def csrf_token(self) -> str:
        """The token the last page showed, as a browser keeps it; a page is fetched again only when the session
        no longer holds the token it was signed from (a sign-in or sign-out clears the session)."""
        with self.session_transaction() as session:
            raw = session.get("csrf_token")
        if self._csrf is None or self._csrf[0] != raw or raw is None:
            page = self.get("/login", follow_redirects=True)
            match = re.search(rb'name="csrf-token" content="([^"]+)"', page.data)
            assert match, "no csrf-token meta tag on /login"
            with self.session_transaction() as session:
                self._csrf = (session.get("csrf_token"), match.group(1).decode())
        return self._csrf[1]

    def open(self, *args, csrf=True, **kwargs):
        method = kwargs.get("method", "GET").upper()
        if csrf and method in {"POST", "PUT", "PATCH", "DELETE"}:
            headers = dict(kwargs.pop("headers", None) or {})
            if "Authorization" not in headers:
                headers.setdefault("X-CSRFToken", self.csrf_token())
            kwargs["headers"] = headers
        if has_app_context():
            db.session.commit()
        with self.application.app_context():
            response = super().open(*args, **kwargs)
            check_against_the_api_document(self.application, response)
        if has_app_context():
            db.session.expire_all()
        return response


# The API's OpenAPI document and a validator per response it declares, built once per worker: the document depends
# on no test's settings.
_API_CONTRACT: dict = {}


def _declared(app) -> dict:
    if not _API_CONTRACT:
        from tracker.api.openapi import document

        doc = document()
        _API_CONTRACT["doc"] = doc
        _API_CONTRACT["operations"] = {
            operation["operationId"]: (path, method, operation)
            for path, operations in doc["paths"].items()
            for method, operation in operations.items()
        }
        _API_CONTRACT["validators"] = {}
    return _API_CONTRACT


def _pointer(*parts: str) -> str:
    """A JSON pointer as a URI fragment: '/' and '~' escaped, then '{' and '}' of path templates percent-encoded."""
    return "#/" + "/".join(quote(part.replace("~", "~0").replace("/", "~1"), safe="~") for part in parts)


def check_against_the_api_document(app, response) -> None:
    """Every JSON answer of the API that a test receives has a status its operation declares and a body its declared
    schema accepts (DESIGN §5; issue 12's contract), whatever the test itself asserts."""
    request = response.request
    if not request.path.startswith("/api/v1/") or response.mimetype != "application/json":
        return
    try:
        endpoint, _values = app.url_map.bind("localhost").match(request.path, method=request.method)
    except HTTPException:
        return  # no route: the app's own 404/405, the same shape everywhere
    contract = _declared(app)
    operation_id = endpoint.removeprefix("api.")
    if operation_id not in contract["operations"]:
        return  # /openapi.json itself
    path, method, operation = contract["operations"][operation_id]
    status = str(response.status_code)
    assert status in operation["responses"], f"{request.method} {request.path}: {status} is not declared"
    declared = operation["responses"][status]
    location = ("paths", path, method, "responses", status)
    if "$ref" in declared:
        name = declared["$ref"].rsplit("/", 1)[1]
        declared, location = contract["doc"]["components"]["responses"][name], ("components", "responses", name)
    if "application/json" not in declared.get("content", {}):
        return
    pointer = _pointer(*location, "content", "application/json", "schema")
    validators = contract["validators"]
    if pointer not in validators:
        validators[pointer] = jsonschema_rs.validator_for({**contract["doc"], "$ref": pointer})
    found = validators[pointer].iter_errors(response.json)
    errors = [f"{e.message} at /{'/'.join(map(str, e.instance_path))}" for e in found]
    assert not errors, f"{request.method} {request.path} → {status} does not fit its declared schema: {errors}"


@pytest.fixture
def app(database_url, tmp_path):
    app = create_app(base_config(database_url, str(tmp_path)))
    app.test_client_class = CSRFClient
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(autouse=True)
def _checkin_limits_storage_answering():
    """Each test starts with the check-in limits' storage taken as answering: tracker.checkin.limits remembers, for
    the process, that Redis was away and what it counted in memory meanwhile."""
    from tracker.checkin import limits

    limits._Away.retry_at, limits._Away.memory = None, {}


@pytest.fixture
def redis_server(tmp_path):
    """A redis-server of the test's own, on a free port, stopped after the test (tests/servers.py)."""
    from tests.servers import RedisServer

    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def https_app(database_url, tmp_path):
    """The app deployed behind TLS (TRACKER_HTTPS): Secure __Host- cookies, HSTS; a viewer of Phường Phổ Yên."""
    app = create_app({**base_config(database_url, str(tmp_path)), "HTTPS": True})
    app.test_client_class = CSRFClient
    with app.app_context():
        ward = factories.create_unit("Phường Phổ Yên", "ward", code="05860")
        factories.create_user("viewer", "viewer", ward)
        db.session.commit()
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


class AuthActions:
    def __init__(self, client):
        self._client = client

    def login(self, username="admin", password=factories.PASSWORD):
        return self._client.post("/login", data={"username": username, "password": password})

    def logout(self):
        return self._client.post("/logout")


@pytest.fixture
def auth(client):
    return AuthActions(client)


@pytest.fixture
def province(app):
    return factories.create_unit("Thái Nguyên", "province", code="19")


@pytest.fixture
def ward(app, province):
    return factories.create_unit("Phường Phổ Yên", "ward", parent=province, code="05860")


@pytest.fixture
def users(app, province, ward):
    """One account per role: admin everywhere; the others scoped to the ward."""
    made = {
        "admin": factories.create_user("admin", "admin", None),
        "manager": factories.create_user("manager", "manager", ward),
        "member": factories.create_user("member", "member", ward),
        "viewer": factories.create_user("viewer", "viewer", ward),
    }
    db.session.commit()
    return made


@pytest.fixture
def site(app, ward):
    """The ward's market, registered and committed (files that need other fields define their own `site`)."""
    made = factories.create_site(ward, address="Tổ 5")
    db.session.commit()
    return made
