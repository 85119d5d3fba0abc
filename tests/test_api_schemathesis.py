"""schemathesis against the API: the served OpenAPI document (/api/v1/openapi.json) is what the API answers.

Every default phase (the document's examples, its coverage of each parameter's edges, fuzzing, stateful sequences
following the links) and every default check (server errors, status codes, content types, response schemas and
headers, valid data accepted, invalid data and missing credentials refused) runs with a fixed seed and few examples,
as an admin with an API token, against rows of every kind. The app is served on a loopback port by a thread of this
process: schemathesis 4.32's in-process WSGI transport cannot send its unauthenticated probe (it passes requests'
`max_redirects` on to werkzeug's test client).
"""

import threading
from collections import defaultdict

import pytest
import schemathesis
from schemathesis.config import SchemathesisConfig
from schemathesis.engine import events, from_schema
from werkzeug.serving import WSGIRequestHandler, make_server

from tests import factories
from tests.test_api import assert_error, bearer, document_count, new_document
from tracker.extensions import db
from tracker.reports import services as reports

EXAMPLES = 10
SEED = 20261207

# A schema-valid request may still be refused with 422 for what no JSON schema says: a unit id that names no unit,
# a reference not in the state or party pattern, a weight of 0 sent as a string, an admin's report without a unit.
POSITIVE_STATUSES = ["2xx", "3xx", "401", "403", "404", "409", "422", "429", "5xx"]


class QuietHandler(WSGIRequestHandler):
    def log_request(self, *args, **kwargs):
        pass


def run(app, token: str) -> dict[tuple[str, str], list[str]]:
    """The failures of a whole run, by (operation, check): one line per failing request."""
    server = make_server("127.0.0.1", 0, app, request_handler=QuietHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        config = SchemathesisConfig.from_dict(
            {
                "seed": SEED,
                "headers": {"Authorization": f"Bearer {token}"},
                "generation": {"max-examples": EXAMPLES, "deterministic": True, "database": "none"},
                "checks": {"positive_data_acceptance": {"expected-statuses": POSITIVE_STATUSES}},
            }
        )
        url = f"http://127.0.0.1:{server.server_port}/api/v1/openapi.json"
        schema = schemathesis.openapi.from_url(url, config=config)
        failures = defaultdict(list)
        for event in from_schema(schema).execute():
            if isinstance(event, events.FatalError | events.NonFatalError):
                failures[(event.label or "", "error")].append(repr(event.value))
            if not isinstance(event, events.ScenarioFinished):
                continue
            for case_id, checks in event.recorder.checks.items():
                for check in checks:
                    if check.failure_info is None:
                        continue
                    failure = check.failure_info.failure
                    interaction = event.recorder.interactions.get(case_id)
                    request = f"{interaction.request.method} {interaction.request.uri}" if interaction else "?"
                    status = interaction.response.status_code if interaction and interaction.response else "-"
                    label = event.recorder.cases[case_id].value.operation.label
                    failures[(label, f"{failure.code} {failure.title}")].append(f"{request} → {status}")
        return failures
    finally:
        server.shutdown()
        thread.join()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # the document, not the database, is tested
def test_schemathesis_finds_nothing(app, users, ward):
    factories.create_one_of_each(ward, users["member"])
    reports.submit(reports.create_report(ward.id, "2026-Q2"), users["manager"])  # submitted: one to return
    reports.create_report(ward.id, "2026-Q3")  # a draft: one to edit and submit
    db.session.commit()
    token = bearer(users["admin"])["Authorization"].removeprefix("Bearer ")
    failures = run(app, token)
    report = "\n".join(
        f"{operation}: {check} ×{len(requests)}, e.g. {requests[0]}"
        for (operation, check), requests in sorted(failures.items())
    )
    assert not failures, f"schemathesis found:\n{report}"


# --- what it found, each kept by a test of its own ------------------------------------------------------------


def test_a_write_to_an_id_past_the_largest_is_404_not_405(client, users):
    headers = bearer(users["admin"])
    for method in ("get", "patch"):
        response = getattr(client, method)("/api/v1/documents/2147483648", json={"version": 1}, headers=headers)
        assert_error(response, 404, "not_found")
    response = client.post("/api/v1/tasks/99999999999/updates", json={}, headers=headers)
    assert_error(response, 404, "not_found")


def test_a_write_without_credentials_is_401_before_the_csrf_check(client, users, ward):
    response = client.post("/api/v1/documents", json=new_document(ward), csrf=False)
    assert_error(response, 401, "unauthorized")
    assert document_count() == 0


def test_a_query_parameter_sent_twice_is_refused(client, users):
    headers = bearer(users["viewer"])
    error = assert_error(client.get("/api/v1/documents?page=1&page=2", headers=headers), 422, "invalid")
    assert error["fields"] == {"page": "Tham số “page” chỉ được gửi một lần."}
    assert client.get("/api/v1/documents?page=1", headers=headers).status_code == 200
