"""Online public services (dịch vụ công trực tuyến, DESIGN §2.9): the catalog of a unit's procedures, their
levels, and the records received per period. Every write and its rules; callers commit.

Levels use both vocabularies. Before Decree 42/2022 a procedure was at mức độ 1–4; since then only two kinds
count as online: một phần (partial, the old level 3) and toàn trình (full, the old level 4). Levels 1 and 2
(information, forms to download) are "chưa cung cấp trực tuyến". This module is the one home of that rule:
the dashboard panel, the live-linked tasks and the report read it from here.
"""

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from tracker.errors import ValidationError, check_version, flush_versioned
from tracker.extensions import db
from tracker.formatting import number, vn_date
from tracker.public_services.models import PublicService, ServicePeriod
from tracker.text import clean, fold
from tracker.units.models import Unit

FULL_ONLINE = 4  # toàn trình
PARTIAL_ONLINE = 3  # một phần; the lowest level that counts as online after Decree 42/2022
LEVELS = (1, 2, 3, 4)
LENGTHS = {"code": 40, "name": 500, "field": 200}
MAX_RECORDS = 10**9  # records of one procedure in one period: more is a typing accident
CODE_PATTERN = re.compile(r"^[0-9A-Za-z][0-9A-Za-z._-]*$")

# What the catalog and the API may filter by: one level, or one side of the Decree 42 line.
LEVEL_FILTERS = {"1": (1,), "2": (2,), "3": (3,), "4": (4,), "online": (3, 4), "offline": (1, 2)}
REACH_LABELS = {
    "full": _l("Toàn trình"),
    "partial": _l("Một phần"),
    "offline": _l("Chưa cung cấp trực tuyến"),
}


def counts_online(level: int) -> bool:
    """True for một phần and toàn trình: the procedures counted as online (level ≥ 3)."""
    return level >= PARTIAL_ONLINE


def reach(level: int) -> str:
    """Which side of Decree 42: "full" (toàn trình), "partial" (một phần) or "offline" (chưa cung cấp)."""
    if level >= FULL_ONLINE:
        return "full"
    return "partial" if counts_online(level) else "offline"


def reach_label(level: int) -> str:
    return str(REACH_LABELS[reach(level)])


@dataclass
class LevelCounts:
    """Procedures by reach: toàn trình, một phần, chưa cung cấp trực tuyến."""

    full: int = 0
    partial: int = 0
    offline: int = 0

    @classmethod
    def of(cls, per_level: dict[int, int]) -> "LevelCounts":
        """From {level: number of procedures}."""
        counts = cls()
        for level, n in per_level.items():
            counts.add(level, n)
        return counts

    def add(self, level: int, n: int = 1) -> None:
        kind = reach(level)
        setattr(self, kind, getattr(self, kind) + n)

    @property
    def online(self) -> int:
        return self.full + self.partial

    @property
    def total(self) -> int:
        return self.full + self.partial + self.offline


def share(part: int, whole: int) -> Decimal | None:
    """part ÷ whole as a ratio (None when there is nothing to divide)."""
    return Decimal(part) / Decimal(whole) if whole else None


# --- levels as people write them -----------------------------------------------------------------------------

_LEVEL_DIGIT = re.compile(r"(?:muc do|muc|level)?\s*([0-9]+)")
_LEVEL_WORDS = (("toan trinh", 4), ("mot phan", 3), ("bieu mau", 2), ("thong tin", 1))


def level_help() -> str:
    return _("Ghi 1, 2, 3, 4, hoặc “Một phần” (mức độ 3), “Toàn trình” (mức độ 4).")


def parse_level(text) -> int | None:
    """A level typed as 1–4, "Mức độ 4", "Toàn trình" or "Một phần" (any case, with or without accents); None when
    empty. Anything else is a ValueError with a Vietnamese message."""
    if isinstance(text, int) and not isinstance(text, bool):
        return check_level(text)
    key = fold(str(text or ""))
    if not key:
        return None
    for words, level in _LEVEL_WORDS:
        if words in key:
            return level
    match = _LEVEL_DIGIT.fullmatch(key)
    if match and match.group(1) in {str(n) for n in LEVELS}:
        return int(match.group(1))
    raise ValueError(_("Mức độ “%(v)s” không hợp lệ. %(help)s", v=clean(str(text)), help=level_help()))


def check_level(level: int) -> int:
    if level not in LEVELS:
        raise ValueError(_("Mức độ phải từ 1 đến 4 (3 = một phần, 4 = toàn trình); đã nhập %(v)s.", v=level))
    return level


