"""The audit trail: field diffs with actor and address, security events, append-only storage, the screens."""

import re

import pytest
import sqlalchemy as sa
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from tests import factories
from tracker import audit
from tracker.audit import AuditEvent
from tracker.audit_display import field_label, row_names
from tracker.extensions import db
from tracker.units.models import Unit


def events(**where) -> list[AuditEvent]:
    stmt = select(AuditEvent).filter_by(**where).order_by(AuditEvent.id)
    return list(db.session.scalars(stmt))


def count_events() -> int:
    return db.session.scalar(select(func.count(AuditEvent.id)))


def audit_rows(html: str) -> list[tuple[str, str]]:
    """(entity, action) of each row of the audit table."""
    return [
        (entity, action)
        for action, entity in re.findall(r'data-testid="audit-row" data-action="([^"]+)" data-entity="([^"]+)"', html)
    ]


def test_unit_create_and_update_are_recorded_with_their_diff(app, province):
    db.session.commit()
    (created,) = events(entity="units", entity_id=province.id)
    assert created.action == "create"
    assert created.changes["name"] == [None, "Thái Nguyên"]
    assert created.changes["code"] == [None, "19"]
    assert created.changes["kind"] == [None, "province"]
    assert "created_at" not in created.changes and "version" not in created.changes
    assert created.actor_name == "system" and created.ip is None

    province.name = "Tỉnh Thái Nguyên"
    db.session.commit()
    updated = events(entity="units", entity_id=province.id, action="update")
    assert len(updated) == 1
    assert updated[0].changes["name"] == ["Thái Nguyên", "Tỉnh Thái Nguyên"]
    assert set(updated[0].changes) <= {"name", "search_name"}


def test_an_update_that_changes_nothing_writes_nothing(app, province):
    db.session.commit()
    before = count_events()
    province = db.session.get(Unit, province.id)  # loaded, as a request loads what it edits
    province.name = "Thái Nguyên"
    province.code = "19"
    db.session.commit()
    assert count_events() == before


def test_a_change_made_through_a_page_names_its_actor_and_address(client, auth, users):
    member = users["member"]
    auth.login("admin")
    data = {"full_name": "Nguyễn Văn A", "role": "member", "unit_code": "05860", "is_active": "y", "version": "1"}
    assert client.post(f"/admin/users/{member.id}/edit", data=data).status_code == 302

    (event,) = events(entity="users", entity_id=member.id, action="update")
    assert event.changes == {"full_name": ["Member", "Nguyễn Văn A"]}
    assert event.actor_id == users["admin"].id
    assert event.actor_name == "admin"
    assert event.ip == "127.0.0.1"

    # The same form sent again changes nothing, so it adds nothing to the trail.
    before = count_events()
    assert client.post(f"/admin/users/{member.id}/edit", data=dict(data, version="2")).status_code == 302
    assert count_events() == before


def test_logins_failures_and_refusals_are_events(client, auth, users):
    assert auth.login("viewer", "wrong-password").status_code == 401
    (failed,) = events(action="login_failed")
    assert failed.entity_id == users["viewer"].id
    assert failed.changes == {"username": "viewer", "reason": "bad_password"}
    assert failed.ip == "127.0.0.1"

    auth.login("viewer")
    (login,) = events(action="login")
    assert (login.actor_name, login.entity_id) == ("viewer", users["viewer"].id)

    assert client.get("/admin/audit").status_code == 403
    (denied,) = events(action="denied")
    assert denied.actor_name == "viewer"
    assert denied.changes == {"path": "/admin/audit", "method": "GET"}


def test_password_reset_is_an_event_without_the_password(client, auth, users):
    member = users["member"]
    auth.login("admin")
    new = "Doi-mat-khau-2025"
    assert client.post(f"/admin/users/{member.id}/password", data={"password": new, "confirm": new}).status_code == 302
    (event,) = events(action="password_reset", entity_id=member.id)
    assert event.actor_name == "admin"
    assert all(new not in str(e.changes) for e in events())


@pytest.mark.parametrize(
    "statement",
    ["UPDATE audit_events SET action = 'tampered'", "DELETE FROM audit_events"],
)
def test_the_audit_table_is_append_only(app, statement):
    audit.record("login_failed", "users", None, {"username": "x"})
    db.session.commit()
    with pytest.raises(DBAPIError):
        db.session.execute(text(statement))
    db.session.rollback()
    (event,) = events()
    assert event.action == "login_failed"


def test_audit_page_filters_by_entity_and_action(client, auth, users, province):
    province.name = "Tỉnh Thái Nguyên"
    db.session.commit()
    auth.login("admin")

    everything = audit_rows(client.get("/admin/audit").get_data(as_text=True))
    assert {("units", "create"), ("units", "update"), ("users", "create"), ("users", "login")} <= set(everything)

    response = client.get("/admin/audit?entity=units&action=update")
    assert response.status_code == 200
    assert audit_rows(response.get_data(as_text=True)) == [("units", "update")]

    html = client.get(f"/admin/audit?entity=units&entity_id={province.id}").get_data(as_text=True)
    assert audit_rows(html) == [("units", "update"), ("units", "create")]  # newest first
    assert "Tỉnh Thái Nguyên" in html

    html = client.get("/admin/audit?action=login&actor=ADM").get_data(as_text=True)
    assert audit_rows(html) == [("users", "login")]


