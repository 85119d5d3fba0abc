"""Online public services (dịch vụ công trực tuyến): the catalog by level, a procedure's page with its level and
records per period, adding and editing procedures and periods, the report by unit (also as XLSX), and the
import from the national portal's statistics (upload → preview → confirm, all rows or none).

Managers and admins write; everyone reads within their scope. Raising a level moves the live-linked services
tasks in the same transaction (tracker.programs.live).
"""

from datetime import date

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.orm import selectinload

from tracker import audit, downloads, imports
from tracker.auth.access import (
    EVERYONE,
    MANAGERS,
    allow,
    can_manage,
    check_manage,
    load_in_scope,
    name_scope,
    shown_unit,
)
from tracker.dashboards.queries import online_services
from tracker.db import get_row, local_today
from tracker.errors import ValidationError
from tracker.extensions import db
from tracker.formatting import number
from tracker.forms import round_trip, show_errors
from tracker.public_services import report, services
from tracker.public_services.forms import (
    CreateServiceForm,
    EditPeriodForm,
    EditServiceForm,
    LevelForm,
    PeriodForm,
    ReportForm,
    ServiceFilterForm,
    ServiceImportForm,
)
from tracker.public_services.imports import COLUMNS, ServiceImport
from tracker.public_services.models import LEVEL_LABELS, PublicService, ServicePeriod
from tracker.units.names import unit_ref

bp = Blueprint("public_services", __name__, url_prefix="/services")

STALE = _l("Thủ tục này vừa được người khác sửa. Hãy tải lại trang để xem bản mới nhất rồi làm lại.")
STALE_PERIOD = _l("Số liệu kỳ này vừa được người khác sửa. Hãy tải lại trang để xem bản mới nhất rồi làm lại.")


@bp.context_processor
def _helpers():
    return {"reach_label": services.reach_label, "level_labels": LEVEL_LABELS}


def _default_unit_ref() -> str:
    if request.args.get("unit"):
        return request.args["unit"]
    return unit_ref(current_user.unit) if current_user.unit else ""


# --- the catalog -------------------------------------------------------------------------------------------


@bp.route("/")
@allow(EVERYONE)
def index():
    form = ServiceFilterForm(formdata=request.args)
    status = 200
    try:
        unit, unit_ids = shown_unit(current_user, form.unit.data)
    except ValidationError as exc:
        show_errors(form, exc)
        unit, unit_ids, status = None, [], 400
    stmt = report.search(unit_ids, form.q.data or "", form.level.data).options(selectinload(PublicService.unit))
    page = db.paginate(stmt, per_page=current_app.config["PER_PAGE"])
    html = render_template(
        "public_services/index.html",
        form=form,
        page=page,
        unit=unit,
        unit_arg=unit_ref(unit) if unit else "",
        records=report.records_by_service(s.id for s in page.items),
        empty=report.Records(),
        summary=online_services(unit_ids) if unit is not None else None,
        may_manage=current_user.role in MANAGERS,
    )
    return html, status


# --- adding and editing a procedure ------------------------------------------------------------------------


@bp.route("/new", methods=["GET", "POST"])
@allow(MANAGERS)
def create():
    form = CreateServiceForm(unit=_default_unit_ref())
    form.within = name_scope(current_user)

    def save():
        check_manage(form.found_unit.id)
        return services.create_service(form.found_unit, form.fields(), today=local_today())

    def done(service):
        flash(_("Đã thêm thủ tục %(code)s “%(name)s”.", code=service.code, name=service.name), "success")
        return redirect(url_for("public_services.show", service_id=service.id))

    return round_trip(
        form,
        save,
        lambda: render_template("public_services/form.html", form=form, service=None),
        done,
        validate_more=lambda: services.check_fields(form.fields()),  # the unit is wrong: name the others too
    )


@bp.route("/<int:service_id>/edit", methods=["GET", "POST"])
@allow(MANAGERS)
def edit(service_id: int):
    service = load_in_scope(PublicService, service_id, manage=True)
    form = EditServiceForm(obj=service)

    def done(_result):
        flash(_("Đã lưu thủ tục %(code)s.", code=service.code), "success")
        return redirect(url_for("public_services.show", service_id=service.id))

    return round_trip(
        form,
        lambda: services.update_service(
            service, form.fields(), expected_version=form.version.number, today=local_today()
        ),
        lambda: render_template("public_services/form.html", form=form, service=service),
        done,
        stale=STALE,
    )


# --- a procedure's page: its level and its records ---------------------------------------------------------


def _render_show(service: PublicService, *, level_form=None, period_form=None, status: int = 200):
    may_manage = can_manage(current_user, service.unit_id)
    if may_manage:
        level_form = level_form or LevelForm(formdata=None, level=service.level, version=service.version)
        period_form = period_form or PeriodForm(formdata=None)
    periods = sorted(service.periods, key=lambda p: p.period_start, reverse=True)
    html = render_template(
        "public_services/show.html",
        service=service,
        periods=periods,
        records=report.Records(
            sum(p.records_total for p in periods), sum(p.records_online for p in periods), len(periods)
        ),
        may_manage=may_manage,
        level_form=level_form,
        period_form=period_form,
        events=audit.history("public_services", service.id),
    )
    return html, status


@bp.route("/<int:service_id>")
@allow(EVERYONE)
def show(service_id: int):
    return _render_show(load_in_scope(PublicService, service_id))


