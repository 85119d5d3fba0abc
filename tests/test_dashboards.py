"""The unit dashboard: the demo's figures as rendered, scope, explainable figures, the registry panels,
and a fixed number of SQL statements whatever the size of the data."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from html.parser import HTMLParser

import pytest
from sqlalchemy import delete, event, select, update

from tests import factories
from tracker.boards.models import Board, BoardKind, MemberRole, Membership
from tracker.dashboards.models import DashboardFragment
from tracker.db import local_today
from tracker.extensions import db
from tracker.programs.models import (
    Lifecycle,
    MeasureKind,
    Program,
    ProgramFigures,
    Task,
    TaskCategory,
    TaskSource,
    TaskUpdate,
)
from tracker.programs.progress import evaluate_program
from tracker.programs.rules import Status
from tracker.programs.summary import summarize_unit
from tracker.public_services.models import PublicService, ServicePeriod
from tracker.sites.codes import new_code
from tracker.sites.models import CheckIn, Site, SiteKind, SiteStatus
from tracker.units.models import Unit

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class _Element(HTMLParser):
    """The text and links of the first element carrying data-testid=<testid>."""

    def __init__(self, testid: str):
        super().__init__(convert_charrefs=True)
        self.testid, self.depth, self.found = testid, 0, False
        self.parts: list[str] = []
        self.links: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if self.depth:
            self.depth += tag not in VOID
            if tag == "a":
                self.links.append(attrs.get("href"))
        elif not self.found and attrs.get("data-testid") == self.testid:
            self.found, self.depth = True, 1

    def handle_endtag(self, tag):
        if self.depth and tag not in VOID:
            self.depth -= 1

    def handle_data(self, data):
        if self.depth:
            self.parts.append(data)


class Panel:
    def __init__(self, page, testid: str):
        parser = _Element(testid)
        parser.feed(page.get_data(as_text=True))
        assert parser.found, f'no element with data-testid="{testid}"'
        self.text = " ".join(" ".join(parser.parts).split())
        self.links = parser.links


def by_code(code: str) -> Unit:
    return db.session.scalar(select(Unit).where(Unit.code == code))


def by_name(name: str) -> Unit:
    return db.session.scalar(select(Unit).where(Unit.name == name))


@pytest.fixture
def demo(runner, app):
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    return {
        "province": by_code("19"),
        "pho_yen": by_code("05860"),
        "bac_kan": by_code("01843"),
        "bai_bong": by_name("Phường Bãi Bông"),
        "phung_chi_kien": by_name("Phường Phùng Chí Kiên"),
    }


def login_as(auth, username: str, role: str, unit: Unit | None) -> None:
    factories.create_user(username, role, unit)
    db.session.commit()
    assert auth.login(username).status_code == 302


# --- the demo, as a province viewer sees it ------------------------------------------------------------


def test_province_viewer_sees_todays_programs_ranked_and_ended_ones_apart(client, auth, demo):
    quiet = factories.create_unit("Xã Phú Bình", "commune", parent=demo["province"])
    login_as(auth, "tinh", "viewer", demo["province"])
    page = client.get("/")
    assert page.status_code == 200
    assert "Thái Nguyên" in Panel(page, "dashboard-title").text

    ranking = Panel(page, "ranking")
    # Phổ Yên ranks by its own 2025–2030 program, not by Bãi Bông's ended one; Bắc Kạn's only plan (Phùng Chí
    # Kiên's, 2022) has ended: it has no current program, like a commune that never had one.
    assert "Phường Phổ Yên 50,15%" in ranking.text and "74,59%" not in ranking.text and "97,48%" not in ranking.text
    drill = [link for link in ranking.links if "unit_id=" in link and "sort=" not in link]
    assert drill == [f"/?unit_id={demo['pho_yen'].id}", f"/?unit_id={demo['bac_kan'].id}", f"/?unit_id={quiet.id}"]
    # Every current commune in scope is ranked, those without a current program last; the pre-2025 city that ended
    # without a successor is not listed.
    assert "Phường Bắc Kạn Chưa có chương trình đang thực hiện" in ranking.text
    assert "Xã Phú Bình Chưa có chương trình đang thực hiện" in ranking.text
    assert "Thành phố" not in ranking.text

    overall = Panel(page, "overall")
    assert "50,15%" in overall.text
    assert "trung bình của đơn vị (nếu có chương trình) và từng đơn vị trực thuộc có chương trình" in overall.text

    completion = Panel(page, "completion")  # only the current program's due tasks: its board and services
    assert "Nhiệm vụ đến hạn đã hoàn thành đạt 0%" in completion.text
    assert "số nhiệm vụ đến hạn đã hoàn thành ÷ số nhiệm vụ đến hạn = 0 ÷ 2" in completion.text
    on_time = Panel(page, "on-time")
    assert "hoàn thành đúng hạn ÷ đã hoàn thành = 0 ÷ 0" in on_time.text
    assert "loại trừ: chưa hoàn thành" in on_time.text  # exclusions are shown, not hidden

    status = Panel(page, "status")
    assert "Tình trạng nhiệm vụ (6)" in status.text
    assert "Đang thực hiện trong hạn 4" in status.text and "Đang thực hiện quá hạn 2" in status.text

    indicators = Panel(page, "indicators")
    for text in ("18,5 / 35 % GRDP", "52,86%", "96,2 / 99 %", "97,17%", "64 / 220 doanh nghiệp", "29,09%"):
        assert text in indicators.text, text
    assert "4,03 / 2,94" not in indicators.text and "49 / 53 hộ" not in indicators.text

    overdue = Panel(page, "overdue")
    assert "Kiện toàn Ban chỉ đạo chuyển đổi số phường đủ 27 thành viên" in overdue.text
    assert "30/09/2025" in overdue.text and "26 / 27 người" in overdue.text and "96,3%" in overdue.text
    assert "(26 − 0) ÷ (27 − 0)" in overdue.text
    assert "Khắc phục hộ vi phạm" not in overdue.text  # an ended plan's task is overdue no more in today's lists
    assert any(link.startswith("/tasks/") for link in overdue.links)

    assert "Chương trình chuyển đổi số phường Phổ Yên giai đoạn 2025–2030" in Panel(page, "scope-programs").text
    # The ended programs stay readable with their final figures, the latest to end first.
    ended = Panel(page, "ended-programs")
    assert "Chương trình đã kết thúc (2)" in ended.text
    assert ended.text.index("27-CTr/ĐU") < ended.text.index("năm 2022")
    assert "74,59%" in ended.text and "97,48%" in ended.text


def test_drill_down_to_each_ward(client, auth, demo):
    login_as(auth, "tinh", "viewer", demo["province"])
    pho_yen = client.get(f"/?unit_id={demo['pho_yen'].id}")
    assert pho_yen.status_code == 200
    assert Panel(pho_yen, "crumbs").links == [f"/?unit_id={demo['province'].id}"]
    own = Panel(pho_yen, "programs")  # the ward's own current program
    assert "Chương trình chuyển đổi số phường Phổ Yên giai đoạn 2025–2030" in own.text
    assert "27-CTr/ĐU" not in own.text
    assert "50,15%" in Panel(pho_yen, "own").text
    # Bãi Bông was merged into Phổ Yên: its 2021 program is Phổ Yên's history, with its final figures.
    ended = Panel(pho_yen, "ended-programs")
    assert "Chương trình hành động số 27-CTr/ĐU" in ended.text and "Phường Bãi Bông" in ended.text
    assert "74,59%" in ended.text and "07/02/2021 – 31/12/2025" in ended.text
    assert "Phường Phùng Chí Kiên" not in pho_yen.get_data(as_text=True)
    # The staffing panel counts today's boards: Bãi Bông's, whose seats ended with the merger, are history.
    boards = Panel(pho_yen, "boards-panel")
    assert "26 / 27" in boards.text and "Bãi Bông" not in boards.text
    assert Panel(pho_yen, "qr-registered").text == "5"  # the sites the merger moved

    bac_kan = client.get(f"/?unit_id={demo['bac_kan'].id}")
    assert bac_kan.status_code == 200
    assert "Chưa có chương trình nào trong phạm vi đơn vị này." in Panel(bac_kan, "programs").text
    ended = Panel(bac_kan, "ended-programs")
    assert "Kế hoạch phát triển kinh tế – xã hội và chuyển đổi số năm 2022" in ended.text and "97,48%" in ended.text
    assert "Không có nhiệm vụ nào." in Panel(bac_kan, "overdue").text

    # The overall figure's items link to the children's dashboards too.
    assert f"/?unit_id={demo['pho_yen'].id}" in Panel(client.get("/"), "overall").links


def test_an_ended_program_leaves_the_current_rollups_and_keeps_its_final_figures(app, client, auth, users, ward):
    manager, last_day = users["manager"], date(2026, 3, 31)
    ended = factories.create_program(ward, "Kế hoạch quý I năm 2026", starts_on=date(2026, 1, 1), ends_on=last_day)
    current = factories.create_program(ward, "Chương trình 2026–2030", starts_on=date(2026, 1, 1))
    wallets = factories.create_task(
        ended, "Hộ gia đình dùng ví điện tử", measure_kind="count", target=Decimal(100), deadline=last_day
    )
    firms = factories.create_task(
        current, "Doanh nghiệp thành lập mới", measure_kind="count", target=Decimal(10), deadline=date(2030, 12, 31)
    )
    factories.create_task_update(wallets, manager, "80", at=datetime(2026, 3, 20, 2, tzinfo=UTC))
    factories.create_task_update(firms, manager, "2", at=datetime(2026, 3, 20, 2, tzinfo=UTC))
    db.session.commit()

    with app.test_request_context("/"):  # as the dashboard reads: the day's figures are kept
        before = summarize_unit(ward.id, last_day)
    assert before.overall.value == Decimal("0.5") and not before.ended  # its last day: still current
    db.session.commit()
    assert db.session.get(ProgramFigures, ended.id).day == last_day

    # Midnight, nothing written: the next day's roll-up leaves it out; it is listed apart, with its final figures.
    with app.test_request_context("/"):
        after = summarize_unit(ward.id, last_day + timedelta(days=1))
    assert [ps.program.id for ps in after.programs] == [current.id] and after.overall.value == Decimal("0.2")
    assert [ps.program.id for ps in after.all_programs] == [current.id]
    assert after.overdue == [] and after.status_counts == {Status.IN_PROGRESS: 1}
    assert after.completion.value is None  # no current task is due yet: the ended one's overdue task is not counted
    (final,) = after.ended
    assert final.ended and final.progress.value == Decimal("0.8")
    assert final.by_id(wallets.id).status == Status.OVERDUE  # due by its end and not done: so it closed
    db.session.commit()

    # A value dated after its end does not rewrite its final figures.
    factories.create_task_update(wallets, manager, "100", at=datetime(2026, 4, 5, 2, tzinfo=UTC))
    db.session.commit()
    state = evaluate_program(ended, date(2026, 4, 6))
    assert state.by_id(wallets.id).value == Decimal(80) and state.progress.value == Decimal("0.8")

    # Readable on the dashboard today, under its own heading.
    auth.login("viewer")
    ended_panel = Panel(client.get("/"), "ended-programs")
    assert "Chương trình đã kết thúc (1)" in ended_panel.text and "Kế hoạch quý I năm 2026" in ended_panel.text
    assert "80%" in ended_panel.text and f"/programs/{ended.id}" in ended_panel.links
    program_page = client.get(f"/programs/{ended.id}")
    assert program_page.status_code == 200
    assert "Chương trình đã kết thúc ngày 31/03/2026" in Panel(program_page, "program-final").text
    assert "80%" in Panel(program_page, "program-progress").text
    assert 'data-testid="program-final"' not in client.get(f"/programs/{current.id}").get_data(as_text=True)


def test_ward_viewer_stays_in_scope(client, auth, users, demo):
    auth.login("viewer")  # scoped to Phường Phổ Yên (05860)
    page = client.get("/")
    assert page.status_code == 200
    assert "Phường Phổ Yên" in Panel(page, "dashboard-title").text
    assert 'data-testid="crumbs"' not in page.get_data(as_text=True)  # nothing above the user's own unit
    assert client.get(f"/?unit_id={demo['bai_bong'].id}").status_code == 200  # a predecessor is in scope
    assert client.get(f"/?unit_id={demo['bac_kan'].id}").status_code == 403
    assert client.get(f"/?unit_id={demo['phung_chi_kien'].id}").status_code == 403
    assert client.get(f"/?unit_id={demo['province'].id}").status_code == 403


def test_admin_without_unit_picks_a_province(client, auth, users, demo):
    auth.login("admin")
    picker = Panel(client.get("/?chon=1"), "unit-picker")  # the landing is the demo's unit (test_unit_names)
    assert "Thái Nguyên" in picker.text and "Thanh Hóa" in picker.text
    assert "Tỉnh Bắc Kạn" not in picker.text  # merged into Thái Nguyên in 2025
    assert f"/?unit_id={demo['province'].id}" in picker.links
    assert client.get("/?unit_id=999999").status_code == 404


def test_account_without_unit_is_told_so(client, auth, app):
    login_as(auth, "lost", "viewer", None)
    assert "chưa được gắn với đơn vị" in Panel(client.get("/"), "no-unit").text


# --- lists ---------------------------------------------------------------------------------------------


def _program(unit, title="Kế hoạch chuyển đổi số", **fields) -> Program:
    program = Program(unit=unit, title=title, starts_on=date(2025, 1, 1), ends_on=date(2030, 12, 31), **fields)
    db.session.add(program)
    return program


def _task(program, title, *, points=(), **fields) -> Task:
    fields.setdefault("target", Decimal(100))
    task = Task(program=program, title=title, **fields)
    db.session.add(task)
    for day, value in points:
        at = datetime.combine(day, datetime.min.time(), UTC).replace(hour=3)
        db.session.add(TaskUpdate(task=task, at=at, value=Decimal(value)))
    return task


def test_each_list_shows_twenty_and_counts_the_rest(client, auth, ward):
    today = local_today()
    program = _program(ward)
    for i in range(23):
        _task(program, f"Nhiệm vụ quá hạn {i:02d}", deadline=today - timedelta(days=30 - i), points=[(today, 10)])
    _task(program, "Sắp đến hạn", deadline=today + timedelta(days=3), points=[(today, 50)])
    _task(program, "Tạm dừng", deadline=today - timedelta(days=5), lifecycle=Lifecycle.PAUSED)
    db.session.commit()
    login_as(auth, "xem", "viewer", ward)
    page = client.get("/")
    overdue = Panel(page, "overdue")
    assert len([link for link in overdue.links if link.startswith("/tasks/")]) == 20
    assert "Nhiệm vụ quá hạn (23)" in overdue.text and "… và 3 nhiệm vụ khác." in overdue.text
    assert "Nhiệm vụ quá hạn 00" in overdue.text and "Nhiệm vụ quá hạn 22" not in overdue.text  # oldest first
    assert "Sắp đến hạn" in Panel(page, "due-soon").text
    assert "Tạm dừng 1" in Panel(page, "status").text
    assert "loại trừ: tạm dừng hoặc đã hủy" in Panel(page, "completion").text


def _row(page, testid: str, task: Task) -> str:
    """The text of a task's row in one list of the dashboard."""
    panel = page.get_data(as_text=True).split(f'data-testid="{testid}"', 1)[1].split("</section>", 1)[0]
    row = panel.split(f'<tr data-task-id="{task.id}"', 1)[1].split("<tr data-task-id=", 1)[0]  # figures hold tables
    return " ".join(row.split())


