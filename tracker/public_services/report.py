"""Reading the online services: the catalog's search, the records of each listed procedure, and the report of a
unit with its subordinates (DESIGN §2.9) — a row per unit that keeps a catalog, with toàn trình / một phần /
chưa cung cấp counts and shares and the share of records submitted online, a total row, and the same as XLSX
(written by openpyxl's write-only mode to a temporary file, sent in chunks: tracker.downloads).

Each is a fixed number of grouped queries, whatever the number of units, procedures or periods.
"""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import IO

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from openpyxl import Workbook
from openpyxl.styles import Font
from sqlalchemy import func, or_, select

from tracker import downloads
from tracker.extensions import db
from tracker.formatting import vn_date
from tracker.imports import xlsx_cells
from tracker.public_services.models import PublicService, ServicePeriod
from tracker.public_services.services import LEVEL_FILTERS, LevelCounts, share
from tracker.text import clean, fold
from tracker.units.models import Unit
from tracker.units.services import subtree_select

COLUMNS = (
    (_l("Đơn vị"), 36),
    (_l("Tổng số thủ tục"), 12),
    (_l("Toàn trình"), 11),
    (_l("Tỷ lệ toàn trình"), 11),
    (_l("Một phần"), 11),
    (_l("Tỷ lệ một phần"), 11),
    (_l("Chưa cung cấp trực tuyến"), 13),
    (_l("Tỷ lệ trực tuyến (toàn trình, một phần)"), 14),
    (_l("Tổng số hồ sơ"), 12),
    (_l("Hồ sơ trực tuyến"), 12),
    (_l("Tỷ lệ hồ sơ trực tuyến"), 12),
)


def search(unit_ids=None, query: str = "", level: str | None = None):
    """A SELECT of procedures, highest level first, then by field and code.

    unit_ids: ids or a SELECT of ids (None: every unit). query: contained in the code, the name or the field
    (case-insensitively). level: a key of LEVEL_FILTERS ("1"…"4", "online", "offline"); others are ignored."""
    stmt = select(PublicService)
    if unit_ids is not None:
        stmt = stmt.where(PublicService.unit_id.in_(unit_ids))
    text = clean(query)
    if text:
        pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        columns = (PublicService.code, PublicService.name, PublicService.field)
        stmt = stmt.where(or_(*(column.ilike(pattern, escape="\\") for column in columns)))
    if level in LEVEL_FILTERS:
        stmt = stmt.where(PublicService.level.in_(LEVEL_FILTERS[level]))
    return stmt.order_by(PublicService.level.desc(), PublicService.field, PublicService.code, PublicService.id)


@dataclass
class Records:
    """Records of a procedure over its recorded periods."""

    total: int = 0
    online: int = 0
    periods: int = 0

    @property
    def share(self) -> Decimal | None:
        return share(self.online, self.total)


def records_by_service(service_ids) -> dict[int, Records]:
    """{procedure id: Records} summed over every period, in one grouped query (absent: nothing recorded)."""
    ids = list(service_ids)
    if not ids:
        return {}
    rows = db.session.execute(
        select(
            ServicePeriod.service_id,
            func.sum(ServicePeriod.records_total),
            func.sum(ServicePeriod.records_online),
            func.count(ServicePeriod.id),
        )
        .where(ServicePeriod.service_id.in_(ids))
        .group_by(ServicePeriod.service_id)
    )
    return {service_id: Records(int(total), int(online), n) for service_id, total, online, n in rows}


# --- the report ------------------------------------------------------------------------------------------------


@dataclass
class ReportRow:
    """One unit's own catalog (or, for the total, the whole subtree's)."""

    unit_id: int | None
    unit_name: str
    levels: LevelCounts = field(default_factory=LevelCounts)
    records_total: int = 0
    records_online: int = 0

    @property
    def full_share(self) -> Decimal | None:
        return share(self.levels.full, self.levels.total)

    @property
    def partial_share(self) -> Decimal | None:
        return share(self.levels.partial, self.levels.total)

    @property
    def online_share(self) -> Decimal | None:
        return share(self.levels.online, self.levels.total)

    @property
    def records_share(self) -> Decimal | None:
        return share(self.records_online, self.records_total)


