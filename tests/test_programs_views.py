"""Programs, tasks and updates through the HTML screens: the tree and its figures, filters, the "5 rõ" gaps,
creating and editing, the update form with Vietnamese numbers, access, and no lost update."""

import re
from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlalchemy import func, select

from tests import factories
from tests.conftest import AuthActions
from tracker.extensions import db
from tracker.programs import progress, services
from tracker.programs.models import Program, Task, TaskUpdate

START, END = date(2021, 2, 7), date(2030, 12, 31)
DEADLINE = date(2030, 6, 30)


def text(page) -> str:
    return page.get_data(as_text=True)


def field_error(page, name: str) -> str:
    """The Vietnamese message the form shows next to one field ('' when none)."""
    match = re.search(rf'data-field="{name}">([^<]*)<', text(page))
    return match.group(1) if match else ""


def version_on(page) -> str:
    """The task version the update form was opened at."""
    form = text(page).split('data-testid="update-form"')[1]
    return re.search(r'name="version" type="hidden" value="(\d+)"', form).group(1)


def tree(page) -> list[tuple[str, str]]:
    """(title, depth) of each row of a program's task tree, in order."""
    rows = re.findall(
        r'data-testid="task-row" data-task-id="\d+" data-depth="(\d+)".*?data-testid="task-title">([^<]*)<',
        text(page),
        re.S,
    )
    return [(title, depth) for depth, title in rows]


def update_count() -> int:
    return db.session.scalar(select(func.count(TaskUpdate.id)))


@pytest.fixture
def program(app, users, ward):
    basis = factories.create_document(ward, "27-CTr/ĐU", date(2021, 2, 7), "Chương trình hành động số 27")
    made = factories.create_program(
        ward, "Chương trình hành động số 27-CTr/ĐU", basis_document=basis, starts_on=START, ends_on=END
    )
    db.session.commit()
    return made


@pytest.fixture
def revenue(program, users):
    """Budget revenue 4,03 of 2,94 tỷ đồng planned: the member owns it."""
    task = factories.create_task(
        program,
        "Thu ngân sách nhà nước trên địa bàn",
        description="Thu ngân sách theo kế hoạch được giao",
        owner_user=users["member"],
        responsible="UBND phường",
        deadline=DEADLINE,
        expected_result="Đạt và vượt dự toán",
        category="indicator",
        measure_kind="amount",
        target=Decimal("2.94"),
        unit_label="tỷ đồng",
    )
    db.session.commit()
    return task


def post_update(client, task, value, **extra):
    page = client.get(f"/tasks/{task.id}")
    data = {"value": value, "note": "", "version": version_on(page), **extra}
    return client.post(f"/tasks/{task.id}/updates", data=data)


def task_form(**fields) -> dict:
    base = {
        "title": "Nhiệm vụ",
        "parent_id": "",
        "description": "",
        "owner_name": "",
        "owner_user_id": "",
        "responsible": "",
        "deadline": "",
        "expected_result": "",
        "category": "other",
        "measure_kind": "count",
        "baseline": "0",
        "target": "",
        "unit_label": "",
        "weight": "1",
        "update_every_days": "",
        "source": "manual",
        "source_board_id": "",
        "source_site_kind": "",
    }
    return {**base, **fields}


# --- programs ----------------------------------------------------------------------------------------


def test_manager_creates_a_program_a_task_and_a_sub_task(client, auth, users, ward):
    factories.create_document(ward, "27-CTr/ĐU", date(2021, 2, 7), "Chương trình hành động số 27")
    auth.login("manager")
    form = client.get("/programs/new")
    assert form.status_code == 200 and 'value="05860"' in text(form)

    response = client.post(
        "/programs/new",
        data={
            "unit": "05860",
            "title": "Chương trình hành động số 27-CTr/ĐU",
            "basis_reference": "27-ctr/đu",
            "starts_on": "07/02/2021",
            "ends_on": "31/12/2030",
            "is_public": "y",
        },
    )
    assert response.status_code == 302
    program = db.session.scalar(select(Program))
    assert (program.unit_id, program.starts_on, program.ends_on, program.is_public) == (ward.id, START, END, True)
    assert program.basis_document.reference == "27-CTr/ĐU"

    response = client.post(
        f"/programs/{program.id}/tasks/new",
        data=task_form(
            title="Tạo điểm QR cho cơ quan, doanh nghiệp, hộ gia đình",
            owner_name="Nguyễn Văn A",
            deadline="30/06/2030",
            category="qr_points",
            target="600",
            unit_label="điểm",
        ),
    )
    assert response.status_code == 302
    parent = db.session.scalar(select(Task))
    assert (parent.target, parent.deadline, parent.owner_name) == (Decimal(600), DEADLINE, "Nguyễn Văn A")

    form = client.get(f"/programs/{program.id}/tasks/new?parent={parent.id}")
    assert f'<option selected value="{parent.id}">' in text(form)
    response = client.post(
        f"/programs/{program.id}/tasks/new",
        data=task_form(title="Điểm QR tại các trường học", parent_id=str(parent.id), target="40", unit_label="điểm"),
    )
    assert response.status_code == 302
    child = db.session.scalar(select(Task).where(Task.parent_id == parent.id))
    assert child.title == "Điểm QR tại các trường học"

    page = client.get(f"/programs/{program.id}")
    assert tree(page) == [
        ("Tạo điểm QR cho cơ quan, doanh nghiệp, hộ gia đình", "0"),
        ("Điểm QR tại các trường học", "1"),
    ]
    assert "27-CTr/ĐU" in text(page) and "07/02/2021" in text(page)


