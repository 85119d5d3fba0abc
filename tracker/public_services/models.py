from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.db import TimestampMixin, VersionedMixin, db
from tracker.units.models import Unit

# Levels after Decree 42/2022: 3 = một phần (partial online), 4 = toàn trình (full online).
LEVEL_LABELS = {
    1: _l("Mức độ 1 — thông tin"),
    2: _l("Mức độ 2 — tải biểu mẫu"),
    3: _l("Mức độ 3 — một phần"),
    4: _l("Mức độ 4 — toàn trình"),
}


class PublicService(TimestampMixin, VersionedMixin, db.Model):
    """An administrative procedure offered by a unit, with its online level."""

    __tablename__ = "public_services"
    __table_args__ = (
        UniqueConstraint("unit_id", "code"),
        CheckConstraint("level BETWEEN 1 AND 4", name="level_range"),
    )

    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(500))
    field: Mapped[str] = mapped_column(String(200), default="")
    level: Mapped[int]
    online_since: Mapped[date | None]

    unit: Mapped[Unit] = relationship()
    periods: Mapped[list["ServicePeriod"]] = relationship(
        back_populates="service", order_by="ServicePeriod.period_start"
    )

    @property
    def level_label(self) -> str:
        return str(LEVEL_LABELS[self.level])

    def __repr__(self) -> str:
        return f"<PublicService {self.id} {self.code} level={self.level}>"


class ServicePeriod(TimestampMixin, VersionedMixin, db.Model):
    """Records received for one service in one period, and how many were submitted online."""

    __tablename__ = "service_periods"
    __table_args__ = (
        UniqueConstraint("service_id", "period_start"),
        CheckConstraint("period_end >= period_start", name="period"),
        CheckConstraint("records_total >= 0 AND records_online >= 0", name="records_non_negative"),
        CheckConstraint("records_online <= records_total", name="online_within_total"),
    )

    service_id: Mapped[int] = mapped_column(ForeignKey("public_services.id"), index=True)
    period_start: Mapped[date]
    period_end: Mapped[date]
    records_total: Mapped[int]
    records_online: Mapped[int]

    service: Mapped[PublicService] = relationship(back_populates="periods")

    def __repr__(self) -> str:
        return f"<ServicePeriod {self.service_id} {self.period_start} {self.records_online}/{self.records_total}>"
