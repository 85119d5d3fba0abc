"""A program's tasks as a spreadsheet: one row builder over progress.evaluate_program's ProgramState, and two
writers (XLSX, CSV) that share it. Every figure comes from the evaluation; nothing is recomputed here.

Text typed by users may start like a formula ("=HYPERLINK(…)"); spreadsheets would run it, so the XLSX keeps all
text in text cells holding exactly what was typed (imports.xlsx_cells) and the CSV gives such text a leading
apostrophe (imports.safe_cell). Numbers are written as numbers and are never touched.

Both stream (tracker.downloads): the XLSX is written row by row by openpyxl's write-only mode to a temporary file,
the CSV is a generator of chunks.
"""

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import IO

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from tracker import downloads
from tracker.db import local_today
from tracker.formatting import number, percent, vn_date
from tracker.imports import safe_cell as safe_text  # one formula guard for every CSV written
from tracker.imports import xlsx_cells
from tracker.programs.models import Lifecycle, Program, Task
from tracker.programs.progress import ProgramState, TaskState, evaluate_program

HEADERS = (
    _l("STT"),
    _l("Nhiệm vụ"),
    _l("Người thực hiện"),
    _l("Đơn vị chủ trì"),
    _l("Thời hạn"),
    _l("Chỉ tiêu"),
    _l("Kết quả"),
    _l("Tỷ lệ đạt (%)"),
    _l("Trạng thái"),
    _l("Ghi chú"),
)
WIDTHS = (8, 50, 22, 24, 12, 18, 14, 12, 24, 40)


@dataclass(frozen=True)
class Row:
    """One task as exported: typed values; the writers decide how each looks."""

    number: str  # STT, hierarchical: 1, 1.1, 1.2, 2
    depth: int
    title: str
    owner: str
    responsible: str
    deadline: date | None
    target: Decimal | None
    unit_label: str
    value: Decimal | None
    achievement: Decimal | None
    status: str
    note: str
    children: int = 0  # a task with sub-tasks: value and achievement are its rolled-up progress (a share, 0..1)


@dataclass(frozen=True)
class Report:
    title: str
    lines: list[str]  # under the title: unit, basis, period, overall figures, date of the figures
    rows: list[Row]


def owner_of(task: Task) -> str:
    """Rõ người: the name typed on the task, else the board member or the user it names."""
    if task.owner_name:
        return task.owner_name
    if task.owner_member is not None:
        return task.owner_member.person_name
    if task.owner_user is not None:
        return task.owner_user.full_name or task.owner_user.username
    return ""


def _from_children(row: Row) -> str:
    """What a parent's "Chỉ tiêu" cell says: its target is its sub-tasks'."""
    return _("tính từ %(n)s nhiệm vụ con", n=row.children)


def _note(state: TaskState) -> str:
    """The last update's note; for a paused or cancelled task, the reason too."""
    task = state.task
    if task.lifecycle != Lifecycle.ACTIVE and task.lifecycle_reason:
        return "; ".join(filter(None, [state.note, f"{state.status.label}: {task.lifecycle_reason}"]))
    return state.note


def rows(state: ProgramState) -> list[Row]:
    """The task tree in display order, numbered 1, 1.1, 1.2, 2…."""
    found: list[Row] = []

    def walk(states: list[TaskState], prefix: str) -> None:
        for n, s in enumerate(states, start=1):
            task = s.task
            # A parent has no value or target of its own (DESIGN §2.6): its result is the rolled-up progress.
            found.append(
                Row(
                    number=f"{prefix}{n}",
                    depth=s.depth,
                    title=task.title,
                    owner=owner_of(task),
                    responsible=task.responsible,
                    deadline=task.deadline,
                    target=None if s.children else task.target,
                    unit_label=task.unit_label,
                    value=s.progress if s.children else s.value,
                    achievement=s.progress if s.children else s.achievement,
                    status=s.status.label,
                    note=_note(s),
                    children=len(s.children),
                )
            )
            walk(s.children, f"{prefix}{n}.")

    walk(state.roots, "")
    return found


