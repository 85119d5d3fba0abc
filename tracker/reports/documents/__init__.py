"""A period report as a document a secretary signs (DESIGN §9): DOCX, PDF or XLSX of one unit's report, or of the
consolidated report of the level above. `content` says what the document holds; `word`, `pdf` and `sheets` write it.

Documents are in Vietnamese whatever language the reader picked: an administrative document is (Decree 30/2020).
"""

from flask_babel import force_locale
from flask_babel import gettext as _

from tracker.errors import ValidationError
from tracker.reports.documents import consolidated, content, pdf, sheets, word
from tracker.reports.models import Report
from tracker.reports.periods import Period

WRITERS = {  # format → (writer, mimetype)
    "docx": (word.to_docx, word.MIMETYPE),
    "pdf": (pdf.to_pdf, pdf.MIMETYPE),
    "xlsx": (sheets.to_xlsx, sheets.MIMETYPE),
}
FORMATS = tuple(WRITERS)


def _check(fmt: str) -> None:
    if fmt not in WRITERS:
        raise ValidationError({"format": _("Định dạng “%(f)s” không có: chỉ docx, pdf hoặc xlsx.", f=fmt)})


def _write(doc: content.Document, fmt: str) -> tuple[bytes, str, str]:
    writer, mimetype = WRITERS[fmt]
    return writer(doc), mimetype, f"{doc.filename}.{fmt}"


def report_document(report: Report, fmt: str) -> tuple[bytes, str, str]:
    """One revision of a unit's report as (body, mimetype, file name), fmt one of FORMATS."""
    _check(fmt)
    with force_locale("vi"):
        return _write(content.report_content(report), fmt)


def reporting_document(unit_id: int, period: Period, fmt: str) -> tuple[bytes, str, str]:
    """The consolidated report of a unit's subordinates for a period, from their submitted reports only."""
    _check(fmt)
    with force_locale("vi"):
        return _write(consolidated.reporting_content(unit_id, period), fmt)
