from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, ForeignKey, Index, String, and_, or_, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.db import TimestampMixin, VersionedMixin, db
from tracker.documents.models import Document
from tracker.enums import LabelledEnum, enum_column
from tracker.units.models import Unit


class BoardKind(LabelledEnum):
    STEERING_BOARD = "steering_board"
    WORKING_GROUP = "working_group"
    OTHER = "other"


BoardKind.with_labels(steering_board=_l("Ban chỉ đạo"), working_group=_l("Tổ giúp việc"), other=_l("Khác"))


class MemberRole(LabelledEnum):
    HEAD = "head"
    STANDING_DEPUTY = "standing_deputy"
    DEPUTY = "deputy"
    STANDING_MEMBER = "standing_member"
    MEMBER = "member"
    GROUP_LEADER = "group_leader"
    GROUP_DEPUTY = "group_deputy"
    GROUP_MEMBER = "group_member"


MemberRole.with_labels(
    head=_l("Trưởng ban"),
    standing_deputy=_l("Phó Trưởng ban thường trực"),
    deputy=_l("Phó Trưởng ban"),
    standing_member=_l("Ủy viên thường trực"),
    member=_l("Ủy viên"),
    group_leader=_l("Tổ trưởng"),
    group_deputy=_l("Tổ phó"),
    group_member=_l("Tổ viên"),
)

HEAD_ROLES = (MemberRole.HEAD, MemberRole.GROUP_LEADER)


class Board(TimestampMixin, VersionedMixin, db.Model):
    """A steering board (Ban chỉ đạo), a working group (Tổ giúp việc) or another board of a unit."""

    __tablename__ = "boards"
    __table_args__ = (CheckConstraint("target_size IS NULL OR target_size > 0", name="target_size_positive"),)

    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    kind: Mapped[BoardKind] = mapped_column(enum_column(BoardKind))
    name: Mapped[str] = mapped_column(String(300))
    established_by_document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"))
    target_size: Mapped[int | None]
    parent_board_id: Mapped[int | None] = mapped_column(ForeignKey("boards.id"))

    unit: Mapped[Unit] = relationship()
    established_by: Mapped[Document | None] = relationship()
    parent_board: Mapped["Board | None"] = relationship(remote_side="Board.id")
    memberships: Mapped[list["Membership"]] = relationship(back_populates="board", order_by="Membership.id")

    def __repr__(self) -> str:
        return f"<Board {self.id} {self.name!r}>"


class Membership(TimestampMixin, VersionedMixin, db.Model):
    """A person's seat on a board over a period; people leave by an end date, never by deletion."""

    __tablename__ = "memberships"
    __table_args__ = (
        CheckConstraint("ends_on IS NULL OR ends_on >= starts_on", name="period"),
        # Backstop for "at most one current head": the service checks dated ends too.
        Index(
            "uq_memberships_current_head",
            "board_id",
            unique=True,
            sqlite_where=text("role IN ('head', 'group_leader') AND ends_on IS NULL"),
            postgresql_where=text("role IN ('head', 'group_leader') AND ends_on IS NULL"),
        ),
    )

    board_id: Mapped[int] = mapped_column(ForeignKey("boards.id"), index=True)
    person_name: Mapped[str] = mapped_column(String(200))
    position: Mapped[str] = mapped_column(String(300), default="")
    role: Mapped[MemberRole] = mapped_column(enum_column(MemberRole))
    phone: Mapped[str] = mapped_column(String(40), default="")
    email: Mapped[str] = mapped_column(String(200), default="")
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    starts_on: Mapped[date]
    ends_on: Mapped[date | None]
    appointed_by_document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"))

    board: Mapped[Board] = relationship(back_populates="memberships")
    appointed_by: Mapped[Document | None] = relationship()

    @property
    def unit_id(self) -> int:
        """The unit whose rights govern this seat: its board's."""
        return self.board.unit_id

    def __repr__(self) -> str:
        return f"<Membership {self.id} {self.person_name!r} {self.role}>"


def current_members_clause(today: date):
    """The seats held on `today`: started, and not ended before it."""
    return and_(Membership.starts_on <= today, or_(Membership.ends_on.is_(None), Membership.ends_on >= today))
