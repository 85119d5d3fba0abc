"""A unit typed by name or code in every form that takes one ("bai bong" finds Phường Bãi Bông; a name shared by
several units lists them and guesses nothing), the suggestions while typing, and where an administrator lands."""

import io
import re
from datetime import date

import pytest
from sqlalchemy import func, select

from tests import factories
from tracker import imports
from tracker.audit import AuditEvent
from tracker.auth.models import User
from tracker.errors import ValidationError
from tracker.extensions import db
from tracker.sites.imports import SiteImport
from tracker.sites.models import Site
from tracker.units.names import find_unit, find_units

HEADER = "Tên điểm,Loại điểm,Địa chỉ,Người liên hệ,Số điện thoại,Mã đơn vị,Mã QR\n"


def text(page) -> str:
    return page.get_data(as_text=True)


def field_error(page, name: str) -> str:
    match = re.search(rf'data-field="{name}">([^<]*)<', text(page))
    return match.group(1) if match else ""


def count(model) -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count(model.id)))


@pytest.fixture
def units(app, province, ward):
    """Phường Bãi Bông (no code, merged into Phường Phổ Yên as in the demo) and two units named Tân An."""
    bai_bong = factories.create_unit(
        "Phường Bãi Bông", "ward", parent=province, valid_to=date(2025, 6, 30), merged_into=ward
    )
    other_province = factories.create_unit("Tuyên Quang", "province", code="08")
    tan_an_ward = factories.create_unit("Phường Tân An", "ward", parent=province, code="05870")
    tan_an_commune = factories.create_unit("Xã Tân An", "commune", parent=other_province, code="02300")
    db.session.commit()
    return {"bai_bong": bai_bong, "tan_an_ward": tan_an_ward, "tan_an_commune": tan_an_commune}


# --- the resolution -------------------------------------------------------------------------------------------


def test_a_unit_is_found_by_code_id_name_or_folded_name(units, ward):
    bai_bong = units["bai_bong"]
    assert find_unit("05860") == ward
    assert find_unit(f"#{bai_bong.id}") == bai_bong
    for typed in ["Phường Bãi Bông", "bai bong", "  BAI   BONG ", "phuong bai bong", "Bãi Bông"]:
        assert find_unit(typed) == bai_bong, typed
    assert find_unit("Phổ Yên") == ward
    # As the suggestions and the list of choices write a unit: read by its code, whatever the name says.
    assert find_unit(f"Phường Bãi Bông, Thái Nguyên (#{bai_bong.id})") == bai_bong
    assert find_unit("Phường Tân An, Thái Nguyên (05870)") == units["tan_an_ward"]


def test_a_name_of_several_units_lists_them_and_guesses_nothing(units):
    with pytest.raises(ValidationError) as raised:
        find_unit("tan an", "unit")
    message = raised.value.fields["unit"]
    assert message == (
        "Có 2 đơn vị tên “tan an”: Phường Tân An, Thái Nguyên (05870); Xã Tân An, Tuyên Quang (02300). "
        "Hãy ghi rõ mã đơn vị (trong ngoặc)."
    )


def test_a_name_or_code_of_no_unit_says_so(units):
    with pytest.raises(ValidationError) as raised:
        find_unit("Bãi Bồng Mới", "parent")
    assert raised.value.fields == {"parent": "Không có đơn vị nào có tên hoặc mã “Bãi Bồng Mới”."}
    with pytest.raises(ValidationError) as raised:
        find_unit("99999")
    assert raised.value.fields == {"unit": "Không có đơn vị nào mang mã “99999”."}
    with pytest.raises(ValidationError) as raised:
        find_unit("bai")  # part of a name is no name: nothing guessed
    assert "Không có đơn vị nào có tên" in raised.value.fields["unit"]


# --- the forms ------------------------------------------------------------------------------------------------


def site_form(**fields) -> dict:
    return {"unit": "05860", "name": "Chợ Bãi Bông", "kind": "market", "address": "Tổ 5", **fields}


