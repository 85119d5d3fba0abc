"""What the registry panels of a unit's dashboard hold (QR points, online services, board staffing), whether counted
for today (tracker.dashboards.queries) or for a past day (tracker.dashboards.history)."""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from flask_babel import gettext as _

from tracker.boards.models import BoardKind
from tracker.programs import rules
from tracker.programs.rules import Figure, Item
from tracker.public_services.services import LevelCounts
from tracker.sites.models import SiteKind


@dataclass
class SiteCounts:
    registered: int = 0
    printed: int = 0
    active: int = 0

    def add(self, other: "SiteCounts") -> None:
        self.registered += other.registered
        self.printed += other.printed
        self.active += other.active


@dataclass
class QrPanel:
    """Active sites of the subtree: registered, with a printed poster, checked into in the last 30 days."""

    total: SiteCounts
    by_kind: list[tuple[SiteKind, SiteCounts]]

    @classmethod
    def of(cls, by_kind: dict[SiteKind, SiteCounts]) -> "QrPanel":
        """The panel of these counts per kind: kinds without a site left out, the largest first."""
        total = SiteCounts()
        for counts in by_kind.values():
            total.add(counts)
        kinds = [(kind, counts) for kind, counts in by_kind.items() if counts.registered]
        kinds.sort(key=lambda pair: -pair[1].registered)
        return cls(total, kinds)


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


def services_panel(
    counts: LevelCounts, total: int | None, online: int | None, first: date | None, last: date | None
) -> ServicesPanel:
    """The panel of procedures counted by reach and of records (`total` received, `online` of them submitted online,
    over the periods from `first` to `last`); every share explains itself."""
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
    records = None
    if total:
        online = online or 0
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
    unit_id: int | None = None

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

    @classmethod
    def of(cls, boards: list[BoardRow]) -> "BoardsPanel":
        """The boards furthest from their target first."""
        return cls(sorted(boards, key=lambda b: (-((b.target or 0) - b.current), b.unit_name, b.name, b.id)))
