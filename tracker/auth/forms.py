from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from tracker.auth.models import Role


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


class UserForm(FlaskForm):
    username = StringField(
        _l("Tên đăng nhập"), validators=[DataRequired(_l("Hãy nhập tên đăng nhập.")), Length(max=64)]
    )
    full_name = StringField(_l("Họ và tên"), validators=[Length(max=200)])
    role = SelectField(_l("Vai trò"), choices=Role.choices)
    unit_code = StringField(
        _l("Mã đơn vị"), description=_l("Mã đơn vị hành chính, ví dụ 19 (Thái Nguyên) hoặc 05860 (phường Phổ Yên).")
    )
    is_active = BooleanField(_l("Đang hoạt động"), default=True)


class NewUserForm(UserForm):
    password = PasswordField(_l("Mật khẩu ban đầu"), validators=[DataRequired(_l("Hãy nhập mật khẩu."))])


class ResetPasswordForm(FlaskForm):
    password = PasswordField(_l("Mật khẩu mới"), validators=[DataRequired(_l("Hãy nhập mật khẩu mới."))])
