"""`python -m bench.checkin` (and the second part of `make bench`): the public hot paths under a real HTTP server.

For each backend (a SQLite file; PostgreSQL when TRACKER_BENCH_POSTGRES_URL or TRACKER_TEST_POSTGRES_URL names a
server): a fresh database from the real migrations with one ward, SITES active sites and a manager of the ward;
gunicorn with WORKERS sync workers serving bench.wsgi (the real app plus bench-only routes), production settings
(not TESTING); then `wrk` on loopback against each route in turn, in the same server run:

- bare:      GET /_bench/bare, the app doing nothing (the yardstick of every ratio);
- check-in:  POST /c/<code> as phones do: each "phone" opened the form once (its session cookie holding the CSRF
             secret, its device cookie) and posts the form's token; requests walk (phone, site) pairs so no pair
             repeats and the 30-minute de-duplication never swallows one;
- SVG 200:   GET /qr/<CODE>.svg, the public image by code that pages embed, every site's image rendered once
             before (its cache warm);
- SVG 304:   the same with the image's ETag in If-None-Match;
- site SVG:  GET /sites/<id>/qr.svg signed in as the ward's manager (reported, no bar);
- signed-in: GET /_bench/signed-in, the bare route behind the login (the floor of any signed-in page).

Rounds. The machine's load drifts (other work, other tenants): a ratio of two runs minutes apart measures the
drift. So the routes run in ROUNDS rounds of WINDOW seconds each, every round between two bare-route runs; a
route's ratio is taken in each round against the mean of the bare runs around it, and the median is reported. The
workers' CPU time per response (from /proc, sampled around each window) is reported too: it moves far less with
the load, and its ratio is what the throughput ratio would be if the workers had the machine to themselves.

Exactness. wrk stops mid-flight: a check-in in flight at the stop may be stored without its response being
counted. So the Lua script sends the measured requests for WINDOW seconds, then only GET /_bench/tail until wrk
stops (TAIL_SECONDS later): every measured request gets its response counted. Throughput is measured responses
over the time from each thread's first request to the last measured response (a monotonic clock through LuaJIT's
FFI). Then: every measured response has the expected status (2xx; 304 for the 304 run), none was lost, no check-in
was answered as a repeat, the rows added to `checkins` equal the 2xx responses, and no (site, device) pair is
stored twice.

Rate limits are those of production in shape (two windows per address, one per site, with the headers) but set
high, in Redis (TRACKER_BENCH_REDIS_URL, default redis://127.0.0.1:6379/14, keys under a prefix of this run) when
it answers, as with several production workers; else in memory, and said so.

Environment: BENCH_WRK_SECONDS (window per route and round, default 5), BENCH_ROUNDS (3), BENCH_WRK_THREADS (2),
BENCH_WRK_CONNECTIONS (16); BENCH_WORKERS (2), BENCH_WORKER_CLASS (sync) and BENCH_WORKER_THREADS (for gthread)
to compare servers.
"""

import http.client
import itertools
import json
import math
import os
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from urllib.parse import quote

import sqlalchemy as sa

OUT = Path(__file__).resolve().parent / "out"
ROOT = Path(__file__).resolve().parent.parent

SITES = 400
PHONES = 500  # × SITES distinct (phone, site) pairs: far more than any run sends
WORKERS = int(os.environ.get("BENCH_WORKERS", "2"))
WINDOW = float(os.environ.get("BENCH_WRK_SECONDS", "5"))  # per route and round
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
WARMUP = 2.0
TAIL_SECONDS = 1  # wrk runs this much longer than the window: the measured requests in flight finish
THREADS = int(os.environ.get("BENCH_WRK_THREADS", "2"))
CONNECTIONS = int(os.environ.get("BENCH_WRK_CONNECTIONS", "16"))
WORKER_CLASS = os.environ.get("BENCH_WORKER_CLASS", "sync")
WORKER_THREADS = int(os.environ.get("BENCH_WORKER_THREADS", "4"))
CHECKIN_BAR = 0.25  # check-in POST throughput / bare, on SQLite
SVG_BAR = 0.8  # cached SVG (200 with a warm cache, and 304) / bare
HIGH = "1000000 per minute"
LIMITS = {
    # Same shape as the defaults (two windows per address, one per site): the same limiter work per request.
    "CHECKIN_LIMIT_PER_ADDRESS": f"{HIGH};10000000 per hour",
    "CHECKIN_LIMIT_PER_SITE": HIGH,
}
WARD = "Phường Bãi Bông"
MANAGER = "bench.checkin.manager"
PASSWORD = "bench-Passw0rd"  # noqa: S105 (a throwaway account in a throwaway database)
BARE, SIGNED_IN, TAIL = "/_bench/bare", "/_bench/signed-in", "/_bench/tail"  # bench/wsgi.py
REPEAT_MARK = "Mỗi thiết bị được tính một lần"  # only on the page of a check-in counted before
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
_CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')
_CSRF_META = re.compile(r'name="csrf-token" content="([^"]+)"')