def test_audit_page_filters_by_date(client, auth, users):
    auth.login("admin")
    today = client.get("/admin/audit?since=01/01/2000&until=2100-12-31").get_data(as_text=True)
    assert len(audit_rows(today)) == count_events()
    future = client.get("/admin/audit?since=01/01/2100").get_data(as_text=True)
    assert audit_rows(future) == []
    assert 'data-testid="audit-empty"' in future

    bad = client.get("/admin/audit?since=31/02/2025&entity_id=abc")
    assert bad.status_code == 400
    html = bad.get_data(as_text=True)
    assert "Ngày “31/02/2025” không hợp lệ: hãy nhập theo dạng ngày/tháng/năm" in html
    assert "Mã số phải là số nguyên dương." in html


def test_audit_page_shows_actor_address_and_diff(client, auth, users):
    viewer = users["viewer"]
    auth.login("admin")
    data = {"full_name": "Trần Thị B", "role": "viewer", "unit_code": "05860", "is_active": "y", "version": "1"}
    client.post(f"/admin/users/{viewer.id}/edit", data=data)
    html = client.get(f"/admin/audit?entity=users&entity_id={viewer.id}&action=update").get_data(as_text=True)
    row = html[html.index('data-testid="audit-row"') :]
    row = row[: row.index("</tr>")]
    for expected in ("admin", "127.0.0.1", "sửa", "Tài khoản «viewer»", "Họ và tên", "Viewer", "Trần Thị B"):
        assert expected in row
    assert f"users:{viewer.id}" not in row


def test_audit_page_names_rows_and_tables_in_words(client, auth, users, ward):
    from tracker.sites import services as sites

    site = sites.create_site(ward, sites.SiteFields(name="Chợ Bãi Bông", kind="market"))
    program = factories.create_program(ward)
    task = factories.create_task(program, "Thu ngân sách")
    task.position = 3
    db.session.commit()
    auth.login("admin")
    html = client.get("/admin/audit").get_data(as_text=True)
    for words in ("Điểm QR «Chợ Bãi Bông»", "Nhiệm vụ «Thu ngân sách»", "Đơn vị «Phường Phổ Yên»", "Thứ tự"):
        assert words in html, words
    assert not re.search(r">\s*(sites|tasks|units):\d+", html) and f"sites:{site.id}" not in html
    assert "Chức vụ" not in html  # a task's position is its place in the list, not a person's post
    options = re.findall(r'<option (?:selected )?value="(\w*)">([^<]+)</option>', html)
    assert ("sites", "Điểm QR") in options and ("tasks", "Nhiệm vụ") in options
    assert not any(label == value for value, label in options if value)


def test_user_page_history_panel_shows_the_change(client, auth, users, province):
    member = users["member"]
    auth.login("admin")
    data = {"full_name": "Lê Văn C", "role": "viewer", "unit_code": "05860", "is_active": "y", "version": "1"}
    assert client.post(f"/admin/users/{member.id}/edit", data=data).status_code == 302

    html = client.get(f"/admin/users/{member.id}").get_data(as_text=True)
    panel = html[html.index('data-testid="history"') :]
    panel = panel[: panel.index("</details>")]
    assert "Họ và tên" in panel and "Member" in panel and "Lê Văn C" in panel
    assert "Vai trò" in panel and "Thành viên" in panel and "Người xem" in panel
    assert "sửa" in panel and "admin" in panel
    assert "tạo mới" in panel


def test_unit_history_is_listed_per_row(app, province, ward):
    factories.create_unit("Tổ dân phố 1", "residential_group", parent=ward)
    db.session.commit()
    assert [e.action for e in audit.history("units", ward.id)] == ["create"]


def history_cells(html: str) -> dict[str, str]:
    """{field label: new value} of the entries of a page's "Lịch sử thay đổi" panel (the oldest entry last wins)."""
    panel = html[html.index('data-testid="history"') :]
    panel = panel[: panel.index("</details>")]
    return dict(re.findall(r'<tr><th>([^<]+)</th>\s*<td class="old">[^<]*</td><td class="new">([^<]*)</td>', panel))


def test_history_names_the_rows_a_change_points_at_one_query_per_table(app, client, auth, users, ward):
    program = factories.create_program(ward, "Chương trình chuyển đổi số")
    parent = factories.create_task(program, "Hạ tầng số")
    child = factories.create_task(program, "Phủ sóng 5G", parent=parent, owner_user=users["member"])
    other = factories.create_task(program, "Cáp quang", parent=parent, owner_user=users["manager"])
    db.session.commit()
    auth.login("admin")
    cells = history_cells(client.get(f"/tasks/{child.id}").get_data(as_text=True))
    assert cells["Chương trình"] == "Chương trình chuyển đổi số"  # not the program's id
    assert cells["Cấp trên"] == "Hạ tầng số"
    assert cells["Tài khoản thực hiện"] == "member"
    assert cells["Tên nhiệm vụ"] == "Phủ sóng 5G"
    assert not any("_" in label for label in cells)  # no column name for a label
    assert field_label("tasks", "source_board_id") == "Ban được theo dõi số thành viên"
    page = client.get("/admin/audit?entity=tasks").get_data(as_text=True)  # the audit log reads the same
    programs = re.findall(r'<th>Chương trình</th>\s*<td class="old">[^<]*</td><td class="new">([^<]*)<', page)
    assert programs == ["Chương trình chuyển đổi số"] * 3

    # One query per table named (tasks, programs, users), however many entries point at them.
    shown = events(entity="tasks")
    assert len(shown) == 3
    statements = []

    def listener(conn, cursor, statement, *args):
        statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", listener)
    try:
        names = row_names(shown)
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", listener)
    assert len(statements) == 3
    assert names[("users", users["manager"].id)] == "manager" and names[("tasks", other.id)] == "Cáp quang"
