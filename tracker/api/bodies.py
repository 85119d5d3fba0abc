"""Readers the bodies not yet declared in tracker.api.contract need beyond Fields: choices, bounded text, and ids
of rows the user may see. Each keeps one Vietnamese message per bad field, like Fields. Programs and tasks use
tracker.api.fields (Decimal, Boolean, Choice, RowRef, and named_as for a service's field names); this module goes
with the last area still reading by hand."""

from collections.abc import Iterable
from enum import StrEnum

from flask_babel import gettext as _
from flask_login import current_user

from tracker.api.helpers import Fields
from tracker.auth.access import in_scope
from tracker.db import get_row


class Body(Fields):
    def text(self, name: str, required: str | None = None, default: str | None = None, max_length: int | None = None):
        value = super().text(name, required, default)
        if value is not None and max_length is not None and len(value) > max_length and name not in self.errors:
            self.errors[name] = _("Trường “%(name)s” dài quá %(n)d ký tự.", name=name, n=max_length)
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
