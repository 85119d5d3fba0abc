from datetime import date

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.db import TimestampMixin, VersionedMixin, db
from tracker.units.models import Unit


class Document(TimestampMixin, VersionedMixin, db.Model):
    """A legal or party document (văn bản): basis of programs, board decisions, evidence."""

    __tablename__ = "documents"

    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    reference: Mapped[str] = mapped_column(String(80))
    number: Mapped[str] = mapped_column(String(20))
    kind_code: Mapped[str] = mapped_column(String(8))
    issuer_code: Mapped[str] = mapped_column(String(40))
    issued_on: Mapped[date | None]
    title: Mapped[str] = mapped_column(Text)

    unit: Mapped[Unit] = relationship()

    @property
    def label(self) -> str:
        return f"{self.reference} — {self.title}" if self.title else self.reference

    def __repr__(self) -> str:
        return f"<Document {self.id} {self.reference}>"
