"""/api/v1 programs: the figures come from tracker.programs.progress, writes from its services. The responses dump the
derived states (ProgramState) themselves; the unit summary is tracker.api.units'."""

import marshmallow as ma
from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from tracker.api.contract import LOCATION, bp
from tracker.api.fields import Body, Boolean, Day, DecimalText, Integer, RowRef, Text, UnitRef, echoes
from tracker.api.helpers import get_or_404, listed_units
from tracker.api.queries import NestedFrom, Paged, QueryChoice, QueryInt, page, page_schema
from tracker.auth.access import EVERYONE, MANAGERS, allow, check_manage, check_scope
from tracker.documents.models import Document
from tracker.errors import ValidationError
from tracker.extensions import db
from tracker.programs import services
from tracker.programs.models import Program
from tracker.programs.progress import evaluate, evaluate_program
from tracker.programs.rules import Status

NEED_UNIT = _l("Hãy chọn đơn vị có chương trình, kế hoạch (unit_id).")
NEED_TITLE = _l("Hãy nhập tên chương trình, kế hoạch.")
NEED_VERSION = _l("Hãy gửi kèm phiên bản (version) của chương trình đã đọc, để không ghi đè thay đổi của người khác.")
NO_DOCUMENT = _l("Không có văn bản nào có id %(id)s trong phạm vi của bạn.")
ARCHIVED = ("false", "true", "all")


def ratio(description: str, **kwargs) -> ma.fields.Float:
    """A share as a JSON number, 1 = 100% (null when nothing counts)."""
    return ma.fields.Float(allow_none=True, metadata={"minimum": 0, "maximum": 1, "description": description}, **kwargs)


# --- figures: a percentage that explains itself -----------------------------------------------------------------


class FigureItemSchema(ma.Schema):
    label = ma.fields.String(required=True)
    value = ma.fields.Float(required=True, allow_none=True)
    weight = DecimalText(required=True, allow_none=True)
    excluded = ma.fields.String(
        required=True, allow_none=True, metadata={"description": "Why it was left out, if it was."}
    )


class FigureSchema(ma.Schema):
    """A percentage that explains itself: its formula and the items behind it."""

    value = ratio("A share: 1 = 100%.", required=True)
    formula = ma.fields.String(required=True, metadata={"description": "Vietnamese."})
    items = ma.fields.List(ma.fields.Nested(FigureItemSchema), required=True)


_BY_STATUS = {s.value: ma.fields.Integer(required=True, validate=ma.validate.Range(min=0)) for s in Status}


class StatusCountsSchema(ma.Schema.from_dict(_BY_STATUS)):
    """Top-level tasks by status (every status present, zeros included)."""

    @ma.pre_dump
    def _every_status(self, counts: dict[Status, int], **kwargs) -> dict[str, int]:
        return {s.value: counts.get(s, 0) for s in Status}


# --- programs ---------------------------------------------------------------------------------------------------


class ProgramSchema(ma.Schema):
    """A program (a ProgramState) with its progress."""

    id = ma.fields.Integer(required=True, dump_only=True, attribute="program.id")
    unit_id = ma.fields.Integer(required=True, attribute="program.unit_id")
    title = ma.fields.String(required=True, attribute="program.title")
    basis_document_id = ma.fields.Integer(
        allow_none=True, attribute="program.basis_document_id", metadata={"description": "A document in scope."}
    )
    starts_on = ma.fields.Date(allow_none=True, attribute="program.starts_on")
    ends_on = ma.fields.Date(allow_none=True, attribute="program.ends_on")
    is_public = ma.fields.Boolean(
        attribute="program.is_public", metadata={"description": "Shown on the public progress page."}
    )
    is_archived = ma.fields.Boolean(
        attribute="program.is_archived", metadata={"description": "Hidden from dashboards and roll-ups."}
    )
    progress = ratio(
        "Weighted mean of the active top-level tasks.", required=True, dump_only=True, attribute="progress.value"
    )
    completion = ratio("Tasks due that are completed.", required=True, dump_only=True, attribute="completion.value")
    on_time = ratio("Completed on time ÷ completed.", required=True, dump_only=True, attribute="on_time.value")
    status_counts = ma.fields.Nested(StatusCountsSchema, dump_only=True)
    task_count = ma.fields.Function(
        lambda state: len(state.tasks), dump_only=True, metadata={"type": "integer", "minimum": 0}
    )
    version = ma.fields.Integer(required=True, dump_only=True, attribute="program.version")
    created_at = ma.fields.DateTime(dump_only=True, attribute="program.created_at")
    updated_at = ma.fields.DateTime(dump_only=True, attribute="program.updated_at")


class ProgramFiguresSchema(ma.Schema):
    progress = ma.fields.Nested(FigureSchema, required=True)
    completion = ma.fields.Nested(FigureSchema, required=True)
    on_time = ma.fields.Nested(FigureSchema, required=True)


class ProgramDetailSchema(ProgramSchema):
    figures = NestedFrom(ProgramFiguresSchema, read=lambda state: state, required=True)


