"""Limits per API token or signed-in user: every API write shares API_WRITE_LIMIT, the exports and posters (API and
pages) share HEAVY_LIMIT; a 429 in the API's JSON error shape (or the HTML page) with Retry-After."""

import re

from sqlalchemy import func, select

from tests import factories
from tests.test_api import assert_error, bearer, new_document
from tracker.auth.services import issue_api_token
from tracker.documents.models import Document
from tracker.extensions import HEAVY_ENDPOINTS, db


def documents() -> int:
    return db.session.scalar(select(func.count(Document.id)))


def assert_limited(response) -> None:
    error = assert_error(response, 429, "rate_limited")
    assert error["message"] == "Quá nhiều yêu cầu"
    assert 0 < int(response.headers["Retry-After"]) <= 60


def test_api_writes_are_limited_per_token_and_reads_are_not(app, client, users, ward):
    app.config["API_WRITE_LIMIT"] = "3 per minute"
    first, second = bearer(users["manager"]), bearer(users["manager"])  # two tokens of one account
    for n in range(3):
        body = new_document(ward, reference=f"{n + 1}/KH-UBND")
        response = client.post("/api/v1/documents", json=body, headers=first)
        assert response.status_code == 201, response.get_data(as_text=True)
    assert int(response.headers["X-RateLimit-Remaining"]) == 0
    refused = client.post("/api/v1/documents", json=new_document(ward, reference="9/KH-UBND"), headers=first)
    assert_limited(refused)
    assert documents() == 3  # the refused write wrote nothing
    document_id = db.session.scalar(select(Document.id).limit(1))
    # Every write shares the bucket: a PATCH of the same token is refused too; a bad body as well (counted first).
    assert_limited(client.patch(f"/api/v1/documents/{document_id}", json={"title": "Mới"}, headers=first))
    assert client.get("/api/v1/documents", headers=first).status_code == 200  # reads are not limited
    other = client.post("/api/v1/documents", json=new_document(ward, reference="10/KH-UBND"), headers=second)
    assert other.status_code == 201
    assert documents() == 4


def test_a_signed_in_user_writing_through_the_api_has_a_bucket_of_their_own(app, client, auth, users, ward):
    app.config["API_WRITE_LIMIT"] = "1 per minute"
    auth.login("manager")
    assert client.post("/api/v1/documents", json=new_document(ward)).status_code == 201
    assert_limited(client.post("/api/v1/documents", json=new_document(ward, reference="2/KH-UBND")))
    token = bearer(users["manager"])  # the same account with a token: counted apart
    answer = client.post("/api/v1/documents", json=new_document(ward, reference="3/KH-UBND"), headers=token)
    assert answer.status_code == 201


def test_posters_are_heavy_and_share_one_bucket_per_token(app, client, users, site):
    app.config["HEAVY_LIMIT"] = "2 per minute"
    member, admin = bearer(users["member"]), bearer(users["admin"])
    assert client.get(f"/api/v1/sites/{site.id}/poster.pdf", headers=member).status_code == 200
    bulk = client.post("/api/v1/posters", json={"site_ids": [site.id], "layout": "a4"}, headers=member)
    assert bulk.status_code == 200
    assert_limited(client.get(f"/api/v1/sites/{site.id}/poster.pdf", headers=member))
    assert_limited(client.post("/api/v1/posters", json={"site_ids": [site.id]}, headers=member))
    assert client.get(f"/api/v1/sites/{site.id}/qr.svg", headers=member).status_code == 200  # not heavy
    assert client.get(f"/api/v1/sites/{site.id}/poster.pdf", headers=admin).status_code == 200


def test_html_exports_are_limited_per_user_with_the_page(app, users, site):
    app.config["HEAVY_LIMIT"] = "2 per minute"
    manager, viewer = app.test_client(), app.test_client()
    for client, name in ((manager, "manager"), (viewer, "viewer")):
        assert client.post("/login", data={"username": name, "password": factories.PASSWORD}).status_code == 302
    assert manager.get("/sites/export.xlsx").status_code == 200
    assert manager.get("/sites/export.csv").status_code == 200
    refused = manager.get(f"/sites/{site.id}/poster.pdf")
    assert refused.status_code == 429
    assert refused.mimetype == "text/html"
    assert "Quá nhiều yêu cầu" in refused.get_data(as_text=True)
    assert 0 < int(refused.headers["Retry-After"]) <= 60
    assert manager.get("/sites/").status_code == 200  # the rest of the app is not limited
    assert viewer.get("/sites/export.csv").status_code == 200  # another user: another bucket


def test_every_export_and_poster_route_is_heavy(app):
    """A new export or poster route cannot be forgotten: each one is in HEAVY_ENDPOINTS (the import templates,
    small fixed files, are not heavy)."""
    routes = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert set(HEAVY_ENDPOINTS) <= routes
    downloads = {
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if re.search(r"(export|poster|document\.|\.xlsx|\.csv|\.pdf)", rule.rule) and "template" not in rule.rule
    }
    assert downloads == set(HEAVY_ENDPOINTS)


def test_limits_are_counted_once_when_the_app_is_built_again(app, client, users, ward, database_url, tmp_path):
    """The tests, and a reloading server, build the app more than once: a write still counts once."""
    from tests.conftest import base_config
    from tracker import create_app

    create_app(base_config(database_url, str(tmp_path)))
    app.config["API_WRITE_LIMIT"] = "2 per minute"
    token = issue_api_token(users["manager"], "once")
    db.session.commit()
    headers = {"Authorization": f"Bearer {token}"}
    answers = [client.post("/api/v1/documents", json=new_document(ward, reference=f"{n + 1}/KH-UBND"), headers=headers)
               for n in range(3)]  # fmt: skip
    assert [a.status_code for a in answers] == [201, 201, 429]
