from flask import url_for
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length
from wtforms.widgets import TextInput

from tracker.forms import DayField, FilterForm
from tracker.units.models import UnitKind

UNIT_REF_HELP = _l(
    "Tên đơn vị (gõ không dấu cũng được, ví dụ “bai bong”) hoặc mã đơn vị hành chính (ví dụ 05860); "
    "#số thứ tự với đơn vị không có mã (ví dụ #12)."
)


class UnitInput(TextInput):
    """A text input that static/js/app.js feeds with suggestions of units by name; typed text works without it."""

    def __call__(self, field, **kwargs):
        kwargs.setdefault("data-unit-suggest", url_for("units.suggest"))
        kwargs.setdefault("autocomplete", "off")
        return super().__call__(field, **kwargs)


class UnitField(StringField):
    """A unit typed by name or code, resolved by units.services.find_unit."""

    widget = UnitInput()


class UnitFilterForm(FilterForm):
    q = StringField(_l("Tìm theo tên hoặc mã"))
    kind = SelectField(_l("Loại đơn vị"), choices=lambda: [("", _l("Tất cả")), *UnitKind.choices()])


class UnitForm(FlaskForm):
    name = StringField(
        _l("Tên đơn vị"),
        validators=[DataRequired(_l("Hãy nhập tên đơn vị.")), Length(max=200, message=_l("Tên dài tối đa 200 ký tự."))],
    )
    kind = SelectField(
        _l("Loại đơn vị"),
        choices=UnitKind.choices,
        default=UnitKind.RESIDENTIAL_GROUP.value,
        invalid_choice_message=_l("Hãy chọn loại đơn vị trong danh sách."),
    )
    parent = UnitField(
        _l("Đơn vị cấp trên"),
        validators=[DataRequired(_l("Hãy nhập tên hoặc mã đơn vị cấp trên."))],
        description=UNIT_REF_HELP,
    )
    code = StringField(
        _l("Mã đơn vị"),
        validators=[Length(max=16, message=_l("Mã đơn vị dài tối đa 16 ký tự."))],
        description=_l("Để trống nếu đơn vị không có mã chính thức."),
    )
    valid_from = DayField(_l("Hiệu lực từ ngày"), description=_l("dd/mm/yyyy"))


class MergeForm(FlaskForm):
    sources = TextAreaField(
        _l("Đơn vị bị sáp nhập"),
        validators=[DataRequired(_l("Hãy nhập tên hoặc mã đơn vị cần sáp nhập."))],
        description=_l(
            "Một hoặc nhiều đơn vị, mỗi đơn vị một dòng hoặc cách nhau bởi dấu chấm phẩy: tên (gõ không dấu cũng "
            "được) hoặc mã; các mã cũng có thể cách nhau bởi dấu phẩy; #số thứ tự với đơn vị không có mã."
        ),
    )
    into = UnitField(
        _l("Sáp nhập vào đơn vị"),
        validators=[DataRequired(_l("Hãy nhập tên hoặc mã đơn vị tiếp nhận."))],
        description=UNIT_REF_HELP,
    )
    on = DayField(_l("Ngày sáp nhập"), [InputRequired(_l("Hãy nhập ngày sáp nhập."))], description=_l("dd/mm/yyyy"))
    keep_seats = BooleanField(_l("Giữ nguyên thành viên Ban của đơn vị cũ"))
