"""Documents: reference parsing, the list of a scope, create and edit with optimistic concurrency."""

import re
from datetime import date

import pytest
from sqlalchemy import func, select

from tests import factories
from tracker.documents import services
from tracker.documents.models import Document
from tracker.errors import ValidationError
from tracker.extensions import db


def field_error(page, name: str) -> str:
    """The Vietnamese message the form shows next to one field ('' when none)."""
    match = re.search(rf'data-field="{name}">([^<]*)<', page.get_data(as_text=True))
    return match.group(1) if match else ""


def listed(page) -> list[str]:
    """The references in a document list, in order."""
    return re.findall(r'data-testid="document-ref">([^<]*)<', page.get_data(as_text=True))


def document_count() -> int:
    return db.session.scalar(select(func.count(Document.id)))


@pytest.mark.parametrize(
    ("text", "number", "kind_code", "issuer_code"),
    [
        ("37/KH-UBND", "37", "KH", "UBND"),
        ("885/QĐ-UBND", "885", "QĐ", "UBND"),
        ("63-QĐ/ĐU", "63", "QĐ", "ĐU"),
        ("27-CTr/ĐU", "27", "CTr", "ĐU"),
        ("01-NQ/TU", "01", "NQ", "TU"),
        (" 37 / kh-ubnd ", "37", "KH", "UBND"),
        ("27-ctr/đu", "27", "CTr", "ĐU"),
        ("05-KL/TU", "05", "KL", "TU"),
        ("15/2021/TT-BTTTT", "15", "TT", "BTTTT"),
    ],
)
def test_parse_reference(text, number, kind_code, issuer_code):
    parsed = services.parse_reference(text)
    assert (parsed.number, parsed.kind_code, parsed.issuer_code) == (number, kind_code, issuer_code)
    assert parsed.department is None


@pytest.mark.parametrize(
    ("text", "canonical", "number", "issuer_code", "department"),
    [
        ("1332/STTTT-CNTT", "1332/STTTT-CNTT", "1332", "STTTT", "CNTT"),
        ("215/UBND-VP", "215/UBND-VP", "215", "UBND", "VP"),
        (" 215 / ubnd-vp ", "215/UBND-VP", "215", "UBND", "VP"),
        ("87/SNV-TCBC-TL", "87/SNV-TCBC-TL", "87", "SNV", "TCBC-TL"),
    ],
)
def test_an_official_letter_parses_as_a_cong_van_from_its_issuer(text, canonical, number, issuer_code, department):
    parsed = services.parse_reference(text)
    assert (str(parsed), parsed.style, parsed.number, parsed.kind_code) == (canonical, "letter", number, "CV")
    assert (parsed.issuer_code, parsed.department) == (issuer_code, department)


def test_a_kind_code_before_the_dash_still_reads_as_state_style():
    parsed = services.parse_reference("215/TB-VP")
    assert (parsed.style, parsed.kind_code, parsed.issuer_code, parsed.department) == ("state", "TB", "VP", None)


@pytest.mark.parametrize(
    "text", ["abc", "37KH-UBND", "37/KH", "63-QĐ", "/KH-UBND", "37/KH-", "", "1332/STTTT-", "1332/STTTT", "1332/-CNTT"]
)
def test_malformed_reference_names_every_form(text):
    with pytest.raises(ValidationError) as caught:
        services.parse_reference(text)
    message = caught.value.fields["reference"]
    assert "37/KH-UBND" in message and "63-QĐ/ĐU" in message
    assert "05-KL/TU" in message and "1332/STTTT-CNTT" in message


def test_a_letter_and_a_conclusion_are_recorded_and_found(client, auth, users, ward):
    auth.login("manager")
    for reference, title in (("1332/stttt-cntt", "Về việc triển khai nền tảng"), ("05-kl/tu", "Kết luận của Tỉnh ủy")):
        page = client.post("/documents/new", data={"unit": "05860", "reference": reference, "title": title})
        assert page.status_code == 302, field_error(page, "reference")
    letter = db.session.scalar(select(Document).where(Document.title == "Về việc triển khai nền tảng"))
    assert (letter.reference, letter.number, letter.kind_code, letter.issuer_code) == (
        "1332/STTTT-CNTT",
        "1332",
        "CV",
        "STTTT",
    )
    conclusion = db.session.scalar(select(Document).where(Document.kind_code == "KL"))
    assert conclusion.reference == "05-KL/TU"
    shown = client.get(f"/documents/{letter.id}").get_data(as_text=True)
    assert "CV — Công văn" in shown
    assert listed(client.get("/documents/?kind_code=KL")) == ["05-KL/TU"]
    assert listed(client.get("/documents/?q=1332%2Fstttt-cntt")) == ["1332/STTTT-CNTT"]


