"""Administrative units: the official list, search, the tree, scope and merges. Callers commit. How a person
names a unit (a code, '#id' or a name typed without accents) is read in tracker.units.names."""

from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import func, literal, or_, select, union
from vietnam_provinces import Province, VietNamDivisionType, Ward

from tracker import audit
from tracker.boards.models import Board, Membership
from tracker.errors import ValidationError
from tracker.extensions import db
from tracker.sites.models import Site, SiteStatus
from tracker.text import like_pattern
from tracker.units.models import Unit, UnitKind

_KIND_OF = {
    VietNamDivisionType.TINH: UnitKind.PROVINCE,
    VietNamDivisionType.THANH_PHO_TRUNG_UONG: UnitKind.PROVINCE,
    VietNamDivisionType.XA: UnitKind.COMMUNE,
    VietNamDivisionType.PHUONG: UnitKind.WARD,
    VietNamDivisionType.DAC_KHU: UnitKind.SPECIAL_ZONE,
}


def province_code(code) -> str:
    return f"{int(code):02d}"


def ward_code(code) -> str:
    return f"{int(code):05d}"


def load_official_units(valid_from: date = date(2025, 7, 1)) -> dict[str, int]:
    """Insert or refresh the 34 provinces and 3,321 communes, wards and special zones. Idempotent."""
    existing = {u.code: u for u in db.session.scalars(select(Unit).where(Unit.code.is_not(None)))}
    counts = {"created": 0, "updated": 0, "unchanged": 0}

    def upsert(code: str, name: str, kind: UnitKind, parent: Unit | None) -> Unit:
        unit = existing.get(code)
        if unit is None:
            unit = Unit(code=code, name=name, kind=kind, parent=parent, valid_from=valid_from)
            db.session.add(unit)
            existing[code] = unit
            counts["created"] += 1
        elif (unit.name, unit.kind, unit.parent_id) != (name, kind, parent.id if parent else None):
            unit.name, unit.kind, unit.parent = name, kind, parent
            counts["updated"] += 1
        else:
            counts["unchanged"] += 1
        return unit

    provinces = {}
    for p in Province.iter_all():
        provinces[p.code] = upsert(province_code(p.code), p.name, _KIND_OF[p.division_type], None)
    db.session.flush()
    for w in Ward.iter_all():
        upsert(ward_code(w.code), w.name, _KIND_OF[w.division_type], provinces[w.province_code])
    db.session.flush()
    return counts


def _edges_down():
    """(from, to) pairs: a unit reaches its children and the units merged into it."""
    return union(
        select(Unit.parent_id.label("up"), Unit.id.label("down")).where(Unit.parent_id.is_not(None)),
        select(Unit.merged_into_id.label("up"), Unit.id.label("down")).where(Unit.merged_into_id.is_not(None)),
    ).subquery()


def subtree_select(unit_id: int):
    """A SELECT of the ids of the unit, its descendants and its predecessors (recursively)."""
    edges = _edges_down()
    tree = select(literal(unit_id).label("id")).cte("subtree", recursive=True)
    tree = tree.union(select(edges.c.down).join(tree, edges.c.up == tree.c.id))
    return select(tree.c.id)


def ancestor_ids(unit_id: int) -> set[int]:
    """The unit, its parents up to the province, and what it was merged into (recursively)."""
    edges = _edges_down()
    up = select(literal(unit_id).label("id")).cte("ancestors", recursive=True)
    up = up.union(select(edges.c.up).join(up, edges.c.down == up.c.id))
    return set(db.session.scalars(select(up.c.id)))


def search(query: str = "", kind: str | None = None, parent_id: int | None = None, within: int | None = None):
    """A SELECT of units by accent-insensitive name ('bai bong' finds 'Bãi Bông'), kind and parent."""
    stmt = select(Unit)
    if query:
        stmt = stmt.where(or_(Unit.search_name.like(like_pattern(query), escape="\\"), Unit.code == query.strip()))
    if kind:
        stmt = stmt.where(Unit.kind == kind)
    if parent_id is not None:
        stmt = stmt.where(Unit.parent_id == parent_id)
    if within is not None:
        stmt = stmt.where(Unit.id.in_(subtree_select(within)))
    return stmt.order_by(Unit.valid_to.is_not(None), Unit.name, Unit.id)


def below_select(unit_id: int):
    """A SELECT of the units one step below a unit: its children and the units merged into it."""
    return search().where(or_(Unit.parent_id == unit_id, Unit.merged_into_id == unit_id))


def below_counts(unit_ids: list[int]) -> dict[int, int]:
    """How many units sit one step below each of these units (children and merged predecessors)."""
    if not unit_ids:
        return {}
    edges = _edges_down()
    rows = db.session.execute(
        select(edges.c.up, func.count(edges.c.down)).where(edges.c.up.in_(unit_ids)).group_by(edges.c.up)
    )
    return dict(rows.all())


@dataclass(frozen=True)
class MergeResult:
    """What a merge moved: the active sites now the successor's, and the board seats it ended."""

    sites_moved: int
    seats_ended: int


