"""tracker/checkin/limits.py counts the check-in's limits itself, on the counters Flask-Limiter's decorators kept,
through parts of Flask-Limiter and limits that are not their documented API. Both are pinned in pyproject.toml;
these tests fail when an upgrade changes what that module relies on, before a deployment finds out."""

import hashlib
import inspect
from importlib import resources

from flask import Blueprint, Flask
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from limits import RateLimitItem, parse
from limits.storage import MemoryStorage, RedisSentinelStorage, RedisStorage
from limits.strategies import FixedWindowRateLimiter

from tests import factories
from tests.test_checkin import submit
from tracker.checkin import limits as checkin_limits
from tracker.extensions import db, limiter

# limits' own fixed-window script, which checkin.limits._HIT_ALL repeats for each counter (incrby, expire on the
# first hit). When it changes, read it again and update _HIT_ALL and this digest together.
INCR_EXPIRE_SHA256 = "52af4d72badc0c8f85f3b4c30097b1a12267d920e0797214118a330a9f52de80"


def _memory_keys(storage: MemoryStorage) -> set[str]:
    return {key for key, count in storage.storage.items() if count}


def test_the_counters_are_the_ones_flask_limiters_decorators_keep(app, ward):
    """The same check-in counted by Flask-Limiter's decorators on an app of their own and by checkin.limits on
    ours: the same keys in the storage, so both versions of a worker share them and limiter.reset() clears them."""
    site = factories.create_site(ward)
    db.session.commit()

    theirs = Flask("decorated")
    decorated = Limiter(get_remote_address, app=theirs, storage_uri="memory://")
    checkin = Blueprint("checkin", __name__)

    @checkin.route("/c/<code>", methods=["POST"])
    @decorated.limit(checkin_limits.ADDRESS_LIMIT)
    @decorated.shared_limit(checkin_limits.SITE_LIMIT, scope=checkin_limits.SITE_SCOPE, key_func=lambda: site.code)
    def submit_view(code):
        return "ok"

    submit_view.__name__ = "submit"
    theirs.register_blueprint(checkin)
    assert theirs.test_client().post(f"/c/{site.code}").status_code == 200
    expected = _memory_keys(decorated.storage)

    assert isinstance(limiter.storage, MemoryStorage)
    assert submit(app.test_client(), site.code).status_code == 200
    assert _memory_keys(limiter.storage) == expected
    assert expected == {
        f"LIMITER/127.0.0.1/{checkin_limits.ENDPOINT}/30/1/minute",
        f"LIMITER/127.0.0.1/{checkin_limits.ENDPOINT}/300/1/hour",
        f"LIMITER/{site.code}/{checkin_limits.SITE_SCOPE}/600/1/minute",
    }


def test_limits_fixed_window_script_is_the_one_hit_all_repeats():
    script = resources.files("limits").joinpath("resources/redis/lua_scripts/incr_expire.lua").read_bytes()
    assert hashlib.sha256(script).hexdigest() == INCR_EXPIRE_SHA256


def test_the_attributes_and_signatures_checkin_limits_uses_are_there(app):
    # Flask-Limiter: the extension's strategy, storage and switch.
    assert isinstance(limiter.limiter, FixedWindowRateLimiter)
    assert isinstance(limiter.storage, MemoryStorage)
    assert limiter.enabled in (True, False)
    # limits: the storages' key prefixing, connection and failure types; the items' keys, windows and amounts.
    for storage in (RedisStorage, RedisSentinelStorage):
        assert callable(storage.prefixed_key) and callable(storage.get_connection)
        assert "base_exceptions" in dir(storage)
    item = parse("30 per minute")
    assert isinstance(item, RateLimitItem)
    assert (item.amount, item.get_expiry(), item.GRANULARITY.seconds) == (30, 60, 60)
    assert item.key_for("127.0.0.1", "checkin.submit") == "LIMITER/127.0.0.1/checkin.submit/30/1/minute"
    assert parse("30 per minute") < parse("300 per hour")  # the order checkin.limits._plan sorts by
    strategy = FixedWindowRateLimiter(MemoryStorage())
    assert list(inspect.signature(strategy.hit).parameters)[:2] == ["item", "identifiers"]
    assert strategy.hit(item, "a") and strategy.get_window_stats(item, "a")[1] == 29
