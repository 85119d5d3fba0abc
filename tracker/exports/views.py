"""Downloads of a program's progress report: XLSX and CSV, for anyone who may read the program."""

import re

from flask import Blueprint, Response

from tracker import downloads
from tracker.auth.access import EVERYONE, allow, load_in_scope
from tracker.exports import export
from tracker.programs.models import Program
from tracker.text import slug

bp = Blueprint("exports", __name__)


def _program(program_id: int) -> Program:
    return load_in_scope(Program, program_id)  # 404 for an id past what the database holds, too (db.get_row)


def filenames(program: Program, extension: str) -> tuple[str, str]:
    """(ASCII-safe name for old clients, the real name in UTF-8) of a program's export."""
    ascii_name = f"{slug(program.title, 60) or 'chuong-trinh'}-{program.id}.{extension}"
    real = re.sub(r'[\\/:*?"<>|\x00-\x1f]+', "-", program.title).strip(" .-")[:100] or ascii_name
    return ascii_name, f"{real}.{extension}"


def _download(body, content_type: str, program: Program, extension: str) -> Response:
    ascii_name, real = filenames(program, extension)
    return downloads.attachment(body, content_type, real, fallback=ascii_name)


@bp.get("/programs/<int:program_id>/export.xlsx")
@allow(EVERYONE)
def program_xlsx(program_id: int):
    program = _program(program_id)
    return _download(export.to_xlsx(export.program_report(program)), downloads.XLSX_MIMETYPE, program, "xlsx")


@bp.get("/programs/<int:program_id>/export.csv")
@allow(EVERYONE)
def program_csv(program_id: int):
    program = _program(program_id)
    return _download(export.to_csv(export.program_report(program)), downloads.CSV_CONTENT_TYPE, program, "csv")
