"""/api/v1 sites (điểm QR): the registry with its check-in counts, code rotation, QR images and posters.

Writes go through tracker.sites.services, images and posters through tracker.qr, as on the site screens:
staff register and edit sites of their scope and print posters; retiring a site or rotating its code is
for managers. The schemas are in tracker.api.sites_schemas.
"""

from flask import url_for
from flask_babel import gettext as _
from flask_login import current_user

from tracker.api.contract import LOCATION, bp
from tracker.api.helpers import get_or_404, listed_units
from tracker.api.queries import page
from tracker.api.sites_schemas import (
    POSTER_FILTERS,
    CodeRotate,
    CodeRotatedSchema,
    MarkPrinted,
    PosterQuery,
    PosterRequest,
    SiteCreate,
    SiteDetailSchema,
    SiteListSchema,
    SitePatch,
    SiteQuery,
)
from tracker.auth.access import EVERYONE, MANAGERS, STAFF, allow, check_manage, check_scope, in_scope
from tracker.errors import ValidationError, abort_with
from tracker.extensions import db
from tracker.qr import selection
from tracker.qr.posters import stream_posters
from tracker.qr.views import image_response, pdf_response, streamed_posters
from tracker.sites import queries, services
from tracker.sites.models import Site, SiteKind, SiteStatus

BINARY = {"type": "string", "format": "binary"}


def load_site(site_id: int) -> Site:
    return get_or_404(Site, site_id, _("Không có điểm QR nào có id %(id)d.", id=site_id))


def _fields(body: dict, site: Site | None) -> services.SiteFields:
    """The body's fields; one left out keeps the site's value (or is empty for a new site), null clears it."""

    def value(name: str, new: str = "") -> str:
        return body.get(name, getattr(site, name) if site is not None else new) or ""

    return services.SiteFields(
        name=value("name"),
        kind=value("kind", SiteKind.OTHER.value),
        address=value("address"),
        contact_name=value("contact_name"),
        contact_phone=value("contact_phone"),
    )


# --- the registry ---------------------------------------------------------------------------------------------


@bp.get("/sites")
@allow(EVERYONE)
@bp.arguments(SiteQuery, location="query")
@bp.response(200, SiteListSchema, description="A page of sites.")
@bp.refuses(401, 403)
def list_sites(args: dict):
    """Sites (điểm QR) of the units in the user's scope, by name"""
    unit_ids = listed_units(args.get("unit_id"))
    return page(
        queries.search(unit_ids=unit_ids, query=args.get("q", ""), kind=args.get("kind"), status=args["status"]), args
    )


@bp.post("/sites")
@allow(STAFF)
@bp.arguments(SiteCreate)
@bp.response(201, SiteDetailSchema, description="Registered; Location names the new site.", headers=LOCATION)
@bp.refuses(400, 401, 403)
def create_site(body: dict):
    """Register a site with a new code (staff, in scope)"""
    site = services.create_site(body["unit"], _fields(body, None))
    db.session.commit()
    return site, {"Location": url_for("api.get_site", site_id=site.id)}


@bp.get("/sites/<int:site_id>")
@allow(EVERYONE)
@bp.response(200, SiteDetailSchema, description="The site.")
@bp.refuses(401, 403, 404)
def get_site(site_id: int):
    """One site, with its check-in counts"""
    site = load_site(site_id)
    check_scope(site.unit_id)
    return site


@bp.patch("/sites/<int:site_id>")
@allow(STAFF)
@bp.arguments(
    SitePatch,
    description="Fields left out keep their value; read-only fields of SiteDetail are accepted "
    "and ignored. Changing `status` (retiring a site, or bringing it back) is for managers.",
)
@bp.response(200, SiteDetailSchema, description="The site as saved.")
@bp.refuses(400, 401, 403, 404, 409)
def update_site(body: dict, site_id: int):
    """Edit a site (staff, in scope) or retire it (managers); needs the version last read"""
    site = load_site(site_id)
    check_scope(site.unit_id)
    if body.get("unit_id") not in (None, site.unit_id):
        raise ValidationError({"unit_id": _("Không thể chuyển điểm QR sang đơn vị khác; hãy đăng ký điểm mới.")})
    status = body.get("status", site.status.value)
    if status != site.status.value:
        check_manage(site.unit_id)  # retiring a site (its code stops checking in) is for managers
    services.update_site(site, _fields(body, site), expected_version=body["version"])
    if status != site.status.value:
        services.set_status(site, status, expected_version=None)  # the version was checked just above
    db.session.commit()
    return site


@bp.post("/sites/<int:site_id>/rotate-code")
@allow(MANAGERS)
@bp.arguments(CodeRotate, required=False)
@bp.response(200, CodeRotatedSchema, description="The new code.")
@bp.refuses(400, 401, 403, 404, 409)
def rotate_code(body: dict, site_id: int):
    """Give the site a new code (managers, in scope); the old one answers 410 from then on

    For a lost or abused poster. The printed posters carry the old code: print new ones."""
    site = load_site(site_id)
    check_manage(site.unit_id)
    services.rotate_code(site, expected_version=body.get("version"))
    db.session.commit()
    return site


# --- QR images and posters: not JSON --------------------------------------------------------------------------


