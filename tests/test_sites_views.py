"""The site registry screens: registering (and the live QR task that follows), editing with no lost update,
retiring, rotating codes, the filterable list with its statistics and bulk printing, and who may do what."""

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from tests import factories
from tests.test_export import statement_count
from tracker.extensions import db
from tracker.programs import progress
from tracker.programs.models import TaskUpdate
from tracker.sites.codes import grouped
from tracker.sites.models import RetiredSiteCode, Site, SiteStatus


def text(page) -> str:
    return page.get_data(as_text=True)


def field_error(page, name: str) -> str:
    match = re.search(rf'data-field="{name}">([^<]*)<', text(page))
    return match.group(1) if match else ""


def listed(page) -> list[str]:
    """The site names of a list page, in order."""
    return re.findall(r'data-testid="site-name">([^<]*)<', text(page))


def shown_in(page, name: str) -> str:
    match = re.search(rf'data-testid="{name}"[^>]*>([^<]*)<', text(page))
    return match.group(1).strip() if match else ""


def site_count() -> int:
    return db.session.scalar(select(func.count(Site.id)))


def form(**fields) -> dict:
    return {"unit": "05860", "name": "Chợ Bãi Bông", "kind": "market", "address": "Tổ 5", **fields}


@pytest.fixture
def other_ward(app, province):
    return factories.create_unit("Phường Ba Hàng", "ward", parent=province, code="05862")


# --- registering -------------------------------------------------------------------------------------


def test_a_member_registers_a_site_and_the_qr_points_task_moves(client, auth, users, ward):
    program = factories.create_program(ward)
    task = factories.create_task(program, "600 điểm QR", source="sites_registered", target=Decimal(600))
    db.session.commit()
    assert progress.evaluate_task(task).value == 0
    auth.login("member")
    page = client.get("/sites/new")
    assert page.status_code == 200 and 'value="05860"' in text(page)  # the member's unit by default
    response = client.post("/sites/new", data=form(contact_name="Nguyễn Văn A", contact_phone="0912 345 678"))
    assert response.status_code == 302
    site = db.session.scalars(select(Site)).one()
    assert response.headers["Location"].endswith(f"/sites/{site.id}")
    assert (site.name, site.kind, site.unit_id) == ("Chợ Bãi Bông", "market", ward.id)
    assert (site.contact_name, site.contact_phone) == ("Nguyễn Văn A", "0912 345 678")
    assert progress.evaluate_task(task).value == Decimal(1)
    system = db.session.scalars(select(TaskUpdate).where(TaskUpdate.task_id == task.id, TaskUpdate.value == 1)).all()
    assert len(system) == 1 and system[0].user_id is None
    shown = client.get(response.headers["Location"])
    assert f"mã {grouped(site.code)}" in text(shown)
    assert shown_in(shown, "site-code") == grouped(site.code)
    assert shown_in(shown, "site-payload") == f"HTTPS://CDS.EXAMPLE.GOV.VN/C/{site.code}"
    assert 'data-testid="history"' in text(shown)


def test_a_site_of_a_unit_without_a_code(client, auth, users, ward):
    group = factories.create_unit("Tổ dân phố 5", "residential_group", parent=ward)
    db.session.commit()
    auth.login("member")
    assert client.post("/sites/new", data=form(unit=f"#{group.id}")).status_code == 302
    assert db.session.scalars(select(Site.unit_id)).one() == group.id


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"name": "  "}, "name", "Hãy nhập tên điểm QR."),
        ({"kind": "castle"}, "kind", "Hãy chọn một mục trong danh sách."),
        ({"unit": "99999"}, "unit", "Không có đơn vị nào mang mã “99999”."),
        ({"name": "x" * 301}, "name", "Dài tối đa 300 ký tự."),
    ],
)
def test_bad_input_is_refused_with_its_message(client, auth, users, fields, field, message):
    auth.login("member")
    response = client.post("/sites/new", data=form(**fields))
    assert response.status_code == 400
    assert field_error(response, field) == message
    assert site_count() == 0


