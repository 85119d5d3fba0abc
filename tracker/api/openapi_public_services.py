"""The OpenAPI paths of the online public services; openapi.py merges them (import that module, not this one: this
one borrows its helpers). The schemas are written inline in the paths: only PATHS is merged from this module."""

from tracker.api.helpers import MAX_PER_PAGE
from tracker.api.openapi import _PAGING, _TIMESTAMP, _errors, _json, _path_id, _query, _ref
from tracker.public_services.services import LENGTHS, LEVEL_FILTERS, LEVELS, MAX_RECORDS

_DATE = {"type": "string", "format": "date"}
_NULLABLE_DATE = {"type": ["string", "null"], "format": "date"}
_SHARE = {"type": ["number", "null"], "minimum": 0, "maximum": 1, "description": "A share, 1 = 100%; null: no base."}
_COUNT = {"type": "integer", "minimum": 0}
_RECORDS = {"type": "integer", "minimum": 0, "maximum": MAX_RECORDS}
_VERSION = {"type": "integer", "description": "The `version` last read; a stale one gives 409."}
_LEVEL = {
    "oneOf": [
        {"type": "integer", "enum": list(LEVELS)},
        {"type": "string", "examples": ["Toàn trình", "Một phần", "Mức độ 4"]},
    ],
    "description": "1 information, 2 forms to download, 3 = một phần, 4 = toàn trình (Decree 42/2022); also the "
    "words “Toàn trình” and “Một phần”. Levels 3 and 4 count as online.",
}
_SERVICE_INPUT = {
    "unit_id": {"type": "integer"},
    "code": {"type": "string", "minLength": 1, "maxLength": LENGTHS["code"], "examples": ["1.004227"]},
    "name": {"type": "string", "minLength": 1, "maxLength": LENGTHS["name"]},
    "field": {"type": "string", "maxLength": LENGTHS["field"], "description": "Lĩnh vực, e.g. Hộ tịch."},
    "level": _LEVEL,
    "online_since": _NULLABLE_DATE
    | {"description": "Only for levels 3, 4; left empty, the day the procedure goes online is recorded."},
}
_SERVICE = {
    "type": "object",
    "required": ["id", "unit_id", "code", "name", "field", "level", "reach", "online", "version"],
    "properties": {
        "id": {"type": "integer", "readOnly": True},
        **_SERVICE_INPUT,
        "level": {"type": "integer", "enum": list(LEVELS)},
        "level_label": {"type": "string", "readOnly": True, "examples": ["Mức độ 4 — toàn trình"]},
        "reach": {
            "type": "string",
            "enum": ["full", "partial", "offline"],
            "readOnly": True,
            "description": "toàn trình (4), một phần (3), chưa cung cấp trực tuyến (1, 2).",
        },
        "online": {"type": "boolean", "readOnly": True, "description": "Level 3 or 4."},
        "version": {"type": "integer", "readOnly": True},
        "created_at": _TIMESTAMP,
        "updated_at": _TIMESTAMP,
    },
}
_SERVICE_DETAIL = {
    "allOf": [
        _SERVICE,
        {
            "type": "object",
            "required": ["records"],
            "properties": {
                "records": {
                    "type": "object",
                    "readOnly": True,
                    "description": "Records over every recorded period.",
                    "required": ["total", "online", "periods", "online_share"],
                    "properties": {"total": _COUNT, "online": _COUNT, "periods": _COUNT, "online_share": _SHARE},
                }
            },
        },
    ]
}
_PERIOD_INPUT = {
    "period_start": _DATE,
    "period_end": _DATE | {"description": "On or after period_start; periods of a procedure never overlap."},
    "records_total": _RECORDS,
    "records_online": _RECORDS | {"description": "At most records_total."},
}
_PERIOD = {
    "type": "object",
    "required": ["id", "service_id", *_PERIOD_INPUT, "online_share", "version"],
    "properties": {
        "id": {"type": "integer", "readOnly": True},
        "service_id": {"type": "integer", "readOnly": True},
        **_PERIOD_INPUT,
        "online_share": _SHARE,
        "version": {"type": "integer", "readOnly": True},
        "created_at": _TIMESTAMP,
        "updated_at": _TIMESTAMP,
    },
}
_REPORT_ROW = {
    "type": "object",
    "properties": {
        "unit_id": {"type": ["integer", "null"], "description": "null on the total row."},
        "unit_name": {"type": "string"},
        "services": _COUNT,
        "full": _COUNT,
        "partial": _COUNT,
        "offline": _COUNT,
        "full_share": _SHARE,
        "partial_share": _SHARE,
        "online_share": _SHARE,
        "records_total": _COUNT,
        "records_online": _COUNT,
        "records_share": _SHARE,
    },
}


def _list_of(item: dict) -> dict:
    return {
        "type": "object",
        "required": ["items", "total", "page", "per_page"],
        "properties": {
            "items": {"type": "array", "items": item},
            "total": _COUNT,
            "page": {"type": "integer", "minimum": 1},
            "per_page": {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE},
        },
    }