@bp.post("/<int:service_id>/level")
@allow(MANAGERS)
def set_level(service_id: int):
    service = load_in_scope(PublicService, service_id, manage=True)
    form = LevelForm()
    before = service.level

    def done(_result):
        if service.level == before:
            flash(_("Thủ tục %(code)s vẫn ở %(level)s.", code=service.code, level=service.level_label), "success")
        else:
            message = _("Đã chuyển thủ tục %(code)s sang %(level)s.", code=service.code, level=service.level_label)
            flash(message, "success")
        return redirect(url_for("public_services.show", service_id=service.id))

    return round_trip(
        form,
        lambda: services.set_level(service, form.level.data, expected_version=form.version.number, today=local_today()),
        lambda: _render_show(service, level_form=form)[0],
        done,
        stale=STALE,
    )


@bp.post("/<int:service_id>/periods")
@allow(MANAGERS)
def period_create(service_id: int):
    service = load_in_scope(PublicService, service_id, manage=True)
    form = PeriodForm()

    def done(_result):
        flash(_("Đã ghi số hồ sơ của kỳ."), "success")
        return redirect(url_for("public_services.show", service_id=service.id) + "#records")

    return round_trip(
        form,
        lambda: services.record_period(service, form.fields()),
        lambda: _render_show(service, period_form=form)[0],
        done,
    )


@bp.route("/periods/<int:period_id>/edit", methods=["GET", "POST"])
@allow(MANAGERS)
def period_edit(period_id: int):
    period = get_row(ServicePeriod, period_id)
    if period is None:
        abort(404)
    check_manage(period.service.unit_id)
    form = EditPeriodForm(obj=period)

    def done(_result):
        flash(_("Đã sửa số hồ sơ của kỳ."), "success")
        return redirect(url_for("public_services.show", service_id=period.service_id) + "#records")

    def render():
        events = audit.history("service_periods", period.id)
        return render_template("public_services/period_form.html", form=form, period=period, events=events)

    return round_trip(
        form,
        lambda: services.update_period(period, form.fields(), expected_version=form.version.number),
        render,
        done,
        stale=STALE_PERIOD,
    )


# --- the report by unit ----------------------------------------------------------------------------------------


def _report() -> tuple[ReportForm, report.ServiceReport | None, int]:
    """The report the query string asks for: (form, report or None when no unit is chosen yet, status)."""
    form = ReportForm(formdata=request.args)
    if not form.validate():
        return form, None, 400
    try:
        unit, _units = shown_unit(current_user, form.unit.data)
    except ValidationError as exc:
        show_errors(form, exc)
        return form, None, 400
    if unit is None:
        return form, None, 200
    if form.start.data and form.end.data and form.end.data < form.start.data:
        form.end.errors.append(_("Ngày cuối phải từ ngày đầu trở đi."))
        return form, None, 400
    return form, report.unit_report(unit, form.start.data, form.end.data), 200


@bp.get("/report")
@allow(EVERYONE)
def report_page():
    form, found, status = _report()
    return render_template("public_services/report.html", form=form, report=found), status


@bp.get("/report.xlsx")
@allow(EVERYONE)
def report_xlsx():
    form, found, status = _report()
    if found is None:
        return render_template("public_services/report.html", form=form, report=None), max(status, 400)
    body = report.to_xlsx(found, local_today())
    name = f"bao-cao-dich-vu-cong-{found.unit.code or found.unit.id}.xlsx"
    return downloads.attachment(body, downloads.XLSX_MIMETYPE, name)


# --- importing from the national portal's statistics -----------------------------------------------------------


class ServiceImportFlow(imports.ImportFlow):
    kind = ServiceImport.kind
    columns = COLUMNS
    title = _l("Nhập dịch vụ công từ tệp")
    sheet = _l("Dịch vụ công")
    template_name = "mau-nhap-dich-vu-cong"
    endpoint = "public_services.import_"
    form_class = ServiceImportForm

    def form(self) -> ServiceImportForm:
        return ServiceImportForm(unit=unit_ref(current_user.unit) if current_user.unit else "")

    def options(self, form: ServiceImportForm) -> dict:
        period = (form.period_start.data, form.period_end.data)
        return {"unit": form.unit.data or "", "period": [d.isoformat() if d else "" for d in period]}

    def importer(self, options: dict) -> ServiceImport:
        period = tuple(date.fromisoformat(d) if d else None for d in options.get("period", ("", "")))
        refused = _("Tài khoản không được sửa danh mục thủ tục của “%(name)s”.")
        unit = imports.typed_unit(options.get("unit", ""), can_manage, refused)
        return ServiceImport(current_user, unit, period, local_today())

    def context(self, importer: ServiceImport | None) -> str:
        unit = importer.unit if importer else None
        return _("Đơn vị mặc định: %(name)s", name=unit.name) if unit else ""

    def back_url(self) -> str:
        return url_for("public_services.index")

    def done(self, importer: ServiceImport, counts: dict[str, int], result: imports.Preview):
        new, updated, unit = counts[imports.NEW], counts[imports.UPDATE], importer.unit
        flash(
            _(
                "Đã nhập %(n)s thủ tục (%(new)s thủ tục mới, %(updated)s thủ tục cập nhật).",
                n=number(new + updated),
                new=number(new),
                updated=number(updated),
            ),
            "success",
        )
        return redirect(url_for("public_services.index", unit=unit_ref(unit) if unit else None))


imports.add_routes(bp, ServiceImportFlow, "/import", MANAGERS)
