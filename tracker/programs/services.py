"""Programs, tasks and updates: every write and its rules. Callers commit (the request, or the CLI)."""

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from tracker.auth.access import in_scope
from tracker.auth.models import Role, User
from tracker.boards.models import Membership
from tracker.db import Saved, utcnow
from tracker.documents.models import Document
from tracker.errors import ValidationError, check_version, flush_versioned
from tracker.extensions import db
from tracker.formatting import number
from tracker.programs.live import record_changes
from tracker.programs.models import Lifecycle, MeasureKind, Program, Task, TaskCategory, TaskSource, TaskUpdate
from tracker.text import clean
from tracker.units.models import Unit
from tracker.units.services import ancestor_ids

# Numeric(18, 4): anything this large is a typing accident, not a figure; values keep 4 decimals.
LIMIT = Decimal(10) ** 13
STORED = Decimal("0.0001")
MAX_UPDATE_EVERY_DAYS = 3660
LENGTHS = {"owner_name": 200, "responsible": 300, "unit_label": 40}
URL_LENGTH = 500
NON_NEGATIVE = {MeasureKind.COUNT, MeasureKind.PERCENT, MeasureKind.MILESTONE, MeasureKind.DECREASE}


# --- programs ----------------------------------------------------------------------------------------


def _program_fields(title: str, starts_on: date | None, ends_on: date | None) -> str:
    title = clean(title)
    errors = {}
    if not title:
        errors["title"] = _("Hãy nhập tên chương trình, kế hoạch.")
    if starts_on and ends_on and ends_on < starts_on:
        errors["ends_on"] = _("Ngày kết thúc phải sau ngày bắt đầu.")
    if errors:
        raise ValidationError(errors)
    return title


def create_program(
    unit: Unit,
    title: str,
    *,
    basis_document: Document | None = None,
    starts_on: date | None = None,
    ends_on: date | None = None,
    is_public: bool = False,
) -> Program:
    """A new program or plan of a unit."""
    program = Program(
        unit=unit,
        title=_program_fields(title, starts_on, ends_on),
        basis_document=basis_document,
        starts_on=starts_on,
        ends_on=ends_on,
        is_public=is_public,
    )
    db.session.add(program)
    db.session.flush()
    return program


def update_program(
    program: Program,
    *,
    expected_version: int | None,
    title: str,
    basis_document: Document | None,
    starts_on: date | None,
    ends_on: date | None,
    is_public: bool,
    is_archived: bool,
) -> Program:
    """Edit a program; archiving hides it from dashboards and roll-ups but keeps it."""
    check_version(program, expected_version)
    program.title = _program_fields(title, starts_on, ends_on)
    program.basis_document = basis_document
    program.starts_on, program.ends_on = starts_on, ends_on
    program.is_public, program.is_archived = is_public, is_archived
    flush_versioned()
    return program


# --- tasks -------------------------------------------------------------------------------------------


@dataclass
class TaskFields:
    """Everything a task form or API body sets; the service checks it as a whole."""

    title: str
    description: str = ""
    owner_name: str = ""
    owner_user: User | None = None
    owner_member: Membership | None = None
    responsible: str = ""
    deadline: date | None = None
    expected_result: str = ""
    category: str = TaskCategory.OTHER
    weight: Decimal = Decimal(1)
    update_every_days: int | None = None
    measure_kind: str = MeasureKind.COUNT
    baseline: Decimal = Decimal(0)
    target: Decimal | None = None
    unit_label: str = ""
    source: str = TaskSource.MANUAL
    source_site_kind: str | None = None
    source_board_id: int | None = None
    parent: Task | None = None


# A task with sub-tasks takes its progress from them (DESIGN §2.6): a measure, target or source of its own would be
# ignored, so an edit may keep the stored ones but not change them (the form does not offer them; the API refuses).
OWN_MEASURE = {
    "measure_kind": _l("Cách đo"),
    "baseline": _l("Giá trị ban đầu"),
    "target": _l("Chỉ tiêu"),
    "source": _l("Nguồn số liệu"),
}


def _own_measure(fields: TaskFields) -> dict[str, object]:
    """The measure a task stores from these fields, as `_apply` writes it."""
    kind = MeasureKind(fields.measure_kind)
    return {
        "measure_kind": kind,
        "baseline": (fields.baseline or Decimal(0)).quantize(STORED),
        "target": Decimal(1) if kind == MeasureKind.MILESTONE else _stored(fields.target),
        "source": TaskSource(fields.source),
    }


