"""Form pieces every area uses: Vietnamese dates and numbers, the row version, filters, service errors.

WTForms has no Vietnamese messages of its own, so each field here carries its message."""

from datetime import date, datetime

from flask import request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from werkzeug.datastructures import ImmutableMultiDict
from wtforms import HiddenField, StringField
from wtforms.validators import ValidationError as WTFValidationError

from tracker.db import MAX_ID
from tracker.errors import ValidationError, abort_with
from tracker.formatting import vn_date
from tracker.numbers import parse_typed, typed_text
from tracker.text import drop_control_characters, has_control_characters, invalid_characters

CHOOSE_FROM_LIST = _l("Hãy chọn một mục trong danh sách.")  # a select's answer that is none of its choices


def optional_id(value) -> int | None:
    """A select's id: None for the empty choice; junk becomes an id no choice has (the choice check names it)."""
    if value in (None, "", "None"):
        return None
    if isinstance(value, int):
        return value
    return int(value) if str(value).isdigit() else -1


# Every day the app keeps lies in these years: 01/01/0001 is a slip of the keyboard, and a year below 1900 would
# neither print with four digits everywhere nor mean anything for a program.
FIRST_YEAR, LAST_YEAR = 1900, 2100


def day_problem(day: date) -> str | None:
    """Why a well-formed day cannot be kept, in Vietnamese; None when it can."""
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        return _(
            "Năm phải từ %(first)d đến %(last)d (ngày đã nhập: %(day)s).",
            first=FIRST_YEAR,
            last=LAST_YEAR,
            day=vn_date(day),
        )
    return None


def parse_day(text: str) -> date | None:
    """dd/mm/yyyy as people type it, or ISO yyyy-mm-dd as date pickers send it; None when empty."""
    text = (text or "").strip()
    if not text:
        return None
    for pattern in ("%d/%m/%Y", "%Y-%m-%d"):
        try:
            day = datetime.strptime(text, pattern).date()
        except ValueError:
            continue
        if problem := day_problem(day):
            raise ValueError(problem)
        return day
    raise ValueError(_("Ngày “%(v)s” không hợp lệ: hãy nhập theo dạng ngày/tháng/năm, ví dụ 01/07/2025.", v=text))


def _row_id(raw: str) -> int | None:
    """The id `raw` writes when it is a whole number a table can hold, else None (30 digits never reach int())."""
    if raw.isascii() and raw.isdigit() and len(raw.lstrip("0")) <= len(str(MAX_ID)) and 0 < int(raw) <= MAX_ID:
        return int(raw)
    return None


def query_id(name: str) -> int | None:
    """A row id from the query string (`?unit_id=12`); None when absent. Anything but a whole number a table can
    hold (30 digits, "abc", "-1") is a 400 naming the parameter, never a driver error."""
    raw = request.args.get(name, "").strip()
    if not raw:
        return None
    ident = _row_id(raw)
    if ident is None:
        abort_with(400, _("Tham số “%(name)s” phải là mã số nguyên dương (tối đa %(max)d).", name=name, max=MAX_ID))
    return ident


class IdField(StringField):
    """A row id typed in a filter (the audit log's "Mã số"); `data` is an int or None."""

    def process_formdata(self, valuelist):
        self.data = None
        raw = (valuelist[0] if valuelist else "").strip()
        if raw and _row_id(raw) is None:
            raise ValueError(_("Mã số phải là số nguyên dương."))
        self.data = _row_id(raw) if raw else None

    def _value(self):
        return self.raw_data[0] if self.raw_data else ("" if self.data is None else str(self.data))


class DayField(StringField):
    """A calendar day typed as dd/mm/yyyy (or ISO); `data` is a date or None."""

    def process_formdata(self, valuelist):
        self.data = None
        self.data = parse_day(valuelist[0] if valuelist else "")

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return vn_date(self.data)


