"""Extension objects, bound to the app in create_app, and the rate limits that are not a single view's own."""

import hashlib
import logging
import os

from flask import current_app, request
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager, current_user
from flask_migrate import Migrate
from flask_wtf import CSRFProtect
from redis.backoff import NoBackoff
from redis.retry import Retry

from tracker.db import db

__all__ = ["babel", "csrf", "db", "limiter", "login_manager", "migrate"]

babel = Babel()
csrf = CSRFProtect()
login_manager = LoginManager()
migrate = Migrate()
limiter = Limiter(key_func=get_remote_address, default_limits=[])
log = logging.getLogger(__name__)


def skips_limiter(view):
    """Mark a view whose requests skip Flask-Limiter's pass over every request: it declares no limiter limits, and it
    is a hot public route on which that pass (finding none) costs as much as the view. Views with limits of their
    own counted by hand (the check-in, tracker.checkin.limits) are marked too."""
    view.skips_limiter = True
    return view


@limiter.request_filter
def _skipped() -> bool:
    return getattr(current_app.view_functions.get(request.endpoint), "skips_limiter", False)


# --- the limiter's storage ------------------------------------------------------------------------------------

_REDIS = ("redis://", "rediss://", "redis+unix://", "unix://")


def limiter_storage_options(app) -> None:
    """Short timeouts and one quick retry for a Redis storage, so a Redis that hangs costs a request about a second
    per attempt (measured: 1.0 s for the check-in that finds it, 2.2 s for the login, whose limiter also pings it)
    rather than forever (redis-py's defaults: no timeouts, ten retries) before the limits fall back to the
    process's memory (RATELIMIT_IN_MEMORY_FALLBACK_ENABLED). A refused connection costs nothing. A deployment's own
    options win."""
    if str(app.config.get("RATELIMIT_STORAGE_URI", "")).startswith(_REDIS):
        app.config["RATELIMIT_STORAGE_OPTIONS"] = {
            "socket_connect_timeout": 0.5,
            "socket_timeout": 0.5,
            "retry": Retry(NoBackoff(), 1),  # one retry: a socket left over from before a restart is re-opened
            **app.config.get("RATELIMIT_STORAGE_OPTIONS", {}),
        }


def check_limit_storage(app, workers: int) -> None:
    """Refuse a production start where several worker processes would each count the limits in their own memory:
    a login limit of 10 would let 10 × workers tries through, silently. RuntimeError naming the setting."""
    if app.debug or app.testing or workers <= 1 or app.config.get("RATELIMIT_PER_WORKER"):
        return
    if not str(app.config.get("RATELIMIT_STORAGE_URI", "memory://")).startswith("memory://"):
        return
    raise RuntimeError(
        f"TRACKER_RATELIMIT_STORAGE_URI is memory:// but {workers} worker processes serve the app: each would count "
        "the login, check-in and API limits on its own. Set TRACKER_RATELIMIT_STORAGE_URI=redis://host:6379/0 so "
        "they share them, run one worker, or set TRACKER_RATELIMIT_PER_WORKER=true to accept limits per worker."
    )


def declared_workers() -> int:
    """The worker count a deployment declares in WEB_CONCURRENCY (gunicorn's default for -w), else 1."""
    value = os.environ.get("WEB_CONCURRENCY", "").strip()
    return int(value) if value.isdigit() else 1


# --- limits per API token or signed-in user ------------------------------------------------------------------

WRITES = ["POST", "PUT", "PATCH", "DELETE"]

# Exports and posters: seconds of CPU and megabytes each. The import templates are small static files: not here.
HEAVY_ENDPOINTS = (
    "api.posters",
    "api.report_document",
    "api.site_poster",
    "boards.export_xlsx",
    "dashboards.ranking_xlsx",
    "public_services.report_xlsx",
    "qr.bulk",
    "qr.poster",
    "reports.document",
    "reports.reporting_file",
    "exports.program_csv",
    "exports.program_xlsx",
    "sites.export",
)


def client_key() -> str:
    """Who a per-client limit counts: the API token (its hash, no query), else the signed-in user. These limits
    are checked when the view runs, after the guard has identified the request; an address is the last resort."""
    auth = request.authorization
    if auth is not None and auth.type == "bearer" and auth.token:
        return "token:" + hashlib.sha256(auth.token.encode()).hexdigest()[:32]
    if current_user.is_authenticated:
        return f"user:{current_user.id}"
    return get_remote_address()


# One object each, shared by every app: Flask-Limiter keeps a view's limits in a set, so an app built again (the
# tests build many) finds the same limit and does not count it twice.
api_write_limit = limiter.shared_limit(
    lambda: current_app.config["API_WRITE_LIMIT"], scope="api-write", key_func=client_key, methods=WRITES
)
heavy_limit = limiter.shared_limit(lambda: current_app.config["HEAVY_LIMIT"], scope="heavy", key_func=client_key)


def register_limits(app) -> None:
    """Every write of the API shares API_WRITE_LIMIT, and the exports and posters (API and pages) share HEAVY_LIMIT,
    per token or user. The views are wrapped here, in one place, rather than each decorated in its module."""
    writes = {rule.endpoint for rule in app.url_map.iter_rules() if rule.endpoint.startswith("api.")
              and set(WRITES) & (rule.methods or set())}  # fmt: skip
    for endpoint in sorted(writes):
        app.view_functions[endpoint] = api_write_limit(app.view_functions[endpoint])
    for endpoint in HEAVY_ENDPOINTS:
        app.view_functions[endpoint] = heavy_limit(app.view_functions[endpoint])
