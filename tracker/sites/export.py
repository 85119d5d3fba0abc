"""The site registry (điểm QR) as a spreadsheet, XLSX or CSV: every site the list's filters find, under the import
template's Vietnamese headers in its order, then read-only columns: status, the day a poster was first printed,
check-ins. The import declares those as headers it skips (sites.imports.READ_ONLY_HEADERS), so a file may be
corrected and imported again as it is.

Names and addresses are typed by people and may start like a formula ("=HYPERLINK(…)"): the XLSX keeps them as
text cells holding exactly what was typed (imports.xlsx_row), the CSV gives them a leading apostrophe
(imports.csv_file). Whatever the number of sites, it reads them in one statement (queries.with_stats).
"""

import io
from datetime import UTC, date, datetime

from flask_babel import force_locale
from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from sqlalchemy.orm import joinedload

from tracker.db import LOCAL
from tracker.imports import csv_file, xlsx_row
from tracker.programs.progress import local_day
from tracker.sites import queries
from tracker.sites.codes import grouped
from tracker.sites.imports import COLUMNS, READ_ONLY_HEADERS
from tracker.sites.models import Site
from tracker.text import slug
from tracker.units.models import Unit
from tracker.units.services import unit_ref

READ_ONLY = tuple(zip(READ_ONLY_HEADERS, (16, 14, 12, 12, 18), strict=True))  # (header, width): the import skips them
DAY, MOMENT = "dd/mm/yyyy", "dd/mm/yyyy hh:mm"


def headers() -> list[str]:
    """The import template's headers, then the read-only ones."""
    return [str(c.header) for c in COLUMNS] + [str(label) for label, _width in READ_ONLY]


def _local(moment: datetime | None) -> datetime | None:
    """A UTC moment (aware, or naive UTC) as the wall-clock time in Vietnam, without a zone (spreadsheets have none)."""
    if moment is None:
        return None
    return moment.replace(tzinfo=moment.tzinfo or UTC).astimezone(LOCAL).replace(tzinfo=None)


def rows(stmt, today: date) -> list[list]:
    """A row of typed values per site of a SELECT of sites (queries.search), in its order."""
    found = []
    for site, stats in queries.with_stats(stmt.options(joinedload(Site.unit)), today):
        imported = {
            "name": site.name,
            "kind": site.kind.label,
            "address": site.address,
            "contact_name": site.contact_name,
            "contact_phone": site.contact_phone,
            "unit": unit_ref(site.unit),
            "code": grouped(site.code),
        }
        printed = local_day(site.poster_printed_at) if site.poster_printed_at else None
        read_only = [site.status.label, printed, stats.total, stats.last30, _local(stats.last_at)]
        found.append([imported[c.key] for c in COLUMNS] + read_only)
    return found


def to_xlsx(table: list[list]) -> bytes:
    """One sheet: a bold header row, then a row per site; text as text, dates and counts typed."""
    book = Workbook()
    sheet = book.active
    sheet.title = _("Điểm QR")
    for cell in xlsx_row(sheet, headers()):
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="E8EEF4")
    for values in table:
        for cell in xlsx_row(sheet, values):
            if isinstance(cell.value, datetime):
                cell.number_format = MOMENT
            elif isinstance(cell.value, date):
                cell.number_format = DAY
    widths = [c.width for c in COLUMNS] + [width for _label, width in READ_ONLY]
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(widths))}{sheet.max_row}"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def site_file(stmt, fmt: str, today: date) -> bytes:
    """The sites of a SELECT of sites as an "xlsx" or "csv" file, in Vietnamese whatever the user's language (the
    headers must be the import's)."""
    with force_locale("vi"):
        table = rows(stmt, today)
        return to_xlsx(table) if fmt == "xlsx" else csv_file([headers(), *table])


def file_name(unit: Unit | None, today: date) -> str:
    """diem-qr-<unit>-<yyyymmdd>, ASCII, without extension ("tat-ca" for every unit)."""
    name = slug(unit.name) if unit is not None else ""
    return f"diem-qr-{name or 'tat-ca'}-{today:%Y%m%d}"
