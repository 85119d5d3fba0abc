"""The period reports' screens (DESIGN §9): a unit's reports and schedule, the report editor (its figures beside its
narrative, submission, the revisions, the level above's return) and the level above's reporting page with the
consolidated figures; the documents of both.

Every rule is in tracker.reports.services: the views load, check access, call one service and flash. Everyone in
scope reads; the unit's managers (and those above) write and submit; only the level above returns.
"""

from datetime import timedelta

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from tracker import downloads
from tracker.auth.access import EVERYONE, MANAGERS, allow, can_manage, check_manage, check_scope, in_scope
from tracker.auth.models import Role
from tracker.db import get_row, local_today
from tracker.errors import ValidationError, abort_with
from tracker.extensions import db
from tracker.forms import round_trip, show_errors
from tracker.reports import documents, periods, services
from tracker.reports.forms import NewReportForm, PeriodForm, ReportForm, ReturnForm, ScheduleForm
from tracker.reports.models import SECTIONS, Report, ReportState
from tracker.reports.periods import PeriodKind
from tracker.units.models import Unit, UnitKind
from tracker.units.services import unit_graph

bp = Blueprint("reports", __name__)

STALE = _l("Báo cáo này vừa được người khác sửa, nộp hoặc trả lại. Hãy tải lại trang để xem bản mới nhất rồi làm lại.")
FORMATS = "<any(docx, pdf, xlsx):fmt>"
RECENT = 8  # periods of each kind offered by the reporting page's picker


def _unit(unit_id: int, *, manage: bool = False) -> Unit:
    unit = get_row(Unit, unit_id)
    if unit is None:
        abort(404)
    (check_manage if manage else check_scope)(unit.id)
    return unit


def _label(report: Report) -> str:
    return periods.parse(report.period).label


# --- a unit's reports and schedule -------------------------------------------------------------------------


@bp.get("/reports/")
@allow(EVERYONE)
def index():
    """The menu's entry: the user's unit's reports; an administrator without a unit picks a province."""
    if current_user.unit_id is not None:
        return redirect(url_for("reports.unit_reports", unit_id=current_user.unit_id))
    provinces = []
    if current_user.role == Role.ADMIN:
        provinces = db.session.scalars(
            select(Unit)
            .where(Unit.kind == UnitKind.PROVINCE, Unit.parent_id.is_(None), Unit.valid_to.is_(None))
            .order_by(Unit.search_name, Unit.id)
        ).all()
    return render_template("reports/picker.html", provinces=provinces)


@bp.get("/units/<int:unit_id>/reports")
@allow(EVERYONE)
def unit_reports(unit_id: int):
    return _render_list(_unit(unit_id))


def _render_list(unit: Unit, *, create=None, schedule_form=None) -> str:
    """The unit's reports (the latest revision of each period), the periods due now without one, its schedule."""
    graph = unit_graph()
    schedule = services.schedule_for(unit.id, graph)
    reports = services.unit_reports(unit.id)
    started = {r.period for r in reports}
    due_now = []
    if unit.valid_to is None:  # a unit merged into another reports no more
        due_now = [p for p in periods.latest_ended(local_today(), schedule.kinds) if p.key not in started]
    if schedule_form is None:
        kinds = [k.value for k in PeriodKind if k in schedule.kinds]
        schedule_form = ScheduleForm(formdata=None, kinds=kinds, due_day=str(schedule.due_day))
    return render_template(
        "reports/unit.html",
        unit=unit,
        reports=[(r, periods.parse(r.period)) for r in reports],
        due_now=due_now,
        schedule=schedule,
        schedule_owner=graph.units.get(schedule.unit_id) if schedule.unit_id is not None else None,
        kinds=[k for k in PeriodKind if k in schedule.kinds],
        has_subordinates=bool(graph.rollup_children(unit.id)),
        may_manage=can_manage(current_user, unit.id),
        create=create or NewReportForm(formdata=None),
        schedule_form=schedule_form,
    )


