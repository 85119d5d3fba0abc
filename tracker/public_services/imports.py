"""Importing online public services from CSV or XLSX on the import engine (tracker.imports.engine).

The columns follow the statistics the Cổng Dịch vụ công quốc gia exports per procedure ("Mã thủ tục", "Tên thủ
tục", "Lĩnh vực", "Mức độ", "Tổng số hồ sơ", "Hồ sơ trực tuyến"), plus the period the records belong to. A row
adds a procedure to its unit's catalog, or updates the procedure with that code; with record figures it also
records the period (or corrects the same period recorded before). Checks run for the whole file in a handful of
queries; nothing is written unless every row is sound.
"""

import re
from datetime import date

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, tuple_

from tracker.auth.access import can_manage, name_scope
from tracker.auth.models import User
from tracker.errors import ValidationError
from tracker.extensions import db
from tracker.forms import parse_day
from tracker.imports.engine import UPDATE, Column, RowResult
from tracker.numbers import parse_typed
from tracker.public_services import services
from tracker.public_services.models import PublicService, ServicePeriod
from tracker.public_services.services import PeriodFields, ServiceFields
from tracker.sites.imports import COLUMNS as SITE_COLUMNS
from tracker.units.models import Unit
from tracker.units.names import find_unit

CHUNK = 500  # codes per IN (...) query
UNIT_COLUMN = next(c for c in SITE_COLUMNS if c.key == "unit")  # the same "Mã đơn vị" as every import
# Excel turns a code such as 1.001610 into the number 1,00161: the national codes have six digits after the dot.
_NUMBER_CODE = re.compile(r"^(\d),(\d{1,6})$")

COLUMNS = (
    Column(
        "row_number", _l("STT"), False, ("so thu tu", "tt"), "1", 6, _l("Số thứ tự; không bắt buộc, bỏ qua khi nhập.")
    ),
    Column(
        "code",
        _l("Mã thủ tục"),
        True,
        ("ma tthc", "ma thu tuc hanh chinh", "ma so thu tuc", "code"),
        "1.004227",
        16,
        _l("Mã trên Cổng Dịch vụ công quốc gia; mỗi mã một dòng. Trùng mã một thủ tục đã có thì sửa thủ tục đó."),
    ),
    Column(
        "name",
        _l("Tên thủ tục"),
        False,
        ("ten tthc", "ten thu tuc hanh chinh", "name"),
        "Thủ tục đăng ký khai sinh",
        50,
        _l("Bắt buộc với thủ tục mới; để trống thì giữ tên đã có."),
    ),
    Column("field", _l("Lĩnh vực"), False, ("linh vuc thu tuc", "field"), "Hộ tịch", 20),
    Column(
        "level",
        _l("Mức độ"),
        False,
        ("muc do dvc", "muc do dich vu cong", "muc do cung cap", "muc do dvctt", "level"),
        "Toàn trình",
        14,
        _l("1, 2, 3, 4, hoặc “Một phần” (mức độ 3), “Toàn trình” (mức độ 4). Bắt buộc với thủ tục mới."),
    ),
    Column(
        "records_total",
        _l("Tổng số hồ sơ"),
        False,
        ("tong ho so", "tong so ho so tiep nhan", "so ho so tiep nhan", "ho so tiep nhan", "records total"),
        "120",
        14,
        _l("Hồ sơ tiếp nhận trong kỳ (trực tiếp và trực tuyến); để trống nếu chỉ nhập danh mục."),
    ),
    Column(
        "records_online",
        _l("Hồ sơ trực tuyến"),
        False,
        ("so ho so truc tuyen", "ho so nop truc tuyen", "tiep nhan truc tuyen", "records online"),
        "95",
        14,
        _l("Hồ sơ nộp trực tuyến trong kỳ; không lớn hơn tổng số hồ sơ."),
    ),
    Column(
        "period_start",
        _l("Từ ngày"),
        False,
        ("ngay bat dau", "tu ngay ky bao cao", "period start"),
        "01/01/2025",
        12,
        _l("Đầu kỳ của số hồ sơ (dd/mm/yyyy); để trống thì dùng kỳ chọn lúc tải tệp lên."),
    ),
    Column(
        "period_end",
        _l("Đến ngày"),
        False,
        ("ngay ket thuc", "den ngay ky bao cao", "period end"),
        "31/03/2025",
        12,
        _l("Cuối kỳ (dd/mm/yyyy). Kỳ đã có của thủ tục (cùng từ ngày, đến ngày) thì được sửa số liệu."),
    ),
    Column(
        "online_since",
        _l("Trực tuyến từ ngày"),
        False,
        ("ngay truc tuyen", "online since"),
        "",
        14,
        _l("Không bắt buộc; để trống thì ghi ngày nhập khi thủ tục lên mức độ 3, 4."),
    ),
    UNIT_COLUMN,
)