def test_the_site_form_takes_a_name(client, auth, users, units):
    auth.login("member")
    page = client.get("/sites/new")
    assert 'data-unit-suggest="/units/suggest"' in text(page)
    response = client.post("/sites/new", data=site_form(unit="bai bong"))
    assert response.status_code == 302
    assert db.session.scalars(select(Site.unit_id)).one() == units["bai_bong"].id
    assert client.post("/sites/new", data=site_form(unit="05860", name="Chợ mới")).status_code == 302  # codes too


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("tan an", "Có 2 đơn vị tên “tan an”: Phường Tân An, Thái Nguyên (05870); Xã Tân An, Tuyên Quang (02300)."),
        ("Bãi Bông Mới", "Không có đơn vị nào có tên hoặc mã “Bãi Bông Mới”."),
    ],
)
def test_the_site_form_refuses_an_ambiguous_or_unknown_name(client, auth, users, units, typed, message):
    auth.login("admin")  # every unit of the name: a member reads names within the ward (see the tests of scope)
    response = client.post("/sites/new", data=site_form(unit=typed))
    assert response.status_code == 400
    assert field_error(response, "unit").startswith(message)
    assert count(Site) == 0


def user_form(**fields) -> dict:
    return {
        "username": "nguyenvana",
        "full_name": "Nguyễn Văn A",
        "role": "member",
        "unit_code": "phuong pho yen",
        "password": "Cds-phuong-2025",
        **fields,
    }


def test_the_user_form_takes_a_name(client, auth, users, units, ward):
    auth.login("admin")
    assert client.post("/admin/users/new", data=user_form()).status_code == 302
    created = db.session.scalar(select(User).where(User.username == "nguyenvana"))
    assert created.unit_id == ward.id
    before = count(User)
    response = client.post("/admin/users/new", data=user_form(username="tranthib", unit_code="Tân An"))
    assert response.status_code == 400
    assert field_error(response, "unit_code").startswith("Có 2 đơn vị tên “Tân An”: Phường Tân An, Thái Nguyên")
    response = client.post("/admin/users/new", data=user_form(username="tranthib", unit_code="Đâu Đó"))
    assert response.status_code == 400
    assert field_error(response, "unit_code") == "Không có đơn vị nào có tên hoặc mã “Đâu Đó”."
    assert count(User) == before


def test_creating_a_user_suggests_the_roles_viewer_first(client, auth, users):
    auth.login("admin")
    roles = re.findall(r'<option[^>]*value="([a-z]+)"', text(client.get("/admin/users/new")))
    assert roles[0] == "viewer" and roles.index("member") < roles.index("manager") < roles.index("admin")


def test_an_import_reads_unit_names(app, client, auth, users, units, tmp_path):
    app.instance_path = str(tmp_path)
    data = (HEADER + "Chợ,Chợ,,,,bai bong,\nTrường,Trường học,,,,tan an,\nNhà văn hóa,Khác,,,,Đâu Đó,\n").encode()
    rows = {r.number: r for r in imports.preview(SiteImport(None), data, "diem.csv").rows}
    assert rows[2].errors == {} and rows[2].target[0] == units["bai_bong"]
    assert rows[3].errors["unit"].startswith("Có 2 đơn vị tên “tan an”: Phường Tân An, Thái Nguyên (05870)")
    assert rows[4].errors == {"unit": "Không có đơn vị nào có tên hoặc mã “Đâu Đó”."}
    # The upload form's unit too, and nothing is written while a row is wrong.
    auth.login("member")
    blank_unit = (HEADER + "Chợ,Chợ,,,,,\n").encode()
    page = client.post("/sites/import", data={"file": (io.BytesIO(blank_unit), "d.csv"), "unit": "pho yen"})
    assert page.status_code == 200 and 'name="token"' in text(page)
    page = client.post("/sites/import", data={"file": (io.BytesIO(data), "diem.csv"), "unit": "05860"})
    assert page.status_code == 400
    assert count(Site) == 0


# --- the suggestions ------------------------------------------------------------------------------------------


def test_suggestions_are_units_in_scope_by_folded_name(client, auth, users, units):
    auth.login("admin")
    items = client.get("/units/suggest?q=tan an").get_json()["items"]
    assert [i["value"] for i in items] == [
        "Phường Tân An, Thái Nguyên (05870)",
        "Xã Tân An, Tuyên Quang (02300)",
    ]
    assert set(items[0]) == {"value", "label", "id"} and items[0]["id"] == units["tan_an_ward"].id
    assert "phuong tan an" in items[0]["label"]  # the browser filters a datalist by what is typed: unaccented
    auth.logout()
    auth.login("member")  # scoped to Phường Phổ Yên and what was merged into it
    assert [i["value"] for i in client.get("/units/suggest?q=bai bong").get_json()["items"]] == [
        f"Phường Bãi Bông, Thái Nguyên (#{units['bai_bong'].id})"
    ]
    assert client.get("/units/suggest?q=tan an").get_json() == {"items": []}
    assert client.get("/units/suggest?q=b").get_json() == {"items": []}  # too short to be worth a query


