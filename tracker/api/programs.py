"""/api/v1 programs and the unit summary: the figures come from tracker.programs.progress, writes from its services."""

from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import select

from tracker.api.bodies import Body
from tracker.api.helpers import body_unit, json_object, listed_units, page_of, paging, query_choice, query_int
from tracker.api.schemas import iso, program_detail_json, program_json, ratio, unit_summary_json
from tracker.api.views import bp
from tracker.auth.access import EVERYONE, MANAGERS, allow, check_manage, check_scope
from tracker.db import get_row, local_today
from tracker.documents.models import Document
from tracker.errors import ValidationError, abort_with
from tracker.extensions import db
from tracker.programs import services
from tracker.programs.models import Program
from tracker.programs.progress import ProgramState, evaluate, evaluate_program
from tracker.programs.summary import summarize_unit
from tracker.units.models import Unit

FIELDS = ("unit_id", "title", "basis_document_id", "starts_on", "ends_on", "is_public")
READ_ONLY = (
    "id",
    "progress",
    "completion",
    "on_time",
    "status_counts",
    "task_count",
    "figures",
    "created_at",
    "updated_at",
)
ARCHIVED = ("false", "true", "all")


def _required() -> dict[str, str]:
    return {
        "unit_id": _("Hãy chọn đơn vị có chương trình, kế hoạch (unit_id)."),
        "title": _("Hãy nhập tên chương trình, kế hoạch."),
        "version": _(
            "Hãy gửi kèm phiên bản (version) của chương trình đã đọc, để không ghi đè thay đổi của người khác."
        ),
    }


def load_program(program_id: int) -> Program:
    program = get_row(Program, program_id)
    if program is None:
        abort_with(404, _("Không có chương trình nào có id %(id)d.", id=program_id))
    return program


def _basis(body: Body, current: Document | None = None) -> Document | None:
    return body.row(
        "basis_document_id", Document, _("Không có văn bản nào có id %(id)s trong phạm vi của bạn."), current
    )


@bp.get("/units/<int:unit_id>/summary")
@allow(EVERYONE)
def unit_summary(unit_id: int):
    unit = get_row(Unit, unit_id)
    if unit is None:
        abort_with(404, _("Không có đơn vị nào có id %(id)d.", id=unit_id))
    check_scope(unit.id)
    today = local_today()
    summary = summarize_unit(unit.id, today)
    return unit_summary_json(summary, today) | {"ended_programs": _ended_json(summary.ended)}


def _ended_json(ended: list[ProgramState]) -> list[dict]:
    """Programs past their end in the unit's subtree, as the dashboard lists them apart: the latest to end first,
    each with its final progress (read as of its close); no roll-up of the summary counts them."""
    ended = sorted(ended, key=lambda s: (-s.program.ends_on.toordinal(), s.program.title, s.program.id))
    return [
        {
            "id": s.program.id,
            "unit_id": s.program.unit_id,
            "title": s.program.title,
            "ends_on": iso(s.program.ends_on),
            "progress": ratio(s.progress.value),
        }
        for s in ended
    ]


@bp.get("/programs")
@allow(EVERYONE)
def list_programs():
    errors: dict[str, str] = {}
    unit_id = query_int("unit_id", errors)
    archived = query_choice("archived", ARCHIVED, errors, normalise=str.lower) or "false"
    page, per_page = paging(errors)
    if errors:
        raise ValidationError(errors)
    unit_ids = listed_units(unit_id)
    stmt = select(Program)
    if unit_ids is not None:
        stmt = stmt.where(Program.unit_id.in_(unit_ids))
    if archived != "all":
        stmt = stmt.where(Program.is_archived.is_(archived == "true"))
    stmt = stmt.order_by(Program.starts_on.desc().nulls_last(), Program.id)
    listing = page_of(stmt, page, per_page, lambda program: program)
    states = evaluate(listing["items"])  # the whole page at once: a fixed number of queries
    listing["items"] = [program_json(states[p.id]) for p in listing["items"]]
    return listing


@bp.post("/programs")
@allow(MANAGERS)
def create_program():
    body = Body(json_object(), FIELDS, READ_ONLY + ("version", "is_archived"))
    need = _required()
    unit = body_unit(body, need["unit_id"])
    title = body.text("title", need["title"])
    basis = _basis(body)
    starts_on, ends_on = body.date("starts_on"), body.date("ends_on")
    is_public = body.boolean("is_public", default=False)
    body.check()
    program = services.create_program(
        unit, title, basis_document=basis, starts_on=starts_on, ends_on=ends_on, is_public=is_public
    )
    db.session.commit()
    location = url_for("api.get_program", program_id=program.id)
    return program_detail_json(evaluate_program(program)), 201, {"Location": location}


@bp.get("/programs/<int:program_id>")
@allow(EVERYONE)
def get_program(program_id: int):
    program = load_program(program_id)
    check_scope(program.unit_id)
    return program_detail_json(evaluate_program(program))


@bp.patch("/programs/<int:program_id>")
@allow(MANAGERS)
def update_program(program_id: int):
    program = load_program(program_id)
    check_manage(program.unit_id)
    body = Body(json_object(), FIELDS + ("is_archived", "version"), READ_ONLY)
    need = _required()
    version = body.integer("version", need["version"])
    unit_id = body.integer("unit_id", default=program.unit_id)
    if unit_id is not None and unit_id != program.unit_id:
        body.errors["unit_id"] = _("Không thể chuyển chương trình sang đơn vị khác; hãy tạo chương trình mới.")
    title = body.text("title", need["title"], default=program.title)
    basis = _basis(body, current=program.basis_document)
    starts_on = body.date("starts_on", default=program.starts_on)
    ends_on = body.date("ends_on", default=program.ends_on)
    is_public = body.boolean("is_public", default=program.is_public)
    is_archived = body.boolean("is_archived", default=program.is_archived)
    body.check()
    services.update_program(
        program,
        expected_version=version,
        title=title,
        basis_document=basis,
        starts_on=starts_on,
        ends_on=ends_on,
        is_public=is_public,
        is_archived=is_archived,
    )
    db.session.commit()
    return program_detail_json(evaluate_program(program))
