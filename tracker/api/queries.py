"""The API's query strings (trimmed, a blank parameter counts as absent, unknown ones are ignored; each field names
itself in Vietnamese), the pages of a list, and answers read from derived objects rather than rows."""

import re
from collections.abc import Callable, Iterable

import marshmallow as ma
from flask import current_app, request
from flask_babel import gettext as _

from tracker.api.fields import Named
from tracker.extensions import db

MAX_PER_PAGE = 200
LARGEST = 10**18 - 1  # a QueryInt's 18 digits


# --- queries --------------------------------------------------------------------------------------------------


class Query(ma.Schema):
    """Query parameters: trimmed, a blank one counts as absent, unknown ones are ignored."""

    class Meta:
        unknown = ma.EXCLUDE

    @ma.pre_load
    def _drop_blanks(self, data, **kwargs) -> dict:
        keys = [field.data_key or name for name, field in self.load_fields.items()]
        repeated = {key: _("Tham số “%(name)s” chỉ được gửi một lần.", name=key) for key in keys if _sent_twice(key)}
        if repeated:  # ?page=1&page=2: which one was meant is not ours to guess
            raise ma.ValidationError(repeated)
        given = {key: data.get(key) for key in keys}  # webargs' proxy answers `missing` for an absent key
        return {key: value.strip() for key, value in given.items() if isinstance(value, str) and value.strip()}


def _sent_twice(key: str) -> bool:
    return len(request.args.getlist(key)) > 1


class QueryText(ma.fields.String):
    """Free text to search with (the search cleans it)."""


class QueryInt(Named, ma.fields.Integer):
    """An integer parameter of 18 digits at most (beyond, no column could match it), at least `minimum` when
    given."""

    def __init__(self, *, minimum: int | None = None, **kwargs):
        super().__init__(**kwargs)
        self.minimum = minimum
        self.metadata = {"minimum": -LARGEST if minimum is None else minimum, "maximum": LARGEST, **self.metadata}

    def _deserialize(self, value, attr, data, **kwargs) -> int:
        if not re.fullmatch(r"-?\d{1,18}", value) or (self.minimum is not None and int(value) < self.minimum):
            raise self.make_error("invalid")
        return int(value)

    def invalid(self) -> str:
        if self.minimum is not None:
            return _("Tham số “%(name)s” phải là số nguyên từ %(min)d trở lên.", name=self.label, min=self.minimum)
        return _("Tham số “%(name)s” phải là số nguyên.", name=self.label)


class QueryChoice(Named, ma.fields.String):
    """One of `choices`, compared after `normalise` (str.upper: any case); loads as the choice itself."""

    def __init__(self, choices: Iterable[str], *, normalise: Callable[[str], str] = str, **kwargs):
        self.by_key = {normalise(choice): choice for choice in choices}
        self.normalise = normalise
        super().__init__(**kwargs)
        self.metadata = {**self.metadata, "enum": [*self.by_key.values(), ""]}  # blank: any (a Query's rule)

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


# --- responses read from derived objects (added with programs and tasks) ----------------------------------------


class NestedFrom(ma.fields.Nested):
    """A nested object computed from the object dumped, `read(obj)`: a state's figures side by side under one key
    (`read=lambda state: state`), or a method's answer (`read=lambda state: state.explain()`)."""

    def __init__(self, nested, *, read: Callable, **kwargs):
        super().__init__(nested, dump_only=True, **kwargs)
        self.read = read

    def serialize(self, attr, obj, accessor=None, **kwargs):
        return self._serialize(self.read(obj), attr, obj, **kwargs)


class With:
    """`base` answered with a few more attributes: With(state, warnings=saved.warnings) dumps as the state plus its
    warnings, for a response schema that adds to what a row or a state has."""

    def __init__(self, base, **more):
        self._base = base
        self.__dict__.update(more)

    def __getattr__(self, name: str):
        return getattr(self._base, name)
