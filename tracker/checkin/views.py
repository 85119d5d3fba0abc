"""GET and POST /c/<code> (and /C/<CODE>, the upper-cased QR payload): the public check-in page.

No account, no personal data by default. A random first-party cookie tells one phone from another so a repeat
within 30 minutes counts once; only its keyed hash is stored. Limits: per address, and per site across all
workers (Redis when RATELIMIT_STORAGE_URI names it).
"""

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Blueprint, current_app, request
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError

from tracker.auth.access import public
from tracker.checkin import limits, services
from tracker.db import STATEMENT_AT_A_TIME
from tracker.errors import ValidationError
from tracker.extensions import db, skips_limiter
from tracker.security import read_cookie, set_cookie
from tracker.sites.codes import normalize

bp = Blueprint("checkin", __name__)

DEVICE_COOKIE = "tracker_device"
DEVICE_COOKIE_AGE = 365 * 24 * 3600


def _site_key() -> str:
    # Malformed codes share one bucket: they find nothing, and the address limit already slows the caller.
    return normalize((request.view_args or {}).get("code", "")) or "-"


def _device_token() -> tuple[str, bool]:
    """(the device cookie's value, True when it is new and must be set)."""
    token = read_cookie(DEVICE_COOKIE) or ""
    if services.DEVICE_TOKEN.match(token):
        return token, False
    return services.new_device_token(), True


def _personal(response, token: str, new: bool):
    """The page carries this phone's CSRF token and device cookie: no shared cache may keep it."""
    response.headers["Cache-Control"] = "private, no-store"
    if new:
        set_cookie(response, DEVICE_COOKIE, token, DEVICE_COOKIE_AGE)
    return response


def _local_time(at: datetime) -> str:
    """HH:MM dd/mm/yyyy in the deployment's time zone: the vn_datetime filter's format, without Babel's date
    formatting (this page is the hot path)."""
    return at.astimezone(ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])).strftime("%H:%M %d/%m/%Y")


def _render(template: str, **context) -> str:
    """A page of checkin/ rendered with only what it uses (its layout reads no signed-in user, no navigation):
    Flask's render_template would first run every context processor, the signed-in user's lookup included."""
    return current_app.jinja_env.get_template(template).render(current_locale=_locale, **context)


def _locale() -> str:
    return str(get_locale())


def _message(status: int, title: str, text: str):
    return _render("checkin/message.html", title=title, text=text), status


def _not_found():
    # Neutral on purpose: the same page whether the code is malformed or merely unknown.
    return _message(
        404,
        _("Không tìm thấy điểm QR này"),
        _("Hãy kiểm tra lại mã in dưới mã QR, hoặc quét lại mã trên áp phích."),
    )


def _gone():
    return _message(
        410,
        _("Mã QR này không còn hiệu lực"),
        _("Điểm này đã được cấp mã QR mới hoặc đã ngừng hoạt động. Hãy quét mã trên áp phích mới nhất tại điểm."),
    )


def _lookup(code: str):
    """(the site card, None) or (None, the 404/410 page)."""
    found = services.find_site(code)
    if found.card is not None:
        return found.card, None
    return None, _gone() if found.gone else _not_found()


def _page(card, token: str, new: bool, status: int = 200, phone: str = "", error: str | None = None):
    """The check-in form (again, with the phone error, after a bad number)."""
    html = _render(
        "checkin/show.html",
        site=card,
        collect_phone=current_app.config["CHECKIN_COLLECT_PHONE"],
        retention_days=current_app.config["CHECKIN_RETENTION_DAYS"],
        phone=phone,
        error=error,
    )
    return _personal(current_app.make_response((html, status)), token, new)


def _check_in(code: str, device: str, phone: str | None):
    """services.check_in, committed. On a connection of its own, without an ORM session to set up and tear down,
    unless this request already opened a transaction on the session: then on that one (a second connection
    would wait for the first's write lock on SQLite). On SQLite that connection runs in autocommit: the write lock,
    which every check-in of every worker takes in turn, is held for the INSERT alone, not around the SELECT too."""
    if db.session.registry.has() and db.session.registry().in_transaction():
        done = services.check_in(db.session.connection(), code, device, phone)
        db.session.commit()
        return done
    engine = db.engine
    if engine.dialect.name == "sqlite":
        with engine.connect().execution_options(**{STATEMENT_AT_A_TIME: True}) as connection:
            return services.check_in(connection, code, device, phone)
    with engine.begin() as connection:
        return services.check_in(connection, code, device, phone)


@bp.get("/c/<code>")
@bp.get("/C/<code>")
@public
@skips_limiter
def show(code: str):
    card, refused = _lookup(code)
    if refused:
        return refused
    return _page(card, *_device_token())


@bp.post("/c/<code>")
@bp.post("/C/<code>")
@public
@skips_limiter  # its limits are counted by limits.hit, in one round trip
def submit(code: str):
    # The limits of the endpoint (per address; per site, shared by every address), counted in one round trip.
    limits.hit(_site_key())
    token, new = _device_token()
    phone = None
    if current_app.config["CHECKIN_COLLECT_PHONE"]:
        # One optional field, read directly: the guard has already checked the CSRF token.
        typed = request.form.get("phone", "")
        try:
            phone = services.clean_phone(typed)
        except ValidationError as exc:
            card, refused = _lookup(code)  # an unknown code is still a 404 before a bad number is a 400
            return refused or _page(card, token, new, 400, phone=typed, error=exc.fields["phone"])
    found, recorded = _check_in(code, services.device_hash(token, current_app.secret_key), phone)
    if recorded is None:
        return _gone() if found.gone else _not_found()
    card = found.card
    at = _local_time(recorded.at)
    if recorded.repeat:
        said = _("Lượt điểm danh của bạn tại đây đã được ghi nhận trước đó, lúc %(time)s.", time=at)
    else:
        said = _("Đã ghi nhận lượt điểm danh lúc %(time)s", time=at)
    page = _render("checkin/done.html", site=card, repeat=recorded.repeat, said=said)
    return _personal(current_app.make_response(page), token, new)


@bp.errorhandler(429)
def too_many(exc):
    return _message(
        429,
        _("Quá nhiều lượt gửi"),
        _("Có quá nhiều lượt điểm danh từ mạng của bạn hoặc tại điểm này. Hãy chờ một phút rồi thử lại."),
    )


@bp.errorhandler(CSRFError)
def expired_form(exc):
    return _message(
        400,
        _("Trang đã hết hạn"),
        _(
            "Hãy quét lại mã QR hoặc tải lại trang rồi bấm “Điểm danh tại đây” lần nữa. "
            "Trình duyệt cần cho phép cookie."
        ),
    )
