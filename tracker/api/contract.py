"""The API contract, declared once: marshmallow schemas that validate input, shape output and generate the OpenAPI
document (flask-smorest on the `api` blueprint). How an area is written:

- **A body** is a `Body` subclass built from this module's fields (`Integer`, `Text`, `Day`, `UnitRef`, ...), which
  speak Vietnamese and name the field. `required=True` means the key must be sent; `needed=_l("...")` is the field's
  own message when a value is required and missing, null or blank; `allow_none=True` lets null through. Fields of the
  response that a client may send back (id, version, timestamps) are not declared by hand: `@echoes(ItemSchema)` adds
  them as accepted whatever they hold, documented readOnly, and dropped on load. Any other key is refused ("không
  được hỗ trợ"), and the document says `additionalProperties: false`.
- **A query** is a `Query` subclass (blank parameters count as absent, unknown ones are ignored) of `QueryInt`,
  `QueryChoice`, `QueryText`; a list's query subclasses `Paged` (page, per_page).
- **A response** is a plain marshmallow schema named `<Name>Schema` (its component is `<Name>`) that dumps the model
  itself: `dump_only=True` marks what the server alone writes, `required=True` what is always there. A page of them
  is `page_schema(ItemSchema)`, filled by `page(stmt, args)`.
- **A route** reads, outermost first::

      @bp.post("/things")
      @allow(MANAGERS)
      @bp.arguments(ThingCreate)            # location="query" for a query; the view receives the loaded dict
      @bp.response(201, ThingSchema, description="...", headers=LOCATION)
      @bp.refuses(401, 403)                 # the error responses besides 422 (from arguments), 415, 429 and 503
      def create_thing(body): ...           # (those three are added to every write by tracker.api.openapi)

  The view's docstring is the operation's summary; the endpoint is its operationId.
- **Errors** come out in the one shape of DESIGN §5, `{"error": {"code", "message", "fields"}}`: before any schema,
  `json_object()` answers 415 (not application/json), 400 (not JSON, too deep, not an object) or 422 (a bad character
  in a key or a text); then every field's problem is collected into one `tracker.errors.ValidationError` (422, the
  views' handler: one field gives its message, several "Dữ liệu gửi lên có N trường không hợp lệ."). A service's
  ValidationError and StaleVersion (409) come out the same way. The app's own handlers answer every HTTP error;
  flask-smorest registers none.
"""

import re
from collections.abc import Callable, Iterable
from datetime import date
from http import HTTPStatus

import flask_smorest
import marshmallow as ma
from flask import current_app, request
from flask_babel import gettext as _
from webargs.flaskparser import FlaskParser
from werkzeug.exceptions import BadRequest

from tracker.db import get_row
from tracker.errors import ValidationError, abort_with
from tracker.extensions import db
from tracker.forms import day_problem
from tracker.text import has_control_characters, invalid_characters, shown

MAX_PER_PAGE = 200
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

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


def error_ref(status: int) -> dict:
    return {"$ref": f"#/components/responses/{HTTPStatus(status).name}"}


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

    def refuses(self, *statuses: int):
        """Document the error responses an operation may give (422 comes with `arguments`; 415, 429 and 503 are
        added to every operation they concern)."""
        return self.doc(responses={str(status): HTTPStatus(status).name for status in statuses})


class Api(flask_smorest.Api):
    """flask-smorest without its error handler (the app's handlers answer in the error shape and audit refusals),
    without its documentation pages, and with the app's error responses instead of its own."""

    DEFAULT_ERROR_RESPONSE_NAME = None

    def __init__(self, app):
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


# --- bodies ---------------------------------------------------------------------------------------------------


class Body(ma.Schema):
    """A JSON request body: unknown keys refused, echoed read-only fields dropped."""

    class Meta:
        unknown = ma.RAISE

    @ma.post_load
    def _drop_echoes(self, data: dict, **kwargs) -> dict:
        return {key: value for key, value in data.items() if not isinstance(self.fields.get(key), Echo)}


class Echo(ma.fields.Field):
    """A response field a client may send back as it read it: accepted whatever it holds and dropped on load, so
    the document says readOnly and no type."""

    def __init__(self, response: str):
        super().__init__(metadata={"readOnly": True, "description": f"As {response} has it; ignored."})

    def deserialize(self, value, attr=None, data=None, **kwargs):
        return value