def test_program_form_errors_are_vietnamese_and_write_nothing(client, auth, users, ward):
    auth.login("manager")
    response = client.post(
        "/programs/new",
        data={"unit": "05860", "title": "", "basis_reference": "99/KH-UBND", "starts_on": "31/12/2025", "ends_on": ""},
    )
    assert response.status_code == 400
    assert "Không tìm thấy văn bản" in field_error(response, "basis_reference")
    response = client.post(
        "/programs/new", data={"unit": "05860", "title": "", "starts_on": "31/12/2025", "ends_on": "01/01/2025"}
    )
    assert response.status_code == 400
    assert field_error(response, "title") == "Hãy nhập tên chương trình, kế hoạch."
    assert field_error(response, "ends_on") == "Ngày kết thúc phải sau ngày bắt đầu."
    response = client.post("/programs/new", data={"unit": "05860", "title": "X", "starts_on": "31/13/2025"})
    assert response.status_code == 400 and "ngày/tháng/năm" in field_error(response, "starts_on")
    assert db.session.scalar(select(func.count(Program.id))) == 0


def test_program_list_evaluates_once_for_the_page(client, auth, users, ward, program, revenue, monkeypatch):
    factories.create_program(ward, "Kế hoạch 37/KH-UBND", starts_on=START, ends_on=END)
    archived = factories.create_program(ward, "Kế hoạch cũ")
    archived.is_archived = True
    other_ward = factories.create_unit("Phường Khác", "ward", code="05861")
    factories.create_program(other_ward, "Chương trình của phường khác")
    factories.create_task_update(revenue, users["member"], "4.03")
    db.session.commit()
    calls = []
    real = progress.evaluate
    monkeypatch.setattr(progress, "evaluate", lambda programs, *a, **k: calls.append(len(programs)) or real(programs))

    auth.login("viewer")
    page = text(client.get("/programs/"))
    titles = re.findall(r'data-testid="program-title">([^<]*)<', page)
    assert sorted(titles) == ["Chương trình hành động số 27-CTr/ĐU", "Kế hoạch 37/KH-UBND"]
    assert calls == [2]
    assert "100%" in page  # 4,03 of 2,94: progress is clamped at 100%
    assert re.findall(r'data-testid="program-title">([^<]*)<', text(client.get("/programs/?archived=1"))) == [
        "Kế hoạch cũ"
    ]
    assert 'href="/programs/"' in text(client.get("/"))  # the navigation entry


def test_ids_no_table_can_hold_are_not_found(client, auth, users, program):
    auth.login("viewer")
    huge = 2**40
    for url in (f"/programs/{huge}", f"/tasks/{huge}", f"/programs/{program.id}/x"):
        assert client.get(url).status_code == 404, url
    named = client.get(f"/programs/?unit_id={huge}")  # a query parameter: a 400 naming it
    assert named.status_code == 400 and "Tham số “unit_id”" in named.get_data(as_text=True)


def test_program_edit_archives_and_a_stale_edit_gets_409(app, client, auth, users, program):
    auth.login("manager")
    form = client.get(f"/programs/{program.id}/edit")
    assert 'value="27-CTr/ĐU"' in text(form)
    version = re.search(r'name="version" type="hidden" value="(\d+)"', text(form)).group(1)
    data = {"title": "Chương trình 27 (sửa)", "basis_reference": "27-CTr/ĐU", "starts_on": "07/02/2021"}
    response = client.post(f"/programs/{program.id}/edit", data={**data, "is_archived": "y", "version": version})
    assert response.status_code == 302
    assert (program.title, program.is_archived, program.ends_on) == ("Chương trình 27 (sửa)", True, None)

    response = client.post(f"/programs/{program.id}/edit", data={**data, "title": "Bản cũ", "version": version})
    assert response.status_code == 409
    assert "vừa được người khác sửa" in text(response)
    assert program.title == "Chương trình 27 (sửa)"


