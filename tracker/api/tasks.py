"""/api/v1 tasks of a program and their dated updates; PATCH and updates carry the version read (stale → 409). The
responses dump the derived TaskState (tracker.programs.progress) and the TaskUpdate rows themselves."""

from decimal import Decimal as D

import marshmallow as ma
from flask import abort, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from tracker.api.contract import LOCATION, bp
from tracker.api.fields import (
    Body,
    Boolean,
    Choice,
    Day,
    Decimal,
    DecimalText,
    Integer,
    NestedFrom,
    Paged,
    QueryChoice,
    QueryInt,
    RowRef,
    Text,
    With,
    echoes,
    named_as,
    page,
    page_schema,
)
from tracker.api.helpers import get_or_404
from tracker.api.programs import FigureSchema, load_program
from tracker.auth.access import EVERYONE, MANAGERS, STAFF, allow, check_manage, check_scope
from tracker.auth.models import User
from tracker.boards.models import Board, Membership
from tracker.documents.models import Document
from tracker.errors import ValidationError
from tracker.extensions import db
from tracker.programs import services
from tracker.programs.models import Lifecycle, MeasureKind, Program, Task, TaskCategory, TaskSource, TaskUpdate
from tracker.programs.progress import TaskState, evaluate_program, evaluate_task
from tracker.programs.rules import Flag, Status
from tracker.sites.models import SiteKind

NEED_TITLE = _l("Hãy nhập tên nhiệm vụ (rõ việc).")
NEED_VERSION = _l("Hãy gửi kèm phiên bản (version) của nhiệm vụ đã đọc, để không ghi đè thay đổi của người khác.")
NO_DOCUMENT = _l("Không có văn bản nào có id %(id)s trong phạm vi của bạn.")


def _enum(values, **kwargs) -> ma.fields.String:
    """A response's enum value (a StrEnum dumps as its value)."""
    allow_none = kwargs.get("allow_none", False)
    metadata = {"enum": [str(v) for v in values] + ([None] if allow_none else [])} | kwargs.pop("metadata", {})
    return ma.fields.String(metadata=metadata, **kwargs)


class OwnQuantity(DecimalText):
    """A task's own baseline or target: null for a task with sub-tasks, which has none of its own (DESIGN §2.6; what
    it stores is kept, not used)."""

    def serialize(self, attr, obj, accessor=None, **kwargs):
        return None if obj.children else super().serialize(attr, obj, accessor, **kwargs)


