"""The schemas of /api/v1 tasks (tracker.api.tasks): a task as the API answers it, from the derived TaskState
(tracker.programs.progress), with its figure and flags; its dated updates; and the bodies that create and edit a task
and record an update, each field named and refused in Vietnamese as the forms do."""


import marshmallow as ma
from flask_babel import lazy_gettext as _l

from tracker.api.fields import Body, Boolean, Choice, Day, Decimal, DecimalText, Integer, RowRef, Text, echoes
from tracker.api.programs import FigureSchema
from tracker.api.queries import NestedFrom, Paged, QueryChoice, QueryInt, page_schema
from tracker.auth.models import User
from tracker.boards.models import Board, Membership
from tracker.documents.models import Document
from tracker.programs import services
from tracker.programs.models import Lifecycle, MeasureKind, Task, TaskCategory, TaskSource
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
