"""The API contract, declared once: marshmallow schemas validate input, shape output and generate the OpenAPI
document (flask-smorest on the `api` blueprint). How an area is written (tracker/api/documents.py is the model):

- **A body** is a `Body` subclass of tracker.api.fields' fields (`Integer`, `Text`, `Day`, `UnitRef`, ...), which
  speak Vietnamese and name the field. `required=True`: the key must be sent; `needed=_l("...")`: the field's own
  message when a value is required and missing, null or blank; `allow_none=True` lets null through. The response's
  fields a client may send back as it read them (id, version, timestamps) are not declared by hand:
  `@echoes(ThingSchema)` accepts them whatever they hold, documented readOnly, and drops them on load. Any other key
  is refused ("Trường “x” không được hỗ trợ."); the document says `additionalProperties: false`. A PATCH body
  declares every field optional and the view keeps the stored value of a field left out: `body.get("title",
  thing.title)`.
- **A query** is a `Query` subclass of tracker.api.queries (trimmed, blank counts as absent, unknown parameters
  ignored) of `QueryInt`, `QueryChoice`, `QueryText`; a list's query subclasses `Paged` (page, per_page).
- **A response** is a plain marshmallow schema `ThingSchema` (its component is `Thing`) that dumps the model itself:
  `dump_only=True` marks what only the server writes, `required=True` what is always there. A page of them is
  `page_schema(ThingSchema)` (component `ThingList`), filled by `page(stmt, args)`.
- **A route** reads, outermost first::

      @bp.patch("/things/<int:thing_id>")
      @allow(MANAGERS)
      @bp.arguments(ThingPatch)             # location="query" for a query
      @bp.response(200, ThingSchema, description="The thing as saved.")   # headers=LOCATION on a 201
      @bp.refuses(400, 401, 403, 404, 409)  # its error responses but 422 (from arguments), 415, 429 and 503
      def update_thing(body: dict, thing_id: int):  # (tracker.api.openapi adds those three where they apply)
          '''Edit a thing (managers, in scope)'''  # the operation's summary; the endpoint is its operationId

  The loaded body (or query) comes first, the path's values after it. Once an area is declared, its part of the
  hand-written dicts (openapi_*.py) goes: tracker.api.openapi refuses an operation both declared and hand-written.
- **Errors** come out in the one shape of DESIGN §5, `{"error": {"code", "message", "fields"}}`. Before any schema,
  `json_object()` answers 415 (not application/json), 400 (not JSON, too deep, not an object) or 422 (a bad character
  in a key or a text); then every field's problem is collected into one `tracker.errors.ValidationError`, which the
  blueprint's handler answers with 422 (one field: its message; several: "Dữ liệu gửi lên có N trường không hợp
  lệ."). Schema checks run before the view loads its row, so a bad body to an unknown id is a 422, not a 404; a unit
  named in a body (`UnitRef`) is checked for scope (403) before any other field is discussed. A service's
  ValidationError and StaleVersion (409) come out the same way. The app's handlers answer every HTTP error:
  flask-smorest registers none and serves no page.
"""

from http import HTTPStatus

import flask_smorest
import marshmallow as ma
from flask import request
from flask_babel import gettext as _
from webargs.flaskparser import FlaskParser
from werkzeug.exceptions import BadRequest

from tracker.errors import StaleVersion, ValidationError, abort_with, json_error
from tracker.extensions import db
from tracker.text import has_control_characters, invalid_characters, shown

# Every error the API answers, by status: the component names are those flask-smorest gives them (HTTPStatus names:
# `@bp.arguments` refers to UNPROCESSABLE_ENTITY), each with the `Error` schema below.
ERROR_RESPONSES = {
    400: "Malformed JSON body, or a cookie-authenticated write without a valid X-CSRFToken.",
    401: "No valid bearer token or session.",
    403: "The role may not do this, or the unit is outside the user's scope.",
    404: "No row with this id.",
    409: "The row was changed since the `version` sent; nothing was written.",
    415: "A write whose body is not sent as `application/json`.",
    422: "Invalid input; `fields` names each bad field with a Vietnamese message.",
    429: "Over the limit of writes (API_WRITE_LIMIT) or of posters and exports (HEAVY_LIMIT) of this token or user; "
    "`Retry-After` says when to try again.",
    503: "The database is away for a moment; `Retry-After` says when to try again.",
}

# The shape tracker.errors.json_error writes (DESIGN §5).
ERROR_SCHEMA = {
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
}

LOCATION = {"Location": {"schema": {"type": "string"}, "description": "The new row's address."}}


# --- parsing: the JSON checks first, then the schema; marshmallow's errors become the app's ---------------------


def json_object() -> dict:
    """The request body as a JSON object: 415 unless sent as application/json (a form post of JSON-looking text is
    how a cross-site write would arrive), 400 when it is not JSON, nested past what any body here needs, or not an
    object; 422 naming the field when a text or a key holds a lone surrogate, a non-character, a control or a
    bidirectional-override character (nothing past this point has to cope with them)."""
    if not request.is_json:
        abort_with(415, _("Nội dung phải gửi dạng JSON, với tiêu đề Content-Type: application/json."))
    try:
        data = request.get_json()
    except BadRequest:
        abort_with(400, _("Nội dung gửi lên không phải JSON hợp lệ."))
    except RecursionError:  # "[" × 100,000: the parser's own recursion gives up
        abort_with(400, _("Nội dung JSON lồng nhau quá sâu."))
    if not isinstance(data, dict):
        abort_with(400, _("Nội dung gửi lên phải là một đối tượng JSON ({...})."))
    bad = {}
    for key, value in data.items():
        problem = _problem(key, value)
        if problem == "depth":
            abort_with(400, _("Nội dung JSON lồng nhau quá sâu."))
        if problem == "text":
            bad[shown(key)] = invalid_characters(key)
    if bad:
        raise ValidationError(bad)
    return data


