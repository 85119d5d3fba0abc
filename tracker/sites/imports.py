"""Importing sites (điểm QR) from CSV or XLSX on the import engine (tracker.imports.engine).

A row registers a new site, or, when its "Mã QR" is the code of a site of the same unit, updates that site.
Checks are done for the whole file with a handful of queries (units, codes, same-name sites), so a file of
10,000 rows checks in about the time it takes to read it.
"""

from collections import defaultdict

from flask_babel import LazyString, force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from tracker.auth.access import in_scope, name_scope
from tracker.auth.models import User
from tracker.db import MAX_ID
from tracker.errors import ValidationError
from tracker.extensions import db
from tracker.imports.engine import UPDATE, Column, RowResult
from tracker.sites.codes import grouped, normalize
from tracker.sites.models import Site, SiteKind, SiteStatus
from tracker.sites.services import SiteFields, check_fields, create_site, unique_codes, update_site
from tracker.text import fold
from tracker.units.models import Unit
from tracker.units.names import find_unit

CHUNK = 500  # ids or codes per IN (...) query


def _kind_labels() -> str:
    return ", ".join(k.label for k in SiteKind)


COLUMNS = (
    Column(
        "name", _l("Tên điểm"), True, ("ten", "ten diem qr", "name"), "Chợ Bãi Bông", 36, _l("Tên in trên áp phích.")
    ),
    Column(
        "kind",
        _l("Loại điểm"),
        True,
        ("loai", "kind"),
        "Chợ",
        18,
        LazyString(lambda: _("Một trong: %(kinds)s (hoặc mã: agency, business…).", kinds=_kind_labels())),
    ),
    Column("address", _l("Địa chỉ"), False, ("dia chi diem", "address"), "Tổ dân phố 3, phường Phổ Yên", 40),
    Column("contact_name", _l("Người liên hệ"), False, ("lien he", "contact", "contact name"), "Nguyễn Văn A", 24),
    Column(
        "contact_phone",
        _l("Số điện thoại"),
        False,
        ("so dien thoai lien he", "dien thoai", "sdt", "phone", "contact phone"),
        "0912345678",
        16,
    ),
    Column(
        "unit",
        _l("Mã đơn vị"),
        False,
        ("don vi", "unit", "unit code"),
        "",
        12,
        _l(
            "Tên đơn vị (ví dụ Phường Phổ Yên) hoặc mã (ví dụ 05860), hoặc #số thứ tự; để trống khi nhập cho đơn vị "
            "chọn lúc tải tệp lên."
        ),
    ),
    Column(
        "code",
        _l("Mã QR"),
        False,
        ("ma diem", "ma qr diem", "code", "qr code"),
        "",
        18,
        _l("Để trống để đăng ký điểm mới; ghi mã của một điểm đã có của đơn vị để sửa điểm đó."),
    ),
)
# The columns the registry export (tracker.sites.export) writes after COLUMNS: an exported file imports as is, these
# read back as nothing.
READ_ONLY_HEADERS = (
    _l("Trạng thái"),
    _l("Ngày in áp phích"),
    _l("Tổng lượt quét"),
    _l("Lượt quét 30 ngày"),
    _l("Lần quét gần nhất"),
)


def _kinds() -> dict[str, SiteKind]:
    """What a "Loại điểm" cell may say: the code, the Vietnamese label or the label in the current language."""
    found = {}
    for kind in SiteKind:
        found[fold(kind.value)] = kind
        found[fold(kind.value.replace("_", " "))] = kind
        found[fold(kind.label)] = kind
        with force_locale("vi"):
            found[fold(kind.label)] = kind
    return found


def _unit_candidates(ref: str) -> list[str]:
    """Codes a cell may mean: as typed, and zero-padded when a spreadsheet dropped the leading zeros (5860)."""
    found = [ref]
    if ref.isdigit():
        found += [ref.zfill(5), ref.zfill(2)]
    return found


