"""Text helpers shared by search and imports."""

import re
import unicodedata

from unidecode import unidecode

_SPACES = re.compile(r"\s+")


def clean(value: str | None) -> str:
    """NFC-normalised, trimmed, single-spaced text ('' for None)."""
    if value is None:
        return ""
    return _SPACES.sub(" ", unicodedata.normalize("NFC", str(value))).strip()


def fold(value: str | None) -> str:
    """Accent- and case-insensitive search key: 'Bãi Bông' and 'bai  bong' both give 'bai bong'."""
    return unidecode(clean(value)).lower()


def like_pattern(query: str) -> str:
    """A LIKE pattern matching the folded query anywhere, with LIKE wildcards escaped (escape char '\\')."""
    folded = fold(query).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{folded}%"
