"""/api/v1 period reports (DESIGN §9): a unit's reports, one report with its figures and the deltas against the
previous period, its edits, submission and return, its documents, and what the level above reads: its subordinates'
reporting rates and the consolidated figures of their submitted reports. The same services as the report screens
(tracker.reports.services); the schemas are in tracker.api.reports_schemas.

Access as on the screens: everyone reads the reports of units in their scope; creating, editing and submitting are
for managers (and admins) with the unit in scope; returning is for the level above (services.may_return). An
unknown id is a 404 and a unit out of scope a 403, as everywhere in the API.

A second report for the same unit and period is a 422 naming `period` (the service's rule: the one there is gets
edited, or returned first). Returning answers 201 with the new draft revision, which Location names; the returned
revision keeps its frozen figures and stays readable at its own id.
"""

from collections.abc import Iterable

from flask import url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from tracker.api.contract import LOCATION, bp
from tracker.api.helpers import get_or_404
from tracker.api.queries import Paged, With
from tracker.api.reports_schemas import (
    ReportCreate,
    ReportDetailSchema,
    ReportingQuery,
    ReportingSchema,
    ReportPatch,
    ReportReturn,
    ReportSubmit,
    UnitReportListSchema,
)
from tracker.auth.access import EVERYONE, MANAGERS, allow, check_manage, check_scope
from tracker.auth.models import User
from tracker.downloads import XLSX_MIMETYPE, attachment
from tracker.errors import abort_with
from tracker.extensions import db
from tracker.reports import documents, periods, services
from tracker.reports.models import Report
from tracker.units.models import Unit
from tracker.units.services import unit_graph


def load_unit(unit_id: int, *, manage: bool = False) -> Unit:
    unit = get_or_404(Unit, unit_id, _("Không có đơn vị nào có id %(id)d.", id=unit_id))
    (check_manage if manage else check_scope)(unit.id)
    return unit


def load_report(report_id: int, *, manage: bool = False) -> Report:
    report = get_or_404(Report, report_id, _("Không có báo cáo nào có id %(id)d.", id=report_id))
    (check_manage if manage else check_scope)(report.unit_id)
    return report


def _names(user_ids: Iterable[int | None]) -> dict[int, str]:
    """The names of these accounts (their full name, else their username), in one query."""
    ids = {ident for ident in user_ids if ident is not None}
    if not ids:
        return {}
    return {
        user.id: user.full_name or user.username for user in db.session.scalars(select(User).where(User.id.in_(ids)))
    }


def _listed(report: Report, schedule: services.Schedule, names: dict[int, str]) -> With:
    period = periods.parse(report.period)
    return With(
        report,
        period_label=period.label,
        due_on=schedule.due_on(period),
        submitted_by=names.get(report.submitted_by_id),
    )


def _detail(report: Report) -> With:
    """The report with what its answer adds: due day, names, its figures (frozen or live), deltas, revisions."""
    graph = unit_graph()
    period = periods.parse(report.period)
    names = _names([report.submitted_by_id, report.returned_by_id])
    figures = services.figures(report, graph)
    return With(
        _listed(report, services.schedule_for(report.unit_id, graph), names),
        unit_name=graph.units[report.unit_id].name,
        cutoff_start=period.cutoff_start,
        cutoff_end=period.cutoff_end,
        returned_by=names.get(report.returned_by_id),
        frozen=report.figures is not None,
        figures=figures,
        deltas=services.deltas(report, figures),
        revisions=[r for r in services.revisions(report.unit_id, report.period) if r.id != report.id],
    )


def _created(report: Report):
    return _detail(report), {"Location": url_for("api.get_report", report_id=report.id)}


# --- a unit's reports ----------------------------------------------------------------------------------------


@bp.get("/units/<int:unit_id>/reports")
@allow(EVERYONE)
@bp.arguments(Paged, location="query")
@bp.response(200, UnitReportListSchema, description="A page of the unit's reports.")
@bp.refuses(401, 403, 404)
def list_unit_reports(args: dict, unit_id: int):
    """A unit's reports: the latest revision of each period, the latest period first"""
    load_unit(unit_id)
    reports = services.unit_reports(unit_id)  # a unit's periods: a few a year, paged in Python
    start = (args["page"] - 1) * args["per_page"]
    items = reports[start : start + args["per_page"]]
    schedule = services.schedule_for(unit_id)
    names = _names(report.submitted_by_id for report in items)
    return {
        "items": [_listed(report, schedule, names) for report in items],
        "total": len(reports),
        "page": args["page"],
        "per_page": args["per_page"],
    }


@bp.post("/units/<int:unit_id>/reports")
@allow(MANAGERS)
@bp.arguments(ReportCreate)
@bp.response(201, ReportDetailSchema, description="The new draft; Location names it.", headers=LOCATION)
@bp.refuses(400, 401, 403, 404)
def create_report(body: dict, unit_id: int):
    """Open a draft report of the unit for a period (managers, in scope)

    Its figures are read live, as of the period's cut-off end, until it is submitted. Its header and footer come
    from the unit's last report, else from its registry. A unit that already has a report for the period gets a
    422 naming `period`: that report is edited, or returned by the level above first."""
    unit = load_unit(unit_id, manage=True)
    report = services.create_report(unit.id, body["period"].key, current_user)
    db.session.commit()
    return _created(report)


