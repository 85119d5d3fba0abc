"""/api/v1 sites (điểm QR): the registry with its check-in counts, code rotation, QR images and posters.

Writes go through tracker.sites.services, images and posters through tracker.qr, as on the site screens:
staff register and edit sites of their scope and print posters; retiring a site or rotating its code is
for managers.
"""

from flask import request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from tracker.api.bodies import Body
from tracker.api.helpers import (
    body_unit,
    get_or_404,
    json_object,
    listed_units,
    page_of,
    paging,
    query_choice,
    query_int,
)
from tracker.api.schemas import iso
from tracker.api.views import bp
from tracker.auth.access import EVERYONE, MANAGERS, STAFF, allow, check_manage, check_scope, in_scope
from tracker.db import MAX_ID, get_row, local_today
from tracker.errors import ValidationError, abort_with
from tracker.extensions import db
from tracker.qr import selection
from tracker.qr.address import check_in_url, public_base_url
from tracker.qr.posters import LAYOUTS, stream_posters
from tracker.qr.views import image_response, pdf_response, streamed_posters
from tracker.sites import queries, services
from tracker.sites.codes import grouped
from tracker.sites.models import Site, SiteKind, SiteStatus
from tracker.units.models import Unit

FIELDS = ("unit_id", "name", "kind", "address", "contact_name", "contact_phone")
READ_ONLY = ("id", "code", "code_grouped", "url", "poster_printed_at", "checkins", "created_at", "updated_at")
STATUSES = ("active", "retired", "all")
PRINTED = ("yes", "no")
POSTER_FILTERS = ("unit_id", "kind", "q", "status", "printed", "activity")
ACTIVITY = ("active", "inactive")


def _required() -> dict[str, str]:
    return {
        "unit_id": _("Hãy chọn đơn vị quản lý điểm QR (unit_id)."),
        "name": _("Hãy nhập tên điểm QR."),
        "version": _("Hãy gửi kèm phiên bản (version) của điểm QR đã đọc, để không ghi đè thay đổi của người khác."),
    }


def public_url(code: str) -> str:
    """The check-in page of a code, on the public address in force (never the request's Host)."""
    return check_in_url(code)


def image_urls(code: str) -> dict[str, str]:
    """The public QR images of a code (tracker.qr.views.by_code), on the configured public address."""
    base = public_base_url()
    return {fmt: base + url_for("qr.by_code", code=code, fmt=fmt) for fmt in ("svg", "png")}


def site_json(site: Site) -> dict:
    return {
        "id": site.id,
        "unit_id": site.unit_id,
        "name": site.name,
        "kind": site.kind.value,
        "address": site.address,
        "contact_name": site.contact_name,
        "contact_phone": site.contact_phone,
        "status": site.status.value,
        "code": site.code,
        "code_grouped": grouped(site.code),
        "url": public_url(site.code),
        "qr_images": image_urls(site.code),
        "poster_printed_at": iso(site.poster_printed_at),
        "version": site.version,
        "created_at": iso(site.created_at),
        "updated_at": iso(site.updated_at),
    }


def site_detail_json(site: Site) -> dict:
    stats = queries.site_stats([site.id], local_today()).get(site.id, queries.SiteStats())
    checkins = {"total": stats.total, "last7": stats.last7, "last30": stats.last30, "last_at": iso(stats.last_at)}
    return site_json(site) | {"checkins": checkins}


def load_site(site_id: int) -> Site:
    return get_or_404(Site, site_id, _("Không có điểm QR nào có id %(id)d.", id=site_id))


def _text(body: Body, name: str, site: Site | None) -> str:
    # Absent: the current value (or empty for a new site); lengths and required values are the service's to check.
    return body.text(name, default=getattr(site, name) if site is not None else "") or ""