def merge(sources: list[Unit], into: Unit, on: date, keep_seats: bool = False) -> MergeResult:
    """End the source units on `on`, merged into `into`; their records stay theirs and show under `into`.

    The living registries follow the successor: the sources' active sites move to it (codes, history and check-ins
    kept; a poster printed from now on names the successor); retired sites stay. The sources' boards stay theirs,
    as history, and their current seats end on `on` unless `keep_seats`. Audited as one "merge" event on `into`.
    """
    if not sources:
        raise ValidationError({"sources": _("Hãy chọn ít nhất một đơn vị cần sáp nhập.")})
    if not into.is_current:
        raise ValidationError({"into": _("Đơn vị tiếp nhận “%(name)s” đã hết hiệu lực.", name=into.name)})
    into_line = ancestor_ids(into.id)
    for unit in sources:
        if unit.id == into.id or unit.id in into_line:
            raise ValidationError(
                {
                    "into": _(
                        "Không thể sáp nhập “%(src)s” vào chính nó hoặc vào đơn vị cấp dưới của nó (“%(dst)s”).",
                        src=unit.name,
                        dst=into.name,
                    )
                }
            )
        if not unit.is_current:
            raise ValidationError({"sources": _("Đơn vị “%(name)s” đã hết hiệu lực từ trước.", name=unit.name)})
        if unit.valid_from and on < unit.valid_from:
            raise ValidationError({"on": _("Ngày sáp nhập phải sau ngày hiệu lực của “%(name)s”.", name=unit.name)})
    sites = db.session.scalars(
        select(Site).where(Site.unit_id.in_([u.id for u in sources]), Site.status == SiteStatus.ACTIVE)
    ).all()
    seats = [] if keep_seats else _open_seats(sources, on)
    for unit in sources:
        unit.valid_to = on
        unit.merged_into = into
    for site in sites:
        site.unit = into
    for seat in seats:
        seat.ends_on = on
    result = MergeResult(len(sites), len(seats))
    db.session.flush()
    audit.record(
        "merge",
        "units",
        into.id,
        {
            "sources": [[u.id, u.name] for u in sources],
            "on": on.isoformat(),
            "sites_moved": result.sites_moved,
            "seats_ended": result.seats_ended,
            "seats_kept": keep_seats,
        },
    )
    return result


def _open_seats(sources: list[Unit], on: date) -> list[Membership]:
    """The seats of the sources' boards still open on the merge date; one starting later is a ValidationError."""
    seats = db.session.scalars(
        select(Membership)
        .join(Board, Board.id == Membership.board_id)
        .where(Board.unit_id.in_([u.id for u in sources]), or_(Membership.ends_on.is_(None), Membership.ends_on > on))
        .order_by(Membership.id)
    ).all()
    later = [m for m in seats if m.starts_on > on]
    if later:
        raise ValidationError(
            {
                "on": _(
                    "%(name)s bắt đầu tham gia Ban sau ngày sáp nhập: hãy sửa ngày bắt đầu, hoặc chọn giữ nguyên "
                    "thành viên Ban của đơn vị cũ.",
                    name=later[0].person_name,
                )
            }
        )
    return seats


def create_unit(name: str, kind: UnitKind | str, parent: Unit | None, code: str | None = None, **dates) -> Unit:
    """A unit outside the official list (a residential group, a pre-2025 ward)."""
    code = (code or "").strip() or None
    if code and db.session.scalar(select(Unit.id).where(Unit.code == code)):
        raise ValidationError({"code": _("Mã đơn vị “%(code)s” đã tồn tại.", code=code)})
    if not name.strip():
        raise ValidationError({"name": _("Hãy nhập tên đơn vị.")})
    unit = Unit(name=name.strip(), kind=UnitKind(kind), parent=parent, code=code, **dates)
    db.session.add(unit)
    db.session.flush()
    return unit


class UnitGraph:
    """The whole unit tree in memory (a few thousand rows): subtrees and roll-up children without a query each."""

    def __init__(self, rows):
        self.units = {r.id: r for r in rows}
        self.children: dict[int, list[int]] = {}
        self.predecessors: dict[int, list[int]] = {}
        for r in rows:
            if r.merged_into_id is not None:
                self.predecessors.setdefault(r.merged_into_id, []).append(r.id)
            elif r.parent_id is not None:
                # A merged unit counts under its successor only, never a second time under its old parent.
                self.children.setdefault(r.parent_id, []).append(r.id)

    def own(self, unit_id: int) -> list[int]:
        """The unit and, recursively, the units merged into it: their records are the unit's own."""
        found, stack = [], [unit_id]
        while stack:
            current = stack.pop()
            found.append(current)
            stack.extend(self.predecessors.get(current, ()))
        return found

    def rollup_children(self, unit_id: int) -> list[int]:
        """Units that count once each under this one: children of the unit and of its predecessors."""
        return [c for u in self.own(unit_id) for c in self.children.get(u, ())]

    def subtree(self, unit_id: int) -> set[int]:
        """Every unit whose records show under this one."""
        found, stack = set(), [unit_id]
        while stack:
            current = stack.pop()
            if current in found:
                continue
            found.add(current)
            stack.extend(self.predecessors.get(current, ()))
            stack.extend(self.children.get(current, ()))
        return found


def unit_graph() -> UnitGraph:
    """Load the unit tree (id, name, kind, code, parent, successor, end) in one query."""
    rows = db.session.execute(
        select(Unit.id, Unit.name, Unit.kind, Unit.code, Unit.parent_id, Unit.merged_into_id, Unit.valid_to)
    ).all()
    return UnitGraph(rows)
