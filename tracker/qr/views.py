"""A site's QR image (SVG, PNG): by code for anyone, by site for whoever may read the site; its poster, and a
bulk PDF of posters, for staff.

Images are cached by code: a strong ETag answers If-None-Match with 304. `/qr/<CODE>.svg` names the code, which is
printed on a public poster anyway (DESIGN §2.8): anyone may embed it, and any cache may keep it for a year, since
the image of a code never changes. `/sites/<id>/qr.svg` names the site, not its code, so a response may be kept
for a year without asking again only when the link carries the current code (`?v=<code>`); otherwise the browser
revalidates each time, and a rotated code is never served stale.
"""

import re
from collections.abc import Sequence
from typing import NoReturn

from flask import Blueprint, Response, abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import bindparam, select

from tracker import downloads
from tracker.auth.access import (
    EVERYONE,
    STAFF,
    allow,
    check_scope,
    in_scope,
    load_in_scope,
    name_scope,
    public,
    same_for_everyone,
)
from tracker.auth.models import Role
from tracker.db import MAX_ID, reads_only
from tracker.errors import ValidationError, abort_with
from tracker.extensions import db, skips_limiter
from tracker.qr import address, known, render, selection
from tracker.qr.posters import LAYOUTS, stream_posters
from tracker.sites.codes import normalize
from tracker.sites.models import Site, SiteStatus
from tracker.sites.services import mark_posters_printed
from tracker.text import slug
from tracker.units.names import find_unit

bp = Blueprint("qr", __name__)
# The pages that offer printing warn while a phone could not open the QR codes (templates/sites/_public_address.html).
bp.add_app_template_global(address.current_problem, "public_address_problem")

IMMUTABLE = "private, max-age=31536000, immutable"
PUBLIC_IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "private, no-cache"
REFERENCE_LENGTH = 200


def _image(code: str, fmt: str, cache_control: str) -> Response:
    """The QR of this code as an SVG or PNG response, with its ETag; 304 when the client already has this one.
    Images come from the renderer's cache."""
    tag = render.etag(code, fmt)
    if "If-None-Match" in request.headers and request.if_none_match.contains_weak(tag):
        response = Response(status=304)
    else:
        data = render.payload(code)
        body = render.svg(data) if fmt == "svg" else render.png(data)
        response = Response(body, mimetype=render.FORMATS[fmt])
    response.set_etag(tag)
    response.headers["Cache-Control"] = cache_control
    return response


def image_response(site: Site, fmt: str) -> Response:
    """The site's QR by its id (only `site.code` is read: a row of _CODE_AND_UNIT will do)."""
    return _image(site.code, fmt, IMMUTABLE if request.args.get("v") == site.code else REVALIDATE)


@bp.get("/qr/<code>.svg", defaults={"fmt": "svg"})
@bp.get("/qr/<code>.png", defaults={"fmt": "png"})
@public
@same_for_everyone
@skips_limiter
def by_code(code: str, fmt: str):
    """The QR of an active site's code, for anyone and any cache; the same 404 and 410 as its check-in page.
    No SQL while this worker's verdict on the code is fresh (tracker.qr.known)."""
    normal = normalize(code)
    said = known.verdict(normal) if normal else known.Verdict.UNKNOWN
    if said is not known.Verdict.CURRENT:
        abort(said.value)
    return _image(normal, fmt, PUBLIC_IMMUTABLE)


_sites = Site.__table__
_CODE_AND_UNIT = select(_sites.c.code, _sites.c.unit_id).where(_sites.c.id == bindparam("id"))


def _image_of(site_id: int):
    """The site's code and unit, in scope, as load_in_scope would check (404, then 403), in one Core SELECT: the
    image needs no ORM object. The user's own unit is in scope without the walk up the tree."""
    row = db.session.execute(_CODE_AND_UNIT, {"id": site_id}).first()
    if row is None:
        abort(404)
    if current_user.role != Role.ADMIN and current_user.unit_id != row.unit_id:
        check_scope(row.unit_id)
    return row


@bp.get("/sites/<int:site_id>/qr.svg")
@allow(EVERYONE)
def svg(site_id: int):
    return image_response(_image_of(site_id), "svg")


@bp.get("/sites/<int:site_id>/qr.png")
@allow(EVERYONE)
def png(site_id: int):
    return image_response(_image_of(site_id), "png")


def _layout(value: str | None) -> str:
    layout = (value or "a4").strip().lower()
    if layout not in LAYOUTS:
        abort_with(400, _("Khổ in “%(layout)s” không được hỗ trợ: hãy chọn A4, A5 hoặc tem dán 4 mã.", layout=value))
    return layout


def _reference(value: str | None) -> str | None:
    """The program reference printed in the footer (optional: 'Kế hoạch 37/KH-UBND')."""
    reference = " ".join((value or "").split())
    if len(reference) > REFERENCE_LENGTH:
        abort_with(400, _("Số hiệu chương trình dài tối đa %(n)d ký tự.", n=REFERENCE_LENGTH))
    return reference or None


