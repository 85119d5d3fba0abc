"""The schemas of /api/v1's period reports (tracker.api.reports, DESIGN §9): a unit's reports, one report with its
figures (tracker.reports.snapshot's Snapshot) and the deltas against the previous period, the bodies that create,
edit, submit and return a report, and what the level above reads: its subordinates' reporting rates and the
consolidated figures of their submitted reports."""

import re
from dataclasses import fields

import marshmallow as ma
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from tracker.api.fields import Body, DecimalText, Integer, Named, Text, echoes
from tracker.api.queries import NestedFrom, Query, page_schema
from tracker.programs.rules import Status
from tracker.reports import periods, services
from tracker.reports.models import ReportState
from tracker.reports.snapshot import Registries, Split

NEED_PERIOD = _l("Hãy chọn kỳ báo cáo (period), ví dụ 2026-Q3.")
NEED_REASON = _l("Hãy ghi lý do trả lại báo cáo (reason).")
OPTIONAL_VERSION = {"description": "Optional: the `version` last read (a stale one gives 409, nothing written)."}

# What periods.parse takes, as the document states it: a key exactly, in any case, no spaces around it.
PERIOD_PATTERN = r"^(20\d\d|2100)(-([Mm](0?[1-9]|1[0-2])|[Qq][1-4]|[Hh][12]))?$"
_PERIOD = re.compile(PERIOD_PATTERN, re.ASCII)
PERIOD = {
    "pattern": PERIOD_PATTERN,
    "examples": ["2026-Q3", "2026-M11", "2026-H1", "2026"],
    "description": "A reporting period: 2026-M11 (month), 2026-Q3 (quarter), 2026-H1 (half-year) or 2026 (year).",
}
STATES = {"enum": [state.value for state in ReportState], "description": "draft → submitted → returned."}


class PeriodKey(Named, ma.fields.String):
    """A period key, loaded as its periods.Period; a bad one is refused with the message of periods.parse, which
    says what is wrong ("2026-Q5": a quarter is 1 to 4)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.metadata = {**PERIOD, **self.metadata}

    def _deserialize(self, value, attr, data, **kwargs) -> periods.Period:
        if not isinstance(value, str):
            raise self.make_error("invalid")
        try:
            period = periods.parse(value)
        except periods.PeriodError as exc:
            raise ma.ValidationError(str(exc)) from None
        if not _PERIOD.fullmatch(value):  # parse forgives spaces and non-ASCII digits; the document does not
            raise self.make_error("invalid")
        return period

    def invalid(self) -> str:
        return _("Trường “%(name)s” phải là kỳ báo cáo như 2026-Q3, 2026-M11, 2026-H1 hoặc 2026.", name=self.label)


def ratio(description: str, **kwargs) -> ma.fields.Float:
    """A share as a JSON number, 1 = 100% (null when nothing counts)."""
    metadata = {"minimum": 0, "maximum": 1, "description": description}
    return ma.fields.Float(required=True, allow_none=True, metadata=metadata, **kwargs)


def count(description: str = "", **kwargs) -> ma.fields.Integer:
    metadata = {"minimum": 0, **({"description": description} if description else {})}
    return ma.fields.Integer(required=True, metadata=metadata, **kwargs)


# --- figures: the three tables of a report ---------------------------------------------------------------------


class ReportSplitSchema(ma.Schema):
    """Table 1: the top-level tasks in the Government's four-way split (1270/BC-TCTTTg)."""

    total = count("Every task that counts (paused and cancelled ones are in `stopped`).")
    done_on_time = count()
    done_late = count()
    in_progress = count("Not done, within its deadline (or without one).")
    overdue = count("Not done, past its deadline.")
    stopped = count("Paused or cancelled.")
    due = count("Tasks whose deadline had come by the cut-off.")
    due_done = count("Due tasks done.")
    done = count("done_on_time + done_late.")
    not_done = count("in_progress + overdue.")
    due_share = ratio("due_done ÷ due: tỷ lệ nhiệm vụ đến hạn đã hoàn thành.")


