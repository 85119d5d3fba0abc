"""/api/v1 tasks of a program and their dated updates; PATCH and updates carry the version read (stale → 409)."""

from decimal import Decimal

from flask import abort, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from tracker.api.bodies import Body, api_field_names
from tracker.api.helpers import json_object, page_of, paging, query_choice, query_int
from tracker.api.programs import load_program
from tracker.api.schemas import task_detail_json, task_json, task_update_json
from tracker.api.views import bp
from tracker.auth.access import EVERYONE, MANAGERS, STAFF, allow, check_manage, check_scope
from tracker.auth.models import User
from tracker.boards.models import Board, Membership
from tracker.db import get_row
from tracker.documents.models import Document
from tracker.errors import ValidationError, abort_with
from tracker.extensions import db
from tracker.programs import services
from tracker.programs.models import Lifecycle, MeasureKind, Program, Task, TaskCategory, TaskSource, TaskUpdate
from tracker.programs.progress import evaluate_program, evaluate_task
from tracker.programs.rules import Status
from tracker.sites.models import SiteKind

FIELDS = (
    "parent_id",
    "title",
    "description",
    "owner_name",
    "owner_user_id",
    "owner_member_id",
    "responsible",
    "deadline",
    "expected_result",
    "category",
    "weight",
    "update_every_days",
    "lifecycle",
    "lifecycle_reason",
    "measure_kind",
    "baseline",
    "target",
    "unit_label",
    "source",
    "source_site_kind",
    "source_board_id",
    "program_id",
)
READ_ONLY = (
    "id",
    "depth",
    "value",
    "rolled_up",
    "children",
    "progress",
    "achievement",
    "status",
    "flags",
    "completed_on",
    "explain",
    "warnings",
    "created_at",
    "updated_at",
)
UPDATE_FIELDS = ("value", "note", "evidence_document_id", "evidence_url", "version", "confirm")
UPDATE_READ_ONLY = ("id", "task_id", "at", "user_id", "task")


def load_task(task_id: int) -> Task:
    task = get_row(Task, task_id)
    if task is None:
        abort_with(404, _("Không có nhiệm vụ nào có id %(id)d.", id=task_id))
    return task


def _task_fields(body: Body, program: Program, task: Task | None) -> services.TaskFields:
    """The TaskFields of a POST (defaults of a new task) or a PATCH (absent fields keep their value)."""

    def now(name: str, fallback=None):
        return getattr(task, name) if task is not None else fallback

    if body.integer("program_id", default=program.id) not in (None, program.id):
        body.errors["program_id"] = _("Không thể chuyển nhiệm vụ sang chương trình khác.")
    days = body.integer("update_every_days", default=now("update_every_days"))

    def text(name: str) -> str:
        return body.text(name, default=now(name, "")) or ""  # lengths are the service's to check

    def own(name: str, fallback: Decimal | None) -> Decimal | None:
        # A task with sub-tasks reads null here (it has no baseline or target of its own): sent back, null keeps
        # the stored one; any other change is the service's to refuse.
        if task is not None and task.children and name in body.data and body.data[name] is None:
            return now(name)
        return body.decimal(name, default=now(name, fallback))

    board = body.row(
        "source_board_id", Board, _("Không có Ban nào có id %(id)s trong phạm vi của bạn."), now("source_board")
    )

    return services.TaskFields(
        title=body.text("title", _("Hãy nhập tên nhiệm vụ (rõ việc)."), default=now("title")) or "",
        description=text("description"),
        owner_name=text("owner_name"),
        owner_user=body.row(
            "owner_user_id", User, _("Không có người dùng nào có id %(id)s trong phạm vi của bạn."), now("owner_user")
        ),
        owner_member=body.row(
            "owner_member_id",
            Membership,
            _("Không có thành viên Ban nào có id %(id)s trong phạm vi của bạn."),
            now("owner_member"),
        ),
        responsible=text("responsible"),
        deadline=body.date("deadline", default=now("deadline")),
        expected_result=text("expected_result"),
        category=body.choice("category", TaskCategory, now("category", TaskCategory.OTHER)),
        weight=body.decimal("weight", default=now("weight", Decimal(1))),
        update_every_days=days,
        measure_kind=body.choice("measure_kind", MeasureKind, now("measure_kind", MeasureKind.COUNT)),
        baseline=own("baseline", Decimal(0)),
        target=own("target", None),
        unit_label=text("unit_label"),
        source=body.choice("source", TaskSource, now("source", TaskSource.MANUAL)),
        source_site_kind=body.choice("source_site_kind", SiteKind, now("source_site_kind"), nullable=True),
        source_board_id=board.id if board is not None else None,
        parent=body.row(
            "parent_id", Task, _("Không có nhiệm vụ nào có id %(id)s trong phạm vi của bạn."), now("parent")
        ),
    )


