"""The public check-in's rate limits, in one storage round trip.

The limits are the ones Flask-Limiter's decorators applied before: `CHECKIN_LIMIT_PER_ADDRESS` keyed by the
remote address and the endpoint, `CHECKIN_LIMIT_PER_SITE` shared by every address and keyed by the code in the
scope `checkin-site`. They keep the same counters (the same keys in the limiter's storage, so `limiter.reset()`
clears them and a worker still running the old code shares them), the same fixed windows, the same order (shortest
window first, the site's limit before the address's on a tie; the first exceeded stops the count) and the same
X-RateLimit-Limit/-Remaining/-Reset and Retry-After headers. Only the cost differs: the decorators made one Redis
round trip per limit and two more for the headers (five per check-in, about half the time of the request); here
one Lua script increments the counters in order and returns what the headers need.

Any other storage or strategy (memory, memcached, Redis Cluster, moving windows) goes through the limiter's own
strategy object, one limit at a time, as the decorators did.

When the storage fails (Redis down, restarting, unreachable past its short timeouts), the check-ins of this process
are counted in its own memory, with a warning in the log, and the storage is asked again every RETRY_SECONDS:
the first check-in it answers goes back to it. The page never answers 500 for the limits' sake.
"""

import logging
import os
import time
from functools import lru_cache

from flask import after_this_request, current_app, request
from limits import RateLimitItem, parse_many
from limits.storage import MemoryStorage, RedisSentinelStorage, RedisStorage
from limits.strategies import FixedWindowRateLimiter, RateLimiter
from redis import Redis
from werkzeug.exceptions import TooManyRequests

from tracker.extensions import limiter

# Deployments may set these (instance config or TRACKER_CHECKIN_LIMIT_*); Flask-Limiter syntax.
ADDRESS_LIMIT = "30 per minute;300 per hour"
SITE_LIMIT = "600 per minute"
ENDPOINT = "checkin.submit"  # the scope Flask-Limiter gave the per-address limit of this endpoint
SITE_SCOPE = "checkin-site"
_ONE_TRIP = (RedisStorage, RedisSentinelStorage)  # one server: a script may touch several keys (not Cluster)
RETRY_SECONDS = 5.0  # while the storage is away, how often a check-in asks it again
log = logging.getLogger(__name__)

# KEYS: the counters in order. ARGV[1]: which counter the headers report when none is exceeded; then the window
# of each counter in seconds; then its limit. Like limits' incr_expire.lua for each key, stopping at the first
# counter over its limit. Returns {the counter reported, its count, its time to live}.
_HIT_ALL = """
local n, report, reported = #KEYS, tonumber(ARGV[1]), 0
for i, key in ipairs(KEYS) do
  local count = redis.call("incrby", key, 1)
  if count == 1 then redis.call("expire", key, ARGV[1 + i]) end
  if count > tonumber(ARGV[1 + n + i]) then return {i, count, redis.call("ttl", key)} end
  if i == report then reported = count end
end
return {report, reported, redis.call("ttl", KEYS[report])}
"""

Plan = list[tuple[RateLimitItem, tuple[str, ...], bool]]  # (limit, its identifiers, shared by every address)



@lru_cache(maxsize=64)
def _items(limits: str) -> tuple[RateLimitItem, ...]:
    return tuple(parse_many(limits))


def _plan(address: str, site_key: str) -> Plan:
    """The limits in the order the decorators evaluated them."""
    config = current_app.config
    prefix = (config["RATELIMIT_KEY_PREFIX"],) if config.get("RATELIMIT_KEY_PREFIX") else ()
    site_limits = _items(config.get("CHECKIN_LIMIT_PER_SITE", SITE_LIMIT))
    address_limits = _items(config.get("CHECKIN_LIMIT_PER_ADDRESS", ADDRESS_LIMIT))
    site = [(item, (*prefix, site_key, SITE_SCOPE), True) for item in site_limits]
    own = [(item, (*prefix, address, ENDPOINT), False) for item in address_limits]
    return sorted(site + own, key=lambda planned: planned[0].GRANULARITY.seconds)  # as RateLimitItem.__lt__


def _reported(plan: Plan) -> int:
    """The limit the headers report when none is exceeded: the address's own with the shortest window."""
    return next((n for n, (_item, _ids, shared) in enumerate(plan) if not shared), 0)


