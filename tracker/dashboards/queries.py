"""The registry panels of the unit dashboard: QR points, online services, board staffing.

Each panel is a fixed number of grouped queries over a set of unit ids (a unit's subtree), whatever the
number of sites, check-ins, services or members. Today's come from the counters the registries keep; a past day
(`as_of`, a report's cut-off) is counted from history by tracker.dashboards.history.
"""

from datetime import date

from sqlalchemy import func, or_, select

from tracker.boards.models import Board, BoardKind, Membership, current_members_clause
from tracker.dashboards import history
from tracker.dashboards.panels import BoardRow, BoardsPanel, QrPanel, ServicesPanel, SiteCounts, services_panel
from tracker.db import local_today
from tracker.extensions import db
from tracker.public_services.models import PublicService, ServicePeriod
from tracker.public_services.services import LevelCounts
from tracker.sites import queries as site_queries
from tracker.sites.models import SiteActivity, SiteCount
from tracker.units.models import Unit

__all__ = [
    "BoardRow",
    "BoardsPanel",
    "QrPanel",
    "ServicesPanel",
    "SiteCounts",
    "board_staffing",
    "online_services",
    "online_services_by_unit",
    "qr_points",
    "qr_points_by_unit",
]


def _past(as_of: date | None) -> bool:
    """True when `as_of` names a day before today: counted from history, not from today's counters."""
    return as_of is not None and as_of < local_today()


def qr_points(unit_ids: set[int], today: date, *, as_of: date | None = None) -> QrPanel:
    """The registry's unit statistics per site kind, largest first (retired sites do not count).

    `as_of`: a past day, counted as history allows (tracker.dashboards.history.qr_points); today or later (or
    None) reads today's kept counters."""
    if _past(as_of):
        return history.qr_points(unit_ids, as_of)
    stats = site_queries.unit_stats(unit_ids, today, checkins=False)
    by_kind = [(kind, SiteCounts(*counts)) for kind, counts in stats.by_kind.items()]
    by_kind.sort(key=lambda pair: -pair[1].registered)
    return QrPanel(SiteCounts(stats.registered, stats.posters_printed, stats.active_30d), by_kind)


def online_services(unit_ids: set[int], *, as_of: date | None = None) -> ServicesPanel:
    """Two grouped queries: procedures per level, and the records of every entered period.

    `as_of`: a past day, counted as history allows (tracker.dashboards.history.online_services)."""
    if _past(as_of):
        return history.online_services(unit_ids, as_of)
    levels = dict(
        db.session.execute(
            select(PublicService.level, func.count(PublicService.id))
            .where(PublicService.unit_id.in_(unit_ids))
            .group_by(PublicService.level)
        ).all()
    )
    total, online, first, last = db.session.execute(
        select(
            func.sum(ServicePeriod.records_total),
            func.sum(ServicePeriod.records_online),
            func.min(ServicePeriod.period_start),
            func.max(ServicePeriod.period_end),
        )
        .join(PublicService, PublicService.id == ServicePeriod.service_id)
        .where(PublicService.unit_id.in_(unit_ids))
    ).one()
    return services_panel(LevelCounts.of(levels), total, online, first, last)


def board_staffing(unit_ids: set[int], today: date, *, as_of: date | None = None) -> BoardsPanel:
    """One grouped query; a member is current when starts_on ≤ today and (no end, or ends_on ≥ today).

    A board of a unit that has ended (merged) with no current seat left is history, not staffing: it stays readable
    on its page but leaves the panel. Boards furthest from their target come first. `as_of`: a past day, counted
    as history allows (tracker.dashboards.history.board_staffing).
    """
    if _past(as_of):
        return history.board_staffing(unit_ids, as_of)
    current = func.count(Membership.id)
    rows = db.session.execute(
        select(Board.id, Board.name, Board.kind, Unit.name, Board.target_size, current, Board.unit_id)
        .join(Unit, Unit.id == Board.unit_id)
        .outerjoin(Membership, (Membership.board_id == Board.id) & current_members_clause(today))
        .where(Board.unit_id.in_(unit_ids))
        .group_by(Board.id, Board.name, Board.kind, Unit.name, Unit.valid_to, Board.target_size, Board.unit_id)
        .having(or_(Unit.valid_to.is_(None), current > 0))
    ).all()
    return BoardsPanel.of([BoardRow(r[0], r[1], BoardKind(r[2]), r[3], r[4], r[5], r[6]) for r in rows])


# --- per unit, for the ranking of subordinates ------------------------------------------------------------------


def qr_points_by_unit(unit_ids: set[int], today: date) -> dict[int, SiteCounts]:
    """Today's QR points of each unit on its own (not its subtree), from the kept counters: two grouped queries."""
    found: dict[int, SiteCounts] = {}
    for unit_id, registered, printed in db.session.execute(
        select(SiteCount.unit_id, func.sum(SiteCount.registered), func.sum(SiteCount.printed))
        .where(SiteCount.unit_id.in_(unit_ids))
        .group_by(SiteCount.unit_id)
    ):
        found[unit_id] = SiteCounts(int(registered or 0), int(printed or 0))
    since = site_queries.window_start(today, site_queries.ACTIVE_WINDOW_DAYS).date()
    for unit_id, active in db.session.execute(
        select(SiteActivity.unit_id, func.sum(SiteActivity.sites))
        .where(SiteActivity.unit_id.in_(unit_ids), SiteActivity.day >= since)
        .group_by(SiteActivity.unit_id)
    ):
        found.setdefault(unit_id, SiteCounts()).active = int(active or 0)
    return found


def online_services_by_unit(unit_ids: set[int]) -> dict[int, LevelCounts]:
    """The procedures of each unit on its own by reach (toàn trình, một phần, not online): one grouped query."""
    found: dict[int, LevelCounts] = {}
    for unit_id, level, n in db.session.execute(
        select(PublicService.unit_id, PublicService.level, func.count(PublicService.id))
        .where(PublicService.unit_id.in_(unit_ids))
        .group_by(PublicService.unit_id, PublicService.level)
    ):
        found.setdefault(unit_id, LevelCounts()).add(level, n)
    return found