def log(message: str = "") -> None:
    print(message, flush=True)


# --- backends and databases ------------------------------------------------------------------------------


def backends() -> list[tuple[str, str]]:
    found = [("sqlite", f"sqlite:///{OUT / 'checkin.sqlite3'}")]
    server = os.environ.get("TRACKER_BENCH_POSTGRES_URL") or os.environ.get("TRACKER_TEST_POSTGRES_URL")
    if server:
        url = sa.make_url(server).set(database="tracker_bench_checkin").render_as_string(hide_password=False)
        found.append(("postgresql", url))
    return found


def redis_url() -> str | None:
    """The rate-limit storage for the server: Redis when it answers (as in production), else None (memory)."""
    url = os.environ.get("TRACKER_BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
    try:
        import redis

        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except Exception:  # noqa: BLE001 (any failure means: no Redis here)
        return None
    return url


def app_config(url: str, limits_storage: str | None, prefix: str = "tracker-bench") -> dict:
    """Production-like settings (not TESTING: CSRF, cookies and limits as deployed), limits set high."""
    return {
        "SECRET_KEY": "bench-checkin-secret",
        "DATABASE_URL": url,
        "RATELIMIT_STORAGE_URI": limits_storage or "memory://",
        "RATELIMIT_PER_WORKER": limits_storage is None,  # no Redis here: limits per worker, knowingly
        "RATELIMIT_KEY_PREFIX": prefix,
        "PUBLIC_BASE_URL": "https://cds.example.gov.vn",
        **LIMITS,
    }


def forget_limits(limits_storage: str | None, prefix: str) -> None:
    """Drop this run's rate-limit counters from Redis (the hourly ones would stay an hour)."""
    if limits_storage:
        import redis

        client = redis.Redis.from_url(limits_storage)
        keys = list(client.scan_iter(f"LIMITS:LIMITER/{prefix}/*", count=1000))
        for start in range(0, len(keys), 1000):
            client.delete(*keys[start : start + 1000])
        client.close()


def fresh_database(backend: str, url: str) -> None:
    if backend == "sqlite":
        path = sa.make_url(url).database
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return
    target = sa.make_url(url)
    admin = sa.create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {target.database} WITH (FORCE)")
        conn.exec_driver_sql(f"CREATE DATABASE {target.database}")
    admin.dispose()


def build(backend: str, url: str) -> dict:
    """A fresh, migrated database with the ward, its sites and its manager; returns the site ids and codes."""
    from flask_migrate import upgrade

    from bench.generate import SITE_KINDS, person, site_code
    from tracker import create_app
    from tracker.auth.passwords import hash_password
    from tracker.extensions import db
    from tracker.models import Site, Unit, User
    from tracker.text import fold

    fresh_database(backend, url)
    app = create_app(app_config(url, None) | {"TESTING": True})
    rng, codes = random.Random(2608), set()
    now = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    stamps = {"created_at": now, "updated_at": now, "version": 1}
    with app.app_context():
        upgrade()
        with db.engine.begin() as conn:
            unit_id = conn.execute(
                sa.insert(Unit.__table__).returning(Unit.__table__.c.id),
                {"name": WARD, "search_name": fold(WARD), "kind": "ward", "valid_from": date(2025, 7, 1)} | stamps,
            ).scalar_one()
            rows = []
            for n in range(SITES):
                kind, prefix, _weight = rng.choice(SITE_KINDS)
                name = f"{prefix} {person(rng)} {n + 1}"
                rows.append(
                    {
                        "unit_id": unit_id,
                        "name": name,
                        "search_name": fold(name),
                        "kind": kind,
                        "address": f"Số {rng.randrange(1, 300)}, tổ dân phố {rng.randrange(1, 25)}, {WARD}",
                        "contact_name": "",
                        "contact_phone": "",
                        "status": "active",
                        "code": site_code(rng, codes),
                        **stamps,
                    }
                )
            conn.execute(sa.insert(Site.__table__), rows)
            conn.execute(
                sa.insert(User.__table__),
                {
                    "username": MANAGER,
                    "full_name": person(rng),
                    "password_hash": hash_password(PASSWORD),
                    "role": "manager",
                    "unit_id": unit_id,
                    "is_active": True,
                    "session_token": f"bench-checkin-{rng.getrandbits(128):032x}",
                    **stamps,
                },
            )
            sites = conn.execute(sa.select(Site.__table__.c.id, Site.__table__.c.code).order_by("id")).all()
        db.engine.dispose()
    return {"site_ids": [row[0] for row in sites], "codes": [row[1] for row in sites]}


def stored(url: str) -> tuple[int, int]:
    """(check-in rows, (site, device) pairs stored more than once)."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.exec_driver_sql("SELECT count(*) FROM checkins").scalar_one()
            twice = conn.exec_driver_sql(
                "SELECT count(*) FROM (SELECT site_id, device_hash FROM checkins "
                "GROUP BY site_id, device_hash HAVING count(*) > 1) AS repeated"
            ).scalar_one()
    finally:
        engine.dispose()
    return rows, twice


# --- the server ----------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """gunicorn serving bench.wsgi on a free loopback port, its log in bench/out/gunicorn-<backend>.log."""

    def __init__(self, backend: str, config: dict):
        self.port = free_port()
        self.log_path = OUT / f"gunicorn-{backend}.log"
        command = [
            sys.executable, "-m", "gunicorn",
            "--workers", str(WORKERS),
            "--worker-class", WORKER_CLASS,
            "--bind", f"127.0.0.1:{self.port}",
            "--backlog", "2048",
            "--timeout", "60",
            "--log-level", "warning",
            "--error-logfile", "-",
        ]  # fmt: skip
        if WORKER_CLASS == "gthread":
            command += ["--threads", str(WORKER_THREADS)]
        env = os.environ | {"BENCH_APP_CONFIG": json.dumps(config), "TRACKER_INSTANCE_PATH": str(OUT / "instance")}
        self.log_file = self.log_path.open("w")
        self.process = subprocess.Popen(
            [*command, "bench.wsgi:app"], cwd=ROOT, env=env, stdout=self.log_file, stderr=subprocess.STDOUT
        )

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited ({self.process.returncode}):\n{self.log_tail()}")
            try:
                if fetch(self.port, "GET", BARE).status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"gunicorn did not answer within {timeout:.0f} s:\n{self.log_tail()}")

    def cpu_seconds(self) -> float:
        """CPU time (user + system) the workers have used so far, from /proc (0 where there is none)."""
        total = 0.0
        try:
            children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text().split()
            for pid in children:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                total += (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime, stime
        except OSError:
            return 0.0
        return total

    def log_tail(self, lines: int = 30) -> str:
        self.log_file.flush()
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()  # gunicorn's graceful stop: the master ends its workers
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log_file.close()


@dataclass
class Reply:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    def cookies(self) -> dict[str, str]:
        found = {}
        for header in self.headers.get_all("Set-Cookie") or []:
            name, _, value = header.split(";", 1)[0].partition("=")
            found[name.strip()] = value.strip()
        return found


def fetch(port: int, method: str, path: str, headers: dict | None = None, body: str | None = None) -> Reply:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return Reply(response.status, response.headers, response.read())
    finally:
        conn.close()


def phones(port: int, codes: list[str]) -> list[tuple[str, str]]:
    """PHONES phones that each opened a check-in page once: (Cookie header, form body with its CSRF token)."""
    found = []
    for n in range(PHONES):
        page = fetch(port, "GET", f"/c/{codes[n % len(codes)]}")
        cookies = page.cookies()
        token = _CSRF_FIELD.search(page.body.decode())
        if page.status != 200 or not token or not {"session", "tracker_device"} <= cookies.keys():
            raise RuntimeError(f"the check-in page gave no form to post (HTTP {page.status}, cookies {list(cookies)})")
        cookie = f"session={cookies['session']}; tracker_device={cookies['tracker_device']}"
        found.append((cookie, "csrf_token=" + quote(token.group(1), safe="")))
    return found


def sign_in(port: int) -> str:
    """The Cookie header of the ward's manager, signed in through /login as a browser does."""
    page = fetch(port, "GET", "/login")
    token = _CSRF_META.search(page.body.decode())
    if page.status != 200 or not token:
        raise RuntimeError(f"/login gave no CSRF token (HTTP {page.status})")
    form = f"username={quote(MANAGER)}&password={quote(PASSWORD)}&csrf_token={quote(token.group(1), safe='')}"
    reply = fetch(
        port,
        "POST",
        "/login",
        {"Cookie": f"session={page.cookies()['session']}", "Content-Type": "application/x-www-form-urlencoded"},
        form,
    )
    if reply.status != 302 or "session" not in reply.cookies():
        raise RuntimeError(f"signing in as {MANAGER} answered HTTP {reply.status}")
    return f"session={reply.cookies()['session']}"


def etags(port: int, codes: list[str], cookie: str, site_ids: list[int]) -> list[str]:
    """Each site's public SVG ETag, fetched once, and its image by id once (which renders each image once on one
    of the workers)."""
    found = []
    for code, site_id in zip(codes, site_ids, strict=True):
        tags = []
        for path, headers in ((f"/qr/{code}.svg", {}), (f"/sites/{site_id}/qr.svg", {"Cookie": cookie})):
            reply = fetch(port, "GET", path, headers)
            if reply.status != 200 or not reply.headers.get("ETag") or not reply.body.startswith(b"<svg"):
                raise RuntimeError(f"{path} answered HTTP {reply.status}")
            tags.append(reply.headers["ETag"])
        if tags[0] != tags[1]:
            raise RuntimeError(f"the image of {code} has two ETags: {tags}")
        found.append(tags[0])
    return found


# --- wrk -----------------------------------------------------------------------------------------------

LUA = r"""-- Generated by bench/checkin.py: %(label)s.
local ffi = require("ffi")
ffi.cdef[[
typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
int clock_gettime(int clk_id, bench_timespec *tp);
]]
local clock = ffi.new("bench_timespec")
local function now()
  ffi.C.clock_gettime(1, clock)  -- CLOCK_MONOTONIC: one clock for every thread
  return tonumber(clock.tv_sec) + tonumber(clock.tv_nsec) / 1e9
end

local WINDOW, NT, OFFSET = %(window)s, %(threads)d, %(offset)d
local REPEAT = %(repeat)s
%(data)s

local threads = {}
function setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end

local tail
function init(args)
  sent, received, repeats, tails, first, last = 0, 0, 0, 0, 0, 0
  checked = tid ~= 0
  statuses = {}
  tail = wrk.format("GET", "%(tail)s")
end

function request()
  -- wrk calls request() once in thread 0 to check the script before it starts: that one is not sent
  if tid == nil or not checked then
    checked = true
    return wrk.format("GET", "%(tail)s")
  end
  local t = now()
  if sent == 0 then first = t end
  if t - first < WINDOW then
    local k = OFFSET + sent * NT + tid
    sent = sent + 1
    return measured(k)
  end
  return tail
end

function response(status, headers, body)
  if body == "tail" then
    tails = tails + 1
    return
  end
  received = received + 1
  statuses[status] = (statuses[status] or 0) + 1
  last = now()
  if REPEAT and body and string.find(body, REPEAT, 1, true) then repeats = repeats + 1 end
end

function done(summary, latency, requests)
  local parts = {}
  for _, thread in ipairs(threads) do
    local counts = {}
    for status, n in pairs(thread:get("statuses")) do
      table.insert(counts, string.format('"%%d": %%d', status, n))
    end
    table.insert(parts, string.format(
      '{"sent": %%d, "received": %%d, "repeats": %%d, "tails": %%d, "first": %%.6f, "last": %%.6f, "statuses": {%%s}}',
      thread:get("sent"), thread:get("received"), thread:get("repeats"), thread:get("tails"),
      thread:get("first"), thread:get("last"), table.concat(counts, ", ")))
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"threads": [%%s], "socket_errors": {"connect": %%d, "read": %%d, "write": %%d, "timeout": %%d}}\n',
    table.concat(parts, ", "), e.connect, e.read, e.write, e.timeout))
end
"""


def lua_string(text: str) -> str:
    """A Lua string literal (decimal escapes for anything outside printable ASCII)."""
    out = []
    for byte in text.encode():
        char = chr(byte)
        out.append(f"\\{byte}" if byte < 32 or byte > 126 or char in '"\\' else char)
    return '"' + "".join(out) + '"'


def lua_list(items) -> str:
    return "{" + ", ".join(lua_string(str(item)) for item in items) + "}"


def checkin_data(codes: list[str], phone_list: list[tuple[str, str]]) -> str:
    phone_rows = ", ".join(f"{{{lua_string(cookie)}, {lua_string(body)}}}" for cookie, body in phone_list)
    return f"""local CODES = {lua_list(codes)}
local PHONES = {{{phone_rows}}}
local S, P = #CODES, #PHONES
function measured(k)  -- pair k: site k mod S, phone (k div S) mod P; distinct while k < S * P
  local phone = PHONES[math.floor(k / S) % P + 1]
  return wrk.format("POST", "/c/" .. CODES[k % S + 1],
    {{["Cookie"] = phone[1], ["Content-Type"] = "application/x-www-form-urlencoded"}}, phone[2])
end"""


def svg_data(codes: list[str], tags: list[str] | None) -> str:
    tag_list = lua_list(tags) if tags else "nil"
    return f"""local CODES, TAGS = {lua_list(codes)}, {tag_list}
local S = #CODES
function measured(k)
  local i = k % S + 1
  local headers = nil
  if TAGS then headers = {{["If-None-Match"] = TAGS[i]}} end
  return wrk.format("GET", "/qr/" .. CODES[i] .. ".svg", headers)
end"""


def site_svg_data(site_ids: list[int], cookie: str) -> str:
    return f"""local IDS, COOKIE = {lua_list(site_ids)}, {lua_string(cookie)}
local S = #IDS
function measured(k)
  return wrk.format("GET", "/sites/" .. IDS[k % S + 1] .. "/qr.svg", {{["Cookie"] = COOKIE}})
end"""


def bare_data(path: str = BARE, cookie: str | None = None) -> str:
    headers = f'{{["Cookie"] = {lua_string(cookie)}}}' if cookie else "nil"
    return f'function measured(k) return wrk.format("GET", "{path}", {headers}) end'


@dataclass
class Run:
    """One wrk run against one route: what its measured requests got."""

    route: str
    expected: int  # the status every measured response should have (200: any 2xx)
    seconds: float = 0
    sent: int = 0
    received: int = 0
    statuses: dict[str, int] = field(default_factory=dict)
    repeats: int = 0
    socket_errors: dict[str, int] = field(default_factory=dict)
    requests_per_second: float = 0
    stored: int | None = None  # check-in rows added during the run
    next_offset: int = 0  # the first (phone, site) pair the next check-in run may use
    server_cpu_ms: float | None = None  # the workers' CPU time per measured response

    @property
    def good(self) -> int:
        if self.expected == 200:
            return sum(n for status, n in self.statuses.items() if 200 <= int(status) < 300)
        return self.statuses.get(str(self.expected), 0)

    @property
    def errors(self) -> int:
        """Responses with another status, plus measured requests that got no response."""
        return self.received - self.good + self.sent - self.received


def wrk(server: Server, label: str, data: str, offset: int, window: float, expected: int, repeat: bool = False) -> Run:
    """wrk against one route for `window` seconds of measured requests (then the tail); the workers' CPU time is
    sampled around the window."""
    script = OUT / f"wrk-{label}.lua"
    script.write_text(
        LUA
        % {
            "label": label,
            "window": repr(window),
            "threads": THREADS,
            "offset": offset,
            "repeat": lua_string(REPEAT_MARK) if repeat else "nil",
            "data": data,
            "tail": TAIL,
        }
    )
    seconds = math.ceil(window) + TAIL_SECONDS
    command = ["wrk", f"-t{THREADS}", f"-c{CONNECTIONS}", f"-d{seconds}s", "--timeout", "10s", "-s", str(script)]
    process = subprocess.Popen(
        [*command, f"http://127.0.0.1:{server.port}"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    cpu = server.cpu_seconds()
    time.sleep(window)
    cpu = server.cpu_seconds() - cpu
    stdout, stderr = process.communicate(timeout=seconds + 60)
    line = next((x for x in stdout.splitlines() if x.startswith("BENCH_JSON ")), None)
    if process.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed ({process.returncode}): {stderr.strip() or stdout.strip()}")
    found = json.loads(line.removeprefix("BENCH_JSON "))
    threads = found["threads"]
    run = Run(label, expected, socket_errors=found["socket_errors"])
    for thread in threads:
        run.sent += thread["sent"]
        run.received += thread["received"]
        run.repeats += thread["repeats"]
        for status, n in thread["statuses"].items():
            run.statuses[status] = run.statuses.get(status, 0) + n
    started = min(t["first"] for t in threads if t["sent"])
    ended = max(t["last"] for t in threads)
    run.seconds = round(ended - started, 3)
    run.requests_per_second = round(run.received / run.seconds, 1) if run.seconds > 0 else 0
    run.next_offset = offset + max(t["sent"] for t in threads) * THREADS
    run.server_cpu_ms = round(cpu * 1000 / run.received, 3) if run.received and cpu else None
    return run


# --- one backend ---------------------------------------------------------------------------------------

ROUTES = {  # key: (name, status expected)
    "checkin": ("check-in POST /c/<code>", 200),
    "svg-200": ("QR SVG 200 by code (warm)", 200),
    "svg-304": ("QR SVG 304 by code", 304),
    "site-svg": ("QR SVG by site, signed in", 200),
    "signed-in": ("signed-in bare route", 200),
}


@dataclass
class Bar:
    verdict: str  # PASS, FAIL, N/A or INFO (a figure reported, no bar)
    text: str


def median(values: list[float]) -> float:
    return round(statistics.median(values), 3) if values else 0.0


def measure(backend: str, url: str, limits_storage: str | None) -> dict:
    """Build, serve, measure; returns the backend's record (figures, runs, bars)."""
    started = time.perf_counter()
    data = build(backend, url)
    codes, site_ids = data["codes"], data["site_ids"]
    log(f"   database built and seeded in {time.perf_counter() - started:.1f} s ({SITES} sites)")
    prefix = f"tracker-bench-{os.getpid()}-{time.time_ns()}"
    server = Server(backend, app_config(url, limits_storage, prefix))
    bare_runs: list[Run] = []
    runs: dict[str, list[Run]] = {key: [] for key in ROUTES}
    try:
        server.wait_ready()
        phone_list = phones(server.port, codes)
        cookie = sign_in(server.port)
        tags = etags(server.port, codes, cookie, site_ids)
        log(f"   gunicorn up on port {server.port}; {len(phone_list)} phones fetched the form, manager signed in")
        scripts = {
            "checkin": checkin_data(codes, phone_list),
            "svg-200": svg_data(codes, None),
            "svg-304": svg_data(codes, tags),
            "site-svg": site_svg_data(site_ids, cookie),
            "signed-in": bare_data(SIGNED_IN, cookie),
        }
        offset, pairs = 0, len(codes) * len(phone_list)

        def one(key: str, window: float, round_: int | None) -> Run:
            nonlocal offset
            label = f"{backend}-{key}" + ("-warmup" if round_ is None else f"-{round_}")
            if key == "bare":
                return wrk(server, label, bare_data(), 0, window, 200)
            before = stored(url)[0] if key == "checkin" else 0
            run = wrk(server, label, scripts[key], offset, window, ROUTES[key][1], repeat=key == "checkin")
            if key == "checkin":
                offset = run.next_offset
                if offset > pairs:
                    raise RuntimeError(f"{offset} check-ins sent, only {pairs} distinct (phone, site) pairs")
                run.stored = stored(url)[0] - before
            return run

        for key in ["bare", *ROUTES]:  # code paths, pools, both workers' image caches
            one(key, WARMUP, None)
        bare_runs.append(one("bare", WINDOW, 0))
        for round_ in range(1, ROUNDS + 1):
            for key in ROUTES:
                runs[key].append(one(key, WINDOW, round_))
            bare_runs.append(one("bare", WINDOW, round_))
            figures = "  ".join(f"{k} {r[-1].requests_per_second:.0f}" for k, r in [("bare", bare_runs), *runs.items()])
            log(f"   round {round_}/{ROUNDS} (req/s): {figures}")
        twice = stored(url)[1]
    finally:
        server.stop()
        forget_limits(limits_storage, prefix)
    return record(backend, bare_runs, runs, twice)


def record(backend: str, bare_runs: list[Run], runs: dict[str, list[Run]], twice: int) -> dict:
    """Figures and bars. Each route's ratio is taken round by round against the mean of the two bare runs around
    it (the machine's load drifts; a ratio of runs minutes apart would measure the drift), then the median."""
    brackets = [(a.requests_per_second + b.requests_per_second) / 2 for a, b in itertools.pairwise(bare_runs)]
    routes = {}
    for key, (name, _status) in ROUTES.items():
        ratios = [r.requests_per_second / bare if bare else 0 for r, bare in zip(runs[key], brackets, strict=True)]
        signed = [
            r.requests_per_second / s.requests_per_second for r, s in zip(runs[key], runs["signed-in"], strict=True)
        ]
        routes[key] = {
            "name": name,
            "requests_per_second": median([r.requests_per_second for r in runs[key]]),
            "ratio": median(ratios),
            "ratios": [round(x, 3) for x in ratios],
            "ratio_to_signed_in": median(signed),
            "server_cpu_ms": median([r.server_cpu_ms for r in runs[key] if r.server_cpu_ms]),
            "responses": sum(r.received for r in runs[key]),
            "errors": sum(r.errors for r in runs[key]),
            "statuses": dict(sum((Counter(r.statuses) for r in runs[key]), Counter())),
            "socket_errors": sum(sum(r.socket_errors.values()) for r in runs[key]),
        }
    bare = median([r.requests_per_second for r in bare_runs])
    bare_cpu = median([r.server_cpu_ms for r in bare_runs if r.server_cpu_ms])
    for route in routes.values():
        route["cpu_ratio"] = (
            round(bare_cpu / route["server_cpu_ms"], 3) if bare_cpu and route["server_cpu_ms"] else None
        )
    checkin = runs["checkin"]
    good, added = sum(r.good for r in checkin), sum(r.stored or 0 for r in checkin)
    repeats = sum(r.repeats for r in checkin)
    errors = sum(r.errors for r in bare_runs) + sum(route["errors"] for route in routes.values())
    sockets = sum(sum(r.socket_errors.values()) for r in bare_runs) + sum(x["socket_errors"] for x in routes.values())
    bars = []
    c = routes["checkin"]
    spread = "/".join(f"{x:.2f}" for x in c["ratios"])
    figures = f"{c['requests_per_second']} / {bare} req/s; {c['ratio']:.2f}, rounds {spread}"
    text = f"check-in POST ≥ {CHECKIN_BAR} of the bare route ({figures})"
    if backend == "sqlite":
        bars.append(Bar("PASS" if c["ratio"] >= CHECKIN_BAR else "FAIL", text))
    else:
        bars.append(Bar("INFO", f"check-in POST / the bare route, reported without a bar ({figures})"))
    bars.append(
        Bar(
            "PASS" if errors == 0 else "FAIL",
            f"0 errors: every measured response had its expected status and none was lost ({errors} errors; "
            f"{sockets} wrk socket errors)",
        )
    )
    bars.append(
        Bar(
            "PASS" if good == added and repeats == 0 and twice == 0 else "FAIL",
            f"every check-in 2xx stored exactly once ({good} 2xx, {added} rows added, {repeats} answered as "
            f"repeats, {twice} (site, device) pairs stored twice)",
        )
    )
    for key in ("svg-200", "svg-304"):
        route = routes[key]
        spread = "/".join(f"{x:.2f}" for x in route["ratios"])
        bars.append(
            Bar(
                "PASS" if route["ratio"] >= SVG_BAR else "FAIL",
                f"{route['name']} ≥ {SVG_BAR} of the bare route ({route['requests_per_second']} / {bare} req/s; "
                f"{route['ratio']:.2f}, rounds {spread})",
            )
        )
    for key in ("site-svg", "signed-in"):
        route = routes[key]
        bars.append(
            Bar(
                "INFO",
                f"{route['name']} / the bare route, reported without a bar ({route['requests_per_second']} / {bare} "
                f"req/s; {route['ratio']:.2f}; CPU {route['server_cpu_ms']} ms against {bare_cpu} ms)",
            )
        )
    return {
        "bare_requests_per_second": bare,
        "bare_server_cpu_ms": bare_cpu,
        "bare_runs": [r.requests_per_second for r in bare_runs],
        "routes": routes,
        "checkin_stored": {"2xx": good, "rows_added": added, "repeats": repeats, "pairs_stored_twice": twice},
        "runs": {key: [asdict(r) for r in value] for key, value in [("bare", bare_runs), *runs.items()]},
        "bars": [asdict(b) for b in bars],
    }


def table(found: dict) -> list[str]:
    header = (
        f"{'route':<30} {'req/s':>8} {'× bare':>7} {'× signed-in':>12} {'CPU ms':>7} {'CPU × bare':>10} "
        f"{'responses':>10} {'errors':>7}"
    )
    lines = [header, "-" * len(header)]
    bare_runs = found["bare_runs"]
    cpu = found["bare_server_cpu_ms"]
    lines.append(f"{'bare JSON route':<30} {found['bare_requests_per_second']:>8.1f} {'1.00':>7} {'':>12} {cpu:>7.3f}")
    for key, route in found["routes"].items():
        signed = "" if key == "signed-in" else f"{route['ratio_to_signed_in']:.2f}"
        cpu_ratio = f"{route['cpu_ratio']:.2f}" if route["cpu_ratio"] else "—"
        lines.append(
            f"{route['name']:<30} {route['requests_per_second']:>8.1f} {route['ratio']:>7.2f} {signed:>12} "
            f"{route['server_cpu_ms']:>7.3f} {cpu_ratio:>10} {route['responses']:>10} {route['errors']:>7}"
        )
    lines += [
        f"(medians of {len(bare_runs) - 1} rounds; bare runs {', '.join(map(str, bare_runs))} req/s. "
        "CPU ms: the workers' CPU time per response;",
        " CPU × bare: the bare route's over the route's, what the throughput ratio would be if the workers had the "
        "machine to themselves)",
    ]
    return lines


def run() -> tuple[dict, list[str]]:
    """Every backend; returns (the record for results.json, the summary lines with the bars)."""
    OUT.mkdir(exist_ok=True)
    server = f"gunicorn, {WORKERS} {WORKER_CLASS} workers" + (
        f" × {WORKER_THREADS} threads" if WORKER_CLASS == "gthread" else ""
    )
    settings = {
        "server": server,
        "wrk": f"-t{THREADS} -c{CONNECTIONS}; {ROUNDS} rounds of {WINDOW:g} s per route, between bare-route runs",
        "sites": SITES,
        "phones": PHONES,
    }
    report: dict = {"settings": settings, "backends": {}}
    if shutil.which("wrk") is None:
        text = "check-in and QR SVG throughput: wrk is not installed (`make wrk`: Debian's package wrk)"
        report["bars"] = [{"verdict": "N/A", "text": text}]
        return report, ["", "### check-in and QR SVG throughput", f"N/A   {text}"]
    limits_storage = redis_url()
    settings["rate_limits"] = limits_storage or "memory:// (no Redis answered: limits per worker)"
    lines = []
    for backend, url in backends():
        log(f"== {backend}: check-in and QR SVG throughput ({server}; wrk {settings['wrk']})")
        try:
            found = measure(backend, url, limits_storage)
        except Exception as exc:  # noqa: BLE001 (reported as N/A, the other parts go on)
            text = f"{backend}: the throughput step broke: {type(exc).__name__}: {exc}"
            report["backends"][backend] = {"bars": [{"verdict": "N/A", "text": text}]}
            lines += ["", f"### {backend}: check-in and QR SVG throughput", f"N/A   {text}"]
            continue
        report["backends"][backend] = found
        done = ["", f"### {backend}: check-in and QR SVG throughput ({server}; wrk {settings['wrk']})"]
        done += [*table(found), *(f"{b['verdict']:<4}  {b['text']}" for b in found["bars"])]
        log("\n".join(done))
        lines += done
    lines.append(f"rate limits in {settings['rate_limits']}")
    return report, lines


def main() -> int:
    report, lines = run()
    (OUT / "checkin.json").write_text(json.dumps(report, indent=2, ensure_ascii=False))
    log("\n".join(["", "== summary", *lines, "", f"Results written to {OUT / 'checkin.json'}"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