# --- the catalog ---------------------------------------------------------------------------------------------


@dataclass
class ServiceFields:
    """What a form, an API body or an import row sets on a procedure."""

    code: str
    name: str
    field: str = ""
    level: int | None = None
    online_since: date | None = None


def check_fields(fields: ServiceFields) -> ServiceFields:
    """Cleaned fields, or a ValidationError naming each bad one."""
    cleaned = ServiceFields(
        code=clean(fields.code).replace(" ", ""),
        name=clean(fields.name),
        field=clean(fields.field),
        level=fields.level,
        online_since=fields.online_since,
    )
    errors = {}
    if not cleaned.code:
        errors["code"] = _("Hãy nhập mã thủ tục, ví dụ 1.004227.")
    elif not CODE_PATTERN.match(cleaned.code):
        errors["code"] = _("Mã thủ tục chỉ gồm chữ, số, dấu chấm, gạch ngang, ví dụ 1.004227.")
    if not cleaned.name:
        errors["name"] = _("Hãy nhập tên thủ tục.")
    for name, limit in LENGTHS.items():
        if len(getattr(cleaned, name)) > limit:
            errors[name] = _("Dài tối đa %(n)d ký tự.", n=limit)
    if cleaned.level is None:
        errors["level"] = _("Hãy chọn mức độ. %(help)s", help=level_help())
    else:
        try:
            check_level(cleaned.level)
        except ValueError as exc:
            errors["level"] = str(exc)
    if cleaned.online_since is not None and cleaned.level in LEVELS and not counts_online(cleaned.level):
        errors["online_since"] = _("Thủ tục mức độ 1, 2 chưa được tính là trực tuyến: để trống “Trực tuyến từ ngày”.")
    if errors:
        raise ValidationError(errors)
    return cleaned


def same_code(unit_id: int, code: str, exclude_id: int | None = None) -> PublicService | None:
    """The unit's procedure with this code, other than `exclude_id`."""
    stmt = select(PublicService).where(PublicService.unit_id == unit_id, PublicService.code == code)
    if exclude_id is not None:
        stmt = stmt.where(PublicService.id != exclude_id)
    return db.session.scalars(stmt.limit(1)).first()


def _check_unique(unit: Unit, code: str, exclude_id: int | None = None) -> None:
    other = same_code(unit.id, code, exclude_id)
    if other is not None:
        message = _(
            "Đơn vị “%(unit)s” đã có thủ tục mã %(code)s (%(name)s).", unit=unit.name, code=code, name=other.name
        )
        raise ValidationError({"code": message})


def _set_level(service: PublicService, level: int, today: date | None) -> None:
    """Going online stamps `online_since` (today, unless known); going offline clears it. A procedure already
    online keeps what it has: since when is not known."""
    was_online = service.level is not None and counts_online(service.level)
    if counts_online(level) and not was_online and service.online_since is None and today is not None:
        service.online_since = today
    if not counts_online(level):
        service.online_since = None
    service.level = level


def create_service(unit: Unit, fields: ServiceFields, *, today: date | None = None) -> PublicService:
    """Add a procedure to the unit's catalog (its code once per unit)."""
    fields = check_fields(fields)
    _check_unique(unit, fields.code)
    service = PublicService(unit=unit, code=fields.code, name=fields.name, field=fields.field)
    service.online_since = fields.online_since
    _set_level(service, fields.level, today)
    db.session.add(service)
    db.session.flush()
    return service


def update_service(
    service: PublicService, fields: ServiceFields, *, expected_version: int | None, today: date | None = None
) -> PublicService:
    """Edit a procedure opened at `expected_version`; a level change moves the live-linked tasks at commit."""
    check_version(service, expected_version)
    fields = check_fields(fields)
    _check_unique(service.unit, fields.code, exclude_id=service.id)
    service.code, service.name, service.field = fields.code, fields.name, fields.field
    service.online_since = fields.online_since
    _set_level(service, fields.level, today)
    flush_versioned()
    return service


def set_level(service: PublicService, level: int | None, *, expected_version: int | None, today: date) -> PublicService:
    """Raise or lower a procedure's level (e.g. to toàn trình once it is fully online)."""
    check_version(service, expected_version)
    if level is None:
        raise ValidationError({"level": _("Hãy chọn mức độ. %(help)s", help=level_help())})
    try:
        check_level(level)
    except ValueError as exc:
        raise ValidationError({"level": str(exc)}) from None
    _set_level(service, level, today)
    flush_versioned()
    return service