def test_a_parent_task_shows_its_rolled_up_progress_in_the_lists(client, auth, ward):
    """DESIGN §2.6: a task with sub-tasks has no value or target of its own; the lists show its roll-up, never '—'."""
    today = local_today()
    program = _program(ward)
    parent = _task(
        program,
        "Tạo điểm QR",
        target=Decimal(600),
        unit_label="điểm",
        category=TaskCategory.INDICATOR,
        deadline=today - timedelta(days=10),
        points=[(today - timedelta(days=40), 600)],  # typed before it had sub-tasks: not its result
    )
    _task(program, "Điểm QR trường học", parent=parent, target=Decimal(40), points=[(today, 40)])
    _task(program, "Điểm QR chợ", parent=parent, target=Decimal(10), points=[(today, 5)])
    leaf = _task(
        program, "Hộ dùng ví điện tử", target=Decimal(50), category=TaskCategory.INDICATOR, points=[(today, 20)]
    )
    db.session.commit()
    login_as(auth, "xem", "viewer", ward)
    page = client.get("/")

    for testid in ("overdue", "indicators"):
        row = _row(page, testid, parent)
        assert 'data-rollup="2">75%<' in row, (testid, row)  # (40/40 + 5/10) ÷ 2; the 600 typed is ignored
        assert "tính từ 2 nhiệm vụ con" in row and "600" not in row
        assert "—" not in row, (testid, row)
    indicator = _row(page, "indicators", parent)
    assert "Tiến độ tổng hợp" in indicator and "trung bình có trọng số tiến độ các nhiệm vụ con" in indicator
    plain = _row(page, "indicators", leaf)
    assert "20 / 50" in plain and "data-rollup" not in plain and "tính từ" not in plain


