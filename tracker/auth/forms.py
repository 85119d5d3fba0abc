from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, EqualTo, Length
from wtforms.validators import ValidationError as WTFValidationError

from tracker.auth.models import Role
from tracker.forms import DayField, FilterForm, IdField, VersionField
from tracker.units.forms import UnitField


class LoginForm(FlaskForm):
    username = StringField(_l("Tên đăng nhập"), validators=[DataRequired(_l("Hãy nhập tên đăng nhập."))])
    password = PasswordField(_l("Mật khẩu"), validators=[DataRequired(_l("Hãy nhập mật khẩu."))])


class PasswordForm(FlaskForm):
    current = PasswordField(_l("Mật khẩu hiện tại"), validators=[DataRequired(_l("Hãy nhập mật khẩu hiện tại."))])
    password = PasswordField(_l("Mật khẩu mới"), validators=[DataRequired(_l("Hãy nhập mật khẩu mới."))])
    confirm = PasswordField(
        _l("Nhập lại mật khẩu mới"),
        validators=[
            DataRequired(_l("Hãy nhập lại mật khẩu mới.")),
            EqualTo("password", _l("Hai mật khẩu không khớp.")),
        ],
    )


def _full_name_field():
    return StringField(_l("Họ và tên"), validators=[Length(max=200, message=_l("Họ và tên dài tối đa 200 ký tự."))])


PASSWORD_HELP = _l(
    "Ít nhất 10 ký tự; một câu dài dễ nhớ là mật khẩu tốt. Không dùng mật khẩu phổ biến hoặc có tên đăng nhập."
)


def _role_field():
    # The choices are narrowed per user in the view; the service has the last word on what may be granted.
    return SelectField(_l("Vai trò"), choices=Role.choices, validate_choice=False)


def _unit_code_field():
    return UnitField(
        _l("Đơn vị"),
        description=_l(
            "Tên đơn vị (gõ không dấu cũng được, ví dụ “pho yen”) hoặc mã, ví dụ 19 (Thái Nguyên) hoặc 05860 "
            "(phường Phổ Yên). Bắt buộc trừ vai trò quản trị hệ thống."
        ),
    )


class _RoleCheck:
    def validate_role(self, field):
        if field.data not in {r.value for r in Role}:
            raise WTFValidationError(_l("Vai trò không hợp lệ."))


class NewUserForm(_RoleCheck, FlaskForm):
    username = StringField(
        _l("Tên đăng nhập"),
        validators=[DataRequired(_l("Hãy nhập tên đăng nhập.")), Length(max=64, message=_l("Tối đa 64 ký tự."))],
    )
    full_name = _full_name_field()
    role = _role_field()  # the view offers the roles from the least power up; a new account starts as a viewer
    unit_code = _unit_code_field()
    password = PasswordField(
        _l("Mật khẩu ban đầu"),
        validators=[DataRequired(_l("Hãy nhập mật khẩu."))],
        description=PASSWORD_HELP,
    )


class UserForm(_RoleCheck, FlaskForm):
    """Edit an account; `version` is the row version the form was opened with (stale → 409)."""

    full_name = _full_name_field()
    role = _role_field()
    unit_code = _unit_code_field()
    is_active = BooleanField(
        _l("Đang hoạt động"), description=_l("Bỏ chọn để khóa tài khoản: mọi phiên đăng nhập và mã API bị thu hồi.")
    )
    version = VersionField()


class ResetPasswordForm(FlaskForm):
    password = PasswordField(
        _l("Mật khẩu mới"),
        validators=[DataRequired(_l("Hãy nhập mật khẩu mới."))],
        description=PASSWORD_HELP,
    )
    confirm = PasswordField(
        _l("Nhập lại mật khẩu mới"),
        validators=[
            DataRequired(_l("Hãy nhập lại mật khẩu mới.")),
            EqualTo("password", _l("Hai mật khẩu không khớp.")),
        ],
    )


class UserFilterForm(FilterForm):
    q = StringField(_l("Tìm theo tên"))
    role = SelectField(_l("Vai trò"), choices=lambda: [("", _("Tất cả"))] + Role.choices(), validate_choice=False)
    active = SelectField(
        _l("Trạng thái"),
        choices=lambda: [("", _("Tất cả")), ("1", _("Đang hoạt động")), ("0", _("Đã khóa"))],
        validate_choice=False,
    )


class AuditFilterForm(FilterForm):
    entity = SelectField(_l("Đối tượng"), validate_choice=False)
    entity_id = IdField(_l("Mã số"))
    action = SelectField(_l("Thao tác"), validate_choice=False)
    actor = StringField(_l("Người thực hiện"))
    since = DayField(_l("Từ ngày"), description=_l("dd/mm/yyyy"))
    until = DayField(_l("Đến ngày"), description=_l("dd/mm/yyyy"))

    def validate_until(self, field):
        if field.data and self.since.data and field.data < self.since.data:
            raise WTFValidationError(_l("“Đến ngày” phải sau hoặc bằng “Từ ngày”."))


class PublicAddressForm(FlaskForm):
    public_base_url = StringField(
        _l("Địa chỉ công khai"),
        validators=[
            DataRequired(_l("Hãy nhập địa chỉ công khai.")),
            Length(max=2000, message=_l("Địa chỉ công khai dài tối đa 2000 ký tự.")),
        ],
        description=_l("Địa chỉ mà điện thoại mở khi quét mã QR, ví dụ https://qr.phoyen.thainguyen.gov.vn"),
    )
