"""The OpenAPI 3.1 description of /api/v1, as a plain dict; tests/test_api.py keeps it equal to the routes."""

from copy import deepcopy

from tracker.api.helpers import MAX_PER_PAGE
from tracker.documents.services import KIND_CODES
from tracker.units.models import UnitKind


def _ref(kind: str, name: str) -> dict:
    return {"$ref": f"#/components/{kind}/{name}"}


def _json(schema: dict, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(*statuses: int) -> dict:
    return {str(status): _ref("responses", _ERROR_RESPONSES[status][0]) for status in statuses}


def _path_id(name: str, what: str) -> dict:
    return {"name": name, "in": "path", "required": True, "description": what, "schema": {"type": "integer"}}


def _query(name: str, description: str, schema: dict) -> dict:
    return {"name": name, "in": "query", "required": False, "description": description, "schema": schema}


_ERROR_RESPONSES = {
    400: ("BadRequest", "Malformed JSON body, or a cookie-authenticated write without a valid X-CSRFToken."),
    401: ("Unauthorized", "No valid bearer token or session."),
    403: ("Forbidden", "The role may not do this, or the unit is outside the user's scope."),
    404: ("NotFound", "No row with this id."),
    409: ("Conflict", "The row was changed since the `version` sent; nothing was written."),
    415: ("UnsupportedMediaType", "A write whose body is not sent as `application/json`."),
    422: ("Unprocessable", "Invalid input; `fields` names each bad field with a Vietnamese message."),
    429: ("TooManyRequests", "Over the limit of writes (API_WRITE_LIMIT) or of posters and exports (HEAVY_LIMIT) "
          "of this token or user; `Retry-After` says when to try again."),
    503: ("Unavailable", "The database is away for a moment; `Retry-After` says when to try again."),
}

_NULLABLE_DATE = {"type": ["string", "null"], "format": "date"}
_TIMESTAMP = {"type": "string", "format": "date-time", "readOnly": True}
_PAGING = [
    _query("page", "Page number, from 1.", {"type": "integer", "minimum": 1, "default": 1}),
    _query(
        "per_page",
        f"Items per page (default: the server's PER_PAGE, 50); values above {MAX_PER_PAGE} are capped.",
        {"type": "integer", "minimum": 1},
    ),
]


def _list_of(item: str) -> dict:
    return {
        "type": "object",
        "required": ["items", "total", "page", "per_page"],
        "properties": {
            "items": {"type": "array", "items": _ref("schemas", item)},
            "total": {"type": "integer", "minimum": 0},
            "page": {"type": "integer", "minimum": 1},
            "per_page": {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE},
        },
    }


_SCHEMAS = {
    "Error": {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["code", "message", "fields"],
                "properties": {
                    "code": {
                        "type": "string",
                        "examples": ["bad_request", "unauthorized", "forbidden", "not_found", "conflict", "invalid"],
                    },
                    "message": {"type": "string", "description": "Vietnamese, for people."},
                    "fields": {
                        "type": "object",
                        "additionalProperties": {"type": "string"},
                        "description": "Field name → Vietnamese message (422; `version` on 409).",
                    },
                },
            }
        },
    },
    "Unit": {
        "type": "object",
        "required": ["id", "name", "kind", "parent_id", "merged_into_id", "version"],
        "properties": {
            "id": {"type": "integer"},
            "code": {"type": ["string", "null"], "description": "Official code, unique when set."},
            "name": {"type": "string"},
            "kind": {"type": "string", "enum": [k.value for k in UnitKind]},
            "parent_id": {"type": ["integer", "null"]},
            "valid_from": _NULLABLE_DATE,
            "valid_to": _NULLABLE_DATE,
            "merged_into_id": {"type": ["integer", "null"]},
            "is_current": {"type": "boolean", "description": "Not ended and not merged into another unit."},
            "version": {"type": "integer"},
        },
    },
    "UnitDetail": {
        "allOf": [
            _ref("schemas", "Unit"),
            {
                "type": "object",
                "required": ["predecessor_ids"],
                "properties": {
                    "predecessor_ids": {
                        "type": "array",
                        "items": {"type": "integer"},
                        "description": "Units merged into this one.",
                    }
                },
            },
        ]
    },
    "UnitList": _list_of("Unit"),
    "Document": {
        "type": "object",
        "required": ["id", "unit_id", "reference", "number", "kind_code", "issuer_code", "title", "version"],
        "properties": {
            "id": {"type": "integer", "readOnly": True},
            "unit_id": {"type": "integer"},
            "reference": {
                "type": "string",
                "description": "Canonical form of the number: state style 37/KH-UBND, party style 63-QĐ/ĐU or "
                "an official letter 1332/STTTT-CNTT (kind_code CV).",
            },
            "number": {"type": "string", "readOnly": True},
            "kind_code": {"type": "string", "enum": list(KIND_CODES), "readOnly": True},
            "issuer_code": {"type": "string", "readOnly": True},
            "issued_on": _NULLABLE_DATE,
            "title": {"type": "string", "description": "Trích yếu."},
            "version": {"type": "integer", "readOnly": True},
            "created_at": _TIMESTAMP,
            "updated_at": _TIMESTAMP,
        },
    },
    "DocumentList": _list_of("Document"),
    "DocumentCreate": {
        "type": "object",
        "required": ["unit_id", "reference", "title"],
        "properties": {
            "unit_id": {"type": "integer"},
            "reference": {"type": "string", "examples": ["37/KH-UBND", "63-QĐ/ĐU", "15/2021/TT-BTTTT"]},
            "issued_on": _NULLABLE_DATE,
            "title": {"type": "string", "minLength": 1},
        },
    },
    "DocumentPatch": {
        "type": "object",
        "required": ["version"],
        "description": "Fields left out keep their value; read-only fields of Document are accepted and ignored.",
        "properties": {
            "version": {"type": "integer", "description": "The `version` last read; a stale one gives 409."},
            "reference": {"type": "string"},
            "issued_on": _NULLABLE_DATE,
            "title": {"type": "string", "minLength": 1},
            "unit_id": {"type": "integer", "description": "May only repeat the current unit."},
        },
    },
}

