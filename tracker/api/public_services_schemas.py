"""The schemas of /api/v1 online public services (tracker.api.public_services): a procedure with its records, a
period, the report by unit, and the bodies and queries that write and read them. The texts' lengths and forms and
the periods' figures are the service's to check (the form and the import share its messages); the schemas say what
they accept."""

import marshmallow as ma
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from tracker.api.fields import Body, Day, Integer, Text, UnitRef, echoes, parse_date
from tracker.api.queries import Paged, Query, QueryChoice, QueryInt, QueryText, page_schema
from tracker.api.units import UnitSchema
from tracker.auth.access import check_manage
from tracker.public_services import report, services
from tracker.public_services.models import ServicePeriod
from tracker.public_services.services import LENGTHS, LEVELS, MAX_RECORDS
from tracker.text import shown

NEED_UNIT = _l("Hãy chọn đơn vị có thủ tục (unit_id).")
NEED_VERSION = _l("Hãy gửi kèm phiên bản (version) đã đọc, để không ghi đè thay đổi của người khác.")
NEED_CODE = _l("Hãy nhập mã thủ tục, ví dụ 1.004227.")
NEED_NAME = _l("Hãy nhập tên thủ tục.")
NEED_START = _l("Hãy nhập ngày bắt đầu kỳ (dd/mm/yyyy).")
NEED_END = _l("Hãy nhập ngày kết thúc kỳ (dd/mm/yyyy).")
NEED_TOTAL = _l("Hãy nhập %(what)s.", what=_l("tổng số hồ sơ"))
NEED_ONLINE = _l("Hãy nhập %(what)s.", what=_l("số hồ sơ trực tuyến"))
VERSION = {"description": "The `version` last read; a stale one gives 409."}
SHARE = {"minimum": 0, "maximum": 1, "description": "A share, 1 = 100%; null: no base."}
COUNT = ma.validate.Range(min=0)


class Share(ma.fields.Float):
    """A share (1 = 100%) as a JSON number, null when there is no base."""

    def __init__(self, **kwargs):
        super().__init__(required=True, allow_none=True, metadata=SHARE, **kwargs)


# --- responses ------------------------------------------------------------------------------------------------


class ServiceSchema(ma.Schema):
    id = ma.fields.Integer(required=True, dump_only=True)
    unit_id = ma.fields.Integer(required=True)
    code = ma.fields.String(required=True, metadata={"examples": ["1.004227"]})
    name = ma.fields.String(required=True)
    field = ma.fields.String(required=True, metadata={"description": "Lĩnh vực, e.g. Hộ tịch."})
    level = ma.fields.Integer(required=True, metadata={"enum": list(LEVELS)})
    level_label = ma.fields.String(dump_only=True, metadata={"examples": ["Mức độ 4 — toàn trình"]})
    reach = ma.fields.Function(
        lambda service: services.reach(service.level),
        required=True,
        dump_only=True,
        metadata={
            "type": "string",
            "enum": ["full", "partial", "offline"],
            "description": "toàn trình (4), một phần (3), chưa cung cấp trực tuyến (1, 2).",
        },
    )
    online = ma.fields.Function(
        lambda service: services.counts_online(service.level),
        required=True,
        dump_only=True,
        metadata={"type": "boolean", "description": "Level 3 or 4."},
    )
    online_since = ma.fields.Date(allow_none=True)
    version = ma.fields.Integer(required=True, dump_only=True)
    created_at = ma.fields.DateTime(dump_only=True)
    updated_at = ma.fields.DateTime(dump_only=True)


class RecordsSchema(ma.Schema):
    total = ma.fields.Integer(required=True, validate=COUNT)
    online = ma.fields.Integer(required=True, validate=COUNT)
    periods = ma.fields.Integer(required=True, validate=COUNT)
    online_share = Share(attribute="share")


class RecordsOf(ma.fields.Nested):
    """A procedure's records over every recorded period, read from its `id` (one grouped query)."""

    def __init__(self):
        super().__init__(
            RecordsSchema,
            attribute="id",
            required=True,
            dump_only=True,
            metadata={"description": "Records over every recorded period."},
        )

    def _serialize(self, value, attr, obj, **kwargs):
        records = report.records_by_service([value]).get(value, report.Records())
        return super()._serialize(records, attr, obj, **kwargs)