# --- the program page --------------------------------------------------------------------------------


@pytest.fixture
def demo(program, users, revenue):
    """A small tree with demo numbers: revenue done, QR points with two sub-tasks, an unclear task."""
    factories.create_task_update(revenue, users["member"], "4.03")
    qr = factories.create_task(
        program,
        "Tạo điểm QR",
        description="Tạo điểm quét mã QR",
        owner_name="Nguyễn Văn B",
        responsible="Công an phường",
        deadline=DEADLINE,
        expected_result="600 điểm",
        category="qr_points",
        target=Decimal(600),
        unit_label="điểm",
    )
    schools = factories.create_task(
        program, "Điểm QR trường học", parent=qr, category="qr_points", target=Decimal(40), owner_name="Trần Thị C"
    )
    markets = factories.create_task(
        program, "Điểm QR chợ", parent=qr, category="qr_points", target=Decimal(10), owner_user=users["member"]
    )
    factories.create_task_update(schools, users["manager"], "40")
    factories.create_task_update(markets, users["manager"], "5")
    unclear = factories.create_task(program, "Cập nhật trang thông tin điện tử phường", measure_kind="milestone")
    db.session.commit()
    return {"revenue": revenue, "qr": qr, "schools": schools, "markets": markets, "unclear": unclear}


def test_program_page_shows_the_tree_and_explainable_figures(client, auth, users, program, demo):
    auth.login("viewer")
    page = client.get(f"/programs/{program.id}")
    assert page.status_code == 200
    assert tree(page) == [
        ("Thu ngân sách nhà nước trên địa bàn", "0"),
        ("Tạo điểm QR", "0"),
        ("Điểm QR trường học", "1"),
        ("Điểm QR chợ", "1"),
        ("Cập nhật trang thông tin điện tử phường", "0"),
    ]
    html = text(page)
    revenue_row = html.split(f'data-task-id="{demo["revenue"].id}"')[1].split('data-testid="task-row"')[0]
    assert "4,03 / 2,94 tỷ đồng" in revenue_row and "đạt 137,07%" in revenue_row
    assert 'data-status="done_on_time"' in revenue_row
    assert "30/06/2030" in revenue_row and "Member" in revenue_row
    qr_row = html.split(f'data-task-id="{demo["qr"].id}"')[1].split('data-testid="task-row"')[0]
    assert "75%" in qr_row  # (1 + 0,5) ÷ 2 sub-tasks
    figures = html.split('data-testid="program-figures"')[1].split("</section>")[0]
    # (100% + 75% + 0%) ÷ 3 top-level tasks
    assert "58,33%" in figures
    assert "trung bình có trọng số tiến độ các nhiệm vụ cấp cao nhất đang triển khai" in figures
    assert "số nhiệm vụ đến hạn đã hoàn thành ÷ số nhiệm vụ đến hạn" in figures
    assert "hoàn thành đúng hạn ÷ đã hoàn thành = 1 ÷ 1" in figures
    assert "chưa đến hạn (đã hoàn thành sớm)" in figures  # an excluded item, with its reason


def test_filters_keep_the_ancestors_of_matching_tasks(client, auth, users, program, demo):
    auth.login("viewer")
    member = users["member"].id
    page = client.get(f"/programs/{program.id}?owner=user:{member}")
    assert tree(page) == [
        ("Thu ngân sách nhà nước trên địa bàn", "0"),
        ("Tạo điểm QR", "0"),
        ("Điểm QR chợ", "1"),
    ]
    html = text(page)
    assert re.search(rf'data-task-id="{demo["qr"].id}" data-depth="0" class="muted" data-context="1"', html)
    assert "Hiện 2 nhiệm vụ phù hợp" in html

    page = client.get(f"/programs/{program.id}?owner=name:Trần Thị C")
    assert [t for t, _d in tree(page)] == ["Tạo điểm QR", "Điểm QR trường học"]
    page = client.get(f"/programs/{program.id}?status=done_on_time")
    assert [t for t, _d in tree(page)] == ["Thu ngân sách nhà nước trên địa bàn", "Tạo điểm QR", "Điểm QR trường học"]
    page = client.get(f"/programs/{program.id}?category=indicator")
    assert [t for t, _d in tree(page)] == ["Thu ngân sách nhà nước trên địa bàn"]
    page = client.get(f"/programs/{program.id}?category=milestone&status=overdue")
    assert tree(page) == [] and "Không có nhiệm vụ nào phù hợp" in text(page)