def echoes(response: type[ma.Schema]):
    """Class decorator: every field of `response` the body does not declare is accepted back as an Echo."""
    name = response.__name__.removesuffix("Schema")

    def add(body: type[Body]) -> type[Body]:
        for field in response._declared_fields:
            body._declared_fields.setdefault(field, Echo(name))
        return body

    return add


class _Named:
    """A field whose messages are Vietnamese and name it. `needed`: the message when a value is required and is
    missing, null or blank (else a general one)."""

    def __init__(self, *, needed=None, **kwargs):
        self.needed = needed
        super().__init__(**kwargs)

    @property
    def label(self) -> str:
        return self.data_key or self.name

    def make_error(self, key: str, **kwargs) -> ma.ValidationError:
        if key in ("required", "null", "blank"):
            message = self.needed or _("Trường “%(name)s” cần có giá trị.", name=self.label)
        else:
            message = self.invalid()
        return ma.ValidationError(str(message))

    def invalid(self) -> str:
        raise NotImplementedError


class Integer(_Named, ma.fields.Integer):
    """A JSON integer (not a string of digits, not true/false)."""

    def _deserialize(self, value, attr, data, **kwargs) -> int:
        if not isinstance(value, int) or isinstance(value, bool):
            raise self.make_error("invalid")
        return value

    def invalid(self) -> str:
        return _("Trường “%(name)s” phải là số nguyên.", name=self.label)


class Text(_Named, ma.fields.String):
    """A JSON string without control or bidirectional characters; blank is refused when a value is required or
    `needed`; `max_length` bounds it."""

    def __init__(self, *, max_length: int | None = None, **kwargs):
        super().__init__(**kwargs)
        self.max_length = max_length
        if max_length is not None:
            self.metadata = {**self.metadata, "maxLength": max_length}
        if self.needed or self.required:
            self.metadata = {**self.metadata, "minLength": 1}

    def _deserialize(self, value, attr, data, **kwargs) -> str:
        if not isinstance(value, str):
            raise self.make_error("invalid")
        if has_control_characters(value):
            raise ma.ValidationError(invalid_characters(self.label))
        if (self.needed or self.required) and not value.strip():
            raise self.make_error("blank")
        if self.max_length is not None and len(value) > self.max_length:
            raise ma.ValidationError(_("Trường “%(name)s” dài quá %(n)d ký tự.", name=self.label, n=self.max_length))
        return value

    def invalid(self) -> str:
        return _("Trường “%(name)s” phải là chuỗi ký tự.", name=self.label)


def parse_date(value) -> date | None:
    """An ISO calendar date 'YYYY-MM-DD' that exists (not 2021-02-31), else None."""
    if not isinstance(value, str) or not _ISO_DATE.match(value):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


class Day(_Named, ma.fields.Date):
    """An ISO day YYYY-MM-DD that exists, within the years any stored day may have (tracker.forms.day_problem)."""

    def _deserialize(self, value, attr, data, **kwargs) -> date:
        parsed = parse_date(value)
        if parsed is None:
            raise ma.ValidationError(
                _("Ngày “%(value)s” không hợp lệ: dùng dạng YYYY-MM-DD, ví dụ 2021-11-09.", value=shown(str(value)))
            )
        if problem := day_problem(parsed):
            raise ma.ValidationError(_("Trường “%(name)s”: %(problem)s", name=self.label, problem=problem))
        return parsed


class UnitRef(Integer):
    """The id of an existing unit, loaded as the Unit (give `attribute="unit"`); `check` (check_manage or
    check_scope) refuses a unit out of the user's reach with a 403 before any other field is discussed."""

    def __init__(self, *, check: Callable[[int], None], **kwargs):
        super().__init__(**kwargs)
        self.check = check

    def _deserialize(self, value, attr, data, **kwargs):
        from tracker.units.models import Unit

        unit = get_row(Unit, super()._deserialize(value, attr, data, **kwargs))
        if unit is None:
            raise ma.ValidationError(_("Không có đơn vị nào có id %(id)d.", id=value))
        self.check(unit.id)
        return unit


