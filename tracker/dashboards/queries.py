"""The registry panels of the unit dashboard: QR points, online services, board staffing.

Each panel is a fixed number of grouped queries over a set of unit ids (a unit's subtree), whatever the
number of sites, check-ins, services or members.
"""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import func, or_, select

from tracker.boards.models import Board, BoardKind, Membership, current_members_clause
from tracker.extensions import db
from tracker.programs import rules
from tracker.programs.rules import Figure, Item
from tracker.public_services.models import PublicService, ServicePeriod
from tracker.public_services.services import LevelCounts
from tracker.sites import queries as site_queries
from tracker.sites.models import SiteKind
from tracker.units.models import Unit


@dataclass
class SiteCounts:
    registered: int = 0
    printed: int = 0
    active: int = 0


@dataclass
class QrPanel:
    """Active sites of the subtree: registered, with a printed poster, checked into in the last 30 days."""

    total: SiteCounts
    by_kind: list[tuple[SiteKind, SiteCounts]]


def qr_points(unit_ids: set[int], today: date) -> QrPanel:
    """The registry's unit statistics per site kind, largest first (retired sites do not count)."""
    stats = site_queries.unit_stats(unit_ids, today, checkins=False)
    by_kind = [(kind, SiteCounts(*counts)) for kind, counts in stats.by_kind.items()]
    by_kind.sort(key=lambda pair: -pair[1].registered)
    return QrPanel(SiteCounts(stats.registered, stats.posters_printed, stats.active_30d), by_kind)


@dataclass
class ServicesPanel:
    """Public services of the subtree by level: toàn trình (4), một phần (3), not online (1–2)."""

    full: int
    partial: int
    offline: int
    share: Figure  # level 3/4 among all procedures
    records: Figure | None  # records submitted online among all records received (None: no period entered)
    records_from: date | None = None
    records_to: date | None = None

    @property
    def total(self) -> int:
        return self.full + self.partial + self.offline


def online_services(unit_ids: set[int]) -> ServicesPanel:
    """Two grouped queries: procedures per level, and the records of every entered period."""
    levels = dict(
        db.session.execute(
            select(PublicService.level, func.count(PublicService.id))
            .where(PublicService.unit_id.in_(unit_ids))
            .group_by(PublicService.level)
        ).all()
    )
    counts = LevelCounts.of(levels)
    full, partial, offline = counts.full, counts.partial, counts.offline
    share = _shares(
        [
            (_("Toàn trình (mức độ 4)"), rules.ONE, full),
            (_("Một phần (mức độ 3)"), rules.ONE, partial),
            (_("Chưa cung cấp trực tuyến (mức độ 1, 2)"), rules.ZERO, offline),
        ],
        _(
            "số thủ tục trực tuyến (toàn trình, một phần) ÷ tổng số thủ tục = %(a)d ÷ %(b)d",
            a=full + partial,
            b=full + partial + offline,
        ),
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
    records = None
    if total:
        records = _shares(
            [
                (_("Hồ sơ nộp trực tuyến"), rules.ONE, online),
                (_("Hồ sơ nộp trực tiếp"), rules.ZERO, total - online),
            ],
            _("số hồ sơ nộp trực tuyến ÷ tổng số hồ sơ tiếp nhận = %(a)d ÷ %(b)d", a=online, b=total),
        )
    return ServicesPanel(full, partial, offline, share, records, first, last)


def _shares(parts: list[tuple[str, Decimal, int]], formula: str) -> Figure:
    """A share as the rules' weighted mean: each group counts with its size, 1 when it counts as online."""
    return rules.weighted_mean((Item(label, value, Decimal(n)) for label, value, n in parts if n), formula)


@dataclass
class BoardRow:
    id: int
    name: str
    kind: BoardKind
    unit_name: str
    target: int | None
    current: int

    @property
    def complete(self) -> bool:
        return self.target is not None and self.current >= self.target


@dataclass
class BoardsPanel:
    """Every board of the subtree with its current members against its target size."""

    boards: list[BoardRow] = field(default_factory=list)

    @property
    def complete(self) -> int:
        return sum(b.complete for b in self.boards)

    @property
    def current(self) -> int:
        return sum(b.current for b in self.boards)

    @property
    def target(self) -> int:
        return sum(b.target or 0 for b in self.boards)


def board_staffing(unit_ids: set[int], today: date) -> BoardsPanel:
    """One grouped query; a member is current when starts_on ≤ today and (no end, or ends_on ≥ today).

    A board of a unit that has ended (merged) with no current seat left is history, not staffing: it stays readable
    on its page but leaves the panel. Boards furthest from their target come first.
    """
    current = func.count(Membership.id)
    rows = db.session.execute(
        select(Board.id, Board.name, Board.kind, Unit.name, Board.target_size, current)
        .join(Unit, Unit.id == Board.unit_id)
        .outerjoin(Membership, (Membership.board_id == Board.id) & current_members_clause(today))
        .where(Board.unit_id.in_(unit_ids))
        .group_by(Board.id, Board.name, Board.kind, Unit.name, Unit.valid_to, Board.target_size)
        .having(or_(Unit.valid_to.is_(None), current > 0))
    ).all()
    boards = [BoardRow(r[0], r[1], BoardKind(r[2]), r[3], r[4], r[5]) for r in rows]
    boards.sort(key=lambda b: (-((b.target or 0) - b.current), b.unit_name, b.name, b.id))
    return BoardsPanel(boards)