MAX_DEPTH = 8  # a field holding a list of ids is 2 deep; nothing this API reads comes near


def _problem(key: str, value) -> str | None:
    """'depth' when the field nests deeper than MAX_DEPTH, 'text' when its key or any text or key inside it holds a
    character no stored text may hold, else None. A walk with a stack, not recursion."""
    pending = [(key, 1), (value, 1)]
    while pending:
        item, depth = pending.pop()
        if depth > MAX_DEPTH:
            return "depth"
        if isinstance(item, str):
            if has_control_characters(item):
                return "text"
        elif isinstance(item, dict):
            pending.extend((part, depth + 1) for pair in item.items() for part in pair)
        elif isinstance(item, list):
            pending.extend((part, depth + 1) for part in item)
    return None


class Parser(FlaskParser):
    """webargs' parser with the app's JSON reading and error shape."""

    def load_json(self, req, schema):
        if getattr(schema, "may_be_left_out", False) and not req.get_data():
            return ma.missing  # an optional body sent as nothing at all reads as {}
        return json_object()

    def handle_error(self, error, req, schema, *, error_status_code, error_headers):
        raise ValidationError(field_messages(error.messages, schema)) from error


def field_messages(messages: dict, schema: ma.Schema) -> dict[str, str]:
    """{location: {key: [message, ...]}} as {key: one Vietnamese message}; a key the schema does not declare is
    refused as not supported."""
    known = {field.data_key or name for name, field in schema.load_fields.items()}
    found = {}
    for by_key in messages.values():
        for key, problems in by_key.items():
            if key == ma.exceptions.SCHEMA:
                found["_"] = _first(problems)
            elif key in known:
                found[key] = _first(problems)
            else:
                found[key] = _("Trường “%(name)s” không được hỗ trợ.", name=key)
    return found


def _first(problems) -> str:
    """The first message of a field's (possibly nested: lists, dicts of items) messages."""
    while isinstance(problems, (list, dict)):
        problems = next(iter(problems.values() if isinstance(problems, dict) else problems))
    return str(problems)


class Blueprint(flask_smorest.Blueprint):
    ARGUMENTS_PARSER = Parser()

    def arguments(self, schema, *, required: bool = True, **kwargs):
        """flask-smorest's, where a body declared `required=False` may also be left out altogether (no content, no
        Content-Type): it then reads as {}. Sent, it is JSON and checked as any other."""
        schema = schema() if isinstance(schema, type) else schema
        schema.may_be_left_out = not required
        return super().arguments(schema, required=required, **kwargs)

    def refuses(self, *statuses: int):
        """Document the error responses an operation may give (422 comes with `arguments`; 415, 429 and 503 are
        added to every operation they concern)."""
        return self.doc(responses={str(status): HTTPStatus(status).name for status in statuses})


bp = Blueprint("api", __name__, url_prefix="/api/v1")  # every area's routes (tracker.api.views gathers them)

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


class Api(flask_smorest.Api):
    """flask-smorest without its error handler (the app's handlers answer in the error shape and audit refusals),
    without its documentation pages, and with the app's error responses instead of its own."""

    DEFAULT_ERROR_RESPONSE_NAME = None

    def __init__(self, app):
        self._undocumented: list[tuple] = []
        super().__init__(
            app,
            spec_kwargs={
                "title": "Tracker API",
                "version": "1",
                "openapi_version": "3.1.0",
                "info": {
                    "description": (
                        "JSON API of Tracker. Authenticate with `Authorization: Bearer <token>` (from "
                        "`flask --app tracker users token USERNAME`), or with the session cookie plus an "
                        "`X-CSRFToken` header on writes. Dates are ISO `YYYY-MM-DD`; every error has the `Error` "
                        "shape."
                    )
                },
                "servers": [{"url": "/api/v1"}],
                "security": [{"bearerAuth": []}, {"cookieAuth": []}],
            },
        )
        app.cli.commands.pop("openapi", None)  # its `flask openapi print` would show the declared areas only

    def register_blueprint(self, blp, *, parameters=None, **options):
        """flask-smorest's, but the blueprint's part of the document is written when the document is first read
        (documented_spec), not at each app's start: it was two thirds of what building an app cost (~150 ms)."""
        name = options.get("name", blp.name)
        self._app.extensions["flask-smorest"]["blp_name_to_api"][name] = self
        self._app.register_blueprint(blp, **options)
        self._undocumented.append((blp, name, parameters))

    def documented_spec(self):
        """The apispec document, with every registered blueprint's operations in it."""
        while self._undocumented:
            blp, name, parameters = self._undocumented.pop(0)
            blp.register_views_in_doc(self, self._app, self.spec, name=name, parameters=parameters)
            self.spec.tag({"name": name, "description": blp.description})
        return self.spec

    def _register_error_handlers(self):
        pass

    def _register_doc_blueprint(self):
        pass  # /api/v1/openapi.json serves the document (tracker.api.views)

    def _register_responses(self):
        components = self.spec.components
        components.schema("Error", component=ERROR_SCHEMA)
        for status, description in ERROR_RESPONSES.items():
            content = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
            components.response(HTTPStatus(status).name, {"description": description, "content": content})

    def _init_spec(self, **kwargs):
        super()._init_spec(**kwargs)
        components = self.spec.components
        components.security_scheme(
            "bearerAuth", {"type": "http", "scheme": "bearer", "description": "An API token of a user."}
        )
        components.security_scheme(
            "cookieAuth",
            {
                "type": "apiKey",
                "in": "cookie",
                "name": "session",
                "description": "The web session; writes also need the page's CSRF token in `X-CSRFToken`.",
            },
        )
