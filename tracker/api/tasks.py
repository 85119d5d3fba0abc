"""/api/v1 tasks of a program and their dated updates; PATCH and updates carry the version read (stale → 409). The
responses dump the derived TaskState (tracker.programs.progress) and the TaskUpdate rows themselves."""
from decimal import Decimal as D

from flask import abort, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from tracker.api.contract import LOCATION, bp
from tracker.api.fields import named_as
from tracker.api.helpers import get_or_404
from tracker.api.programs import load_program
from tracker.api.queries import Paged, With, page
from tracker.api.tasks_schemas import (
    TaskCreate,
    TaskDetailSchema,
    TaskListSchema,
    TaskPatch,
    TaskQuery,
    TaskSavedSchema,
    TaskUpdateCreate,
    TaskUpdateCreatedSchema,
    TaskUpdateListSchema,
)
from tracker.auth.access import EVERYONE, MANAGERS, STAFF, allow, check_manage, check_scope
from tracker.errors import ValidationError
from tracker.extensions import db
from tracker.programs import services
from tracker.programs.models import Lifecycle, MeasureKind, Program, Task, TaskCategory, TaskSource, TaskUpdate
from tracker.programs.progress import TaskState, evaluate_program, evaluate_task


def load_task(task_id: int) -> Task:
    return get_or_404(Task, task_id, _("Không có nhiệm vụ nào có id %(id)d.", id=task_id))


def _task_fields(body: dict, program: Program, task: Task | None) -> services.TaskFields:
    """The TaskFields of a POST (defaults of a new task) or a PATCH (fields left out keep their value)."""

    def now(name: str, fallback=None):
        return getattr(task, name) if task is not None else fallback

    if body.get("program_id") not in (None, program.id):
        raise ValidationError({"program_id": _("Không thể chuyển nhiệm vụ sang chương trình khác.")})

    def text(name: str) -> str:
        return body.get(name, now(name, "")) or ""  # lengths are the service's to check

    def own(name: str, fallback: D | None) -> D | None:
        # A task with sub-tasks reads null here (it has no baseline or target of its own): sent back, null keeps
        # the stored one; any other change is the service's to refuse.
        if task is not None and task.children and name in body and body[name] is None:
            return now(name)
        return body.get(name, now(name, fallback))

    board = body.get("source_board", now("source_board"))
    return services.TaskFields(
        title=body.get("title", now("title")) or "",
        description=text("description"),
        owner_name=text("owner_name"),
        owner_user=body.get("owner_user", now("owner_user")),
        owner_member=body.get("owner_member", now("owner_member")),
        responsible=text("responsible"),
        deadline=body.get("deadline", now("deadline")),
        expected_result=text("expected_result"),
        category=body.get("category", now("category", TaskCategory.OTHER)),
        weight=body.get("weight", now("weight", D(1))),
        update_every_days=body.get("update_every_days", now("update_every_days")),
        measure_kind=body.get("measure_kind", now("measure_kind", MeasureKind.COUNT)),
        baseline=own("baseline", D(0)),
        target=own("target", None),
        unit_label=text("unit_label"),
        source=body.get("source", now("source", TaskSource.MANUAL)),
        source_site_kind=body.get("source_site_kind", now("source_site_kind")),
        source_board_id=board.id if board is not None else None,
        parent=body.get("parent", now("parent")),
    )


def _lifecycle(body: dict, task: Task | None) -> tuple[str, str]:
    lifecycle = body.get("lifecycle", task.lifecycle.value if task is not None else Lifecycle.ACTIVE.value)
    reason = body.get("reason", task.lifecycle_reason if task is not None else "") or ""
    return lifecycle, reason


@bp.get("/programs/<int:program_id>/tasks")
@allow(EVERYONE)
@bp.arguments(TaskQuery, location="query")
@bp.response(200, TaskListSchema, description="A page of tasks.")
@bp.refuses(401, 403, 404)
def list_tasks(args: dict, program_id: int):
    """The program's task tree in display order (parents before their sub-tasks)"""
    program = load_program(program_id)
    check_scope(program.unit_id)
    status, category, owner = args.get("status"), args.get("category"), args.get("owner_user_id")
    states: list[TaskState] = [
        s
        for s in evaluate_program(program).tasks  # the whole tree in display order, parents before children
        if (status is None or s.status == status)
        and (category is None or s.task.category == category)
        and (owner is None or s.task.owner_user_id == owner)
    ]
    start = (args["page"] - 1) * args["per_page"]
    items = states[start : start + args["per_page"]]
    return {"items": items, "total": len(states), "page": args["page"], "per_page": args["per_page"]}


