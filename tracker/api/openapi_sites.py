"""The OpenAPI paths and schemas of the site registry, QR images and posters; openapi.py merges them
(import that module, not this one: this one borrows its helpers)."""

from tracker.api.openapi import _PAGING, _TIMESTAMP, _errors, _json, _list_of, _path_id, _query, _ref
from tracker.qr.posters import LAYOUTS
from tracker.sites.models import SiteKind, SiteStatus
from tracker.sites.queries import PRINTED, STATUSES
from tracker.sites.services import LENGTHS


def _enum(values) -> dict:
    return {"type": "string", "enum": [str(v) for v in values]}


def _body(name: str, required: bool = True) -> dict:
    return {"required": required, "content": {"application/json": {"schema": _ref("schemas", name)}}}


def _file(media_type: str, description: str) -> dict:
    return {"description": description, "content": {media_type: {"schema": {"type": "string", "format": "binary"}}}}


_CODE = {
    "type": "string",
    "pattern": "^[0-9A-HJKMNP-TV-Z]{12}$",
    "readOnly": True,
    "description": "12 characters of Crockford base32; printed under the QR in groups of four.",
    "examples": ["7K3M9QXAB2CD"],
}
_GROUPED = {
    "type": "string",
    "readOnly": True,
    "description": "The code as printed, for typing by hand (the check-in page ignores case and dashes).",
    "examples": ["7K3M-9QXA-B2CD"],
}
_URL = {
    "type": "string",
    "format": "uri",
    "readOnly": True,
    "description": "The public check-in page: PUBLIC_BASE_URL + /c/ + code.",
}
_IMAGES = {
    "type": "object",
    "readOnly": True,
    "required": ["svg", "png"],
    "properties": {"svg": {"type": "string", "format": "uri"}, "png": {"type": "string", "format": "uri"}},
    "description": "The QR image of the current code, public and cacheable for a year: PUBLIC_BASE_URL + "
    "/qr/<code>.svg (or .png).",
}
_SITE_INPUT = {
    "unit_id": {"type": "integer"},
    "name": {"type": "string", "minLength": 1, "maxLength": LENGTHS["name"]},
    "kind": _enum(SiteKind) | {"default": SiteKind.OTHER.value},
    "address": {"type": "string", "maxLength": LENGTHS["address"]},
    "contact_name": {"type": "string", "maxLength": LENGTHS["contact_name"]},
    "contact_phone": {"type": "string", "maxLength": LENGTHS["contact_phone"]},
}
_SITE_ID = _path_id("site_id", "Site id.")
_LAYOUT = _enum(LAYOUTS) | {
    "default": "a4",
    "description": "a4 or a5: one poster per page; a4x4: four A6 stickers on an A4 page.",
}

SCHEMAS = {
    "Site": {
        "type": "object",
        "required": ["id", "unit_id", "name", "kind", "status", "code", "code_grouped", "url", "version"],
        "properties": {
            "id": {"type": "integer", "readOnly": True},
            **_SITE_INPUT,
            "status": _enum(SiteStatus) | {"description": "A retired site's code answers 410 on check-in."},
            "code": _CODE,
            "code_grouped": _GROUPED,
            "url": _URL,
            "qr_images": _IMAGES,
            "poster_printed_at": {
                "type": ["string", "null"],
                "format": "date-time",
                "readOnly": True,
                "description": "When a poster of the current code was last generated.",
            },
            "version": {"type": "integer", "readOnly": True},
            "created_at": _TIMESTAMP,
            "updated_at": _TIMESTAMP,
        },
    },
    "SiteDetail": {
        "allOf": [
            _ref("schemas", "Site"),
            {
                "type": "object",
                "required": ["checkins"],
                "properties": {
                    "checkins": {
                        "type": "object",
                        "readOnly": True,
                        "description": "Check-ins, a device counted once per 30 minutes; windows end today "
                        "(Vietnam) and start at UTC midnight, as for the live-linked tasks.",
                        "required": ["total", "last7", "last30", "last_at"],
                        "properties": {
                            "total": {"type": "integer", "minimum": 0},
                            "last7": {"type": "integer", "minimum": 0},
                            "last30": {"type": "integer", "minimum": 0},
                            "last_at": {"type": ["string", "null"], "format": "date-time"},
                        },
                    }
                },
            },
        ]
    },
    "SiteList": _list_of("Site"),
    "SiteCreate": {"type": "object", "required": ["unit_id", "name"], "properties": _SITE_INPUT},
    "SitePatch": {
        "type": "object",
        "required": ["version"],
        "description": "Fields left out keep their value; read-only fields of Site are accepted and ignored. "
        "Changing `status` (retiring a site, or bringing it back) is for managers.",
        "properties": {
            "version": {"type": "integer", "description": "The `version` last read; a stale one gives 409."},
            **_SITE_INPUT,
            "unit_id": {"type": "integer", "description": "May only repeat the current unit."},
            "status": _enum(SiteStatus),
        },
    },
    "CodeRotate": {
        "type": "object",
        "properties": {
            "version": {"type": "integer", "description": "Optional: the `version` last read (stale → 409)."},
        },
    },
    "CodeRotated": {
        "type": "object",
        "required": ["id", "code", "code_grouped", "url", "version"],
        "properties": {
            "id": {"type": "integer"},
            "code": _CODE,
            "code_grouped": _GROUPED,
            "url": _URL,
            "version": {"type": "integer"},
        },
    },
    "PosterRequest": {
        "type": "object",
        "description": "Either `site_ids`, or `unit_id` with the list's filters (never both). Only active sites "
        "print; the printed sites get `poster_printed_at`.",
        "properties": {
            "site_ids": {
                "type": "array",
                "items": {"type": "integer"},
                "minItems": 1,
                "description": "Sites to print, all in the user's scope (else 403) and active.",
            },
            "unit_id": {"type": "integer", "description": "The active sites of this unit and its subordinates…"},
            "kind": _enum(SiteKind),
            "q": {"type": "string", "description": "…whose name or address contains this, or with this code…"},
            "status": _enum(sorted(STATUSES)) | {"default": "active"},
            "printed": _enum(sorted(PRINTED)) | {"description": "…whose poster was (yes) or was never (no) printed."},
            "layout": _LAYOUT,
        },
    },
}