class ServiceDetailSchema(ServiceSchema):
    records = RecordsOf()


ServiceListSchema = page_schema(ServiceSchema)


class PeriodSchema(ma.Schema):
    id = ma.fields.Integer(required=True, dump_only=True)
    service_id = ma.fields.Integer(required=True, dump_only=True)
    period_start = ma.fields.Date(required=True)
    period_end = ma.fields.Date(
        required=True, metadata={"description": "On or after period_start; periods of a procedure never overlap."}
    )
    records_total = ma.fields.Integer(required=True, validate=ma.validate.Range(min=0, max=MAX_RECORDS))
    records_online = ma.fields.Integer(
        required=True,
        validate=ma.validate.Range(min=0, max=MAX_RECORDS),
        metadata={"description": "At most records_total."},
    )
    online_share = ma.fields.Method(
        "_online_share", required=True, dump_only=True, metadata={"type": ["number", "null"], **SHARE}
    )
    version = ma.fields.Integer(required=True, dump_only=True)
    created_at = ma.fields.DateTime(dump_only=True)
    updated_at = ma.fields.DateTime(dump_only=True)

    def _online_share(self, period: ServicePeriod) -> float | None:
        share = services.share(period.records_online, period.records_total)
        return None if share is None else float(share)


PeriodListSchema = page_schema(PeriodSchema)


class ReportRowSchema(ma.Schema):
    unit_id = ma.fields.Integer(required=True, allow_none=True, metadata={"description": "null on the total row."})
    unit_name = ma.fields.String(required=True)
    services = ma.fields.Integer(required=True, attribute="levels.total", validate=COUNT)
    full = ma.fields.Integer(required=True, attribute="levels.full", validate=COUNT)
    partial = ma.fields.Integer(required=True, attribute="levels.partial", validate=COUNT)
    offline = ma.fields.Integer(required=True, attribute="levels.offline", validate=COUNT)
    full_share = Share()
    partial_share = Share()
    online_share = Share()
    records_total = ma.fields.Integer(required=True, validate=COUNT)
    records_online = ma.fields.Integer(required=True, validate=COUNT)
    records_share = Share()


class ServiceReportSchema(ma.Schema):
    unit = ma.fields.Nested(UnitSchema, required=True)
    start = ma.fields.Date(required=True, allow_none=True)
    end = ma.fields.Date(required=True, allow_none=True)
    rows = ma.fields.List(ma.fields.Nested(ReportRowSchema), required=True)
    total = ma.fields.Nested(ReportRowSchema, required=True)


# --- input ----------------------------------------------------------------------------------------------------


class ServiceQuery(Paged):
    unit_id = QueryInt(metadata={"description": "Procedures of this unit, its subordinates and predecessors."})
    level = QueryChoice(
        services.LEVEL_FILTERS,
        normalise=str.lower,
        metadata={"description": "One level, or online (3, 4) / offline (1, 2)."},
    )
    q = QueryText(metadata={"description": "Contained in the code, the name or the field (case-insensitive)."})


class Level(ma.fields.Field):
    """1–4, or the words of the national portal (“Toàn trình”, “Một phần”, “Mức độ 4”): services.parse_level;
    null or blank is refused as a level not chosen."""

    def __init__(self, **kwargs):
        super().__init__(
            metadata={
                "oneOf": [
                    {"type": "integer", "enum": list(LEVELS)},
                    {"type": "string", "examples": ["Toàn trình", "Một phần", "Mức độ 4"]},
                ],
                "description": "1 information, 2 forms to download, 3 = một phần, 4 = toàn trình (Decree 42/2022); "
                "also the words “Toàn trình” and “Một phần”. Levels 3 and 4 count as online.",
            },
            **kwargs,
        )

    def make_error(self, key: str, **kwargs) -> ma.ValidationError:
        if key == "required":
            return ma.ValidationError(self.needed())
        return super().make_error(key, **kwargs)

    @staticmethod
    def needed() -> str:
        return _("Hãy chọn mức độ. %(help)s", help=services.level_help())

    def deserialize(self, value, attr=None, data=None, **kwargs):
        if value is None:  # the service's own message, not marshmallow's
            raise ma.ValidationError(self.needed())
        return super().deserialize(value, attr, data, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs) -> int:
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise ma.ValidationError(_("Mức độ “%(v)s” không hợp lệ. %(help)s", v=value, help=services.level_help()))
        try:
            level = services.parse_level(value)
        except ValueError as exc:
            raise ma.ValidationError(str(exc)) from None
        if level is None:
            raise ma.ValidationError(self.needed())
        return level