@bp.post("/programs/<int:program_id>/tasks")
@allow(MANAGERS)
@bp.arguments(TaskCreate)
@bp.response(201, TaskSavedSchema, description="Created; Location names the new task.", headers=LOCATION)
@bp.refuses(400, 401, 403, 404)
def create_task(body: dict, program_id: int):
    """Add a task or, with parent_id, a sub-task (managers, in scope)"""
    program = load_program(program_id)
    check_manage(program.unit_id)
    fields = _task_fields(body, program, None)
    lifecycle, reason = _lifecycle(body, None)
    with named_as(TaskCreate):
        saved = services.create_task(program, fields)
        if lifecycle != Lifecycle.ACTIVE:
            services.set_lifecycle(saved.row, lifecycle, reason, expected_version=None)
    db.session.commit()
    location = url_for("api.get_task", task_id=saved.row.id)
    return With(evaluate_task(saved.row), warnings=saved.warnings), {"Location": location}


@bp.get("/tasks/<int:task_id>")
@allow(EVERYONE)
@bp.response(200, TaskDetailSchema, description="The task.")
@bp.refuses(401, 403, 404)
def get_task(task_id: int):
    """One task with its derived value, progress, status and flags"""
    task = load_task(task_id)
    check_scope(task.unit_id)
    return evaluate_task(task)


@bp.patch("/tasks/<int:task_id>")
@allow(MANAGERS)
@bp.arguments(
    TaskPatch,
    description="Fields left out keep their value; read-only fields of Task are accepted and ignored. The value is "
    "not set here: POST an update. A task with sub-tasks takes its progress from them: changing its measure_kind, "
    "baseline, target or source is refused (422 on the field); the values read may be sent back (its null baseline "
    "and target keep the stored ones).",
)
@bp.response(200, TaskSavedSchema, description="The task as saved.")
@bp.refuses(400, 401, 403, 404, 409)
def update_task(body: dict, task_id: int):
    """Edit, pause, cancel or resume a task (managers, in scope); needs the version last read"""
    task = load_task(task_id)
    check_manage(task.unit_id)
    fields = _task_fields(body, task.program, task)
    lifecycle, reason = _lifecycle(body, task)
    with named_as(TaskPatch):
        saved = services.update_task(task, fields, expected_version=body["version"])
        if (lifecycle, reason) != (task.lifecycle.value, task.lifecycle_reason):
            services.set_lifecycle(task, lifecycle, reason, expected_version=None)  # version checked just above
    db.session.commit()
    return With(evaluate_task(task), warnings=saved.warnings)


@bp.get("/tasks/<int:task_id>/updates")
@allow(EVERYONE)
@bp.arguments(Paged, location="query")
@bp.response(200, TaskUpdateListSchema, description="A page of updates.")
@bp.refuses(401, 403, 404)
def list_task_updates(args: dict, task_id: int):
    """The task's dated history, newest first"""
    task = load_task(task_id)
    check_scope(task.unit_id)
    stmt = select(TaskUpdate).where(TaskUpdate.task_id == task.id).order_by(TaskUpdate.at.desc(), TaskUpdate.id.desc())
    return page(stmt, args)


@bp.post("/tasks/<int:task_id>/updates")
@allow(STAFF)
@bp.arguments(TaskUpdateCreate)
@bp.response(201, TaskUpdateCreatedSchema, description="Recorded.")
@bp.refuses(400, 401, 403, 404, 409)
@bp.doc(description="Live-linked, cancelled and parent tasks take no typed value (422 on `value`).")
def create_task_update(body: dict, task_id: int):
    """Record a new value (managers in scope; members on the tasks they own)"""
    task = load_task(task_id)
    check_scope(task.unit_id)
    if not services.may_update(current_user, task):
        abort(403)
    with named_as(TaskUpdateCreate):
        update = services.add_update(
            task,
            current_user,
            body.get("value"),
            note=body.get("note") or "",
            evidence_document=body.get("evidence_document"),
            evidence_url=body.get("evidence_url"),
            expected_version=body.get("version"),
            confirmed=body.get("confirm", False),
        )
    db.session.commit()
    return With(update, task=evaluate_task(task))
