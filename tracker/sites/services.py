"""The QR site registry: registering, editing, retiring sites and rotating their codes. Callers commit.

Codes are public identifiers printed on posters (DESIGN §2.8): random, unique, typable, case- and
dash-insensitive on lookup; a rotated code stays known so that it answers 410, not 404."""

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import select

from tracker.db import utcnow
from tracker.errors import ValidationError, check_version, flush_versioned
from tracker.extensions import db
from tracker.sites.codes import new_code
from tracker.sites.models import RetiredSiteCode, Site, SiteKind, SiteStatus
from tracker.text import clean, fold
from tracker.units.models import Unit

LENGTHS = {"name": 300, "address": 500, "contact_name": 200, "contact_phone": 40}


@dataclass
class SiteFields:
    """What a form, an API body or an import row sets on a site."""

    name: str
    kind: str = SiteKind.OTHER
    address: str = ""
    contact_name: str = ""
    contact_phone: str = ""


def check_fields(fields: SiteFields) -> SiteFields:
    """Cleaned fields, or a ValidationError naming each bad one."""
    cleaned = SiteFields(
        name=clean(fields.name),
        kind=(fields.kind or "").strip(),
        address=clean(fields.address),
        contact_name=clean(fields.contact_name),
        contact_phone=clean(fields.contact_phone),
    )
    errors = {}
    if not cleaned.name:
        errors["name"] = _("Hãy nhập tên điểm QR.")
    if cleaned.kind not in {k.value for k in SiteKind}:
        errors["kind"] = _("Loại điểm “%(kind)s” không có trong danh mục.", kind=fields.kind)
    for name, limit in LENGTHS.items():
        if len(getattr(cleaned, name)) > limit:
            errors[name] = _("Dài tối đa %(n)d ký tự.", n=limit)
    if errors:
        raise ValidationError(errors)
    return cleaned


CODES_PER_QUERY = 500


def unique_codes(count: int) -> list[str]:
    """`count` fresh codes no site has used, now or before (60 random bits: a clash is rare, but checked), in two
    queries per CODES_PER_QUERY codes."""
    found: set[str] = set()
    while len(found) < count:
        drawn = sorted({new_code() for _ in range(count - len(found))} - found)
        for start in range(0, len(drawn), CODES_PER_QUERY):
            chunk = drawn[start : start + CODES_PER_QUERY]
            taken = set(db.session.scalars(select(Site.code).where(Site.code.in_(chunk))))
            taken.update(db.session.scalars(select(RetiredSiteCode.code).where(RetiredSiteCode.code.in_(chunk))))
            found.update(code for code in chunk if code not in taken)
    return list(found)


def unique_code() -> str:
    """A fresh code no site has used, now or before."""
    return unique_codes(1)[0]


def same_name(unit_id: int, name: str, exclude_id: int | None = None) -> Site | None:
    """Another active site of the unit with the same name (accent- and case-insensitively): worth a warning."""
    stmt = select(Site).where(Site.unit_id == unit_id, Site.search_name == fold(name), Site.status == SiteStatus.ACTIVE)
    if exclude_id is not None:
        stmt = stmt.where(Site.id != exclude_id)
    return db.session.scalars(stmt.limit(1)).first()


def create_site(unit: Unit, fields: SiteFields, *, code: str | None = None, flush: bool = True) -> Site:
    """Register a site with a new code (`code`: one drawn by unique_codes for it). An import of thousands passes
    flush=False and lets the rows go to the database a batch at a time."""
    fields = check_fields(fields)
    site = Site(unit=unit, code=code or unique_code(), status=SiteStatus.ACTIVE, **vars(fields))
    db.session.add(site)
    if flush:
        db.session.flush()
    return site


def update_site(site: Site, fields: SiteFields, *, expected_version: int | None) -> Site:
    """Edit a site opened at `expected_version`."""
    check_version(site, expected_version)
    for name, value in vars(check_fields(fields)).items():
        setattr(site, name, value)
    flush_versioned()
    return site


def set_status(site: Site, status: str, *, expected_version: int | None) -> Site:
    """Retire a site (its code stops checking in) or bring it back."""
    check_version(site, expected_version)
    site.status = SiteStatus(status)
    flush_versioned()
    return site


def rotate_code(site: Site, *, expected_version: int | None = None) -> str:
    """Give the site a new code (poster lost or abused); the old one will answer 410. Returns the new code."""
    check_version(site, expected_version)
    db.session.add(RetiredSiteCode(code=site.code, site_id=site.id, retired_at=utcnow()))
    site.code = unique_code()
    site.poster_printed_at = None  # the printed posters carry the old code
    flush_versioned()
    return site.code


def mark_posters_printed(site_ids) -> None:
    """Stamp the sites whose posters were just generated (the posters_printed source counts them)."""
    ids = list(site_ids)
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        for site in db.session.scalars(select(Site).where(Site.id.in_(chunk))):
            site.poster_printed_at = utcnow()
    db.session.flush()