def test_the_five_clear_gaps_name_what_is_missing(client, auth, users, program, demo):
    auth.login("viewer")
    html = text(client.get(f"/programs/{program.id}"))
    gaps = html.split('data-testid="clarity-gaps"')[1].split("</section>")[0]
    rows = dict(
        re.findall(r'data-testid="gap-row" data-task-id="(\d+)".*?data-testid="gap-missing">([^<]*)<', gaps, re.S)
    )
    assert set(rows) == {str(demo[k].id) for k in ("schools", "markets", "unclear")}
    assert rows[str(demo["unclear"].id)] == (
        "thiếu rõ việc (nội dung), rõ người (người thực hiện), rõ trách nhiệm (cơ quan chủ trì), "
        "rõ thời gian (thời hạn), rõ kết quả (kết quả cần đạt)"
    )
    assert "rõ người" not in rows[str(demo["markets"].id)]  # an owner account counts as "rõ người"
    task_page = text(client.get(f"/tasks/{demo['unclear'].id}"))
    assert task_page.count('data-testid="unclear"') == 5


def test_program_page_statements_do_not_grow_with_tasks(app, client, auth, users, program, revenue):
    auth.login("viewer")
    statements = []

    def count(*args):
        statements.append(args[2])

    def measure() -> int:
        statements.clear()
        sa.event.listen(db.engine, "before_cursor_execute", count)
        try:
            assert client.get(f"/programs/{program.id}").status_code == 200
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", count)
        return len(statements)

    few = measure()
    for n in range(6):
        task = factories.create_task(program, f"Chỉ tiêu {n}", owner_user=users["manager"], target=Decimal(10))
        factories.create_task(program, f"Việc con {n}", parent=task, owner_name=f"Người {n}", target=Decimal(5))
    db.session.commit()
    assert measure() == few


# --- tasks -------------------------------------------------------------------------------------------


def test_deadline_outside_the_program_is_saved_with_a_warning(client, auth, users, program):
    auth.login("manager")
    response = client.post(
        f"/programs/{program.id}/tasks/new", data=task_form(title="Chỉ tiêu 2031", deadline="31/12/2031")
    )
    assert response.status_code == 302
    assert db.session.scalar(select(Task.deadline)) == date(2031, 12, 31)
    page = text(client.get(response.headers["Location"]))
    assert 'class="flash flash-warning">Thời hạn nằm ngoài thời gian thực hiện của chương trình' in page


def test_task_form_rejects_bad_input_in_vietnamese(client, auth, users, program):
    auth.login("manager")
    response = client.post(
        f"/programs/{program.id}/tasks/new",
        data=task_form(title="", target="abc", weight="0", update_every_days="hai", parent_id="999"),
    )
    assert response.status_code == 400
    assert "không phải là số" in field_error(response, "target")
    assert "không phải là số ngày" in field_error(response, "update_every_days")
    assert field_error(response, "parent_id") == "Hãy chọn một mục trong danh sách."
    response = client.post(
        f"/programs/{program.id}/tasks/new",
        data=task_form(title="", measure_kind="decrease", baseline="1,0", target="1,5", weight="0"),
    )
    assert response.status_code == 400
    assert field_error(response, "title") == "Hãy nhập tên nhiệm vụ (rõ việc)."
    assert field_error(response, "target") == "Chỉ tiêu giảm phải nhỏ hơn giá trị ban đầu."
    assert field_error(response, "weight") == "Trọng số phải lớn hơn 0."
    assert db.session.scalar(select(func.count(Task.id))) == 0


def test_a_task_cannot_become_a_child_of_its_own_descendant(client, auth, users, program):
    parent = factories.create_task(program, "Tạo điểm QR")
    child = factories.create_task(program, "Điểm QR trường học", parent=parent)
    grandchild = factories.create_task(program, "Trường THCS", parent=child)
    db.session.commit()
    auth.login("manager")
    form = client.get(f"/tasks/{parent.id}/edit")
    version = re.search(r'name="version" type="hidden" value="(\d+)"', text(form)).group(1)
    response = client.post(
        f"/tasks/{parent.id}/edit",
        data=task_form(title="Tạo điểm QR", parent_id=str(grandchild.id), version=version),
    )
    assert response.status_code == 400
    assert "nhiệm vụ con của nó" in field_error(response, "parent_id")
    assert parent.parent_id is None


def test_two_task_edits_from_the_same_version_the_second_gets_409(app, client, auth, users, program, revenue):
    other = app.test_client()
    AuthActions(other).login("manager")
    auth.login("manager")
    first_form, second_form = client.get(f"/tasks/{revenue.id}/edit"), other.get(f"/tasks/{revenue.id}/edit")
    version = re.search(r'name="version" type="hidden" value="(\d+)"', text(first_form)).group(1)
    assert f'value="{version}"' in text(second_form)
    fields = task_form(title="Thu ngân sách", measure_kind="amount", target="2,94", unit_label="tỷ đồng")

    assert client.post(f"/tasks/{revenue.id}/edit", data={**fields, "version": version}).status_code == 302
    response = other.post(f"/tasks/{revenue.id}/edit", data={**fields, "target": "5", "version": version})
    assert response.status_code == 409
    assert "vừa được người khác cập nhật hoặc sửa" in text(response)
    assert (revenue.title, revenue.target) == ("Thu ngân sách", Decimal("2.94"))


