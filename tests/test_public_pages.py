"""The public progress pages (DESIGN §11, issue 13 part 8): /public/units/<id> and /public/programs/<id> for
anyone, for programs marked public; nothing about people; private, archived or unknown alike a 404; cached."""

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest

from tests import factories
from tests.test_translations import vietnamese_left
from tracker.boards import services as boards
from tracker.db import local_today, utcnow
from tracker.extensions import db
from tracker.programs.models import Program
from tracker.public_services import services as catalog

OWNER = "Trần Thị Bích"
NOTE = "Đã họp với chi cục thuế, chờ số liệu quý"
MEMBER_PHONE = "0912 345 678"
MEMBER_EMAIL = "dung.pv@example.vn"
SEAT = "Phạm Văn Dũng"
CONTACT = "Lê Văn Cường"
CONTACT_PHONE = "0208 3855 123"
EVIDENCE = "https://drive.example.vn/bien-ban-hop.pdf"
CSRF_META = re.compile(r'<meta name="csrf-token" content="[^"]*">')
PEOPLE = (OWNER, NOTE, MEMBER_PHONE, MEMBER_EMAIL, SEAT, CONTACT, CONTACT_PHONE, EVIDENCE, "Hoàng Thị Em")


@pytest.fixture
def world(app, province, ward):
    """A ward with a public program (an indicator, a task with a sub-task, tasks owned by a name, a user and a
    board member, an update with a note and evidence), an ended public program, a private and an archived one, and
    its registries: three sites (one printed, one scanned), services at levels 4, 3 and 1."""
    today = local_today()
    member = factories.create_user("task-owner", "member", ward, full_name="Hoàng Thị Em")
    board = boards.create_board(ward, boards.BoardFields(name="Ban chỉ đạo chuyển đổi số"))
    seat = boards.add_member(
        board, boards.MemberFields(SEAT, "member", date(2022, 1, 1), phone=MEMBER_PHONE, email=MEMBER_EMAIL)
    ).row

    program = factories.create_program(
        ward, is_public=True, starts_on=today - timedelta(days=365), ends_on=today + timedelta(days=365)
    )
    budget = factories.create_task(
        program,
        owner_name=OWNER,
        category="indicator",
        measure_kind="amount",
        target=Decimal("2.94"),
        unit_label="tỷ đồng",
        deadline=today + timedelta(days=30),
    )
    factories.create_task_update(budget, member, "4.03", note=NOTE)
    db.session.flush()
    budget.updates[-1].evidence_url = EVIDENCE
    group = factories.create_task(program, "Kiện toàn Tổ công nghệ số cộng đồng", owner_user=member)
    factories.create_task(
        program, "Ban hành quyết định thành lập", parent=group, measure_kind="milestone", owner_member=seat
    )
    factories.create_task(program, "600 điểm QR", source="sites_registered", target=Decimal(600), category="qr_points")

    ended = factories.create_program(
        ward,
        "Kế hoạch 37/KH-UBND năm trước",
        is_public=True,
        starts_on=today - timedelta(days=800),
        ends_on=today - timedelta(days=400),
    )
    factories.create_task(ended, "Số hóa hồ sơ hộ tịch", target=Decimal(100), category="indicator")
    private = factories.create_program(ward, "Kế hoạch nội bộ")
    archived = factories.create_program(ward, "Kế hoạch cũ đã lưu trữ", is_public=True)
    archived.is_archived = True

    factories.create_site(ward, contact_name=CONTACT, contact_phone=CONTACT_PHONE)
    factories.insert_site(ward, "Trường tiểu học", "school", poster_printed_at=utcnow())
    scanned = factories.insert_site(ward, "Trạm y tế", "health_facility")
    factories.check_in(scanned)
    for code, level in (("1.001", 4), ("1.002", 3), ("1.003", 1)):
        catalog.create_service(ward, catalog.ServiceFields(code, f"Thủ tục {code}", "Hộ tịch", level))
    db.session.commit()
    return {
        "program": program.id,
        "ended": ended.id,
        "private": private.id,
        "archived": archived.id,
        "unit": ward.id,
        "province": province.id,
        "budget": budget.id,
    }