def _check_task(program: Program, fields: TaskFields, task: Task | None) -> list[str]:
    errors: dict[str, str] = {}
    if not clean(fields.title):
        errors["title"] = _("Hãy nhập tên nhiệm vụ (rõ việc).")
    kind = MeasureKind(fields.measure_kind)
    source = TaskSource(fields.source)
    for name in ("baseline", "target", "weight"):
        value = getattr(fields, name)
        if value is not None and abs(value) >= LIMIT:
            errors[name] = _("Số quá lớn: hãy kiểm tra lại (tối đa 13 chữ số phần nguyên).")
    if fields.weight is None or fields.weight <= 0:
        errors["weight"] = _("Trọng số phải lớn hơn 0.")
    if fields.update_every_days is not None and not 0 < fields.update_every_days <= MAX_UPDATE_EVERY_DAYS:
        errors["update_every_days"] = _("Chu kỳ cập nhật là số ngày từ 1 đến %(n)d.", n=MAX_UPDATE_EVERY_DAYS)
    for name, limit in LENGTHS.items():
        if len(getattr(fields, name) or "") > limit:
            errors[name] = _("Dài tối đa %(n)d ký tự.", n=limit)
    if fields.owner_member is not None and fields.owner_member.board.unit_id not in ancestor_ids(program.unit_id) | {
        program.unit_id
    }:
        errors["owner_member"] = _("Thành viên thực hiện phải thuộc một Ban của đơn vị hoặc cấp trên.")
    if fields.owner_user is not None and not in_scope(fields.owner_user, program.unit_id):
        errors["owner_user"] = _("Người thực hiện phải là tài khoản có quyền trên đơn vị của chương trình.")
    if kind in NON_NEGATIVE:
        for name in ("baseline", "target"):
            value = getattr(fields, name)
            if value is not None and value < 0 and name not in errors:
                errors[name] = _("Giá trị không được âm với loại chỉ tiêu này.")
    decrease_up = kind == MeasureKind.DECREASE and fields.target is not None and fields.target > (fields.baseline or 0)
    if decrease_up and "target" not in errors:
        errors["target"] = _("Chỉ tiêu giảm phải nhỏ hơn giá trị ban đầu.")
    if kind == MeasureKind.PERCENT and fields.target is not None and fields.target > 100 and "target" not in errors:
        errors["target"] = _("Chỉ tiêu tỷ lệ không vượt quá 100%.")
    if source == TaskSource.BOARD_MEMBERS and not fields.source_board_id:
        errors["source_board_id"] = _("Hãy chọn Ban có số thành viên được theo dõi.")
    if source != TaskSource.MANUAL and kind == MeasureKind.MILESTONE:
        errors["measure_kind"] = _("Nhiệm vụ lấy số liệu tự động phải đo bằng số lượng.")
    if task is not None and task.children and not errors.keys() & OWN_MEASURE.keys():
        measure = _own_measure(fields)
        if measure["measure_kind"] == MeasureKind.MILESTONE:
            del measure["target"]  # always 1: a change of kind is the change to name
        for name, stored in measure.items():
            if stored != getattr(task, name):
                errors[name] = _(
                    "Nhiệm vụ có nhiệm vụ con: tiến độ tính từ các nhiệm vụ con, không nhận “%(what)s” riêng; "
                    "hãy đặt ở các nhiệm vụ con.",
                    what=OWN_MEASURE[name],
                )
    parent = fields.parent
    if parent is not None:
        if parent.program_id != program.id:
            errors["parent"] = _("Nhiệm vụ cha phải thuộc cùng chương trình.")
        elif task is not None and _is_within(parent, task):
            errors["parent"] = _("Không thể chọn nhiệm vụ này hoặc một nhiệm vụ con của nó làm nhiệm vụ cha.")
    if errors:
        raise ValidationError(errors)
    warnings = []
    if fields.deadline and (
        (program.starts_on and fields.deadline < program.starts_on)
        or (program.ends_on and fields.deadline > program.ends_on)
    ):
        warnings.append(_("Thời hạn nằm ngoài thời gian thực hiện của chương trình; đã lưu, hãy kiểm tra lại."))
    return warnings