def test_every_bad_field_is_named_at_once(client, auth, users):
    auth.login("member")
    response = client.post("/sites/new", data=form(unit="99999", name=""))
    assert response.status_code == 400
    assert field_error(response, "unit") and field_error(response, "name")


def test_a_duplicate_name_is_saved_with_a_warning_naming_the_other_site(client, auth, users, ward):
    first = factories.create_site(ward, "Chợ Bãi Bông", "market")
    db.session.commit()
    auth.login("member")
    response = client.post("/sites/new", data=form(name="cho bai BONG"), follow_redirects=True)
    assert response.status_code == 200 and site_count() == 2
    warning = re.search(r'<p class="flash flash-warning">(.*?)</p>', text(response)).group(1)
    assert f'href="/sites/{first.id}"' in warning and "Chợ Bãi Bông" in warning and grouped(first.code) in warning


# --- access ------------------------------------------------------------------------------------------


def test_another_units_site_is_refused(client, auth, users, other_ward):
    site = factories.create_site(other_ward, "Chợ Ba Hàng", "market")
    db.session.commit()
    for role in ("manager", "member", "viewer"):
        auth.login(role)
        assert client.get(f"/sites/{site.id}").status_code == 403
        assert client.get(f"/sites/{site.id}/edit").status_code == 403
        assert "Chợ Ba Hàng" not in listed(client.get("/sites/"))
        assert client.get("/sites/?unit=05862").status_code == 403
        auth.logout()
    auth.login("manager")
    data = {"version": "1", "name": "Đổi tên", "kind": "market", "status": "retired"}
    assert client.post(f"/sites/{site.id}/edit", data=data).status_code == 403
    assert client.post(f"/sites/{site.id}/status", data=data).status_code == 403
    assert client.post(f"/sites/{site.id}/rotate", data=data).status_code == 403
    assert client.post("/sites/new", data=form(unit="05862", name="Chợ mới")).status_code == 403
    assert site_count() == 1
    auth.logout()
    auth.login("admin")
    assert client.get(f"/sites/{site.id}").status_code == 200
    assert client.get("/sites/999999").status_code == 404


def test_who_may_do_what_on_a_site(client, auth, users, ward):
    site = factories.create_site(ward, "Chợ Bãi Bông", "market")
    db.session.commit()
    auth.login("viewer")
    assert client.get("/sites/new").status_code == 403
    assert client.post("/sites/new", data=form()).status_code == 403
    page = client.get(f"/sites/{site.id}")
    assert page.status_code == 200
    assert 'data-testid="site-edit"' not in text(page) and 'data-testid="rotate"' not in text(page)
    assert 'data-testid="site-create"' not in text(client.get("/sites/"))
    auth.logout()
    auth.login("member")
    page = client.get(f"/sites/{site.id}")
    assert 'data-testid="site-edit"' in text(page) and 'data-testid="rotate"' not in text(page)
    assert client.post(f"/sites/{site.id}/rotate", data={"version": "1"}).status_code == 403
    assert client.post(f"/sites/{site.id}/status", data={"version": "1", "status": "retired"}).status_code == 403
    auth.logout()
    auth.login("manager")
    page = text(client.get(f"/sites/{site.id}"))
    assert 'data-testid="rotate"' in page and 'data-testid="retire"' in page and "data-confirm=" in page


def test_the_menu_links_to_the_sites(client, auth, users):
    auth.login("viewer")
    assert 'href="/sites/"' in text(client.get("/programs/"))


# --- editing, retiring, rotating ---------------------------------------------------------------------