def _script(storage: RedisStorage):
    """The script, on a client that keeps one connection of the storage's pool for this process: the pool's
    checkout, health poll and release around every command cost more than the round trip itself (measured: ~40 µs
    of CPU a call through the pool, ~20 on one connection). Kept per process id, so a fork never shares a socket."""
    kept = getattr(storage, "_tracker_checkin_hit_all", None)
    if kept is None or kept[0] != os.getpid():
        pool = storage.get_connection().connection_pool
        kept = (os.getpid(), Redis(connection_pool=pool, single_connection_client=True).register_script(_HIT_ALL))
        storage._tracker_checkin_hit_all = kept
    return kept[1]


def _hit_in_one_trip(storage: RedisStorage, plan: Plan) -> tuple[RateLimitItem, int, float, bool]:
    report = _reported(plan)
    keys = [storage.prefixed_key(item.key_for(*ids)) for item, ids, _shared in plan]
    args = [report + 1, *(item.get_expiry() for item, _i, _s in plan), *(item.amount for item, _i, _s in plan)]
    index, count, ttl = _script(storage)(keys=keys, args=args)
    item = plan[index - 1][0]
    return item, max(0, item.amount - count), time.time() + max(ttl, 0), count > item.amount


def _hit_one_by_one(plan: Plan, strategy: RateLimiter) -> tuple[RateLimitItem, int, float, bool]:
    for item, ids, _shared in plan:
        if not strategy.hit(item, *ids):
            reset, remaining = strategy.get_window_stats(item, *ids)
            return item, remaining, reset, True
    item, ids, _shared = plan[_reported(plan)]
    reset, remaining = strategy.get_window_stats(item, *ids)
    return item, remaining, reset, False


def hit(site_key: str) -> None:
    """Count this check-in against every limit; TooManyRequests (429) when one is exceeded. The response gets the
    rate-limit headers of the limit exceeded, else of the address's shortest one (RATELIMIT_HEADERS_ENABLED)."""
    if not limiter.enabled:
        return
    plan = _plan(request.remote_addr or "127.0.0.1", site_key)
    if not plan:
        return
    item, remaining, reset, exceeded = _hit_somewhere(plan)
    if current_app.config.get("RATELIMIT_HEADERS_ENABLED"):
        reset_at = int(reset + 1)

        @after_this_request
        def headers(response):
            response.headers.add("X-RateLimit-Limit", str(item.amount))
            response.headers.add("X-RateLimit-Remaining", str(remaining))
            response.headers.add("X-RateLimit-Reset", str(reset_at))
            response.headers.set("Retry-After", str(int(reset_at - time.time())))
            return response

    if exceeded:
        raise TooManyRequests()


class _Away:
    """This process's view of the storage: answering, or away until `retry_at` (time.monotonic), with the memory
    that counts meanwhile (one per process and strategy: a forked worker starts its own)."""

    retry_at: float | None = None
    memory: dict[tuple[int, type], RateLimiter] = {}


def _in_memory() -> RateLimiter:
    strategy = type(limiter.limiter)
    key = (os.getpid(), strategy)
    if key not in _Away.memory:
        _Away.memory = {key: strategy(MemoryStorage())}
    return _Away.memory[key]


def _hit_somewhere(plan: Plan) -> tuple[RateLimitItem, int, float, bool]:
    """Count in the storage; in this process's memory while the storage is away (see the module's docstring)."""
    storage = limiter.storage
    if _Away.retry_at is not None and time.monotonic() < _Away.retry_at:
        return _hit_one_by_one(plan, _in_memory())
    failures = () if isinstance(storage, MemoryStorage) else storage.base_exceptions
    try:
        if type(storage) in _ONE_TRIP and type(limiter.limiter) is FixedWindowRateLimiter:
            hit = _hit_in_one_trip(storage, plan)
        else:
            hit = _hit_one_by_one(plan, limiter.limiter)
    except failures as exc:
        if _Away.retry_at is None:
            log.warning("Check-in limits: the storage is unreachable (%s); counting in this process's memory", exc)
        _Away.retry_at = time.monotonic() + RETRY_SECONDS
        return _hit_one_by_one(plan, _in_memory())
    if _Away.retry_at is not None:
        log.info("Check-in limits: the storage answers again; counting there")
        _Away.retry_at = None
    return hit
