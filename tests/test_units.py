"""Administrative units: the official list, search, the unit page, creating and merging units."""

import re
from datetime import date

from sqlalchemy import func, select

from tests import factories
from tracker.audit import AuditEvent
from tracker.extensions import db
from tracker.units.models import Unit, UnitKind


def field_error(page, name: str) -> str:
    """The Vietnamese message the form shows next to one field ('' when none)."""
    match = re.search(rf'data-field="{name}">([^<]*)<', page.get_data(as_text=True))
    return match.group(1) if match else ""


def unit_count() -> int:
    return db.session.scalar(select(func.count(Unit.id)))


def audit_count() -> int:
    return db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.entity == "units"))


def test_units_load_imports_official_list_once(app, runner, client, auth):
    first = runner.invoke(args=["units", "load"])
    assert first.exit_code == 0, first.output
    assert "3355 mới" in first.output
    by_kind = dict(db.session.execute(select(Unit.kind, func.count(Unit.id)).group_by(Unit.kind)).all())
    assert by_kind[UnitKind.PROVINCE] == 34
    assert by_kind[UnitKind.COMMUNE] + by_kind[UnitKind.WARD] + by_kind[UnitKind.SPECIAL_ZONE] == 3321

    second = runner.invoke(args=["units", "load"])
    assert second.exit_code == 0, second.output
    assert "0 mới, 0 cập nhật, 3355 không đổi" in second.output

    # The same operation from the admin screen creates nothing new either.
    factories.create_user("admin", "admin")
    db.session.commit()
    auth.login("admin")
    page = client.post("/units/load", follow_redirects=True)
    assert page.status_code == 200
    assert "0 mới, 0 cập nhật, 3.355 không đổi" in page.get_data(as_text=True)
    assert unit_count() == 3355


def test_load_is_admin_only(client, auth, users):
    auth.login("manager")
    assert client.post("/units/load").status_code == 403
    assert unit_count() == 2


def test_search_ignores_accents_and_stays_in_scope(client, auth, users, province, ward):
    factories.create_unit("Phường Bãi Bông", "ward", parent=province)
    factories.create_unit("Tổ dân phố Bãi Bông 3", "residential_group", parent=ward)
    factories.create_unit("Phường Ba Hàng", "ward", parent=province)
    db.session.commit()

    auth.login("admin")
    page = client.get("/units/?q=bai+bong").get_data(as_text=True)
    assert "Phường Bãi Bông" in page
    assert "Tổ dân phố Bãi Bông 3" in page
    assert "Phường Ba Hàng" not in page

    auth.logout()
    auth.login("viewer")  # scoped to the ward: the other ward is out of reach
    page = client.get("/units/?q=BAI BONG").get_data(as_text=True)
    assert "Tổ dân phố Bãi Bông 3" in page
    assert "Phường Bãi Bông<" not in page


def test_kind_filter_and_ended_units_marked(client, auth, users, province, ward):
    old = factories.create_unit("Phường Bãi Bông", "ward", parent=province)
    old.merged_into = ward
    old.valid_to = date(2025, 7, 1)
    factories.create_unit("Xã Thành Công", "commune", parent=province, valid_to=date(2025, 6, 30))
    db.session.commit()
    auth.login("admin")

    page = client.get("/units/?kind=ward").get_data(as_text=True)
    assert "Phường Bãi Bông" in page and "Phường Phổ Yên" in page
    assert "Xã Thành Công" not in page
    assert "Đã sáp nhập vào Phường Phổ Yên" in page

    page = client.get("/units/?kind=commune").get_data(as_text=True)
    assert "Xã Thành Công" in page and "Hết hiệu lực từ 30/06/2025" in page
    assert "Phường Bãi Bông" not in page


def test_index_is_paginated(app, client, auth, users, province):
    app.config["PER_PAGE"] = 2
    for n in range(3):
        factories.create_unit(f"Xã Số {n}", "commune", parent=province)
    db.session.commit()
    auth.login("admin")
    first = client.get(f"/units/?parent_id={province.id}").get_data(as_text=True)
    assert first.count('data-testid="unit-row"') == 2
    assert "Trang 1 / 2" in first
    second = client.get(f"/units/?parent_id={province.id}&page=2").get_data(as_text=True)
    assert second.count('data-testid="unit-row"') == 2


