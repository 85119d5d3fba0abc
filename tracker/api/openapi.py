"""The OpenAPI 3.1 document of /api/v1: what tracker.api.contract generates from the schemas of the areas declared
there (documents so far), merged with the hand-written dicts of the areas not converted yet (the openapi_* modules
and the units below); tests/test_api.py keeps it equal to the routes."""

import re
from copy import deepcopy
from http import HTTPStatus

from flask import current_app

from tracker.api.fields import MAX_PER_PAGE


def _ref(kind: str, name: str) -> dict:
    return {"$ref": f"#/components/{kind}/{name}"}


def _json(schema: dict, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(*statuses: int) -> dict:
    return {str(status): _ref("responses", HTTPStatus(status).name) for status in statuses}


def _path_id(name: str, what: str) -> dict:
    return {"name": name, "in": "path", "required": True, "description": what, "schema": {"type": "integer"}}


def _query(name: str, description: str, schema: dict) -> dict:
    return {"name": name, "in": "query", "required": False, "description": description, "schema": schema}


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


_SCHEMAS: dict = {}
_PATHS: dict = {}

# What every operation may answer besides its own: writes are limited and take JSON only (tracker.extensions'
# API_WRITE_LIMIT, api.helpers.json_object), a poster counts against HEAVY_LIMIT, and any of them may meet the
# database away (tracker.errors).
_HEAVY_READS = {"site_poster"}


def _shared_statuses(method: str, operation: dict) -> list[int]:
    limited = method in ("post", "patch", "put", "delete") or operation["operationId"] in _HEAVY_READS
    return [*([415] if "requestBody" in operation else []), *([429] if limited else []), 503]


_API_PREFIX = "/api/v1"


def _generated() -> dict:
    """flask-smorest's document of the declared areas, each operation named after its endpoint, its path parameters
    in the operation and its paths relative to the server (/api/v1), as the hand-written ones are."""
    spec = current_app.extensions["flask-smorest"]["apis"][""]["ext_obj"].spec.to_dict()
    endpoints = {}
    for rule in current_app.url_map.iter_rules():
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
        for method in rule.methods:
            endpoints[(path, method.lower())] = rule.endpoint.removeprefix("api.")
    paths = {}
    for path, item in spec.pop("paths").items():
        shared = item.pop("parameters", [])
        operations = {}
        for method, operation in item.items():
            if "responses" not in operation:  # a route of an area not declared yet: the hand-written dicts say it
                continue
            operation.pop("tags", None)
            operation["operationId"] = endpoints[(path, method)]
            if shared:
                operation["parameters"] = shared + operation.get("parameters", [])
            operations[method] = operation
        if operations:
            paths[path.removeprefix(_API_PREFIX)] = operations
    spec.pop("tags", None)
    spec["paths"] = paths
    return spec


def _merged() -> dict:
    spec = _generated()
    for path, operations in _PATHS.items():
        spec["paths"].setdefault(path, {})
        for method, operation in operations.items():
            if method in spec["paths"][path]:
                raise RuntimeError(f"{method.upper()} {path} is both declared and hand-written")
            spec["paths"][path][method] = deepcopy(operation)
    spec["components"]["schemas"] |= deepcopy(_SCHEMAS)
    for operations in spec["paths"].values():
        for method, operation in operations.items():
            operation["responses"] |= _errors(*_shared_statuses(method, operation))
    return spec


def document() -> dict:
    """The OpenAPI document (a copy: callers may change it); built once per app."""
    api = current_app.extensions["flask-smorest"]["apis"][""]["ext_obj"]
    if not hasattr(api, "merged_document"):
        api.merged_document = _merged()
    return deepcopy(api.merged_document)
