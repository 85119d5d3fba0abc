"""Tracker: steering boards run their digital-transformation programs."""

import os
import secrets
from pathlib import Path

from flask import Flask, has_request_context, request
from werkzeug.exceptions import NotFound
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter, ValidationError

from tracker import config as default_config
from tracker import db as tracker_db
from tracker.db import MAX_ID

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def create_app(test_config: dict | None = None) -> Flask:
    """Application factory: config → extensions → blueprints → cli → error handlers."""
    app = Flask(
        __name__,
        instance_path=os.environ.get("TRACKER_INSTANCE_PATH") or str(PROJECT_ROOT / "instance"),
        instance_relative_config=True,
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
    )
    configure(app, test_config)
    trust_proxies(app)
    app.json.ensure_ascii = False  # Vietnamese stays readable in API responses
    app.url_map.converters["int"] = BoundedInt  # /tasks/99999999999 is a 404, not a driver error
    register_extensions(app)
    register_blueprints(app)
    register_limits(app)
    register_cli(app)
    from tracker import errors, formatting, forms, layout, security

    errors.register(app)
    forms.register(app)
    formatting.register(app)
    layout.register(app)
    security.register(app)
    return app


class BoundedInt(IntegerConverter):
    """<int:...> in every route, limited to the ids a table can hold."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)

    def to_python(self, value: str) -> int:
        # A 404 here, not a rule left unmatched: werkzeug would answer a PATCH to /tasks/99999999999 with a 405
        # (the GET rule of the same path matched, the PATCH rule did not).
        try:
            return super().to_python(value)
        except ValidationError:
            raise NotFound() from None


def configure(app: Flask, test_config: dict | None) -> None:
    """Defaults, then instance/config.py, then TRACKER_* variables (or test_config in tests)."""
    app.config.from_object(default_config)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    if test_config is None:
        ensure_instance_config(Path(app.instance_path) / "config.py")
        app.config.from_pyfile("config.py", silent=True)
        app.config.from_prefixed_env("TRACKER")
    else:
        app.config.from_mapping(test_config)
    url = app.config.get("DATABASE_URL") or f"sqlite:///{Path(app.instance_path) / 'tracker.sqlite3'}"
    app.config["SQLALCHEMY_DATABASE_URI"] = url
    if url.startswith("postgresql"):
        # A connection the server dropped (a restart, pg_terminate_backend) is replaced before a request uses it;
        # an unreachable server is an error (a 503) after 5 s, not a worker stuck until gunicorn kills it.
        options = app.config["SQLALCHEMY_ENGINE_OPTIONS"]
        connect_args = {"connect_timeout": 5, **options.get("connect_args", {})}
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {"pool_pre_ping": True, **options, "connect_args": connect_args}
    if app.config["HTTPS"]:
        app.config.update(SESSION_COOKIE_SECURE=True, PREFERRED_URL_SCHEME="https")
    if not app.config.get("SECRET_KEY"):
        raise RuntimeError("SECRET_KEY is not set: put it in instance/config.py or TRACKER_SECRET_KEY")


def trust_proxies(app: Flask) -> None:
    """TRUSTED_PROXIES=N: the client's address and scheme come from the X-Forwarded-For/-Proto headers of the N
    proxies in front (the rate limits and the audit then see the client, not nginx). The Host header is the one
    the proxy passes on (nginx: `proxy_set_header Host $host`); X-Forwarded-Host is not trusted, so a client
    cannot choose the host of the URLs the app builds."""
    value = app.config.get("TRUSTED_PROXIES") or 0
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise RuntimeError(f"TRACKER_TRUSTED_PROXIES must be the number of proxies in front (0, 1, 2…), not {value!r}")
    if value:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=value, x_proto=value)


def ensure_instance_config(path: Path) -> None:
    """First start: write instance/config.py with a random secret key (kept out of git)."""
    if path.exists() or os.environ.get("TRACKER_SECRET_KEY"):
        return
    path.write_text(
        "# Written on first start. Keep it private; see README for every setting.\n"
        f"SECRET_KEY = {secrets.token_hex(32)!r}\n",
        encoding="utf-8",
    )
    path.chmod(0o600)


def register_extensions(app: Flask) -> None:
    from tracker.auth import setup as auth_setup
    from tracker.extensions import babel, csrf, db, limiter, limiter_storage_options, migrate
    from tracker.formatting import select_locale

    db.init_app(app)
    import tracker.models  # noqa: F401  (the whole schema, for Alembic and create_all)

    migrate.init_app(app, db, directory=str(Path(__file__).parent / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    limiter_storage_options(app)
    limiter.init_app(app)
    auth_setup.init_app(app)

    # On SQLite a GET's transactions begin deferred: readers never queue behind a writer (tracker.db).
    tracker_db.request_reads = lambda: has_request_context() and request.method in tracker_db.SAFE_METHODS
    app.teardown_request(lambda _exc: tracker_db.reads_only(False))  # a stream cut short marks nothing after it


def register_blueprints(app: Flask) -> None:
    from tracker.api.contract import Api
    from tracker.api.views import bp as api_bp
    from tracker.auth.admin_views import bp as admin_bp
    from tracker.auth.views import bp as auth_bp
    from tracker.boards.views import bp as boards_bp
    from tracker.checkin.views import bp as checkin_bp
    from tracker.dashboards.views import bp as dashboards_bp
    from tracker.documents.views import bp as documents_bp
    from tracker.exports.views import bp as exports_bp
    from tracker.programs.views import bp as programs_bp
    from tracker.public.views import bp as public_bp
    from tracker.public_services.views import bp as public_services_bp
    from tracker.qr.views import bp as qr_bp
    from tracker.reports.views import bp as reports_bp
    from tracker.sites.import_views import bp as site_imports_bp
    from tracker.sites.views import bp as sites_bp
    from tracker.units.views import bp as units_bp

    blueprints = (auth_bp, admin_bp, dashboards_bp, units_bp, documents_bp, programs_bp, sites_bp, boards_bp)
    blueprints += (public_services_bp, exports_bp, reports_bp)
    for bp in (*blueprints, checkin_bp, site_imports_bp, qr_bp):
        app.register_blueprint(bp)
    app.register_blueprint(public_bp)  # the public progress pages (DESIGN §11)
    Api(app).register_blueprint(api_bp)  # the JSON API and its OpenAPI document (tracker.api.contract)


def register_limits(app: Flask) -> None:
    from tracker import extensions

    extensions.register_limits(app)
    # WEB_CONCURRENCY=N declares N workers; gunicorn.conf.py checks again with gunicorn's real number (-w N).
    extensions.check_limit_storage(app, extensions.declared_workers())


def register_cli(app: Flask) -> None:
    from tracker.cli import register

    register(app)
