"""The site registry (điểm QR): the filterable list with bulk poster printing, a site's page with its QR, code,
posters and scan statistics, registering and editing sites, retiring them and rotating their codes.

QR images and posters belong to tracker.qr; the list and the site page link to them only once they exist.
"""

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from tracker import audit, downloads
from tracker.auth.access import (
    EVERYONE,
    MANAGERS,
    PUBLIC,
    STAFF,
    allow,
    can_manage,
    check_scope,
    in_scope,
    load_in_scope,
    name_scope,
    shown_unit,
)
from tracker.db import local_today
from tracker.errors import ValidationError, abort_with
from tracker.extensions import db
from tracker.forms import round_trip, show_errors
from tracker.qr.address import check_in_url
from tracker.sites import export as site_export
from tracker.sites import queries, services
from tracker.sites.codes import grouped
from tracker.sites.forms import LAYOUTS, CreateSiteForm, EditSiteForm, RotateForm, SiteFilterForm, StatusForm
from tracker.sites.models import RetiredSiteCode, Site, SiteStatus
from tracker.units.models import Unit
from tracker.units.names import find_unit, unit_ref

bp = Blueprint("sites", __name__, url_prefix="/sites")

STALE = _l("Điểm QR này vừa được người khác sửa. Hãy tải lại trang để xem bản mới nhất rồi làm lại.")


def has_endpoint(name: str) -> bool:
    """True once the area that serves this endpoint (QR images, posters, imports) is installed."""
    return name in current_app.view_functions


def may_use(name: str) -> bool:
    """True when the endpoint exists and the current user's role may open it (its @allow mark)."""
    access = getattr(current_app.view_functions.get(name), "access", None)
    return access == PUBLIC or (access is not None and current_user.role in access)


@bp.context_processor
def _helpers():
    return {"has_endpoint": has_endpoint, "may_use": may_use, "grouped_code": grouped}


def _qr_render():
    """tracker.qr.render when that area is installed, else None (the page then links to the SVG, if any)."""
    try:
        from tracker.qr import render
    except ImportError:
        return None
    return render


def _payload(site: Site) -> str:
    """What the site's QR encodes: the public address/c/CODE, upper-cased as a whole (DESIGN §2.8)."""
    render = _qr_render()
    if render is not None:
        return render.payload(site.code)
    return check_in_url(site.code).upper()


def _qr_svg(site: Site) -> Markup | None:
    render = _qr_render()
    if render is None:
        return None
    image = render.svg(render.payload(site.code))
    return Markup(image.decode() if isinstance(image, bytes) else image)  # noqa: S704 (our own SVG)


def _flash_same_name(site: Site) -> None:
    """A duplicate name within the unit is worth a warning with a link to the other site, never a block."""
    other = services.same_name(site.unit_id, site.name, exclude_id=site.id)
    if other is not None:
        flash(
            Markup('{} <a href="{}" data-testid="same-name">{}</a> ({}).').format(
                _("Đơn vị đã có một điểm QR cùng tên:"),
                url_for("sites.show", site_id=other.id),
                other.name,
                grouped(other.code),
            ),
            "warning",
        )


# --- the list ----------------------------------------------------------------------------------------


def _search(form: SiteFilterForm, unit_ids, today):
    """The SELECT of the sites the filters on the form find within these units (the list's and its export's)."""
    return queries.search(
        unit_ids=unit_ids,
        query=form.q.data or "",
        kind=form.kind.data,
        status=form.status.data,
        printed=form.printed.data,
        activity=form.activity.data,
        today=today,
    )


@bp.route("/")
@allow(EVERYONE)
def index():
    form = SiteFilterForm(formdata=request.args)
    status = 200
    try:
        unit, unit_ids = shown_unit(current_user, form.unit.data)
    except ValidationError as exc:
        show_errors(form, exc)
        unit, unit_ids, status = None, [], 400
    today = local_today()
    stmt = _search(form, unit_ids, today).options(selectinload(Site.unit))
    page = db.paginate(stmt, per_page=current_app.config["PER_PAGE"])
    filters = form.filters()
    if unit is not None:
        filters["unit"] = unit_ref(unit)
    html = render_template(
        "sites/index.html",
        form=form,
        page=page,
        unit=unit,
        stats=queries.site_stats([s.id for s in page.items], today),
        summary=queries.unit_stats(unit_ids, today) if unit is not None else None,
        empty=queries.SiteStats(),
        filters=filters,
        layouts=LAYOUTS,
        may_create=current_user.role in STAFF,
    )
    return html, status


@bp.get("/export.<any(xlsx, csv):fmt>")
@allow(EVERYONE)
def export(fmt: str):
    """Every site the list's filters find, as XLSX or CSV (tracker.sites.export)."""
    form = SiteFilterForm(formdata=request.args)
    try:
        unit, unit_ids = shown_unit(current_user, form.unit.data)
    except ValidationError as exc:
        abort_with(400, exc.message)
    today = local_today()
    stmt = _search(form, unit_ids, today)
    body = site_export.xlsx_file(stmt, today) if fmt == "xlsx" else site_export.csv_chunks(stmt, today)
    return downloads.attachment(body, downloads.CONTENT_TYPES[fmt], f"{site_export.file_name(unit, today)}.{fmt}")


