"""Login, logout and the user's own password."""

import hashlib
import math
import time
from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, make_response, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_limiter import RequestLimit
from flask_login import current_user, login_user, logout_user

from tracker import audit
from tracker.auth import services
from tracker.auth.access import EVERYONE, allow, public
from tracker.auth.forms import LoginForm, PasswordForm
from tracker.auth.passwords import verify_password
from tracker.errors import ValidationError
from tracker.extensions import db, limiter
from tracker.forms import round_trip
from tracker.text import shown

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str:
    if target and target.startswith("/") and not target.startswith("//") and not urlsplit(target).netloc:
        return target
    return url_for("dashboards.index")


def _failed(response) -> bool:
    return response.status_code == 401


def _account_key() -> str:
    """The account a login form names, folded as `authenticate` folds it (hashed: any text may be typed there)."""
    name = (request.form.get("username") or "").strip().lower()
    return "account:" + hashlib.sha256(name.encode()).hexdigest()[:32]


def _account_locked(limit: RequestLimit):
    """The account's failures from every address passed LOGIN_ACCOUNT_LIMIT: refused before its password is even
    checked (so a guess that happens to be right tells nothing), audited, and told when to come back."""
    minutes = max(1, math.ceil((limit.reset_at - time.time()) / 60))
    name = (request.form.get("username") or "").strip().lower()[:64]
    audit.record("login_locked", "users", None, {"username": shown(name), "limit": str(limit.limit)})
    db.session.commit()
    form = LoginForm()
    form.password.errors = [
        _(
            "Tài khoản này đã bị nhập sai mật khẩu quá nhiều lần nên tạm khóa đăng nhập; hãy thử lại sau "
            "%(n)d phút. Nếu không phải bạn, hãy báo quản trị viên.",
            n=minutes,
        )
    ]
    return make_response(render_template("auth/login.html", form=form), 429)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_FAILURE_LIMIT"], methods=["POST"], deduct_when=_failed)
@limiter.limit(
    lambda: current_app.config["LOGIN_ACCOUNT_LIMIT"],
    key_func=_account_key,
    scope="login-account",
    methods=["POST"],
    deduct_when=_failed,
    on_breach=_account_locked,
)
@public
def login():
    """Not forms.round_trip: a failed login is audited and committed, and answers 401 so the rate limits count it."""
    if current_user.is_authenticated:
        return redirect(url_for("dashboards.index"))
    form = LoginForm()
    if form.validate_on_submit():
        user = services.authenticate(form.username.data, form.password.data)
        if user is None:
            db.session.commit()  # keep the failure in the audit trail
            form.password.errors.append(_("Tên đăng nhập hoặc mật khẩu không đúng, hoặc tài khoản đã bị khóa."))
            return render_template("auth/login.html", form=form), 401
        session.clear()
        session.permanent = True
        login_user(user)
        db.session.commit()
        return redirect(_safe_next(request.args.get("next")))
    status = 400 if form.is_submitted() else 200
    return render_template("auth/login.html", form=form), status


@bp.route("/logout", methods=["POST"])
@allow(EVERYONE)
def logout():
    services.logout(current_user._get_current_object())
    db.session.commit()
    logout_user()
    session.clear()
    flash(_("Bạn đã đăng xuất."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/password", methods=["GET", "POST"])
@allow(EVERYONE)
def password():
    form = PasswordForm()
    user = current_user._get_current_object()

    def save():
        if not verify_password(user.password_hash, form.current.data):
            raise ValidationError({"current": _("Mật khẩu hiện tại không đúng.")})
        services.set_password(user, form.password.data)

    def done(_result):
        login_user(user)  # this browser keeps going with the new session token
        flash(_("Đã đổi mật khẩu. Các phiên đăng nhập khác đã kết thúc."), "success")
        return redirect(url_for("dashboards.index"))

    return round_trip(form, save, lambda: render_template("auth/password.html", form=form), done)
