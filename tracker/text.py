"""Text helpers shared by search, imports and every reader of input text."""

import re
import unicodedata

from flask_babel import gettext as _
from unidecode import unidecode

_SPACES = re.compile(r"\s+")
# Characters no stored text may hold, all invisible or broken:
# - C0 and C1 control characters but tab, line feed and carriage return (which multi-line text keeps and clean()
#   folds to a space): nobody types them, PostgreSQL refuses a string holding NUL, the rest are paste debris;
# - the bidirectional embeddings, overrides, isolates and marks (U+202E turns "gpj.exe" into "exe.jpg" on screen):
#   Vietnamese text never needs them, and in a name they make one site or person look like another;
# - lone surrogates (a JSON "\ud800" escape: not a character, UTF-8 cannot encode it, so saving or answering with
#   it would fail) and the Unicode non-characters (U+FDD0–FDEF and the last two code points of every plane).
_NONCHARACTERS = "".join(f"{chr(plane << 16 | 0xFFFE)}{chr(plane << 16 | 0xFFFF)}" for plane in range(17))
_CONTROL = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff\ufdd0-\ufdef"
    + _NONCHARACTERS
    + "]"
)


def has_control_characters(value: str) -> bool:
    """True when the text holds a control character that no stored text may hold."""
    return _CONTROL.search(value) is not None


def drop_control_characters(value: str) -> str:
    """The text without those control characters (what a search or a filter reads)."""
    return _CONTROL.sub("", value)


def invalid_characters(field: str) -> str:
    """The one message for a field (its name, label or column heading) holding such characters; the name itself
    is shown with them escaped (a JSON key may hold them too)."""
    return _(
        "Trường “%(field)s” chứa ký tự không hợp lệ (ký tự điều khiển như NUL, ký tự đảo chiều văn bản "
        "hoặc mã Unicode lỗi).",
        field=shown(field),
    )


def shown(text: str) -> str:
    """Text safe to show and to encode: each character refused above written as its backslash escape."""
    return _CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), str(text))


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
