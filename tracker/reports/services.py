"""Period reports (DESIGN §9): schedules, create, edit, submit (frozen), return with a reason (a new revision), and
what the level above sees: its subordinates' reporting rates and the consolidated figures of their submitted
reports. The screens, the API and the CLI all call these; they raise ValidationError (a field → a message) for
bad input and never an HTTP error."""

from dataclasses import dataclass, field
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from tracker import audit
from tracker.auth.models import Role, User
from tracker.boards.models import Board, BoardKind, MemberRole, Membership, current_members_clause
from tracker.db import local_day, local_today, utcnow
from tracker.errors import ValidationError, check_version, flush_versioned
from tracker.extensions import db
from tracker.reports import periods, snapshot
from tracker.reports.models import SECTIONS, Report, ReportSchedule, ReportState
from tracker.reports.periods import Period, PeriodError, PeriodKind
from tracker.units.names import full_name
from tracker.units.services import UnitGraph, ancestor_ids, unit_graph

TEXT_LIMIT = 20_000  # characters in a narrative section
LINE_LIMITS = {
    "number": 40,
    "place": 100,
    "issuer": 200,
    "signer_authority": 200,
    "signer_title": 200,
    "signer_name": 200,
}
EDITABLE = (*LINE_LIMITS, "recipients", *(name for name, _label in SECTIONS))


# --- schedules ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Schedule:
    kinds: frozenset[PeriodKind]
    due_day: int
    unit_id: int | None  # whose schedule it is (None: the defaults)

    def expects(self, period: Period) -> bool:
        return period.kind in self.kinds

    def due_on(self, period: Period) -> date:
        return period.due_on(self.due_day)


DEFAULT_SCHEDULE = Schedule(periods.DEFAULT_KINDS, periods.DEFAULT_DUE_DAY, None)


def schedules(graph: UnitGraph | None = None):
    """A function unit id → its Schedule (its own, else its nearest ancestor's, else the defaults), from one query."""
    graph = graph or unit_graph()
    rows = {
        r.unit_id: Schedule(frozenset(PeriodKind(c) for c in r.kinds), r.due_day, r.unit_id)
        for r in db.session.scalars(select(ReportSchedule))
    }

    def of(unit_id: int) -> Schedule:
        seen, current = set(), unit_id
        while current is not None and current not in seen:
            if current in rows:
                return rows[current]
            seen.add(current)
            row = graph.units.get(current)
            current = row.parent_id if row is not None else None
        return DEFAULT_SCHEDULE

    return of


def schedule_for(unit_id: int, graph: UnitGraph | None = None) -> Schedule:
    return schedules(graph)(unit_id)


def set_schedule(unit_id: int, kinds: str, due_day) -> ReportSchedule:
    """Set a unit's own schedule (kinds as letters "QHY", a due day 1–28)."""
    errors = {}
    try:
        parsed = periods.parse_kinds(kinds)
    except PeriodError as exc:
        errors["kinds"] = str(exc)
    try:
        day = int(str(due_day).strip())
    except ValueError:
        day = 0
    if not 1 <= day <= periods.MAX_DUE_DAY:
        errors["due_day"] = _("Hạn nộp phải là một ngày từ 1 đến %(n)d của tháng cuối kỳ.", n=periods.MAX_DUE_DAY)
    if errors:
        raise ValidationError(errors)
    row = db.session.scalar(select(ReportSchedule).where(ReportSchedule.unit_id == unit_id))
    if row is None:
        row = ReportSchedule(unit_id=unit_id)
        db.session.add(row)
    row.kinds, row.due_day = periods.kinds_text(parsed), day
    db.session.flush()
    return row


# --- one unit's reports --------------------------------------------------------------------------------------


def parse_period(key) -> Period:
    try:
        return periods.parse(str(key or ""))
    except PeriodError as exc:
        raise ValidationError({"period": str(exc)}) from exc


def revisions(unit_id: int, period: str) -> list[Report]:
    """Every revision of a unit's report for a period, the latest first."""
    return db.session.scalars(
        select(Report).where(Report.unit_id == unit_id, Report.period == period).order_by(Report.revision.desc())
    ).all()


def unit_reports(unit_id: int) -> list[Report]:
    """The latest revision of each of the unit's reports, the latest period first."""
    latest = (
        select(Report.period, func.max(Report.revision).label("revision"))
        .where(Report.unit_id == unit_id)
        .group_by(Report.period)
        .subquery()
    )
    rows = db.session.scalars(
        select(Report).join(
            latest,
            (Report.period == latest.c.period) & (Report.revision == latest.c.revision) & (Report.unit_id == unit_id),
        )
    ).all()
    return sorted(rows, key=lambda r: (periods.parse(r.period).cutoff_end, r.id), reverse=True)