def test_unit_page_shows_facts_children_and_history(client, auth, users, province, ward):
    factories.create_unit("Tổ dân phố số 1", "residential_group", parent=ward)
    db.session.commit()
    auth.login("viewer")
    page = client.get(f"/units/{ward.id}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "05860" in text
    assert "Thái Nguyên" in text  # the parent, shown without a link: it is outside the viewer's scope
    assert f'href="/units/{province.id}"' not in text
    assert "Tổ dân phố số 1" in text
    assert 'data-testid="history"' in text and "tạo mới" in text


def test_unit_outside_scope_is_refused(client, auth, users, province):
    auth.login("viewer")
    assert client.get(f"/units/{province.id}").status_code == 403
    assert client.get(f"/units/?parent_id={province.id}").status_code == 403


def test_merge_ends_units_and_successor_takes_their_records(client, auth, users, province, ward):
    bai_bong = factories.create_unit("Phường Bãi Bông", "ward", parent=province)
    dong_tien = factories.create_unit("Phường Đồng Tiến", "ward", parent=province, code="05861")
    document = factories.create_document(bai_bong)
    db.session.commit()

    auth.login("manager")
    assert client.get(f"/documents/{document.id}").status_code == 403

    auth.logout()
    auth.login("admin")
    response = client.post(
        "/units/merge", data={"sources": f"#{bai_bong.id}, 05861", "into": "05860", "on": "01/07/2025"}
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/units/{ward.id}")
    db.session.expire_all()
    for old in (bai_bong, dong_tien):
        assert old.valid_to == date(2025, 7, 1)
        assert old.merged_into_id == ward.id

    successor = client.get(f"/units/{ward.id}").get_data(as_text=True)
    predecessors = successor.split('data-testid="unit-predecessors"')[1].split("</section>")[0]
    assert f'href="/units/{bai_bong.id}"' in predecessors and "Phường Đồng Tiến" in predecessors
    old_page = client.get(f"/units/{bai_bong.id}").get_data(as_text=True)
    assert f'href="/units/{ward.id}" data-testid="unit-merged-into"' in old_page
    assert "01/07/2025" in old_page  # the change is in the row's history, as dd/mm/yyyy

    auth.logout()
    auth.login("manager")  # the successor's manager now reaches the merged unit's records
    assert client.get(f"/units/{bai_bong.id}").status_code == 200
    assert client.get(f"/documents/{document.id}").status_code == 200
    assert 'data-testid="document-ref">37/KH-UBND<' in client.get("/documents/").get_data(as_text=True)


def test_merge_into_own_descendant_is_refused(client, auth, users, province, ward):
    auth.login("admin")
    before = audit_count()
    page = client.post("/units/merge", data={"sources": "19", "into": "05860", "on": "2025-07-01"})
    assert page.status_code == 400
    assert "vào chính nó hoặc vào đơn vị cấp dưới" in field_error(page, "into")
    db.session.expire_all()
    assert province.valid_to is None and province.merged_into_id is None
    assert audit_count() == before


def test_merge_into_itself_is_refused(client, auth, users, ward):
    auth.login("admin")
    page = client.post("/units/merge", data={"sources": "05860", "into": "05860", "on": "2025-07-01"})
    assert page.status_code == 400
    assert "vào chính nó" in field_error(page, "into")


def test_merge_unknown_code_is_a_field_error(client, auth, users, ward):
    auth.login("admin")
    page = client.post("/units/merge", data={"sources": "99999\n#424242", "into": "05860", "on": "2025-07-01"})
    assert page.status_code == 400
    assert field_error(page, "sources") == "Không có đơn vị nào mang mã “99999, #424242”."
    page = client.post("/units/merge", data={"sources": "05860", "into": "00000", "on": "2025-07-01"})
    assert page.status_code == 400
    assert "00000" in field_error(page, "into")


def test_merge_of_ended_unit_is_refused(client, auth, users, province, ward):
    ended = factories.create_unit("Xã Cũ", "commune", parent=province, code="05899", valid_to=date(2025, 6, 30))
    db.session.commit()
    auth.login("admin")
    page = client.post("/units/merge", data={"sources": "05899", "into": "05860", "on": "2025-07-01"})
    assert page.status_code == 400
    assert "đã hết hiệu lực" in field_error(page, "sources")
    db.session.expire_all()
    assert ended.merged_into_id is None


def test_merge_needs_a_valid_date(client, auth, users, province, ward):
    factories.create_unit("Xã Mới", "commune", parent=province, code="05898")
    db.session.commit()
    auth.login("admin")
    page = client.post("/units/merge", data={"sources": "05898", "into": "05860", "on": "31/02/2025"})
    assert page.status_code == 400
    assert field_error(page, "on").startswith("Ngày “31/02/2025” không hợp lệ")


def test_merge_is_admin_only(client, auth, users):
    auth.login("manager")
    assert client.get("/units/merge").status_code == 403
    assert client.post("/units/merge", data={"sources": "05860", "into": "19", "on": "2025-07-01"}).status_code == 403


def test_manager_creates_a_unit_in_scope(client, auth, users, ward):
    auth.login("manager")
    form = client.get("/units/new?parent=05860")
    assert form.status_code == 200 and 'value="05860"' in form.get_data(as_text=True)
    response = client.post(
        "/units/new", data={"name": "Tổ dân phố số 7", "kind": "residential_group", "parent": "05860"}
    )
    assert response.status_code == 302
    unit = db.session.scalar(select(Unit).where(Unit.name == "Tổ dân phố số 7"))
    assert unit.parent_id == ward.id and unit.code is None
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Tổ dân phố số 7" in page and "tạo mới" in page


def test_create_unit_with_unknown_parent_is_a_field_error(client, auth, users):
    auth.login("manager")
    page = client.post("/units/new", data={"name": "Tổ 8", "kind": "residential_group", "parent": "77777"})
    assert page.status_code == 400
    assert "77777" in field_error(page, "parent")
    assert unit_count() == 2


def test_create_unit_outside_scope_or_by_viewer_is_refused(client, auth, users):
    auth.login("manager")
    data = {"name": "Tổ 9", "kind": "residential_group", "parent": "19"}
    assert client.post("/units/new", data=data).status_code == 403
    auth.logout()
    auth.login("viewer")
    assert client.get("/units/new").status_code == 403
    assert unit_count() == 2