def test_a_member_edits_a_site_and_a_stale_form_is_409(client, auth, users, ward):
    site = factories.create_site(ward, "Chợ Bãi Bông", "market")
    db.session.commit()
    auth.login("member")
    page = client.get(f"/sites/{site.id}/edit")
    assert page.status_code == 200 and 'value="Chợ Bãi Bông"' in text(page)
    data = {"version": "1", "name": "Chợ Bãi Bông mới", "kind": "market", "address": "Tổ 6"}
    assert client.post(f"/sites/{site.id}/edit", data=data).status_code == 302
    assert (site.name, site.address, site.version) == ("Chợ Bãi Bông mới", "Tổ 6", 2)
    stale = client.post(f"/sites/{site.id}/edit", data={**data, "name": "Ghi đè"})  # still at version 1
    assert stale.status_code == 409
    assert "vừa được người khác sửa" in text(stale)
    assert site.name == "Chợ Bãi Bông mới"
    missing = client.post(f"/sites/{site.id}/edit", data={**data, "version": ""})
    assert missing.status_code == 400 and "thiếu thông tin phiên bản" in text(missing)
    empty = client.post(f"/sites/{site.id}/edit", data={**data, "version": "2", "name": ""})
    assert empty.status_code == 400 and field_error(empty, "name") == "Hãy nhập tên điểm QR."


def test_a_manager_retires_and_reactivates_a_site(client, auth, users, ward):
    site = factories.create_site(ward, "Chợ Bãi Bông", "market")
    db.session.commit()
    auth.login("manager")
    assert client.post(f"/sites/{site.id}/status", data={"version": "1", "status": "retired"}).status_code == 302
    assert site.status == SiteStatus.RETIRED
    assert listed(client.get("/sites/")) == []
    assert listed(client.get("/sites/?status=retired")) == ["Chợ Bãi Bông"]
    stale = client.post(f"/sites/{site.id}/status", data={"version": "1", "status": "active"})
    assert stale.status_code == 409 and site.status == SiteStatus.RETIRED
    junk = client.post(f"/sites/{site.id}/status", data={"version": "2", "status": "gone"})
    assert junk.status_code == 400
    assert client.post(f"/sites/{site.id}/status", data={"version": "2", "status": "active"}).status_code == 302
    assert site.status == SiteStatus.ACTIVE


def test_rotating_a_code(client, auth, users, ward):
    site = factories.create_site(ward, "Chợ Bãi Bông", "market")
    site.poster_printed_at = datetime.now(UTC)
    db.session.commit()
    old = site.code
    auth.login("manager")
    response = client.post(f"/sites/{site.id}/rotate", data={"version": str(site.version)}, follow_redirects=True)
    assert response.status_code == 200
    assert site.code != old and site.poster_printed_at is None
    retired = db.session.get(RetiredSiteCode, old)
    assert retired is not None and retired.site_id == site.id
    assert client.get(f"/c/{old}").status_code == 410 and client.get(f"/c/{site.code}").status_code == 200
    assert grouped(site.code) in shown_in(response, "site-code")
    assert f"mã mới {grouped(site.code)}" in text(response) and grouped(old) in text(response)
    retired_panel = text(response).split('data-testid="retired-codes"')[1].split("</section>")[0]
    assert f"<code>{grouped(old)}</code>" in retired_panel
    stale = client.post(f"/sites/{site.id}/rotate", data={"version": "1"})
    assert stale.status_code == 409
    assert db.session.scalar(select(func.count()).select_from(RetiredSiteCode)) == 1


# --- the list ----------------------------------------------------------------------------------------