# --- the registry panels -------------------------------------------------------------------------------


def _site(unit, kind=SiteKind.AGENCY, *, printed=False, checkins=(), status=SiteStatus.ACTIVE) -> Site:
    """A site with its poster printed or not, and a check-in `checkins` days ago each (from its own device)."""
    site = factories.insert_site(
        unit,
        f"Điểm {new_code()}",
        kind,
        status=status,
        poster_printed_at=datetime.now(UTC) if printed else None,
    )
    for days_ago in checkins:
        factories.check_in(site, datetime.now(UTC) - timedelta(days=days_ago), device=new_code())
    return site


def _service(unit, code, level, *periods) -> PublicService:
    service = PublicService(unit=unit, code=code, name=f"Thủ tục {code}", level=level)
    db.session.add(service)
    for i, (total, online) in enumerate(periods):
        start = date(2025, 1 + 3 * i, 1)
        db.session.add(
            ServicePeriod(
                service=service,
                period_start=start,
                period_end=start + timedelta(days=80),
                records_total=total,
                records_online=online,
            )
        )
    return service


def _board(unit, name, target, spans, kind=BoardKind.STEERING_BOARD) -> Board:
    """`spans`: (starts_on, ends_on) per member."""
    board = Board(unit=unit, kind=kind, name=name, target_size=target)
    db.session.add(board)
    for i, (starts, ends) in enumerate(spans):
        db.session.add(
            Membership(
                board=board, person_name=f"Nguyễn Văn {i}", role=MemberRole.MEMBER, starts_on=starts, ends_on=ends
            )
        )
    return board


