"""A unit as people name it: its official code, '#id' (units outside the official list have no code), or its name
typed with or without accents and kind ('bai bong' finds Phường Bãi Bông), alone or in a list; and how forms and
suggestions write a unit so that it reads back. An ambiguous or unknown name guesses nothing: a ValidationError on
the form's field lists the choices, or says none matched."""

import re

from flask_babel import gettext as _
from sqlalchemy import select

from tracker.db import MAX_ID
from tracker.errors import ValidationError
from tracker.extensions import db
from tracker.text import fold
from tracker.units.models import Unit, UnitKind
from tracker.units.services import subtree_select


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


# Cities governed by the centre are "Thành phố", every other province "Tỉnh" (when its name lacks the word).
CENTRAL_CITIES = frozenset({"Hà Nội", "Hồ Chí Minh", "Hải Phòng", "Đà Nẵng", "Cần Thơ", "Huế"})


def full_name(name: str, kind) -> str:
    """A unit's name as a heading or a document names it: a province without its word gains it ("Tỉnh Thái
    Nguyên")."""
    if kind == UnitKind.PROVINCE and not name.startswith(("Tỉnh ", "Thành phố ")):
        return f"{'Thành phố' if name in CENTRAL_CITIES else 'Tỉnh'} {name}"
    return name
