"""The public check-in at /c/<code>: routing by any spelling of the code, 404/410 pages, one count per device per
30 minutes, optional phone collection with its purge, and the rate limits (per address; per site across workers)."""

import os
import random
import re
from datetime import timedelta

import pytest
from sqlalchemy import event, func, select

from tests import factories
from tests.conftest import CSRFClient, base_config
from tracker import create_app
from tracker.checkin import services as checkin
from tracker.checkin.views import DEVICE_COOKIE
from tracker.db import utcnow
from tracker.extensions import db
from tracker.sites import services as sites
from tracker.sites.codes import grouped
from tracker.sites.models import CheckIn

REDIS_URL = os.environ.get("TRACKER_TEST_REDIS_URL")
CONFIRMED = "Đã ghi nhận lượt điểm danh lúc"
ALREADY = "đã được ghi nhận trước đó"
GONE = "Mã QR này không còn hiệu lực"
NOT_FOUND = "Không tìm thấy điểm QR này"


@pytest.fixture
def site(app, ward):
    made = factories.create_site(ward, address="Tổ dân phố 5, phường Phổ Yên")
    db.session.commit()
    return made


def text(response) -> str:
    return response.get_data(as_text=True)


def checkins() -> list[CheckIn]:
    return list(db.session.scalars(select(CheckIn).order_by(CheckIn.id)))


def count() -> int:
    return db.session.scalar(select(func.count(CheckIn.id)))


def form_token(page) -> str:
    """The CSRF token rendered in the check-in form itself."""
    match = re.search(r'<form method="post".*?name="csrf_token" value="([^"]+)"', text(page), re.S)
    assert match, "no CSRF token in the check-in form"
    return match.group(1)


def submit(client, code: str, **data):
    """What a phone does: open the page, then press the button (the form's own CSRF token)."""
    page = client.get(f"/c/{code}")
    assert page.status_code == 200, text(page)
    return client.post(f"/c/{code}", data={"csrf_token": form_token(page), **data}, csrf=False)


def new_phone(app) -> CSRFClient:
    return app.test_client()


# --- the page ------------------------------------------------------------------------------------------------


def test_the_page_shows_the_site_and_one_button(client, site, ward):
    page = client.get(f"/c/{site.code}")
    assert page.status_code == 200
    body = text(page)
    for shown in ("Chợ Bãi Bông", ward.name, "Tổ dân phố 5, phường Phổ Yên", "Điểm danh tại đây"):
        assert shown in body
    assert body.count("<button") == 1
    assert 'name="phone"' not in body
    # Light: no stylesheet or font to fetch (its CSS is inlined), one small deferred script, and no staff menu.
    assert "<link" not in body and "Đăng xuất" not in body
    assert re.findall(r"<script[^>]*>", body) == ['<script src="/static/js/app.js" defer>']
    assert page.headers["Content-Type"].startswith("text/html")


