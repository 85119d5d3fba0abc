"""Numbers as people type them, read strictly in the user's language with Babel's locale rules.

One parser for every number a person types (forms and imports): Vietnamese writes "4,03" and "1.234,5" (comma for
decimals, dot for thousands), English the reverse. Babel's strict mode refuses a grouping that does not group by
three, so "1,234.5" in Vietnamese is refused instead of becoming 1,2345. One leniency: a lone thousands mark that
is not followed by exactly three digits cannot be a thousands mark, so it is read as the decimal mark people meant
("4.03" in Vietnamese is 4,03). Exponents, non-ASCII digits, spaces inside and stray characters are refused with a
message that shows how to write the number. The API takes machine numbers instead (`parse_plain`).
"""

import re
from decimal import Decimal, InvalidOperation

from babel.numbers import NumberFormatError, format_decimal, get_decimal_symbol, get_group_symbol, parse_decimal
from flask import has_request_context
from flask_babel import get_locale
from flask_babel import gettext as _

_TYPED = re.compile(r"[+-]?[0-9.,]+")
_PLAIN = re.compile(r"[+-]?[0-9]+(\.[0-9]+)?")


def user_locale() -> str:
    """The language of the screen the number was typed on (Vietnamese outside a request: the CLI, imports)."""
    return str(get_locale()) if has_request_context() else "vi"


def how_to_write(locale: str) -> str:
    """'ví dụ 4,03 hoặc 1.234,5 (dấu “,” ngăn phần thập phân, dấu “.” ngăn hàng nghìn)' in the locale's symbols."""
    return _(
        "hãy viết như %(small)s hoặc %(large)s "
        "(dấu “%(decimal)s” ngăn phần thập phân, dấu “%(group)s” ngăn hàng nghìn)",
        small=format_decimal(Decimal("4.03"), locale=locale),
        large=format_decimal(Decimal("1234.5"), locale=locale),
        decimal=get_decimal_symbol(locale),
        group=get_group_symbol(locale),
    )


def parse_typed(text: str | None, locale: str | None = None) -> Decimal | None:
    """A number typed in `locale` (default: the user's); None when empty; ValueError with a Vietnamese message
    showing how to write it when the text is not exactly one number in that locale's writing."""
    text = (text or "").strip()
    if not text:
        return None
    locale = locale or user_locale()
    if not _TYPED.fullmatch(text):
        raise ValueError(_("“%(v)s” không phải là số: %(how)s.", v=text, how=how_to_write(locale)))
    group, decimal = get_group_symbol(locale), get_decimal_symbol(locale)
    whole, mark, rest = text.partition(group)
    if mark and group not in rest and decimal not in text and len(rest) != 3:
        whole, mark = f"{whole}{decimal}", ""  # "4.03" in Vietnamese: a lone mark before ≠ 3 digits is the decimal one
    try:
        value = parse_decimal(f"{whole}{mark}{rest}", locale=locale, strict=True)
    except NumberFormatError:
        raise ValueError(_("“%(v)s” không phải là số viết đúng: %(how)s.", v=text, how=how_to_write(locale))) from None
    if not value.is_finite():
        raise ValueError(_("“%(v)s” không phải là số: %(how)s.", v=text, how=how_to_write(locale)))
    return value


def parse_plain(text: str) -> Decimal:
    """A machine number, as the API and its JSON strings write it: "1234.5", "-3", no grouping, no exponent."""
    text = text.strip()
    if not _PLAIN.fullmatch(text):
        raise ValueError(
            _(
                "“%(v)s” không phải là số dạng máy đọc: dùng dấu chấm thập phân, không ngăn hàng nghìn, ví dụ 1234.5.",
                v=text,
            )
        )
    try:
        return Decimal(text)
    except InvalidOperation:  # cannot happen after the pattern, but never a 500
        raise ValueError(_("“%(v)s” không phải là số.", v=text)) from None


def typed_text(value: Decimal | int, locale: str | None = None) -> str:
    """A number as a form shows it back for editing: every digit kept, the locale's marks ("1.234,5")."""
    return format_decimal(Decimal(value).normalize(), format="#,##0.##########", locale=locale or user_locale())
