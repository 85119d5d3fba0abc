"""Recording public check-ins (DESIGN §2.8). Callers commit.

This is the hottest write path of the app: every scan of every poster lands here, with no account. So it reads
and writes through Core on the tables, not ORM objects, with statements built once: `check_in` sends one indexed
SELECT for the site by code together with this device's last check-in there (the de-duplication window), then,
when it counts, one INSERT. Check-ins are not audited and move no live-linked value at once (sites_active is
snapshotted daily), so no session hook has work to do either.
"""

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import Connection, bindparam, func, insert, select, update

from tracker.db import utcnow
from tracker.errors import ValidationError
from tracker.extensions import db
from tracker.sites.codes import normalize
from tracker.sites.models import CheckIn, RetiredSiteCode, Site, SiteStatus
from tracker.units.models import Unit

REPEAT_WINDOW = timedelta(minutes=30)  # a repeat from one device at one site within this counts once
DEVICE_TOKEN = re.compile(r"^[A-Za-z0-9_-]{32}$")
_PHONE_SEPARATORS = re.compile(r"[\s.()-]")
_PHONE = re.compile(r"^0\d{9}$")

_sites, _units, _checkins, _retired = Site.__table__, Unit.__table__, CheckIn.__table__, RetiredSiteCode.__table__

# Built once: the hot path only binds values (SQLAlchemy memoizes a statement's cache key).
_SITE_BY_CODE = (
    select(_sites.c.id, _sites.c.status, _sites.c.name, _sites.c.address, _units.c.name)
    .join(_units, _units.c.id == _sites.c.unit_id)
    .where(_sites.c.code == bindparam("code"))
)
_ROTATED = select(_retired.c.code).where(_retired.c.code == bindparam("code"))
_OF_DEVICE_SINCE = (
    _checkins.c.device_hash == bindparam("device_hash"),
    _checkins.c.at > bindparam("since", type_=_checkins.c.at.type),
)
_INSERT = insert(_checkins)
_RECENT_OF_DEVICE = select(_checkins.c.id).where(_checkins.c.site_id == bindparam("site_id"), *_OF_DEVICE_SINCE)
# The INSERT itself checks that the site is active and that this device has no check-in there within the window,
# so a check-in is counted once even when two requests of one phone race, and on SQLite (in autocommit) the write
# lock is held for this one statement only.
_INSERT_UNLESS_RECENT = _INSERT.from_select(
    ["site_id", "at", "device_hash", "phone"],
    select(
        bindparam("site_id", type_=_checkins.c.site_id.type),
        bindparam("at", type_=_checkins.c.at.type),
        bindparam("device_hash", type_=_checkins.c.device_hash.type),
        bindparam("phone", type_=_checkins.c.phone.type),
    ).where(
        select(_sites.c.id)
        .where(_sites.c.id == bindparam("site_id"), _sites.c.status == SiteStatus.ACTIVE.value)
        .exists(),
        ~_RECENT_OF_DEVICE.exists(),
    ),
).execution_options(preserve_rowcount=True)  # an INSERT's rowcount is kept only when asked for (psycopg)
# The site's card and this device's last check-in there within the window, in one round trip.
_CARD_AND_LAST = select(
    _sites.c.id,
    _sites.c.status,
    _sites.c.name,
    _sites.c.address,
    _units.c.name,
    select(func.max(_checkins.c.at)).where(_checkins.c.site_id == _sites.c.id, *_OF_DEVICE_SINCE).scalar_subquery(),
).join(_units, _units.c.id == _sites.c.unit_id)
_CARD_AND_LAST_BY_CODE = _CARD_AND_LAST.where(_sites.c.code == bindparam("code"))
# PostgreSQL: the same, also turning synchronous commit off for this transaction in the same trip: the commit does not
# wait for the WAL flush. A server crash may lose the last moment's check-ins (anonymous counts), never corrupt
# anything; waiting would dominate the cost of this request.
_CARD_AND_LAST_BY_CODE_PG = _CARD_AND_LAST_BY_CODE.add_columns(func.set_config("synchronous_commit", "off", True))


@dataclass(frozen=True, slots=True)
class SiteCard:
    """What the public page shows of a site: no more than is printed on its poster."""

    id: int
    name: str
    address: str
    unit_name: str


@dataclass(frozen=True, slots=True)
class Found:
    card: SiteCard | None
    gone: bool  # the code was rotated away, or the site is retired: 410 rather than 404