_PATHS = {
    "/units": {
        "get": {
            "operationId": "list_units",
            "summary": "Units in the user's scope",
            "parameters": [
                _query(
                    "q",
                    "Name, accent- and case-insensitive ('bai bong' finds 'Bãi Bông'), or exact code.",
                    {"type": "string"},
                ),
                _query("kind", "Kind of unit.", {"type": "string", "enum": [k.value for k in UnitKind]}),
                _query("parent_id", "Only the direct children of this unit.", {"type": "integer"}),
                *_PAGING,
            ],
            "responses": {"200": _json(_ref("schemas", "UnitList"), "A page of units.")} | _errors(401, 422),
        }
    },
    "/units/{unit_id}": {
        "get": {
            "operationId": "get_unit",
            "summary": "One unit, with the ids of the units merged into it",
            "parameters": [_path_id("unit_id", "Unit id.")],
            "responses": {"200": _json(_ref("schemas", "UnitDetail"), "The unit.")} | _errors(401, 403, 404),
        }
    },
    "/documents": {
        "get": {
            "operationId": "list_documents",
            "summary": "Documents of the units in the user's scope, newest first",
            "parameters": [
                _query("q", "Text contained in the reference or the title.", {"type": "string"}),
                _query("kind_code", "Kind of document (any case).", {"type": "string", "enum": list(KIND_CODES)}),
                _query("unit_id", "Documents of this unit, its subordinates and predecessors.", {"type": "integer"}),
                *_PAGING,
            ],
            "responses": {"200": _json(_ref("schemas", "DocumentList"), "A page of documents.")}
            | _errors(401, 403, 422),
        },
        "post": {
            "operationId": "create_document",
            "summary": "Record a document (managers, in scope); the reference is parsed",
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": _ref("schemas", "DocumentCreate")}},
            },
            "responses": {
                "201": _json(_ref("schemas", "Document"), "Created; Location names the new document.")
                | {"headers": {"Location": {"schema": {"type": "string"}}}}
            }
            | _errors(400, 401, 403, 422),
        },
    },
    "/documents/{document_id}": {
        "get": {
            "operationId": "get_document",
            "summary": "One document",
            "parameters": [_path_id("document_id", "Document id.")],
            "responses": {"200": _json(_ref("schemas", "Document"), "The document.")} | _errors(401, 403, 404),
        },
        "patch": {
            "operationId": "update_document",
            "summary": "Edit a document (managers, in scope); needs the version last read",
            "parameters": [_path_id("document_id", "Document id.")],
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": _ref("schemas", "DocumentPatch")}},
            },
            "responses": {"200": _json(_ref("schemas", "Document"), "The document as saved.")}
            | _errors(400, 401, 403, 404, 409, 422),
        },
    },
}