def test_manager_creates_a_document(client, auth, users, ward):
    auth.login("manager")
    form = client.get("/documents/new")
    assert form.status_code == 200
    assert 'value="05860"' in form.get_data(as_text=True)  # the manager's own unit by default

    response = client.post(
        "/documents/new",
        data={"unit": "05860", "reference": "37/kh-ubnd", "issued_on": "09/11/2021", "title": "Kế hoạch CĐS 2022"},
    )
    assert response.status_code == 302
    document = db.session.scalar(select(Document))
    assert (document.reference, document.number, document.kind_code, document.issuer_code) == (
        "37/KH-UBND",
        "37",
        "KH",
        "UBND",
    )
    assert document.issued_on == date(2021, 11, 9) and document.unit_id == ward.id

    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'data-testid="document-issuer">UBND<' in page
    assert "09/11/2021" in page
    history = page.split('data-testid="history"')[1]
    assert "tạo mới" in history and "Kế hoạch CĐS 2022" in history


@pytest.mark.parametrize("reference", ["abc", "37KH-UBND"])
def test_unparseable_reference_is_a_field_error(client, auth, users, reference):
    auth.login("manager")
    page = client.post("/documents/new", data={"unit": "05860", "reference": reference, "title": "Kế hoạch"})
    assert page.status_code == 400
    message = field_error(page, "reference")
    assert reference in message and "37/KH-UBND" in message and "63-QĐ/ĐU" in message
    assert document_count() == 0


def test_unknown_unit_code_is_a_field_error(client, auth, users):
    auth.login("admin")
    page = client.post("/documents/new", data={"unit": "99999", "reference": "37/KH-UBND", "title": "Kế hoạch"})
    assert page.status_code == 400
    assert field_error(page, "unit") == "Không có đơn vị nào mang mã “99999”."
    assert document_count() == 0


def test_manager_edits_a_document_and_history_shows_it(client, auth, users, ward):
    document = factories.create_document(ward)
    db.session.commit()
    auth.login("manager")
    form = client.get(f"/documents/{document.id}/edit").get_data(as_text=True)
    assert 'name="version" type="hidden" value="1"' in form

    response = client.post(
        f"/documents/{document.id}/edit",
        data={"version": "1", "reference": "63-QĐ/ĐU", "issued_on": "2021-12-13", "title": "Quyết định thành lập"},
    )
    assert response.status_code == 302
    assert (document.reference, document.kind_code, document.issuer_code) == ("63-QĐ/ĐU", "QĐ", "ĐU")
    assert document.title == "Quyết định thành lập" and document.version == 2

    page = client.get(f"/documents/{document.id}").get_data(as_text=True)
    history = page.split('data-testid="history"')[1]
    assert "sửa" in history and "Trích yếu" in history
    assert "Kế hoạch chuyển đổi số" in history and "Quyết định thành lập" in history


def test_stale_version_is_refused_and_overwrites_nothing(client, auth, users, ward):
    document = factories.create_document(ward)
    db.session.commit()
    auth.login("manager")
    assert 'name="version" type="hidden" value="1"' in client.get(f"/documents/{document.id}/edit").get_data(
        as_text=True
    )

    # Someone else saves first.
    services.update_document(document, "37/KH-UBND", date(2021, 11, 9), "Bản của người khác")
    db.session.commit()

    page = client.post(
        f"/documents/{document.id}/edit",
        data={"version": "1", "reference": "37/KH-UBND", "issued_on": "2021-11-09", "title": "Bản cũ của tôi"},
    )
    assert page.status_code == 409
    assert "vừa được người khác sửa" in page.get_data(as_text=True)
    assert document.title == "Bản của người khác" and document.version == 2


def test_edit_without_version_overwrites_nothing(client, auth, users, ward):
    document = factories.create_document(ward)
    db.session.commit()
    auth.login("manager")
    page = client.post(f"/documents/{document.id}/edit", data={"reference": "37/KH-UBND", "title": "Không rõ bản"})
    assert page.status_code == 400
    assert "thiếu thông tin phiên bản" in page.get_data(as_text=True)
    assert document.title == "Kế hoạch chuyển đổi số" and document.version == 1


