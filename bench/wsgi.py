"""The gunicorn entry of the check-in benchmark (bench/checkin.py): the real app plus three bench-only routes.

- `GET /_bench/bare` answers `{"ok": true}`, open to anyone, through the whole app (the guard, sessions, the
  limiter's hooks, the after-request hooks) but doing no work of its own: the yardstick of every figure.
- `GET /_bench/signed-in` answers the same to any signed-in user: the floor of every route behind a login (the
  session's user looked up, the session cookie renewed), to tell what a page adds from what signing in costs.
- `GET /_bench/tail` answers `tail`: what wrk asks for once a measured window is over, so that no measured request
  is left in flight when it stops.

They exist only here, never in the product. The app's settings come as JSON in BENCH_APP_CONFIG.
"""

import json
import os

from flask import Flask, Response

from tracker import create_app
from tracker.auth.access import EVERYONE, allow, public

BARE, SIGNED_IN, TAIL = "/_bench/bare", "/_bench/signed-in", "/_bench/tail"


@public
def bare():
    return {"ok": True}


@allow(EVERYONE)
def signed_in():
    return {"ok": True}


@public
def tail():
    return Response("tail", mimetype="text/plain")


def build() -> Flask:
    application = create_app(json.loads(os.environ["BENCH_APP_CONFIG"]))
    application.add_url_rule(BARE, "bench_bare", bare, methods=["GET"])
    application.add_url_rule(SIGNED_IN, "bench_signed_in", signed_in, methods=["GET"])
    application.add_url_rule(TAIL, "bench_tail", tail, methods=["GET"])
    return application


app = build()