def test_registry_panels_count_the_subtree_only(client, auth, province, ward):
    today = local_today()
    group = factories.create_unit("Tổ dân phố số 1", "residential_group", parent=ward)
    other = factories.create_unit("Phường Ba Hàng", "ward", parent=province)

    _site(ward, printed=True, checkins=[1, 45])
    _site(ward, SiteKind.SCHOOL, checkins=[40])  # last check-in too old to count as active
    _site(ward, printed=True, checkins=[1], status=SiteStatus.RETIRED)  # retired: not counted
    _site(group, SiteKind.HOUSEHOLD_BUSINESS, printed=True)
    _site(other, printed=True, checkins=[1])

    _service(ward, "1.001", 4, (100, 40))
    _service(ward, "1.002", 4, (50, 35))
    _service(group, "1.003", 3)
    _service(ward, "1.004", 2)
    _service(ward, "1.005", 1)
    _service(other, "1.001", 4, (1000, 1000))

    yesterday, tomorrow = today - timedelta(days=1), today + timedelta(days=1)
    long_ago = date(2024, 1, 1)
    _board(
        ward,
        "Ban chỉ đạo phường",
        5,
        [(long_ago, None), (today, None), (long_ago, today), (long_ago, yesterday), (tomorrow, None)],
    )
    _board(ward, "Tổ giúp việc", 2, [(long_ago, None), (long_ago, None)], BoardKind.WORKING_GROUP)
    _board(other, "Ban chỉ đạo phường Ba Hàng", 3, [(long_ago, None)])
    db.session.commit()

    login_as(auth, "xem", "viewer", ward)
    page = client.get("/")
    assert [Panel(page, f"qr-{n}").text for n in ("registered", "printed", "active")] == ["3", "2", "1"]
    qr = Panel(page, "qr-panel")
    assert "Cơ quan 1 1 1" in qr.text and "Trường học 1 0 0" in qr.text and "Hộ kinh doanh 1 1 0" in qr.text

    services = [Panel(page, f"services-{n}").text for n in ("full", "partial", "offline")]
    assert services == ["2", "1", "2"]
    share = Panel(page, "services-share")
    assert "60%" in share.text and "= 3 ÷ 5" in share.text
    records = Panel(page, "services-records")
    assert "50%" in records.text and "= 75 ÷ 150" in records.text

    boards = Panel(page, "boards-panel")
    assert "Ban chỉ đạo phường · Ban chỉ đạo Phường Phổ Yên 3 / 5" in boards.text
    assert "Tổ giúp việc · Tổ giúp việc Phường Phổ Yên 2 / 2" in boards.text
    assert "1/2 ban đủ thành viên" in boards.text
    assert "Ba Hàng" not in boards.text


