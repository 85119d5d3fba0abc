from datetime import date, datetime
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.db import TimestampMixin, VersionedMixin, db, utcnow
from tracker.documents.models import Document
from tracker.enums import LabelledEnum, enum_column
from tracker.units.models import Unit


class TaskCategory(LabelledEnum):
    QR_POINTS = "qr_points"
    ONLINE_SERVICES = "online_services"
    BOARD_MEMBERSHIP = "board_membership"
    INDICATOR = "indicator"
    MILESTONE = "milestone"
    OTHER = "other"


TaskCategory.with_labels(
    qr_points=_l("Điểm QR"),
    online_services=_l("Dịch vụ công trực tuyến"),
    board_membership=_l("Kiện toàn Ban chỉ đạo"),
    indicator=_l("Chỉ tiêu"),
    milestone=_l("Mốc công việc"),
    other=_l("Khác"),
)


class Lifecycle(LabelledEnum):
    ACTIVE = "active"
    PAUSED = "paused"
    CANCELLED = "cancelled"


Lifecycle.with_labels(active=_l("Đang triển khai"), paused=_l("Tạm dừng"), cancelled=_l("Đã hủy"))


class MeasureKind(LabelledEnum):
    COUNT = "count"
    PERCENT = "percent"
    AMOUNT = "amount"
    DECREASE = "decrease"
    MILESTONE = "milestone"


MeasureKind.with_labels(
    count=_l("Số lượng"),
    percent=_l("Tỷ lệ %"),
    amount=_l("Giá trị"),
    decrease=_l("Giảm"),
    milestone=_l("Mốc hoàn thành"),
)


class TaskSource(LabelledEnum):
    MANUAL = "manual"
    SITES_REGISTERED = "sites_registered"
    SITES_ACTIVE = "sites_active"
    POSTERS_PRINTED = "posters_printed"
    SERVICES_ONLINE = "services_online"
    SERVICES_FULL_ONLINE = "services_full_online"
    BOARD_MEMBERS = "board_members"


TaskSource.with_labels(
    manual=_l("Nhập tay"),
    sites_registered=_l("Số điểm QR đã đăng ký"),
    sites_active=_l("Số điểm QR có lượt quét trong 30 ngày"),
    posters_printed=_l("Số điểm QR đã in áp phích"),
    services_online=_l("Số thủ tục trực tuyến (một phần, toàn trình)"),
    services_full_online=_l("Số thủ tục trực tuyến toàn trình"),
    board_members=_l("Số thành viên hiện tại của Ban"),
)


class Program(TimestampMixin, VersionedMixin, db.Model):
    """An action program or plan of a unit (chương trình hành động, kế hoạch)."""

    __tablename__ = "programs"
    __table_args__ = (CheckConstraint("ends_on IS NULL OR starts_on IS NULL OR ends_on >= starts_on", name="period"),)

    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    title: Mapped[str] = mapped_column(Text)
    basis_document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"))
    starts_on: Mapped[date | None]
    ends_on: Mapped[date | None]
    is_public: Mapped[bool] = mapped_column(default=False)
    is_archived: Mapped[bool] = mapped_column(default=False)

    unit: Mapped[Unit] = relationship()
    basis_document: Mapped[Document | None] = relationship()
    tasks: Mapped[list["Task"]] = relationship(back_populates="program", order_by="Task.position, Task.id")

    def __repr__(self) -> str:
        return f"<Program {self.id} {self.title[:40]!r}>"