PATHS = {
    "/sites": {
        "get": {
            "operationId": "list_sites",
            "summary": "Sites (điểm QR) of the units in the user's scope, by name",
            "parameters": [
                _query("unit_id", "Sites of this unit, its subordinates and predecessors.", {"type": "integer"}),
                _query("kind", "Kind of site.", _enum(SiteKind)),
                _query(
                    "q",
                    "Name (accent- and case-insensitive) or address containing this, or a code (dashes ignored).",
                    {"type": "string"},
                ),
                _query("status", "Active sites (the default), retired ones, or all.", _enum(sorted(STATUSES))),
                *_PAGING,
            ],
            "responses": {"200": _json(_ref("schemas", "SiteList"), "A page of sites.")} | _errors(401, 403, 422),
        },
        "post": {
            "operationId": "create_site",
            "summary": "Register a site with a new code (staff, in scope)",
            "requestBody": _body("SiteCreate"),
            "responses": {
                "201": _json(_ref("schemas", "SiteDetail"), "Registered; Location names the new site.")
                | {"headers": {"Location": {"schema": {"type": "string"}}}}
            }
            | _errors(400, 401, 403, 422),
        },
    },
    "/sites/{site_id}": {
        "get": {
            "operationId": "get_site",
            "summary": "One site, with its check-in counts",
            "parameters": [_SITE_ID],
            "responses": {"200": _json(_ref("schemas", "SiteDetail"), "The site.")} | _errors(401, 403, 404),
        },
        "patch": {
            "operationId": "update_site",
            "summary": "Edit a site (staff, in scope) or retire it (managers); needs the version last read",
            "parameters": [_SITE_ID],
            "requestBody": _body("SitePatch"),
            "responses": {"200": _json(_ref("schemas", "SiteDetail"), "The site as saved.")}
            | _errors(400, 401, 403, 404, 409, 422),
        },
    },
    "/sites/{site_id}/rotate-code": {
        "post": {
            "operationId": "rotate_site_code",
            "summary": "Give the site a new code (managers, in scope); the old one answers 410 from then on",
            "description": "For a lost or abused poster. The printed posters carry the old code: print new ones.",
            "parameters": [_SITE_ID],
            "requestBody": _body("CodeRotate", required=False),
            "responses": {"200": _json(_ref("schemas", "CodeRotated"), "The new code.")}
            | _errors(400, 401, 403, 404, 409, 422),
        },
    },
    "/sites/{site_id}/qr.svg": {
        "get": {
            "operationId": "site_qr_svg",
            "summary": "The site's QR code as SVG (strong ETag; 304 on If-None-Match)",
            "parameters": [_SITE_ID],
            "responses": {"200": _file("image/svg+xml", "The QR of the upper-cased check-in URL.")}
            | _errors(401, 403, 404),
        },
    },
    "/sites/{site_id}/qr.png": {
        "get": {
            "operationId": "site_qr_png",
            "summary": "The site's QR code as PNG (strong ETag; 304 on If-None-Match)",
            "parameters": [_SITE_ID],
            "responses": {"200": _file("image/png", "The QR of the upper-cased check-in URL.")}
            | _errors(401, 403, 404),
        },
    },
    "/sites/{site_id}/poster.pdf": {
        "get": {
            "operationId": "site_poster",
            "summary": "The site's printable poster (staff, in scope); a GET marks nothing: POST …/printed does",
            "parameters": [_SITE_ID, _query("layout", "Paper layout.", _LAYOUT)],
            "responses": {"200": _file("application/pdf", "The poster.")} | _errors(401, 403, 404, 422),
        },
    },
    "/sites/{site_id}/printed": {
        "post": {
            "operationId": "mark_site_printed",
            "summary": "Mark the site's poster printed (staff, in scope): sets `poster_printed_at` to now",
            "parameters": [_SITE_ID],
            "requestBody": {
                "required": False,
                "content": {"application/json": {"schema": {"type": "object", "additionalProperties": False}}},
            },
            "responses": {"200": _json(_ref("schemas", "SiteDetail"), "The site, printed.")}
            | _errors(401, 403, 404, 422),
        },
    },
    "/posters": {
        "post": {
            "operationId": "print_posters",
            "summary": "One PDF of many posters, streamed (staff, in scope); marks them printed",
            "requestBody": _body("PosterRequest"),
            "responses": {"200": _file("application/pdf", "The posters, one per page (or four per page).")}
            | _errors(400, 401, 403, 422),
        },
    },
}
