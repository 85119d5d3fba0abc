"""Forms of programs, tasks and task updates, and the lookups that turn what was typed into rows."""

from collections import defaultdict
from decimal import Decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from tracker.auth.models import Role, User
from tracker.boards.models import Board, Membership, current_members_clause
from tracker.db import local_today
from tracker.errors import ValidationError
from tracker.extensions import db
from tracker.forms import CHOOSE_FROM_LIST, DayField, FilterForm, NumberField, VersionField, optional_id
from tracker.programs.models import Lifecycle, MeasureKind, Program, Task, TaskCategory, TaskSource
from tracker.programs.rules import Status
from tracker.programs.services import TaskFields
from tracker.sites.models import SiteKind
from tracker.units.forms import UNIT_REF_HELP, UnitField
from tracker.units.services import ancestor_ids, subtree_select

REFERENCE_HELP = _l("Số ký hiệu của một văn bản đã nhập của đơn vị, ví dụ 27-CTr/ĐU hoặc 37/KH-UBND.")


def tree_order(tasks: list[Task]) -> list[tuple[Task, int]]:
    """(task, depth) in the order of the tree: each task followed by its sub-tasks."""
    ids = {t.id for t in tasks}
    children: dict[int | None, list[Task]] = defaultdict(list)
    for t in tasks:
        children[t.parent_id if t.parent_id in ids else None].append(t)
    ordered: list[tuple[Task, int]] = []

    def walk(parent_id: int | None, depth: int) -> None:
        for t in children.get(parent_id, ()):
            ordered.append((t, depth))
            walk(t.id, depth + 1)

    walk(None, 0)
    return ordered


class DaysField(StringField):
    """A whole number of days, or None when empty."""

    def process_formdata(self, valuelist):
        self.data = None
        text = (valuelist[0] if valuelist else "").strip()
        if text:
            if not text.isdigit():
                raise ValueError(_("“%(v)s” không phải là số ngày; hãy nhập một số nguyên, ví dụ 30.", v=text))
            self.data = int(text)


# --- programs ----------------------------------------------------------------------------------------


class ProgramFilterForm(FilterForm):
    archived = SelectField(
        _l("Trạng thái"),
        choices=lambda: [("", _l("Đang theo dõi")), ("1", _l("Đã lưu trữ")), ("all", _l("Tất cả"))],
        validate_choice=False,
    )


class ProgramUnitForm(FlaskForm):
    # Declared before ProgramForm: WTForms orders fields by declaration, so the unit comes first.
    unit = UnitField(_l("Đơn vị"), validators=[DataRequired(_l("Hãy nhập mã đơn vị."))], description=UNIT_REF_HELP)


class ProgramForm(FlaskForm):
    title = TextAreaField(
        _l("Tên chương trình, kế hoạch"), description=_l("Ví dụ: Chương trình hành động số 27-CTr/ĐU.")
    )
    basis_reference = StringField(
        _l("Văn bản căn cứ"),
        validators=[Length(max=80, message=_l("Số ký hiệu dài tối đa 80 ký tự."))],
        description=REFERENCE_HELP,
    )
    starts_on = DayField(_l("Bắt đầu"), description=_l("dd/mm/yyyy"))
    ends_on = DayField(_l("Kết thúc"), description=_l("dd/mm/yyyy"))
    is_public = BooleanField(_l("Hiện trên trang tiến độ công khai"))


class NewProgramForm(ProgramUnitForm, ProgramForm):
    pass


class EditProgramForm(ProgramForm):
    is_archived = BooleanField(_l("Lưu trữ (ẩn khỏi tổng quan và số liệu tổng hợp)"))
    version = VersionField()


# --- tasks -------------------------------------------------------------------------------------------


def _id_select(label, description=None) -> SelectField:
    return SelectField(
        label, coerce=optional_id, choices=[], invalid_choice_message=CHOOSE_FROM_LIST, description=description
    )


# What a task measures by itself: a task with sub-tasks takes its progress from them instead (DESIGN §2.6).
OWN_MEASURE = (
    "measure_kind", "baseline", "target", "unit_label", "update_every_days", "source", "source_board_id",
    "source_site_kind",
)  # fmt: skip


