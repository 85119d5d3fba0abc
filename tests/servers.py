"""Real servers for the tests that need them, each started on a free loopback port and stopped by the test: a
redis-server, gunicorn serving the app with production settings, nginx in front; and a browser-like HTTP client
that keeps its cookies, sends the page's CSRF token and can connect from a chosen loopback address."""

import http.client
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
NGINX = "/usr/sbin/nginx"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(check, timeout: float, what: str, process: subprocess.Popen | None = None, log: Path | None = None):
    """Poll `check()` until it returns a true value; fail naming `what` (with the end of the log) after `timeout`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            break
        try:
            found = check()
        except OSError:
            found = None
        if found:
            return found
        time.sleep(0.1)
    tail = log.read_text(errors="replace")[-3000:] if log and log.exists() else ""
    raise AssertionError(f"{what} did not happen within {timeout:.0f} s\n{tail}")


def stop(process: subprocess.Popen, timeout: float = 10) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class RedisServer:
    """A redis-server of the test's own, with nothing saved to disk; `stop()` and `start()` again on the same port
    play Redis going down and coming back (empty)."""

    def __init__(self, folder: Path):
        self.executable = shutil.which("redis-server")
        self.folder = folder
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        command = [self.executable, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly",
                   "no", "--daemonize", "no", "--dir", str(self.folder)]  # fmt: skip
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_for(self.answers, 10, f"redis-server on port {self.port}", self.process)
        except AssertionError:
            self.stop()
            raise

    def answers(self) -> bool:
        import redis

        try:
            return self.client().ping()
        except redis.ConnectionError:
            return False

    def stop(self) -> None:
        if self.process is not None:
            stop(self.process)
            self.process = None

    def client(self):
        import redis

        return redis.Redis.from_url(self.url, socket_connect_timeout=0.5, socket_timeout=0.5)

    def stored_keys(self, pattern: str = "*") -> list[str]:
        return sorted(key.decode() for key in self.client().scan_iter(pattern))


class Gunicorn:
    """gunicorn serving `tracker:create_app()` from the checkout (so gunicorn.conf.py applies), configured the way
    a deployment is: TRACKER_* variables, not TESTING."""

    def __init__(self, folder: Path, settings: dict[str, str], workers: int = 2):
        self.port = free_port()
        self.log = folder / f"gunicorn-{self.port}.log"
        env = {k: v for k, v in os.environ.items() if not k.startswith("TRACKER_") and k != "WEB_CONCURRENCY"}
        env |= {"TRACKER_INSTANCE_PATH": str(folder), "TRACKER_SECRET_KEY": "servers-test-secret", **settings}
        command = [sys.executable, "-m", "gunicorn", "--workers", str(workers), "--bind", f"127.0.0.1:{self.port}",
                   "--error-logfile", "-", "--log-level", "info", "tracker:create_app()"]  # fmt: skip
        with self.log.open("w") as log:
            self.process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)

    def wait_ready(self, timeout: float = 30) -> None:
        wait_for(lambda: Browser(self.port).get("/login")[0] == 200, timeout, "gunicorn answering", self.process,
                 self.log)  # fmt: skip

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self) -> None:
        stop(self.process)


class Nginx:
    """nginx in the foreground on a free loopback port, proxying to `upstream` as the README's example does: it
    sets X-Forwarded-For from the connection ($proxy_add_x_forwarded_for) and X-Forwarded-Proto."""

    def __init__(self, folder: Path, upstream: int):
        self.port = free_port()
        self.folder = folder / f"nginx-{self.port}"
        self.folder.mkdir()
        temp = " ".join(f"{kind}_temp_path {self.folder / kind};" for kind in ("client_body", "proxy", "fastcgi",
                                                                                  "uwsgi", "scgi"))  # fmt: skip
        conf = self.folder / "nginx.conf"
        conf.write_text(
            f"""
daemon off;
master_process off;
worker_processes 1;
pid {self.folder / "nginx.pid"};
error_log {self.folder / "error.log"} warn;
events {{ worker_connections 128; }}
http {{
    access_log off;
    {temp}
    server {{
        listen 127.0.0.1:{self.port};
        location / {{
            proxy_pass http://127.0.0.1:{upstream};
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
        }}
    }}
}}
"""
        )
        command = [NGINX, "-p", str(self.folder), "-c", str(conf), "-e", str(self.folder / "error.log")]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        try:
            wait_for(lambda: Browser(self.port).get("/login")[0] == 200, 20, "nginx answering", self.process,
                     self.folder / "error.log")  # fmt: skip
        except AssertionError:
            self.stop()
            raise

    def stop(self) -> None:
        stop(self.process)


class Browser:
    """One browser: its cookies, the CSRF token of the last page it read, and the loopback address it connects
    from (127.0.0.2, 127.0.0.3: two clients on one machine, as nginx sees two phones)."""

    def __init__(self, port: int, source: str = "127.0.0.1"):
        self.port = port
        self.source = source
        self.cookies: dict[str, str] = {}
        self.token: str | None = None
        self.attempts = 0

    def request(self, method: str, path: str, body: dict | None = None, headers: dict | None = None):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30, source_address=(self.source, 0))
        sent = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items()), **(headers or {})}
        payload = None
        if body is not None:
            payload = urlencode(body)
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            connection.request(method, path, body=payload, headers=sent)
            response = connection.getresponse()
            text = response.read().decode("utf-8", "replace")
        finally:
            connection.close()
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        found = re.search(r'name="csrf[-_]token" (?:content|value)="([^"]+)"', text)
        if found:
            self.token = found.group(1)
        return response.status, response.headers, text

    def get(self, path: str, headers: dict | None = None):
        return self.request("GET", path, headers=headers)

    def post(self, path: str, data: dict, headers: dict | None = None):
        return self.request("POST", path, {"csrf_token": self.token or "", **data}, headers)

    def failed_login(self, headers: dict | None = None) -> int:
        """A wrong password, each time for another account: only the per-address limit counts it."""
        self.attempts += 1
        self.get("/login")
        account = f"khach-{self.source}-{self.attempts}"
        return self.post("/login", {"username": account, "password": "sai-mat-khau"}, headers)[0]

    def check_in(self, code: str) -> int:
        self.get(f"/c/{code}")
        return self.post(f"/c/{code}", {})[0]
