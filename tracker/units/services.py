"""Administrative units: the official list, search, the tree, scope and merges. Callers commit."""

import re
from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import func, literal, or_, select, union
from vietnam_provinces import Province, VietNamDivisionType, Ward

from tracker import audit
from tracker.boards.models import Board, Membership
from tracker.db import MAX_ID
from tracker.errors import ValidationError
from tracker.extensions import db
from tracker.sites.models import Site, SiteStatus
from tracker.text import fold, like_pattern
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


def get_by_code(code: str) -> Unit:
    """The unit with this official code, or a ValidationError naming the code."""
    unit = db.session.scalar(select(Unit).where(Unit.code == (code or "").strip()))
    if unit is None:
        raise ValidationError({"unit": _("Không có đơn vị nào mang mã “%(code)s”.", code=code)})
    return unit


def unit_ref(unit: Unit) -> str:
    """How forms name a unit: its official code, or '#id' when it has none."""
    return unit.code or f"#{unit.id}"


def find_unit(ref: str, field: str = "unit", within: Unit | int | None = None) -> Unit:
    """The unit named by its official code, by '#id' (units outside the official list have no code), or by its name.

    A name is read accent- and case-insensitively, with or without its kind ('bai bong' finds 'Phường Bãi Bông');
    'Name (code)', as the suggestions and the list of choices write it, is read by its code. A name shared by
    several units guesses nothing: the ValidationError on `field` lists them with their parent and code.
    `within` (a unit or its id) reads a name among that unit's subtree only, as the user whose scope it is sees
    the units; codes and '#id's are read everywhere, and the caller's access check answers for them.
    """
    text = " ".join((ref or "").split())
    if not text:
        raise ValidationError({field: _("Hãy nhập tên hoặc mã đơn vị.")})
    named = _NAMED_CODE.fullmatch(text)
    code = named.group(1) if named else text
    if _looks_like_code(code):
        try:
            return _by_codes([code], field)[0]
        except ValidationError:
            if text.startswith("#") or text.isdigit():
                raise
    return _by_name(text, field, within.id if isinstance(within, Unit) else within)


# 'Phường Bãi Bông (05860)' or '… (#12)': a suggestion or a listed choice, read by its code.
_NAMED_CODE = re.compile(r".*\((#?[0-9A-Za-z.-]+)\)")
# What a name may be typed without: the kinds' words as the official list writes them, folded.
_KIND_WORDS = ("tinh", "thanh pho", "thi xa", "quan", "huyen", "xa", "phuong", "dac khu", "thi tran", "to dan pho")
_CHOICES_SHOWN = 8


def _looks_like_code(text: str) -> bool:
    """One word with a digit or a leading '#': a code or an id ('05860', '#12'), not a name."""
    return not _REF_SEPARATORS.search(text) and (text.startswith("#") or any(c.isdigit() for c in text))


def _by_name(text: str, field: str, within: int | None = None) -> Unit:
    folded = fold(text)
    keys = {folded, *(f"{word} {folded}" for word in _KIND_WORDS)}
    stmt = select(Unit).where(Unit.search_name.in_(keys))
    if within is not None:
        stmt = stmt.where(Unit.id.in_(subtree_select(within)))
    units = db.session.scalars(stmt.order_by(Unit.valid_to.is_not(None), Unit.name, Unit.id)).all()
    if len(units) == 1:
        return units[0]
    scope = db.session.get(Unit, within) if not units and within is not None else None
    if scope is not None:
        raise ValidationError(
            {field: _("Không có đơn vị nào có tên “%(ref)s” trong %(scope)s.", ref=text, scope=scope.name)}
        )
    if not units:
        raise ValidationError({field: _("Không có đơn vị nào có tên hoặc mã “%(ref)s”.", ref=text)})
    choices = "; ".join(unit_choice(u) for u in units[:_CHOICES_SHOWN])
    if len(units) > _CHOICES_SHOWN:
        choices += "; …"
    raise ValidationError(
        {
            field: _(
                "Có %(n)d đơn vị tên “%(ref)s”: %(choices)s. Hãy ghi rõ mã đơn vị (trong ngoặc).",
                n=len(units),
                ref=text,
                choices=choices,
            )
        }
    )


def unit_choice(unit: Unit) -> str:
    """How suggestions and choices write a unit: 'Phường Bãi Bông, Thành phố Phổ Yên (05860)'; find_unit reads it."""
    where = f", {unit.parent.name}" if unit.parent is not None else ""
    return f"{unit.name}{where} ({unit_ref(unit)})"


_REF_SEPARATORS = re.compile(r"[\s,;]+")
# One unit per line or between semicolons; a line of codes may also be split by commas and spaces.
_LINES = re.compile(r"[\n;]+")
_CODE_SEPARATORS = re.compile(r"[\s,]+")
# 'Name, Parent (code)' as a suggestion writes it: the comma inside belongs to the one unit.
_CHOICE_CHUNK = re.compile(r"[^()]*\([^()]*\)")