# --- records per period --------------------------------------------------------------------------------------


@dataclass
class PeriodFields:
    """Records received in one period: in total, and submitted online."""

    period_start: date | None
    period_end: date | None
    records_total: int | Decimal | None
    records_online: int | Decimal | None


def _count(value, name: str, label: str, errors: dict) -> int | None:
    if value is None:
        errors[name] = _("Hãy nhập %(what)s.", what=label)
        return None
    if Decimal(value) != Decimal(value).to_integral_value():
        errors[name] = _("%(what)s phải là số nguyên.", what=label.capitalize())
        return None
    if value < 0:
        errors[name] = _("%(what)s không được âm.", what=label.capitalize())
        return None
    if value > MAX_RECORDS:
        errors[name] = _("%(what)s quá lớn (tối đa %(n)s).", what=label.capitalize(), n=number(MAX_RECORDS))
        return None
    return int(value)


def check_period(fields: PeriodFields) -> PeriodFields:
    """Checked figures (whole numbers), or a ValidationError naming each bad field."""
    errors: dict[str, str] = {}
    if fields.period_start is None:
        errors["period_start"] = _("Hãy nhập ngày bắt đầu kỳ (dd/mm/yyyy).")
    if fields.period_end is None:
        errors["period_end"] = _("Hãy nhập ngày kết thúc kỳ (dd/mm/yyyy).")
    elif fields.period_start is not None and fields.period_end < fields.period_start:
        errors["period_end"] = _(
            "Ngày kết thúc kỳ (%(end)s) phải từ ngày bắt đầu (%(start)s) trở đi.",
            end=vn_date(fields.period_end),
            start=vn_date(fields.period_start),
        )
    total = _count(fields.records_total, "records_total", _("tổng số hồ sơ"), errors)
    online = _count(fields.records_online, "records_online", _("số hồ sơ trực tuyến"), errors)
    if total is not None and online is not None and online > total:
        errors["records_online"] = _(
            "Số hồ sơ trực tuyến (%(online)s) không được lớn hơn tổng số hồ sơ (%(total)s).",
            online=number(online),
            total=number(total),
        )
    if errors:
        raise ValidationError(errors)
    return PeriodFields(fields.period_start, fields.period_end, total, online)


def overlapping(service: PublicService, start: date, end: date, exclude_id: int | None = None) -> ServicePeriod | None:
    """A recorded period of the service sharing a day with start–end: records would be counted twice."""
    if service.id is None:
        return None
    stmt = select(ServicePeriod).where(
        ServicePeriod.service_id == service.id, ServicePeriod.period_start <= end, ServicePeriod.period_end >= start
    )
    if exclude_id is not None:
        stmt = stmt.where(ServicePeriod.id != exclude_id)
    return db.session.scalars(stmt.order_by(ServicePeriod.period_start).limit(1)).first()


def overlaps(a, b) -> bool:
    """True when two periods (anything with period_start and period_end) share a day."""
    return a.period_start <= b.period_end and a.period_end >= b.period_start


def overlap_message(other: ServicePeriod) -> str:
    return _(
        "Kỳ này trùng với kỳ %(start)s – %(end)s đã có số liệu của thủ tục; hãy sửa kỳ đó.",
        start=vn_date(other.period_start),
        end=vn_date(other.period_end),
    )


def _check_overlap(service: PublicService, fields: PeriodFields, exclude_id: int | None = None) -> None:
    other = overlapping(service, fields.period_start, fields.period_end, exclude_id)
    if other is not None:
        raise ValidationError({"period_start": overlap_message(other)})


def record_period(service: PublicService, fields: PeriodFields) -> ServicePeriod:
    """Record the records of a new period (periods of a procedure never overlap)."""
    fields = check_period(fields)
    _check_overlap(service, fields)
    period = ServicePeriod(service=service, **vars(fields))
    db.session.add(period)
    db.session.flush()
    return period


def update_period(period: ServicePeriod, fields: PeriodFields, *, expected_version: int | None) -> ServicePeriod:
    """Correct a period opened at `expected_version`."""
    check_version(period, expected_version)
    fields = check_period(fields)
    _check_overlap(period.service, fields, exclude_id=period.id)
    for name, value in vars(fields).items():
        setattr(period, name, value)
    flush_versioned()
    return period