@dataclass
class ServiceReport:
    unit: Unit
    start: date | None
    end: date | None
    rows: list[ReportRow]
    total: ReportRow

    @property
    def period(self) -> str:
        """Which periods' records count, in words."""
        if self.start and self.end:
            return _("các kỳ trong khoảng %(a)s – %(b)s", a=vn_date(self.start), b=vn_date(self.end))
        if self.start:
            return _("các kỳ từ %(a)s", a=vn_date(self.start))
        if self.end:
            return _("các kỳ đến %(b)s", b=vn_date(self.end))
        return _("lũy kế mọi kỳ đã nhập")


def unit_report(unit: Unit, start: date | None = None, end: date | None = None) -> ServiceReport:
    """The report of `unit` and every unit under it (and merged into it); a period's records count when the
    period lies within start–end (either may be open)."""
    units = subtree_select(unit.id)
    rows: dict[int, ReportRow] = {}
    per_level = db.session.execute(
        select(PublicService.unit_id, Unit.name, PublicService.level, func.count(PublicService.id))
        .join(Unit, Unit.id == PublicService.unit_id)
        .where(PublicService.unit_id.in_(units))
        .group_by(PublicService.unit_id, Unit.name, PublicService.level)
    )
    for unit_id, name, level, count in per_level:
        rows.setdefault(unit_id, ReportRow(unit_id, name)).levels.add(level, count)
    records = (
        select(PublicService.unit_id, func.sum(ServicePeriod.records_total), func.sum(ServicePeriod.records_online))
        .join(ServicePeriod, ServicePeriod.service_id == PublicService.id)
        .where(PublicService.unit_id.in_(units))
        .group_by(PublicService.unit_id)
    )
    if start is not None:
        records = records.where(ServicePeriod.period_start >= start)
    if end is not None:
        records = records.where(ServicePeriod.period_end <= end)
    for unit_id, total, online in db.session.execute(records):
        if unit_id in rows:  # a procedure added between the two queries waits for the next report
            rows[unit_id].records_total, rows[unit_id].records_online = int(total or 0), int(online or 0)
    ordered = sorted(rows.values(), key=lambda r: (r.unit_id != unit.id, fold(r.unit_name), r.unit_id))
    total = ReportRow(
        None,
        _("Tổng cộng"),
        LevelCounts(*(sum(getattr(r.levels, kind) for r in ordered) for kind in ("full", "partial", "offline"))),
        sum(r.records_total for r in ordered),
        sum(r.records_online for r in ordered),
    )
    return ServiceReport(unit, start, end, ordered, total)


def _cells(row: ReportRow) -> list:
    def ratio(value: Decimal | None):
        return float(value) if value is not None else None

    counts = row.levels
    return [
        row.unit_name,
        counts.total,
        counts.full,
        ratio(row.full_share),
        counts.partial,
        ratio(row.partial_share),
        counts.offline,
        ratio(row.online_share),
        row.records_total,
        row.records_online,
        ratio(row.records_share),
    ]


def to_xlsx(report: ServiceReport, today: date) -> IO[bytes]:
    """The report as a workbook: title lines, a bold header, a row per unit, the total in bold; shares typed as
    percentages, counts as numbers; an open temporary file."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(_("Dịch vụ công")[:31])
    header = 5  # the title, two lines, a blank row
    for index, (_label, width) in enumerate(COLUMNS, start=1):  # written before the rows: they come first
        sheet.column_dimensions[chr(64 + index)].width = width
    sheet.freeze_panes = f"B{header + 1}"
    (title,) = xlsx_cells(sheet, [_("Báo cáo dịch vụ công trực tuyến — %(unit)s", unit=report.unit.name)])
    title.font = Font(bold=True, size=14)
    sheet.append([title])
    sheet.append([_("Hồ sơ: %(period)s. Số thủ tục theo mức độ hiện tại.", period=report.period)])
    sheet.append([_("Số liệu tính đến ngày %(day)s", day=vn_date(today))])
    sheet.append([])
    sheet.append(_bold(xlsx_cells(sheet, [str(label) for label, _width in COLUMNS])))
    for row in [*report.rows, report.total]:
        cells = xlsx_cells(sheet, _cells(row))
        for index in (3, 5, 7, 10):
            cells[index].number_format = "0.00%"
        sheet.append(_bold(cells) if row is report.total else cells)
    return downloads.xlsx_file(book)


def _bold(cells: tuple) -> tuple:
    for cell in cells:
        cell.font = Font(bold=True)
    return cells
