"""GET never writes (DESIGN §12): every GET route of the app, walked with real ids as the admin and as the public,
leaves every domain row and the audit log exactly as they were. Downloading or previewing a poster included: staff
mark printing with an explicit POST ("Đánh dấu đã in")."""

import re

import pytest
import sqlalchemy as sa

from tests import factories
from tracker.extensions import db

# Kept figures and rendered fragments are caches a reader fills by design (tracker.programs.figures,
# tracker.dashboards.cache): what they hold is computed from the domain rows, never typed by anyone.
CACHES = {"program_figures", "dashboard_fragments"}
ARGUMENT = re.compile(r"<(?:(\w+)(?:\(([^)]*)\))?:)?(\w+)>")


def snapshot() -> dict[str, list[tuple]]:
    """Every row of every table but the caches, in primary-key order."""
    db.session.commit()
    rows = {}
    with db.engine.connect() as conn:
        for table in db.metadata.sorted_tables:
            if table.name not in CACHES:
                rows[table.name] = [tuple(r) for r in conn.execute(sa.select(table).order_by(*table.primary_key))]
    return rows


@pytest.fixture
def world(app, users, ward):
    return factories.create_one_of_each(ward, users["member"])


def get_urls(app, values: dict) -> list[str]:
    """A URL for every GET rule but static files, its arguments filled from `values` (the first choice of an
    any(...) converter)."""
    urls = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint == "static":
            continue

        def fill(match, rule=rule):
            converter, options, name = match.groups()
            if converter == "any":
                return options.split(",")[0].strip()
            assert name in values, f"no value for <{name}> in {rule.rule}: add one to the world"
            return str(values[name])

        urls.append(ARGUMENT.sub(fill, rule.rule))
    return urls


def test_no_get_route_changes_a_domain_row_or_the_audit_log(app, client, auth, world):
    urls = get_urls(app, world)
    assert len(urls) >= 75  # every GET route of the app, checked below
    anonymous = app.test_client()
    before = snapshot()
    auth.login("admin")
    after_login = snapshot()  # signing in is a POST: it writes the login event and last_login_at
    statuses = {}
    for url in urls:
        statuses[url] = client.get(url).status_code
        anonymous.get(url)
    assert all(status < 500 for status in statuses.values()), statuses
    assert sum(status == 200 for status in statuses.values()) >= 70, statuses
    after = snapshot()
    changed = [name for name in after if after[name] != after_login[name]]
    assert changed == [], {name: (after_login[name][-3:], after[name][-3:]) for name in changed}
    assert before.keys() == after.keys()
