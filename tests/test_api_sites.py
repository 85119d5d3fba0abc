"""/api/v1 sites: the registry (list, register, read with check-in counts, edit with no lost update, retire),
code rotation, QR images and posters, for each role and scope."""

import io
from datetime import timedelta
from urllib.parse import urlsplit

import pypdfium2
import pytest
import zxingcpp
from PIL import Image
from sqlalchemy import func, select

from tests import factories
from tests.test_api import assert_error, bearer
from tracker.checkin import services as checkin
from tracker.db import utcnow
from tracker.extensions import db
from tracker.sites import services
from tracker.sites.codes import grouped
from tracker.sites.models import RetiredSiteCode, Site, SiteStatus

BASE = "https://cds.example.gov.vn"  # PUBLIC_BASE_URL of the tests


def site_count() -> int:
    return db.session.scalar(select(func.count(Site.id)))


def new_site(ward, **overrides) -> dict:
    fields = {
        "unit_id": ward.id,
        "name": "Trường THCS Bãi Bông",
        "kind": "school",
        "address": "Tổ 3",
        "contact_name": "Nguyễn Văn A",
        "contact_phone": "0912345678",
    }
    return fields | overrides


def pdf_pages(data: bytes) -> list[str]:
    """The text of each page."""
    assert data.startswith(b"%PDF-")
    pdf = pypdfium2.PdfDocument(data)
    try:
        return [" ".join(page.get_textpage().get_text_range().split()) for page in pdf]
    finally:
        pdf.close()


@pytest.fixture
def other_ward(app, province):
    return factories.create_unit("Phường Ba Hàng", "ward", parent=province, code="05862")


@pytest.fixture
def registry(app, users, ward, other_ward):
    """Three sites of the ward (one retired), one of another ward."""
    made = {
        "market": factories.create_site(ward, "Chợ Bãi Bông", "market", address="Tổ 5"),
        "school": factories.create_site(ward, "Trường Tiểu học Bãi Bông", "school"),
        "old": factories.create_site(ward, "Nhà văn hóa cũ", "other"),
        "elsewhere": factories.create_site(other_ward, "Chợ Ba Hàng", "market"),
    }
    services.set_status(made["old"], "retired", expected_version=None)
    db.session.commit()
    return made


# --- reading --------------------------------------------------------------------------------------------------


def test_list_in_scope_with_filters(client, users, ward, registry):
    viewer = bearer(users["viewer"])

    def names(query="") -> list[str]:
        response = client.get(f"/api/v1/sites{query}", headers=viewer)
        assert response.status_code == 200, response.get_data(as_text=True)
        return [item["name"] for item in response.json["items"]]

    assert names() == ["Chợ Bãi Bông", "Trường Tiểu học Bãi Bông"]  # active ones of the viewer's ward, by name
    assert names("?status=retired") == ["Nhà văn hóa cũ"]
    assert len(names("?status=all")) == 3
    assert names("?kind=school") == ["Trường Tiểu học Bãi Bông"]
    assert names("?q=cho bai") == ["Chợ Bãi Bông"]
    assert names(f"?q={grouped(registry['school'].code).lower()}") == ["Trường Tiểu học Bãi Bông"]
    assert names(f"?unit_id={ward.id}&per_page=1") == ["Chợ Bãi Bông"]
    everything = client.get("/api/v1/sites?status=all", headers=bearer(users["admin"])).json
    assert everything["total"] == 4


def test_list_refuses_a_unit_out_of_scope_and_bad_filters(client, users, other_ward, registry):
    viewer = bearer(users["viewer"])
    assert_error(client.get(f"/api/v1/sites?unit_id={other_ward.id}", headers=viewer), 403, "forbidden")
    for query, field in (("kind=hamlet", "kind"), ("status=gone", "status"), ("unit_id=999999", "unit_id")):
        error = assert_error(client.get(f"/api/v1/sites?{query}", headers=viewer), 422, "invalid")
        assert set(error["fields"]) == {field}