class NumberField(StringField):
    """A decimal typed in the user's language ("4,03", "1.234,5" in Vietnamese); `data` is a Decimal or None."""

    def process_formdata(self, valuelist):
        self.data = None
        self.data = parse_typed(valuelist[0] if valuelist else "")

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return "" if self.data is None else typed_text(self.data)


class VersionField(HiddenField):
    """The row version the form was opened at. It must come from the submitted page: were it taken from
    the row itself, a stale form would pass as current and overwrite someone else's save."""

    def pre_validate(self, form):
        if not (self.raw_data and self.raw_data[0].isdigit()):
            raise WTFValidationError(_l("Biểu mẫu thiếu thông tin phiên bản: hãy tải lại trang rồi sửa lại."))

    @property
    def number(self) -> int:
        return int(self.raw_data[0])


class FilterForm(FlaskForm):
    """A GET filter form: read from the query string, no CSRF token."""

    class Meta:
        csrf = False


def show_errors(form: FlaskForm, exc: ValidationError, field_of: dict[str, str] | None = None) -> None:
    """Put a service's Vietnamese messages on the fields they name; the rest (and hidden fields) above the form."""
    for key, message in exc.fields.items():
        field = form._fields.get((field_of or {}).get(key, key))
        if field is None or isinstance(field, HiddenField):
            form.form_errors.append(message)
        else:
            field.errors = [*field.errors, message]


def hidden_errors(form: FlaskForm) -> None:
    """Hidden fields have nowhere to show their errors: move them above the form."""
    for field in form:
        if isinstance(field, HiddenField) and field.errors and field.name != "csrf_token":
            form.form_errors.extend(str(e) for e in field.errors)


def round_trip(
    form: FlaskForm,
    save,
    render,
    done,
    *,
    stale=None,
    on_stale=None,
    validate_more=None,
    field_of: dict[str, str] | None = None,
):
    """The round trip every create or edit form makes. When the form validates: `save()`; a stale version shows the
    form again with `stale` above it (409), a service's ValidationError with each message on its field (400), else
    the change is committed and `done(result)` answers (a redirect). A GET shows the form (200), an invalid POST
    shows it with its errors (400). `render()` renders the page with the form.

    Hooks for the few forms that need more: `on_stale()` renders the 409 page itself, after the rollback (a form
    reloaded with what is saved now); `validate_more()` runs on an invalid POST and the ValidationError it raises
    names the fields the form's own checks left alone, so every bad field is named at once."""
    from tracker.errors import StaleVersion
    from tracker.extensions import db

    if form.validate_on_submit():
        try:
            result = save()
        except StaleVersion:
            if stale is None and on_stale is None:
                raise
            db.session.rollback()
            if on_stale is not None:
                return on_stale(), 409
            form.form_errors.append(str(stale))
            return render(), 409
        except ValidationError as exc:
            db.session.rollback()
            show_errors(form, exc, field_of)
            return render(), 400
        db.session.commit()
        return done(result)
    hidden_errors(form)
    if not form.is_submitted():
        return render(), 200
    if validate_more is not None:
        try:
            validate_more()
        except ValidationError as exc:
            fresh = {}
            for key, message in exc.fields.items():
                field = form._fields.get((field_of or {}).get(key, key))
                if field is None or not field.errors:  # a field says once what is wrong with it
                    fresh[key] = message
            show_errors(form, ValidationError(fresh), field_of)
    return render(), 400


def register(app) -> None:
    app.before_request(_control_characters)


def _control_characters() -> None:
    """Control characters (NUL…) never reach a form or a query: a submitted field holding one is refused (400,
    naming it) before any view reads it; the query string (searches, filters, links) loses them, as a search would."""
    for name, value in request.form.items(multi=True):
        if has_control_characters(value):
            abort_with(400, invalid_characters(name))
    if any(has_control_characters(value) for _name, value in request.args.items(multi=True)):
        request.args = ImmutableMultiDict(
            (name, drop_control_characters(value)) for name, value in request.args.items(multi=True)
        )
