"""Read-heavy queries of the site registry: the list's filters and the check-in statistics of sites and units.

Each statistic is a fixed number of grouped queries, whatever the number of sites or check-ins. "Active" means
at least one check-in in the last ACTIVE_WINDOW_DAYS days, the window of the live-linked tasks (DESIGN §2.5).
"""

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import NamedTuple

from sqlalchemy import Row, and_, case, func, or_, select

from tracker.db import LOCAL, local_today
from tracker.extensions import db
from tracker.sites.codes import normalize
from tracker.sites.models import CheckIn, Site, SiteActivity, SiteCount, SiteKind, SiteStatus
from tracker.text import clean, like_pattern

ACTIVE_WINDOW_DAYS = 30  # "active": checked into within this many days (the live-linked sites_active tasks too)
WEEK_DAYS = 7
STATUSES = {"active", "retired", "all"}
PRINTED = {"yes", "no"}
ACTIVITY = {"active", "inactive"}


def window_start(today: date, days: int) -> datetime:
    """Where a window of `days` days ending today begins (UTC midnight, as in the live-linked tasks)."""
    return datetime.combine(today - timedelta(days=days), time.min, UTC)


def recently_active(today: date):
    """The site had a check-in within the active window (its last_checkin_at, kept by a trigger)."""
    return Site.last_checkin_at >= window_start(today, ACTIVE_WINDOW_DAYS)


def _quiet(today: date):
    """No check-in within the active window, or none ever."""
    return or_(Site.last_checkin_at.is_(None), Site.last_checkin_at < window_start(today, ACTIVE_WINDOW_DAYS))


def search(
    *,
    unit_ids=None,
    query: str = "",
    kind: str | None = None,
    status: str | None = "active",
    printed: str | None = None,
    activity: str | None = None,
    today: date | None = None,
):
    """A SELECT of sites for the list's filters, ordered by name.

    unit_ids: ids or a SELECT of ids (None: every unit). query: accent-insensitive on the name, case-insensitive
    on the address, or a site code typed with or without dashes. status: active, retired or all; printed: yes or
    no (poster generated at least once); activity: active or inactive (check-ins in the last 30 days, from today).
    Values outside these sets are ignored.
    """
    stmt = select(Site)
    if unit_ids is not None:
        stmt = stmt.where(Site.unit_id.in_(unit_ids))
    if query and query.strip():
        # Names have a folded column; addresses do not, so they match case-insensitively as typed or folded.
        wanted = [
            Site.search_name.like(like_pattern(query), escape="\\"),
            Site.address.ilike(f"%{_escaped(clean(query))}%", escape="\\"),
            Site.address.ilike(like_pattern(query), escape="\\"),
        ]
        code = normalize(query)
        if code is not None:
            wanted.append(Site.code == code)
        stmt = stmt.where(or_(*wanted))
    if kind in {k.value for k in SiteKind}:
        stmt = stmt.where(Site.kind == kind)
    if status in {"active", "retired"}:
        stmt = stmt.where(Site.status == SiteStatus(status))
    if printed in PRINTED:
        stmt = stmt.where(Site.poster_printed_at.is_not(None) if printed == "yes" else Site.poster_printed_at.is_(None))
    if activity in ACTIVITY:
        day = today or local_today()
        stmt = stmt.where(recently_active(day) if activity == "active" else _quiet(day))
    return stmt.order_by(Site.search_name, Site.id)


def _escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


@dataclass
class SiteStats:
    """Check-ins of one site: all time, the last 7 and 30 days, and the last one."""

    total: int = 0
    last7: int = 0
    last30: int = 0
    last_at: datetime | None = None


def _checkin_counts(today: date) -> tuple:
    """The columns of a grouped query of check-ins: all, those of the last 7 and 30 days, and the last one."""
    week, month = window_start(today, WEEK_DAYS), window_start(today, ACTIVE_WINDOW_DAYS)
    return (
        func.count(CheckIn.id).label("total"),
        func.count(case((CheckIn.at >= week, 1))).label("last7"),
        func.count(case((CheckIn.at >= month, 1))).label("last30"),
        func.max(CheckIn.at).label("last_at"),
    )


def site_stats(site_ids, today: date) -> dict[int, SiteStats]:
    """{site id: SiteStats} in one grouped query; sites without check-ins are absent (read them as SiteStats())."""
    ids = list(site_ids)
    if not ids:
        return {}
    rows = db.session.execute(
        select(CheckIn.site_id, *_checkin_counts(today)).where(CheckIn.site_id.in_(ids)).group_by(CheckIn.site_id)
    )
    return {site_id: SiteStats(total, last7, last30, last_at) for site_id, total, last7, last30, last_at in rows}


