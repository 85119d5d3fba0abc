"""Password hashing (argon2id) and the strength rule."""

import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask_babel import gettext as _

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters

# A hash to verify against when the user does not exist, so both paths take the same time.
_DUMMY_HASH = _hasher.hash("not-a-password-of-anyone")

MIN_LENGTH = 10
_COMMON = {"1234567890", "12345678910", "matkhau123", "password123", "qwertyuiop", "abc1234567", "admin12345"}


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(stored_hash or _DUMMY_HASH, password) and stored_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    return _hasher.check_needs_rehash(stored_hash)


def password_problem(password: str, username: str = "") -> str | None:
    """Why a password is too weak, in Vietnamese; None when it is acceptable."""
    if len(password) < MIN_LENGTH:
        return _("Mật khẩu phải có ít nhất %(n)d ký tự.", n=MIN_LENGTH)
    if password.lower() in _COMMON or len(set(password)) < 4:
        return _("Mật khẩu quá dễ đoán, hãy chọn mật khẩu khác.")
    if username and username.lower() in password.lower():
        return _("Mật khẩu không được chứa tên đăng nhập.")
    if password.isdigit() or password.isalpha():
        return _("Mật khẩu phải có cả chữ và số hoặc ký tự đặc biệt.")
    return None


def random_password(username: str = "") -> str:
    """A random password of 16 URL-safe characters (96 bits) that the strength rule accepts: a draw of letters
    only (about 1 in 28) is drawn again."""
    while True:
        password = secrets.token_urlsafe(12)
        if password_problem(password, username) is None:
            return password