class TaskSchema(ma.Schema):
    """A task (a TaskState) and its figures. A task with sub-tasks (rolled_up) takes its progress from them: it has
    no value, target or baseline of its own (null), and updates and changes of its measure are refused (422)."""

    id = ma.fields.Integer(required=True, dump_only=True, attribute="task.id")
    program_id = ma.fields.Integer(required=True, attribute="task.program_id")
    parent_id = ma.fields.Integer(
        allow_none=True,
        attribute="task.parent_id",
        metadata={"description": "A task of the same program; not the task itself or below it."},
    )
    depth = ma.fields.Integer(dump_only=True, metadata={"description": "0 for a top-level task."})
    title = ma.fields.String(required=True, attribute="task.title", metadata={"description": "Rõ việc."})
    description = ma.fields.String(attribute="task.description")
    owner_name = ma.fields.String(attribute="task.owner_name", metadata={"description": "Rõ người."})
    owner_user_id = ma.fields.Integer(
        allow_none=True,
        attribute="task.owner_user_id",
        metadata={"description": "A user in scope; members update the tasks they own."},
    )
    owner_member_id = ma.fields.Integer(
        allow_none=True, attribute="task.owner_member_id", metadata={"description": "Owner through a board seat."}
    )
    responsible = ma.fields.String(
        attribute="task.responsible", metadata={"description": "Rõ trách nhiệm (đơn vị chủ trì)."}
    )
    deadline = ma.fields.Date(allow_none=True, attribute="task.deadline", metadata={"description": "Rõ thời gian."})
    expected_result = ma.fields.String(attribute="task.expected_result", metadata={"description": "Rõ kết quả."})
    category = _enum(TaskCategory, attribute="task.category")
    weight = DecimalText(attribute="task.weight", metadata={"description": "Weight in roll-ups, > 0."})
    update_every_days = ma.fields.Integer(allow_none=True, attribute="task.update_every_days")
    lifecycle = _enum(Lifecycle, attribute="task.lifecycle")
    lifecycle_reason = ma.fields.String(attribute="task.lifecycle_reason")
    measure_kind = _enum(MeasureKind, required=True, attribute="task.measure_kind")
    baseline = OwnQuantity(
        required=True, allow_none=True, attribute="task.baseline", metadata={"description": "null when rolled_up."}
    )
    target = OwnQuantity(
        required=True,
        allow_none=True,
        attribute="task.target",
        metadata={"description": "null when rolled_up (or no target set yet)."},
    )
    unit_label = ma.fields.String(attribute="task.unit_label", metadata={"examples": ["điểm", "thủ tục", "tỷ đồng"]})
    source = _enum(TaskSource, attribute="task.source")
    source_site_kind = _enum(SiteKind, allow_none=True, attribute="task.source_site_kind")
    source_board_id = ma.fields.Integer(
        allow_none=True,
        attribute="task.source_board_id",
        metadata={"description": "The board counted when source is board_members."},
    )
    value = DecimalText(
        required=True,
        allow_none=True,
        dump_only=True,
        metadata={"description": "Latest update, or live registry value; null when rolled_up or never updated."},
    )
    rolled_up = ma.fields.Function(
        lambda state: bool(state.children),
        required=True,
        metadata={"type": "boolean", "description": "true for a task with sub-tasks: its progress is their mean."},
    )
    children = ma.fields.Function(
        lambda state: len(state.children),
        required=True,
        metadata={"type": "integer", "minimum": 0, "description": "Number of sub-tasks."},
    )
    progress = ma.fields.Float(
        required=True,
        dump_only=True,
        metadata={
            "minimum": 0,
            "maximum": 1,
            "description": "clamp((value − baseline) ÷ (target − baseline), 0, 1); sub-tasks: weighted mean.",
        },
    )
    achievement = ma.fields.Float(
        allow_none=True,
        dump_only=True,
        metadata={
            "minimum": 0,
            "description": "value ÷ target, not clamped (1.37 = đạt 137%); target ÷ value for a decrease.",
        },
    )
    status = _enum(Status, required=True, dump_only=True)
    flags = ma.fields.List(_enum(Flag), required=True, dump_only=True)
    completed_on = ma.fields.Date(allow_none=True, dump_only=True)
    version = ma.fields.Integer(required=True, dump_only=True, attribute="task.version")
    created_at = ma.fields.DateTime(dump_only=True, attribute="task.created_at")
    updated_at = ma.fields.DateTime(dump_only=True, attribute="task.updated_at")


class TaskDetailSchema(TaskSchema):
    explain = NestedFrom(
        FigureSchema,
        read=lambda state: state.explain(),
        required=True,
        metadata={"description": "How the progress was computed."},
    )


class TaskSavedSchema(TaskDetailSchema):
    """The task as saved (With(state, warnings=...))."""

    warnings = ma.fields.List(
        ma.fields.String(),
        required=True,
        dump_only=True,
        metadata={"description": "Saved anyway; worth a look (e.g. deadline outside the program's period)."},
    )


TaskListSchema = page_schema(TaskSchema)


class TaskUpdateSchema(ma.Schema):
    id = ma.fields.Integer(required=True, dump_only=True)
    task_id = ma.fields.Integer(required=True, dump_only=True)
    at = ma.fields.DateTime(required=True, dump_only=True)
    user_id = ma.fields.Integer(
        required=True,
        allow_none=True,
        dump_only=True,
        metadata={"description": "null: recorded by the system from a registry."},
    )
    value = DecimalText(required=True)
    note = ma.fields.String(required=True)
    evidence_document_id = ma.fields.Integer(allow_none=True)
    evidence_url = ma.fields.String(allow_none=True, metadata={"format": "uri"})


class TaskUpdateCreatedSchema(TaskUpdateSchema):
    """The update recorded (With(update, task=state)), with the task after it."""

    task = ma.fields.Nested(
        TaskSchema, required=True, dump_only=True, metadata={"description": "The task after the update."}
    )


TaskUpdateListSchema = page_schema(TaskUpdateSchema)


class TaskQuery(Paged):
    status = QueryChoice([s.value for s in Status], metadata={"description": "Only tasks with this status."})
    category = QueryChoice([c.value for c in TaskCategory], metadata={"description": "Only tasks of this category."})
    owner_user_id = QueryInt(metadata={"description": "Only tasks this user owns."})


