"""Text helpers shared by search, imports and every reader of input text."""

import re
import unicodedata

from flask_babel import gettext as _
from unidecode import unidecode

_SPACES = re.compile(r"\s+")
# C0 control characters but tab, line feed and carriage return (which multi-line text keeps and clean() folds to
# a space): nobody types them, PostgreSQL refuses a string holding NUL, and the rest are invisible paste debris.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def has_control_characters(value: str) -> bool:
    """True when the text holds a control character that no stored text may hold."""
    return _CONTROL.search(value) is not None


def drop_control_characters(value: str) -> str:
    """The text without those control characters (what a search or a filter reads)."""
    return _CONTROL.sub("", value)


def invalid_characters(field: str) -> str:
    """The one message for a field (its name, label or column heading) holding control characters."""
    return _("Trường “%(field)s” chứa ký tự không hợp lệ (ký tự điều khiển, ví dụ NUL).", field=field)


def clean(value: str | None) -> str:
    """NFC-normalised, trimmed, single-spaced text without control characters ('' for None)."""
    if value is None:
        return ""
    return _SPACES.sub(" ", unicodedata.normalize("NFC", drop_control_characters(str(value)))).strip()


def fold(value: str | None) -> str:
    """Accent- and case-insensitive search key: 'Bãi Bông' and 'bai  bong' both give 'bai bong'."""
    return unidecode(clean(value)).lower()


def like_pattern(query: str) -> str:
    """A LIKE pattern matching the folded query anywhere, with LIKE wildcards escaped (escape char '\\')."""
    folded = fold(query).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{folded}%"


_NOT_SLUG = re.compile(r"[^a-z0-9]+")


def slug(text: str | None, limit: int = 50) -> str:
    """An ASCII file-name part: 'Phường Phổ Yên' gives 'phuong-pho-yen'; at most `limit` characters, no dash at
    either end ('' when nothing is left: the caller has a fallback)."""
    return _NOT_SLUG.sub("-", fold(text)).strip("-")[:limit].rstrip("-")
