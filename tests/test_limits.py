"""Failed-login limits shared between workers through Redis."""

import os
import random

import pytest

from tests.conftest import CSRFClient, base_config
from tracker import create_app
from tracker.extensions import db

REDIS_URL = os.environ.get("TRACKER_TEST_REDIS_URL")

pytestmark = [
    pytest.mark.redis,
    pytest.mark.skipif(not REDIS_URL, reason="Redis test skipped: set TRACKER_TEST_REDIS_URL (CI sets it)"),
]


def _worker(database_url, tmp_path):
    app = create_app({**base_config(database_url, str(tmp_path)), "RATELIMIT_STORAGE_URI": REDIS_URL})
    app.test_client_class = CSRFClient
    return app


def test_two_workers_share_the_failed_login_count(app, users, database_url, tmp_path):
    """Worker 2 starts with a fresh limiter: the six failures it knows of can only come from Redis."""
    # A fresh address per run, so counts left in Redis by earlier runs never meet this one.
    address = {"REMOTE_ADDR": f"10.{random.randrange(256)}.{random.randrange(256)}.{random.randrange(1, 255)}"}
    bad = [{"username": f"khach{n}", "password": "sai-mat-khau"} for n in range(11)]  # the address's limit
    first = _worker(database_url, tmp_path)
    with first.app_context():
        client = first.test_client()
        client.environ_base.update(address)
        for n in range(6):
            assert client.post("/login", data=bad[n]).status_code == 401
        db.session.remove()
        db.engine.dispose()
    second = _worker(database_url, tmp_path)
    with second.app_context():
        client = second.test_client()
        client.environ_base.update(address)
        for n in range(6, 10):
            assert client.post("/login", data=bad[n]).status_code == 401
        assert client.post("/login", data=bad[10]).status_code == 429
        db.session.remove()
        db.engine.dispose()