class ReportTargetSchema(ma.Schema):
    """Table 2: a chỉ tiêu, its plan and its result as of the cut-off."""

    task_id = ma.fields.Integer(required=True)
    title = ma.fields.String(required=True)
    unit_label = ma.fields.String(required=True)
    target = DecimalText(required=True, allow_none=True)
    value = DecimalText(required=True, allow_none=True, metadata={"description": "As of the cut-off end."})
    achievement = ma.fields.Float(
        required=True, allow_none=True, metadata={"description": "value ÷ target, not clamped (1.37 = đạt 137%)."}
    )
    status = ma.fields.String(required=True, metadata={"enum": [status.value for status in Status]})


class ReportRegistriesSchema(ma.Schema):
    """Table 3: QR points, online public services and board staffing, as of the cut-off."""

    qr_registered = count()
    qr_printed = count()
    qr_active = count()
    services_full = count("Toàn trình.")
    services_partial = count("Một phần.")
    services_offline = count("Chưa cung cấp trực tuyến.")
    services_total = count()
    records_total = count()
    records_online = count()
    records_share = ratio("records_online ÷ records_total.")
    board_current = count()
    board_target = count()


class ReportProgramSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    title = ma.fields.String(required=True)
    progress = ratio("As of the cut-off end; 1 = 100%.")


class ReportFiguresSchema(ma.Schema):
    """A unit's figures as of a period's cut-off end (a Snapshot): frozen with a submitted report."""

    unit_id = ma.fields.Integer(required=True)
    unit_name = ma.fields.String(required=True)
    period = ma.fields.String(required=True, metadata=PERIOD)
    as_of = ma.fields.Date(required=True, metadata={"description": "The cut-off end the figures are read for."})
    taken_at = ma.fields.DateTime(required=True, metadata={"description": "When they were read (UTC)."})
    progress = ratio("The mean of the programs' progress.")
    programs = ma.fields.List(ma.fields.Nested(ReportProgramSchema), required=True)
    split = ma.fields.Nested(ReportSplitSchema, required=True)
    targets = ma.fields.List(ma.fields.Nested(ReportTargetSchema), required=True)
    registries = ma.fields.Nested(ReportRegistriesSchema, required=True)


def _changes(names) -> dict:
    return {name: ma.fields.Integer(required=True) for name in names}


class SplitChangesSchema(ma.Schema.from_dict(_changes(f.name for f in fields(Split)))):
    """Each count of table 1 minus the previous period's."""


class RegistryChangesSchema(ma.Schema.from_dict(_changes(f.name for f in fields(Registries)))):
    """Each count of table 3 minus the previous period's."""


class TargetChangeSchema(ma.Schema):
    task_id = ma.fields.Integer(required=True)
    change = DecimalText(required=True, metadata={"description": "Its value minus the previous period's."})


class ReportDeltasSchema(ma.Schema):
    """Changes since the previous period's report of record (null where a figure had no value)."""

    progress = ma.fields.Float(required=True, allow_none=True, metadata={"minimum": -1, "maximum": 1})
    due_share = ma.fields.Float(required=True, allow_none=True, metadata={"minimum": -1, "maximum": 1})
    split = ma.fields.Nested(SplitChangesSchema, required=True)
    registries = ma.fields.Nested(RegistryChangesSchema, required=True)
    targets = NestedFrom(
        TargetChangeSchema,
        many=True,
        required=True,
        read=lambda deltas: [{"task_id": k, "change": v} for k, v in sorted(deltas.targets.items())],
        metadata={"description": "Targets with a value in both periods."},
    )


# --- reports ----------------------------------------------------------------------------------------------------


class UnitReportSchema(ma.Schema):
    """A report's revision, as a unit's list shows it."""

    id = ma.fields.Integer(required=True, dump_only=True)
    unit_id = ma.fields.Integer(required=True, dump_only=True)
    period = ma.fields.String(required=True, dump_only=True, metadata=PERIOD)
    period_label = ma.fields.String(required=True, dump_only=True, metadata={"examples": ["quý III năm 2026"]})
    revision = ma.fields.Integer(required=True, dump_only=True, metadata={"minimum": 1})
    state = ma.fields.String(required=True, dump_only=True, metadata=STATES)
    due_on = ma.fields.Date(required=True, dump_only=True, metadata={"description": "Per the unit's schedule."})
    submitted_at = ma.fields.DateTime(required=True, allow_none=True, dump_only=True)
    submitted_by = ma.fields.String(
        required=True, allow_none=True, dump_only=True, metadata={"description": "The name of who submitted it."}
    )
    returned_at = ma.fields.DateTime(required=True, allow_none=True, dump_only=True)
    version = ma.fields.Integer(required=True, dump_only=True)
    created_at = ma.fields.DateTime(dump_only=True)
    updated_at = ma.fields.DateTime(dump_only=True)


