"""The schemas of /api/v1 sites (tracker.api.sites): a site as the API shows it (its code, check-in page, QR
images and check-in counts), the bodies that register, edit and rotate it, and what the posters read. The texts'
lengths, the name and the kind are the service's to check (the form and the import share its messages); the schemas
say what they accept."""

import marshmallow as ma
from flask import url_for
from flask_babel import lazy_gettext as _l

from tracker.api.fields import Body, Choice, IdList, Integer, Text, UnitRef, echoes
from tracker.api.queries import Paged, Query, QueryChoice, QueryInt, QueryText, page_schema
from tracker.auth.access import check_scope
from tracker.db import local_today
from tracker.qr.address import check_in_url, public_base_url
from tracker.qr.posters import LAYOUTS
from tracker.sites import queries
from tracker.sites.codes import grouped
from tracker.sites.models import SiteKind, SiteStatus
from tracker.sites.services import LENGTHS

STATUSES = ("active", "retired", "all")
PRINTED = ("yes", "no")
ACTIVITY = ("active", "inactive")
POSTER_FILTERS = ("unit_id", "kind", "q", "status", "printed", "activity")
KINDS = [kind.value for kind in SiteKind]

NEED_UNIT = _l("Hãy chọn đơn vị quản lý điểm QR (unit_id).")
NEED_NAME = _l("Hãy nhập tên điểm QR.")
NEED_VERSION = _l("Hãy gửi kèm phiên bản (version) của điểm QR đã đọc, để không ghi đè thay đổi của người khác.")
NOT_SITE_IDS = _l("Trường “site_ids” phải là danh sách id điểm QR, không rỗng.")
NOT_SITE_ID = _l("Trường “site_ids” chỉ gồm các id điểm QR (số nguyên dương).")
CODE_PATTERN = "^[0-9A-HJKMNP-TV-Z]{12}$"


def public_url(code: str) -> str:
    """The check-in page of a code, on the public address in force (never the request's Host)."""
    return check_in_url(code)


def image_urls(code: str) -> dict[str, str]:
    """The public QR images of a code (tracker.qr.views.by_code), on the configured public address."""
    base = public_base_url()
    return {fmt: base + url_for("qr.by_code", code=code, fmt=fmt) for fmt in ("svg", "png")}


# --- responses ------------------------------------------------------------------------------------------------


class Code(ma.fields.String):
    """The site's code (Crockford base32), dumped from `code`."""

    def __init__(self, **kwargs):
        super().__init__(required=True, dump_only=True, **kwargs)
        self.metadata = {
            "pattern": CODE_PATTERN,
            "description": "12 characters of Crockford base32; printed under the QR in groups of four.",
            "examples": ["7K3M9QXAB2CD"],
            **self.metadata,
        }


class GroupedCode(ma.fields.String):
    def __init__(self):
        super().__init__(
            attribute="code",
            required=True,
            dump_only=True,
            metadata={
                "description": "The code as printed, for typing by hand (the check-in page ignores case and dashes).",
                "examples": ["7K3M-9QXA-B2CD"],
            },
        )

    def _serialize(self, value, attr, obj, **kwargs) -> str:
        return grouped(value)


class CheckInUrl(ma.fields.String):
    def __init__(self):
        super().__init__(
            attribute="code",
            required=True,
            dump_only=True,
            metadata={"format": "uri", "description": "The public check-in page: PUBLIC_BASE_URL + /c/ + code."},
        )

    def _serialize(self, value, attr, obj, **kwargs) -> str:
        return public_url(value)


class QrImagesSchema(ma.Schema):
    svg = ma.fields.String(required=True, metadata={"format": "uri"})
    png = ma.fields.String(required=True, metadata={"format": "uri"})


class QrImages(ma.fields.Nested):
    def __init__(self):
        super().__init__(
            QrImagesSchema,
            attribute="code",
            dump_only=True,
            metadata={
                "description": "The QR image of the current code, public and cacheable for a year: PUBLIC_BASE_URL "
                "+ /qr/<code>.svg (or .png)."
            },
        )

    def _serialize(self, value, attr, obj, **kwargs):
        return super()._serialize(image_urls(value), attr, obj, **kwargs)


class SiteSchema(ma.Schema):
    id = ma.fields.Integer(required=True, dump_only=True)
    unit_id = ma.fields.Integer(required=True)
    name = ma.fields.String(required=True, metadata={"minLength": 1, "maxLength": LENGTHS["name"]})
    kind = ma.fields.String(required=True, metadata={"enum": KINDS})
    address = ma.fields.String(metadata={"maxLength": LENGTHS["address"]})
    contact_name = ma.fields.String(metadata={"maxLength": LENGTHS["contact_name"]})
    contact_phone = ma.fields.String(metadata={"maxLength": LENGTHS["contact_phone"]})
    status = ma.fields.String(
        required=True,
        metadata={
            "enum": [status.value for status in SiteStatus],
            "description": "A retired site's code answers 410 on check-in.",
        },
    )
    code = Code()
    code_grouped = GroupedCode()
    url = CheckInUrl()
    qr_images = QrImages()
    poster_printed_at = ma.fields.DateTime(
        allow_none=True,
        dump_only=True,
        metadata={"description": "When a poster of the current code was last generated (or marked printed)."},
    )
    version = ma.fields.Integer(required=True, dump_only=True)
    created_at = ma.fields.DateTime(dump_only=True)
    updated_at = ma.fields.DateTime(dump_only=True)