def pdf_response(body, filename: str) -> Response:
    """A PDF download: `body` is bytes or a generator of chunks (run within the request's context)."""
    return downloads.attachment(body, "application/pdf", filename)


def _refuse_retired(name: str) -> NoReturn:
    abort_with(400, _("Điểm QR “%(name)s” đã ngừng hoạt động: mã của điểm không còn nhận lượt quét.", name=name))


@bp.get("/sites/<int:site_id>/poster.pdf")
@allow(STAFF)
def poster(site_id: int):
    site = load_in_scope(Site, site_id)
    layout = _layout(request.args.get("layout"))
    reference = _reference(request.args.get("reference"))
    if site.status != SiteStatus.ACTIVE:
        _refuse_retired(site.name)
    body = b"".join(stream_posters([site], layout, program_reference=reference))
    filename = f"ap-phich-{slug(site.name) or 'diem-qr'}-{site.code}-{layout}.pdf"
    return pdf_response(body, filename)  # a GET only reads: printing is marked by the POST below


@bp.post("/sites/<int:site_id>/printed")
@allow(STAFF)
def mark_printed(site_id: int):
    """“Đánh dấu đã in”: the poster downloaded from the site page has been printed and put up."""
    site = load_in_scope(Site, site_id)
    if site.status != SiteStatus.ACTIVE:
        _refuse_retired(site.name)
    mark_posters_printed([site.id])
    db.session.commit()
    flash(_("Đã đánh dấu áp phích của “%(name)s” là đã in.", name=site.name), "success")
    return redirect(url_for("sites.show", site_id=site.id))


def _ids_field() -> list[int] | None:
    """The ids ticked in the list (several `site_ids` fields, or one with commas), or None when none was sent."""
    raw = [part for value in request.form.getlist("site_ids") for part in re.split(r"[\s,]+", value) if part]
    if not raw:
        return None
    if not all(part.isdigit() for part in raw):
        abort_with(400, _("Danh sách điểm QR không hợp lệ."))
    return list(dict.fromkeys(int(part) for part in raw))


def _gone_from_list() -> NoReturn:
    abort_with(404, _("Có điểm QR được chọn không còn tồn tại. Hãy tải lại danh sách."))


def _chosen_sites(ids: list[int]) -> tuple[list[int], str]:
    """The ticked sites in print order: all must exist, be in the user's scope and be active (else the whole
    request is refused)."""
    if not all(0 < ident <= MAX_ID for ident in ids):  # no table holds it: never let it reach the driver
        _gone_from_list()
    rows = selection.sites_by_id(ids)
    if len(rows) != len(ids):
        _gone_from_list()
    if not all(in_scope(current_user, unit_id) for unit_id in {row.unit_id for row in rows}):
        abort_with(403, _("Có điểm QR được chọn thuộc đơn vị ngoài phạm vi của bạn."))
    for row in rows:
        if row.status != SiteStatus.ACTIVE:
            _refuse_retired(row.name)
    return [row.id for row in rows], "chon"


def _filtered_sites() -> tuple[Sequence[int], str]:
    """The sites of a unit (the one sent, else the user's own) matching the list's filters."""
    ref = (request.form.get("unit") or "").strip()
    if ref:
        try:
            unit = find_unit(ref, "unit", name_scope(current_user))
        except ValidationError as exc:
            abort_with(400, exc.message)
    elif current_user.unit is not None:
        unit = current_user.unit
    else:
        abort_with(400, _("Hãy chọn đơn vị hoặc các điểm QR cần in áp phích."))
    check_scope(unit.id)
    ids = selection.unit_site_ids(
        unit.id,
        kind=request.form.get("kind") or None,
        query=request.form.get("q") or "",
        status=request.form.get("status") or "active",
        printed=request.form.get("printed") or None,
        activity=request.form.get("activity") or None,
    )
    return ids, slug(unit.name) or "don-vi"


@bp.post("/sites/posters")
@allow(STAFF)
def bulk():
    """One PDF of the ticked sites, or of a unit's sites matching the filters; streamed as it renders."""
    layout = _layout(request.form.get("layout"))
    reference = _reference(request.form.get("reference"))
    ids = _ids_field()
    ids, label = _chosen_sites(ids) if ids is not None else _filtered_sites()
    if not ids:
        abort_with(400, _("Không có điểm QR đang hoạt động nào để in áp phích."))
    return streamed_posters(ids, layout, reference, f"ap-phich-qr-{label}-{len(ids)}-{layout}.pdf")


def streamed_posters(ids: Sequence[int], layout: str, reference: str | None, filename: str) -> Response:
    """The posters of these sites as one PDF, streamed as it renders; they are marked printed once its last page
    is out (a download cut short marks nothing). The stream reads outside any write transaction."""
    stream = stream_posters(selection.iter_sites(ids), layout, program_reference=reference)

    def then_mark_printed():
        reads_only()
        yield from stream
        db.session.commit()  # ends the stream's reading transaction: the stamp begins a writing one
        reads_only(False)
        mark_posters_printed(ids)
        db.session.commit()

    db.session.commit()  # the checks' transaction (a POST's writing one on SQLite) ends before the stream
    return pdf_response(then_mark_printed(), filename)
