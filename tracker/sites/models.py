from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from tracker.db import TimestampMixin, VersionedMixin, db, utcnow
from tracker.enums import LabelledEnum, enum_column
from tracker.text import fold
from tracker.units.models import Unit


class SiteKind(LabelledEnum):
    AGENCY = "agency"
    BUSINESS = "business"
    HOUSEHOLD_BUSINESS = "household_business"
    SCHOOL = "school"
    HEALTH_FACILITY = "health_facility"
    MARKET = "market"
    HERITAGE_SITE = "heritage_site"
    RESIDENTIAL_GROUP = "residential_group"
    OTHER = "other"


SiteKind.with_labels(
    agency=_l("Cơ quan"),
    business=_l("Doanh nghiệp"),
    household_business=_l("Hộ kinh doanh"),
    school=_l("Trường học"),
    health_facility=_l("Cơ sở y tế"),
    market=_l("Chợ"),
    heritage_site=_l("Di tích"),
    residential_group=_l("Tổ dân phố"),
    other=_l("Khác"),
)


class SiteStatus(LabelledEnum):
    ACTIVE = "active"
    RETIRED = "retired"


SiteStatus.with_labels(active=_l("Đang hoạt động"), retired=_l("Đã ngừng"))


class Site(TimestampMixin, VersionedMixin, db.Model):
    """A QR check-in point (điểm QR) with its public code."""

    __tablename__ = "sites"
    __table_args__ = (
        # Covers the dashboards' counts per unit and kind (registered, printed, active): no table reads.
        Index("ix_sites_unit_counts", "unit_id", "status", "kind", "poster_printed_at", "last_checkin_at"),
    )
    AUDIT_EXCLUDE = frozenset({"search_name", "last_checkin_at"})  # derived from name; kept by a trigger

    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    name: Mapped[str] = mapped_column(String(300))
    search_name: Mapped[str] = mapped_column(String(300))
    kind: Mapped[SiteKind] = mapped_column(enum_column(SiteKind))
    address: Mapped[str] = mapped_column(String(500), default="")
    contact_name: Mapped[str] = mapped_column(String(200), default="")
    contact_phone: Mapped[str] = mapped_column(String(40), default="")
    status: Mapped[SiteStatus] = mapped_column(enum_column(SiteStatus), default=SiteStatus.ACTIVE)
    code: Mapped[str] = mapped_column(String(12), unique=True)
    poster_printed_at: Mapped[datetime | None]
    # A check-in of the latest UTC day with any, kept by a database trigger on every check-in insert (the first
    # of each day writes): "checked into in the last N days" is then a column test, not a scan of check-ins.
    last_checkin_at: Mapped[datetime | None]

    unit: Mapped[Unit] = relationship()

    @validates("name")
    def _fold_name(self, key, value):
        self.search_name = fold(value)
        return value

    def __repr__(self) -> str:
        return f"<Site {self.id} {self.code} {self.name!r}>"


class RetiredSiteCode(db.Model):
    """A code taken out of use by rotation: it answers 410 instead of 404."""

    __tablename__ = "retired_site_codes"
    AUDITED = False  # keyed by code, not id; the site's own audit row already shows old and new code

    code: Mapped[str] = mapped_column(String(12), primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)
    retired_at: Mapped[datetime] = mapped_column(default=utcnow)

    def __repr__(self) -> str:
        return f"<RetiredSiteCode {self.code} site={self.site_id}>"


class CheckIn(db.Model):
    """One public check-in; no personal data unless the deployment collects phones."""

    __tablename__ = "checkins"
    AUDITED = False  # anonymous public data, high-volume, on the hot path: not a registry change to trace
    __table_args__ = (
        Index("ix_checkins_site_at", "site_id", "at"),
        Index("ix_checkins_site_device_at", "site_id", "device_hash", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    device_hash: Mapped[str] = mapped_column(String(64))
    phone: Mapped[str | None] = mapped_column(String(20))

    def __repr__(self) -> str:
        return f"<CheckIn {self.id} site={self.site_id} at={self.at:%Y-%m-%d %H:%M}>"


class SiteCount(db.Model):
    """Active sites of a unit and kind, and how many have a printed poster: kept by database triggers on
    `sites` (insert, update, delete), so a province's counts are a few hundred rows, not every site."""

    __tablename__ = "site_counts"
    AUDITED = False

    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), primary_key=True)
    registered: Mapped[int] = mapped_column(default=0)
    printed: Mapped[int] = mapped_column(default=0)

    def __repr__(self) -> str:
        return f"<SiteCount unit={self.unit_id} {self.kind} registered={self.registered} printed={self.printed}>"


class SiteActivity(db.Model):
    """Active sites of a unit and kind whose latest check-in fell on a UTC day (triggers, as SiteCount):
    "checked into in the last N days" sums the days since the window's start."""

    __tablename__ = "site_activity"
    __table_args__ = {"sqlite_with_rowid": False}  # clustered on the key: a window's sum reads only the key's pages
    AUDITED = False

    # Keyed unit → day → kind: a window is one range per unit. Emptied days are deleted by the triggers.
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"), primary_key=True)
    day: Mapped[date] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), primary_key=True)
    sites: Mapped[int] = mapped_column(default=0)

    def __repr__(self) -> str:
        return f"<SiteActivity unit={self.unit_id} {self.day} {self.kind} sites={self.sites}>"
