"""/api/v1 online public services (dịch vụ công trực tuyến, DESIGN §5): the catalog, the records per period and
the report by unit. Writes go through tracker.public_services.services, as on the screens: managers and admins of the
unit write, everyone in scope reads. A level change moves the live-linked services tasks in the same commit.
"""

from flask import request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from tracker.api.bodies import Body
from tracker.api.helpers import (
    body_unit,
    get_or_404,
    json_object,
    listed_units,
    page_of,
    paging,
    parse_date,
    query_choice,
    query_int,
)
from tracker.api.schemas import iso, ratio, unit_json
from tracker.api.views import bp
from tracker.auth.access import EVERYONE, MANAGERS, allow, check_manage, check_scope
from tracker.db import get_row, local_today
from tracker.errors import ValidationError
from tracker.extensions import db
from tracker.public_services import report, services
from tracker.public_services.models import PublicService, ServicePeriod
from tracker.units.models import Unit

SERVICE_FIELDS = ("unit_id", "code", "name", "field", "level", "online_since")
SERVICE_READ_ONLY = ("id", "level_label", "reach", "online", "records", "created_at", "updated_at")
PERIOD_FIELDS = ("period_start", "period_end", "records_total", "records_online")
PERIOD_READ_ONLY = ("id", "service_id", "online_share", "created_at", "updated_at")


def _required() -> dict[str, str]:
    """What to say when a field that needs a value has none (built per request, in its language)."""
    return {
        "unit_id": _("Hãy chọn đơn vị có thủ tục (unit_id)."),
        "version": _("Hãy gửi kèm phiên bản (version) đã đọc, để không ghi đè thay đổi của người khác."),
    }


def service_json(service: PublicService) -> dict:
    return {
        "id": service.id,
        "unit_id": service.unit_id,
        "code": service.code,
        "name": service.name,
        "field": service.field,
        "level": service.level,
        "level_label": service.level_label,
        "reach": services.reach(service.level),
        "online": services.counts_online(service.level),
        "online_since": iso(service.online_since),
        "version": service.version,
        "created_at": iso(service.created_at),
        "updated_at": iso(service.updated_at),
    }


def service_detail_json(service: PublicService) -> dict:
    records = report.records_by_service([service.id]).get(service.id, report.Records())
    summary = {"total": records.total, "online": records.online, "periods": records.periods}
    return service_json(service) | {"records": summary | {"online_share": ratio(records.share)}}


def period_json(period: ServicePeriod) -> dict:
    return {
        "id": period.id,
        "service_id": period.service_id,
        "period_start": iso(period.period_start),
        "period_end": iso(period.period_end),
        "records_total": period.records_total,
        "records_online": period.records_online,
        "online_share": ratio(services.share(period.records_online, period.records_total)),
        "version": period.version,
        "created_at": iso(period.created_at),
        "updated_at": iso(period.updated_at),
    }


def load_service(service_id: int) -> PublicService:
    return get_or_404(PublicService, service_id, _("Không có thủ tục nào có id %(id)d.", id=service_id))


def _level(body: Body, current: int | None) -> int | None:
    """`level` as 1–4 or the words of the national portal ("Toàn trình", "Một phần"); absent: `current`."""
    if "level" not in body.data:
        return current
    try:
        return services.parse_level(body.data["level"])
    except ValueError as exc:
        body.errors["level"] = str(exc)
        return current


def _service_fields(body: Body, service: PublicService | None) -> services.ServiceFields:
    """The body's fields; a field left out keeps the procedure's value (or is empty for a new one)."""

    def text(name: str) -> str:
        return body.text(name, default=getattr(service, name) if service is not None else "") or ""

    return services.ServiceFields(
        code=text("code"),
        name=text("name"),
        field=text("field"),
        level=_level(body, service.level if service is not None else None),
        online_since=body.date("online_since", default=service.online_since if service is not None else None),
    )


def _period_fields(body: Body, period: ServicePeriod | None) -> services.PeriodFields:
    def current(name: str):
        return getattr(period, name) if period is not None else None

    return services.PeriodFields(
        period_start=body.date("period_start", default=current("period_start")),
        period_end=body.date("period_end", default=current("period_end")),
        records_total=body.integer("records_total", default=current("records_total")),
        records_online=body.integer("records_online", default=current("records_online")),
    )


# --- the catalog -----------------------------------------------------------------------------------------------


@bp.get("/services")
@allow(EVERYONE)
def list_services():
    errors: dict[str, str] = {}
    unit_id = query_int("unit_id", errors)
    level = query_choice("level", services.LEVEL_FILTERS, errors, normalise=str.lower)
    page, per_page = paging(errors)
    if errors:
        raise ValidationError(errors)
    stmt = report.search(listed_units(unit_id), request.args.get("q", ""), level)
    return page_of(stmt, page, per_page, service_json)