def _html(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def test_the_program_page_shows_progress_tasks_targets_and_registries(client, world):
    html = _html(client.get(f"/public/programs/{world['program']}"))
    assert "Chương trình hành động số 27-CTr/ĐU" in html
    assert 'data-testid="program-progress"' in html and "Cách tính:" in html  # the figure explains itself
    for title in ("Thu ngân sách nhà nước trên địa bàn", "Kiện toàn Tổ công nghệ số cộng đồng", "600 điểm QR"):
        assert title in html
    assert 'data-level="1"' in html  # the sub-task, one level down, inside its parent's list
    assert html.index("Kiện toàn Tổ công nghệ số cộng đồng") < html.index("Ban hành quyết định thành lập")
    assert "4,03 / 2,94 tỷ đồng" in html and "đạt 137,07%" in html
    assert "Đang thực hiện trong hạn" in html or "Hoàn thành đúng hạn" in html
    targets = html[html.index('data-testid="targets"') :]
    assert targets.count('data-testid="target-row"') == 1  # the one indicator
    assert 'data-testid="target-title">Thu ngân sách nhà nước trên địa bàn<' in targets
    assert 'data-testid="target-plan">2,94 tỷ đồng<' in targets
    assert 'data-testid="target-result">4,03 tỷ đồng<' in targets
    assert "<caption" in targets and 'scope="col"' in targets
    assert 'data-testid="qr-registered">3<' in html
    assert 'data-testid="qr-printed">1<' in html
    assert 'data-testid="qr-active">1<' in html
    assert 'data-testid="services-full">1<' in html
    assert 'data-testid="services-partial">1<' in html
    assert 'data-testid="services-offline">1<' in html
    assert f'href="/public/units/{world["unit"]}"' in html


def test_the_page_is_the_anonymous_layout_without_staff_links(client, world):
    html = _html(client.get(f"/public/programs/{world['program']}"))
    assert "<main" in html and "<header" in html and "<footer" in html and "<h1" in html
    assert "Đăng xuất" not in html and "Trình đơn" not in html and "csrf" not in html
    assert "/tasks/" not in html and 'href="/programs/' not in html and "/login" not in html


def test_the_unit_page_lists_its_public_programs_current_first(client, world):
    html = _html(client.get(f"/public/units/{world['unit']}"))
    assert "Phường Phổ Yên" in html
    assert f'href="/public/programs/{world["program"]}"' in html
    assert f'href="/public/programs/{world["ended"]}"' in html
    assert html.index("Chương trình hành động số 27-CTr/ĐU") < html.index("Kế hoạch 37/KH-UBND năm trước")
    assert "Chương trình đã kết thúc" in html and "Kết quả cuối cùng" in html
    assert "Kế hoạch nội bộ" not in html and "Kế hoạch cũ đã lưu trữ" not in html
    assert 'data-testid="qr-registered">3<' in html and 'data-testid="services-full">1<' in html


def test_an_ended_program_shows_its_final_figures(client, world):
    html = _html(client.get(f"/public/programs/{world['ended']}"))
    assert 'data-testid="program-final"' in html and "Số hóa hồ sơ hộ tịch" in html


def _page_of_404(response) -> str:
    """The 404 page without its CSRF token (signed with the second it was made in)."""
    assert response.status_code == 404
    return CSRF_META.sub("", response.get_data(as_text=True))


def test_private_archived_and_unknown_programs_are_the_same_404(client, world):
    unknown = _page_of_404(client.get("/public/programs/999999"))
    for key in ("private", "archived"):
        page = _page_of_404(client.get(f"/public/programs/{world[key]}"))
        assert page == unknown, key
        assert "Kế hoạch" not in page


def test_a_unit_without_a_public_program_is_a_404(client, world):
    assert client.get(f"/public/units/{world['province']}").status_code == 404  # its public programs are the ward's
    assert client.get("/public/units/999999").status_code == 404
    db.session.get(Program, world["program"]).is_public = False
    db.session.get(Program, world["ended"]).is_public = False
    assert client.get(f"/public/units/{world['unit']}").status_code == 404


def test_nothing_about_people(client, world):
    for url in (f"/public/programs/{world['program']}", f"/public/units/{world['unit']}"):
        html = _html(client.get(url))
        assert [typed for typed in PEOPLE if typed in html] == [], url
        assert "Người thực hiện" not in html and "Lịch sử" not in html, url


def test_cached_with_an_etag_and_a_304(client, world):
    url = f"/public/programs/{world['program']}"
    first = client.get(url)
    assert first.headers["Cache-Control"] == "public, max-age=300"
    assert "Cookie" in first.vary  # the language cookie
    etag = first.headers["ETag"]
    assert etag
    again = client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    assert again.headers["ETag"] == etag and again.headers["Cache-Control"] == "public, max-age=300"
    assert client.get(url, headers={"If-None-Match": '"other"'}).status_code == 200

    task = db.session.get(Program, world["program"]).tasks[0]
    factories.create_task_update(task, factories.create_user("m2", "member", task.program.unit), "5")
    db.session.commit()
    changed = client.get(url, headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag

    unit = client.get(f"/public/units/{world['unit']}")
    assert unit.headers["Cache-Control"] == "public, max-age=300" and unit.headers["ETag"]
    etag = unit.headers["ETag"]
    assert client.get(f"/public/units/{world['unit']}", headers={"If-None-Match": etag}).status_code == 304


def test_english_never_answers_with_the_vietnamese_etag(client, world):
    url = f"/public/programs/{world['program']}"
    vietnamese = client.get(url)
    english = client.get(url + "?lang=en", headers={"If-None-Match": vietnamese.headers["ETag"]})
    assert english.status_code == 200 and english.headers["Content-Language"] == "en"
    assert english.headers["ETag"] != vietnamese.headers["ETag"]
    # The cookie ?lang=en set now picks English for the bare URL: the Vietnamese copy is not a match either.
    by_cookie = client.get(url, headers={"If-None-Match": vietnamese.headers["ETag"]})
    assert by_cookie.status_code == 200 and '<html lang="en">' in by_cookie.get_data(as_text=True)
    assert by_cookie.headers["ETag"] == english.headers["ETag"] and "Cookie" in by_cookie.vary


def test_the_pages_in_english(client, world):
    names = [
        "Phường Phổ Yên",
        "Chương trình hành động số 27-CTr/ĐU",
        "Kế hoạch 37/KH-UBND năm trước",
        "Thu ngân sách nhà nước trên địa bàn",
        "Kiện toàn Tổ công nghệ số cộng đồng",
        "Ban hành quyết định thành lập",
        "600 điểm QR",
        "Số hóa hồ sơ hộ tịch",
        "tỷ đồng",
    ]
    for url in (f"/public/programs/{world['program']}?lang=en", f"/public/units/{world['unit']}?lang=en"):
        html = _html(client.get(url))
        assert '<html lang="en">' in html
        assert vietnamese_left(html, names) == [], url


def test_signed_in_users_get_the_same_public_page(client, auth, users, world):
    url = f"/public/programs/{world['program']}"
    anonymous = _html(client.get(url))
    other = factories.create_unit("Xã Khác", "commune")
    factories.create_user("outsider", "viewer", other)  # out of the ward's scope: the public page is still open
    db.session.commit()
    for username in ("admin", "outsider"):
        auth.login(username)
        response = client.get(url)
        assert _html(response) == anonymous, username
        assert response.headers["Cache-Control"] == "public, max-age=300"
        assert "Cookie" in response.vary
        assert "Set-Cookie" not in response.headers  # a shared cache must never keep someone's session
        auth.logout()


def test_the_program_page_links_its_public_page_only_when_public(client, auth, users, world):
    auth.login("admin")
    link = f'href="/public/programs/{world["program"]}"'
    assert link in _html(client.get(f"/programs/{world['program']}"))
    private = _html(client.get(f"/programs/{world['private']}"))
    assert "/public/programs/" not in private and "Trang công khai" not in private
    assert "/public/programs/" not in _html(client.get(f"/programs/{world['archived']}"))