class SiteImport:
    """Rows of sites for a user (None: the command line, every unit) and the unit chosen for rows without one."""

    kind = "sites"
    columns = COLUMNS
    ignored_headers = READ_ONLY_HEADERS

    def __init__(self, user: User | None, unit: Unit | None = None):
        self.user = user
        self.unit = unit
        self._codes: list[str] = []  # drawn for the new sites, not yet given

    # --- lookups, one query per chunk ---

    def _units(self, refs: set[str]) -> dict[str, Unit | str]:
        ids = {int(r[1:]) for r in refs if r.startswith("#") and r[1:].isdigit() and 0 < int(r[1:]) <= MAX_ID}
        codes = sorted({c for r in refs if not r.startswith("#") for c in _unit_candidates(r)})
        by_ref: dict[str, Unit] = {}
        for chunk in _chunks(sorted(ids)):
            by_ref.update((f"#{u.id}", u) for u in db.session.scalars(select(Unit).where(Unit.id.in_(chunk))))
        for chunk in _chunks(codes):
            by_ref.update((u.code, u) for u in db.session.scalars(select(Unit).where(Unit.code.in_(chunk))))
        found: dict[str, Unit | str] = {}
        for ref in refs:
            unit = next((by_ref[c] for c in _unit_candidates(ref) if c in by_ref), None)
            if unit is not None:
                found[ref] = unit
            elif not ref.startswith("#") and not ref.isdigit():
                # A name (one query each: a file names few units), or the message saying it found none or several;
                # read within the user's scope, as the forms read it.
                try:
                    found[ref] = find_unit(ref, "unit", name_scope(self.user) if self.user else None)
                except ValidationError as exc:
                    found[ref] = exc.fields["unit"]
        return found

    def _sites_by_code(self, codes: set[str]) -> dict[str, Site]:
        found = {}
        for chunk in _chunks(sorted(codes)):
            found.update((s.code, s) for s in db.session.scalars(select(Site).where(Site.code.in_(chunk))))
        return found

    def _same_names(self, keys: set[tuple[int, str]]) -> dict[tuple[int, str], list[Site]]:
        """Active sites of these units with these folded names."""
        by_unit = defaultdict(set)
        for unit_id, name in keys:
            by_unit[unit_id].add(name)
        found = defaultdict(list)
        for unit_id, names in by_unit.items():
            for chunk in _chunks(sorted(names)):
                stmt = select(Site).where(
                    Site.unit_id == unit_id, Site.status == SiteStatus.ACTIVE, Site.search_name.in_(chunk)
                )
                for site in db.session.scalars(stmt.order_by(Site.id)):
                    found[(unit_id, site.search_name)].append(site)
        return found

    # --- the engine's interface ---

    def check(self, rows: list[RowResult]) -> None:
        """Resolve each row's unit, kind and site; name every problem; warn about names used twice."""
        kinds = _kinds()
        units = self._units({r.values["unit"] for r in rows if r.values.get("unit")})
        codes = {r.number: normalize(r.values["code"]) for r in rows if r.values.get("code")}
        sites = self._sites_by_code({c for c in codes.values() if c})
        scope: dict[int, bool] = {}
        first_use: dict[str, int] = {}
        named: list[tuple[RowResult, Unit, Site | None, str]] = []
        for row in rows:
            unit = self._row_unit(row, units)
            if unit is not None and unit.id not in scope:
                scope[unit.id] = self.user is None or in_scope(self.user, unit.id)
            if unit is not None and not scope[unit.id]:
                row.error("unit", _("Đơn vị “%(name)s” nằm ngoài phạm vi của tài khoản.", name=unit.name))
                unit = None
            typed_kind = row.values.get("kind", "")
            kind = kinds.get(fold(typed_kind))
            if kind is None and typed_kind:
                row.error(
                    "kind", _("Loại điểm “%(v)s” không có; hãy dùng: %(kinds)s.", v=typed_kind, kinds=_kind_labels())
                )
            site = self._row_site(row, codes, sites, unit, first_use)
            try:
                fields = check_fields(self._fields(row, kind.value if kind else typed_kind, site))
            except ValidationError as exc:
                for key, message in exc.fields.items():
                    row.error(key, message)
                fields = None
            if unit is not None and row.values.get("name"):
                named.append((row, unit, site, row.values["name"]))
            if fields is not None and unit is not None and not row.errors:
                row.target = (unit, site, fields)
                row.action = UPDATE if site is not None else row.action
        self._warn_same_names(named)

    def apply_row(self, row: RowResult) -> None:
        """New sites go to the database CHUNK at a time: drawing the next CHUNK codes flushes the ones added (one
        INSERT and one audit INSERT for them all), and the caller's commit the last."""
        unit, site, fields = row.target
        if site is None:
            if not self._codes:
                self._codes = unique_codes(CHUNK)
            create_site(unit, fields, code=self._codes.pop(), flush=False)
        else:
            update_site(site, fields, expected_version=None)

    # --- per row ---

    def _row_unit(self, row: RowResult, units: dict[str, Unit | str]) -> Unit | None:
        ref = row.values.get("unit", "")
        if not ref:
            if self.unit is None:
                row.error("unit", _("Hãy ghi mã đơn vị, hoặc chọn đơn vị khi tải tệp lên."))
            return self.unit
        unit = units.get(ref)
        if isinstance(unit, str):
            row.error("unit", unit)
            return None
        if unit is None:
            row.error("unit", _("Không có đơn vị nào mang mã “%(code)s”.", code=ref))
        return unit

    def _row_site(self, row, codes, sites, unit: Unit | None, first_use: dict[str, int]) -> Site | None:
        typed = row.values.get("code", "")
        if not typed:
            return None
        code = codes.get(row.number)
        site = sites.get(code) if code else None
        if code is None:
            row.error("code", _("Mã QR “%(code)s” không đúng dạng (12 ký tự, ví dụ 7K3M-9QXA-B2CD).", code=typed))
        elif site is None or (unit is not None and site.unit_id != unit.id):
            where = unit.name if unit is not None else _("đơn vị của dòng")
            row.error("code", _("Mã QR “%(code)s” không thuộc đơn vị “%(unit)s”.", code=typed, unit=where))
            return None
        elif code in first_use:
            row.error("code", _("Mã QR này đã có ở dòng %(n)d: mỗi điểm chỉ sửa một lần.", n=first_use[code]))
        else:
            first_use[code] = row.number
        return site

    def _fields(self, row: RowResult, kind: str, site: Site | None) -> SiteFields:
        """The row's values; a column missing from the file keeps what the site already has."""

        def value(key: str) -> str:
            if key in row.values:
                return row.values[key]
            return getattr(site, key) if site is not None else ""

        return SiteFields(
            name=value("name"),
            kind=kind,
            address=value("address"),
            contact_name=value("contact_name"),
            contact_phone=value("contact_phone"),
        )

    def _warn_same_names(self, named: list[tuple[RowResult, Unit, Site | None, str]]) -> None:
        """A name used twice in a unit (in the file, or by an active site) is worth a warning on each row."""
        groups: dict[tuple[int, str], list[tuple[RowResult, Site | None]]] = defaultdict(list)
        for row, unit, site, name in named:
            groups[(unit.id, fold(name))].append((row, site))
        existing = self._same_names(set(groups))
        for key, members in groups.items():
            for row, site in members:
                others = [other.number for other, _site in members if other is not row]
                if others:
                    lines = ", ".join(str(n) for n in others)
                    row.warnings.append(_("Trùng tên với dòng %(rows)s của tệp.", rows=lines))
                for other in existing.get(key, ()):
                    if site is None or other.id != site.id:
                        message = _(
                            "Đơn vị đã có điểm “%(name)s” (mã %(code)s) cùng tên.",
                            name=other.name,
                            code=grouped(other.code),
                        )
                        row.warnings.append(message)


def _chunks(items: list) -> list[list]:
    return [items[i : i + CHUNK] for i in range(0, len(items), CHUNK)]