def create_report(unit_id: int, period_key, user: User | None = None) -> Report:
    """A draft for the unit and period (its figures are read live, as of the cut-off end, until submission).

    Refused while the unit has any report for the period: a draft is edited, a submitted one is returned first.
    """
    period = parse_period(period_key)
    existing = revisions(unit_id, period.key)
    if existing:
        raise ValidationError(
            {
                "period": _(
                    "Đơn vị đã có báo cáo %(p)s (%(state)s): hãy mở báo cáo đó.",
                    p=period.label,
                    state=existing[0].state.label,
                )
            }
        )
    report = Report(unit_id=unit_id, period=period.key, revision=1, **default_header(unit_id))
    db.session.add(report)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError as exc:  # another request created it a moment ago
        raise ValidationError({"period": _("Đơn vị đã có báo cáo %(p)s.", p=period.label)}) from exc
    return report


def default_header(unit_id: int) -> dict:
    """A new report's header and footer: from the unit's last report when there is one, else from its registry."""
    last = db.session.scalar(
        select(Report).where(Report.unit_id == unit_id).order_by(Report.created_at.desc(), Report.id.desc()).limit(1)
    )
    if last is not None:
        return {name: getattr(last, name) for name in (*LINE_LIMITS, "recipients") if name != "number"}
    graph = unit_graph()
    unit = graph.units[unit_id]
    parent = graph.units.get(unit.parent_id)
    head = db.session.scalar(
        select(Membership.person_name)
        .join(Board, Board.id == Membership.board_id)
        .where(
            Board.unit_id == unit_id,
            Board.kind == BoardKind.STEERING_BOARD,
            Membership.role == MemberRole.HEAD,
            current_members_clause(local_today()),
        )
        .order_by(Membership.starts_on.desc(), Membership.id.desc())
        .limit(1)
    )
    recipients = []
    if parent is not None:
        name = full_name(parent.name, parent.kind)
        recipients.append(_("- Ban Chỉ đạo chuyển đổi số %(name)s;", name=name[:1].lower() + name[1:]))
    recipients.append(_("- Lưu: VT."))
    return {
        "place": unit.name.split(" ", 1)[-1] if unit.name.startswith(("Phường ", "Xã ", "Đặc khu ")) else unit.name,
        "issuer": _("BAN CHỈ ĐẠO CHUYỂN ĐỔI SỐ %(name)s", name=full_name(unit.name, unit.kind).upper()),
        "signer_authority": _("TM. BAN CHỈ ĐẠO"),
        "signer_title": _("TRƯỞNG BAN"),
        "signer_name": head or "",
        "recipients": "\n".join(recipients),
    }


def _check_draft(report: Report) -> None:
    if not report.is_draft:
        raise ValidationError(
            {
                "state": _(
                    "Báo cáo %(p)s (lần %(r)d) đã nộp, không sửa được: chỉ cấp trên trả lại thì mới sửa tiếp.",
                    p=periods.parse(report.period).label,
                    r=report.revision,
                )
            }
        )


def update_report(report: Report, changes: dict, expected_version: int | None = None) -> Report:
    """Edit a draft's narrative, header and footer. Unknown fields are the caller's to refuse."""
    _check_draft(report)
    check_version(report, expected_version)
    errors = {}
    clean = {}
    for name, value in changes.items():
        text = "" if value is None else str(value)
        text = text.replace("\r\n", "\n").strip()
        limit = LINE_LIMITS.get(name, TEXT_LIMIT)
        if name in LINE_LIMITS and "\n" in text:
            errors[name] = _("Trường “%(f)s” chỉ có một dòng.", f=name)
        elif len(text) > limit:
            errors[name] = _("Trường “%(f)s” dài quá %(n)d ký tự.", f=name, n=limit)
        clean[name] = text
    if errors:
        raise ValidationError(errors)
    for name, text in clean.items():
        setattr(report, name, text)
    flush_versioned()
    return report


def figures(report: Report, graph: UnitGraph | None = None) -> snapshot.Snapshot:
    """What the report says: its frozen figures once submitted, else the unit's figures as of the cut-off end."""
    if report.figures:
        return snapshot.Snapshot.from_json(report.figures)
    return snapshot.take(report.unit_id, periods.parse(report.period), graph)


def previous_report(report: Report) -> Report | None:
    """The report of record of the period before (its latest submitted revision), for the deltas."""
    before = periods.parse(report.period).previous
    return db.session.scalar(
        select(Report)
        .where(Report.unit_id == report.unit_id, Report.period == before.key, Report.state == ReportState.SUBMITTED)
        .order_by(Report.revision.desc())
        .limit(1)
    )


def deltas(report: Report, current: snapshot.Snapshot) -> snapshot.Deltas | None:
    previous = previous_report(report)
    return snapshot.deltas(current, figures(previous)) if previous is not None else None