@pytest.fixture
def registry(app, ward, other_ward, users):
    """Four sites of the ward (one retired), one with a printed poster, one scanned recently; one elsewhere."""
    now = datetime.now(UTC)
    made = {
        "market": factories.create_site(ward, "Chợ Bãi Bông", "market", address="Tổ 5"),
        "school": factories.create_site(ward, "Trường Tiểu học Phổ Yên", "school"),
        "agency": factories.create_site(ward, "UBND phường Phổ Yên", "agency"),
        "closed": factories.create_site(ward, "Cửa hàng đã đóng", "household_business"),
        "elsewhere": factories.create_site(other_ward, "Chợ Ba Hàng", "market"),
    }
    made["market"].code = "7K3M9QXAB2CD"
    made["school"].poster_printed_at = datetime(2025, 7, 1, 3, 0, tzinfo=UTC)
    made["closed"].status = SiteStatus.RETIRED
    for ago in (timedelta(hours=1), timedelta(days=3), timedelta(days=10), timedelta(days=60)):
        factories.check_in(made["market"], now - ago)
    factories.check_in(made["agency"], now - timedelta(days=45))
    db.session.commit()
    return made


def test_search_by_name_address_and_typed_code(client, auth, registry):
    auth.login("member")
    assert listed(client.get("/sites/?q=cho+bai+bong")) == ["Chợ Bãi Bông"]
    assert listed(client.get("/sites/?q=7k3m-9qxa-b2cd")) == ["Chợ Bãi Bông"]
    assert listed(client.get("/sites/?q=7K3M 9QXA B2CD")) == ["Chợ Bãi Bông"]
    assert listed(client.get("/sites/?q=tổ 5")) == ["Chợ Bãi Bông"]
    assert listed(client.get("/sites/?q=phổ yên")) == ["Trường Tiểu học Phổ Yên", "UBND phường Phổ Yên"]
    assert listed(client.get("/sites/?q=không+có")) == []


def test_filters(client, auth, registry):
    auth.login("member")
    assert listed(client.get("/sites/")) == ["Chợ Bãi Bông", "Trường Tiểu học Phổ Yên", "UBND phường Phổ Yên"]
    assert listed(client.get("/sites/?printed=yes")) == ["Trường Tiểu học Phổ Yên"]
    assert listed(client.get("/sites/?printed=no")) == ["Chợ Bãi Bông", "UBND phường Phổ Yên"]
    assert listed(client.get("/sites/?activity=active")) == ["Chợ Bãi Bông"]
    assert listed(client.get("/sites/?activity=inactive")) == ["Trường Tiểu học Phổ Yên", "UBND phường Phổ Yên"]
    assert listed(client.get("/sites/?status=retired")) == ["Cửa hàng đã đóng"]
    assert len(listed(client.get("/sites/?status=all"))) == 4
    assert listed(client.get("/sites/?kind=school")) == ["Trường Tiểu học Phổ Yên"]
    assert listed(client.get("/sites/?kind=castle&printed=maybe")) == listed(client.get("/sites/"))
    unknown = client.get("/sites/?unit=99999")
    assert unknown.status_code == 400 and field_error(unknown, "unit") == "Không có đơn vị nào mang mã “99999”."
    auth.logout()
    auth.login("admin")
    page = client.get("/sites/")
    assert len(listed(page)) == 4  # an admin without a unit sees every unit
    assert 'href="/sites/new"' in text(page)
    assert listed(client.get("/sites/?unit=05862")) == ["Chợ Ba Hàng"]


def test_each_row_shows_its_code_poster_and_scans(client, auth, registry):
    auth.login("member")
    page = text(client.get("/sites/"))
    rows = dict(re.findall(r'data-site-id="(\d+)">(.*?)</tr>', page, re.S))
    market, school = rows[str(registry["market"].id)], rows[str(registry["school"].id)]
    assert "7K3M-9QXA-B2CD" in market and "Chợ" in market and "Phường Phổ Yên" in market
    assert re.search(r'data-testid="site-printed">chưa in<', market)
    assert re.search(r'data-testid="site-printed">01/07/2025<', school)
    assert re.search(r'data-testid="site-checkins">3<', market)
    assert re.search(r'data-testid="site-checkins">0<', school)
    assert re.search(r'data-testid="site-last-scan">—<', school)
    summary = client.get("/sites/")
    assert (shown_in(summary, "summary-registered"), shown_in(summary, "summary-printed")) == ("3", "1")
    assert (shown_in(summary, "summary-active"), shown_in(summary, "summary-checkins")) == ("1", "3")


