"""Administration: accounts (admins everywhere, managers within their scope), the audit log and the public address
of the QR codes (admins)."""

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user
from sqlalchemy import select

from tracker.audit import history
from tracker.audit_display import entity_label, row_names
from tracker.auth import services
from tracker.auth.access import ADMINS, MANAGERS, allow
from tracker.auth.forms import (
    AuditFilterForm,
    NewUserForm,
    PublicAddressForm,
    ResetPasswordForm,
    UserFilterForm,
    UserForm,
)
from tracker.auth.models import Role, User
from tracker.extensions import db
from tracker.forms import round_trip
from tracker.layout import AUDIT_ACTIONS
from tracker.qr import address, render
from tracker.settings import Setting
from tracker.sites.models import Site, SiteStatus
from tracker.units.names import unit_choice

bp = Blueprint("admin", __name__, url_prefix="/admin")

# Service error keys that are not form field names.
_FIELD_OF = {"unit": "unit_code"}


def _actor() -> User:
    return current_user._get_current_object()


def _load_user(user_id: int) -> User:
    """The account, or 404; 403 unless the current user may manage it."""
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    if not services.may_manage_user(_actor(), user):
        abort(403)
    return user


def _role_choices(form) -> None:
    form.role.choices = [(r.value, r.label) for r in services.grantable_roles(_actor())]


def _edit_form(user: User, submitted: bool = False) -> UserForm:
    """The submitted form, or one filled from the saved row (so a missing `version` never passes as current)."""
    if submitted:
        form = UserForm(formdata=request.form)
    else:
        form = UserForm(formdata=None, obj=user, unit_code=unit_choice(user.unit) if user.unit else "")
    _role_choices(form)
    return form


@bp.route("/users")
@allow(MANAGERS)
def users():
    filters = UserFilterForm(formdata=request.args)
    active = {"1": True, "0": False}.get(filters.active.data)
    stmt = services.users_query(_actor(), role=filters.role.data, active=active, q=filters.q.data or "")
    page = db.paginate(stmt, per_page=current_app.config["PER_PAGE"], error_out=False)
    return render_template("admin/users.html", filters=filters, page=page)


@bp.route("/users/new", methods=["GET", "POST"])
@allow(MANAGERS)
def user_new():
    form = NewUserForm(role=Role.VIEWER.value)  # the least power until someone chooses more
    _role_choices(form)

    def save():
        return services.add_user(
            _actor(),
            username=form.username.data,
            password=form.password.data,
            role=form.role.data,
            unit_code=form.unit_code.data,
            full_name=form.full_name.data or "",
        )

    def done(user):
        flash(_("Đã tạo tài khoản “%(u)s”.", u=user.username), "success")
        return redirect(url_for("admin.user_show", user_id=user.id))

    return round_trip(
        form, save, lambda: render_template("admin/user_form.html", form=form, user=None), done, field_of=_FIELD_OF
    )


@bp.route("/users/<int:user_id>")
@allow(MANAGERS)
def user_show(user_id: int):
    user = _load_user(user_id)
    return render_template("admin/user_show.html", user=user, events=history("users", user.id))


@bp.route("/users/<int:user_id>/edit", methods=["GET", "POST"])
@allow(MANAGERS)
def user_edit(user_id: int):
    user = _load_user(user_id)
    form = _edit_form(user, submitted=request.method == "POST")

    def reloaded():
        fresh = _edit_form(user)  # what is saved now, at its new version
        fresh.form_errors.append(
            _(
                "Tài khoản này vừa được người khác cập nhật nên thay đổi của bạn chưa được lưu. "
                "Biểu mẫu đã hiện dữ liệu mới nhất; hãy kiểm tra rồi lưu lại."
            )
        )
        return render_template("admin/user_form.html", form=fresh, user=user)

    def done(_result):
        flash(_("Đã lưu tài khoản “%(u)s”.", u=user.username), "success")
        return redirect(url_for("admin.user_show", user_id=user.id))

    return round_trip(
        form,
        lambda: services.edit_user(
            _actor(),
            user,
            version=form.version.number,
            full_name=form.full_name.data or "",
            role=form.role.data,
            unit_code=form.unit_code.data,
            is_active=form.is_active.data,
        ),
        lambda: render_template("admin/user_form.html", form=form, user=user),
        done,
        on_stale=reloaded,
        field_of=_FIELD_OF,
    )


@bp.route("/users/<int:user_id>/password", methods=["GET", "POST"])
@allow(MANAGERS)
def user_password(user_id: int):
    user = _load_user(user_id)
    form = ResetPasswordForm()

    def done(_result):
        if user.id == current_user.id:
            login_user(user)  # this browser keeps going with the new session token
        flash(
            _("Đã đặt mật khẩu mới cho “%(u)s”; mọi phiên đăng nhập của tài khoản đã kết thúc.", u=user.username),
            "success",
        )
        return redirect(url_for("admin.user_show", user_id=user.id))

    return round_trip(
        form,
        lambda: services.reset_password(user, form.password.data),
        lambda: render_template("admin/user_password.html", form=form, user=user),
        done,
        field_of=_FIELD_OF,
    )


@bp.route("/audit")
@allow(ADMINS)
def audit():
    filters = AuditFilterForm(formdata=request.args)
    entities, actions = services.audit_vocabulary()
    filters.entity.choices = [("", _("Tất cả"))] + sorted(((e, entity_label(e)) for e in entities), key=lambda c: c[1])
    filters.action.choices = [("", _("Tất cả"))] + [
        (a, str(AUDIT_ACTIONS.get(a, a))) for a in sorted(set(actions) | set(AUDIT_ACTIONS))
    ]
    if request.args and not filters.validate():
        return render_template("admin/audit.html", filters=filters, page=None), 400
    stmt = services.audit_query(
        entity=filters.entity.data or None,
        entity_id=filters.entity_id.data,
        action=filters.action.data or None,
        actor=filters.actor.data or "",
        since=filters.since.data,
        until=filters.until.data,
    )
    page = db.paginate(stmt, per_page=current_app.config["PER_PAGE"], error_out=False)
    return render_template("admin/audit.html", filters=filters, page=page, names=row_names(page.items))


@bp.route("/public-address", methods=["GET", "POST"])
@allow(ADMINS)
def public_address():
    """The address QR codes and posters point at: the one in force, the check-in URL it gives, and a form to store
    another (it wins over TRACKER_PUBLIC_BASE_URL and survives a restart)."""
    form = PublicAddressForm()
    if request.method == "GET":
        form.public_base_url.data = address.public_base_url()

    def done(_result):
        address.forget()
        flash(_("Đã lưu địa chỉ công khai."), "success")
        return redirect(url_for("admin.public_address"))

    def page():
        setting = db.session.scalar(select(Setting).where(Setting.key == address.KEY))
        site = db.session.scalar(select(Site).where(Site.status == SiteStatus.ACTIVE).order_by(Site.id).limit(1))
        return render_template(
            "admin/public_address.html",
            form=form,
            base=address.public_base_url(),
            configured=current_app.config.get("PUBLIC_BASE_URL") or "",
            setting=setting,
            setting_name=address.SETTING,
            problem=address.current_problem(),
            site=site,
            example=render.payload(site.code) if site else None,
            events=history("settings", setting.id) if setting else [],
        )

    return round_trip(form, lambda: address.set_public_base_url(form.public_base_url.data), page, done)