def test_the_device_cookie_is_random_http_only_lax_and_lasts_a_year(client, site):
    page = client.get(f"/c/{site.code}")
    cookie = next(c for c in page.headers.getlist("Set-Cookie") if c.startswith(DEVICE_COOKIE + "="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Max-Age=31536000" in cookie
    value = cookie.split(";")[0].split("=", 1)[1]
    assert checkin.DEVICE_TOKEN.match(value)
    assert page.headers["Cache-Control"] == "private, no-store"  # it carries this phone's CSRF token
    again = client.get(f"/c/{site.code}")  # kept, not replaced
    assert not [c for c in again.headers.getlist("Set-Cookie") if c.startswith(DEVICE_COOKIE + "=")]


@pytest.mark.parametrize("spelling", ["lower", "upper", "dashes", "lower-dashes"])
@pytest.mark.parametrize("prefix", ["/c/", "/C/"])
def test_any_spelling_of_the_code_routes(client, site, prefix, spelling):
    code = {
        "lower": site.code.lower(),
        "upper": site.code,
        "dashes": grouped(site.code),
        "lower-dashes": grouped(site.code).lower(),
    }[spelling]
    page = client.get(prefix + code)
    assert page.status_code == 200
    assert "Chợ Bãi Bông" in text(page)
    token = form_token(page)
    done = client.post(prefix + code, data={"csrf_token": token}, csrf=False)
    assert done.status_code == 200
    assert CONFIRMED in text(done)
    assert [c.site_id for c in checkins()] == [site.id]


@pytest.mark.parametrize("code", ["7K3M9QXAB2CD", "7k3m-9qxa-b2cd", "ABC", "7K3M9QXAB2CDE", "7K3M9QXAB2C!", "%00"])
def test_unknown_or_malformed_code_is_a_neutral_404(client, site, code):
    for method in ("get", "post"):
        page = getattr(client, method)(f"/c/{code}")
        assert page.status_code == 404
        body = text(page)
        assert NOT_FOUND in body
        assert "không còn hiệu lực" not in body and "không hợp lệ" not in body
    assert count() == 0


def test_a_rotated_code_answers_410_and_the_new_one_works(client, site):
    old = site.code
    sites.rotate_code(site)
    db.session.commit()
    for path in (f"/c/{old}", f"/C/{grouped(old).lower()}"):
        page = client.get(path)
        assert page.status_code == 410
        assert GONE in text(page)
    assert client.post(f"/c/{old}").status_code == 410
    assert submit(client, site.code).status_code == 200
    assert [c.site_id for c in checkins()] == [site.id]


def test_a_retired_site_answers_410(client, site):
    sites.set_status(site, "retired", expected_version=site.version)
    db.session.commit()
    page = client.get(f"/c/{site.code}")
    assert page.status_code == 410
    assert GONE in text(page)
    assert client.post(f"/c/{site.code}").status_code == 410
    assert count() == 0


def test_the_form_needs_its_csrf_token(client, site):
    client.get(f"/c/{site.code}")
    refused = client.post(f"/c/{site.code}", data={}, csrf=False)
    assert refused.status_code == 400
    assert "<link" not in text(refused)  # the light page, not the staff layout
    assert count() == 0


# --- counting ------------------------------------------------------------------------------------------------


def test_one_count_per_device_per_30_minutes_a_second_device_counts(app, site):
    phone = new_phone(app)
    first = submit(phone, site.code)
    assert first.status_code == 200
    assert CONFIRMED in text(first)
    assert re.search(r"lúc \d{2}:\d{2} \d{2}/\d{2}/\d{4}", text(first))
    again = submit(phone, site.code)
    assert again.status_code == 200
    assert ALREADY in text(again)
    assert count() == 1

    other = new_phone(app)
    assert CONFIRMED in text(submit(other, site.code))
    assert count() == 2
    rows = checkins()
    assert rows[0].device_hash != rows[1].device_hash
    assert all(len(r.device_hash) == 64 and r.phone is None for r in rows)


def test_the_stored_hash_is_keyed_with_the_secret_not_the_cookie(app, client, site):
    submit(client, site.code)
    token = client.get_cookie(DEVICE_COOKIE).value
    stored = checkins()[0].device_hash
    assert token not in stored
    assert stored == checkin.device_hash(token, app.secret_key)
    assert stored != checkin.device_hash(token, "another-secret")


def test_a_repeat_after_30_minutes_counts_again(app, site):
    device = checkin.device_hash(checkin.new_device_token(), app.secret_key)
    start = utcnow() - timedelta(hours=2)

    def at(minutes: int):
        return checkin.check_in(db.session.connection(), site.code, device, now=start + timedelta(minutes=minutes))[1]

    assert not at(0).repeat
    repeat = at(29)
    assert repeat.repeat and repeat.at == start
    assert not at(31).repeat
    db.session.commit()
    assert count() == 2


def test_check_in_finds_the_site_and_counts_once_per_30_minutes(app, site):
    """The public POST's path: the site and this device's last check-in in one SELECT, then the INSERT."""
    device = checkin.device_hash(checkin.new_device_token(), app.secret_key)
    start = utcnow() - timedelta(hours=2)

    code = site.code

    def at(minutes: int, typed: str = code):
        found = checkin.check_in(db.session.connection(), typed, device, now=start + timedelta(minutes=minutes))
        db.session.commit()
        return found

    found, first = at(0, grouped(code).lower())
    assert found.card.id == site.id and found.card.name == "Chợ Bãi Bông" and not first.repeat
    _found, repeat = at(29)
    assert repeat.repeat and repeat.at == start
    assert not at(31)[1].repeat
    assert at(32, "7K3M9QXAB2CD") == (checkin.Found(None, False), None)
    assert count() == 2


def test_the_insert_itself_counts_a_phone_once_when_its_requests_race(app, site, monkeypatch):
    """Two requests of one phone may both find no earlier check-in; the INSERT checks again, so one counts and the
    other is answered as a repeat. Here every SELECT is blind to earlier check-ins, as the racing one was."""
    from sqlalchemy import null

    device = checkin.device_hash(checkin.new_device_token(), app.secret_key)
    first = checkin.check_in(db.session.connection(), site.code, device)[1]
    blind = checkin._CARD_AND_LAST.with_only_columns(*list(checkin._CARD_AND_LAST.selected_columns)[:5], null())
    blind = blind.where(checkin._sites.c.code == checkin.bindparam("code"))
    monkeypatch.setattr(checkin, "_CARD_AND_LAST_BY_CODE", blind)
    monkeypatch.setattr(checkin, "_CARD_AND_LAST_BY_CODE_PG", blind)
    found, second = checkin.check_in(db.session.connection(), site.code, device)
    db.session.commit()
    assert not first.repeat and second.repeat and found.card.id == site.id
    assert count() == 1
    # A site retired since the SELECT counts nothing either: the INSERT reads its status.
    sites.set_status(site, "retired", expected_version=None)
    db.session.commit()
    other = checkin.device_hash(checkin.new_device_token(), app.secret_key)
    values = {"site_id": site.id, "at": utcnow(), "device_hash": other, "phone": None, "since": utcnow()}
    assert db.session.connection().execute(checkin._INSERT_UNLESS_RECENT, values).rowcount == 0
    assert count() == 1


def test_a_request_that_already_opened_a_transaction_checks_in_on_its_connection(app, site):
    """The POST records on a connection of its own, unless the request's session holds a transaction: on SQLite a
    second connection would wait for that one's write lock (a POST begins IMMEDIATE) and fail after the timeout."""
    from tracker.checkin import views

    code = site.code
    with app.test_request_context(f"/c/{code}", method="POST"):
        assert count() == 0 and db.session().in_transaction()
        found, recorded = views._check_in(code, "device-1", None)
    assert found.card.id == site.id and not recorded.repeat
    assert count() == 1


def test_the_same_device_at_another_site_counts(app, client, site, ward):
    other = factories.create_site(ward, "Trường THCS Bãi Bông", "school")
    db.session.commit()
    submit(client, site.code)
    assert CONFIRMED in text(submit(client, other.code))
    assert {c.site_id for c in checkins()} == {site.id, other.id}


def test_a_check_in_writes_no_audit_event(client, site):
    from tracker.audit import AuditEvent

    before = db.session.scalar(select(func.count(AuditEvent.id)))
    submit(client, site.code)
    assert count() == 1
    assert db.session.scalar(select(func.count(AuditEvent.id))) == before


def test_the_post_sends_two_statements(app, client, site):
    """One SELECT of the site by code with the device's last check-in there, one INSERT; a repeat only the SELECT.
    Nothing else goes to the database (on PostgreSQL the synchronous-commit switch rides in the SELECT)."""
    code = site.code
    token = form_token(client.get(f"/c/{code}"))
    statements = []

    def record(conn, cursor, statement, parameters, context, executemany):
        if statement.split()[0].upper() not in {"BEGIN", "COMMIT", "ROLLBACK", "PRAGMA"}:
            statements.append(statement.split()[0].upper())

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        assert CONFIRMED in text(client.post(f"/c/{code}", data={"csrf_token": token}, csrf=False))
        assert statements == ["SELECT", "INSERT"]
        statements.clear()
        assert ALREADY in text(client.post(f"/c/{code}", data={"csrf_token": token}, csrf=False))
        assert statements == ["SELECT"]
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    assert count() == 1


# --- phone numbers ------------------------------------------------------------------------------------------


def test_no_phone_is_asked_or_stored_by_default(client, site):
    assert 'name="phone"' not in text(client.get(f"/c/{site.code}"))
    assert submit(client, site.code, phone="0912345678").status_code == 200
    assert checkins()[0].phone is None


def test_with_collection_on_the_page_asks_with_a_consent_notice(app, client, site, ward):
    app.config.update(CHECKIN_COLLECT_PHONE=True, CHECKIN_RETENTION_DAYS=14)
    body = text(client.get(f"/c/{site.code}"))
    assert 'name="phone"' in body
    consent = re.search(r'data-testid="consent">([^<]+)<', body).group(1)
    assert "đồng ý" in consent and "14 ngày" in consent and ward.name in consent


@pytest.mark.parametrize("typed", ["12345", "091234567", "09123456789", "+8491234567", "abc0912345678", "84912345678"])
def test_an_invalid_phone_is_400_with_its_message_and_nothing_is_stored(app, client, site, typed):
    app.config["CHECKIN_COLLECT_PHONE"] = True
    refused = submit(client, site.code, phone=typed)
    assert refused.status_code == 400
    body = text(refused)
    assert "Số điện thoại không hợp lệ" in body
    assert f'value="{typed}"' in body  # kept for correcting
    assert 'name="csrf_token"' in body
    assert count() == 0


@pytest.mark.parametrize(
    "typed, stored",
    [("0912345678", "0912345678"), ("0912 345 678", "0912345678"), ("+84 912.345.678", "0912345678"), ("", None)],
)
def test_a_valid_phone_is_stored_and_an_empty_one_is_fine(app, client, site, typed, stored):
    app.config["CHECKIN_COLLECT_PHONE"] = True
    assert CONFIRMED in text(submit(client, site.code, phone=typed))
    assert [c.phone for c in checkins()] == [stored]


def test_purge_forgets_phones_and_devices_older_than_the_retention_and_keeps_the_counts(app, runner, site):
    app.config["CHECKIN_RETENTION_DAYS"] = 21
    now = utcnow()
    for n, days in enumerate((30, 22, 20, 1)):
        at = now - timedelta(days=days)
        checkin.check_in(db.session.connection(), site.code, f"device-{n}", phone=f"091234567{n}", now=at)
    checkin.check_in(db.session.connection(), site.code, "no-phone", now=now - timedelta(days=40))
    db.session.commit()
    result = runner.invoke(args=["checkins", "purge"])
    assert result.exit_code == 0, result.output
    assert "số điện thoại của 2 lượt và mã thiết bị của 3 lượt" in result.output and "21 ngày" in result.output
    db.session.expire_all()
    assert [c.phone for c in checkins()] == [None, None, "0912345672", "0912345673", None]
    assert [c.device_hash for c in checkins()] == ["", "", "device-2", "device-3", ""]
    assert count() == 5
    assert "của 0 lượt và mã thiết bị của 0 lượt" in runner.invoke(args=["checkins", "purge"]).output


# --- limits ---------------------------------------------------------------------------------------------------


def test_a_flood_from_one_address_is_429(app, site):
    app.config["CHECKIN_LIMIT_PER_ADDRESS"] = "3 per minute"
    phones = [new_phone(app) for _ in range(4)]  # different devices, one address (a shared network)
    for phone in phones[:3]:
        assert submit(phone, site.code).status_code == 200
    refused = submit(phones[3], site.code)
    assert refused.status_code == 429
    assert "Quá nhiều lượt gửi" in text(refused)
    assert "<link" not in text(refused)
    assert count() == 3
    assert phones[3].get(f"/c/{site.code}").status_code == 200  # the page itself still opens


def test_the_per_site_limit_counts_every_address(app, site):
    app.config["CHECKIN_LIMIT_PER_SITE"] = "2 per minute"
    for n in range(2):
        phone = new_phone(app)
        phone.environ_base["REMOTE_ADDR"] = f"10.0.0.{n + 1}"
        assert submit(phone, site.code).status_code == 200
    late = new_phone(app)
    late.environ_base["REMOTE_ADDR"] = "10.0.0.9"
    assert submit(late, site.code).status_code == 429
    assert count() == 2


def _limits(response) -> tuple[str, ...]:
    return tuple(response.headers.get(h) for h in ("X-RateLimit-Limit", "X-RateLimit-Remaining"))


def test_limit_headers_name_the_shortest_address_limit_then_the_one_exceeded(app, site):
    """As Flask-Limiter's decorators answered: the address's shortest window while none is exceeded, else the
    one exceeded, with Retry-After until its window ends."""
    app.config.update(CHECKIN_LIMIT_PER_ADDRESS="5 per minute;2 per hour", CHECKIN_LIMIT_PER_SITE="3 per minute")
    answers = [submit(new_phone(app), site.code) for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 429]
    assert [_limits(a) for a in answers] == [("5", "4"), ("5", "3"), ("2", "0")]
    assert 0 < int(answers[0].headers["Retry-After"]) <= 60
    assert 3500 < int(answers[2].headers["Retry-After"]) <= 3600
    assert int(answers[2].headers["X-RateLimit-Reset"]) > int(answers[0].headers["X-RateLimit-Reset"])


def test_the_site_limit_is_counted_first_and_an_exceeded_one_stops_the_count(app, site, ward):
    app.config.update(CHECKIN_LIMIT_PER_ADDRESS="10 per minute", CHECKIN_LIMIT_PER_SITE="3 per minute")
    other = factories.create_site(ward, "Trường THCS Bãi Bông", "school")
    db.session.commit()
    assert [submit(new_phone(app), site.code).status_code for _ in range(4)] == [200, 200, 200, 429]
    elsewhere = submit(new_phone(app), other.code)
    assert elsewhere.status_code == 200
    assert _limits(elsewhere) == ("10", "6")  # the refused one never reached the address's counter


def test_another_strategy_goes_through_the_limiter_one_limit_at_a_time(database_url, tmp_path, site):
    code = site.code
    db.session.remove()
    config = base_config(database_url, str(tmp_path))
    worker = create_app({**config, "RATELIMIT_STRATEGY": "moving-window", "CHECKIN_LIMIT_PER_SITE": "2 per minute"})
    worker.test_client_class = CSRFClient
    with worker.app_context():
        assert [submit(worker.test_client(), code).status_code for _ in range(3)] == [200, 200, 429]
        db.session.remove()
        db.engine.dispose()


@pytest.mark.redis
@pytest.mark.skipif(not REDIS_URL, reason="Redis test skipped: set TRACKER_TEST_REDIS_URL (CI sets it)")
def test_with_redis_the_limits_cost_one_round_trip_on_the_limiters_own_keys(site, database_url, tmp_path, monkeypatch):
    """Three limits, one EVALSHA; the counters are the keys Flask-Limiter's decorators used (limiter.reset()
    clears them, workers of either version share them)."""
    import redis

    from tracker.extensions import limiter

    prefix = f"test-{random.randrange(10**9)}"
    code = site.code
    db.session.remove()
    config = base_config(database_url, str(tmp_path))
    worker = create_app({**config, "RATELIMIT_STORAGE_URI": REDIS_URL, "RATELIMIT_KEY_PREFIX": prefix})
    worker.test_client_class = CSRFClient
    with worker.app_context():
        assert submit(worker.test_client(), code).status_code == 200  # loads the script into Redis
        phone = worker.test_client()
        token = form_token(phone.get(f"/c/{code}"))
        sent = []
        execute = redis.Redis.execute_command
        monkeypatch.setattr(
            redis.Redis, "execute_command", lambda self, *a, **k: sent.append(a[0]) or execute(self, *a, **k)
        )
        response = phone.post(f"/c/{code}", data={"csrf_token": token}, csrf=False)
        monkeypatch.undo()
        assert response.status_code == 200 and _limits(response) == ("30", "28")
        assert sent == ["EVALSHA"]
        connection = limiter.storage.get_connection()
        keys = sorted(key.decode() for key in connection.keys(f"LIMITS:LIMITER/{prefix}/*"))
        assert keys == [
            f"LIMITS:LIMITER/{prefix}/127.0.0.1/checkin.submit/30/1/minute",
            f"LIMITS:LIMITER/{prefix}/127.0.0.1/checkin.submit/300/1/hour",
            f"LIMITS:LIMITER/{prefix}/{code}/checkin-site/600/1/minute",
        ]
        assert [int(connection.get(key)) for key in keys] == [2, 2, 2]
        connection.delete(*keys)
        db.session.remove()
        db.engine.dispose()


def _worker(database_url, tmp_path):
    config = base_config(database_url, str(tmp_path))
    app = create_app({**config, "RATELIMIT_STORAGE_URI": REDIS_URL, "CHECKIN_LIMIT_PER_SITE": "3 per minute"})
    app.test_client_class = CSRFClient
    return app


def _phone_at(app, address: str) -> CSRFClient:
    phone = app.test_client()
    phone.environ_base["REMOTE_ADDR"] = address
    return phone


@pytest.mark.redis
@pytest.mark.skipif(not REDIS_URL, reason="Redis test skipped: set TRACKER_TEST_REDIS_URL (CI sets it)")
def test_two_workers_share_the_per_site_limit_through_redis(app, site, database_url, tmp_path):
    """Worker 2 starts with a fresh limiter: the two check-ins it knows of can only come from Redis.
    The site's code is new in every run, so counts left in Redis by earlier runs never meet this one."""
    prefix = f"10.{random.randrange(256)}.{random.randrange(256)}"
    code = site.code
    db.session.remove()
    first = _worker(database_url, tmp_path)
    with first.app_context():
        for n in (1, 2):
            assert submit(_phone_at(first, f"{prefix}.{n}"), code).status_code == 200
        db.session.remove()
        db.engine.dispose()
    second = _worker(database_url, tmp_path)
    with second.app_context():
        assert submit(_phone_at(second, f"{prefix}.3"), code).status_code == 200
        assert submit(_phone_at(second, f"{prefix}.4"), code).status_code == 429
        assert count() == 3
        db.session.remove()
        db.engine.dispose()
