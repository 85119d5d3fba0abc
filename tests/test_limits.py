"""Failed-login limits shared between workers through Redis."""

import os
import uuid

import pytest

from tests.conftest import CSRFClient, base_config
from tracker import create_app
from tracker.extensions import db

REDIS_URL = os.environ.get("TRACKER_TEST_REDIS_URL")

pytestmark = [
    pytest.mark.redis,
    pytest.mark.skipif(not REDIS_URL, reason="Redis test skipped: set TRACKER_TEST_REDIS_URL (CI sets it)"),
]


def _worker(database_url, tmp_path, prefix):
    app = create_app(
        {**base_config(database_url, str(tmp_path)), "RATELIMIT_STORAGE_URI": REDIS_URL, "RATELIMIT_KEY_PREFIX": prefix}
    )
    app.test_client_class = CSRFClient
    return app


def test_two_workers_share_the_failed_login_count(app, users, database_url, tmp_path):
    prefix = f"tracker-test-{uuid.uuid4().hex}"
    first, second = _worker(database_url, tmp_path, prefix), _worker(database_url, tmp_path, prefix)
    bad = {"username": "admin", "password": "sai-mat-khau"}
    with first.app_context():
        client = first.test_client()
        for _ in range(6):
            assert client.post("/login", data=bad).status_code == 401
        db.session.remove()
    with second.app_context():
        client = second.test_client()
        for _ in range(4):
            assert client.post("/login", data=bad).status_code == 401
        assert client.post("/login", data=bad).status_code == 429
        db.session.remove()
        db.engine.dispose()