def test_bulk_printing_posts_the_selection_or_the_filters(app, client, auth, registry):
    auth.login("member")
    page = text(client.get("/sites/?printed=no&q=ch%E1%BB%A3"))
    selected = page.split('data-testid="posters-selected"')[1].split("</form>")[0]
    assert 'action="/sites/posters"' in page
    assert f'name="site_ids" value="{registry["market"].id}"' in selected
    assert 'name="layout"' in selected and 'value="a4x4"' in selected and 'name="csrf_token"' in selected
    filtered = page.split('data-testid="posters-filtered"')[1].split("</form>")[0]
    hidden = dict(re.findall(r'type="hidden" name="(\w+)" value="([^"]*)"', filtered))
    assert hidden.pop("csrf_token")
    assert hidden == {"q": "chợ", "status": "active", "printed": "no", "unit": "05860"}
    assert 'name="site_ids"' not in filtered
    auth.logout()
    auth.login("viewer")  # the stand-in (or the real endpoint) is not open to viewers: no checkboxes
    page = text(client.get("/sites/"))
    assert 'name="site_ids"' not in page and 'data-testid="posters-filtered"' not in page


def test_the_site_page_shows_its_scan_statistics(client, auth, registry):
    auth.login("viewer")
    market = registry["market"]
    page = client.get(f"/sites/{market.id}")
    assert page.status_code == 200
    assert [shown_in(page, f"stats-{n}") for n in ("total", "7d", "30d")] == ["4", "2", "3"]
    assert re.fullmatch(r"\d\d:\d\d \d\d/\d\d/\d{4}", shown_in(page, "stats-last"))
    days = re.findall(r'<tr><td>\d\d/\d\d/\d{4}</td><td class="num">(\d+)</td></tr>', text(page))
    assert len(days) == 31 and sum(map(int, days)) == 3
    assert 'data-testid="day-chart"' in text(page)
    quiet = client.get(f"/sites/{registry['school'].id}")
    assert shown_in(quiet, "stats-total") == "0" and shown_in(quiet, "stats-last") == "chưa có"
    assert 'data-testid="day-chart"' not in text(quiet)  # no empty chart frame for a site never scanned
    assert shown_in(quiet, "stats-none") == "Chưa có lượt quét nào."


def test_the_site_page_offers_the_qr_and_posters(app, client, auth, registry):
    auth.login("member")
    site = registry["market"]
    page = text(client.get(f"/sites/{site.id}"))
    assert 'data-testid="qr-preview"' in page
    for layout in ("a4", "a5", "a4x4"):
        assert f"/sites/{site.id}/poster.pdf?layout={layout}" in page
    # The public images of the current code, to download or embed; a phone (no session) gets them too.
    for fmt in ("svg", "png"):
        assert f'href="/qr/{site.code}.{fmt}"' in page
        assert app.test_client().get(f"/qr/{site.code}.{fmt}").status_code == 200


def test_the_list_runs_the_same_statements_for_5_or_50_sites(client, auth, users, ward):
    now = datetime.now(UTC)

    def grow(numbers):
        for n in numbers:
            site = factories.create_site(ward, f"Điểm {n:02d}", "business", address=f"Số {n}")
            factories.check_in(site, now - timedelta(days=n % 40))
            if n % 3:
                site.poster_printed_at = now
        db.session.commit()

    grow(range(5))
    auth.login("member")
    client.get("/sites/")  # warm-up: first-request work is not the page's
    small = statement_count(client, "/sites/")
    grow(range(5, 50))
    large = statement_count(client, "/sites/")
    assert len(listed(client.get("/sites/"))) == 50
    assert large == small
    show_small = statement_count(client, f"/sites/{db.session.scalars(select(Site.id)).first()}")
    assert show_small < 20
