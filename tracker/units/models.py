from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from tracker.db import TimestampMixin, VersionedMixin, db
from tracker.enums import LabelledEnum, enum_column
from tracker.text import fold


class UnitKind(LabelledEnum):
    PROVINCE = "province"
    CITY = "city"
    DISTRICT = "district"
    COMMUNE = "commune"
    WARD = "ward"
    SPECIAL_ZONE = "special_zone"
    RESIDENTIAL_GROUP = "residential_group"


UnitKind.with_labels(
    province=_l("Tỉnh, thành phố"),
    city=_l("Thành phố, thị xã"),
    district=_l("Quận, huyện"),
    commune=_l("Xã"),
    ward=_l("Phường"),
    special_zone=_l("Đặc khu"),
    residential_group=_l("Tổ dân phố, thôn"),
)


class Unit(TimestampMixin, VersionedMixin, db.Model):
    """An administrative unit; merged units end (valid_to, merged_into) but keep their records."""

    __tablename__ = "units"
    AUDIT_EXCLUDE = frozenset({"search_name"})  # derived from name

    code: Mapped[str | None] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    search_name: Mapped[str] = mapped_column(String(200), index=True)
    kind: Mapped[UnitKind] = mapped_column(enum_column(UnitKind))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    valid_from: Mapped[date | None]
    valid_to: Mapped[date | None]
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)

    parent: Mapped["Unit | None"] = relationship(
        remote_side="Unit.id", foreign_keys=[parent_id], back_populates="children"
    )
    children: Mapped[list["Unit"]] = relationship(
        foreign_keys=[parent_id], back_populates="parent", order_by="Unit.name"
    )
    merged_into: Mapped["Unit | None"] = relationship(
        remote_side="Unit.id", foreign_keys=[merged_into_id], back_populates="predecessors"
    )
    predecessors: Mapped[list["Unit"]] = relationship(
        foreign_keys=[merged_into_id], back_populates="merged_into", order_by="Unit.name"
    )

    @validates("name")
    def _fold_name(self, key, value):
        self.search_name = fold(value)
        return value

    @property
    def is_current(self) -> bool:
        return self.valid_to is None and self.merged_into_id is None

    def __repr__(self) -> str:
        return f"<Unit {self.id} {self.code or '-'} {self.name!r}>"
