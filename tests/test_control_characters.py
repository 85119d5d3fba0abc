"""Control characters (NUL and the rest of C0 but tab and line breaks) in text input: a form field, an API field or
an import cell holding one is refused naming it, with nothing written; a search or filter drops them. PostgreSQL
refuses NUL in text, so on it any of these reaching the database would be a 500."""

import io
import re
from urllib.parse import quote

import pytest
from sqlalchemy import func, select

from tests import factories
from tests.test_api import assert_error, bearer
from tests.test_site_import import csv_bytes
from tests.test_sites_views import form, listed
from tracker import imports
from tracker.extensions import db
from tracker.sites.imports import SiteImport
from tracker.sites.models import Site
from tracker.text import clean, fold

INVALID = "chứa ký tự không hợp lệ"


def site_count() -> int:
    return db.session.scalar(select(func.count(Site.id)))


def test_clean_and_fold_drop_control_characters():
    assert clean("\x00Chợ\x07 Bãi\tBông\x1f") == "Chợ Bãi Bông"
    assert fold("Bãi\x00 Bông") == "bai bong"


@pytest.mark.parametrize("bad", ["\x00", "\x07", "\x1b"])
def test_a_form_field_with_a_control_character_is_refused_naming_it(client, auth, users, ward, bad):
    auth.login("member")
    response = client.post("/sites/new", data=form(name=f"Chợ{bad} Bãi Bông"))
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert f"Trường “name” {INVALID}" in body
    assert site_count() == 0


def test_tabs_and_line_breaks_are_not_control_characters_here(client, auth, users, ward):
    auth.login("member")
    response = client.post("/sites/new", data=form(name="Chợ\tBãi\r\nBông"))
    assert response.status_code == 302
    assert db.session.scalar(select(Site.name)) == "Chợ Bãi Bông"


def test_an_api_field_with_a_nul_is_refused_naming_it(client, users, ward):
    body = {"unit_id": ward.id, "name": "Chợ\x00 Bãi Bông", "kind": "market", "address": "Tổ\x01 5"}
    error = assert_error(client.post("/api/v1/sites", json=body, headers=bearer(users["member"])), 422, "invalid")
    assert INVALID in error["fields"]["name"] and "“name”" in error["fields"]["name"]
    assert INVALID in error["fields"]["address"]
    assert site_count() == 0


def test_an_import_cell_with_a_nul_is_an_error_of_its_row(client, auth, users, ward):
    auth.login("member")
    data = csv_bytes("Chợ Bãi Bông,Chợ,,,,,", "Trường\x00 Tiểu học,Trường học,,,,,")
    page = client.post("/sites/import", data={"file": (io.BytesIO(data), "diem.csv"), "unit": "05860"})
    assert page.status_code == 400
    html = page.get_data(as_text=True)
    assert f"Dòng 3, Tên điểm: Trường “Tên điểm” {INVALID}" in html
    assert 'name="token"' not in html
    assert site_count() == 0


def test_the_engine_names_the_row_and_column_of_a_control_character(app, ward):
    result = imports.preview(SiteImport(None, ward), csv_bytes("Chợ Bãi Bông,Chợ,Tổ\x07 5,,,,"), "diem.csv")
    (row,) = result.rows
    assert row.number == 2 and row.action == imports.ERROR
    assert INVALID in row.errors["address"] and "Địa chỉ" in row.errors["address"]
    assert row.values["address"] == "Tổ 5"  # what the row's checks read: no NUL reaches a lookup


@pytest.mark.parametrize("path", ["/sites/", "/documents/", "/units/", "/services/"])  # the lists with a search box
def test_a_search_drops_control_characters(client, auth, users, path):
    auth.login("admin")
    page = client.get(f"{path}?q=%00ab%07c")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    # The search ran on what is left: the box shows it back without the control characters, which are gone.
    assert re.search(r'<input[^>]*name="q"[^>]*value="abc"', html), html
    assert "\x00" not in html and "\x07" not in html and "&#0;" not in html


def test_the_sites_list_finds_through_a_nul_and_reads_its_filters(client, auth, users, ward):
    factories.create_site(ward, "Chợ Bãi Bông", "market")
    db.session.commit()
    auth.login("viewer")
    assert listed(client.get(f"/sites/?q=%00{quote('Bãi Bông')}")) == ["Chợ Bãi Bông"]
    assert listed(client.get("/sites/?unit=%0005860&kind=market%00")) == ["Chợ Bãi Bông"]


def test_the_api_sites_list_drops_control_characters_of_its_search(client, users, ward):
    factories.create_site(ward, "Chợ Bãi Bông", "market")
    db.session.commit()
    response = client.get(f"/api/v1/sites?q=%00{quote('Bãi')}", headers=bearer(users["viewer"]))
    assert response.status_code == 200
    assert [s["name"] for s in response.json["items"]] == ["Chợ Bãi Bông"]
