"""The JSON API blueprint with every area's routes (each area module declares its own on tracker.api.contract's
`bp`), and its OpenAPI document."""

from tracker.api import (  # noqa: F401 (their routes)
    boards,
    documents,
    programs,
    public_services,
    reports,
    sites,
    tasks,
    units,
)
from tracker.api.contract import bp
from tracker.api.openapi import document
from tracker.auth.access import public


@bp.get("/openapi.json")
@public
def openapi():
    return document()
