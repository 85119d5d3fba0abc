"""The site registry (điểm QR) as a spreadsheet, XLSX or CSV: every site the list's filters find, under the import
template's Vietnamese headers in its order, then read-only columns: status, the day a poster was first printed,
check-ins. The import declares those as headers it skips (sites.imports.READ_ONLY_HEADERS), so a file may be
corrected and imported again as it is.

Names and addresses are typed by people and may start like a formula ("=HYPERLINK(…)"): the XLSX keeps them as
text cells holding exactly what was typed (imports.xlsx_row), the CSV gives them a leading apostrophe
(imports.csv_cell). Whatever the number of sites, it reads them in one statement (queries.with_stats), a batch
of rows at a time, and writes each row as it comes: the CSV is a generator of chunks sent as it is written, the
XLSX is written by openpyxl's write-only mode to a temporary file then sent in chunks (tracker.downloads). Memory
stays flat in the number of sites.
"""

from collections.abc import Iterator
from datetime import UTC, date, datetime
from itertools import chain
from typing import IO

from flask_babel import force_locale
from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.cell import Cell
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from tracker import downloads
from tracker.db import LOCAL, local_day
from tracker.imports import csv_cell, xlsx_cells, xlsx_values
from tracker.sites import queries
from tracker.sites.codes import grouped
from tracker.sites.imports import COLUMNS, READ_ONLY_HEADERS
from tracker.sites.models import Site, SiteKind, SiteStatus
from tracker.text import slug
from tracker.units.models import Unit

# What the export reads of each site: the columns it writes, not the whole row.
FIELDS = (
    Site.name,
    Site.kind,
    Site.address,
    Site.contact_name,
    Site.contact_phone,
    Site.code,
    Site.status,
    Site.poster_printed_at,
    Site.unit_id,
    Unit.code.label("unit_code"),
)
KEYS = tuple(column.key for column in FIELDS)
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


def rows(stmt, today: date) -> Iterator[list]:
    """A row of typed values per site of a SELECT of sites (queries.search), in its order, read as it is asked
    for (downloads.BATCH rows at a time): only the columns written, labels translated once."""
    kinds = {kind: kind.label for kind in SiteKind}
    statuses = {status: status.label for status in SiteStatus}
    written = stmt.with_only_columns(*FIELDS).join_from(Site, Unit, Unit.id == Site.unit_id)
    for values, stats in queries.with_stats(written, today, downloads.BATCH):
        site = dict(zip(KEYS, values, strict=True))
        imported = {
            **site,
            "kind": kinds[site["kind"]],
            "unit": site["unit_code"] or f"#{site['unit_id']}",  # as units.services.unit_ref names it
            "code": grouped(site["code"]),
        }
        printed = local_day(site["poster_printed_at"]) if site["poster_printed_at"] else None
        read_only = [statuses[site["status"]], printed, stats.total, stats.last30, _local(stats.last_at)]
        yield [imported[c.key] for c in COLUMNS] + read_only


def xlsx_file(stmt, today: date) -> IO[bytes]:
    """One sheet: a bold header row, then a row per site; text as text, dates and counts typed. In Vietnamese
    whatever the user's language (the headers must be the import's); an open temporary file."""
    with force_locale("vi"):
        book = Workbook(write_only=True)
        sheet = book.create_sheet(_("Điểm QR"))
        widths = [c.width for c in COLUMNS] + [width for _label, width in READ_ONLY]
        for index, width in enumerate(widths, start=1):  # a write-only sheet writes its columns before any row
            sheet.column_dimensions[get_column_letter(index)].width = width
        sheet.freeze_panes = "A2"
        header = xlsx_cells(sheet, headers())
        for cell in header:
            cell.font = Font(bold=True)
            cell.fill = PatternFill("solid", fgColor="E8EEF4")
        sheet.append(header)
        count = 1
        for values in rows(stmt, today):
            row = xlsx_values(sheet, values)
            for cell in row:
                if isinstance(cell, Cell) and isinstance(cell.value, date):
                    cell.number_format = MOMENT if isinstance(cell.value, datetime) else DAY
            sheet.append(row)
            count += 1
        sheet.auto_filter.ref = f"A1:{get_column_letter(len(widths))}{count}"
        return downloads.xlsx_file(book)


def csv_chunks(stmt, today: date) -> Iterator[bytes]:
    """The same rows as CSV (text with a formula's look gains an apostrophe), chunks written as the sites are read;
    in Vietnamese whatever the user's language."""
    with force_locale("vi"):
        yield from downloads.csv_chunks(chain([headers()], rows(stmt, today)), csv_cell)


def file_name(unit: Unit | None, today: date) -> str:
    """diem-qr-<unit>-<yyyymmdd>, ASCII, without extension ("tat-ca" for every unit)."""
    name = slug(unit.name) if unit is not None else ""
    return f"diem-qr-{name or 'tat-ca'}-{today:%Y%m%d}"