# Area modules describe their own paths and schemas with the helpers above; imported here because they
# import those helpers from this module.
from tracker.api import openapi_boards, openapi_programs, openapi_services, openapi_sites  # noqa: E402

_PATHS |= openapi_programs.PATHS | openapi_sites.PATHS | openapi_boards.PATHS | openapi_services.PATHS
_SCHEMAS |= openapi_programs.SCHEMAS | openapi_sites.SCHEMAS

# The unit summary's ended programs (past ends_on): listed apart, as the dashboard lists them, in none of its figures.
_SUMMARY = _SCHEMAS["UnitSummary"]
_SCHEMAS["UnitSummary"] = _SUMMARY | {
    "required": [*_SUMMARY["required"], "ended_programs"],
    "properties": _SUMMARY["properties"]
    | {
        "ended_programs": {
            "type": "array",
            "description": "Programs of the unit and its subordinates past their end date, the latest to end first. "
            "They keep their final figures (read as of their close) and count in none of the summary's figures, "
            "lists or counts, which are those of the current programs.",
            "items": {
                "type": "object",
                "required": ["id", "unit_id", "title", "ends_on", "progress"],
                "properties": {
                    "id": {"type": "integer"},
                    "unit_id": {"type": "integer"},
                    "title": {"type": "string"},
                    "ends_on": {"type": "string", "format": "date"},
                    "progress": {
                        "type": ["number", "null"],
                        "minimum": 0,
                        "maximum": 1,
                        "description": "Final progress: the weighted mean of its top-level tasks at its close.",
                    },
                },
            },
        }
    },
}

# What every operation may answer besides its own: writes are limited and take JSON only (tracker.extensions'
# API_WRITE_LIMIT, api.helpers.json_object), a poster counts against HEAVY_LIMIT, and any of them may meet the
# database away (tracker.errors).
_HEAVY_READS = {"site_poster"}


def _shared_statuses(method: str, operation: dict) -> list[int]:
    limited = method in ("post", "patch", "put", "delete") or operation["operationId"] in _HEAVY_READS
    return [*([415] if "requestBody" in operation else []), *([429] if limited else []), 503]


for _operations in _PATHS.values():
    for _method, _operation in _operations.items():
        _operation["responses"] |= _errors(*_shared_statuses(_method, _operation))

_DOCUMENT = {
    "openapi": "3.1.0",
    "info": {
        "title": "Tracker API",
        "version": "1",
        "description": (
            "JSON API of Tracker. Authenticate with `Authorization: Bearer <token>` (from "
            "`flask --app tracker users token USERNAME`), or with the session cookie plus an `X-CSRFToken` header "
            "on writes. Dates are ISO `YYYY-MM-DD`; every error has the `Error` shape."
        ),
    },
    "servers": [{"url": "/api/v1"}],
    "security": [{"bearerAuth": []}, {"cookieAuth": []}],
    "paths": _PATHS,
    "components": {
        "securitySchemes": {
            "bearerAuth": {"type": "http", "scheme": "bearer", "description": "An API token of a user."},
            "cookieAuth": {
                "type": "apiKey",
                "in": "cookie",
                "name": "session",
                "description": "The web session; writes also need the page's CSRF token in `X-CSRFToken`.",
            },
        },
        "schemas": _SCHEMAS,
        "responses": {
            name: _json(_ref("schemas", "Error"), description) for name, description in _ERROR_RESPONSES.values()
        },
    },
}


def document() -> dict:
    """The OpenAPI document (a copy: callers may change it)."""
    return deepcopy(_DOCUMENT)