# --- register and edit -------------------------------------------------------------------------------


def _default_unit_ref() -> str:
    """The unit named in the link that opened the form, else the user's own unit."""
    if request.args.get("unit"):
        return request.args["unit"]
    return unit_ref(current_user.unit) if current_user.unit else ""


def _checked(form: CreateSiteForm) -> tuple[Unit, services.SiteFields]:
    """The unit and the fields, or one ValidationError naming every bad field at once."""
    errors, unit, fields = {}, None, None
    try:
        unit = find_unit(form.unit.data, "unit", name_scope(current_user))
    except ValidationError as exc:
        errors.update(exc.fields)
    try:
        fields = services.check_fields(form.fields())
    except ValidationError as exc:
        errors.update(exc.fields)
    if errors:
        raise ValidationError(errors)
    return unit, fields


@bp.route("/new", methods=["GET", "POST"])
@allow(STAFF)
def create():
    form = CreateSiteForm(unit=_default_unit_ref())

    def save():
        unit, fields = _checked(form)
        check_scope(unit.id)
        return services.create_site(unit, fields)

    def done(site: Site):
        flash(_("Đã đăng ký điểm QR “%(name)s”, mã %(code)s.", name=site.name, code=grouped(site.code)), "success")
        _flash_same_name(site)
        return redirect(url_for("sites.show", site_id=site.id))

    return round_trip(form, save, lambda: render_template("sites/form.html", form=form, site=None), done)


@bp.route("/<int:site_id>/edit", methods=["GET", "POST"])
@allow(STAFF)
def edit(site_id: int):
    site = load_in_scope(Site, site_id)
    form = EditSiteForm(obj=site)

    def done(_result):
        flash(_("Đã lưu điểm QR “%(name)s”.", name=site.name), "success")
        _flash_same_name(site)
        return redirect(url_for("sites.show", site_id=site.id))

    return round_trip(
        form,
        lambda: services.update_site(site, form.fields(), expected_version=form.version.number),
        lambda: render_template("sites/form.html", form=form, site=site),
        done,
        stale=STALE,
    )


# --- the site page, retiring, rotating ----------------------------------------------------------------


def _render_show(site: Site, *, status_form=None, rotate_form=None, status: int = 200):
    today = local_today()
    may_manage = can_manage(current_user, site.unit_id)
    if may_manage:
        status_form = status_form or StatusForm(formdata=None, version=site.version)
        rotate_form = rotate_form or RotateForm(formdata=None, version=site.version)
    retired = db.session.scalars(
        select(RetiredSiteCode)
        .where(RetiredSiteCode.site_id == site.id)
        .order_by(RetiredSiteCode.retired_at.desc(), RetiredSiteCode.code)
    ).all()
    html = render_template(
        "sites/show.html",
        site=site,
        payload=_payload(site),
        qr_svg=_qr_svg(site),
        stats=queries.site_stats([site.id], today).get(site.id, queries.SiteStats()),
        days=queries.daily_counts(site.id, today),
        retired=retired,
        layouts=LAYOUTS,
        may_edit=current_user.role in STAFF and in_scope(current_user, site.unit_id),
        may_manage=may_manage,
        status_form=status_form,
        rotate_form=rotate_form,
        events=audit.history("sites", site.id),
    )
    return html, status


@bp.route("/<int:site_id>")
@allow(EVERYONE)
def show(site_id: int):
    return _render_show(load_in_scope(Site, site_id))


@bp.route("/<int:site_id>/status", methods=["POST"])
@allow(MANAGERS)
def status(site_id: int):
    site = load_in_scope(Site, site_id, manage=True)
    form = StatusForm()

    def done(_result):
        if site.status == SiteStatus.RETIRED:
            flash(_("Đã ngừng điểm QR “%(name)s”: mã của điểm không còn nhận lượt quét.", name=site.name), "success")
        else:
            flash(_("Điểm QR “%(name)s” hoạt động trở lại.", name=site.name), "success")
        return redirect(url_for("sites.show", site_id=site.id))

    return round_trip(
        form,
        lambda: services.set_status(site, form.status.data, expected_version=form.version.number),
        lambda: _render_show(site, status_form=form)[0],
        done,
        stale=STALE,
    )


@bp.route("/<int:site_id>/rotate", methods=["POST"])
@allow(MANAGERS)
def rotate(site_id: int):
    site = load_in_scope(Site, site_id, manage=True)
    form = RotateForm()
    old = site.code

    def done(code: str):
        flash(
            _(
                "Đã đổi mã QR của “%(name)s”: mã mới %(new)s. Mã cũ %(old)s không còn hiệu lực; hãy in lại áp phích.",
                name=site.name,
                new=grouped(code),
                old=grouped(old),
            ),
            "success",
        )
        return redirect(url_for("sites.show", site_id=site.id))

    return round_trip(
        form,
        lambda: services.rotate_code(site, expected_version=form.version.number),
        lambda: _render_show(site, rotate_form=form)[0],
        done,
        stale=STALE,
    )