def _lifecycle(body: Body, task: Task | None) -> tuple[str, str]:
    current = task.lifecycle.value if task is not None else Lifecycle.ACTIVE.value
    lifecycle = body.choice("lifecycle", Lifecycle, current)
    reason = body.text("lifecycle_reason", default=task.lifecycle_reason if task is not None else "") or ""
    return lifecycle, reason


@bp.get("/programs/<int:program_id>/tasks")
@allow(EVERYONE)
def list_tasks(program_id: int):
    program = load_program(program_id)
    check_scope(program.unit_id)
    errors: dict[str, str] = {}
    status = query_choice("status", [s.value for s in Status], errors)
    category = query_choice("category", [c.value for c in TaskCategory], errors)
    owner_user_id = query_int("owner_user_id", errors)
    page, per_page = paging(errors)
    if errors:
        raise ValidationError(errors)
    states = [
        s
        for s in evaluate_program(program).tasks  # the whole tree in display order, parents before children
        if (status is None or s.status == status)
        and (category is None or s.task.category == category)
        and (owner_user_id is None or s.task.owner_user_id == owner_user_id)
    ]
    start = (page - 1) * per_page
    items = [task_json(s) for s in states[start : start + per_page]]
    return {"items": items, "total": len(states), "page": page, "per_page": per_page}


@bp.post("/programs/<int:program_id>/tasks")
@allow(MANAGERS)
def create_task(program_id: int):
    program = load_program(program_id)
    check_manage(program.unit_id)
    body = Body(json_object(), FIELDS, READ_ONLY + ("version",))
    fields = _task_fields(body, program, None)
    lifecycle, reason = _lifecycle(body, None)
    body.check()
    with api_field_names():
        saved = services.create_task(program, fields)
        if lifecycle != Lifecycle.ACTIVE:
            services.set_lifecycle(saved.row, lifecycle, reason, expected_version=None)
    db.session.commit()
    location = url_for("api.get_task", task_id=saved.row.id)
    return task_detail_json(evaluate_task(saved.row)) | {"warnings": saved.warnings}, 201, {"Location": location}


@bp.get("/tasks/<int:task_id>")
@allow(EVERYONE)
def get_task(task_id: int):
    task = load_task(task_id)
    check_scope(task.unit_id)
    return task_detail_json(evaluate_task(task))


@bp.patch("/tasks/<int:task_id>")
@allow(MANAGERS)
def update_task(task_id: int):
    task = load_task(task_id)
    check_manage(task.unit_id)
    body = Body(json_object(), FIELDS + ("version",), READ_ONLY)
    version = body.integer(
        "version",
        _("Hãy gửi kèm phiên bản (version) của nhiệm vụ đã đọc, để không ghi đè thay đổi của người khác."),
    )
    fields = _task_fields(body, task.program, task)
    lifecycle, reason = _lifecycle(body, task)
    body.check()
    with api_field_names():
        saved = services.update_task(task, fields, expected_version=version)
        if (lifecycle, reason) != (task.lifecycle.value, task.lifecycle_reason):
            services.set_lifecycle(task, lifecycle, reason, expected_version=None)  # version checked just above
    db.session.commit()
    return task_detail_json(evaluate_task(task)) | {"warnings": saved.warnings}


@bp.get("/tasks/<int:task_id>/updates")
@allow(EVERYONE)
def list_task_updates(task_id: int):
    task = load_task(task_id)
    check_scope(task.unit_id)
    errors: dict[str, str] = {}
    page, per_page = paging(errors)
    if errors:
        raise ValidationError(errors)
    stmt = select(TaskUpdate).where(TaskUpdate.task_id == task.id).order_by(TaskUpdate.at.desc(), TaskUpdate.id.desc())
    return page_of(stmt, page, per_page, task_update_json)


@bp.post("/tasks/<int:task_id>/updates")
@allow(STAFF)
def create_task_update(task_id: int):
    task = load_task(task_id)
    check_scope(task.unit_id)
    if not services.may_update(current_user, task):
        abort(403)
    body = Body(json_object(), UPDATE_FIELDS, UPDATE_READ_ONLY)
    version = body.integer("version")
    value = body.decimal("value")
    note = body.text("note", default="") or ""
    evidence = body.row("evidence_document_id", Document, _("Không có văn bản nào có id %(id)s trong phạm vi của bạn."))
    url = body.text("evidence_url")
    confirmed = body.boolean("confirm", False)
    body.check()
    with api_field_names():
        update = services.add_update(
            task,
            current_user,
            value,
            note=note,
            evidence_document=evidence,
            evidence_url=url,
            expected_version=version,
            confirmed=confirmed,
        )
    db.session.commit()
    return task_update_json(update) | {"task": task_json(evaluate_task(task))}, 201
