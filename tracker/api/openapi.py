"""The OpenAPI 3.1 document of /api/v1, generated from the schemas every area declares (tracker.api.contract), with
each operation named after its endpoint, its path parameters in the operation, its paths relative to the server and
the error responses every operation shares; tests/test_api.py keeps it equal to the routes."""

import re
from copy import deepcopy
from http import HTTPStatus

from flask import current_app


def _errors(*statuses: int) -> dict:
    return {str(status): {"$ref": f"#/components/responses/{HTTPStatus(status).name}"} for status in statuses}


# What every operation may answer besides its own: writes are limited and take JSON only (tracker.extensions'
# API_WRITE_LIMIT, api.contract.json_object), a poster or a report's document counts against HEAVY_LIMIT, and any of
# them may meet the database away (tracker.errors).
_HEAVY_READS = {"site_poster", "report_document"}


def _shared_statuses(method: str, operation: dict) -> list[int]:
    limited = method in ("post", "patch", "put", "delete") or operation["operationId"] in _HEAVY_READS
    return [*([415] if "requestBody" in operation else []), *([429] if limited else []), 503]


_API_PREFIX = "/api/v1"


def _generated() -> dict:
    """flask-smorest's document of the declared areas, each operation named after its endpoint, its path parameters
    in the operation and its paths relative to the server (/api/v1)."""
    spec = deepcopy(current_app.extensions["flask-smorest"]["apis"][""]["ext_obj"].documented_spec().to_dict())
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
            if "responses" not in operation:  # /openapi.json itself: not an operation of the API
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


def _document() -> dict:
    spec = _generated()
    for operations in spec["paths"].values():
        for method, operation in operations.items():
            operation["responses"] |= _errors(*_shared_statuses(method, operation))
    return spec


def document() -> dict:
    """The OpenAPI document (a copy: callers may change it); built once per app."""
    api = current_app.extensions["flask-smorest"]["apis"][""]["ext_obj"]
    if not hasattr(api, "built_document"):
        api.built_document = _document()
    return deepcopy(api.built_document)