def _body(schema: dict) -> dict:
    return {"required": True, "content": {"application/json": {"schema": schema}}}


def _created(schema: dict, description: str) -> dict:
    return _json(schema, description) | {"headers": {"Location": {"schema": {"type": "string"}}}}


_SERVICE_ID = _path_id("service_id", "Procedure id.")
_PERIOD_ID = _path_id("period_id", "Period id.")

PATHS = {
    "/services": {
        "get": {
            "operationId": "list_services",
            "summary": "Procedures of the units in the user's scope, highest level first",
            "parameters": [
                _query("unit_id", "Procedures of this unit, its subordinates and predecessors.", {"type": "integer"}),
                _query(
                    "level",
                    "One level, or online (3, 4) / offline (1, 2).",
                    {"type": "string", "enum": list(LEVEL_FILTERS)},
                ),
                _query("q", "Contained in the code, the name or the field (case-insensitive).", {"type": "string"}),
                *_PAGING,
            ],
            "responses": {"200": _json(_list_of(_SERVICE), "A page of procedures.")} | _errors(401, 403, 422),
        },
        "post": {
            "operationId": "create_service",
            "summary": "Add a procedure to a unit's catalog (managers, in scope); its code once per unit",
            "requestBody": _body(
                {"type": "object", "required": ["unit_id", "code", "name", "level"], "properties": _SERVICE_INPUT}
            ),
            "responses": {"201": _created(_SERVICE_DETAIL, "Added; Location names the new procedure.")}
            | _errors(400, 401, 403, 422),
        },
    },
    "/services/{service_id}": {
        "get": {
            "operationId": "get_service",
            "summary": "One procedure, with its records over all periods",
            "parameters": [_SERVICE_ID],
            "responses": {"200": _json(_SERVICE_DETAIL, "The procedure.")} | _errors(401, 403, 404),
        },
        "patch": {
            "operationId": "update_service",
            "summary": "Edit a procedure or change its level (managers, in scope); needs the version last read",
            "description": "Raising or lowering the level moves the live-linked services tasks at once.",
            "parameters": [_SERVICE_ID],
            "requestBody": _body(
                {
                    "type": "object",
                    "required": ["version"],
                    "description": "Fields left out keep their value; read-only fields are accepted and ignored.",
                    "properties": {
                        "version": _VERSION,
                        **_SERVICE_INPUT,
                        "unit_id": {"type": "integer", "description": "May only repeat the current unit."},
                    },
                }
            ),
            "responses": {"200": _json(_SERVICE_DETAIL, "The procedure as saved.")}
            | _errors(400, 401, 403, 404, 409, 422),
        },
    },
    "/services/{service_id}/periods": {
        "get": {
            "operationId": "list_service_periods",
            "summary": "Records of a procedure per period, oldest first",
            "parameters": [_SERVICE_ID, *_PAGING],
            "responses": {"200": _json(_list_of(_PERIOD), "A page of periods.")} | _errors(401, 403, 404, 422),
        },
        "post": {
            "operationId": "create_service_period",
            "summary": "Record the records of a new period (managers, in scope)",
            "parameters": [_SERVICE_ID],
            "requestBody": _body({"type": "object", "required": list(_PERIOD_INPUT), "properties": _PERIOD_INPUT}),
            "responses": {"201": _created(_PERIOD, "Recorded.")} | _errors(400, 401, 403, 404, 422),
        },
    },
    "/service-periods/{period_id}": {
        "patch": {
            "operationId": "update_service_period",
            "summary": "Correct a period's records (managers, in scope); needs the version last read",
            "parameters": [_PERIOD_ID],
            "requestBody": _body(
                {
                    "type": "object",
                    "required": ["version"],
                    "description": "Fields left out keep their value.",
                    "properties": {"version": _VERSION, **_PERIOD_INPUT},
                }
            ),
            "responses": {"200": _json(_PERIOD, "The period as saved.")} | _errors(400, 401, 403, 404, 409, 422),
        },
    },
    "/services/report": {
        "get": {
            "operationId": "services_report",
            "summary": "Toàn trình / một phần / chưa cung cấp and the share of records online, a row per unit",
            "description": "Rows are the unit and each unit under it (or merged into it) with a catalog; counts are "
            "current levels; records count the periods within start–end (all when both are left out).",
            "parameters": [
                _query("unit_id", "The unit (default: the user's own).", {"type": "integer"}),
                _query("start", "Periods starting on or after this day.", _DATE),
                _query("end", "Periods ending on or before this day.", _DATE),
            ],
            "responses": {
                "200": _json(
                    {
                        "type": "object",
                        "required": ["unit", "rows", "total"],
                        "properties": {
                            "unit": _ref("schemas", "Unit"),
                            "start": _NULLABLE_DATE,
                            "end": _NULLABLE_DATE,
                            "rows": {"type": "array", "items": _REPORT_ROW},
                            "total": _REPORT_ROW,
                        },
                    },
                    "The report.",
                )
            }
            | _errors(401, 403, 422),
        },
    },
}