# --- queries --------------------------------------------------------------------------------------------------


class Query(ma.Schema):
    """Query parameters: trimmed, a blank one counts as absent, unknown ones are ignored."""

    class Meta:
        unknown = ma.EXCLUDE

    @ma.pre_load
    def _drop_blanks(self, data, **kwargs) -> dict:
        keys = (field.data_key or name for name, field in self.load_fields.items())
        given = {key: data.get(key) for key in keys}  # webargs' proxy answers `missing` for an absent key
        return {key: value.strip() for key, value in given.items() if isinstance(value, str) and value.strip()}


class QueryText(ma.fields.String):
    """Free text to search with (the search cleans it)."""


class QueryInt(_Named, ma.fields.Integer):
    """An integer parameter, at least `minimum` when given."""

    def __init__(self, *, minimum: int | None = None, **kwargs):
        super().__init__(**kwargs)
        self.minimum = minimum
        if minimum is not None:
            self.metadata = {**self.metadata, "minimum": minimum}

    def _deserialize(self, value, attr, data, **kwargs) -> int:
        if not re.fullmatch(r"-?\d{1,18}", value) or (self.minimum is not None and int(value) < self.minimum):
            raise self.make_error("invalid")
        return int(value)

    def invalid(self) -> str:
        if self.minimum is not None:
            return _("Tham số “%(name)s” phải là số nguyên từ %(min)d trở lên.", name=self.label, min=self.minimum)
        return _("Tham số “%(name)s” phải là số nguyên.", name=self.label)


class QueryChoice(_Named, ma.fields.String):
    """One of `choices`, compared after `normalise` (str.upper: any case); loads as the choice itself."""

    def __init__(self, choices: Iterable[str], *, normalise: Callable[[str], str] = str, **kwargs):
        self.by_key = {normalise(choice): choice for choice in choices}
        self.normalise = normalise
        super().__init__(**kwargs)
        self.metadata = {**self.metadata, "enum": list(self.by_key.values())}

    def _deserialize(self, value, attr, data, **kwargs) -> str:
        choice = self.by_key.get(self.normalise(value))
        if choice is None:
            raise ma.ValidationError(
                _(
                    "Giá trị “%(value)s” của “%(name)s” không có; dùng một trong: %(choices)s.",
                    value=value,
                    name=self.label,
                    choices=", ".join(self.by_key.values()),
                )
            )
        return choice


class Paged(Query):
    """?page= (from 1) and ?per_page= (default PER_PAGE, capped at MAX_PER_PAGE)."""

    page = QueryInt(minimum=1, load_default=1, metadata={"description": "Page number, from 1."})
    per_page = QueryInt(
        minimum=1,
        metadata={
            "description": f"Items per page (default: the server's PER_PAGE, 50); values above {MAX_PER_PAGE} are "
            "capped."
        },
    )

    @ma.post_load
    def _cap(self, data: dict, **kwargs) -> dict:
        return data | {"per_page": min(data.get("per_page") or current_app.config["PER_PAGE"], MAX_PER_PAGE)}


# --- responses ------------------------------------------------------------------------------------------------


class PageSchema(ma.Schema):
    total = ma.fields.Integer(required=True, validate=ma.validate.Range(min=0))
    page = ma.fields.Integer(required=True, validate=ma.validate.Range(min=1))
    per_page = ma.fields.Integer(required=True, validate=ma.validate.Range(min=1, max=MAX_PER_PAGE))


def page_schema(item: type[ma.Schema]) -> type[ma.Schema]:
    """The schema of a page of `item`s; its component is `<Item>List`."""
    name = item.__name__.removesuffix("Schema") + "ListSchema"
    return type(PageSchema)(name, (PageSchema,), {"items": ma.fields.List(ma.fields.Nested(item), required=True)})


def page(stmt, args: dict) -> dict:
    """One page of a SELECT (args from a `Paged` query), for `page_schema`."""
    result = db.paginate(stmt, page=args["page"], per_page=args["per_page"], max_per_page=MAX_PER_PAGE, error_out=False)
    return {"items": result.items, "total": result.total, "page": args["page"], "per_page": args["per_page"]}
