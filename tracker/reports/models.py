"""Period reports (DESIGN §9): a unit's report for a period, in revisions, and the unit's reporting schedule."""

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.auth.models import User
from tracker.db import TimestampMixin, VersionedMixin, db
from tracker.enums import LabelledEnum, enum_column
from tracker.units.models import Unit


class ReportState(LabelledEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    RETURNED = "returned"


ReportState.with_labels(draft=_l("Dự thảo"), submitted=_l("Đã nộp"), returned=_l("Bị trả lại"))

# The five narrative sections, in the order the report prints them (DESIGN §9).
SECTIONS = (
    ("achievements", _l("Kết quả đạt được")),
    ("shortcomings", _l("Tồn tại, hạn chế")),
    ("causes", _l("Nguyên nhân")),
    ("next_steps", _l("Nhiệm vụ, giải pháp kỳ tới")),
    ("proposals", _l("Đề xuất, kiến nghị")),
)


class Report(TimestampMixin, VersionedMixin, db.Model):
    """One revision of a unit's report for a period.

    draft → submitted (its figures frozen in `figures`) → returned by the level above with a reason, which opens
    the next revision as a draft; a submitted or returned revision is never edited again.
    """

    __tablename__ = "reports"
    __table_args__ = (
        UniqueConstraint("unit_id", "period", "revision"),
        CheckConstraint("revision >= 1", name="revision_positive"),
    )

    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    period: Mapped[str] = mapped_column(String(8))  # periods.Period.key
    revision: Mapped[int] = mapped_column(default=1)
    state: Mapped[ReportState] = mapped_column(enum_column(ReportState), default=ReportState.DRAFT)
    # The document's header and footer (Decree 30/2020): "Số: 12/BC-BCĐ", the place before the date, who signs.
    number: Mapped[str] = mapped_column(String(40), default="")
    place: Mapped[str] = mapped_column(String(100), default="")
    issuer: Mapped[str] = mapped_column(String(200), default="")
    signer_authority: Mapped[str] = mapped_column(String(200), default="")  # "TM. BAN CHỈ ĐẠO"
    signer_title: Mapped[str] = mapped_column(String(200), default="")  # "TRƯỞNG BAN"
    signer_name: Mapped[str] = mapped_column(String(200), default="")
    recipients: Mapped[str] = mapped_column(Text, default="")  # Nơi nhận, one a line
    achievements: Mapped[str] = mapped_column(Text, default="")
    shortcomings: Mapped[str] = mapped_column(Text, default="")
    causes: Mapped[str] = mapped_column(Text, default="")
    next_steps: Mapped[str] = mapped_column(Text, default="")
    proposals: Mapped[str] = mapped_column(Text, default="")
    figures: Mapped[str | None] = mapped_column(Text)  # the snapshot, frozen on submission (JSON)
    submitted_at: Mapped[datetime | None]
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    returned_at: Mapped[datetime | None]
    returned_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    return_reason: Mapped[str] = mapped_column(Text, default="")

    unit: Mapped[Unit] = relationship()
    submitted_by: Mapped[User | None] = relationship(foreign_keys=[submitted_by_id])
    returned_by: Mapped[User | None] = relationship(foreign_keys=[returned_by_id])

    AUDIT_EXCLUDE = frozenset({"figures"})  # the snapshot is the report's own data, not a change to explain

    def __repr__(self) -> str:
        return f"<Report {self.id} unit={self.unit_id} {self.period} r{self.revision} {self.state.value}>"

    @property
    def is_draft(self) -> bool:
        return self.state == ReportState.DRAFT


class ReportSchedule(TimestampMixin, db.Model):
    """Which kinds of period a unit reports and on which day of the period's last month they are due.

    A unit without its own schedule follows its nearest ancestor's, else the defaults (periods.DEFAULT_KINDS,
    periods.DEFAULT_DUE_DAY).
    """

    __tablename__ = "report_schedules"
    __table_args__ = (CheckConstraint("due_day BETWEEN 1 AND 28", name="due_day_in_month"),)

    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), unique=True)
    kinds: Mapped[str] = mapped_column(String(4))  # periods.kinds_text: "QHY"
    due_day: Mapped[int]

    unit: Mapped[Unit] = relationship()

    def __repr__(self) -> str:
        return f"<ReportSchedule unit={self.unit_id} {self.kinds} due={self.due_day}>"
