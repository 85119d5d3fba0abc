"""Wires Flask-Login, the bearer-token loader and the deny-by-default guard into the app."""

from flask import abort, current_app, flash, g, redirect, request, url_for
from flask.sessions import SecureCookieSessionInterface
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from tracker import audit
from tracker.auth.access import PUBLIC
from tracker.auth.services import user_by_api_token, user_by_session_token
from tracker.errors import error_page, wants_json
from tracker.extensions import csrf, login_manager

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class SessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, but a view marked `same_for_everyone` gets no `Vary: Cookie`. Flask adds it
    whenever anything touched the session, and Flask-Login touches it after every request: a shared cache (nginx,
    a CDN) would then keep one copy per visitor's cookies, or none, of an image that is the same for all."""

    def save_session(self, app, session, response) -> None:
        if getattr(app.view_functions.get(request.endpoint), "same_for_everyone", False):
            session.accessed = False  # what makes Flask add the header; the view itself reads no session
        super().save_session(app, session, response)


def init_app(app) -> None:
    app.session_interface = SessionInterface()
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Hãy đăng nhập để tiếp tục.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = None  # the rotating session token does this job at the server
    app.before_request(guard)


@login_manager.user_loader
def load_user(session_token: str):
    user = user_by_session_token(session_token)
    if user is not None:
        audit.set_request_actor(user.id, user.username)
    return user


@login_manager.unauthorized_handler
def unauthorized():
    if wants_json():
        return error_page(401)
    return redirect(url_for("auth.login", next=request.full_path if request.query_string else request.path))


def _bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return None


def guard():
    """Every request: bearer or cookie identity, CSRF for cookie writes, then the view's access rule."""
    if request.endpoint is None:
        return None  # routing will answer 404/405
    view = current_app.view_functions.get(request.endpoint)
    access = PUBLIC if request.endpoint == "static" else getattr(view, "access", None)

    token = _bearer_token()
    if token is not None:
        user = user_by_api_token(token)
        if user is None:
            return error_page(401)
        audit.set_request_actor(user.id, user.username)
        g._login_user = user  # this request only; the session cookie is ignored
    elif request.method not in SAFE_METHODS:
        if request.blueprint == "api" and access != PUBLIC and not current_user.is_authenticated:
            return login_manager.unauthorized()  # the documented 401 of an API write without credentials
        csrf.protect()

    if access == PUBLIC:
        return None
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if current_user.must_change_password and token is None and request.endpoint not in PASSWORD_CHANGE:
        return _change_password_first()
    if access is None or current_user.role not in access:
        abort(403)
    return None


# What an account whose password someone else chose may do before choosing its own.
PASSWORD_CHANGE = frozenset({"auth.password", "auth.logout"})


def _change_password_first():
    message = _l("Mật khẩu này do người khác đặt cho bạn: hãy đổi mật khẩu trước khi tiếp tục.")
    if wants_json():
        return error_page(403, str(message))
    flash(message, "warning")
    return redirect(url_for("auth.password"))