# --- the landing ----------------------------------------------------------------------------------------------


def test_an_admin_lands_on_the_unit_with_the_most_programs(client, auth, users, units, ward):
    auth.login("admin")
    assert 'data-testid="unit-picker"' in text(client.get("/"))  # no programs yet: the picker
    factories.create_program(units["tan_an_commune"], "Kế hoạch 1")
    factories.create_program(ward, "Kế hoạch 2")
    factories.create_program(ward, "Kế hoạch 3")
    db.session.commit()
    page = text(client.get("/"))
    assert re.search(r'data-testid="dashboard-title">[^<]*Phường Phổ Yên', page)
    assert 'href="/?chon=1"' in page
    assert 'data-testid="unit-picker"' in text(client.get("/?chon=1"))
    auth.logout()
    auth.login("member")  # an account with a unit lands on its own
    assert re.search(r'data-testid="dashboard-title">[^<]*Phường Phổ Yên', text(client.get("/")))
    assert 'href="/?chon=1"' not in text(client.get("/"))


def test_an_admin_lands_on_the_demo_unit(client, auth, users, runner):
    assert runner.invoke(args=["demo"]).exit_code == 0
    auth.login("admin")
    page = text(client.get("/"))
    assert re.search(r'data-testid="dashboard-title">[^<]*Phường Phổ Yên', page)


# --- a list of units by name (the merge) -----------------------------------------------------------------------


@pytest.fixture
def wards(app, province, units):
    """Two current wards of Thái Nguyên to merge, one with a code and one without."""
    made = {
        "ba_hang": factories.create_unit("Phường Ba Hàng", "ward", parent=province),
        "dong_tien": factories.create_unit("Phường Đồng Tiến", "ward", parent=province, code="05861"),
    }
    db.session.commit()
    return made


def test_a_list_of_units_reads_names_one_a_line_or_between_semicolons(units, wards, ward):
    ba_hang, dong_tien, tan_an = wards["ba_hang"], wards["dong_tien"], units["tan_an_ward"]
    assert find_units("Phường Ba Hàng; Phường Đồng Tiến") == [ba_hang, dong_tien]
    assert find_units("phuong dong tien\n  ba hang  \n\n") == [dong_tien, ba_hang]
    assert find_units("Ba Hàng, Đồng Tiến") == [ba_hang, dong_tien]  # names of one level: the comma separates
    assert find_units("05861 05870, 05860") == [dong_tien, tan_an, ward]  # a line of codes, as before
    assert find_units(f"#{ba_hang.id}\nPhường Tân An; 05861") == [ba_hang, tan_an, dong_tien]
    # As the suggestions write them: the comma before the parent is part of the one unit.
    typed = f"Phường Ba Hàng, Thái Nguyên (#{ba_hang.id}), Phường Tân An, Thái Nguyên (05870), Đồng Tiến"
    assert find_units(typed) == [ba_hang, tan_an, dong_tien]
    assert find_units(f"Phường Ba Hàng\n#{ba_hang.id}") == [ba_hang]  # one unit named twice is one


def test_a_list_of_units_names_every_unknown_or_ambiguous_one(units, wards):
    with pytest.raises(ValidationError) as raised:
        find_units("Phường Ba Hàng; Đâu Đó\ntan an\n99999", "sources")
    assert raised.value.fields == {
        "sources": "Không có đơn vị nào có tên hoặc mã “Đâu Đó”. "
        "Có 2 đơn vị tên “tan an”: Phường Tân An, Thái Nguyên (05870); Xã Tân An, Tuyên Quang (02300). "
        "Hãy ghi rõ mã đơn vị (trong ngoặc). Không có đơn vị nào mang mã “99999”."
    }
    # 'Name, Parent' without the code is not read as two units to merge (the province would be one of them).
    with pytest.raises(ValidationError) as raised:
        find_units("Phường Tân An, Thái Nguyên", "sources")
    assert raised.value.fields["sources"].startswith("“Phường Tân An, Thái Nguyên”: không rõ dấu phẩy ngăn cách")
    with pytest.raises(ValidationError) as raised:
        find_units(" ;\n, ", "sources")
    assert raised.value.fields == {"sources": "Hãy nhập tên hoặc mã đơn vị."}


