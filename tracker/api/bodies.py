"""Readers the program and task bodies need beyond Fields: decimals, booleans, choices, bounded text, and ids
of rows the user may see. Each keeps one Vietnamese message per bad field, like Fields."""

from collections.abc import Iterable
from contextlib import contextmanager
from decimal import Decimal
from enum import StrEnum

from flask_babel import gettext as _
from flask_login import current_user

from tracker.api.helpers import Fields
from tracker.auth.access import in_scope
from tracker.db import get_row
from tracker.errors import ValidationError
from tracker.numbers import parse_plain

# The services name a few fields after the objects they take; the API names them after the ids it reads.
API_NAMES = {"parent": "parent_id", "reason": "lifecycle_reason", "evidence_document": "evidence_document_id"}


@contextmanager
def api_field_names():
    """Re-raise a service's ValidationError with the field names of the JSON body."""
    try:
        yield
    except ValidationError as exc:
        raise ValidationError({API_NAMES.get(k, k): v for k, v in exc.fields.items()}) from None


class Body(Fields):
    def text(self, name: str, required: str | None = None, default: str | None = None, max_length: int | None = None):
        value = super().text(name, required, default)
        if value is not None and max_length is not None and len(value) > max_length and name not in self.errors:
            self.errors[name] = _("Trường “%(name)s” dài quá %(n)d ký tự.", name=name, n=max_length)
        return value

    def decimal(self, name: str, default: Decimal | None = None) -> Decimal | None:
        """A JSON number, or a string holding a machine number ("1234.5": a point, no grouping, no exponent)."""
        value, given = self._get(name, None, default)
        if not given:
            return value
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            self.errors[name] = _('Trường “%(name)s” phải là số, ví dụ 4.03 hoặc "4.03".', name=name)
            return None
        try:
            number = parse_plain(value) if isinstance(value, str) else Decimal(str(value))
            if number is not None and not number.is_finite():
                raise ValueError(_("“%(v)s” không phải là số.", v=value))
        except ValueError as exc:
            self.errors[name] = _("Trường “%(name)s”: %(problem)s", name=name, problem=str(exc))
            return None
        return number

    def boolean(self, name: str, default: bool) -> bool:
        if name not in self.data:
            return default
        value = self.data[name]
        if not isinstance(value, bool):
            self.errors[name] = _("Trường “%(name)s” phải là true hoặc false.", name=name)
            return default
        return value

    def choice(self, name: str, choices: type[StrEnum] | Iterable[str], default: str | None, nullable: bool = False):
        """One of the enum's values; null only when `nullable`."""
        if name not in self.data:
            return default
        value = self.data[name]
        if value is None and nullable:
            return None
        allowed = [str(c) for c in choices]
        if not isinstance(value, str) or value not in allowed:
            self.errors[name] = _(
                "Giá trị “%(value)s” của “%(name)s” không có; dùng một trong: %(choices)s.",
                value=value,
                name=name,
                choices=", ".join(allowed),
            )
            return default
        return value

    def row(self, name: str, model, not_found: str, current=None):
        """The row an id field names, if the user may see its unit; `current` when the field is absent.

        `not_found` has an %(id)s placeholder; rows out of scope get the same message as missing ones."""
        if name not in self.data:
            return current
        ident = self.integer(name)
        if ident is None:
            return None
        found = get_row(model, ident)
        if found is None or not in_scope(current_user, found.unit_id):
            self.errors[name] = not_found % {"id": ident}
            return None
        return found