def _code(row: RowResult) -> str:
    """The row's code, mended when Excel stored it as a number ("1,00161" → "1.001610"), with a warning."""
    typed = row.values.get("code", "").replace(" ", "")
    match = _NUMBER_CODE.match(typed)
    if match is None:
        return typed
    code = f"{match.group(1)}.{match.group(2).ljust(6, '0')}"
    row.warnings.append(_("Mã “%(typed)s” được hiểu là %(code)s (Excel đã đổi mã thành số).", typed=typed, code=code))
    return code


class ServiceImport:
    """Rows of procedures for a user (None: the command line, every unit), with the unit and the period chosen
    for rows that leave them empty."""

    kind = "services"
    columns = COLUMNS

    def __init__(
        self,
        user: User | None,
        unit: Unit | None = None,
        period: tuple[date | None, date | None] = (None, None),
        today: date | None = None,
    ):
        self.user = user
        self.unit = unit
        self.period = period
        self.today = today
        self._managed: dict[int, bool] = {}

    # --- lookups, one query per distinct unit reference or chunk of codes ---

    def _units(self, refs: set[str]) -> dict[str, Unit | str]:
        """{reference: its unit, or the message saying why a name found none or several}."""
        found: dict[str, Unit | str] = {}
        within = name_scope(self.user) if self.user else None  # a name is read within the user's scope
        for ref in refs:
            candidates = [ref, ref.zfill(5), ref.zfill(2)] if ref.isdigit() else [ref]  # Excel drops leading zeros
            for candidate in dict.fromkeys(candidates):
                try:
                    found[ref] = find_unit(candidate, "unit", within)
                    break
                except ValidationError as exc:
                    if not ref.isdigit():
                        found[ref] = exc.fields["unit"]
        return found

    def _existing(self, keys: set[tuple[int, str]]) -> dict[tuple[int, str], PublicService]:
        found = {}
        ordered = sorted(keys)
        for start in range(0, len(ordered), CHUNK):
            chunk = ordered[start : start + CHUNK]
            stmt = select(PublicService).where(tuple_(PublicService.unit_id, PublicService.code).in_(chunk))
            found.update(((s.unit_id, s.code), s) for s in db.session.scalars(stmt))
        return found

    def _periods(self, service_ids: list[int]) -> dict[int, list[ServicePeriod]]:
        found: dict[int, list[ServicePeriod]] = {}
        for start in range(0, len(service_ids), CHUNK):
            chunk = service_ids[start : start + CHUNK]
            stmt = select(ServicePeriod).where(ServicePeriod.service_id.in_(chunk)).order_by(ServicePeriod.period_start)
            for period in db.session.scalars(stmt):
                found.setdefault(period.service_id, []).append(period)
        return found

    # --- the engine's interface ---

    def check(self, rows: list[RowResult]) -> None:
        """Resolve each row's unit and procedure; name every problem of every field."""
        units = self._units({r.values["unit"] for r in rows if r.values.get("unit")})
        resolved: list[tuple[RowResult, Unit | None, str]] = []
        for row in rows:
            resolved.append((row, self._row_unit(row, units), _code(row)))
        existing = self._existing({(unit.id, code) for _row, unit, code in resolved if unit is not None and code})
        periods = self._periods(sorted(s.id for s in existing.values()))
        first_use: dict[tuple[int, str], int] = {}
        for row, unit, code in resolved:
            service = existing.get((unit.id, code)) if unit is not None else None
            if unit is not None and code:
                if (unit.id, code) in first_use:
                    line = first_use[(unit.id, code)]
                    row.error("code", _("Mã thủ tục %(code)s đã có ở dòng %(n)d của tệp.", code=code, n=line))
                else:
                    first_use[(unit.id, code)] = row.number
            fields = self._service_fields(row, code, service)
            period, same = self._period(row, service, periods.get(service.id, []) if service else [])
            if unit is not None and fields is not None and not row.errors:
                row.target = (unit, service, fields, period, same)
                row.action = UPDATE if service is not None else row.action

    def apply_row(self, row: RowResult) -> None:
        unit, service, fields, period, same = row.target
        if service is None:
            service = services.create_service(unit, fields, today=self.today)
        else:
            services.update_service(service, fields, expected_version=None, today=self.today)
        if same is not None:
            services.update_period(same, period, expected_version=None)
        elif period is not None:
            services.record_period(service, period)

    # --- per row ---

    def _may_manage(self, unit: Unit) -> bool:
        if unit.id not in self._managed:
            self._managed[unit.id] = self.user is None or can_manage(self.user, unit.id)
        return self._managed[unit.id]

    def _row_unit(self, row: RowResult, units: dict[str, Unit | str]) -> Unit | None:
        ref = row.values.get("unit", "")
        unit = units.get(ref) if ref else self.unit
        if isinstance(unit, str):
            row.error("unit", unit)
            return None
        if ref and unit is None:
            row.error("unit", _("Không có đơn vị nào mang mã “%(code)s”.", code=ref))
        elif unit is None:
            row.error("unit", _("Hãy ghi mã đơn vị, hoặc chọn đơn vị khi tải tệp lên."))
        elif not self._may_manage(unit):
            row.error("unit", _("Tài khoản không được sửa danh mục thủ tục của “%(name)s”.", name=unit.name))
            return None
        return unit

    def _service_fields(self, row: RowResult, code: str, service: PublicService | None) -> ServiceFields | None:
        """The row's values checked; an empty cell (or a missing column) keeps what the procedure has."""

        def value(key: str, current):
            typed = row.values.get(key, "")
            return typed if typed else current

        level = service.level if service is not None else None
        try:
            level = services.parse_level(row.values.get("level", "")) or level
        except ValueError as exc:
            row.error("level", str(exc))
        online_since = service.online_since if service is not None else None
        try:
            online_since = parse_day(row.values.get("online_since", "")) or online_since
        except ValueError as exc:
            row.error("online_since", str(exc))
        fields = ServiceFields(
            code=code,
            name=value("name", service.name if service is not None else ""),
            field=value("field", service.field if service is not None else ""),
            level=level,
            online_since=online_since,
        )
        try:
            fields = services.check_fields(fields)
        except ValidationError as exc:
            for key, message in exc.fields.items():
                row.error(key, message)
            return None
        if service is not None and fields.level < service.level:
            row.warnings.append(_("Mức độ giảm từ %(old)d xuống %(new)d.", old=service.level, new=fields.level))
        return fields

    def _period(
        self, row: RowResult, service: PublicService | None, recorded: list[ServicePeriod]
    ) -> tuple[PeriodFields | None, ServicePeriod | None]:
        """The row's period and records, if it has any, and the same period already recorded (to be corrected)."""
        values = row.values
        if not any(values.get(k) for k in ("records_total", "records_online", "period_start", "period_end")):
            return None, None
        given: dict[str, object] = {}
        for key, default in (("period_start", self.period[0]), ("period_end", self.period[1])):
            try:
                given[key] = parse_day(values.get(key, "")) or default
            except ValueError as exc:
                row.error(key, str(exc))
                given[key] = default
        for key in ("records_total", "records_online"):
            try:
                given[key] = parse_typed(values.get(key, ""))
            except ValueError as exc:
                row.error(key, str(exc))
                given[key] = None
        try:
            period = services.check_period(PeriodFields(**given))
        except ValidationError as exc:
            for key, message in exc.fields.items():
                row.error(key, message)
            return None, None
        for other in recorded:
            if (other.period_start, other.period_end) == (period.period_start, period.period_end):
                return period, other
            if services.overlaps(other, period):
                row.error("period_start", services.overlap_message(other))
                return None, None
        return period, None
