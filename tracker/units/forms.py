from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from tracker.errors import ValidationError
from tracker.units.models import UnitKind

UNIT_REF_HELP = _l("Mã đơn vị hành chính (ví dụ 05860), hoặc #số thứ tự với đơn vị không có mã (ví dụ #12).")


def date_field(label, *validators, **kwargs) -> DateField:
    """A date picker that also takes dd/mm/yyyy typed by hand, with a Vietnamese error."""
    return DateField(
        label,
        validators=list(validators) or [Optional()],
        format=["%Y-%m-%d", "%d/%m/%Y"],
        invalid_value_message=_l("Ngày không hợp lệ: hãy nhập theo dạng ngày/tháng/năm, ví dụ 01/07/2025."),
        **kwargs,
    )


def show_errors(form: FlaskForm, exc: ValidationError) -> None:
    """Put a service's Vietnamese messages on the form fields they name (others above the form)."""
    for name, message in exc.fields.items():
        target = form._fields.get(name)
        (target.errors if target is not None else form.form_errors).append(message)


class UnitFilterForm(FlaskForm):
    class Meta:
        csrf = False

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
    parent = StringField(
        _l("Đơn vị cấp trên"),
        validators=[DataRequired(_l("Hãy nhập mã đơn vị cấp trên."))],
        description=UNIT_REF_HELP,
    )
    code = StringField(
        _l("Mã đơn vị"),
        validators=[Length(max=16, message=_l("Mã đơn vị dài tối đa 16 ký tự."))],
        description=_l("Để trống nếu đơn vị không có mã chính thức."),
    )
    valid_from = date_field(_l("Hiệu lực từ ngày"))


class MergeForm(FlaskForm):
    sources = TextAreaField(
        _l("Đơn vị bị sáp nhập"),
        validators=[DataRequired(_l("Hãy nhập mã đơn vị cần sáp nhập."))],
        description=_l("Một hoặc nhiều mã, cách nhau bởi dấu phẩy hoặc xuống dòng; #số thứ tự với đơn vị không có mã."),
    )
    into = StringField(
        _l("Sáp nhập vào đơn vị"),
        validators=[DataRequired(_l("Hãy nhập mã đơn vị tiếp nhận."))],
        description=UNIT_REF_HELP,
    )
    on = date_field(_l("Ngày sáp nhập"), InputRequired(_l("Hãy nhập ngày sáp nhập.")))