class TaskForm(FlaskForm):
    kept: Task | None = None  # a task with sub-tasks: its own measure, neither shown nor read (see rolled_up)
    title = TextAreaField(_l("Tên nhiệm vụ, chỉ tiêu"))
    parent_id = _id_select(_l("Thuộc nhiệm vụ"))
    description = TextAreaField(_l("Rõ việc: nội dung công việc"))
    owner_name = StringField(
        _l("Rõ người: người thực hiện"),
        validators=[Length(max=200, message=_l("Tên dài tối đa 200 ký tự."))],
        description=_l("Họ tên, chức vụ, ví dụ: Nguyễn Văn A, Phó Chủ tịch UBND phường."),
    )
    owner_user_id = _id_select(
        _l("Tài khoản người thực hiện"), _l("Người có tài khoản này được cập nhật tiến độ nhiệm vụ.")
    )
    owner_member_id = _id_select(
        _l("Thành viên Ban thực hiện"), _l("Thành viên Ban chỉ đạo, Tổ giúp việc phụ trách nhiệm vụ.")
    )
    responsible = StringField(
        _l("Rõ trách nhiệm: cơ quan chủ trì"),
        validators=[Length(max=300, message=_l("Dài tối đa 300 ký tự."))],
    )
    deadline = DayField(_l("Rõ thời gian: thời hạn"), description=_l("dd/mm/yyyy; để trống nếu không có thời hạn."))
    expected_result = TextAreaField(_l("Rõ kết quả: sản phẩm, kết quả cần đạt"))
    category = SelectField(_l("Nhóm"), choices=TaskCategory.choices, invalid_choice_message=CHOOSE_FROM_LIST)
    measure_kind = SelectField(_l("Cách đo"), choices=MeasureKind.choices, invalid_choice_message=CHOOSE_FROM_LIST)
    baseline = NumberField(_l("Giá trị ban đầu"), default=Decimal(0), description=_l("Ví dụ 0 hoặc 1,5."))
    target = NumberField(
        _l("Chỉ tiêu"), description=_l("Ví dụ 600, 2,94 hoặc 1.234,5; mốc công việc luôn có chỉ tiêu 1 (hoàn thành).")
    )
    unit_label = StringField(
        _l("Đơn vị tính"),
        validators=[Length(max=40, message=_l("Dài tối đa 40 ký tự."))],
        description=_l("điểm, thủ tục, người, %, tỷ đồng…"),
    )
    weight = NumberField(_l("Trọng số"), default=Decimal(1))
    update_every_days = DaysField(
        _l("Chu kỳ cập nhật (ngày)"), description=_l("Quá số ngày này chưa cập nhật thì nhiệm vụ bị đánh dấu.")
    )
    source = SelectField(_l("Nguồn số liệu"), choices=TaskSource.choices, invalid_choice_message=CHOOSE_FROM_LIST)
    source_board_id = _id_select(_l("Ban được theo dõi số thành viên"), _l("Chỉ dùng với nguồn “số thành viên”."))
    source_site_kind = SelectField(
        _l("Loại điểm QR được đếm"),
        choices=lambda: [("", _l("Mọi loại"))] + SiteKind.choices(),
        coerce=lambda value: "" if value is None else str(value),
        invalid_choice_message=CHOOSE_FROM_LIST,
        description=_l("Chỉ dùng với các nguồn điểm QR."),
    )

    def fill_choices(self, program: Program, task: Task | None) -> None:
        """The program's tasks as parents, the accounts that may own a task, the boards a count may follow.

        A task's own descendants stay among the parents: choosing one gets the service's message on the cycle."""
        self.parent_id.choices = [("", _("— Nhiệm vụ cấp cao nhất —"))] + [
            (t.id, "— " * depth + t.title) for t, depth in tree_order(program.tasks) if task is None or t.id != task.id
        ]
        # Accounts whose scope reaches the program's unit: only they may update the task (services.may_update).
        users = db.session.scalars(
            select(User)
            .where(
                User.is_active.is_(True),
                User.role.in_([Role.MANAGER, Role.MEMBER]),
                User.unit_id.in_(ancestor_ids(program.unit_id)),
            )
            .order_by(User.full_name, User.username)
        ).all()
        if task is not None and task.owner_user is not None and task.owner_user not in users:
            users.append(task.owner_user)
        self.owner_user_id.choices = [("", _("— Không chọn —"))] + [
            (u.id, f"{u.display_name} ({u.username}, {u.role.label})") for u in users
        ]
        lines = ancestor_ids(program.unit_id)
        members = db.session.execute(
            select(Membership, Board.name)
            .join(Board, Board.id == Membership.board_id)
            .where(Board.unit_id.in_(lines), current_members_clause(local_today()))
            .order_by(Board.name, Membership.person_name)
        ).all()
        if task is not None and task.owner_member is not None and task.owner_member not in [m for m, _b in members]:
            members.append((task.owner_member, task.owner_member.board.name))
        self.owner_member_id.choices = [("", _("— Không chọn —"))] + [
            (m.id, f"{m.person_name} — {m.role.label}, {board}") for m, board in members
        ]
        boards = db.session.scalars(
            select(Board).where(Board.unit_id.in_(subtree_select(program.unit_id))).order_by(Board.name, Board.id)
        ).all()
        self.source_board_id.choices = [("", _("— Không chọn —"))] + [
            (b.id, f"{b.name} ({b.kind.label})") for b in boards
        ]

    def rolled_up(self, task: Task) -> None:
        """A task with sub-tasks: its progress comes from them, so a value, target or data source of its own would
        be ignored. The form drops those fields; saving keeps what is stored (it counts again without sub-tasks)."""
        self.kept = task
        for name in OWN_MEASURE:
            delattr(self, name)

    def _own(self, name: str):
        return getattr(self.kept, name) if self.kept is not None and name in OWN_MEASURE else self[name].data

    def fields(self) -> TaskFields:
        """What the service needs, from the validated form (ids already checked against the choices)."""
        return TaskFields(
            title=self.title.data or "",
            description=self.description.data or "",
            owner_name=self.owner_name.data or "",
            owner_user=db.session.get(User, self.owner_user_id.data) if self.owner_user_id.data else None,
            owner_member=db.session.get(Membership, self.owner_member_id.data) if self.owner_member_id.data else None,
            responsible=self.responsible.data or "",
            deadline=self.deadline.data,
            expected_result=self.expected_result.data or "",
            category=self.category.data,
            weight=self.weight.data,
            update_every_days=self._own("update_every_days"),
            measure_kind=self._own("measure_kind"),
            baseline=self._own("baseline"),
            target=self._own("target"),
            unit_label=self._own("unit_label") or "",
            source=self._own("source"),
            source_site_kind=self._own("source_site_kind") or None,
            source_board_id=self._own("source_board_id"),
            parent=db.session.get(Task, self.parent_id.data) if self.parent_id.data else None,
        )