@dataclass(frozen=True, slots=True)
class Recorded:
    at: datetime  # when this device's check-in here was counted
    repeat: bool  # True: it already had one within REPEAT_WINDOW, nothing new was written


def check_in(
    connection: Connection,
    typed: str,
    device: str,
    phone: str | None = None,
    now: datetime | None = None,
    *,
    _again: bool = True,
) -> tuple[Found, Recorded | None]:
    """(Found, Recorded or None): the site a code names and, when it is active, this device's check-in there,
    counted once per REPEAT_WINDOW, in two statements (a miss costs one more, on the rotated codes, as in
    find_site). On any connection: in a transaction (a session's, or
    `db.engine.begin()`), which the caller commits, or in autocommit, each statement on its own."""
    code = normalize(typed)
    if code is None:
        return Found(None, False), None
    now = now or utcnow()
    postgresql = connection.dialect.name == "postgresql"
    row = connection.execute(
        _CARD_AND_LAST_BY_CODE_PG if postgresql else _CARD_AND_LAST_BY_CODE,
        {"code": code, "device_hash": device, "since": now - REPEAT_WINDOW},
    ).first()
    if row is None:
        return Found(None, connection.execute(_ROTATED, {"code": code}).first() is not None), None
    site_id, status, name, address, unit_name, earlier = row[:6]
    if status != SiteStatus.ACTIVE:
        return Found(None, True), None
    found = Found(SiteCard(site_id, name, address or "", unit_name), False)
    if earlier is not None:
        return found, Recorded(earlier, True)
    values = {"site_id": site_id, "at": now, "device_hash": device, "phone": phone, "since": now - REPEAT_WINDOW}
    if connection.execute(_INSERT_UNLESS_RECENT, values).rowcount == 1:
        return found, Recorded(now, False)
    if not _again:  # raced twice in a row: whatever counted meanwhile was this phone's, so nothing more is
        return found, Recorded(now, True)
    # Since the SELECT, another request of this phone counted here, or the site was retired: ask again (once).
    return check_in(connection, typed, device, phone, now, _again=False)


def find_site(typed: str) -> Found:
    """The site a scanned or typed code names, case and dashes ignored.

    One indexed SELECT; a miss costs a second one, on the rotated codes."""
    code = normalize(typed)
    if code is None:
        return Found(None, False)
    connection = db.session.connection()
    row = connection.execute(_SITE_BY_CODE, {"code": code}).first()
    if row is None:
        rotated = connection.execute(_ROTATED, {"code": code}).first()
        return Found(None, rotated is not None)
    site_id, status, name, address, unit_name = row
    if status != SiteStatus.ACTIVE:
        return Found(None, True)
    return Found(SiteCard(site_id, name, address or "", unit_name), False)


def new_device_token() -> str:
    """The value of a new device cookie: 192 random bits."""
    return secrets.token_urlsafe(24)


def device_hash(token: str, pepper: str | bytes) -> str:
    """What is stored of the device cookie: HMAC-SHA-256 keyed with the app's secret, so the stored hashes
    cannot be matched to cookies without the key."""
    key = pepper if isinstance(pepper, bytes) else pepper.encode()
    return hmac.new(key, token.encode(), hashlib.sha256).hexdigest()


def clean_phone(raw: str | None) -> str | None:
    """A Vietnamese phone number as 0xxxxxxxxx (typed with +84, spaces, dots or dashes), None when left empty;
    a ValidationError on `phone` otherwise."""
    typed = _PHONE_SEPARATORS.sub("", raw or "")
    if not typed:
        return None
    if typed.startswith("+84"):
        typed = "0" + typed[3:]
    if not _PHONE.match(typed):
        raise ValidationError(
            {"phone": _("Số điện thoại không hợp lệ: nhập 10 chữ số bắt đầu bằng 0 (ví dụ 0912 345 678) hoặc +84.")}
        )
    return typed


def purge_personal_data(retention_days: int, now: datetime | None = None) -> tuple[int, int]:
    """Forget what ties check-ins older than the retention period to a person: the phone number, and the device
    hash (it links one phone's visits across sites; only the 30-minute repeat window needs it). The rows, and so
    every count, stay. Returns (check-ins that lost their number, check-ins that lost their device)."""
    cutoff = (now or utcnow()) - timedelta(days=retention_days)
    old = _checkins.c.at < cutoff
    phones = db.session.execute(update(_checkins).where(old, _checkins.c.phone.is_not(None)).values(phone=None))
    devices = db.session.execute(update(_checkins).where(old, _checkins.c.device_hash != "").values(device_hash=""))
    return phones.rowcount, devices.rowcount