def _fields(body: Body, site: Site | None) -> services.SiteFields:
    return services.SiteFields(
        name=_text(body, "name", site),
        kind=body.text("kind", default=site.kind.value if site is not None else SiteKind.OTHER.value) or "",
        address=_text(body, "address", site),
        contact_name=_text(body, "contact_name", site),
        contact_phone=_text(body, "contact_phone", site),
    )


@bp.get("/sites")
@allow(EVERYONE)
def list_sites():
    errors: dict[str, str] = {}
    unit_id = query_int("unit_id", errors)
    kind = query_choice("kind", [k.value for k in SiteKind], errors)
    status = query_choice("status", STATUSES, errors, normalise=str.lower) or "active"
    page, per_page = paging(errors)
    if errors:
        raise ValidationError(errors)
    unit_ids = listed_units(unit_id)
    stmt = queries.search(unit_ids=unit_ids, query=request.args.get("q", ""), kind=kind, status=status)
    return page_of(stmt, page, per_page, site_json)


@bp.post("/sites")
@allow(STAFF)
def create_site():
    body = Body(json_object(), FIELDS, READ_ONLY + ("version", "status"))
    unit = body_unit(body, _required()["unit_id"], manage=False)  # staff register sites
    fields = _fields(body, None)
    body.check()
    site = services.create_site(unit, fields)
    db.session.commit()
    return site_detail_json(site), 201, {"Location": url_for("api.get_site", site_id=site.id)}


@bp.get("/sites/<int:site_id>")
@allow(EVERYONE)
def get_site(site_id: int):
    site = load_site(site_id)
    check_scope(site.unit_id)
    return site_detail_json(site)


@bp.patch("/sites/<int:site_id>")
@allow(STAFF)
def update_site(site_id: int):
    site = load_site(site_id)
    check_scope(site.unit_id)
    body = Body(json_object(), FIELDS + ("status", "version"), READ_ONLY)
    version = body.integer("version", _required()["version"])
    unit_id = body.integer("unit_id", default=site.unit_id)
    if unit_id is not None and unit_id != site.unit_id:
        body.errors["unit_id"] = _("Không thể chuyển điểm QR sang đơn vị khác; hãy đăng ký điểm mới.")
    fields = _fields(body, site)
    status = body.choice("status", SiteStatus, default=site.status.value)
    body.check()
    if status != site.status.value:
        check_manage(site.unit_id)  # retiring a site (its code stops checking in) is for managers
    services.update_site(site, fields, expected_version=version)
    if status != site.status.value:
        services.set_status(site, status, expected_version=None)  # the version was checked just above
    db.session.commit()
    return site_detail_json(site)


@bp.post("/sites/<int:site_id>/rotate-code")
@allow(MANAGERS)
def rotate_code(site_id: int):
    site = load_site(site_id)
    check_manage(site.unit_id)
    body = Body(json_object() if request.get_data() else {}, ("version",))
    version = body.integer("version")
    body.check()
    code = services.rotate_code(site, expected_version=version)
    db.session.commit()
    return {
        "id": site.id,
        "code": code,
        "code_grouped": grouped(code),
        "url": public_url(code),
        "version": site.version,
    }


@bp.get("/sites/<int:site_id>/qr.svg")
@allow(EVERYONE)
def site_qr_svg(site_id: int):
    site = load_site(site_id)
    check_scope(site.unit_id)
    return image_response(site, "svg")


@bp.get("/sites/<int:site_id>/qr.png")
@allow(EVERYONE)
def site_qr_png(site_id: int):
    site = load_site(site_id)
    check_scope(site.unit_id)
    return image_response(site, "png")


def _retired(name: str) -> str:
    return _("Điểm QR “%(name)s” đã ngừng hoạt động: mã của điểm không còn nhận lượt quét.", name=name)


@bp.get("/sites/<int:site_id>/poster.pdf")
@allow(STAFF)
def site_poster(site_id: int):
    site = load_site(site_id)
    check_scope(site.unit_id)
    errors: dict[str, str] = {}
    layout = query_choice("layout", LAYOUTS, errors, normalise=str.lower) or "a4"
    if site.status != SiteStatus.ACTIVE:
        errors["status"] = _retired(site.name)
    if errors:
        raise ValidationError(errors)
    body = b"".join(stream_posters([site], layout))
    return pdf_response(body, f"poster-{site.code}-{layout}.pdf")  # a GET only reads: POST …/printed marks it


