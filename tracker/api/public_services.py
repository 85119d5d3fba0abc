"""/api/v1 online public services (dịch vụ công trực tuyến, DESIGN §5): the catalog, the records per period and
the report by unit. Writes go through tracker.public_services.services, as on the screens: managers and admins of the
unit write, everyone in scope reads. A level change moves the live-linked services tasks in the same commit. The
schemas are in tracker.api.public_services_schemas.
"""

from flask import url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from tracker.api.contract import LOCATION, bp
from tracker.api.helpers import get_or_404, listed_units
from tracker.api.public_services_schemas import (
    PeriodCreate,
    PeriodListSchema,
    PeriodPatch,
    PeriodSchema,
    ReportQuery,
    ServiceCreate,
    ServiceDetailSchema,
    ServiceListSchema,
    ServicePatch,
    ServiceQuery,
    ServiceReportSchema,
)
from tracker.api.queries import Paged, page
from tracker.auth.access import EVERYONE, MANAGERS, allow, check_manage, check_scope
from tracker.db import get_row, local_today
from tracker.errors import ValidationError
from tracker.extensions import db
from tracker.public_services import report, services
from tracker.public_services.models import PublicService, ServicePeriod
from tracker.units.models import Unit


def load_service(service_id: int) -> PublicService:
    return get_or_404(PublicService, service_id, _("Không có thủ tục nào có id %(id)d.", id=service_id))


def _service_fields(body: dict, service: PublicService | None) -> services.ServiceFields:
    """The body's fields; one left out keeps the procedure's value (or is empty for a new one), null clears it."""

    def current(name: str):
        return getattr(service, name) if service is not None else None

    return services.ServiceFields(
        code=body.get("code", current("code")) or "",
        name=body.get("name", current("name")) or "",
        field=body.get("field", current("field")) or "",
        level=body.get("level", current("level")),
        online_since=body.get("online_since", current("online_since")),
    )


def _period_fields(body: dict, period: ServicePeriod | None) -> services.PeriodFields:
    def value(name: str):
        return body.get(name, getattr(period, name) if period is not None else None)

    return services.PeriodFields(
        period_start=value("period_start"),
        period_end=value("period_end"),
        records_total=value("records_total"),
        records_online=value("records_online"),
    )


# --- the catalog -----------------------------------------------------------------------------------------------


@bp.get("/services")
@allow(EVERYONE)
@bp.arguments(ServiceQuery, location="query")
@bp.response(200, ServiceListSchema, description="A page of procedures.")
@bp.refuses(401, 403)
def list_services(args: dict):
    """Procedures of the units in the user's scope, highest level first"""
    return page(report.search(listed_units(args.get("unit_id")), args.get("q", ""), args.get("level")), args)


@bp.post("/services")
@allow(MANAGERS)
@bp.arguments(ServiceCreate)
@bp.response(201, ServiceDetailSchema, description="Added; Location names the new procedure.", headers=LOCATION)
@bp.refuses(400, 401, 403)
def create_service(body: dict):
    """Add a procedure to a unit's catalog (managers, in scope); its code once per unit"""
    service = services.create_service(body["unit"], _service_fields(body, None), today=local_today())
    db.session.commit()
    return service, {"Location": url_for("api.get_service", service_id=service.id)}


@bp.get("/services/<int:service_id>")
@allow(EVERYONE)
@bp.response(200, ServiceDetailSchema, description="The procedure.")
@bp.refuses(401, 403, 404)
def get_service(service_id: int):
    """One procedure, with its records over all periods"""
    service = load_service(service_id)
    check_scope(service.unit_id)
    return service


@bp.patch("/services/<int:service_id>")
@allow(MANAGERS)
@bp.arguments(ServicePatch, description="Fields left out keep their value; read-only fields are accepted and ignored.")
@bp.response(200, ServiceDetailSchema, description="The procedure as saved.")
@bp.refuses(400, 401, 403, 404, 409)
def update_service(body: dict, service_id: int):
    """Edit a procedure or change its level (managers, in scope); needs the version last read

    Raising or lowering the level moves the live-linked services tasks at once."""
    service = load_service(service_id)
    check_manage(service.unit_id)
    if body.get("unit_id") not in (None, service.unit_id):
        raise ValidationError(
            {"unit_id": _("Không thể chuyển thủ tục sang đơn vị khác; hãy thêm thủ tục cho đơn vị đó.")}
        )
    fields = _service_fields(body, service)
    services.update_service(service, fields, expected_version=body["version"], today=local_today())
    db.session.commit()
    return service


# --- records per period ----------------------------------------------------------------------------------------


@bp.get("/services/<int:service_id>/periods")
@allow(EVERYONE)
@bp.arguments(Paged, location="query")
@bp.response(200, PeriodListSchema, description="A page of periods.")
@bp.refuses(401, 403, 404)
def list_service_periods(args: dict, service_id: int):
    """Records of a procedure per period, oldest first"""
    service = load_service(service_id)
    check_scope(service.unit_id)
    stmt = select(ServicePeriod).where(ServicePeriod.service_id == service.id)
    return page(stmt.order_by(ServicePeriod.period_start, ServicePeriod.id), args)


@bp.post("/services/<int:service_id>/periods")
@allow(MANAGERS)
@bp.arguments(PeriodCreate)
@bp.response(201, PeriodSchema, description="Recorded; Location names the procedure's periods.", headers=LOCATION)
@bp.refuses(400, 401, 403, 404)
def create_service_period(body: dict, service_id: int):
    """Record the records of a new period (managers, in scope)"""
    service = load_service(service_id)
    check_manage(service.unit_id)
    period = services.record_period(service, _period_fields(body, None))
    db.session.commit()
    return period, {"Location": url_for("api.list_service_periods", service_id=service.id)}


@bp.patch("/service-periods/<int:period_id>")
@allow(MANAGERS)
@bp.arguments(PeriodPatch, description="Fields left out keep their value; read-only fields are accepted and ignored.")
@bp.response(200, PeriodSchema, description="The period as saved.")
@bp.refuses(400, 401, 403, 404, 409)
def update_service_period(body: dict, period_id: int):
    """Correct a period's records (managers, in scope); needs the version last read"""
    period = get_or_404(ServicePeriod, period_id, _("Không có kỳ số liệu nào có id %(id)d.", id=period_id))
    check_manage(period.service.unit_id)
    services.update_period(period, _period_fields(body, period), expected_version=body["version"])
    db.session.commit()
    return period


# --- the report by unit ----------------------------------------------------------------------------------------


@bp.get("/services/report")
@allow(EVERYONE)
@bp.arguments(ReportQuery, location="query")
@bp.response(200, ServiceReportSchema, description="The report.")
@bp.refuses(401, 403)
def services_report(args: dict):
    """Toàn trình / một phần / chưa cung cấp and the share of records online, a row per unit

    Rows are the unit and each unit under it (or merged into it) with a catalog; counts are current levels; records
    count the periods within start–end (all when both are left out)."""
    unit_id = args.get("unit_id")
    unit = get_row(Unit, unit_id) if unit_id is not None else current_user.unit
    if unit_id is not None and unit is None:
        raise ValidationError({"unit_id": _("Không có đơn vị nào có id %(id)d.", id=unit_id)})
    if unit is None:
        raise ValidationError({"unit_id": _("Hãy chọn đơn vị cần báo cáo (unit_id).")})
    check_scope(unit.id)
    return report.unit_report(unit, args.get("start"), args.get("end"))