def test_the_merge_form_takes_names(client, auth, users, units, wards, ward):
    auth.login("admin")
    assert "tên (gõ không dấu cũng được) hoặc mã" in text(client.get("/units/merge"))
    before = count(AuditEvent)
    for typed, message in [
        ("Phường Ba Hàng; Đâu Đó", "Không có đơn vị nào có tên hoặc mã “Đâu Đó”."),
        ("Phường Ba Hàng\ntan an", "Có 2 đơn vị tên “tan an”: Phường Tân An, Thái Nguyên (05870); Xã Tân An"),
    ]:
        page = client.post("/units/merge", data={"sources": typed, "into": "phuong pho yen", "on": "01/07/2025"})
        assert page.status_code == 400
        assert field_error(page, "sources").startswith(message)
    assert count(AuditEvent) == before  # nothing written
    page = client.post(
        "/units/merge", data={"sources": "Phường Ba Hàng; Phường Đồng Tiến", "into": "05860", "on": "01/07/2025"}
    )
    assert page.status_code == 302
    db.session.expire_all()
    assert [wards["ba_hang"].merged_into_id, wards["dong_tien"].merged_into_id] == [ward.id, ward.id]


def test_the_merge_command_takes_names_one_a_line(runner, units, wards, ward):
    result = runner.invoke(args=["units", "merge", "ba hang\nĐâu Đó", "--into", "05860", "--on", "01/07/2025"])
    assert result.exit_code != 0 and "Không có đơn vị nào có tên hoặc mã “Đâu Đó”." in result.output
    result = runner.invoke(args=["units", "merge", "ba hang\ndong tien", "--into", "05860", "--on", "01/07/2025"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert [wards["ba_hang"].merged_into_id, wards["dong_tien"].merged_into_id] == [ward.id, ward.id]


# --- a name read within the user's scope ------------------------------------------------------------------------


@pytest.fixture
def alike(app, units, province):
    """A second Phường Tân An, in Tuyên Quang, and a manager of the province of Thái Nguyên."""
    tuyen_quang = units["tan_an_commune"].parent
    other = factories.create_unit("Phường Tân An", "ward", parent=tuyen_quang, code="02301")
    factories.create_user("tinh", "manager", province)
    db.session.commit()
    return other


def test_a_name_within_a_scope_is_read_among_its_units(units, alike, province, ward):
    tan_an = units["tan_an_ward"]
    assert find_unit("Phường Tân An", within=province) == tan_an
    assert find_unit("tan an", within=province.id) == tan_an
    assert find_units("tan an; bai bong", within=province) == [tan_an, units["bai_bong"]]
    assert find_unit("02301", within=province) == alike  # a code is read everywhere: access checks answer for it
    with pytest.raises(ValidationError) as raised:
        find_unit("Phường Tân An")  # no scope: every one of the name
    assert raised.value.fields["unit"].startswith(
        "Có 2 đơn vị tên “Phường Tân An”: Phường Tân An, Thái Nguyên (05870); Phường Tân An, Tuyên Quang (02301)."
    )
    with pytest.raises(ValidationError) as raised:
        find_unit("tan an", "unit", within=ward)
    assert raised.value.fields == {"unit": "Không có đơn vị nào có tên “tan an” trong Phường Phổ Yên."}


def test_a_manager_gets_the_unit_of_the_name_in_scope_and_an_admin_the_choices(client, auth, users, units, alike):
    tan_an = units["tan_an_ward"]
    auth.login("tinh")
    assert client.post("/sites/new", data=site_form(unit="tan an")).status_code == 302
    assert db.session.scalars(select(Site.unit_id)).one() == tan_an.id
    response = client.post("/admin/users/new", data=user_form(unit_code="Phường Tân An"))
    assert response.status_code == 302
    assert db.session.scalar(select(User.unit_id).where(User.username == "nguyenvana")) == tan_an.id
    auth.logout()

    auth.login("admin")
    response = client.post("/sites/new", data=site_form(unit="tan an", name="Chợ Tân An"))
    assert response.status_code == 400
    message = field_error(response, "unit")
    assert message.startswith("Có 3 đơn vị tên “tan an”:")
    assert "Phường Tân An, Thái Nguyên (05870)" in message and "Phường Tân An, Tuyên Quang (02301)" in message
    response = client.post("/admin/users/new", data=user_form(username="tranthib", unit_code="Phường Tân An"))
    assert response.status_code == 400 and field_error(response, "unit_code").startswith("Có 2 đơn vị tên")
    auth.logout()

    auth.login("manager")  # of Phường Phổ Yên: no Tân An there
    response = client.post("/sites/new", data=site_form(unit="tan an", name="Chợ Tân An"))
    assert response.status_code == 400
    assert field_error(response, "unit") == "Không có đơn vị nào có tên “tan an” trong Phường Phổ Yên."
    assert count(Site) == 1