def _stored(value: Decimal | None) -> Decimal | None:
    return None if value is None else value.quantize(STORED)


def _is_within(candidate: Task, task: Task) -> bool:
    """True when `candidate` is `task` or one of its descendants (walking up from the candidate)."""
    node, seen = candidate, set()
    while node is not None and node.id not in seen:
        if node.id == task.id:
            return True
        seen.add(node.id)
        node = node.parent
    return False


def _apply(task: Task, fields: TaskFields) -> None:
    task.title = clean(fields.title)
    task.description = fields.description.strip()
    task.owner_name = clean(fields.owner_name)
    task.owner_user_id = fields.owner_user.id if fields.owner_user else None
    task.owner_member_id = fields.owner_member.id if fields.owner_member else None
    task.responsible = clean(fields.responsible)
    task.deadline = fields.deadline
    task.expected_result = fields.expected_result.strip()
    task.category = TaskCategory(fields.category)
    task.weight = fields.weight.quantize(STORED)
    task.update_every_days = fields.update_every_days
    measure = _own_measure(fields)
    task.measure_kind, task.baseline, task.target = measure["measure_kind"], measure["baseline"], measure["target"]
    task.unit_label = clean(fields.unit_label)
    task.source = measure["source"]
    task.source_site_kind = fields.source_site_kind or None
    task.source_board_id = fields.source_board_id if task.source == TaskSource.BOARD_MEMBERS else None
    task.parent = fields.parent


def create_task(program: Program, fields: TaskFields) -> Saved:
    """Add a task (or a sub-task, with `fields.parent`) to a program."""
    warnings = _check_task(program, fields, None)
    position = 1 + max((t.position for t in program.tasks), default=0)
    task = Task(program=program, position=position)
    db.session.add(task)
    with db.session.no_autoflush:
        _apply(task, fields)
    db.session.flush()
    record_changes([task])  # a live-linked task starts with the registry's value in its history
    db.session.flush()
    return Saved(task, warnings)


def update_task(task: Task, fields: TaskFields, *, expected_version: int | None) -> Saved:
    """Edit a task opened at `expected_version` (StaleVersion when someone saved it since). A task with sub-tasks
    keeps its stored measure: changing its measure_kind, baseline, target or source is a ValidationError on it."""
    check_version(task, expected_version)
    warnings = _check_task(task.program, fields, task)
    _apply(task, fields)
    flush_versioned()
    record_changes([task])  # a task newly linked to a registry (or to another board) takes its value now
    db.session.flush()
    return Saved(task, warnings)


def set_lifecycle(task: Task, lifecycle: str, reason: str, *, expected_version: int | None) -> Task:
    """Pause, cancel or resume a task; pausing and cancelling need a reason."""
    check_version(task, expected_version)
    lifecycle = Lifecycle(lifecycle)
    if lifecycle != Lifecycle.ACTIVE and not clean(reason):
        raise ValidationError({"reason": _("Hãy ghi lý do tạm dừng hoặc hủy nhiệm vụ.")})
    task.lifecycle = lifecycle
    task.lifecycle_reason = clean(reason) if lifecycle != Lifecycle.ACTIVE else ""
    flush_versioned()
    return task


# --- updates -----------------------------------------------------------------------------------------


def may_update(user: User, task: Task) -> bool:
    """Managers update any task in scope; members the tasks they own (directly or through a board seat)."""
    if not in_scope(user, task.program.unit_id):
        return False
    if user.role in (Role.ADMIN, Role.MANAGER):
        return True
    if user.role != Role.MEMBER:
        return False
    if task.owner_user_id == user.id:
        return True
    return task.owner_member_id is not None and task.owner_member is not None and task.owner_member.user_id == user.id


def check_value(task: Task, value: Decimal | None) -> Decimal:
    """A value the task's measure can take, or a ValidationError on `value`."""
    if value is None:
        raise ValidationError({"value": _("Hãy nhập giá trị.")})
    if abs(value) >= LIMIT:
        raise ValidationError({"value": _("Số quá lớn: hãy kiểm tra lại (tối đa 13 chữ số phần nguyên).")})
    if task.measure_kind in NON_NEGATIVE and value < 0:
        raise ValidationError({"value": _("Giá trị không được âm với loại chỉ tiêu này.")})
    if task.measure_kind == MeasureKind.MILESTONE and value > 1:
        raise ValidationError({"value": _("Mốc công việc nhận giá trị từ 0 đến 1 (1 = hoàn thành).")})
    if task.measure_kind == MeasureKind.PERCENT and value > 100:
        raise ValidationError({"value": _("Tỷ lệ không vượt quá 100%.")})
    return value.quantize(STORED)