def test_a_site_reads_with_its_fields_and_check_in_counts(client, users, ward, registry):
    site = registry["market"]
    now = utcnow()
    for n, days in enumerate((0, 3, 10, 45)):
        checkin.check_in(db.session.connection(), site.code, f"device-{n}", now=now - timedelta(days=days, minutes=1))
    db.session.commit()
    response = client.get(f"/api/v1/sites/{site.id}", headers=bearer(users["viewer"]))
    assert response.status_code == 200
    body = response.json
    assert body["checkins"]["total"] == 4
    assert (body["checkins"]["last7"], body["checkins"]["last30"]) == (2, 3)
    assert body["checkins"]["last_at"].startswith((now - timedelta(minutes=1)).date().isoformat())
    assert body == body | {
        "id": site.id,
        "unit_id": ward.id,
        "name": "Chợ Bãi Bông",
        "kind": "market",
        "address": "Tổ 5",
        "status": "active",
        "code": site.code,
        "code_grouped": grouped(site.code),
        "url": f"{BASE}/c/{site.code}",
        "poster_printed_at": None,
        "version": 1,
    }


def test_reading_a_site_out_of_scope_or_unknown(client, users, registry):
    viewer = bearer(users["viewer"])
    assert_error(client.get(f"/api/v1/sites/{registry['elsewhere'].id}", headers=viewer), 403)
    assert_error(client.get("/api/v1/sites/999999", headers=viewer), 404, "not_found")
    assert_error(client.get(f"/api/v1/sites/{registry['market'].id}"), 401)


# --- registering ----------------------------------------------------------------------------------------------


def test_a_member_registers_a_site_in_scope(client, users, ward):
    response = client.post("/api/v1/sites", json=new_site(ward), headers=bearer(users["member"]))
    assert response.status_code == 201, response.get_data(as_text=True)
    body = response.json
    assert response.headers["Location"].endswith(f"/api/v1/sites/{body['id']}")
    assert len(body["code"]) == 12 and body["url"] == f"{BASE}/c/{body['code']}"
    assert body["qr_images"] == {fmt: f"{BASE}/qr/{body['code']}.{fmt}" for fmt in ("svg", "png")}
    assert body["checkins"] == {"total": 0, "last7": 0, "last30": 0, "last_at": None}
    site = db.session.get(Site, body["id"])
    assert (site.name, site.kind.value, site.contact_phone, site.unit_id) == (
        "Trường THCS Bãi Bông",
        "school",
        "0912345678",
        ward.id,
    )


def test_registering_through_the_cookie_needs_the_csrf_header(client, auth, users, ward):
    auth.login("member")
    assert_error(client.post("/api/v1/sites", json=new_site(ward), csrf=False), 400, "bad_request")
    assert client.post("/api/v1/sites", json=new_site(ward)).status_code == 201
    assert site_count() == 1


def test_kind_defaults_to_other(client, users, ward):
    body = {"unit_id": ward.id, "name": "Điểm mới"}
    assert client.post("/api/v1/sites", json=body, headers=bearer(users["manager"])).json["kind"] == "other"