@bp.get("/sites/<int:site_id>/qr.svg")
@allow(EVERYONE)
@bp.response(200, BINARY, content_type="image/svg+xml", description="The QR of the upper-cased check-in URL.")
@bp.alt_response(304, description="The image named by If-None-Match is still the site's.", success=True)
@bp.refuses(401, 403, 404)
def site_qr_svg(site_id: int):
    """The site's QR code as SVG (strong ETag; 304 on If-None-Match)"""
    site = load_site(site_id)
    check_scope(site.unit_id)
    return image_response(site, "svg")


@bp.get("/sites/<int:site_id>/qr.png")
@allow(EVERYONE)
@bp.response(200, BINARY, content_type="image/png", description="The QR of the upper-cased check-in URL.")
@bp.alt_response(304, description="The image named by If-None-Match is still the site's.", success=True)
@bp.refuses(401, 403, 404)
def site_qr_png(site_id: int):
    """The site's QR code as PNG (strong ETag; 304 on If-None-Match)"""
    site = load_site(site_id)
    check_scope(site.unit_id)
    return image_response(site, "png")


def _retired(name: str) -> str:
    return _("Điểm QR “%(name)s” đã ngừng hoạt động: mã của điểm không còn nhận lượt quét.", name=name)


@bp.get("/sites/<int:site_id>/poster.pdf")
@allow(STAFF)
@bp.arguments(PosterQuery, location="query")
@bp.response(200, BINARY, content_type="application/pdf", description="The poster, as an attachment.")
@bp.refuses(401, 403, 404)
def site_poster(args: dict, site_id: int):
    """The site's printable poster (staff, in scope); a GET marks nothing: POST …/printed does"""
    site = load_site(site_id)
    check_scope(site.unit_id)
    if site.status != SiteStatus.ACTIVE:
        raise ValidationError({"status": _retired(site.name)})
    layout = args["layout"]
    body = b"".join(stream_posters([site], layout))
    return pdf_response(body, f"poster-{site.code}-{layout}.pdf")  # a GET only reads: POST …/printed marks it


@bp.post("/sites/<int:site_id>/printed")
@allow(STAFF)
@bp.arguments(MarkPrinted, required=False, description="Nothing to send: the body may be left out or be {}.")
@bp.response(200, SiteDetailSchema, description="The site, printed.")
@bp.refuses(400, 401, 403, 404)
def mark_site_printed(body: dict, site_id: int):
    """Mark the site's poster printed (staff, in scope): sets `poster_printed_at` to now"""
    site = load_site(site_id)
    check_scope(site.unit_id)
    if site.status != SiteStatus.ACTIVE:
        raise ValidationError({"status": _retired(site.name)})
    services.mark_posters_printed([site.id])
    db.session.commit()
    return site


def _chosen(ids: list[int]) -> list[int]:
    """The listed sites in print order; every one must exist, be in scope (else 403) and be active."""
    rows = selection.sites_by_id(ids)
    missing = sorted(set(ids) - {row.id for row in rows})
    if missing:
        raise ValidationError(
            {"site_ids": _("Không có điểm QR nào có id %(ids)s.", ids=", ".join(str(i) for i in missing))}
        )
    if not all(in_scope(current_user, unit_id) for unit_id in {row.unit_id for row in rows}):
        abort_with(403, _("Có điểm QR được chọn thuộc đơn vị ngoài phạm vi của bạn."))
    retired = [row.name for row in rows if row.status != SiteStatus.ACTIVE]
    if retired:
        raise ValidationError({"site_ids": _retired(retired[0])})
    return [row.id for row in rows]


def _filtered(body: dict) -> list[int]:
    """The active sites of the unit that match the filters, in the list's order."""
    if "unit" not in body:
        raise ValidationError({"unit_id": _("Gửi site_ids (các điểm QR cần in), hoặc unit_id cùng các bộ lọc.")})
    ids = selection.unit_site_ids(
        body["unit"].id,
        kind=body.get("kind"),
        query=body.get("q", ""),
        status=body.get("status", "active"),
        printed=body.get("printed"),
        activity=body.get("activity"),
    )
    if not ids:
        raise ValidationError({"unit_id": _("Không có điểm QR đang hoạt động nào khớp bộ lọc để in áp phích.")})
    return ids


@bp.post("/posters")
@allow(STAFF)
@bp.arguments(
    PosterRequest,
    description="Either `site_ids`, or `unit_id` with the list's filters (never both). Only active sites print; "
    "the printed sites get `poster_printed_at`.",
)
@bp.response(
    200, BINARY, content_type="application/pdf", description="The posters, one per page (or four per page), streamed."
)
@bp.refuses(400, 401, 403)
def posters(body: dict):
    """One PDF of many posters, streamed (staff, in scope); marks them printed"""
    if "site_ids" in body:
        sent = {"unit_id" if key == "unit" else key for key in body}  # UnitRef loads unit_id as the unit
        extra = [name for name in POSTER_FILTERS if name in sent]
        if extra:
            raise ValidationError({extra[0]: _("Gửi site_ids, hoặc unit_id cùng các bộ lọc, không gửi cả hai.")})
        ids = _chosen(body["site_ids"])
    else:
        ids = _filtered(body)
    layout = body["layout"]
    return streamed_posters(ids, layout, None, f"posters-{len(ids)}-{layout}.pdf")
