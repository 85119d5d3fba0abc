"""Default settings. Overridden by instance/config.py, then by TRACKER_* environment variables."""

from datetime import timedelta

# Database: None means SQLite in instance/tracker.sqlite3 (see tracker.configure_database).
DATABASE_URL = None
SQLALCHEMY_ENGINE_OPTIONS: dict = {}

# A working day: a session cookie older than this is refused. Counted from when the session last changed (signing
# in, a flashed message), not renewed by every request: a copied cookie does not live forever on a busy desk, and
# a page view does not pay for re-signing the cookie.
PERMANENT_SESSION_LIFETIME = timedelta(hours=10)
SESSION_REFRESH_EACH_REQUEST = False
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
# Set TRACKER_HTTPS=true behind TLS: cookies become Secure and URLs are built with https.
HTTPS = False

# CSRF: checked by tracker.auth for every form and every cookie-authenticated JSON write.
WTF_CSRF_CHECK_DEFAULT = False
WTF_CSRF_TIME_LIMIT = None

# Uploads (imports of sites, members, services).
MAX_CONTENT_LENGTH = 8 * 1024 * 1024
# Uploaded files (evidence), kept in backups; relative to the instance folder unless absolute.
UPLOAD_FOLDER = "uploads"

# Rate limits: memory:// is per process; set redis://host:6379 so several workers share them.
RATELIMIT_STORAGE_URI = "memory://"
RATELIMIT_HEADERS_ENABLED = True
LOGIN_FAILURE_LIMIT = "10 per 15 minutes"

# Public check-in and QR posters.
PUBLIC_BASE_URL = "http://127.0.0.1:5000"
POSTER_TITLE = "ĐIỂM QUÉT MÃ QR"
CHECKIN_COLLECT_PHONE = False
CHECKIN_RETENTION_DAYS = 21

# Locale: Vietnamese first, English as a second catalog.
BABEL_DEFAULT_LOCALE = "vi"
BABEL_DEFAULT_TIMEZONE = "Asia/Ho_Chi_Minh"
LANGUAGES = ["vi", "en"]

PER_PAGE = 50
