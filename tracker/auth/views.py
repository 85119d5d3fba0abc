"""Login, logout and the user's own password."""

from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from tracker.auth import services
from tracker.auth.access import EVERYONE, allow, public
from tracker.auth.forms import LoginForm, PasswordForm
from tracker.auth.passwords import verify_password
from tracker.errors import ValidationError
from tracker.extensions import db, limiter

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str:
    if target and target.startswith("/") and not target.startswith("//") and not urlsplit(target).netloc:
        return target
    return url_for("dashboards.index")


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(
    lambda: current_app.config["LOGIN_FAILURE_LIMIT"],
    methods=["POST"],
    deduct_when=lambda response: response.status_code == 401,
)
@public
def login():
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
    if form.validate_on_submit():
        user = current_user._get_current_object()
        if not verify_password(user.password_hash, form.current.data):
            form.current.errors.append(_("Mật khẩu hiện tại không đúng."))
            return render_template("auth/password.html", form=form), 400
        try:
            services.set_password(user, form.password.data)
        except ValidationError as exc:
            form.password.errors.append(exc.fields["password"])
            return render_template("auth/password.html", form=form), 400
        db.session.commit()
        login_user(user)  # this browser keeps going with the new session token
        flash(_("Đã đổi mật khẩu. Các phiên đăng nhập khác đã kết thúc."), "success")
        return redirect(url_for("dashboards.index"))
    return render_template("auth/password.html", form=form), 400 if form.is_submitted() else 200