def test_bad_edit_overwrites_nothing(client, auth, users, ward):
    document = factories.create_document(ward)
    db.session.commit()
    auth.login("manager")
    page = client.post(
        f"/documents/{document.id}/edit", data={"version": "1", "reference": "37KH-UBND", "title": "Sửa sai"}
    )
    assert page.status_code == 400
    assert "37KH-UBND" in field_error(page, "reference")
    assert document.title == "Kế hoạch chuyển đổi số" and document.version == 1


def test_viewer_cannot_create_or_edit(client, auth, users, ward):
    document = factories.create_document(ward)
    db.session.commit()
    auth.login("viewer")
    assert client.get(f"/documents/{document.id}").status_code == 200
    assert client.get("/documents/new").status_code == 403
    data = {"unit": "05860", "reference": "38/KH-UBND", "title": "Kế hoạch"}
    assert client.post("/documents/new", data=data).status_code == 403
    assert client.get(f"/documents/{document.id}/edit").status_code == 403
    assert document_count() == 1


def test_manager_of_another_unit_cannot_see_or_edit(client, auth, users, province, ward):
    other = factories.create_unit("Phường Ba Hàng", "ward", parent=province, code="05870")
    factories.create_user("other", "manager", other)
    document = factories.create_document(ward)
    db.session.commit()
    auth.login("other")
    assert client.get(f"/documents/{document.id}").status_code == 403
    assert client.get(f"/documents/{document.id}/edit").status_code == 403
    data = {"version": "1", "reference": "37/KH-UBND", "title": "Chiếm quyền"}
    assert client.post(f"/documents/{document.id}/edit", data=data).status_code == 403
    data = {"unit": "05860", "reference": "38/KH-UBND", "title": "Kế hoạch"}
    assert client.post("/documents/new", data=data).status_code == 403
    assert listed(client.get("/documents/")) == []
    assert client.get(f"/documents/?unit_id={ward.id}").status_code == 403
    assert document.title == "Kế hoạch chuyển đổi số" and document_count() == 1


def test_list_filters_by_kind_and_search_within_scope(client, auth, users, province, ward):
    factories.create_document(ward, "37/KH-UBND", date(2021, 11, 9), "Kế hoạch chuyển đổi số năm 2022")
    factories.create_document(ward, "63-QĐ/ĐU", date(2021, 12, 13), "Quyết định thành lập Ban chỉ đạo")
    factories.create_document(province, "01-NQ/TU", date(2021, 1, 15), "Nghị quyết của Tỉnh ủy")
    db.session.commit()

    auth.login("viewer")
    assert listed(client.get("/documents/")) == ["63-QĐ/ĐU", "37/KH-UBND"]
    assert listed(client.get("/documents/?kind_code=QĐ")) == ["63-QĐ/ĐU"]
    assert listed(client.get("/documents/?q=ban+chỉ+đạo")) == ["63-QĐ/ĐU"]
    assert listed(client.get("/documents/?q=63-qđ/đu")) == ["63-QĐ/ĐU"]
    assert listed(client.get(f"/documents/?unit_id={ward.id}&q=kế+hoạch")) == ["37/KH-UBND"]

    auth.logout()
    auth.login("admin")
    assert listed(client.get("/documents/")) == ["63-QĐ/ĐU", "37/KH-UBND", "01-NQ/TU"]
    assert listed(client.get("/documents/?q=nq")) == ["01-NQ/TU"]


def test_list_is_paginated(app, client, auth, users, ward):
    app.config["PER_PAGE"] = 2
    for n in range(1, 4):
        factories.create_document(ward, f"{n}/KH-UBND", date(2024, 1, n), f"Kế hoạch {n}")
    db.session.commit()
    auth.login("viewer")
    first = client.get("/documents/")
    assert listed(first) == ["3/KH-UBND", "2/KH-UBND"]  # newest first
    assert "Trang 1 / 2" in first.get_data(as_text=True)
    assert listed(client.get("/documents/?page=2")) == ["1/KH-UBND"]


def test_a_province_manager_typing_a_shared_ward_name_gets_the_ward_of_the_province(client, auth, users, province):
    """'Phường Tân An' is a ward of Thái Nguyên and of Tuyên Quang: the name is read within the manager's scope."""
    own = factories.create_unit("Phường Tân An", "ward", parent=province, code="05870")
    factories.create_unit("Phường Tân An", "ward", parent=factories.create_unit("Tuyên Quang", "province", code="08"))
    factories.create_user("tinh", "manager", province)
    db.session.commit()
    auth.login("tinh")
    page = client.post("/documents/new", data={"unit": "tan an", "reference": "37/KH-UBND", "title": "Kế hoạch"})
    assert page.status_code == 302, field_error(page, "unit")
    assert db.session.scalar(select(Document.unit_id)) == own.id