@bp.post("/sites/<int:site_id>/printed")
@allow(STAFF)
def mark_site_printed(site_id: int):
    site = load_site(site_id)
    check_scope(site.unit_id)
    Body(json_object() if request.get_data() else {}, ()).check()  # no fields: any sent is named and refused
    if site.status != SiteStatus.ACTIVE:
        raise ValidationError({"status": _retired(site.name)})
    services.mark_posters_printed([site.id])
    db.session.commit()
    return site_detail_json(site)


def _site_ids(body: Body) -> list[int]:
    """The ids of `site_ids`: a non-empty list of site ids, each once, in the order sent."""
    value = body.data["site_ids"]
    if not isinstance(value, list) or not value:
        body.errors["site_ids"] = _("Trường “site_ids” phải là danh sách id điểm QR, không rỗng.")
        return []
    if not all(isinstance(v, int) and not isinstance(v, bool) and 0 < v <= MAX_ID for v in value):
        body.errors["site_ids"] = _("Trường “site_ids” chỉ gồm các id điểm QR (số nguyên dương).")
        return []
    return list(dict.fromkeys(value))


def _chosen(body: Body, ids: list[int]) -> list[int]:
    """The listed sites in print order; every one must exist, be in scope (else 403) and be active."""
    rows = selection.sites_by_id(ids)
    missing = sorted(set(ids) - {row.id for row in rows})
    if missing:
        body.errors["site_ids"] = _("Không có điểm QR nào có id %(ids)s.", ids=", ".join(str(i) for i in missing))
        return []
    if not all(in_scope(current_user, unit_id) for unit_id in {row.unit_id for row in rows}):
        abort_with(403, _("Có điểm QR được chọn thuộc đơn vị ngoài phạm vi của bạn."))
    retired = [row.name for row in rows if row.status != SiteStatus.ACTIVE]
    if retired:
        body.errors["site_ids"] = _retired(retired[0])
    return [row.id for row in rows]


@bp.post("/posters")
@allow(STAFF)
def posters():
    body = Body(json_object(), ("site_ids", "layout", *POSTER_FILTERS))
    layout = body.choice("layout", LAYOUTS, default="a4")
    ids: list[int] = []
    if "site_ids" in body.data:
        extra = [name for name in POSTER_FILTERS if name in body.data]
        if extra:
            body.errors[extra[0]] = _("Gửi site_ids, hoặc unit_id cùng các bộ lọc, không gửi cả hai.")
        ids = _site_ids(body)
        if ids and not body.errors:
            ids = _chosen(body, ids)
    else:
        unit_id = body.integer("unit_id", _("Gửi site_ids (các điểm QR cần in), hoặc unit_id cùng các bộ lọc."))
        unit = get_row(Unit, unit_id)
        if unit_id is not None and unit is None:
            body.errors["unit_id"] = _("Không có đơn vị nào có id %(id)d.", id=unit_id)
        if unit is not None:
            check_scope(unit.id)
        kind = body.choice("kind", SiteKind, default=None)
        status = body.choice("status", STATUSES, default="active")
        printed = body.choice("printed", PRINTED, default=None)
        activity = body.choice("activity", ACTIVITY, default=None)
        query = body.text("q", default="") or ""
        body.check()
        ids = selection.unit_site_ids(
            unit.id, kind=kind, query=query, status=status, printed=printed, activity=activity
        )
        if not ids:
            body.errors["unit_id"] = _("Không có điểm QR đang hoạt động nào khớp bộ lọc để in áp phích.")
    body.check()
    return streamed_posters(ids, layout, None, f"posters-{len(ids)}-{layout}.pdf")