# --- no N+1 ----------------------------------------------------------------------------------------------


def grow(province: Unit, numbers: range) -> None:
    """Add communes, each with a program of every kind of task, updates, sites, check-ins, services, a board."""
    today = local_today()
    for n in numbers:
        commune = factories.create_unit(f"Xã Thử Nghiệm {n}", "commune", parent=province, code=f"9{n:04d}")
        group = factories.create_unit(f"Thôn {n}", "residential_group", parent=commune)
        board = _board(commune, f"Ban chỉ đạo xã {n}", 5, [(date(2024, 1, 1), None)] * 4)
        for unit in (commune, group):
            _site(unit, printed=True, checkins=[1, 2, 50])
            _site(unit, SiteKind.MARKET, checkins=[60])
        _service(commune, "2.001", 4, (10, 8))
        _service(commune, "2.002", 3, (10, 2), (20, 5))
        _service(group, "2.003", 2)

        program = _program(commune, f"Kế hoạch chuyển đổi số xã {n}")
        past = today - timedelta(days=60)
        _task(program, "Quá hạn", deadline=today - timedelta(days=10), points=[(past, 10), (today, 30)])
        _task(program, "Xong đúng hạn", deadline=today, points=[(past, 50), (today, 100)])
        _task(
            program,
            "Chỉ tiêu thu",
            category=TaskCategory.INDICATOR,
            measure_kind=MeasureKind.AMOUNT,
            target=Decimal("2.5"),
            deadline=today - timedelta(days=1),
            points=[(past, "2.9")],
        )
        _task(program, "Sắp đến hạn", deadline=today + timedelta(days=3), points=[(today, 50)])
        _task(
            program,
            "Lâu chưa cập nhật",
            update_every_days=7,
            deadline=today + timedelta(days=90),
            points=[(today - timedelta(days=30), 5)],
        )
        _task(
            program,
            "Chậm",
            deadline=today + timedelta(days=14),
            points=[(today - timedelta(days=20), 10), (today - timedelta(days=10), 11)],
        )
        parent = _task(program, "Nhóm nhiệm vụ", deadline=today + timedelta(days=100))
        _task(program, "Con 1", parent=parent, points=[(today, 40)])
        _task(program, "Con 2", parent=parent, lifecycle=Lifecycle.PAUSED)
        for source in TaskSource:
            if source != TaskSource.MANUAL:
                _task(
                    program,
                    f"Tự động {source.value}",
                    source=source,
                    source_board_id=board.id if source == TaskSource.BOARD_MEMBERS else None,
                    deadline=today + timedelta(days=200),
                )
        db.session.flush()
    db.session.commit()


