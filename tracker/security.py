"""The headers every response carries (DESIGN §12), and the names and flags of the cookies the app sets.

A few lines of `after_request` rather than flask-talisman: the policy is a handful of fixed strings, and what is
particular to this app — which responses are `no-store`, the hash of the check-in page's inline stylesheet, the
`__Host-` names of our own cookies — would be written here either way.
"""

import base64
import hashlib
from pathlib import Path

from flask import Flask, current_app, g, request
from markupsafe import Markup

# The check-in page is one self-contained document (a phone on a weak connection shows it without fetching a
# stylesheet): its CSS is inlined from this file, and the policy allows exactly that text by its hash.
CHECKIN_CSS = Path("css") / "checkin.css"
HSTS = "max-age=63072000; includeSubDomains"  # two years
HOST_PREFIX = "__Host-"


def content_security_policy(style_hashes: list[str]) -> str:
    """Scripts and styles only from our own files (no inline script, no style attribute), never framed."""
    styles = " ".join(["'self'", *(f"'sha256-{digest}'" for digest in style_hashes)])
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            f"style-src {styles}",
            "img-src 'self' data:",
            "object-src 'none'",
            "base-uri 'none'",  # no page sets a <base>: ASVS 5.0 V3.4.3's minimum
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


def sha256_base64(text: str) -> str:
    return base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii")


def cookie_name(name: str) -> str:
    """Under HTTPS our cookies carry the `__Host-` prefix: the browser then takes them only when Secure, for
    Path=/ and without Domain, so neither a plain-HTTP page nor a sibling subdomain can plant or widen one."""
    return HOST_PREFIX + name if current_app.config["HTTPS"] else name


def read_cookie(name: str) -> str | None:
    return request.cookies.get(cookie_name(name))


def set_cookie(response, name: str, value: str, max_age: int) -> None:
    """One of our own cookies: HttpOnly, SameSite=Lax, Path=/, and Secure with a `__Host-` name under HTTPS."""
    response.set_cookie(
        cookie_name(name),
        value,
        max_age=max_age,
        path="/",
        httponly=True,
        samesite="Lax",
        secure=bool(current_app.config["HTTPS"]),
    )


def _signed_in() -> bool:
    """Whether this request ran as a user. Only looks at what the request already loaded (Flask-Login keeps it in
    g): asking current_user here would read the session on public views, and add `Vary: Cookie` to QR images."""
    user = g.get("_login_user")
    return user is not None and user.is_authenticated


def register(app: Flask) -> None:
    css = (Path(app.static_folder) / CHECKIN_CSS).read_text(encoding="utf-8")
    app.jinja_env.globals["checkin_css"] = Markup(css)  # noqa: S704 (our own file, not user input)
    policy = content_security_policy([sha256_base64(css)])
    https = app.config["HTTPS"]
    if https:
        app.config["SESSION_COOKIE_NAME"] = HOST_PREFIX + "session"  # Secure and Path=/ already: Flask's own
    _quiet_development_server()

    @app.after_request
    def security_headers(response):
        headers = response.headers
        headers["Content-Security-Policy"] = policy
        headers["X-Content-Type-Options"] = "nosniff"
        headers["X-Frame-Options"] = "DENY"  # frame-ancestors, for browsers that predate it
        headers["Referrer-Policy"] = "same-origin"
        if https:
            headers["Strict-Transport-Security"] = HSTS
        # A view that chose its caching keeps it (QR images, the check-in page); otherwise nothing a signed-in
        # user sees, and no API answer, is kept by any cache: pages, JSON and exports with members' phones alike.
        if (
            "Cache-Control" not in headers
            and request.endpoint != "static"
            and (_signed_in() or request.path.startswith("/api/"))
        ):
            headers["Cache-Control"] = "private, no-store"
        return response


def _quiet_development_server() -> None:
    """Werkzeug's development server (`flask run`, the browser tests) sends `Server: Werkzeug/3.1.9 Python/3.11.7`,
    a list of versions for anyone scanning for old ones; it has no setting for that, so its handler drops the
    header. gunicorn sends `Server: gunicorn`, without a version, and nginx does not pass it on (README)."""
    from werkzeug.serving import WSGIRequestHandler

    send_header = WSGIRequestHandler.send_header
    if getattr(send_header, "quiet", False):
        return

    def without_server(self, keyword: str, value: str) -> None:
        if keyword.lower() != "server":
            send_header(self, keyword, value)

    without_server.quiet = True
    WSGIRequestHandler.send_header = without_server
