"""The fields of the API's request bodies (see tracker.api.contract for how an area uses them): each speaks
Vietnamese and names the field. Query strings, pages and answers read from derived objects are in
tracker.api.queries."""

import decimal
import re
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from datetime import date

import marshmallow as ma
from flask_babel import gettext as _

from tracker.db import MAX_ID, get_row
from tracker.errors import ValidationError
from tracker.forms import day_problem
from tracker.numbers import parse_plain
from tracker.text import has_control_characters, invalid_characters, shown

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


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


class Named:
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
        """What to say when the value sent is not one this field takes; the fields with an example say it."""
        return _("Trường “%(name)s” không hợp lệ.", name=self.label)


class Integer(Named, ma.fields.Integer):
    """A JSON integer (not a string of digits, not true/false)."""

    def _deserialize(self, value, attr, data, **kwargs) -> int:
        if not isinstance(value, int) or isinstance(value, bool):
            raise self.make_error("invalid")
        return value

    def invalid(self) -> str:
        return _("Trường “%(name)s” phải là số nguyên.", name=self.label)


class Text(Named, ma.fields.String):
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


class Day(Named, ma.fields.Date):
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


# --- choices and rows -------------------------------------------------------------------------------------------------


class Choice(Named, ma.fields.String):
    """One of `choices` (an enum's values or strings), exactly as written; loads as the value itself (a str).
    `allow_none=True` lets null through (and the document lists null among the choices)."""

    def __init__(self, choices: Iterable, **kwargs):
        self.choices = [str(choice) for choice in choices]
        super().__init__(**kwargs)
        self.metadata = {**self.metadata, "enum": self.choices + ([None] if self.allow_none else [])}

    def _deserialize(self, value, attr, data, **kwargs) -> str:
        if not isinstance(value, str) or value not in self.choices:
            raise ma.ValidationError(self._unknown(value))
        return value

    def make_error(self, key: str, **kwargs) -> ma.ValidationError:
        if key == "null" and not self.needed:  # null where a choice is needed: say which ones there are
            return ma.ValidationError(self._unknown("null"))
        return super().make_error(key, **kwargs)

    def _unknown(self, value) -> str:
        return _(
            "Giá trị “%(value)s” của “%(name)s” không có; dùng một trong: %(choices)s.",
            value=value,
            name=self.label,
            choices=", ".join(self.choices),
        )


class RowRef(Integer):
    """The id of a `model` row whose unit the user may see (tracker.auth.access.in_scope), loaded as the row (give
    `attribute`, e.g. "parent_board"). A missing row and one out of scope get the same message, `not_found`, which
    has an %(id)s placeholder: the answer tells nothing of rows out of reach."""

    def __init__(self, model, *, not_found, **kwargs):
        super().__init__(**kwargs)
        self.model = model
        self.not_found = not_found

    def _deserialize(self, value, attr, data, **kwargs):
        from flask_login import current_user

        from tracker.auth.access import in_scope

        ident = super()._deserialize(value, attr, data, **kwargs)
        row = get_row(self.model, ident)
        if row is None or not in_scope(current_user, row.unit_id):
            raise ma.ValidationError(str(self.not_found) % {"id": ident})
        return row


# --- decimals and booleans --------------------------------------------------------------------------------------------


class Decimal(Named, ma.fields.Field):
    """A quantity sent as a JSON number or as a plain decimal string ("1234.5": a point, no thousands grouping, no
    exponent; tracker.numbers.parse_plain), loaded as a decimal.Decimal. "4,03", "1e3", true or NaN are refused
    naming the field; ranges, rounding and the 10× plausibility check (an update's `confirm`) are the services'."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.metadata = {
            "type": ["string", "number"],
            "description": 'A JSON number or a plain decimal string, e.g. 4.03 or "4.03" (a point, no thousands '
            'grouping, no exponent); "4,03" or "1,234.5" is refused (422).',
            **self.metadata,
        }

    def _deserialize(self, value, attr, data, **kwargs) -> decimal.Decimal:
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise self.make_error("invalid")
        try:
            number = parse_plain(value) if isinstance(value, str) else decimal.Decimal(str(value))
            if not number.is_finite():
                raise ValueError(_("“%(v)s” không phải là số.", v=value))
        except ValueError as exc:
            raise ma.ValidationError(_("Trường “%(name)s”: %(problem)s", name=self.label, problem=str(exc))) from None
        return number

    def invalid(self) -> str:
        return _('Trường “%(name)s” phải là số, ví dụ 4.03 hoặc "4.03".', name=self.label)


PLAIN_DECIMAL = r"^-?\d+(\.\d+)?$"


class DecimalText(ma.fields.Field):
    """A response's quantity: a plain decimal string without trailing zeros (Decimal("4.0300") → "4.03", 600 →
    "600"), as DESIGN §5 sends decimals."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.metadata = {"type": "string", "pattern": PLAIN_DECIMAL, "examples": ["4.03", "600"], **self.metadata}

    def _serialize(self, value, attr, obj, **kwargs) -> str | None:
        return None if value is None else format(decimal.Decimal(value).normalize(), "f")


class Boolean(Named, ma.fields.Boolean):
    """A JSON true or false (not "true", 1 or null)."""

    def make_error(self, key: str, **kwargs) -> ma.ValidationError:
        if key == "null" and not self.needed:
            return ma.ValidationError(self.invalid())
        return super().make_error(key, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs) -> bool:
        if not isinstance(value, bool):
            raise self.make_error("invalid")
        return value

    def invalid(self) -> str:
        return _("Trường “%(name)s” phải là true hoặc false.", name=self.label)


# --- lists of ids -----------------------------------------------------------------------------------------------------


class IdList(Named, ma.fields.List):
    """A non-empty JSON list of row ids (positive integers), loaded with each id once, in the order sent; whether
    the rows exist and may be used is the view's to say. `not_list`: the message when it is not a non-empty list,
    `not_ids`: when an item is not an id (else general ones naming the field)."""

    def __init__(self, *, not_list=None, not_ids=None, **kwargs):
        super().__init__(cls_or_instance=ma.fields.Integer(validate=ma.validate.Range(min=1, max=MAX_ID)), **kwargs)
        self.not_list, self.not_ids = not_list, not_ids
        self.metadata = {"minItems": 1, **self.metadata}

    def _deserialize(self, value, attr, data, **kwargs) -> list[int]:
        if not isinstance(value, list) or not value:
            raise self.make_error("invalid")
        if not all(isinstance(v, int) and not isinstance(v, bool) and 0 < v <= MAX_ID for v in value):
            raise ma.ValidationError(
                str(self.not_ids or _("Trường “%(name)s” chỉ gồm các id (số nguyên dương).", name=self.label))
            )
        return list(dict.fromkeys(value))

    def invalid(self) -> str:
        return str(self.not_list or _("Trường “%(name)s” phải là danh sách id, không rỗng.", name=self.label))


@contextmanager
def named_as(body: type[Body]):
    """Re-raise a service's ValidationError with the names of `body`'s fields: a field the body loads under the
    service's name (`attribute="parent"` for parent_id, "reason" for lifecycle_reason) is named as it was sent."""
    names = {
        field.attribute: field.data_key or name
        for name, field in body._declared_fields.items()
        if field.attribute and field.attribute != (field.data_key or name)
    }
    try:
        yield
    except ValidationError as exc:
        if not names.keys() & exc.fields.keys():
            raise
        raise ValidationError({names.get(key, key): value for key, value in exc.fields.items()}) from None
