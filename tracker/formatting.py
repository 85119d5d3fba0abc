"""Vietnamese formats for dates and numbers (dd/mm/yyyy; 4,03; 1.234; 92,45%), as Jinja filters."""

from datetime import date, datetime
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from functools import lru_cache

from babel.numbers import format_decimal, get_decimal_symbol, get_group_symbol
from flask import current_app, has_request_context, request
from flask_babel import format_datetime, get_locale

from tracker.security import read_cookie


def select_locale() -> str:
    """Vietnamese unless the user picked another catalog (?lang=en, remembered in a cookie)."""
    if not has_request_context():
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    supported = current_app.config["LANGUAGES"]
    chosen = request.args.get("lang") or read_cookie("lang")
    return chosen if chosen in supported else current_app.config["BABEL_DEFAULT_LOCALE"]


def number(value, digits: int = 2) -> str:
    """1234.5 → '1.234,5' (at most `digits` decimals, no trailing zeros, half-even rounding as Babel does).

    A dashboard formats thousands of numbers: the locale's symbols come from Babel once, the digits from Python."""
    if value is None or value == "":
        return ""
    locale = str(get_locale())
    try:
        amount = (value if isinstance(value, Decimal) else Decimal(str(value))).quantize(
            Decimal(1).scaleb(-digits), rounding=ROUND_HALF_EVEN
        )
    except InvalidOperation:  # beyond the context's precision: Babel copes
        pattern = "#,##0." + "#" * digits if digits else "#,##0"
        return format_decimal(Decimal(str(value)), format=pattern, locale=locale)
    text = f"{amount:,f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    if text == "-0":
        text = "0"
    return text.translate(_symbols(locale))


@lru_cache(maxsize=8)
def _symbols(locale: str) -> dict[int, str]:
    return {ord(","): get_group_symbol(locale), ord("."): get_decimal_symbol(locale)}


def percent(ratio, digits: int = 2) -> str:
    """0.9245 → '92,45%'."""
    if ratio is None:
        return ""
    return number(Decimal(str(ratio)) * 100, digits) + "%"


def vn_date(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return format_datetime(value, "dd/MM/yyyy")
    if isinstance(value, date):
        return f"{value.day:02d}/{value.month:02d}/{value.year:04d}"  # strftime drops a year's leading zeros
    return str(value)


def vn_datetime(value) -> str:
    return "" if value is None else format_datetime(value, "HH:mm dd/MM/yyyy")


def register(app) -> None:
    app.jinja_env.filters.update(number=number, percent=percent, vn_date=vn_date, vn_datetime=vn_datetime)