@bp.post("/units/<int:unit_id>/reports")
@allow(MANAGERS)
def create(unit_id: int):
    unit = _unit(unit_id, manage=True)
    form = NewReportForm()

    def done(report: Report):
        flash(_("Đã lập dự thảo báo cáo %(p)s.", p=_label(report)), "success")
        return redirect(url_for("reports.show", report_id=report.id))

    return round_trip(
        form,
        lambda: services.create_report(unit.id, form.period.data, current_user),
        lambda: _render_list(unit, create=form),
        done,
    )


@bp.post("/units/<int:unit_id>/schedule")
@allow(MANAGERS)
def schedule(unit_id: int):
    unit = _unit(unit_id, manage=True)
    form = ScheduleForm()

    def done(_row):
        flash(_("Đã lưu lịch báo cáo của %(name)s.", name=unit.name), "success")
        return redirect(url_for("reports.unit_reports", unit_id=unit.id) + "#schedule")

    return round_trip(
        form,
        lambda: services.set_schedule(unit.id, form.kinds_text, form.due_day.data),
        lambda: _render_list(unit, schedule_form=form),
        done,
    )


# --- one report --------------------------------------------------------------------------------------------


@bp.get("/reports/<int:report_id>")
@allow(EVERYONE)
def show(report_id: int):
    return _render_report(_report(report_id))


def _report(report_id: int, *, manage: bool = False) -> Report:
    report = get_row(Report, report_id)
    if report is None:
        abort(404)
    (check_manage if manage else check_scope)(report.unit_id)
    return report


def _render_report(report: Report, *, form=None, return_form=None) -> str:
    """A revision: its figures beside its narrative (a form for a draft its reader may edit, else the text), the
    return reason, the other revisions, and for the level above the return form."""
    graph = unit_graph()
    period = periods.parse(report.period)
    figures = services.figures(report, graph)
    revisions = services.revisions(report.unit_id, report.period)
    editable = report.is_draft and can_manage(current_user, report.unit_id)
    if form is None and editable:
        form = ReportForm(formdata=None, obj=report)
    if return_form is None and report.state == ReportState.SUBMITTED and services.may_return(current_user, report):
        return_form = ReturnForm(formdata=None, obj=report)
    unit = graph.units[report.unit_id]
    parent = graph.units.get(unit.parent_id)
    return render_template(
        "reports/show.html",
        report=report,
        period=period,
        figures=figures,
        deltas=services.deltas(report, figures),
        revisions=revisions,
        returned=next((r for r in revisions if r.state == ReportState.RETURNED and r.revision < report.revision), None),
        latest=revisions[0],
        due_on=services.schedule_for(report.unit_id, graph).due_on(period),
        editable=editable,
        form=form,
        return_form=return_form,
        sections=SECTIONS,
        parent=parent if parent is not None and in_scope(current_user, parent.id) else None,
        submit_from=period.cutoff_end + timedelta(days=1),
        formats=documents.FORMATS,
    )


@bp.post("/reports/<int:report_id>")
@allow(MANAGERS)
def save(report_id: int):
    report = _report(report_id, manage=True)
    form = ReportForm()

    def done(_report):
        flash(_("Đã lưu dự thảo báo cáo %(p)s.", p=_label(report)), "success")
        return redirect(url_for("reports.show", report_id=report.id))

    return round_trip(
        form,
        lambda: services.update_report(report, form.changes(), expected_version=form.version.number),
        lambda: _render_report(report, form=form),
        done,
        stale=STALE,
    )


@bp.post("/reports/<int:report_id>/submit")
@allow(MANAGERS)
def submit(report_id: int):
    """The editor's "Nộp báo cáo": what the form holds is saved and the report submitted, at once or not at all."""
    report = _report(report_id, manage=True)
    form = ReportForm()

    def save():
        services.update_report(report, form.changes(), expected_version=form.version.number)
        return services.submit(report, current_user)

    def done(_report):
        flash(_("Đã nộp báo cáo %(p)s (lần %(r)d) lên cấp trên.", p=_label(report), r=report.revision), "success")
        return redirect(url_for("reports.show", report_id=report.id))

    return round_trip(form, save, lambda: _render_report(report, form=form), done, stale=STALE)


