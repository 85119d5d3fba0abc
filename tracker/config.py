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
# Behind N reverse proxies (nginx: 1), the client's address and scheme are read from the X-Forwarded-For and
# X-Forwarded-Proto headers they set (Werkzeug's ProxyFix). 0: the address of the connection itself.
TRUSTED_PROXIES = 0

# CSRF: checked by tracker.auth for every form and every cookie-authenticated JSON write.
WTF_CSRF_CHECK_DEFAULT = False
WTF_CSRF_TIME_LIMIT = None

# Uploads (imports of sites, members, services).
MAX_CONTENT_LENGTH = 8 * 1024 * 1024
# Uploaded files (evidence), kept in backups; relative to the instance folder unless absolute.
UPLOAD_FOLDER = "uploads"

# Rate limits: memory:// is per process; set redis://host:6379 so several workers share them. A production start
# with several workers and memory:// is refused unless RATELIMIT_PER_WORKER accepts limits counted per worker.
RATELIMIT_STORAGE_URI = "memory://"
RATELIMIT_PER_WORKER = False
RATELIMIT_HEADERS_ENABLED = True
# Redis down or restarting: each process counts in its own memory (logged), and goes back to Redis when it answers;
# an error of the storage never turns a request into a 500.
RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
RATELIMIT_SWALLOW_ERRORS = True
# Per API token (or signed-in user): every API write, and the exports and posters (API and pages).
API_WRITE_LIMIT = "120 per minute"
HEAVY_LIMIT = "10 per minute"
LOGIN_FAILURE_LIMIT = "10 per 15 minutes"
# Failed logins of one account from any number of addresses: slowed (3 a minute), then locked until the
# quarter-hour window ends (10 in 15 minutes). Refused attempts are audited as login_locked.
LOGIN_ACCOUNT_LIMIT = "3 per minute;10 per 15 minutes"

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