def test_pause_needs_a_reason_then_resume(client, auth, users, program, revenue):
    auth.login("manager")
    page = client.get(f"/tasks/{revenue.id}")
    version = re.search(r'name="version" type="hidden" value="(\d+)"', text(page)).group(1)
    response = client.post(f"/tasks/{revenue.id}/lifecycle", data={"lifecycle": "paused", "version": version})
    assert response.status_code == 400
    assert field_error(response, "reason") == "Hãy ghi lý do tạm dừng hoặc hủy nhiệm vụ."
    data = {"lifecycle": "paused", "reason": "Chờ dự toán điều chỉnh", "version": version}
    assert client.post(f"/tasks/{revenue.id}/lifecycle", data=data).status_code == 302
    assert (revenue.lifecycle, revenue.lifecycle_reason) == ("paused", "Chờ dự toán điều chỉnh")
    assert 'data-status="paused"' in text(client.get(f"/tasks/{revenue.id}"))
    response = client.post(f"/tasks/{revenue.id}/lifecycle", data={"lifecycle": "active", "version": version})
    assert response.status_code == 409 and revenue.lifecycle == "paused"


# --- updates -----------------------------------------------------------------------------------------


def test_member_updates_an_owned_task_the_vietnamese_way(client, auth, users, revenue):
    auth.login("member")
    page = client.get(f"/tasks/{revenue.id}")
    assert page.status_code == 200 and 'data-testid="update-form"' in text(page)
    response = post_update(client, revenue, "4,03", note="Số liệu quý IV", evidence_url="https://stc.example.gov.vn/bc")
    assert response.status_code == 302
    update = db.session.scalar(select(TaskUpdate))
    assert (update.value, update.user_id, update.note) == (Decimal("4.03"), users["member"].id, "Số liệu quý IV")
    assert update.evidence_url == "https://stc.example.gov.vn/bc"

    html = text(client.get(response.headers["Location"]))
    assert 'data-testid="task-value">4,03 / 2,94 tỷ đồng<' in html
    assert "đạt 137,07%" in html
    assert 'data-testid="update-value">4,03 tỷ đồng<' in html
    assert 'data-testid="update-author">Member<' in html
    assert 'href="https://stc.example.gov.vn/bc"' in html
    assert "(giá trị − giá trị ban đầu) ÷ (chỉ tiêu − giá trị ban đầu)" in html  # the progress formula
    assert '<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img"' in html
    assert "Đã cập nhật tiến độ" in html


@pytest.mark.parametrize(
    ("typed", "stored"), [("1.234,5", Decimal("1234.5")), ("4.03", Decimal("4.03")), ("8.061", Decimal("8061"))]
)
def test_numbers_typed_the_vietnamese_way_are_accepted(client, auth, users, revenue, typed, stored):
    auth.login("member")
    assert post_update(client, revenue, typed, confirm="y").status_code == 302
    assert db.session.scalar(select(TaskUpdate.value)) == stored


@pytest.mark.parametrize("typed", ["1,234.5", "0,5.3", "1e3", "12abc", "1 234", "١٢"])
def test_numbers_written_another_way_are_refused_with_how_to_write_them(client, auth, users, revenue, typed):
    auth.login("member")
    response = post_update(client, revenue, typed, confirm="y")
    assert response.status_code == 400
    message = field_error(response, "value")
    assert f"“{typed}”" in message and "1.234,5" in message and "dấu “,” ngăn phần thập phân" in message
    assert update_count() == 0


def test_english_screens_read_numbers_the_english_way(client, auth, users, revenue):
    auth.login("member")
    client.get("/?lang=en")
    assert post_update(client, revenue, "1,234.5", confirm="y").status_code == 302
    assert db.session.scalar(select(TaskUpdate.value)) == Decimal("1234.5")
    refused = post_update(client, revenue, "1.234,5", confirm="y")
    assert refused.status_code == 400 and "1,234.5" in field_error(refused, "value")


def test_a_value_ten_times_the_target_or_the_last_value_asks_for_confirmation(client, auth, users, revenue):
    """4,03 of 2,94 tỷ planned is saved; 40,3 (a misplaced comma) waits for the member to confirm it."""
    auth.login("member")
    assert post_update(client, revenue, "4,03").status_code == 302
    asked = post_update(client, revenue, "40,3")
    assert asked.status_code == 400 and "lớn hơn 10 lần chỉ tiêu" in field_error(asked, "value")
    assert 'data-testid="update-confirm"' in asked.get_data(as_text=True)
    assert update_count() == 1
    assert post_update(client, revenue, "40,3", confirm="y").status_code == 302
    assert update_count() == 2


