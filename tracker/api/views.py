"""The JSON API blueprint: its error shape, its OpenAPI document, and the area modules that add routes to it."""

from flask_babel import gettext as _

from tracker.api.contract import Blueprint
from tracker.auth.access import public
from tracker.errors import StaleVersion, ValidationError, json_error
from tracker.extensions import db

bp = Blueprint("api", __name__, url_prefix="/api/v1")

# HTTP errors (400 malformed body or CSRF, 401, 403, 404, 405) already answer in the same JSON shape through
# the app's handlers, which also audit refusals; only the domain errors need handlers here.


@bp.errorhandler(ValidationError)
def invalid(exc: ValidationError):
    db.session.rollback()
    if len(exc.fields) > 1:  # one message per field is in `fields`; joined they read badly
        return json_error(422, _("Dữ liệu gửi lên có %(n)d trường không hợp lệ.", n=len(exc.fields)), exc.fields)
    return json_error(422, exc.message, exc.fields)


@bp.errorhandler(StaleVersion)
def stale(exc: StaleVersion):
    db.session.rollback()
    message = str(exc) or _("Dữ liệu đã được người khác cập nhật. Hãy tải bản mới nhất rồi sửa lại.")
    return json_error(409, message, {"version": message})


@bp.get("/openapi.json")
@public
def openapi():
    from tracker.api.openapi import document

    return document()


# The area modules register their routes on `bp`; imported last because they import `bp` from here.
from tracker.api import boards, documents, programs, public_services, sites, tasks, units  # noqa: E402, F401
