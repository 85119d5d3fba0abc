"""Password hashing (argon2id) and the strength rule (ASVS V6.2: length, not composition; no common password)."""

import re
import secrets
from functools import lru_cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app, has_app_context
from flask_babel import gettext as _

# argon2id with the library's recommended parameters (RFC 9106's low-memory profile: t=3, m=64 MiB, p=4).
PRODUCTION = PasswordHasher()
# Under TESTING only, the least argon2 accepts: a suite that makes thousands of accounts would otherwise spend
# minutes hashing. A hash carries its own parameters, so either hasher verifies the other's hashes.
TESTING = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


def _hasher() -> PasswordHasher:
    return TESTING if has_app_context() and current_app.testing else PRODUCTION


@lru_cache(maxsize=2)
def _dummy_hash(hasher: PasswordHasher) -> str:
    """A hash to verify against when the user does not exist, so both paths take the same time."""
    return hasher.hash("not-a-password-of-anyone")

MIN_LENGTH = 10
MAX_LENGTH = 256  # a passphrase fits; a megabyte of "password" does not reach the hasher
COMMON_LIST = Path(__file__).with_name("common_passwords.txt")
# What people put around a common word to pass a length rule: "password12", "@anhyeuem123", "2025matkhau!".
_AROUND = re.compile(r"^[\W\d_]*(.*?)[\W\d_]*$", re.DOTALL)


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    """The shipped list (56,000 entries: zxcvbn's 30,000 most common, and Vietnamese ones), lower case."""
    with COMMON_LIST.open(encoding="utf-8") as lines:
        return frozenset(line.rstrip("\n") for line in lines if line.strip() and not line.startswith("#"))


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    hasher = _hasher()
    try:
        return hasher.verify(stored_hash or _dummy_hash(hasher), password) and stored_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    return _hasher().check_needs_rehash(stored_hash)


def password_problem(password: str, username: str = "") -> str | None:
    """Why a password is too weak, in Vietnamese; None when it is acceptable. No composition rule: a long
    passphrase of letters only is a good password; one in the common list, or a common word with digits and
    symbols around it, is not."""
    if len(password) < MIN_LENGTH:
        return _("Mật khẩu phải có ít nhất %(n)d ký tự.", n=MIN_LENGTH)
    if len(password) > MAX_LENGTH:
        return _("Mật khẩu dài tối đa %(n)d ký tự.", n=MAX_LENGTH)
    lowered = password.lower()
    core = _AROUND.match(lowered).group(1)
    common = common_passwords()
    if lowered in common or (len(core) >= 4 and core in common) or len(set(password)) < 4:
        return _("Mật khẩu này nằm trong danh sách mật khẩu phổ biến mà kẻ gian thử đầu tiên; hãy chọn mật khẩu khác.")
    if username and username.lower() in lowered:
        return _("Mật khẩu không được chứa tên đăng nhập.")
    return None


def random_password(username: str = "") -> str:
    """A random password of 16 URL-safe characters (96 bits) that the strength rule accepts: a draw of letters
    only (about 1 in 28) is drawn again."""
    while True:
        password = secrets.token_urlsafe(12)
        if password_problem(password, username) is None:
            return password