def with_stats(stmt, today: date, batch: int = 1000) -> Iterator[tuple[Row, SiteStats]]:
    """Every row a SELECT of sites (as `search` builds, or the same with only some columns) finds, in its order,
    each with its SiteStats: one statement, whatever the number of sites (the check-ins of those sites only,
    grouped in a subquery joined to them), whose rows are fetched `batch` at a time as the caller iterates (a
    server-side cursor on PostgreSQL): an export of 60,000 sites never holds them all."""
    wanted = stmt.with_only_columns(Site.id).order_by(None)
    counts = (
        select(CheckIn.site_id, *_checkin_counts(today))
        .where(CheckIn.site_id.in_(wanted))
        .group_by(CheckIn.site_id)
        .subquery()
    )
    stats = (counts.c.total, counts.c.last7, counts.c.last30, counts.c.last_at)
    joined = stmt.add_columns(*stats).outerjoin(counts, counts.c.site_id == Site.id)
    width = len(stmt.selected_columns)
    # A site without check-ins has no row in the subquery: its counts come back NULL.
    for row in db.session.execute(joined.execution_options(yield_per=batch)):
        total, last7, last30, last_at = row[width:]
        yield row[:width], SiteStats(total or 0, last7 or 0, last30 or 0, last_at)


def daily_counts(site_id: int, today: date) -> list[tuple[date, int]]:
    """Check-ins of one site per calendar day in Vietnam over the active window, oldest first, in one query.

    The days run from today − 30 to today; the first day starts where the window does, so the counts add up
    to SiteStats.last30.
    """
    start = window_start(today, ACTIVE_WINDOW_DAYS)
    days = [today - timedelta(days=n) for n in range(ACTIVE_WINDOW_DAYS, -1, -1)]
    # Each day ends at the next local midnight (UTC+7), the last one is open.
    ends = [datetime.combine(d + timedelta(days=1), time.min, LOCAL).astimezone(UTC) for d in days[:-1]]
    bounds = list(zip([start, *ends], [*ends, None], strict=True))
    columns = [
        func.count(case((and_(CheckIn.at >= low, CheckIn.at < high) if high else CheckIn.at >= low, 1)))
        for low, high in bounds
    ]
    row = db.session.execute(select(*columns).where(CheckIn.site_id == site_id, CheckIn.at >= start)).one()
    return list(zip(days, row, strict=True))


class KindCounts(NamedTuple):
    registered: int
    posters_printed: int
    active_30d: int


@dataclass
class UnitSiteStats:
    """The sites of a set of units. Site counts are of active sites (as in the live-linked tasks); check-ins are
    of every site of the units, retired ones included (the visits did happen)."""

    registered: int = 0
    posters_printed: int = 0
    active_30d: int = 0
    checkins_total: int = 0
    checkins_7d: int = 0
    checkins_30d: int = 0
    last_at: datetime | None = None
    by_kind: dict[SiteKind, KindCounts] = field(default_factory=dict)


def unit_stats(unit_ids, today: date, *, checkins: bool = True) -> UnitSiteStats:
    """Sites and check-ins of these units (ids or a SELECT of ids): one grouped query per kind of site, and one
    for the check-ins unless `checkins` is False (the dashboard shows only the site counts)."""
    # The counts kept by the triggers on sites (tracker.sites.models.SiteCount, SiteActivity): a few rows per unit.
    counts = db.session.execute(
        select(SiteCount.kind, func.sum(SiteCount.registered), func.sum(SiteCount.printed))
        .where(SiteCount.unit_id.in_(unit_ids))
        .group_by(SiteCount.kind)
    ).all()
    active = dict(
        db.session.execute(
            select(SiteActivity.kind, func.sum(SiteActivity.sites))
            .where(
                SiteActivity.unit_id.in_(unit_ids),
                SiteActivity.day >= window_start(today, ACTIVE_WINDOW_DAYS).date(),
            )
            .group_by(SiteActivity.kind)
        ).all()
    )
    stats = UnitSiteStats()
    for kind, registered, printed in counts:
        if not registered:
            continue
        recent = int(active.get(kind) or 0)
        stats.by_kind[SiteKind(kind)] = KindCounts(int(registered), int(printed), recent)
        stats.registered += int(registered)
        stats.posters_printed += int(printed)
        stats.active_30d += recent
    if checkins:
        total, last7, last30, last_at = db.session.execute(
            select(*_checkin_counts(today)).join(Site, Site.id == CheckIn.site_id).where(Site.unit_id.in_(unit_ids))
        ).one()
        stats.checkins_total, stats.checkins_7d, stats.checkins_30d, stats.last_at = total, last7, last30, last_at
    return stats