def submit(report: Report, user: User | None, today: date | None = None, expected_version: int | None = None):
    """Freeze the figures and send the report up. Refused before the period's data is cut off."""
    _check_draft(report)
    check_version(report, expected_version)
    period = periods.parse(report.period)
    today = today or local_today()
    if today <= period.cutoff_end:
        raise ValidationError(
            {
                "period": _(
                    "Chưa nộp được báo cáo %(p)s: số liệu của kỳ tính đến hết ngày %(d)s; hãy nộp từ ngày hôm sau "
                    "(bản dự thảo vẫn sửa được).",
                    p=period.label,
                    d=period.cutoff_end.strftime("%d/%m/%Y"),
                )
            }
        )
    report.figures = snapshot.take(report.unit_id, period).to_json()
    report.state = ReportState.SUBMITTED
    report.submitted_at = utcnow()
    report.submitted_by_id = user.id if user is not None else None
    flush_versioned()
    audit.record("submit", "reports", report.id, {"period": report.period, "revision": report.revision})
    return report


def may_return(user: User, report: Report) -> bool:
    """The level above returns: an admin, or an account of a unit strictly above the report's unit."""
    if user.role == Role.ADMIN:
        return True
    return (
        user.role == Role.MANAGER
        and user.unit_id is not None
        and user.unit_id != report.unit_id
        and user.unit_id in ancestor_ids(report.unit_id)
    )


def return_report(report: Report, reason, user: User | None, expected_version: int | None = None) -> Report:
    """Send a submitted report back with a reason; its next revision opens as a draft with the same text.

    The returned revision keeps its frozen figures and stays readable. Returns the new draft.
    """
    if report.state != ReportState.SUBMITTED:
        raise ValidationError({"state": _("Chỉ trả lại được báo cáo đã nộp.")})
    check_version(report, expected_version)
    text = str(reason or "").strip()
    if not text:
        raise ValidationError({"reason": _("Hãy ghi lý do trả lại báo cáo.")})
    if len(text) > TEXT_LIMIT:
        raise ValidationError({"reason": _("Lý do dài quá %(n)d ký tự.", n=TEXT_LIMIT)})
    report.state = ReportState.RETURNED
    report.returned_at = utcnow()
    report.returned_by_id = user.id if user is not None else None
    report.return_reason = text
    flush_versioned()
    draft = Report(
        unit_id=report.unit_id,
        period=report.period,
        revision=report.revision + 1,
        **{name: getattr(report, name) for name in EDITABLE},
    )
    db.session.add(draft)
    db.session.flush()
    audit.record("return", "reports", report.id, {"period": report.period, "revision": report.revision, "reason": text})
    return draft


# --- the level above ---------------------------------------------------------------------------------------


@dataclass
class Expected:
    """One subordinate expected to report for the period, and how it did."""

    unit_id: int
    name: str
    due_on: date
    report: Report | None  # its latest revision, if any
    submitted: Report | None  # its report of record (the latest submitted revision), if any
    figures: snapshot.Snapshot | None = None  # the submitted figures

    @property
    def submitted_on(self) -> date | None:
        return local_day(self.submitted.submitted_at) if self.submitted is not None else None

    @property
    def on_time(self) -> bool:
        return self.submitted_on is not None and self.submitted_on <= self.due_on


@dataclass
class Reporting:
    """DHIS2's reporting rate summary for a unit's subordinates, and the consolidated figures of what they sent."""

    unit_id: int
    period: Period
    rows: list[Expected] = field(default_factory=list)
    split: snapshot.Split = field(default_factory=snapshot.Split)
    registries: snapshot.Registries = field(default_factory=snapshot.Registries)

    @property
    def expected(self) -> int:
        return len(self.rows)

    @property
    def submitted(self) -> list[Expected]:
        return [r for r in self.rows if r.submitted is not None]

    @property
    def on_time(self) -> list[Expected]:
        return [r for r in self.rows if r.on_time]

    @property
    def missing(self) -> list[Expected]:
        return [r for r in self.rows if r.submitted is None]

    def rate(self, part: list) -> float | None:
        return len(part) / self.expected if self.expected else None


def reporting(unit_id: int, period: Period, graph: UnitGraph | None = None) -> Reporting:
    """The subordinates expected to report for the period (per their schedules, existing at its cut-off end), what
    each sent, and the totals built only from submitted reports' frozen figures. A fixed number of queries."""
    graph = graph or unit_graph()
    schedule_of = schedules(graph)
    units = [
        graph.units[u]
        for u in graph.rollup_children(unit_id)
        if graph.units[u].valid_to is None or graph.units[u].valid_to > period.cutoff_end
    ]
    units = [u for u in units if schedule_of(u.id).expects(period)]
    reports = db.session.scalars(
        select(Report)
        .where(Report.unit_id.in_([u.id for u in units]), Report.period == period.key)
        .order_by(Report.revision)
    ).all()
    latest: dict[int, Report] = {}
    record: dict[int, Report] = {}
    for report in reports:
        latest[report.unit_id] = report
        if report.state == ReportState.SUBMITTED:
            record[report.unit_id] = report
    result = Reporting(unit_id, period)
    for unit in sorted(units, key=lambda u: (u.name, u.id)):
        submitted = record.get(unit.id)
        row = Expected(unit.id, unit.name, schedule_of(unit.id).due_on(period), latest.get(unit.id), submitted)
        if submitted is not None:
            row.figures = figures(submitted)
            result.split.add(row.figures.split)
            result.registries.add(row.figures.registries)
        result.rows.append(row)
    return result

