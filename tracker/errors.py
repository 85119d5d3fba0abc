"""Domain errors and the HTTP error pages (Vietnamese, never a traceback)."""

from flask import make_response, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from tracker.extensions import db


class ValidationError(Exception):
    """Bad input for a service function: `fields` maps a field (or 'row N') to a Vietnamese message."""

    def __init__(self, fields: dict[str, str] | str, message: str | None = None):
        if isinstance(fields, str):
            fields = {"_": fields}
        self.fields = fields
        self.message = message or "; ".join(fields.values())
        super().__init__(self.message)


class StaleVersion(Exception):
    """Someone saved this row since the form was opened (optimistic concurrency)."""


def check_version(row, expected: int | None) -> None:
    """StaleVersion unless the row is still at the version the form or API client read."""
    if expected is not None and expected != row.version:
        raise StaleVersion()


def flush_versioned() -> None:
    """Flush; a row saved by someone else between our read and this write becomes StaleVersion."""
    from sqlalchemy.orm.exc import StaleDataError

    try:
        db.session.flush()
    except StaleDataError as exc:
        raise StaleVersion() from exc


TITLES = {
    400: lambda: _("Yêu cầu không hợp lệ"),
    401: lambda: _("Cần đăng nhập"),
    403: lambda: _("Không có quyền truy cập"),
    404: lambda: _("Không tìm thấy trang"),
    405: lambda: _("Phương thức không được hỗ trợ"),
    409: lambda: _("Dữ liệu đã thay đổi"),
    410: lambda: _("Không còn hiệu lực"),
    413: lambda: _("Tệp quá lớn"),
    422: lambda: _("Dữ liệu không hợp lệ"),
    429: lambda: _("Quá nhiều yêu cầu"),
    500: lambda: _("Lỗi hệ thống"),
}

EXPLANATIONS = {
    400: lambda: _("Yêu cầu không hợp lệ hoặc phiên làm việc đã hết hạn. Hãy tải lại trang và thử lại."),
    401: lambda: _("Hãy đăng nhập để tiếp tục."),
    403: lambda: _("Tài khoản của bạn không có quyền thực hiện thao tác này."),
    404: lambda: _("Trang hoặc dữ liệu bạn tìm không tồn tại."),
    405: lambda: _("Thao tác này không được hỗ trợ tại địa chỉ này."),
    409: lambda: _("Dữ liệu đã được người khác cập nhật. Hãy tải lại trang để xem bản mới nhất."),
    410: lambda: _("Nội dung này không còn hiệu lực."),
    413: lambda: _("Tệp tải lên vượt quá dung lượng cho phép."),
    422: lambda: _("Dữ liệu gửi lên không hợp lệ."),
    429: lambda: _("Bạn đã thử quá nhiều lần. Hãy chờ ít phút rồi thử lại."),
    500: lambda: _("Đã có lỗi xảy ra. Quản trị viên đã được ghi nhận; hãy thử lại sau."),
}


def wants_json() -> bool:
    return request.blueprint == "api" or request.path.startswith("/api/")


def json_error(status: int, message: str | None = None, fields: dict | None = None, code: str | None = None):
    title = TITLES.get(status, TITLES[400])()
    body = {"error": {"code": code or _CODES.get(status, "error"), "message": message or title, "fields": fields or {}}}
    return body, status


_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    410: "gone",
    413: "too_large",
    422: "invalid",
    429: "rate_limited",
    500: "server_error",
}


def error_page(status: int, message: str | None = None):
    if wants_json():
        return json_error(status, message)
    title = TITLES.get(status, TITLES[400])()
    explanation = message or EXPLANATIONS.get(status, EXPLANATIONS[400])()
    return render_template("errors/error.html", status=status, title=title, explanation=explanation), status


def register(app) -> None:
    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        status = exc.code or 500
        if status == 403:
            _record_refusal()
        message = exc.description if getattr(exc, "vi_message", False) else None
        response = make_response(error_page(status, message))
        if isinstance(exc, MethodNotAllowed) and exc.valid_methods:
            response.headers["Allow"] = ", ".join(exc.valid_methods)  # RFC 9110: a 405 says what is allowed
        return response

    @app.errorhandler(CSRFError)
    def csrf_error(exc):
        return error_page(400, _("Thiếu mã bảo vệ CSRF hoặc mã đã hết hạn. Hãy tải lại trang rồi gửi lại."))

    @app.errorhandler(StaleVersion)
    def stale(exc):
        db.session.rollback()
        return error_page(409)

    @app.errorhandler(Exception)
    def server_error(exc):
        app.logger.exception("Unhandled error on %s %s", request.method, request.path)
        db.session.rollback()
        return error_page(500)


def _record_refusal() -> None:
    from tracker import audit

    db.session.rollback()
    audit.record("denied", "request", changes={"path": request.path, "method": request.method})
    db.session.commit()


def abort_with(status: int, message: str):
    """Abort with a Vietnamese message shown on the error page (or in the JSON error)."""
    exc = HTTPException(description=message)
    exc.code = status
    exc.vi_message = True
    raise exc