class Task(TimestampMixin, VersionedMixin, db.Model):
    """A task or target (nhiệm vụ, chỉ tiêu) with its five "rõ" and its measure."""

    __tablename__ = "tasks"
    __table_args__ = (
        CheckConstraint("weight > 0", name="weight_positive"),
        CheckConstraint("update_every_days IS NULL OR update_every_days > 0", name="update_every_positive"),
        CheckConstraint("parent_id IS NULL OR parent_id <> id", name="not_own_parent"),
    )

    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id"), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("tasks.id"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    title: Mapped[str] = mapped_column(Text)
    description: Mapped[str] = mapped_column(Text, default="")
    owner_member_id: Mapped[int | None] = mapped_column(ForeignKey("memberships.id"))
    owner_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    owner_name: Mapped[str] = mapped_column(String(200), default="")
    responsible: Mapped[str] = mapped_column(String(300), default="")
    deadline: Mapped[date | None]
    expected_result: Mapped[str] = mapped_column(Text, default="")
    category: Mapped[TaskCategory] = mapped_column(enum_column(TaskCategory), default=TaskCategory.OTHER)
    weight: Mapped[Decimal] = mapped_column(default=Decimal(1))
    update_every_days: Mapped[int | None]
    lifecycle: Mapped[Lifecycle] = mapped_column(enum_column(Lifecycle), default=Lifecycle.ACTIVE)
    lifecycle_reason: Mapped[str] = mapped_column(Text, default="")
    measure_kind: Mapped[MeasureKind] = mapped_column(enum_column(MeasureKind), default=MeasureKind.COUNT)
    baseline: Mapped[Decimal] = mapped_column(default=Decimal(0))
    target: Mapped[Decimal | None]
    unit_label: Mapped[str] = mapped_column(String(40), default="")
    source: Mapped[TaskSource] = mapped_column(enum_column(TaskSource), default=TaskSource.MANUAL)
    source_site_kind: Mapped[str | None] = mapped_column(String(32))
    source_board_id: Mapped[int | None] = mapped_column(ForeignKey("boards.id"))

    program: Mapped[Program] = relationship(back_populates="tasks")
    owner_member: Mapped["Membership | None"] = relationship()  # noqa: F821 (tracker.boards.models)
    owner_user: Mapped["User | None"] = relationship()  # noqa: F821 (tracker.auth.models)
    source_board: Mapped["Board | None"] = relationship()  # noqa: F821 (tracker.boards.models)
    parent: Mapped["Task | None"] = relationship(remote_side="Task.id", back_populates="children")
    children: Mapped[list["Task"]] = relationship(back_populates="parent", order_by="Task.position, Task.id")
    updates: Mapped[list["TaskUpdate"]] = relationship(back_populates="task", order_by="TaskUpdate.at, TaskUpdate.id")

    @property
    def unit_id(self) -> int:
        """The unit whose rights govern this task: its program's."""
        return self.program.unit_id

    def __repr__(self) -> str:
        return f"<Task {self.id} {self.title[:40]!r}>"


class TaskUpdate(TimestampMixin, db.Model):
    """A dated value of a task; user_id None means the system recorded it from a registry."""

    __tablename__ = "task_updates"
    __table_args__ = (Index("ix_task_updates_task_at", "task_id", "at"),)

    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id"))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    value: Mapped[Decimal]
    note: Mapped[str] = mapped_column(Text, default="")
    evidence_document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"))
    evidence_url: Mapped[str | None] = mapped_column(String(500))

    task: Mapped[Task] = relationship(back_populates="updates")
    evidence_document: Mapped[Document | None] = relationship()

    def __repr__(self) -> str:
        return f"<TaskUpdate {self.id} task={self.task_id} value={self.value}>"


class ProgramFigures(db.Model):
    """A program's evaluated tasks for one day, kept so that a province's dashboard need not evaluate every task
    of every commune on each view (tracker.programs.figures). `seq` moves on every change to the program, its
    tasks or their updates, in the writer's transaction; a reader stores what it computed only if `seq` has not
    moved since it read, so a figure never outlives the data behind it."""

    __tablename__ = "program_figures"
    AUDITED = False

    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id", ondelete="CASCADE"), primary_key=True)
    seq: Mapped[int] = mapped_column(default=0)
    day: Mapped[date | None]
    computed_at: Mapped[datetime | None]
    payload: Mapped[str | None] = mapped_column(Text)

    def __repr__(self) -> str:
        return f"<ProgramFigures program={self.program_id} seq={self.seq} day={self.day}>"
