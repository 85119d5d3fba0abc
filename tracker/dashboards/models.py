from datetime import date, datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from tracker.db import db


class DashboardFragment(db.Model):
    """The rendered program part of a unit's dashboard for one day and language (tracker.dashboards.cache)."""

    __tablename__ = "dashboard_fragments"
    AUDITED = False

    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"), primary_key=True)
    locale: Mapped[str] = mapped_column(String(16), primary_key=True)
    day: Mapped[date]
    fingerprint: Mapped[str] = mapped_column(String(64))
    computed_at: Mapped[datetime]
    html: Mapped[str] = mapped_column(Text)

    def __repr__(self) -> str:
        return f"<DashboardFragment unit={self.unit_id} {self.locale} {self.day}>"