UnitReportListSchema = page_schema(UnitReportSchema)


class RevisionSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    revision = ma.fields.Integer(required=True, metadata={"minimum": 1})
    state = ma.fields.String(required=True, metadata=STATES)


def _line(name: str) -> ma.fields.String:
    return ma.fields.String(required=True, metadata={"maxLength": services.LINE_LIMITS[name]})


def _text(description: str) -> ma.fields.String:
    return ma.fields.String(required=True, metadata={"maxLength": services.TEXT_LIMIT, "description": description})


# The narrative sections (reports.models.SECTIONS), as the document describes them (a test keeps them equal).
SECTION_NAMES = {
    "achievements": "Kết quả đạt được: the results achieved.",
    "shortcomings": "Tồn tại, hạn chế: shortcomings.",
    "causes": "Nguyên nhân: their causes.",
    "next_steps": "Nhiệm vụ, giải pháp kỳ tới: tasks and measures for the next period.",
    "proposals": "Đề xuất, kiến nghị: proposals to the level above.",
}


class ReportDetailSchema(UnitReportSchema):
    """One revision of a report: its header and footer, the five narrative sections, its figures and deltas."""

    unit_name = ma.fields.String(required=True, dump_only=True)
    cutoff_start = ma.fields.Date(required=True, dump_only=True, metadata={"description": "The period's data from."})
    cutoff_end = ma.fields.Date(required=True, dump_only=True, metadata={"description": "…to (Decree 09/2019)."})
    number = _line("number")
    place = _line("place")
    issuer = _line("issuer")
    signer_authority = _line("signer_authority")
    signer_title = _line("signer_title")
    signer_name = _line("signer_name")
    recipients = _text("Nơi nhận, one a line.")
    achievements = _text(SECTION_NAMES["achievements"])
    shortcomings = _text(SECTION_NAMES["shortcomings"])
    causes = _text(SECTION_NAMES["causes"])
    next_steps = _text(SECTION_NAMES["next_steps"])
    proposals = _text(SECTION_NAMES["proposals"])
    returned_by = ma.fields.String(
        required=True, allow_none=True, dump_only=True, metadata={"description": "The name of who returned it."}
    )
    return_reason = ma.fields.String(required=True, dump_only=True, metadata={"description": "Blank unless returned."})
    frozen = ma.fields.Boolean(
        required=True,
        dump_only=True,
        metadata={"description": "true: the figures were stored on submission; false: a draft's, read live."},
    )
    figures = ma.fields.Nested(ReportFiguresSchema, required=True, dump_only=True)
    deltas = ma.fields.Nested(
        ReportDeltasSchema,
        required=True,
        allow_none=True,
        dump_only=True,
        metadata={"description": "Against the previous period's submitted report; null when there is none."},
    )
    revisions = ma.fields.List(
        ma.fields.Nested(RevisionSchema),
        required=True,
        dump_only=True,
        metadata={"description": "The other revisions of the unit's report for the period, the latest first."},
    )


# --- bodies ----------------------------------------------------------------------------------------------------


@echoes(UnitReportSchema)
class ReportCreate(Body):
    period = PeriodKey(required=True, needed=NEED_PERIOD)


def _line_in(name: str) -> Text:
    return Text(allow_none=True, max_length=services.LINE_LIMITS[name], metadata={"description": "One line."})


def _text_in(description: str) -> Text:
    return Text(allow_none=True, max_length=services.TEXT_LIMIT, metadata={"description": description})