def test_a_value_ten_times_the_last_one_asks_for_confirmation_without_a_target(client, auth, users, program):
    task = factories.create_task(
        program, "Doanh nghiệp mới", measure_kind="count", target=None, owner_user=users["member"]
    )
    db.session.commit()
    auth.login("member")
    assert post_update(client, task, "22").status_code == 302
    asked = post_update(client, task, "2.200")
    assert asked.status_code == 400 and "lớn hơn 10 lần giá trị trước (22)" in field_error(asked, "value")
    assert update_count() == 1


@pytest.mark.parametrize(
    ("measure", "typed", "message"),
    [
        ("count", "abc", "“abc” không phải là số: hãy viết như 4,03 hoặc 1.234,5 (dấu “,” ngăn phần thập phân, "
         "dấu “.” ngăn hàng nghìn)."),
        ("count", "-5", "Giá trị không được âm với loại chỉ tiêu này."),
        ("amount", "100.000.000.000.000.000", "Số quá lớn: hãy kiểm tra lại (tối đa 13 chữ số phần nguyên)."),
        ("count", "", "Hãy nhập giá trị."),
        ("milestone", "150", "Tỷ lệ hoàn thành nhập từ 0 đến 100 (%)."),
    ],
)
def test_bad_values_are_refused_and_nothing_is_written(client, auth, users, program, measure, typed, message):
    task = factories.create_task(
        program, "Chỉ tiêu", measure_kind=measure, target=Decimal(600), owner_user=users["member"]
    )
    db.session.commit()
    auth.login("member")
    response = post_update(client, task, typed)
    assert response.status_code == 400
    assert field_error(response, "value") == message
    assert update_count() == 0


def test_a_milestone_is_done_in_one_tap_or_typed_as_a_percentage(client, auth, users, program):
    task = factories.create_task(program, "Trang thông tin điện tử phường", measure_kind="milestone")
    db.session.commit()
    auth.login("manager")
    assert post_update(client, task, "37,5").status_code == 302
    assert db.session.scalar(select(TaskUpdate.value)) == Decimal("0.375")
    page = client.get(f"/tasks/{task.id}")
    assert 'data-testid="update-done"' in text(page)
    response = client.post(f"/tasks/{task.id}/updates", data={"value": "", "done": "y", "version": version_on(page)})
    assert response.status_code == 302
    assert db.session.scalars(select(TaskUpdate.value).order_by(TaskUpdate.id)).all() == [
        Decimal("0.375"),
        Decimal(1),
    ]
    assert 'data-status="done_on_time"' in text(client.get(f"/tasks/{task.id}"))


def test_evidence_document_by_reference(client, auth, users, ward, revenue):
    document = factories.create_document(ward, "12/BC-UBND", date(2025, 12, 20), "Báo cáo thu ngân sách")
    db.session.commit()
    auth.login("member")
    response = post_update(client, revenue, "4,03", evidence_reference="12/BC-UBND")
    assert response.status_code == 302
    assert db.session.scalar(select(TaskUpdate.evidence_document_id)) == document.id
    assert 'data-testid="update-evidence">12/BC-UBND<' in text(client.get(f"/tasks/{revenue.id}"))

    response = post_update(client, revenue, "4,5", evidence_reference="99/BC-UBND", evidence_url="ftp://x")
    assert response.status_code == 400
    assert "Không tìm thấy văn bản “99/BC-UBND”" in field_error(response, "evidence_reference")
    assert update_count() == 1


def test_member_may_update_only_owned_tasks_and_viewer_never(client, auth, users, program, revenue):
    stranger = factories.create_task(program, "Nhiệm vụ của người khác", owner_name="Nguyễn Văn A")
    db.session.commit()
    auth.login("member")
    assert 'data-testid="update-form"' not in text(client.get(f"/tasks/{stranger.id}"))
    data = {"value": "1", "version": str(stranger.version)}
    assert client.post(f"/tasks/{stranger.id}/updates", data=data).status_code == 403
    auth.logout()
    auth.login("viewer")
    assert 'data-testid="update-form"' not in text(client.get(f"/tasks/{revenue.id}"))
    data = {"value": "1", "version": str(revenue.version)}
    assert client.post(f"/tasks/{revenue.id}/updates", data=data).status_code == 403
    assert update_count() == 0