ONLINE_SINCE = {"description": "Only for levels 3, 4; left empty, the day the procedure goes online is recorded."}


@echoes(ServiceDetailSchema)
class ServiceCreate(Body):
    unit_id = UnitRef(required=True, needed=NEED_UNIT, attribute="unit", check=check_manage)
    code = Text(required=True, needed=NEED_CODE, metadata={"maxLength": LENGTHS["code"], "examples": ["1.004227"]})
    name = Text(required=True, needed=NEED_NAME, metadata={"maxLength": LENGTHS["name"]})
    field = Text(allow_none=True, metadata={"maxLength": LENGTHS["field"], "description": "Lĩnh vực, e.g. Hộ tịch."})
    level = Level(required=True)
    online_since = Day(allow_none=True, metadata=ONLINE_SINCE)


@echoes(ServiceDetailSchema)
class ServicePatch(Body):
    version = Integer(required=True, needed=NEED_VERSION, metadata=VERSION)
    unit_id = Integer(allow_none=True, metadata={"description": "May only repeat the current unit."})
    code = Text(needed=NEED_CODE, metadata={"maxLength": LENGTHS["code"], "examples": ["1.004227"]})
    name = Text(needed=NEED_NAME, metadata={"maxLength": LENGTHS["name"]})
    field = Text(allow_none=True, metadata={"maxLength": LENGTHS["field"], "description": "Lĩnh vực, e.g. Hộ tịch."})
    level = Level()
    online_since = Day(allow_none=True, metadata=ONLINE_SINCE)


def _records(needed, required: bool = False, **metadata) -> Integer:
    return Integer(required=required, needed=needed, metadata={"minimum": 0, "maximum": MAX_RECORDS, **metadata})


@echoes(PeriodSchema)
class PeriodCreate(Body):
    period_start = Day(required=True, needed=NEED_START)
    period_end = Day(required=True, needed=NEED_END, metadata={"description": "On or after period_start."})
    records_total = _records(NEED_TOTAL, required=True)
    records_online = _records(NEED_ONLINE, required=True, description="At most records_total.")


@echoes(PeriodSchema)
class PeriodPatch(Body):
    version = Integer(required=True, needed=NEED_VERSION, metadata=VERSION)
    period_start = Day(needed=NEED_START)
    period_end = Day(needed=NEED_END, metadata={"description": "On or after period_start."})
    records_total = _records(NEED_TOTAL)
    records_online = _records(NEED_ONLINE, description="At most records_total.")


class QueryDay(ma.fields.Date):
    """A day YYYY-MM-DD in a query string."""

    def _deserialize(self, value, attr, data, **kwargs):
        found = parse_date(value)
        if found is None:
            raise ma.ValidationError(
                _("Ngày “%(value)s” không hợp lệ: dùng dạng YYYY-MM-DD, ví dụ 2025-03-31.", value=shown(value))
            )
        return found


class ReportQuery(Query):
    unit_id = QueryInt(metadata={"description": "The unit (default: the user's own)."})
    start = QueryDay(metadata={"description": "Periods starting on or after this day."})
    end = QueryDay(metadata={"description": "Periods ending on or before this day."})

    @ma.validates_schema
    def _in_order(self, data: dict, **kwargs) -> None:
        if data.get("start") and data.get("end") and data["end"] < data["start"]:
            raise ma.ValidationError(_("Ngày cuối phải từ ngày đầu trở đi."), "end")