@bp.post("/services")
@allow(MANAGERS)
def create_service():
    body = Body(json_object(), SERVICE_FIELDS, SERVICE_READ_ONLY + ("version",))
    unit = body_unit(body, _required()["unit_id"])
    fields = _service_fields(body, None)
    body.check()
    service = services.create_service(unit, fields, today=local_today())
    db.session.commit()
    return service_detail_json(service), 201, {"Location": url_for("api.get_service", service_id=service.id)}


@bp.get("/services/<int:service_id>")
@allow(EVERYONE)
def get_service(service_id: int):
    service = load_service(service_id)
    check_scope(service.unit_id)
    return service_detail_json(service)


@bp.patch("/services/<int:service_id>")
@allow(MANAGERS)
def update_service(service_id: int):
    service = load_service(service_id)
    check_manage(service.unit_id)
    body = Body(json_object(), SERVICE_FIELDS + ("version",), SERVICE_READ_ONLY)
    version = body.integer("version", _required()["version"])
    unit_id = body.integer("unit_id", default=service.unit_id)
    if unit_id is not None and unit_id != service.unit_id:
        body.errors["unit_id"] = _("Không thể chuyển thủ tục sang đơn vị khác; hãy thêm thủ tục cho đơn vị đó.")
    fields = _service_fields(body, service)
    body.check()
    services.update_service(service, fields, expected_version=version, today=local_today())
    db.session.commit()
    return service_detail_json(service)


# --- records per period ----------------------------------------------------------------------------------------


@bp.get("/services/<int:service_id>/periods")
@allow(EVERYONE)
def list_service_periods(service_id: int):
    service = load_service(service_id)
    check_scope(service.unit_id)
    errors: dict[str, str] = {}
    page, per_page = paging(errors)
    if errors:
        raise ValidationError(errors)
    stmt = select(ServicePeriod).where(ServicePeriod.service_id == service.id)
    return page_of(stmt.order_by(ServicePeriod.period_start, ServicePeriod.id), page, per_page, period_json)


@bp.post("/services/<int:service_id>/periods")
@allow(MANAGERS)
def create_service_period(service_id: int):
    service = load_service(service_id)
    check_manage(service.unit_id)
    body = Body(json_object(), PERIOD_FIELDS, PERIOD_READ_ONLY + ("version",))
    fields = _period_fields(body, None)
    body.check()
    period = services.record_period(service, fields)
    db.session.commit()
    location = url_for("api.list_service_periods", service_id=service.id)
    return period_json(period), 201, {"Location": location}


@bp.patch("/service-periods/<int:period_id>")
@allow(MANAGERS)
def update_service_period(period_id: int):
    period = get_or_404(ServicePeriod, period_id, _("Không có kỳ số liệu nào có id %(id)d.", id=period_id))
    check_manage(period.service.unit_id)
    body = Body(json_object(), PERIOD_FIELDS + ("version",), PERIOD_READ_ONLY)
    version = body.integer("version", _required()["version"])
    fields = _period_fields(body, period)
    body.check()
    services.update_period(period, fields, expected_version=version)
    db.session.commit()
    return period_json(period)


# --- the report by unit ----------------------------------------------------------------------------------------


def _row_json(row: report.ReportRow) -> dict:
    return {
        "unit_id": row.unit_id,
        "unit_name": row.unit_name,
        "services": row.levels.total,
        "full": row.levels.full,
        "partial": row.levels.partial,
        "offline": row.levels.offline,
        "full_share": ratio(row.full_share),
        "partial_share": ratio(row.partial_share),
        "online_share": ratio(row.online_share),
        "records_total": row.records_total,
        "records_online": row.records_online,
        "records_share": ratio(row.records_share),
    }


def _query_date(name: str, errors: dict[str, str]):
    raw = request.args.get(name, "").strip()
    if not raw:
        return None
    found = parse_date(raw)
    if found is None:
        errors[name] = _("Ngày “%(value)s” không hợp lệ: dùng dạng YYYY-MM-DD, ví dụ 2025-03-31.", value=raw)
    return found


@bp.get("/services/report")
@allow(EVERYONE)
def services_report():
    errors: dict[str, str] = {}
    unit_id = query_int("unit_id", errors)
    start, end = _query_date("start", errors), _query_date("end", errors)
    if start and end and end < start:
        errors["end"] = _("Ngày cuối phải từ ngày đầu trở đi.")
    unit = get_row(Unit, unit_id) if unit_id is not None else current_user.unit
    if unit_id is not None and unit is None:
        errors["unit_id"] = _("Không có đơn vị nào có id %(id)d.", id=unit_id)
    elif unit is None and "unit_id" not in errors:
        errors["unit_id"] = _("Hãy chọn đơn vị cần báo cáo (unit_id).")
    if errors:
        raise ValidationError(errors)
    check_scope(unit.id)
    found = report.unit_report(unit, start, end)
    return {
        "unit": unit_json(unit),
        "start": iso(start),
        "end": iso(end),
        "rows": [_row_json(row) for row in found.rows],
        "total": _row_json(found.total),
    }