def test_a_cancelled_task_takes_no_update(client, auth, users, revenue):
    auth.login("member")
    page = client.get(f"/tasks/{revenue.id}")
    services.set_lifecycle(revenue, "cancelled", "Không còn phù hợp", expected_version=None)
    db.session.commit()
    data = {"value": "4,03", "version": str(revenue.version)}
    response = client.post(f"/tasks/{revenue.id}/updates", data=data)
    assert response.status_code == 400
    assert field_error(response, "value") == "Nhiệm vụ đã hủy, không cập nhật được nữa."
    assert page.status_code == 200 and update_count() == 0
    assert 'data-testid="update-form"' not in text(client.get(f"/tasks/{revenue.id}"))


def test_a_live_linked_task_takes_no_typed_value(client, auth, users, program):
    task = factories.create_task(
        program, "600 điểm QR", source="sites_registered", target=Decimal(600), unit_label="điểm", category="qr_points"
    )
    db.session.commit()
    auth.login("manager")
    page = text(client.get(f"/tasks/{task.id}"))
    assert 'data-testid="update-form"' not in page and 'data-testid="live-note"' in page
    assert 'data-testid="update-author">Hệ thống<' in page  # the value recorded when the task was created
    before = update_count()
    response = client.post(f"/tasks/{task.id}/updates", data={"value": "650", "version": str(task.version)})
    assert response.status_code == 400
    assert "lấy số liệu tự động từ sổ đăng ký" in field_error(response, "value")
    assert update_count() == before


def test_a_manager_of_another_ward_is_refused(client, auth, users, province, program, revenue):
    other_ward = factories.create_unit("Phường Ba Hàng", "ward", parent=province, code="05862")
    factories.create_user("other", "manager", other_ward)
    db.session.commit()
    auth.login("other")
    assert client.get(f"/programs/{program.id}").status_code == 403
    assert client.get(f"/tasks/{revenue.id}").status_code == 403
    assert client.get(f"/tasks/{revenue.id}/edit").status_code == 403
    assert client.get(f"/programs/{program.id}/tasks/new").status_code == 403
    data = {"value": "1", "version": str(revenue.version)}
    assert client.post(f"/tasks/{revenue.id}/updates", data=data).status_code == 403
    assert "Chương trình hành động số 27" not in text(client.get("/programs/"))
    response = client.post("/programs/new", data={"unit": "05860", "title": "Chương trình lạ"})
    assert response.status_code == 403
    assert update_count() == 0


def test_two_updates_from_the_same_page_the_second_gets_409(app, client, auth, users, revenue):
    other = app.test_client()
    AuthActions(other).login("manager")
    auth.login("member")
    version = version_on(client.get(f"/tasks/{revenue.id}"))
    assert version_on(other.get(f"/tasks/{revenue.id}")) == version

    first = client.post(f"/tasks/{revenue.id}/updates", data={"value": "4,03", "version": version})
    second = other.post(f"/tasks/{revenue.id}/updates", data={"value": "3,5", "version": version})
    assert first.status_code == 302
    assert second.status_code == 409
    assert "vừa được người khác cập nhật hoặc sửa" in text(second)
    assert db.session.scalars(select(TaskUpdate.value)).all() == [Decimal("4.03")]


# --- a task with sub-tasks ---------------------------------------------------------------------------


def test_a_parent_task_page_shows_its_rolled_up_progress_not_a_value(client, auth, users, program, demo):
    db.session.add(TaskUpdate(task=demo["qr"], value=Decimal(600)))  # typed before it had sub-tasks
    db.session.commit()
    auth.login("manager")
    html = text(client.get(f"/tasks/{demo['qr'].id}"))
    figures = html.split('data-testid="task-figures"')[1].split("</section>")[0]
    assert "Giá trị hiện tại" not in figures and 'data-testid="task-value"' not in figures
    assert "Tiến độ tổng hợp" in figures and "75%" in figures  # (40/40 + 5/10) ÷ 2, the 600 typed is ignored
    assert re.search(r'data-testid="task-rollup">tính từ 2 nhiệm vụ con<', figures)
    assert "trung bình có trọng số tiến độ các nhiệm vụ con đang triển khai" in figures  # the formula, expandable
    measure = html.split('data-testid="task-measure"')[1].split("</dl>")[0]
    assert "Tiến độ tính từ 2 nhiệm vụ con" in measure
    assert 'data-testid="task-target"' not in measure and "Giá trị ban đầu" not in measure
    assert "không còn được dùng để tính tiến độ" in html  # the old update is listed, and said not to count
    assert 'data-testid="update-form"' not in html
    leaf = text(client.get(f"/tasks/{demo['schools'].id}"))
    assert 'data-testid="task-value">40 / 40<' in leaf and "task-rollup" not in leaf