# A value this many times the target or the last value is more often a misplaced separator than a fact.
IMPLAUSIBLE_RATIO = 10


class NeedsConfirmation(ValidationError):
    """A value far beyond what the task expects: saved only once the person who typed it confirms it."""


def _implausible(task: Task, value: Decimal) -> str | None:
    """Why a value looks like a typo ("20.000" of a target of 50), in Vietnamese; None when it looks plausible."""
    if task.measure_kind in (MeasureKind.MILESTONE, MeasureKind.PERCENT):
        return None  # bounded by check_value already
    if task.target is not None and task.target > 0 and value > IMPLAUSIBLE_RATIO * task.target:
        return _(
            "Giá trị %(v)s lớn hơn %(n)d lần chỉ tiêu (%(t)s). Hãy kiểm tra dấu thập phân; nếu đúng, đánh dấu "
            "“Tôi xác nhận giá trị này đúng” rồi lưu lại.",
            v=number(value, 4), n=IMPLAUSIBLE_RATIO, t=number(task.target, 4),
        )
    previous = db.session.scalar(
        select(TaskUpdate.value)
        .where(TaskUpdate.task_id == task.id)
        .order_by(TaskUpdate.at.desc(), TaskUpdate.id.desc())
        .limit(1)
    )
    if previous is not None and previous > 0 and value > IMPLAUSIBLE_RATIO * previous:
        return _(
            "Giá trị %(v)s lớn hơn %(n)d lần giá trị trước (%(p)s). Hãy kiểm tra dấu thập phân; nếu đúng, đánh dấu "
            "“Tôi xác nhận giá trị này đúng” rồi lưu lại.",
            v=number(value, 4), n=IMPLAUSIBLE_RATIO, p=number(previous, 4),
        )
    return None


def add_update(
    task: Task,
    user: User,
    value: Decimal | None,
    *,
    note: str = "",
    evidence_document: Document | None = None,
    evidence_url: str | None = None,
    expected_version: int | None = None,
    at: datetime | None = None,
    confirmed: bool = True,
) -> TaskUpdate:
    """Record a new value of a manual task. The task's version moves, so a second person working from the
    same page gets a conflict instead of silently overwriting the first. Where a person types the value
    (`confirmed=False` until they tick the box), one more than 10× the target or the last value is refused with
    NeedsConfirmation."""
    check_version(task, expected_version)
    if task.lifecycle == Lifecycle.CANCELLED:
        raise ValidationError({"value": _("Nhiệm vụ đã hủy, không cập nhật được nữa.")})
    if task.source != TaskSource.MANUAL:
        raise ValidationError(
            {"value": _("Nhiệm vụ này lấy số liệu tự động từ sổ đăng ký (%(s)s); không nhập tay.", s=task.source.label)}
        )
    if task.children:
        raise ValidationError({"value": _("Nhiệm vụ có nhiệm vụ con: tiến độ được tính từ các nhiệm vụ con.")})
    value = check_value(task, value)
    if not confirmed and (doubt := _implausible(task, value)):
        raise NeedsConfirmation({"value": doubt})
    url = (evidence_url or "").strip() or None
    if url and not url.lower().startswith(("http://", "https://")):
        raise ValidationError({"evidence_url": _("Đường dẫn minh chứng phải bắt đầu bằng http:// hoặc https://.")})
    if url and len(url) > URL_LENGTH:
        raise ValidationError({"evidence_url": _("Dài tối đa %(n)d ký tự.", n=URL_LENGTH)})
    if evidence_document is not None and not in_scope(user, evidence_document.unit_id):
        raise ValidationError({"evidence_document": _("Văn bản minh chứng không thuộc phạm vi của bạn.")})
    update = TaskUpdate(
        task=task,
        user_id=user.id,
        value=value,
        note=(note or "").strip(),
        evidence_document=evidence_document,
        evidence_url=url,
        at=at or utcnow(),
    )
    db.session.add(update)
    task.updated_at = utcnow()  # bumps the version
    flush_versioned()
    return update
