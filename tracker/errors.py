"""Domain errors and the HTTP error pages (Vietnamese, never a traceback)."""

from contextlib import suppress

from flask import g, make_response, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError, DisconnectionError, SQLAlchemyError
from sqlalchemy.exc import InterfaceError as DBInterfaceError
from sqlalchemy.exc import OperationalError as DBOperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
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
    415: lambda: _("Định dạng nội dung không được hỗ trợ"),
    422: lambda: _("Dữ liệu không hợp lệ"),
    429: lambda: _("Quá nhiều yêu cầu"),
    500: lambda: _("Lỗi hệ thống"),
    503: lambda: _("Hệ thống tạm gián đoạn"),
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
    415: lambda: _("Định dạng nội dung gửi lên không được hỗ trợ."),
    422: lambda: _("Dữ liệu gửi lên không hợp lệ."),
    429: lambda: _("Bạn đã thử quá nhiều lần. Hãy chờ ít phút rồi thử lại."),
    500: lambda: _("Đã có lỗi xảy ra. Quản trị viên đã được ghi nhận; hãy thử lại sau."),
    503: lambda: _("Cơ sở dữ liệu tạm thời không trả lời. Hãy thử lại sau vài giây; dữ liệu của bạn không bị mất."),
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
    415: "unsupported_media_type",
    422: "invalid",
    429: "rate_limited",
    500: "server_error",
    503: "unavailable",
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
        if exc.response is not None:  # the raiser made its own page (the login page of a locked account)
            return exc.response
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

    @app.errorhandler(DBAPIError)
    @app.errorhandler(DisconnectionError)
    @app.errorhandler(PoolTimeout)
    def database_away(exc):
        if not database_unavailable(exc):
            return server_error(exc)
        app.logger.warning("Database unavailable on %s %s: %s", request.method, request.path, exc)
        return unavailable()

    @app.teardown_appcontext
    def end_session(exc):
        # Runs before Flask-SQLAlchemy removes the session (teardowns run last-registered first). When the server
        # dropped the connection after the answer was made, the rollback that closing sends raises, and the answer
        # would be lost to a 500; the connection is let go instead (invalidated: the pool opens a new one).
        if db.session.registry.has():
            try:
                db.session.close()
            except DBAPIError:
                db.session().invalidate()


RETRY_AFTER_SECONDS = 5


def database_unavailable(exc: Exception) -> bool:
    """Whether a database error means "away for now" (server unreachable or restarting, the connection killed,
    the pool exhausted, SQLite busy past its wait): a 503 to retry. Anything else (a bad statement, a constraint)
    stays a 500."""
    if isinstance(exc, (DisconnectionError, PoolTimeout)):
        return True
    if not isinstance(exc, DBAPIError):
        return False
    if exc.connection_invalidated:
        return True
    if type(exc.orig).__module__ == "sqlite3":  # its OperationalError also means "no such table": a bug
        return isinstance(exc, DBOperationalError) and any(w in str(exc.orig) for w in ("locked", "busy", "unable"))
    return isinstance(exc, (DBOperationalError, DBInterfaceError))  # psycopg: connection lost, refused, shut down


def unavailable():
    """The 503 of a database outage: the page (or the API's JSON error) with Retry-After, the session rolled back.
    The page shows no signed-in user: after the rollback the user's row would be read again, from a database that
    is not there."""
    with suppress(SQLAlchemyError):  # the connection is gone: the session is discarded at the end of the request
        db.session.rollback()
    from tracker.extensions import login_manager

    g._login_user = login_manager.anonymous_user()
    response = make_response(error_page(503))
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response.headers["Cache-Control"] = "no-store"
    return response


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