def test_a_parent_task_form_offers_no_measure_and_saving_keeps_the_stored_one(client, auth, users, program, demo):
    qr = demo["qr"]
    auth.login("manager")
    form = client.get(f"/tasks/{qr.id}/edit")
    html = text(form)
    assert re.search(r'data-testid="task-form-rollup">Nhiệm vụ này có 2 nhiệm vụ con: tiến độ được tính từ', html)
    for name in ("measure_kind", "baseline", "target", "unit_label", "update_every_days", "source"):
        assert f'name="{name}"' not in html, name
    assert 'name="weight"' in html
    version = re.search(r'name="version" type="hidden" value="(\d+)"', html).group(1)
    data = task_form(title="Tạo điểm QR (sửa)", weight="2", category="qr_points", version=version)
    for name in ("measure_kind", "baseline", "target", "unit_label", "update_every_days", "source"):
        data.pop(name)
    response = client.post(f"/tasks/{qr.id}/edit", data=data)
    assert response.status_code == 302, field_error(response, "target")
    db.session.refresh(qr)
    assert (qr.title, qr.weight, qr.target, qr.unit_label, qr.measure_kind) == (
        "Tạo điểm QR (sửa)",
        Decimal(2),
        Decimal(600),
        "điểm",
        "count",
    )
    # A target posted anyway (an old page, a script) is not read: the parent's own measure stays as stored.
    version = re.search(r'name="version" type="hidden" value="(\d+)"', text(client.get(f"/tasks/{qr.id}/edit")))
    data = task_form(title="Tạo điểm QR", target="5", measure_kind="milestone", version=version.group(1))
    assert client.post(f"/tasks/{qr.id}/edit", data=data).status_code == 302
    db.session.refresh(qr)
    assert (qr.target, qr.measure_kind) == (Decimal(600), "count")
    leaf = text(client.get(f"/tasks/{demo['schools'].id}/edit"))
    assert 'name="target"' in leaf and "task-form-rollup" not in leaf


def test_a_parent_task_takes_no_typed_value(client, auth, users, program, demo):
    auth.login("manager")
    qr = demo["qr"]
    before = update_count()
    response = client.post(f"/tasks/{qr.id}/updates", data={"value": "5", "note": "", "version": str(qr.version)})
    assert response.status_code == 400
    assert field_error(response, "value") == "Nhiệm vụ có nhiệm vụ con: tiến độ được tính từ các nhiệm vụ con."
    assert update_count() == before


def test_the_program_page_and_list_link_the_exports(client, auth, users, program, revenue):
    auth.login("viewer")
    for page in (client.get(f"/programs/{program.id}"), client.get("/programs/")):
        html = page.get_data(as_text=True)
        for fmt in ("xlsx", "csv"):
            link = re.search(rf'href="([^"]+)" data-testid="program-export-{fmt}"', html).group(1)
            assert link == f"/programs/{program.id}/export.{fmt}"
            download = client.get(link)
            assert download.status_code == 200 and "attachment" in download.headers["Content-Disposition"]


def test_the_owner_is_not_read_twice_when_the_responsible_unit_repeats_it(client, auth, users, program, revenue):
    same = factories.create_task(program, "Kiện toàn Tổ", owner_name="UBND phường", responsible=" ubnd  PHƯỜNG ")
    other = factories.create_task(program, "Thu ngân sách", owner_name="UBND phường", responsible="Bộ phận tài chính")
    db.session.commit()
    auth.login("viewer")
    facts = text(client.get(f"/tasks/{same.id}")).split('data-testid="task-facts"')[1].split("</dl>")[0]
    assert re.search(r'data-testid="fact-owner">UBND phường<', facts)
    assert re.search(r'data-testid="fact-responsible"><span class="muted"[^>]*>như người thực hiện<', facts)
    assert facts.lower().count("ubnd") == 1
    for task, responsible in [(other, "Bộ phận tài chính"), (revenue, "UBND phường")]:
        facts = text(client.get(f"/tasks/{task.id}")).split('data-testid="task-facts"')[1].split("</dl>")[0]
        assert re.search(rf'data-testid="fact-responsible">{responsible}<', facts), task.title
        assert "như người thực hiện" not in facts


def test_a_province_manager_typing_a_shared_ward_name_gets_the_ward_of_the_province(client, auth, users, province):
    """'Phường Tân An' is a ward of Thái Nguyên and of Tuyên Quang: the name is read within the manager's scope."""
    own = factories.create_unit("Phường Tân An", "ward", parent=province, code="05870")
    factories.create_unit("Phường Tân An", "ward", parent=factories.create_unit("Tuyên Quang", "province", code="08"))
    factories.create_user("tinh", "manager", province)
    db.session.commit()
    auth.login("tinh")
    response = client.post("/programs/new", data={"unit": "tan an", "title": "Kế hoạch chuyển đổi số"})
    assert response.status_code == 302, field_error(response, "unit")
    assert db.session.scalar(select(Program.unit_id)) == own.id