@echoes(ReportDetailSchema)
class ReportPatch(Body):
    """A draft's header, footer and narrative (services.EDITABLE); null clears a field."""

    version = Integer(allow_none=True, metadata=OPTIONAL_VERSION)
    number = _line_in("number")
    place = _line_in("place")
    issuer = _line_in("issuer")
    signer_authority = _line_in("signer_authority")
    signer_title = _line_in("signer_title")
    signer_name = _line_in("signer_name")
    recipients = _text_in("Nơi nhận, one a line.")
    achievements = _text_in(SECTION_NAMES["achievements"])
    shortcomings = _text_in(SECTION_NAMES["shortcomings"])
    causes = _text_in(SECTION_NAMES["causes"])
    next_steps = _text_in(SECTION_NAMES["next_steps"])
    proposals = _text_in(SECTION_NAMES["proposals"])


class ReportSubmit(Body):
    version = Integer(allow_none=True, metadata=OPTIONAL_VERSION)


class ReportReturn(Body):
    reason = Text(required=True, needed=NEED_REASON, max_length=services.TEXT_LIMIT, metadata={"description": "Lý do."})
    version = Integer(allow_none=True, metadata=OPTIONAL_VERSION)


# --- the level above -------------------------------------------------------------------------------------------


class ReportingQuery(Query):
    period = PeriodKey(required=True, needed=NEED_PERIOD)


class ReportingRowSchema(ma.Schema):
    """A subordinate expected to report for the period, and how it did."""

    unit_id = ma.fields.Integer(required=True)
    name = ma.fields.String(required=True)
    due_on = ma.fields.Date(required=True)
    report_id = ma.fields.Function(
        lambda row: row.report.id if row.report else None,
        required=True,
        metadata={"type": ["integer", "null"], "description": "Its latest revision for the period, if any."},
    )
    state = ma.fields.Function(
        lambda row: row.report.state.value if row.report else None,
        required=True,
        metadata={**STATES, "type": ["string", "null"], "enum": [*STATES["enum"], None]},
    )
    submitted_report_id = ma.fields.Function(
        lambda row: row.submitted.id if row.submitted else None,
        required=True,
        metadata={"type": ["integer", "null"], "description": "Its report of record: the latest submitted revision."},
    )
    submitted_on = ma.fields.Date(required=True, allow_none=True)
    on_time = ma.fields.Boolean(required=True, metadata={"description": "Submitted on or before its due day."})
    figures = ma.fields.Nested(
        ReportFiguresSchema,
        required=True,
        allow_none=True,
        metadata={"description": "The submitted figures; null while it has not submitted."},
    )


class MissingUnitSchema(ma.Schema):
    unit_id = ma.fields.Integer(required=True)
    name = ma.fields.String(required=True)
    due_on = ma.fields.Date(required=True)


class ReportingRatesSchema(ma.Schema):
    submitted = ratio("submitted ÷ expected (null when none is expected).")
    on_time = ratio("on_time ÷ expected.")


class ReportingTotalsSchema(ma.Schema):
    """The sums of the submitted reports' figures (a unit that has not submitted adds nothing)."""

    split = ma.fields.Nested(ReportSplitSchema, required=True)
    registries = ma.fields.Nested(ReportRegistriesSchema, required=True)


def _length(name: str, description: str) -> ma.fields.Function:
    return ma.fields.Function(
        lambda r: len(getattr(r, name)),
        required=True,
        metadata={"type": "integer", "minimum": 0, "description": description},
    )


class ReportingSchema(ma.Schema):
    """DHIS2's reporting rate summary of a unit's subordinates for a period, and the consolidated figures."""

    unit_id = ma.fields.Integer(required=True)
    period = ma.fields.String(required=True, metadata=PERIOD)
    period_label = ma.fields.Function(lambda r: r.period.label, required=True, metadata={"type": "string"})
    expected = count("Subordinates expected to report (per their schedules).")
    submitted = _length("submitted", "Those that submitted.")
    on_time = _length("on_time", "Those that submitted on or before their due day.")
    missing = ma.fields.List(
        ma.fields.Nested(MissingUnitSchema), required=True, metadata={"description": "Not submitted, by name."}
    )
    rates = NestedFrom(
        ReportingRatesSchema,
        required=True,
        read=lambda r: {"submitted": r.rate(r.submitted), "on_time": r.rate(r.on_time)},
    )
    rows = ma.fields.List(ma.fields.Nested(ReportingRowSchema), required=True)
    totals = NestedFrom(ReportingTotalsSchema, required=True, read=lambda r: r)