def _by_codes(wanted: list[str], field: str) -> list[Unit]:
    """The units of these codes or '#id's, in order; every unknown one is named in one ValidationError."""
    ids = [int(r[1:]) for r in wanted if r.startswith("#") and r[1:].isdigit() and 0 < int(r[1:]) <= MAX_ID]
    codes = [r for r in wanted if not r.startswith("#")]
    found = {}
    if ids:
        found.update((f"#{u.id}", u) for u in db.session.scalars(select(Unit).where(Unit.id.in_(ids))))
    if codes:
        found.update((u.code, u) for u in db.session.scalars(select(Unit).where(Unit.code.in_(codes))))
    unknown = [r for r in wanted if r not in found]
    if unknown:
        raise ValidationError({field: _("Không có đơn vị nào mang mã “%(code)s”.", code=", ".join(unknown))})
    return [found[r] for r in wanted]


def _split_refs(refs: str) -> tuple[list[tuple[str, bool]], list[tuple[str, list[str]]]]:
    """(reference, is a code) for each unit in a typed list, in order, and the lines whose names commas split.

    A line (or the text between semicolons) whose words are all codes, '#id's or known codes is read as a list of
    codes. Any other line holds names: a suggestion 'Name, Parent (code)' is one unit, and commas split the rest
    ('Phường Bãi Bông, Phường Ba Hàng'); find_units checks that such a line did not mean 'Name, Parent'.
    """
    lines = [" ".join(line.split()) for line in _LINES.split(refs or "")]
    lines = [line for line in lines if line.strip(" ,")]
    words = {w for line in lines for w in _CODE_SEPARATORS.split(line) if w}
    plain = [w for w in words if not w.startswith("#") and not any(c.isdigit() for c in w)]
    known = set(db.session.scalars(select(Unit.code).where(Unit.code.in_(plain)))) if plain else set()
    found: list[tuple[str, bool]] = []
    split: list[tuple[str, list[str]]] = []
    for line in lines:
        codes = [w for w in _CODE_SEPARATORS.split(line) if w]
        if all(_looks_like_code(w) or w in known for w in codes):
            found.extend((w, True) for w in codes)
            continue
        rest = line
        for chunk in _CHOICE_CHUNK.findall(line):
            found.append((chunk.strip(" ,"), False))
            rest = rest.replace(chunk, ",", 1)
        names = [name.strip() for name in rest.split(",") if name.strip()]
        found.extend((name, False) for name in names)
        if len(names) > 1:
            split.append((line, names))
    return found, split


def _depth(unit: Unit) -> int:
    """How many parents a unit has: 0 for a province, 1 for a commune or ward, 2 for a residential group."""
    depth = 0
    while unit.parent is not None:
        unit, depth = unit.parent, depth + 1
    return depth


def find_units(refs: str, field: str = "unit", within: Unit | int | None = None) -> list[Unit]:
    """The units named in a typed list, in order: one unit per line or between semicolons, each read as find_unit
    reads one (`within` too); a line of codes or '#id's may also separate them by commas or spaces, and a line of
    names by commas when the names are units of one level (else 'Name, Parent' may have been meant).

    Every unknown code is named in one ValidationError on `field`, after each unknown or ambiguous name's message.
    """
    items, split = _split_refs(refs)
    wanted = list(dict.fromkeys(items))
    if not wanted:
        raise ValidationError({field: _("Hãy nhập tên hoặc mã đơn vị.")})
    found: dict[tuple[str, bool], Unit] = {}
    problems: list[str] = []
    for ref, is_code in wanted:
        if not is_code:
            try:
                found[(ref, False)] = find_unit(ref, field, within)
            except ValidationError as exc:
                problems.append(exc.fields[field])
    for line, names in split:
        units = [found.get((name, False)) for name in names]
        if all(units) and len({_depth(u) for u in units}) > 1:
            problems.append(
                _(
                    "“%(line)s”: không rõ dấu phẩy ngăn cách các đơn vị hay ghi đơn vị cấp trên; hãy ghi mỗi đơn "
                    "vị một dòng hoặc cách nhau bởi dấu chấm phẩy.",
                    line=line,
                )
            )
    codes = [ref for ref, is_code in wanted if is_code]
    if codes:
        try:
            found.update(((ref, True), unit) for ref, unit in zip(codes, _by_codes(codes, field), strict=True))
        except ValidationError as exc:
            problems.append(exc.fields[field])
    if problems:
        raise ValidationError({field: " ".join(problems)})
    return list(dict.fromkeys(found[item] for item in wanted))


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