class EditTaskForm(TaskForm):
    version = VersionField()


class LifecycleForm(FlaskForm):
    lifecycle = SelectField(
        _l("Trạng thái triển khai"), choices=Lifecycle.choices, invalid_choice_message=CHOOSE_FROM_LIST
    )
    reason = TextAreaField(_l("Lý do tạm dừng hoặc hủy"))
    version = VersionField()


class UpdateForm(FlaskForm):
    """A new value with a note and evidence. A milestone's value is typed as a percentage (0–100) and
    stored as a share (0–1); its "Hoàn thành" button stores 1."""

    value = NumberField(_l("Giá trị mới"))
    done = BooleanField(_l("Hoàn thành"))
    confirm = BooleanField(_l("Tôi xác nhận giá trị này đúng"))
    note = TextAreaField(_l("Ghi chú"))
    evidence_reference = StringField(
        _l("Văn bản minh chứng"),
        validators=[Length(max=80, message=_l("Số ký hiệu dài tối đa 80 ký tự."))],
        description=REFERENCE_HELP,
    )
    evidence_url = StringField(
        _l("Đường dẫn minh chứng"),
        validators=[Length(max=500, message=_l("Đường dẫn dài tối đa 500 ký tự."))],
        description=_l("Bắt đầu bằng http:// hoặc https://"),
    )
    version = VersionField()

    def value_for(self, kind: MeasureKind) -> Decimal | None:
        """The value to record: as typed, or for a milestone 1 when done, else the percentage ÷ 100."""
        if kind != MeasureKind.MILESTONE:
            return self.value.data
        if self.done.data:
            return Decimal(1)
        if self.value.data is None:
            return None
        if not 0 <= self.value.data <= 100:
            raise ValidationError({"value": _("Tỷ lệ hoàn thành nhập từ 0 đến 100 (%).")})
        return self.value.data / 100


class TaskFilterForm(FilterForm):
    status = SelectField(_l("Tình trạng"), choices=lambda: [("", _l("Tất cả"))] + [(s.value, s.label) for s in Status])
    owner = SelectField(_l("Người thực hiện"), choices=[])
    category = SelectField(_l("Nhóm"), choices=lambda: [("", _l("Tất cả")), *TaskCategory.choices()])