# --- one report ----------------------------------------------------------------------------------------------


@bp.get("/reports/<int:report_id>")
@allow(EVERYONE)
@bp.response(200, ReportDetailSchema, description="The report.")
@bp.refuses(401, 403, 404)
def get_report(report_id: int):
    """One revision of a report: header, footer, narrative, figures (frozen once submitted) and deltas"""
    return _detail(load_report(report_id))


@bp.patch("/reports/<int:report_id>")
@allow(MANAGERS)
@bp.arguments(
    ReportPatch,
    description="Fields left out keep their value, null clears one; read-only fields of ReportDetail are accepted "
    "and ignored. A submitted or returned revision is not edited (422 naming `state`).",
)
@bp.response(200, ReportDetailSchema, description="The report as saved.")
@bp.refuses(400, 401, 403, 404, 409)
def update_report(body: dict, report_id: int):
    """Edit a draft's header, footer and narrative (managers, in scope)"""
    report = load_report(report_id, manage=True)
    version = body.pop("version", None)
    services.update_report(report, body, expected_version=version)
    db.session.commit()
    return _detail(report)


@bp.post("/reports/<int:report_id>/submit")
@allow(MANAGERS)
@bp.arguments(ReportSubmit, required=False, description="Optional; the body may be left out.")
@bp.response(200, ReportDetailSchema, description="The report, submitted: its figures are frozen.")
@bp.refuses(400, 401, 403, 404, 409)
def submit_report(body: dict, report_id: int):
    """Submit a draft to the level above (managers, in scope); its figures are stored with it

    Refused (422 naming `period`) until the day after the period's cut-off end; a revision that is not a draft is
    refused naming `state`."""
    report = load_report(report_id, manage=True)
    services.submit(report, current_user, expected_version=body.get("version"))
    db.session.commit()
    return _detail(report)


@bp.post("/reports/<int:report_id>/return")
@allow(MANAGERS)
@bp.arguments(ReportReturn)
@bp.response(201, ReportDetailSchema, description="The new draft revision; Location names it.", headers=LOCATION)
@bp.refuses(400, 401, 403, 404, 409)
def return_report(body: dict, report_id: int):
    """Return a submitted report with a reason (the level above: services.may_return)

    The submitted revision becomes `returned` and keeps its figures; the next revision opens as a draft with the
    same text, and is the answer. Only a submitted revision is returned (422 naming `state`)."""
    report = load_report(report_id)
    if not services.may_return(current_user, report):
        abort_with(403, _("Chỉ cấp trên của đơn vị mới trả lại được báo cáo này."))
    draft = services.return_report(report, body["reason"], current_user, expected_version=body.get("version"))
    db.session.commit()
    return _created(draft)


DOCX_MIMETYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
BINARY = {"type": "string", "format": "binary"}
DOCUMENTS = {  # what each format answers, for the document
    "docx": (DOCX_MIMETYPE, "In the Decree 30/2020 layout, editable in Word."),
    "pdf": ("application/pdf", "The same layout."),
    "xlsx": (XLSX_MIMETYPE, "The three tables."),
}


@bp.get("/reports/<int:report_id>/document.<any(docx, pdf, xlsx):fmt>")
@allow(EVERYONE)
@bp.response(200, BINARY, content_type=DOCX_MIMETYPE, description="The document, as an attachment.")
@bp.doc(
    responses={
        "200": {
            "description": "The document, as an attachment: "
            + " ".join(f"{fmt}: {text}" for fmt, (_type, text) in DOCUMENTS.items()),
            "content": {mimetype: {"schema": BINARY} for mimetype, _text in DOCUMENTS.values()},
        }
    }
)
@bp.refuses(401, 403, 404, 422)
def report_document(report_id: int, fmt: str):
    """The report as a document to sign (DOCX, PDF) or its tables (XLSX); a draft's is marked DỰ THẢO"""
    report = load_report(report_id)
    body, mimetype, filename = documents.report_document(report, fmt)
    return attachment(body, mimetype, filename)


# --- the level above -----------------------------------------------------------------------------------------


@bp.get("/units/<int:unit_id>/reporting")
@allow(EVERYONE)
@bp.arguments(ReportingQuery, location="query")
@bp.response(200, ReportingSchema, description="The reporting rates and the consolidated figures.")
@bp.refuses(401, 403, 404)
def unit_reporting(args: dict, unit_id: int):
    """The unit's subordinates' reports for a period: who was expected, who submitted, on time, who is missing

    Each subordinate's row carries its submitted figures (null while it has not submitted) and the totals add the
    submitted reports only."""
    unit = load_unit(unit_id)
    return services.reporting(unit.id, args["period"])