def test_who_may_register_where(client, users, ward, other_ward):
    assert_error(client.post("/api/v1/sites", json=new_site(ward), headers=bearer(users["viewer"])), 403)
    elsewhere = new_site(other_ward)
    assert_error(client.post("/api/v1/sites", json=elsewhere, headers=bearer(users["member"])), 403, "forbidden")
    assert site_count() == 0
    assert client.post("/api/v1/sites", json=elsewhere, headers=bearer(users["admin"])).status_code == 201


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"name": "  "}, "name"),
        ({"name": None}, "name"),
        ({"kind": "hamlet"}, "kind"),
        ({"address": "x" * 501}, "address"),
        ({"contact_phone": 912345678}, "contact_phone"),
        ({"unit_id": 999999}, "unit_id"),
        ({"unit_id": "05860"}, "unit_id"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_registering_bad_input_is_422(client, users, ward, overrides, field):
    error = assert_error(
        client.post("/api/v1/sites", json=new_site(ward, **overrides), headers=bearer(users["manager"])), 422
    )
    assert field in error["fields"]
    assert site_count() == 0


def test_registering_without_a_unit_names_it(client, users):
    error = assert_error(client.post("/api/v1/sites", json={"name": "A"}, headers=bearer(users["manager"])), 422)
    assert set(error["fields"]) == {"unit_id"}


# --- editing --------------------------------------------------------------------------------------------------


def test_a_member_edits_a_site_and_a_stale_version_is_409(client, users, registry):
    site = registry["market"]
    member = bearer(users["member"])
    patch = {"version": 1, "name": "Chợ Bãi Bông mới", "address": "Tổ 6", "code": "ignored"}
    response = client.patch(f"/api/v1/sites/{site.id}", json=patch, headers=member)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert (response.json["name"], response.json["address"], response.json["version"]) == (
        "Chợ Bãi Bông mới",
        "Tổ 6",
        2,
    )
    assert response.json["kind"] == "market"  # left out, kept
    stale = client.patch(f"/api/v1/sites/{site.id}", json={"version": 1, "name": "Ghi đè"}, headers=member)
    error = assert_error(stale, 409, "conflict")
    assert "version" in error["fields"]
    assert db.session.get(Site, site.id).name == "Chợ Bãi Bông mới"


@pytest.mark.parametrize(
    "patch, field",
    [
        ({"name": "Không có version"}, "version"),
        ({"version": 1, "unit_id": 1}, "unit_id"),
        ({"version": 1, "kind": ""}, "kind"),
    ],
)
def test_editing_bad_input_is_422(client, users, registry, patch, field):
    site = registry["market"]
    error = assert_error(client.patch(f"/api/v1/sites/{site.id}", json=patch, headers=bearer(users["manager"])), 422)
    assert field in error["fields"]
    assert db.session.get(Site, site.id).version == 1


def test_retiring_is_for_managers(client, users, registry):
    site = registry["market"]
    retire = {"version": 1, "status": "retired"}
    assert_error(client.patch(f"/api/v1/sites/{site.id}", json=retire, headers=bearer(users["member"])), 403)
    assert db.session.get(Site, site.id).status == SiteStatus.ACTIVE
    response = client.patch(f"/api/v1/sites/{site.id}", json=retire, headers=bearer(users["manager"]))
    assert response.status_code == 200
    assert response.json["status"] == "retired"
    assert client.get(f"/c/{site.code}").status_code == 410
    back = {"version": response.json["version"], "status": "active", "name": "Chợ Bãi Bông (mở lại)"}
    reopened = client.patch(f"/api/v1/sites/{site.id}", json=back, headers=bearer(users["manager"])).json
    assert (reopened["status"], reopened["name"]) == ("active", "Chợ Bãi Bông (mở lại)")


def test_editing_out_of_scope_or_as_a_viewer_is_403(client, users, registry):
    patch = {"version": 1, "name": "X"}
    assert_error(
        client.patch(f"/api/v1/sites/{registry['market'].id}", json=patch, headers=bearer(users["viewer"])), 403
    )
    elsewhere = registry["elsewhere"].id
    assert_error(client.patch(f"/api/v1/sites/{elsewhere}", json=patch, headers=bearer(users["manager"])), 403)
    assert db.session.get(Site, elsewhere).name == "Chợ Ba Hàng"


# --- rotating -------------------------------------------------------------------------------------------------


def test_a_manager_rotates_the_code_and_the_old_one_answers_410(client, users, registry):
    site = registry["market"]
    old = site.code
    response = client.post(
        f"/api/v1/sites/{site.id}/rotate-code", json={"version": 1}, headers=bearer(users["manager"])
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    code = response.json["code"]
    assert code != old and response.json["url"] == f"{BASE}/c/{code}"
    assert response.json["code_grouped"] == grouped(code)
    assert db.session.get(RetiredSiteCode, old).site_id == site.id
    assert client.get(f"/c/{old}").status_code == 410
    assert client.get(f"/c/{code}").status_code == 200
    again = client.post(f"/api/v1/sites/{site.id}/rotate-code", headers=bearer(users["admin"]))  # no body
    assert again.status_code == 200


def test_rotating_is_for_managers_in_scope_with_a_fresh_version(client, users, registry):
    site = registry["market"]
    path = f"/api/v1/sites/{site.id}/rotate-code"
    assert_error(client.post(path, json={}, headers=bearer(users["member"])), 403)
    assert_error(
        client.post(f"/api/v1/sites/{registry['elsewhere'].id}/rotate-code", headers=bearer(users["manager"])), 403
    )
    assert_error(client.post(path, json={"version": 7}, headers=bearer(users["manager"])), 409, "conflict")
    assert_error(client.post(path, json={"version": "1"}, headers=bearer(users["manager"])), 422)
    assert db.session.get(Site, site.id).code == site.code


# --- QR images and posters ------------------------------------------------------------------------------------


def test_the_qr_images_decode_to_the_check_in_page(client, users, registry):
    site = registry["market"]
    viewer = bearer(users["viewer"])
    svg = client.get(f"/api/v1/sites/{site.id}/qr.svg", headers=viewer)
    assert svg.status_code == 200 and svg.mimetype == "image/svg+xml" and svg.headers["ETag"]
    png = client.get(f"/api/v1/sites/{site.id}/qr.png", headers=viewer)
    assert png.status_code == 200 and png.mimetype == "image/png"
    (found,) = zxingcpp.read_barcodes(Image.open(io.BytesIO(png.data)))
    assert found.text == f"{BASE}/c/{site.code}".upper()
    assert client.get(urlsplit(found.text).path).status_code == 200  # /C/<CODE> routes to the check-in
    cached = client.get(f"/api/v1/sites/{site.id}/qr.svg", headers={**viewer, "If-None-Match": svg.headers["ETag"]})
    assert cached.status_code == 304
    assert_error(client.get(f"/api/v1/sites/{registry['elsewhere'].id}/qr.png", headers=viewer), 403)


def test_a_member_prints_a_poster_and_the_site_counts_as_printed(client, users, registry):
    site = registry["market"]
    response = client.get(f"/api/v1/sites/{site.id}/poster.pdf?layout=A5", headers=bearer(users["member"]))
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert "attachment" in response.headers["Content-Disposition"]
    (page,) = pdf_pages(response.data)
    assert "Chợ Bãi Bông" in page and grouped(site.code) in page
    assert db.session.get(Site, site.id).poster_printed_at is None  # a GET only reads
    marked = client.post(f"/api/v1/sites/{site.id}/printed", headers=bearer(users["member"]))
    assert marked.status_code == 200 and marked.json["poster_printed_at"]
    assert db.session.get(Site, site.id).poster_printed_at is not None
    assert client.post(f"/api/v1/sites/{site.id}/printed", headers=bearer(users["viewer"])).status_code == 403


def test_a_poster_is_refused_to_viewers_for_retired_sites_and_bad_layouts(client, users, registry):
    member = bearer(users["member"])
    market = registry["market"].id
    assert_error(client.get(f"/api/v1/sites/{market}/poster.pdf", headers=bearer(users["viewer"])), 403)
    error = assert_error(client.get(f"/api/v1/sites/{market}/poster.pdf?layout=a3", headers=member), 422)
    assert set(error["fields"]) == {"layout"}
    error = assert_error(client.get(f"/api/v1/sites/{registry['old'].id}/poster.pdf", headers=member), 422)
    assert "ngừng hoạt động" in error["fields"]["status"]
    assert_error(client.get(f"/api/v1/sites/{registry['elsewhere'].id}/poster.pdf", headers=member), 403)
    assert db.session.get(Site, market).poster_printed_at is None


def test_bulk_posters_of_chosen_sites(client, users, registry):
    ids = [registry["school"].id, registry["market"].id]
    response = client.post("/api/v1/posters", json={"site_ids": ids, "layout": "a4"}, headers=bearer(users["member"]))
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "application/pdf"
    pages = pdf_pages(response.get_data())
    assert len(pages) == 2
    assert "Chợ Bãi Bông" in pages[0] and "Trường Tiểu học Bãi Bông" in pages[1]  # the list's order, by name
    assert all(db.session.get(Site, i).poster_printed_at is not None for i in ids)


def test_bulk_posters_of_a_units_filtered_sites(client, users, ward, registry):
    body = {"unit_id": ward.id, "kind": "school", "layout": "a4x4"}
    response = client.post("/api/v1/posters", json=body, headers=bearer(users["manager"]))
    assert response.status_code == 200, response.get_data(as_text=True)
    (page,) = pdf_pages(response.get_data())
    assert "Trường Tiểu học Bãi Bông" in page and "Chợ Bãi Bông" not in page
    unprinted = client.post(
        "/api/v1/posters", json={"unit_id": ward.id, "printed": "no"}, headers=bearer(users["manager"])
    )
    assert [len(pdf_pages(unprinted.get_data()))] == [1]  # the school has been printed: only the market is left


def test_bulk_posters_out_of_scope_is_403(client, users, registry, other_ward):
    member = bearer(users["member"])
    mixed = {"site_ids": [registry["market"].id, registry["elsewhere"].id]}
    assert_error(client.post("/api/v1/posters", json=mixed, headers=member), 403, "forbidden")
    assert_error(client.post("/api/v1/posters", json={"unit_id": other_ward.id}, headers=member), 403)
    assert_error(
        client.post("/api/v1/posters", json={"site_ids": [registry["market"].id]}, headers=bearer(users["viewer"])), 403
    )
    assert db.session.get(Site, registry["market"].id).poster_printed_at is None


@pytest.mark.parametrize(
    "body, field",
    [
        (lambda w, r: {"site_ids": []}, "site_ids"),
        (lambda w, r: {"site_ids": "1,2"}, "site_ids"),
        (lambda w, r: {"site_ids": [True]}, "site_ids"),
        (lambda w, r: {"site_ids": [999999]}, "site_ids"),
        (lambda w, r: {"site_ids": [r["old"].id]}, "site_ids"),  # retired sites do not print
        (lambda w, r: {}, "unit_id"),
        (lambda w, r: {"unit_id": 999999}, "unit_id"),
        (lambda w, r: {"unit_id": w.id, "layout": "a3"}, "layout"),
        (lambda w, r: {"unit_id": w.id, "kind": "heritage_site"}, "unit_id"),  # nothing matches
        (lambda w, r: {"unit_id": w.id, "status": "retired"}, "unit_id"),
        (lambda w, r: {"unit_id": w.id, "site_ids": [r["market"].id]}, "unit_id"),  # one or the other
    ],
)
def test_bulk_posters_bad_or_empty_requests_are_422(client, users, ward, registry, body, field):
    response = client.post("/api/v1/posters", json=body(ward, registry), headers=bearer(users["member"]))
    error = assert_error(response, 422, "invalid")
    assert field in error["fields"]
    assert not db.session.scalar(select(func.count(Site.id)).where(Site.poster_printed_at.is_not(None)))


# --- the declared contract ------------------------------------------------------------------------------------


def test_every_answer_of_the_registry_fits_its_declared_schema(client, users, ward, registry):
    from tests.test_api_contract import fits

    doc = client.get("/api/v1/openapi.json").json
    manager = bearer(users["manager"])
    created = client.post("/api/v1/sites", json=new_site(ward), headers=manager)
    fits(doc, "SiteDetail", created.json)
    assert set(created.json) == set(doc["components"]["schemas"]["SiteDetail"]["properties"])
    fits(doc, "CheckIns", created.json["checkins"])
    fits(doc, "QrImages", created.json["qr_images"])
    listed = client.get("/api/v1/sites?status=all", headers=manager).json
    fits(doc, "SiteList", listed)
    for item in listed["items"]:
        fits(doc, "Site", item)
    site = registry["market"]
    edited = client.patch(f"/api/v1/sites/{site.id}", json={"version": 1, "address": None}, headers=manager)
    fits(doc, "SiteDetail", edited.json)
    assert edited.json["address"] == ""  # null clears a text, as before
    rotated = client.post(f"/api/v1/sites/{site.id}/rotate-code", headers=manager).json
    fits(doc, "CodeRotated", rotated)
    assert rotated == {
        "id": site.id,
        "code": rotated["code"],
        "code_grouped": grouped(rotated["code"]),
        "url": f"{BASE}/c/{rotated['code']}",
        "version": 3,
    }
    printed = client.post(f"/api/v1/sites/{site.id}/printed", json={}, headers=manager)
    fits(doc, "SiteDetail", printed.json)
    refused = client.post("/api/v1/sites", json={"name": "A"}, headers=manager)
    fits(doc, "Error", refused.json)


def test_the_qr_images_and_posters_declare_their_content_types(client):
    doc = client.get("/api/v1/openapi.json").json
    binary = {"type": "string", "format": "binary"}
    for path, method, media_type in (
        ("/sites/{site_id}/qr.svg", "get", "image/svg+xml"),
        ("/sites/{site_id}/qr.png", "get", "image/png"),
        ("/sites/{site_id}/poster.pdf", "get", "application/pdf"),
        ("/posters", "post", "application/pdf"),
    ):
        operation = doc["paths"][path][method]
        assert operation["responses"]["200"]["content"] == {media_type: {"schema": binary}}, path
    for image in ("/sites/{site_id}/qr.svg", "/sites/{site_id}/qr.png"):
        operation = doc["paths"][image]["get"]
        assert "304" in operation["responses"] and "429" not in operation["responses"]
        assert [p["name"] for p in operation["parameters"]] == ["site_id"]
    poster = doc["paths"]["/sites/{site_id}/poster.pdf"]["get"]
    assert poster["operationId"] == "site_poster"  # tracker.api.openapi's heavy reads are named by it
    assert {"422", "429"} <= set(poster["responses"])
    assert [p["name"] for p in poster["parameters"]] == ["site_id", "layout"]


def test_the_sites_bodies_are_declared_closed(client):
    doc = client.get("/api/v1/openapi.json").json
    schemas = doc["components"]["schemas"]
    for name in ("SiteCreate", "SitePatch", "CodeRotate", "MarkPrinted", "PosterRequest"):
        assert schemas[name]["additionalProperties"] is False, name
    assert schemas["SiteCreate"]["required"] == ["name", "unit_id"]
    assert schemas["SitePatch"]["required"] == ["version"]
    assert {"code", "qr_images", "checkins", "status"} <= {
        field for field, prop in schemas["SiteCreate"]["properties"].items() if prop.get("readOnly")
    }
    assert schemas["PosterRequest"]["properties"]["site_ids"] | {"description": ""} == {
        "type": "array",
        "items": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1},
        "minItems": 1,
        "description": "",
    }
    for path in ("/sites/{site_id}/rotate-code", "/sites/{site_id}/printed"):
        assert doc["paths"][path]["post"]["requestBody"]["required"] is False, path
    assert doc["paths"]["/posters"]["post"]["requestBody"]["required"] is True


def test_an_optional_body_may_be_left_out_but_what_is_sent_is_checked(client, users, registry):
    site = registry["market"]
    member = bearer(users["member"])
    printed = f"/api/v1/sites/{site.id}/printed"
    error = assert_error(client.post(printed, json={"note": "x"}, headers=member), 422)
    assert error["fields"] == {"note": "Trường “note” không được hỗ trợ."}
    assert_error(client.post(printed, data="note=x", headers=member), 415)
    assert db.session.get(Site, site.id).poster_printed_at is None
    assert client.post(printed, headers=member).status_code == 200
    rotate = f"/api/v1/sites/{site.id}/rotate-code"
    manager = bearer(users["manager"])
    assert_error(client.post(rotate, data="version=1", headers=manager), 415)
    assert_error(client.post(rotate, json={"version": 7, "code": "ignored"}, headers=manager), 409)
    assert db.session.get(Site, site.id).code == site.code


def test_bulk_posters_name_each_bad_id_list_in_vietnamese(client, users, registry):
    member = bearer(users["member"])
    for ids, message in (
        ([], "Trường “site_ids” phải là danh sách id điểm QR, không rỗng."),
        (None, "Trường “site_ids” phải là danh sách id điểm QR, không rỗng."),
        ({"id": 1}, "Trường “site_ids” phải là danh sách id điểm QR, không rỗng."),
        ([1, "2"], "Trường “site_ids” chỉ gồm các id điểm QR (số nguyên dương)."),
        ([0], "Trường “site_ids” chỉ gồm các id điểm QR (số nguyên dương)."),
        ([2**31], "Trường “site_ids” chỉ gồm các id điểm QR (số nguyên dương)."),
    ):
        error = assert_error(client.post("/api/v1/posters", json={"site_ids": ids}, headers=member), 422)
        assert error["fields"] == {"site_ids": message}, ids
    twice = [registry["market"].id, registry["market"].id]  # an id sent twice prints once
    response = client.post("/api/v1/posters", json={"site_ids": twice}, headers=member)
    assert len(pdf_pages(response.get_data())) == 1
