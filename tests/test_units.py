"""Administrative units: the official list, search, the unit page, creating and merging units."""

import re
from datetime import UTC, date, datetime

from sqlalchemy import func, select

from tests import factories
from tests.test_site_counts import kept, recount
from tracker.audit import AuditEvent
from tracker.boards.models import Board, BoardKind, MemberRole, Membership
from tracker.extensions import db
from tracker.sites.codes import new_code
from tracker.sites.models import CheckIn, Site, SiteStatus
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


# --- a merge hands the living registries to the successor -------------------------------------------------


def _old_ward_with_registries(province):
    """A pre-2025 ward with two active sites (one scanned), a retired one, and a board with two open seats and
    one that ended before the merger."""
    bai_bong = factories.create_unit("Phường Bãi Bông", "ward", parent=province)
    market = Site(unit=bai_bong, name="Chợ Bãi Bông", kind="market", code=new_code())
    school = Site(unit=bai_bong, name="Trường Tiểu học Bãi Bông", kind="school", code=new_code())
    closed = Site(unit=bai_bong, name="Quán cũ", kind="other", code=new_code(), status=SiteStatus.RETIRED)
    board = Board(unit=bai_bong, kind=BoardKind.STEERING_BOARD, name="Ban chỉ đạo phường Bãi Bông", target_size=3)
    seats = [
        Membership(board=board, person_name="Nguyễn Văn A", role=MemberRole.HEAD, starts_on=date(2021, 12, 13)),
        Membership(board=board, person_name="Nguyễn Văn B", role=MemberRole.MEMBER, starts_on=date(2021, 12, 13)),
        Membership(
            board=board, person_name="Nguyễn Văn C", role=MemberRole.MEMBER, starts_on=date(2021, 12, 13),
            ends_on=date(2023, 5, 31),
        ),
    ]  # fmt: skip
    db.session.add_all([market, school, closed, board, *seats])
    db.session.flush()
    db.session.add(CheckIn(site_id=market.id, at=datetime(2025, 6, 20, 2, tzinfo=UTC), device_hash="a"))
    db.session.commit()
    return bai_bong, (market, school, closed), seats


def test_merge_moves_active_sites_with_their_check_ins_and_ends_the_old_boards_seats(
    client, auth, users, province, ward
):
    bai_bong, (market, school, closed), seats = _old_ward_with_registries(province)
    codes = {s.id: s.code for s in (market, school, closed)}
    auth.login("admin")
    form = client.get("/units/merge").get_data(as_text=True)
    assert "Giữ nguyên thành viên Ban của đơn vị cũ" in form

    response = client.post(
        "/units/merge", data={"sources": f"#{bai_bong.id}", "into": "05860", "on": "01/07/2025"}, follow_redirects=True
    )
    assert response.status_code == 200
    assert "2 điểm QR chuyển sang đơn vị tiếp nhận, 2 thành viên Ban thôi tham gia" in response.get_data(as_text=True)
    db.session.expire_all()

    # Active sites now belong to the successor, same codes, same check-ins; the retired one stays behind.
    assert (market.unit_id, school.unit_id, closed.unit_id) == (ward.id, ward.id, bai_bong.id)
    assert {s.id: s.code for s in (market, school, closed)} == codes
    assert db.session.scalar(select(func.count(CheckIn.id)).where(CheckIn.site_id == market.id)) == 1
    assert market.last_checkin_at is not None
    assert kept() == recount()  # the per-unit counts the triggers keep followed the move
    # The poster names the ward the site now belongs to.
    assert market.unit.name == "Phường Phổ Yên"

    # The open seats ended on the merger day; the seat that had ended before is untouched; the board stays.
    assert [m.ends_on for m in seats] == [date(2025, 7, 1), date(2025, 7, 1), date(2023, 5, 31)]
    assert seats[0].board.unit_id == bai_bong.id
    assert client.get(f"/boards/{seats[0].board_id}").status_code == 200  # readable as history

    (event,) = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "merge")).all()
    assert (event.entity, event.entity_id, event.actor_name) == ("units", ward.id, "admin")
    assert event.changes["sites_moved"] == 2 and event.changes["seats_ended"] == 2
    assert event.changes["sources"] == [[bai_bong.id, "Phường Bãi Bông"]] and event.changes["on"] == "2025-07-01"
    moved = db.session.scalars(
        select(AuditEvent).where(AuditEvent.entity == "sites", AuditEvent.entity_id == market.id)
    ).all()
    assert any(e.changes.get("unit_id") == [bai_bong.id, ward.id] for e in moved)  # each row change audited too


def test_merge_may_keep_the_old_boards_seats(client, auth, users, province, ward):
    bai_bong, (market, _school, _closed), seats = _old_ward_with_registries(province)
    auth.login("admin")
    data = {"sources": f"#{bai_bong.id}", "into": "05860", "on": "01/07/2025", "keep_seats": "y"}
    assert client.post("/units/merge", data=data).status_code == 302
    db.session.expire_all()
    assert [m.ends_on for m in seats] == [None, None, date(2023, 5, 31)]
    assert market.unit_id == ward.id  # the sites move all the same
    (event,) = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "merge")).all()
    assert event.changes["seats_kept"] is True and event.changes["seats_ended"] == 0


def test_merge_refused_by_a_seat_starting_after_it_writes_nothing(client, auth, users, province, ward):
    bai_bong, (market, _school, _closed), seats = _old_ward_with_registries(province)
    late = Membership(
        board=seats[0].board, person_name="Trần Thị D", role=MemberRole.MEMBER, starts_on=date(2025, 8, 1)
    )
    db.session.add(late)
    db.session.commit()
    auth.login("admin")
    page = client.post("/units/merge", data={"sources": f"#{bai_bong.id}", "into": "05860", "on": "01/07/2025"})
    assert page.status_code == 400
    assert "Trần Thị D bắt đầu tham gia Ban sau ngày sáp nhập" in page.get_data(as_text=True)
    db.session.expire_all()
    assert bai_bong.valid_to is None and bai_bong.merged_into_id is None
    assert market.unit_id == bai_bong.id and [m.ends_on for m in seats[:2]] == [None, None]
    assert db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "merge")) == 0


def test_units_merge_command_moves_the_registries_in_one_transaction(runner, users, province, ward):
    bai_bong, (market, _school, closed), seats = _old_ward_with_registries(province)
    bad = runner.invoke(args=["units", "merge", f"#{bai_bong.id}", "--into", "05860", "--on", "31/02/2025"])
    assert bad.exit_code != 0 and "Ngày sáp nhập" in bad.output
    db.session.expire_all()
    assert bai_bong.merged_into_id is None and market.unit_id == bai_bong.id  # nothing written

    result = runner.invoke(args=["units", "merge", f"#{bai_bong.id}", "--into", "05860", "--on", "01/07/2025"])
    assert result.exit_code == 0, result.output
    assert "2 điểm QR chuyển sang đơn vị tiếp nhận, 2 thành viên Ban thôi tham gia" in result.output
    db.session.expire_all()
    assert bai_bong.merged_into_id == ward.id and (market.unit_id, closed.unit_id) == (ward.id, bai_bong.id)
    assert seats[0].ends_on == date(2025, 7, 1)
    (event,) = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "merge")).all()
    assert event.actor_name == "cli:units merge"
