"""A unit typed by name in a real Chromium: "bai bong" in the site form's unit field offers Phường Bãi Bông (fed by
/units/suggest through static/js/app.js), and the form saves the site on it."""

from datetime import date
from uuid import uuid4

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from tests import factories
from tests.e2e.conftest import DESKTOP, PHONE, WARD
from tracker.extensions import db
from tracker.sites.models import Site
from tracker.units.models import Unit

pytestmark = pytest.mark.browser


def _bai_bong(app) -> tuple[int, str]:
    """Phường Bãi Bông as the demo has it: no code, merged into the ward (so in the ward's accounts' scope); its id
    and its suggestion as written ("Name, Parent (#id)"). Another browser test of the session may have made it
    under another parent first: the suggestion is read from the row, not assumed."""
    with app.app_context():
        unit = db.session.scalar(select(Unit).where(Unit.name == "Phường Bãi Bông"))
        if unit is None:
            ward = db.session.scalar(select(Unit).where(Unit.name == WARD))
            unit = factories.create_unit(
                "Phường Bãi Bông", "ward", parent=ward.parent, valid_to=date(2025, 6, 30), merged_into=ward
            )
            db.session.commit()
        unit_id, written = unit.id, f"{unit.name}, {unit.parent.name} ({unit.code or f'#{unit.id}'})"
        db.session.remove()
        return unit_id, written


@pytest.mark.parametrize("device", [DESKTOP, PHONE], ids=["1280", "390"])
def test_typing_a_name_without_accents_offers_the_unit_and_saves(live_server, new_context, log_in, device, tmp_path):
    bai_bong_id, expected = _bai_bong(live_server.app)
    page: Page = new_context(device).new_page()
    log_in(page, "member")
    page.goto("/sites/new")
    unit = page.get_by_label("Đơn vị", exact=True)
    unit.fill("")
    unit.press_sequentially("bai bong")
    suggestions = page.locator(f"datalist#{unit.get_attribute('id')}-suggestions option")
    expect(suggestions).to_have_count(1)
    assert suggestions.first.get_attribute("value") == expected
    assert "phuong bai bong" in suggestions.first.get_attribute("label")  # so Chromium shows it for "bai bong"
    page.screenshot(path=str(tmp_path / f"unit-suggestions-{device['viewport']['width']}.png"), full_page=True)

    unit.fill(expected)  # what choosing the suggestion puts in the field
    name = f"Chợ Bãi Bông {uuid4().hex[:8]}"
    page.get_by_label("Tên điểm").fill(name)
    page.get_by_label("Loại điểm").select_option(label="Chợ")
    page.get_by_test_id("site-save").click()
    page.wait_for_url(lambda url: "/sites/new" not in url)
    expect(page.get_by_text("Phường Bãi Bông").first).to_be_visible()
    with live_server.app.app_context():
        assert db.session.scalar(select(Site.unit_id).where(Site.name == name)) == bai_bong_id
        db.session.remove()


def test_the_typed_name_alone_saves_without_a_suggestion(live_server, new_context, log_in):
    """No script needed: the server reads the name as typed."""
    bai_bong_id, _written = _bai_bong(live_server.app)
    context = new_context(DESKTOP)
    page = context.new_page()
    log_in(page, "member")
    context.route("**/static/js/app.js", lambda route: route.abort())
    page.goto("/sites/new")
    page.get_by_label("Đơn vị", exact=True).fill("BAI BONG")
    name = f"Nhà văn hóa {uuid4().hex[:8]}"
    page.get_by_label("Tên điểm").fill(name)
    page.get_by_label("Loại điểm").select_option(label="Chợ")
    page.get_by_test_id("site-save").click()
    page.wait_for_url(lambda url: "/sites/new" not in url)
    with live_server.app.app_context():
        assert db.session.scalar(select(Site.unit_id).where(Site.name == name)) == bai_bong_id
        db.session.remove()
