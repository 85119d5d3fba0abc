"""Extension objects, bound to the app in create_app."""

from flask import current_app, request
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_wtf import CSRFProtect

from tracker.db import db

__all__ = ["babel", "csrf", "db", "limiter", "login_manager", "migrate"]

babel = Babel()
csrf = CSRFProtect()
login_manager = LoginManager()
migrate = Migrate()
limiter = Limiter(key_func=get_remote_address, default_limits=[])


def skips_limiter(view):
    """Mark a view whose requests skip Flask-Limiter's pass over every request: it declares no limiter limits, and it
    is a hot public route on which that pass (finding none) costs as much as the view. Views with limits of their
    own counted by hand (the check-in, tracker.checkin.limits) are marked too."""
    view.skips_limiter = True
    return view


@limiter.request_filter
def _skipped() -> bool:
    return getattr(current_app.view_functions.get(request.endpoint), "skips_limiter", False)