class CheckInsSchema(ma.Schema):
    total = ma.fields.Integer(required=True, validate=ma.validate.Range(min=0))
    last7 = ma.fields.Integer(required=True, validate=ma.validate.Range(min=0))
    last30 = ma.fields.Integer(required=True, validate=ma.validate.Range(min=0))
    last_at = ma.fields.DateTime(required=True, allow_none=True)


class CheckIns(ma.fields.Nested):
    """The site's check-in counts, read from `id` (one grouped query)."""

    def __init__(self):
        super().__init__(
            CheckInsSchema,
            attribute="id",
            required=True,
            dump_only=True,
            metadata={
                "description": "Check-ins, a device counted once per 30 minutes; windows end today (Vietnam) and "
                "start at UTC midnight, as for the live-linked tasks."
            },
        )

    def _serialize(self, value, attr, obj, **kwargs):
        stats = queries.site_stats([value], local_today()).get(value, queries.SiteStats())
        return super()._serialize(stats, attr, obj, **kwargs)


class SiteDetailSchema(SiteSchema):
    checkins = CheckIns()


SiteListSchema = page_schema(SiteSchema)


class CodeRotatedSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    code = Code()
    code_grouped = GroupedCode()
    url = CheckInUrl()
    version = ma.fields.Integer(required=True)


# --- input ----------------------------------------------------------------------------------------------------


class SiteQuery(Paged):
    unit_id = QueryInt(metadata={"description": "Sites of this unit, its subordinates and predecessors."})
    kind = QueryChoice(KINDS, metadata={"description": "Kind of site."})
    q = QueryText(
        metadata={
            "description": "Name (accent- and case-insensitive) or address containing this, or a code (dashes ignored)."
        }
    )
    status = QueryChoice(
        STATUSES,
        normalise=str.lower,
        load_default="active",
        metadata={"description": "Active sites (the default), retired ones, or all."},
    )


def _kind(**metadata) -> Text:
    return Text(metadata={"enum": KINDS, **metadata})


def _optional_text(name: str) -> Text:
    return Text(allow_none=True, metadata={"maxLength": LENGTHS[name], "description": "null clears it."})


@echoes(SiteDetailSchema)
class SiteCreate(Body):
    unit_id = UnitRef(required=True, needed=NEED_UNIT, attribute="unit", check=check_scope)  # staff register sites
    name = Text(required=True, needed=NEED_NAME, metadata={"maxLength": LENGTHS["name"]})
    kind = _kind(default=SiteKind.OTHER.value)
    address = _optional_text("address")
    contact_name = _optional_text("contact_name")
    contact_phone = _optional_text("contact_phone")


@echoes(SiteDetailSchema)
class SitePatch(Body):
    version = Integer(
        required=True, needed=NEED_VERSION, metadata={"description": "The `version` last read; a stale one gives 409."}
    )
    unit_id = Integer(allow_none=True, metadata={"description": "May only repeat the current unit."})
    name = Text(needed=NEED_NAME, metadata={"maxLength": LENGTHS["name"]})
    kind = _kind()
    address = _optional_text("address")
    contact_name = _optional_text("contact_name")
    contact_phone = _optional_text("contact_phone")
    status = Choice(SiteStatus, metadata={"description": "Retiring a site, or bringing it back, is for managers."})


@echoes(CodeRotatedSchema)
class CodeRotate(Body):
    version = Integer(
        allow_none=True, metadata={"description": "Optional: the `version` last read (a stale one gives 409)."}
    )


class MarkPrinted(Body):
    """No field (the body may be left out): any field sent is named and refused."""


LAYOUT = {"description": "a4 or a5: one poster per page; a4x4: four A6 stickers on an A4 page.", "default": "a4"}


class PosterQuery(Query):
    layout = QueryChoice(LAYOUTS, normalise=str.lower, load_default="a4", metadata=LAYOUT)


class PosterRequest(Body):
    site_ids = IdList(
        needed=NOT_SITE_IDS,
        not_list=NOT_SITE_IDS,
        not_ids=NOT_SITE_ID,
        metadata={"description": "Sites to print, all in the user's scope (else 403) and active."},
    )
    unit_id = UnitRef(
        check=check_scope,
        attribute="unit",
        metadata={"description": "The active sites of this unit and its subordinates…"},
    )
    kind = Choice(SiteKind, metadata={"description": "…of this kind…"})
    q = Text(metadata={"description": "…whose name or address contains this, or with this code…"})
    status = Choice(STATUSES, metadata={"default": "active"})
    printed = Choice(PRINTED, metadata={"description": "…whose poster was (yes) or was never (no) printed…"})
    activity = Choice(
        ACTIVITY,
        metadata={
            "description": f"…checked into (active) or not (inactive) in the last {queries.ACTIVE_WINDOW_DAYS} days."
        },
    )
    layout = Choice(LAYOUTS, load_default="a4", metadata=LAYOUT)
