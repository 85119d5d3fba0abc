"""The public address that QR codes and posters point at (DESIGN §2.8): which one is in force, and whether a phone
can open it.

The address is PUBLIC_BASE_URL from the configuration, unless an administrator stored one ("Địa chỉ công khai",
tracker.settings): the stored one wins. It is read on hot paths (every QR image), so each worker keeps it for TTL
seconds; the worker that saves a new one forgets its copy at once, the others within TTL.
"""

import ipaddress
import time
from urllib.parse import urlsplit

from flask import current_app
from flask_babel import gettext as _

from tracker import settings
from tracker.errors import ValidationError

KEY = "public_base_url"
SETTING = "TRACKER_PUBLIC_BASE_URL"
TTL = 30.0  # seconds a worker trusts the stored address it read
_CACHE = "tracker.public_address"
_PRIVATE_NETWORKS = [
    ipaddress.ip_network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16", "fc00::/7")
]


def not_absolute(url: str | None) -> str | None:
    """Why this is not an absolute http(s) base URL (a Vietnamese message), or None."""
    url = (url or "").strip()
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018  (raises ValueError on a port that is not a number)
    except ValueError:
        parts = None
    if (
        parts is None
        or parts.scheme not in ("http", "https")
        or not parts.hostname
        or parts.username is not None
        or parts.query
        or parts.fragment
        or any(c.isspace() for c in url)
    ):
        return _(
            "Địa chỉ công khai phải là một địa chỉ đầy đủ bắt đầu bằng http:// hoặc https://, "
            "ví dụ https://qr.phoyen.thainguyen.gov.vn (không có dấu cách, ?, #)."
        )
    return None


def public_address_problem(url: str | None) -> str | None:
    """Why a phone that scans a QR code built on this base URL could not open it (a Vietnamese explanation), or
    None when the URL is absolute http(s) and its host a public name or address."""
    if not (url or "").strip():
        return _("Chưa đặt địa chỉ công khai: mã QR in ra sẽ không dẫn tới đâu.")
    refused = not_absolute(url)
    if refused:
        return refused
    host = urlsplit(url.strip()).hostname.rstrip(".").lower()
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        ip = None
    if host == "localhost" or host.endswith(".localhost") or (ip is not None and (ip.is_loopback or ip.is_unspecified)):
        return _(
            "Địa chỉ công khai %(url)s chỉ mở được trên chính máy chủ: điện thoại quét mã QR sẽ không mở được.",
            url=url.strip(),
        )
    if host.endswith(".local") or (ip is not None and (ip.is_link_local or any(ip in n for n in _PRIVATE_NETWORKS))):
        return _(
            "Địa chỉ công khai %(url)s là địa chỉ mạng nội bộ: điện thoại ngoài mạng đó quét mã QR sẽ không mở được.",
            url=url.strip(),
        )
    if ip is None and "." not in host:
        return _(
            "Địa chỉ công khai %(url)s không phải là tên miền trên Internet: điện thoại quét mã QR sẽ không mở được.",
            url=url.strip(),
        )
    return None


def public_base_url() -> str:
    """The base URL in force, without a trailing slash: the stored one, else the configuration's."""
    now = time.monotonic()
    kept = current_app.extensions.get(_CACHE)
    if kept is None or kept[0] <= now:
        kept = (now + TTL, settings.stored(KEY))
        current_app.extensions[_CACHE] = kept
    return (kept[1] or current_app.config.get("PUBLIC_BASE_URL") or "").strip().rstrip("/")


def current_problem() -> str | None:
    """What is wrong with the address in force, for the pages that offer printing (None when nothing is)."""
    return public_address_problem(public_base_url())


def check_in_url(code: str) -> str:
    """The check-in page of a code on the address in force (never the request's Host)."""
    return public_base_url() + "/c/" + code


def set_public_base_url(value: str) -> settings.Setting:
    """Store the public address (flushes; the caller commits, then calls forget()). Refuses a value that is not an
    absolute http(s) URL, naming the field; a loopback or private one is stored (a test run, an intranet) and
    the pages keep warning about it."""
    value = (value or "").strip()
    refused = not_absolute(value)
    if refused:
        raise ValidationError({"public_base_url": refused})
    return settings.store(KEY, value.rstrip("/"))


def forget() -> None:
    """Drop this worker's copy of the stored address (after a commit that changed it)."""
    current_app.extensions.pop(_CACHE, None)