def heading(state: ProgramState, today: date) -> list[str]:
    """The lines under the title: who, on what basis, when, how far."""
    program = state.program
    lines = [_("Đơn vị: %(name)s", name=program.unit.name)]
    if program.basis_document is not None:
        basis = program.basis_document
        lines.append(_("Căn cứ: %(ref)s — %(title)s", ref=basis.reference, title=basis.title))
    if program.starts_on and program.ends_on:
        period = f"{vn_date(program.starts_on)} – {vn_date(program.ends_on)}"
        lines.append(_("Thời gian thực hiện: %(period)s", period=period))
    elif program.starts_on or program.ends_on:
        since, until = vn_date(program.starts_on), vn_date(program.ends_on)
        lines.append(
            _("Thời gian thực hiện: từ %(d)s", d=since) if since else _("Thời gian thực hiện: đến %(d)s", d=until)
        )
    if state.progress.value is not None:
        lines.append(_("Tiến độ chung: %(p)s", p=percent(state.progress.value)))
    if state.completion.value is not None:
        lines.append(_("Nhiệm vụ đến hạn đã hoàn thành: %(p)s", p=percent(state.completion.value)))
    lines.append(_("Số liệu tính đến ngày %(day)s", day=vn_date(today)))
    return lines


def program_report(program: Program, today: date | None = None) -> Report:
    """Everything an export of this program shows."""
    today = today or local_today()
    state = evaluate_program(program, today)
    return Report(program.title, heading(state, today), rows(state))


# --- writers -------------------------------------------------------------------------------------------------


def _number_format(value: Decimal, label: str = "") -> str:
    """'#,##0.00' with as many decimals as the value has (at most 4), and the unit label as a literal suffix.

    Spreadsheets show the separators of the reader's locale: 1.234,5 in Vietnamese."""
    places = min(max(-value.normalize().as_tuple().exponent, 0), 4)
    fmt = "#,##0" + ("." + "0" * places if places else "")
    label = re.sub(r'["\\]', "", label).strip()
    return f'{fmt} "{label}"' if label else fmt


def to_xlsx(report: Report) -> IO[bytes]:
    """An .xlsx workbook: title lines, a bold header, one row per task, numbers and dates typed; an open temporary
    file. A write-only sheet writes its properties, columns and panes before its first row: they come first."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(_("Tiến độ")[:31])
    header_row = len(report.lines) + 3  # the title, the lines, a blank row
    for index, width in enumerate(WIDTHS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = f"A{header_row + 1}"
    sheet.print_title_rows = f"{header_row}:{header_row}"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight = 1, 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    (title,) = xlsx_cells(sheet, [report.title])
    title.font = Font(bold=True, size=14)
    sheet.append([title])
    for line in report.lines:
        sheet.append(xlsx_cells(sheet, [line]))
    sheet.append([])
    header = xlsx_cells(sheet, [str(h) for h in HEADERS])
    thin = Side(style="thin", color="999999")
    for cell in header:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="E8EEF4")
        cell.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")
        cell.border = Border(top=thin, bottom=thin, left=thin, right=thin)
    sheet.append(header)
    top = Alignment(vertical="top", wrap_text=True)
    for row in report.rows:
        cells = xlsx_cells(
            sheet,
            [
                row.number,
                row.title,
                row.owner,
                row.responsible,
                row.deadline,
                _from_children(row) if row.children else float(row.target) if row.target is not None else None,
                float(row.value) if row.value is not None else None,
                float(row.achievement) if row.achievement is not None else None,
                row.status,
                row.note,
            ],
        )
        for cell in cells:
            cell.alignment = top
        cells[1].alignment = Alignment(vertical="top", wrap_text=True, indent=row.depth)
        cells[4].number_format = "dd/mm/yyyy"
        if row.target is not None:
            cells[5].number_format = _number_format(row.target, row.unit_label)
        if row.children:
            cells[6].number_format = "0.00%"
        elif row.value is not None:
            cells[6].number_format = _number_format(row.value)
        cells[7].number_format = "#,##0.00%"
        sheet.append(cells)
    last = get_column_letter(len(HEADERS))
    sheet.auto_filter.ref = f"A{header_row}:{last}{header_row + len(report.rows)}"
    return downloads.xlsx_file(book)


def to_csv(report: Report) -> Iterator[bytes]:
    """UTF-8 with a BOM (so Excel reads the accents), comma-separated; figures written the Vietnamese way; chunks
    of bytes, written as they are sent."""
    return downloads.csv_chunks(_csv_rows(report))


def _csv_rows(report: Report) -> Iterator[list[str]]:
    yield [str(h) for h in HEADERS]
    for row in report.rows:
        target = f"{number(row.target, 4)} {row.unit_label}".strip() if row.target is not None else ""
        yield [
            row.number,
            safe_text(row.title),
            safe_text(row.owner),
            safe_text(row.responsible),
            vn_date(row.deadline),
            _from_children(row) if row.children else safe_text(target),  # carries the unit label, so it is text
            percent(row.value) if row.children else number(row.value, 4),
            number(row.achievement * 100, 2) if row.achievement is not None else "",
            safe_text(row.status),
            safe_text(row.note),
        ]