@bp.post("/reports/<int:report_id>/return")
@allow(MANAGERS)
def return_(report_id: int):
    report = _report(report_id)
    if not services.may_return(current_user, report):
        abort(403)
    form = ReturnForm()

    def done(draft: Report):
        flash(
            _("Đã trả lại báo cáo %(p)s của %(unit)s; đơn vị sửa và nộp lại lần %(r)d.",
              p=_label(report), unit=report.unit.name, r=draft.revision),
            "success",
        )  # fmt: skip
        return redirect(url_for("reports.show", report_id=report.id))

    return round_trip(
        form,
        lambda: services.return_report(report, form.reason.data, current_user, expected_version=form.version.number),
        lambda: _render_report(report, return_form=form),
        done,
        stale=STALE,
    )


@bp.get(f"/reports/<int:report_id>/document.{FORMATS}")
@allow(EVERYONE)
def document(report_id: int, fmt: str):
    report = _report(report_id)
    try:
        body, mimetype, filename = documents.report_document(report, fmt)
    except ValidationError as exc:
        abort_with(400, exc.message)
    return downloads.attachment(body, mimetype, filename)


# --- the level above ---------------------------------------------------------------------------------------


def _period(form: PeriodForm) -> periods.Period:
    """The period asked for, else the latest quarter whose data is cut off; ValidationError on a bad key."""
    if not form.period.data:
        return periods.latest_ended(local_today(), [PeriodKind.QUARTER])[0]
    return services.parse_period(form.period.data)


def _recent_periods() -> list[periods.Period]:
    """The picker's suggestions: the latest ended periods of each kind, newest first."""
    found = []
    for period in periods.latest_ended(local_today(), list(PeriodKind)):
        for _n in range(RECENT if period.kind != PeriodKind.YEAR else 3):
            found.append(period)
            period = period.previous
    return sorted(set(found), key=lambda p: (p.cutoff_end, -p.kind.months), reverse=True)


@bp.get("/units/<int:unit_id>/reporting")
@allow(EVERYONE)
def reporting(unit_id: int):
    unit = _unit(unit_id)
    form = PeriodForm(formdata=request.args)
    try:
        period = _period(form)
    except ValidationError as exc:
        show_errors(form, exc)
        html = render_template("reports/reporting.html", unit=unit, form=form, result=None, recent=_recent_periods())
        return html, 400
    form.period.data = period.key
    result = services.reporting(unit.id, period)
    met = [_targets_met(row.figures) for row in result.submitted]
    return render_template(
        "reports/reporting.html",
        unit=unit,
        form=form,
        period=period,
        result=result,
        recent=_recent_periods(),
        today=local_today(),
        targets_met=_targets_met,
        totals_met=(sum(m for m, _t in met), sum(t for _m, t in met)),
        formats=documents.FORMATS,
    )


def _targets_met(figures) -> tuple[int, int]:
    """How many of a report's targets were reached by the cut-off, of how many."""
    reached = sum(1 for t in figures.targets if t.achievement is not None and t.achievement >= 1)
    return reached, len(figures.targets)


@bp.get(f"/units/<int:unit_id>/reporting/document.{FORMATS}")
@allow(EVERYONE)
def reporting_file(unit_id: int, fmt: str):
    """The consolidated report's document; a bad period is a 400 naming it, as on the page."""
    unit = _unit(unit_id)
    try:
        period = _period(PeriodForm(formdata=request.args))
        body, mimetype, filename = documents.reporting_document(unit.id, period, fmt)
    except ValidationError as exc:
        abort_with(400, exc.message)
    return downloads.attachment(body, mimetype, filename)
