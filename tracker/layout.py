"""What every page's layout needs: navigation by role, the locale, labels for audit actions."""

from dataclasses import dataclass

from flask import current_app, request, url_for
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from tracker.audit_display import entity_text, field_label, field_value, row_names
from tracker.auth.models import Role
from tracker.security import set_cookie

# (endpoint, label, roles that see it); the guard still decides who may open each page.
NAVIGATION = [
    ("dashboards.index", _l("Tổng quan"), set(Role)),
    ("programs.index", _l("Chương trình"), set(Role)),
    ("sites.index", _l("Điểm QR"), set(Role)),
    ("boards.index", _l("Ban chỉ đạo"), set(Role)),
    ("public_services.index", _l("Dịch vụ công"), set(Role)),
    ("units.index", _l("Đơn vị"), set(Role)),
    ("documents.index", _l("Văn bản"), set(Role)),
    ("reports.index", _l("Báo cáo định kỳ"), set(Role)),
    ("admin.users", _l("Người dùng"), {Role.ADMIN, Role.MANAGER}),
    ("admin.audit", _l("Nhật ký"), {Role.ADMIN}),
    ("admin.public_address", _l("Địa chỉ công khai"), {Role.ADMIN}),
    ("auth.password", _l("Đổi mật khẩu"), set(Role)),
]

AUDIT_ACTIONS = {
    "create": _l("tạo mới"),
    "update": _l("sửa"),
    "delete": _l("xóa"),
    "login": _l("đăng nhập"),
    "login_failed": _l("đăng nhập thất bại"),
    "login_locked": _l("đăng nhập bị tạm khóa"),
    "logout": _l("đăng xuất"),
    "password_reset": _l("đặt lại mật khẩu"),
    "denied": _l("bị từ chối truy cập"),
}


@dataclass
class NavItem:
    url: str
    label: str
    active: bool


def navigation() -> list[NavItem]:
    if not current_user.is_authenticated:
        return []
    items = []
    for endpoint, label, roles in NAVIGATION:
        if current_user.role in roles and endpoint in current_app.view_functions:
            active = request.endpoint is not None and request.endpoint.split(".")[0] == endpoint.split(".")[0]
            items.append(NavItem(url_for(endpoint), str(label), active))
    return items


def register(app) -> None:
    @app.context_processor
    def layout_globals():
        return {
            "navigation": navigation,
            "current_locale": lambda: str(get_locale()),
            "audit_action_label": lambda action: str(AUDIT_ACTIONS.get(action, action)),
            "audit_field": field_label,
            "audit_entity": entity_text,
            "audit_value": field_value,
            "audit_names": row_names,
        }

    @app.after_request
    def remember_language(response):
        lang = request.args.get("lang")
        if lang in app.config["LANGUAGES"]:
            set_cookie(response, "lang", lang, 365 * 24 * 3600)
        return response