class _TaskBody(Body):
    """The fields a task's POST and PATCH set (a null text is empty; lengths and ranges are the service's)."""

    program_id = Integer(allow_none=True, metadata={"description": "May only repeat the task's program."})
    parent_id = RowRef(
        Task,
        not_found=_l("Không có nhiệm vụ nào có id %(id)s trong phạm vi của bạn."),
        allow_none=True,
        attribute="parent",
        metadata={"description": "A task of the same program; not the task itself or below it."},
    )
    title = Text(needed=NEED_TITLE, metadata={"description": "Rõ việc."})
    description = Text(allow_none=True)
    owner_name = Text(
        allow_none=True, metadata={"description": "Rõ người.", "maxLength": services.LENGTHS["owner_name"]}
    )
    owner_user_id = RowRef(
        User,
        not_found=_l("Không có người dùng nào có id %(id)s trong phạm vi của bạn."),
        allow_none=True,
        attribute="owner_user",
        metadata={"description": "A user in scope; members update the tasks they own."},
    )
    owner_member_id = RowRef(
        Membership,
        not_found=_l("Không có thành viên Ban nào có id %(id)s trong phạm vi của bạn."),
        allow_none=True,
        attribute="owner_member",
        metadata={"description": "Owner through a board seat."},
    )
    responsible = Text(
        allow_none=True,
        metadata={"description": "Rõ trách nhiệm (đơn vị chủ trì).", "maxLength": services.LENGTHS["responsible"]},
    )
    deadline = Day(allow_none=True, metadata={"description": "Rõ thời gian."})
    expected_result = Text(allow_none=True, metadata={"description": "Rõ kết quả."})
    category = Choice(TaskCategory)
    weight = Decimal(allow_none=True, metadata={"description": "Weight in roll-ups, > 0 (default 1)."})
    update_every_days = Integer(allow_none=True, metadata={"minimum": 1, "maximum": services.MAX_UPDATE_EVERY_DAYS})
    lifecycle = Choice(Lifecycle)
    lifecycle_reason = Text(
        allow_none=True, attribute="reason", metadata={"description": "Needed when pausing or cancelling."}
    )
    measure_kind = Choice(MeasureKind)
    baseline = Decimal(
        allow_none=True,
        metadata={"description": "null or left out: 0 on a new task, the stored one on a task with sub-tasks."},
    )
    target = Decimal(allow_none=True, metadata={"description": "On a task with sub-tasks null keeps the stored one."})
    unit_label = Text(
        allow_none=True,
        metadata={"maxLength": services.LENGTHS["unit_label"], "examples": ["điểm", "thủ tục", "tỷ đồng", "%"]},
    )
    source = Choice(TaskSource)
    source_site_kind = Choice(SiteKind, allow_none=True)
    source_board_id = RowRef(
        Board,
        not_found=_l("Không có Ban nào có id %(id)s trong phạm vi của bạn."),
        allow_none=True,
        attribute="source_board",
        metadata={"description": "The board counted when source is board_members."},
    )


@echoes(TaskSavedSchema)
class TaskCreate(_TaskBody):
    title = Text(required=True, needed=NEED_TITLE, metadata={"description": "Rõ việc."})


@echoes(TaskSavedSchema)
class TaskPatch(_TaskBody):
    version = Integer(
        required=True, needed=NEED_VERSION, metadata={"description": "The `version` last read; a stale one gives 409."}
    )


@echoes(TaskUpdateCreatedSchema)
class TaskUpdateCreate(Body):
    value = Decimal(
        allow_none=True,
        metadata={
            "description": "The new value, needed (422 on value when null or left out). A JSON number or a plain "
            'decimal string, e.g. 4.03 or "4.03"; "4,03" or "1,234.5" is refused.'
        },
    )
    note = Text(allow_none=True)
    evidence_document_id = RowRef(
        Document,
        not_found=NO_DOCUMENT,
        allow_none=True,
        attribute="evidence_document",
        metadata={"description": "A document in the user's scope."},
    )
    evidence_url = Text(
        allow_none=True, metadata={"maxLength": services.URL_LENGTH, "description": "http:// or https://"}
    )
    version = Integer(
        allow_none=True, metadata={"description": "Optional: the task's version last read (stale → 409)."}
    )
    confirm = Boolean(
        metadata={"description": "true when a value more than 10× the target or the last value is meant (else 422)."}
    )


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