def statements_for(client, url: str) -> list[str]:
    db.session.commit()
    seen: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        page = client.get(url)
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    assert page.status_code == 200
    return seen


def cold_and_kept(client) -> tuple[list[str], list[str]]:
    """The dashboard's statements when every program is evaluated again, then from the day's kept figures."""
    db.session.execute(update(ProgramFigures).values(day=None))
    db.session.execute(delete(DashboardFragment))
    cold = statements_for(client, "/")
    return cold, statements_for(client, "/")


def test_statement_count_does_not_grow_with_the_data(client, auth, province):
    _program(province, "Chương trình của tỉnh")
    grow(province, range(1, 2))
    login_as(auth, "tinh", "viewer", province)
    client.get("/")  # warm-up: first-request work is not the page's
    small_cold, small = cold_and_kept(client)

    # Three times the communes, programs, tasks, updates, sites, check-ins, services and boards.
    grow(province, range(2, 4))
    for site_id in db.session.scalars(select(Site.id)):
        db.session.add(CheckIn(site_id=site_id, at=datetime.now(UTC), device_hash=new_code()))
    large_cold, large = cold_and_kept(client)
    assert len(large_cold) == len(small_cold), "\n".join(small_cold)
    page = client.get("/")
    assert "Xã Thử Nghiệm 3" in Panel(page, "ranking").text
    assert Panel(page, "qr-registered").text == "12"
    assert "Sắp đến hạn (trong 7 ngày) (3)" in Panel(page, "due-soon").text
    assert "Lâu chưa cập nhật (3)" in Panel(page, "stale").text
    assert "Có nguy cơ trễ hạn (3)" in Panel(page, "at-risk").text
    assert len(large) == len(small), "\n".join(large)
    assert len(small) <= 20, "\n".join(small)