ProgramListSchema = page_schema(ProgramSchema)


class ProgramQuery(Paged):
    unit_id = QueryInt(metadata={"description": "Programs of this unit, its subordinates and predecessors."})
    archived = QueryChoice(
        ARCHIVED,
        normalise=str.lower,
        metadata={
            "description": "Archived programs: left out (false, the default), only them (true), or both (all).",
            "default": "false",
        },
    )


@echoes(ProgramDetailSchema)
class ProgramCreate(Body):
    unit_id = UnitRef(required=True, needed=NEED_UNIT, attribute="unit", check=check_manage)
    title = Text(required=True, needed=NEED_TITLE)
    basis_document_id = RowRef(
        Document,
        not_found=NO_DOCUMENT,
        allow_none=True,
        attribute="basis_document",
        metadata={"description": "A document in the user's scope."},
    )
    starts_on = Day(allow_none=True)
    ends_on = Day(allow_none=True)
    is_public = Boolean(metadata={"description": "Shown on the public progress page."})


@echoes(ProgramDetailSchema)
class ProgramPatch(Body):
    version = Integer(
        required=True, needed=NEED_VERSION, metadata={"description": "The `version` last read; a stale one gives 409."}
    )
    title = Text(needed=NEED_TITLE)
    basis_document_id = ProgramCreate._declared_fields["basis_document_id"]
    starts_on = Day(allow_none=True)
    ends_on = Day(allow_none=True)
    is_public = Boolean(metadata={"description": "Shown on the public progress page."})
    is_archived = Boolean(metadata={"description": "Hidden from dashboards and roll-ups."})
    unit_id = Integer(allow_none=True, metadata={"description": "May only repeat the current unit."})


def load_program(program_id: int) -> Program:
    return get_or_404(Program, program_id, _("Không có chương trình nào có id %(id)d.", id=program_id))


@bp.get("/programs")
@allow(EVERYONE)
@bp.arguments(ProgramQuery, location="query")
@bp.response(200, ProgramListSchema, description="A page of programs.")
@bp.refuses(401, 403)
def list_programs(args: dict):
    """Programs in the user's scope, with their progress; newest period first"""
    unit_ids = listed_units(args.get("unit_id"))
    stmt = select(Program)
    if unit_ids is not None:
        stmt = stmt.where(Program.unit_id.in_(unit_ids))
    archived = args.get("archived", "false")
    if archived != "all":
        stmt = stmt.where(Program.is_archived.is_(archived == "true"))
    listing = page(stmt.order_by(Program.starts_on.desc().nulls_last(), Program.id), args)
    states = evaluate(listing["items"])  # the whole page at once: a fixed number of queries
    return listing | {"items": [states[p.id] for p in listing["items"]]}


@bp.post("/programs")
@allow(MANAGERS)
@bp.arguments(ProgramCreate)
@bp.response(201, ProgramDetailSchema, description="Created; Location names the new program.", headers=LOCATION)
@bp.refuses(400, 401, 403)
def create_program(body: dict):
    """Create a program (managers, in scope)"""
    program = services.create_program(
        body["unit"],
        body["title"],
        basis_document=body.get("basis_document"),
        starts_on=body.get("starts_on"),
        ends_on=body.get("ends_on"),
        is_public=body.get("is_public", False),
    )
    db.session.commit()
    return evaluate_program(program), {"Location": url_for("api.get_program", program_id=program.id)}


@bp.get("/programs/<int:program_id>")
@allow(EVERYONE)
@bp.response(200, ProgramDetailSchema, description="The program.")
@bp.refuses(401, 403, 404)
def get_program(program_id: int):
    """One program, with its figures explained"""
    program = load_program(program_id)
    check_scope(program.unit_id)
    return evaluate_program(program)


@bp.patch("/programs/<int:program_id>")
@allow(MANAGERS)
@bp.arguments(
    ProgramPatch,
    description="Fields left out keep their value; read-only fields of Program are accepted and ignored.",
)
@bp.response(200, ProgramDetailSchema, description="The program as saved.")
@bp.refuses(400, 401, 403, 404, 409)
def update_program(body: dict, program_id: int):
    """Edit or archive a program (managers, in scope); needs the version last read"""
    program = load_program(program_id)
    check_manage(program.unit_id)
    if body.get("unit_id") not in (None, program.unit_id):
        raise ValidationError(
            {"unit_id": _("Không thể chuyển chương trình sang đơn vị khác; hãy tạo chương trình mới.")}
        )
    services.update_program(
        program,
        expected_version=body["version"],
        title=body.get("title", program.title),
        basis_document=body.get("basis_document", program.basis_document),
        starts_on=body.get("starts_on", program.starts_on),
        ends_on=body.get("ends_on", program.ends_on),
        is_public=body.get("is_public", program.is_public),
        is_archived=body.get("is_archived", program.is_archived),
    )
    db.session.commit()
    return evaluate_program(program)
