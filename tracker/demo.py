"""The demo scenario of DESIGN §7, built idempotently from the source articles' figures.
People are placeholders ("Nguyễn Văn A"); units use the official codes where they still exist.

Over 400 lines on purpose: most of it is the story's data (the 2021 program's tasks and figures, the successor's
current program, the board, the sites), which reads best in one place top to bottom, in the order of §7."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import click
from sqlalchemy import func, or_, select

from tracker.boards.models import Board, BoardKind, MemberRole, Membership
from tracker.db import local_today
from tracker.documents.models import Document
from tracker.documents.services import create_document, parse_reference
from tracker.errors import ValidationError
from tracker.extensions import db
from tracker.programs.live import SYSTEM_NOTE, live_values, record_changes
from tracker.programs.models import MeasureKind, Program, Task, TaskCategory, TaskSource, TaskUpdate
from tracker.public_services.models import PublicService
from tracker.public_services.services import (
    PeriodFields,
    ServiceFields,
    counts_online,
    create_service,
    record_period,
    same_code,
)
from tracker.reports import services as reports
from tracker.reports.periods import PeriodKind, latest_ended
from tracker.sites.codes import new_code
from tracker.sites.models import Site, SiteKind, SiteStatus
from tracker.units.models import Unit, UnitKind
from tracker.units.services import merge

MERGER_DAY = date(2025, 7, 1)
REGISTERED_AT = datetime(2022, 3, 1, 2, tzinfo=UTC)  # the ward's QR points were registered in its 2022 campaign
DEMO_UNIT_CODE = "05860"  # Phường Phổ Yên, the successor whose story the demo tells
PLACEHOLDER_NAMES = [f"Nguyễn Văn {c}" for c in "ABCDEGHIKLMNOPQRSTUVXY"] + [
    f"Trần Thị {c}" for c in "ABCDEGHIKLMNOPQRSTUVXY"
]


# The ward's one-stop shop (bộ phận một cửa): procedures as on the Cổng Dịch vụ công quốc gia, the level each
# reached and since when, and the records of the two quarters of 2025 before the merger (total, online).
# fmt: off
BAI_BONG_SERVICES = [
    ("1.001193", "Thủ tục đăng ký khai sinh", "Hộ tịch", 4, date(2022, 3, 1), (46, 39), (52, 47)),
    ("1.000656", "Thủ tục đăng ký khai tử", "Hộ tịch", 4, date(2022, 3, 1), (18, 14), (15, 13)),
    ("1.004873", "Thủ tục cấp Giấy xác nhận tình trạng hôn nhân", "Hộ tịch", 4, date(2022, 9, 1), (61, 50), (58, 51)),
    ("2.000635", "Thủ tục cấp bản sao Trích lục hộ tịch", "Hộ tịch", 4, date(2023, 4, 1), (37, 30), (41, 36)),
    ("1.001022", "Thủ tục đăng ký kết hôn", "Hộ tịch", 3, date(2022, 9, 1), (24, 11), (19, 10)),
    ("1.004746", "Thủ tục đăng ký thay đổi, cải chính, bổ sung thông tin hộ tịch", "Hộ tịch", 3, date(2023, 4, 1),
     (9, 4), (12, 6)),
    ("1.000894", "Thủ tục đăng ký nhận cha, mẹ, con", "Hộ tịch", 3, date(2024, 1, 2), (3, 1), (2, 1)),
    ("2.000815", "Thủ tục chứng thực bản sao từ bản chính giấy tờ, văn bản", "Chứng thực", 3, date(2023, 4, 1),
     (412, 96), (455, 131)),
    ("2.000884", "Thủ tục chứng thực chữ ký trong các giấy tờ, văn bản", "Chứng thực", 3, date(2024, 1, 2),
     (87, 12), (93, 19)),
    ("1.001776", "Thủ tục thực hiện, điều chỉnh, thôi hưởng trợ cấp xã hội hằng tháng", "Bảo trợ xã hội", 3,
     date(2024, 7, 1), (7, 2), (5, 2)),
    ("1.000775", "Thủ tục tặng Giấy khen của Chủ tịch Ủy ban nhân dân cấp xã", "Thi đua, khen thưởng", 2, None,
     (4, 0), (6, 0)),
    ("2.000509", "Thủ tục hòa giải tranh chấp đất đai", "Đất đai", 2, None, (5, 0), (3, 0)),
    ("1.003005", "Thủ tục đăng ký việc nuôi con nuôi trong nước", "Nuôi con nuôi", 2, None, (1, 0), (0, 0)),
    ("1.000954", "Thủ tục thông báo tổ chức lễ hội cấp xã", "Văn hóa cơ sở", 1, None, (0, 0), (1, 0)),
]
# fmt: on
QUARTERS = [(date(2025, 1, 1), date(2025, 3, 31)), (date(2025, 4, 1), date(2025, 6, 30))]


def _public_services(unit: Unit, task: Task) -> None:
    """The ward's catalog with its records; a services task without history gets one step per day procedures
    went online, as the live hook would have recorded it then."""
    for code, name, field, level, since, *records in BAI_BONG_SERVICES:
        if same_code(unit.id, code) is not None:
            continue
        service = create_service(unit, ServiceFields(code, name, field, level, since))
        for (start, end), (total, online) in zip(QUARTERS, records, strict=True):
            record_period(service, PeriodFields(start, end, total, online))
    if task.updates:
        return
    rows = db.session.scalars(select(PublicService).where(PublicService.unit_id == unit.id))
    online = sorted(s.online_since for s in rows if s.online_since and counts_online(s.level))
    for n, day in enumerate(online, start=1):
        if n == len(online) or online[n] != day:  # one step per day, with every procedure online by then
            stamp = datetime.combine(day, datetime.min.time(), UTC).replace(hour=9)
            db.session.add(TaskUpdate(task=task, value=Decimal(n), at=stamp, note=SYSTEM_NOTE))
    db.session.flush()


def _unit(name, kind, parent=None, code=None, **dates) -> Unit:
    if code:
        unit = db.session.scalar(select(Unit).where(Unit.code == code))
    else:
        unit = db.session.scalar(select(Unit).where(Unit.name == name, Unit.code.is_(None), Unit.kind == kind))
    if unit is None:
        unit = Unit(name=name, kind=UnitKind(kind), parent=parent, code=code, **dates)
        db.session.add(unit)
        db.session.flush()
    return unit


def _document(unit, reference, issued_on, title) -> Document:
    canonical = str(parse_reference(reference))
    found = db.session.scalar(select(Document).where(Document.unit_id == unit.id, Document.reference == canonical))
    return found or create_document(unit, reference, issued_on, title)


def _program(unit, title, **fields) -> Program:
    program = db.session.scalar(select(Program).where(Program.unit_id == unit.id, Program.title == title))
    if program is None:
        program = Program(unit=unit, title=title, **fields)
        db.session.add(program)
        db.session.flush()
    return program


def _task(program, position, title, value=None, at=None, **fields) -> Task:
    task = db.session.scalar(select(Task).where(Task.program_id == program.id, Task.title == title))
    if task is None:
        task = Task(program=program, position=position, title=title, **fields)
        db.session.add(task)
        db.session.flush()
        if value is not None:
            stamp = datetime.combine(at or date(2025, 6, 30), datetime.min.time(), UTC).replace(hour=9)
            db.session.add(TaskUpdate(task=task, value=Decimal(value), at=stamp, note="Số liệu từ báo cáo của đơn vị"))
    return task


def _board(unit, kind, name, document, target, size, head_position, parent=None) -> Board:
    board = db.session.scalar(select(Board).where(Board.unit_id == unit.id, Board.name == name))
    if board is not None:
        return board
    board = Board(unit=unit, kind=kind, name=name, established_by=document, target_size=target, parent_board=parent)
    db.session.add(board)
    working = kind == BoardKind.WORKING_GROUP
    roles = [MemberRole.GROUP_LEADER if working else MemberRole.HEAD]
    roles += [MemberRole.GROUP_DEPUTY if working else MemberRole.STANDING_DEPUTY]
    roles += [MemberRole.GROUP_MEMBER if working else MemberRole.MEMBER] * (size - 2)
    for i, role in enumerate(roles):
        db.session.add(
            Membership(
                board=board,
                person_name=PLACEHOLDER_NAMES[i],
                position=head_position if i == 0 else ("Cán bộ, công chức phường" if working else "Ủy viên Ban"),
                role=role,
                starts_on=document.issued_on,
                appointed_by=document,
            )
        )
    db.session.flush()
    return board


def _successor(ward: Unit) -> None:
    """Phường Phổ Yên since the merger: its own steering board and its 2025–2030 program, so that its figures are
    today's, not those of the ended program of Bãi Bông; the QR points it inherited count in its QR task."""
    decision = _document(
        ward, "12-QĐ/ĐU", date(2025, 7, 15), "Quyết định thành lập Ban chỉ đạo chuyển đổi số phường Phổ Yên"
    )
    board = _board(
        ward, BoardKind.STEERING_BOARD, "Ban chỉ đạo chuyển đổi số phường Phổ Yên", decision, 27, 26,
        "Bí thư Đảng ủy phường",
    )  # fmt: skip
    program = _program(
        ward, "Chương trình chuyển đổi số phường Phổ Yên giai đoạn 2025–2030",
        starts_on=MERGER_DAY, ends_on=date(2030, 12, 31), is_public=True,
    )  # fmt: skip
    live = [
        _task(program, 1, "Duy trì và phát triển điểm quét mã QR trên địa bàn phường mới",
              category=TaskCategory.QR_POINTS, source=TaskSource.SITES_REGISTERED, measure_kind=MeasureKind.COUNT,
              target=Decimal(1000), unit_label="điểm", deadline=date(2030, 6, 30), owner_name="Công an phường",
              responsible="Công an phường", expected_result="1.000 điểm QR được đăng ký và in áp phích",
              description="Rà soát, đăng ký mới các điểm QR sau sắp xếp đơn vị hành chính"),
        _task(program, 2, "Cung cấp dịch vụ công trực tuyến toàn trình và một phần",
              category=TaskCategory.ONLINE_SERVICES, source=TaskSource.SERVICES_ONLINE, measure_kind=MeasureKind.COUNT,
              target=Decimal(40), unit_label="thủ tục", deadline=date(2025, 12, 31), owner_name="Nguyễn Văn C",
              responsible="Trung tâm phục vụ hành chính công phường", expected_result="40 thủ tục trực tuyến",
              description="Đưa thủ tục của phường lên Cổng dịch vụ công quốc gia"),
        _task(program, 3, "Kiện toàn Ban chỉ đạo chuyển đổi số phường đủ 27 thành viên",
              category=TaskCategory.BOARD_MEMBERSHIP, source=TaskSource.BOARD_MEMBERS, source_board_id=board.id,
              measure_kind=MeasureKind.COUNT, target=Decimal(27), unit_label="người", deadline=date(2025, 9, 30),
              owner_name="Văn phòng Đảng ủy", responsible="Đảng ủy phường", expected_result="Quyết định kiện toàn",
              description="Kiện toàn Ban chỉ đạo sau sắp xếp đơn vị hành chính"),
    ]  # fmt: skip
    for pos, (title, kind, target, label, value, at) in enumerate(
        [
            ("Kinh tế số trong GRDP", MeasureKind.PERCENT, "35", "% GRDP", "18.5", date(2025, 12, 31)),
            ("Tỷ lệ dân số tham gia bảo hiểm y tế", MeasureKind.PERCENT, "99", "%", "96.2", date(2026, 6, 30)),
            ("Doanh nghiệp thành lập mới", MeasureKind.COUNT, "220", "doanh nghiệp", "64", date(2026, 6, 30)),
        ],
        start=4,
    ):
        _task(program, pos, title, value=value, at=at, category=TaskCategory.INDICATOR, measure_kind=kind,
              target=Decimal(target), unit_label=label, deadline=date(2030, 12, 31), owner_name="UBND phường",
              responsible="Các bộ phận chuyên môn", expected_result=f"Đạt {target.replace('.', ',')} {label}",
              description="Chỉ tiêu chủ yếu giai đoạn 2025–2030")  # fmt: skip
    db.session.flush()
    fresh = [t for t in live if not t.updates]
    if fresh:
        record_changes(fresh, at=datetime.combine(decision.issued_on, datetime.min.time(), UTC).replace(hour=9))
    db.session.flush()


def build_demo() -> str:
    """Create (or complete) the demo units, documents, programs, tasks, boards and sites."""
    thai_nguyen = _unit("Thái Nguyên", "province", code="19")
    pho_yen = _unit("Phường Phổ Yên", "ward", thai_nguyen, code="05860")
    bac_kan = _unit("Phường Bắc Kạn", "ward", thai_nguyen, code="01843")
    thanh_hoa = _unit("Thanh Hóa", "province", code="38")
    quang_trung = _unit("Phường Quang Trung", "ward", thanh_hoa, code="14818")

    old_pho_yen = _unit("Thành phố Phổ Yên", "city", thai_nguyen, valid_to=date(2025, 6, 30))
    bai_bong = _unit("Phường Bãi Bông", "ward", old_pho_yen)
    old_bac_kan = _unit("Tỉnh Bắc Kạn", "province", valid_to=date(2025, 6, 30))
    old_bac_kan_city = _unit("Thành phố Bắc Kạn", "city", old_bac_kan, valid_to=date(2025, 6, 30))
    phung_chi_kien = _unit("Phường Phùng Chí Kiên", "ward", old_bac_kan_city)
    if old_bac_kan.merged_into_id is None:
        old_bac_kan.merged_into = thai_nguyen

    _document(
        thai_nguyen, "01-NQ/TU", date(2021, 1, 15),
        "Nghị quyết về chuyển đổi số tỉnh Thái Nguyên giai đoạn 2021–2025, định hướng đến năm 2030",
    )  # fmt: skip
    action = _document(
        bai_bong, "27-CTr/ĐU", date(2021, 2, 7),
        "Chương trình hành động thực hiện Nghị quyết số 01-NQ/TU của Ban Chấp hành Đảng bộ tỉnh về chuyển đổi số",
    )  # fmt: skip
    _document(bai_bong, "37/KH-UBND", date(2021, 11, 9), "Kế hoạch chuyển đổi số phường Bãi Bông năm 2022")
    steering_decision = _document(
        bai_bong, "63-QĐ/ĐU", date(2021, 12, 13), "Quyết định thành lập Ban chỉ đạo chuyển đổi số phường Bãi Bông"
    )
    group_decision = _document(
        bai_bong, "885/QĐ-UBND", date(2021, 12, 31), "Quyết định thành lập Tổ giúp việc Ban chỉ đạo chuyển đổi số"
    )

    steering = _board(
        bai_bong, BoardKind.STEERING_BOARD, "Ban chỉ đạo chuyển đổi số phường Bãi Bông", steering_decision,
        27, 26, "Bí thư Đảng ủy, Chủ tịch HĐND phường",
    )  # fmt: skip
    group = _board(
        bai_bong, BoardKind.WORKING_GROUP, "Tổ giúp việc Ban chỉ đạo chuyển đổi số phường Bãi Bông",
        group_decision, 14, 14, "Phó Chủ tịch UBND phường", parent=steering,
    )  # fmt: skip

    program = _program(
        bai_bong,
        "Chương trình hành động số 27-CTr/ĐU về chuyển đổi số phường Bãi Bông",
        basis_document=action, starts_on=date(2021, 2, 7), ends_on=date(2025, 12, 31), is_public=True,
    )  # fmt: skip
    _task(program, 1, "Tạo lập 600 điểm quét mã QR tại cơ quan, doanh nghiệp, hộ kinh doanh",
          category=TaskCategory.QR_POINTS, source=TaskSource.SITES_REGISTERED, measure_kind=MeasureKind.COUNT,
          target=Decimal(600), unit_label="điểm", deadline=date(2022, 6, 30), owner_name="Công an phường",
          responsible="Công an phường, Tổ giúp việc", expected_result="600 điểm QR được đăng ký và in áp phích",
          description="Đăng ký và in mã QR cho các điểm trên địa bàn")  # fmt: skip
    services_task = _task(program, 2, "Cung cấp thủ tục hành chính dưới dạng dịch vụ công trực tuyến mức độ 3, 4",
          category=TaskCategory.ONLINE_SERVICES, source=TaskSource.SERVICES_ONLINE, measure_kind=MeasureKind.COUNT,
          target=Decimal(40), unit_label="thủ tục", deadline=date(2022, 12, 31), owner_name="Văn phòng HĐND-UBND",
          responsible="Bộ phận một cửa phường", expected_result="40 thủ tục trực tuyến mức độ 3, 4",
          description="Rà soát, đưa thủ tục lên Cổng dịch vụ công")  # fmt: skip
    board_task = _task(program, 3, "Kiện toàn Ban chỉ đạo chuyển đổi số đủ 27 thành viên",
          category=TaskCategory.BOARD_MEMBERSHIP, source=TaskSource.BOARD_MEMBERS, source_board_id=steering.id,
          measure_kind=MeasureKind.COUNT, target=Decimal(27), unit_label="người", deadline=date(2021, 12, 31),
          owner_name="Văn phòng Đảng ủy", responsible="Đảng ủy phường", expected_result="Quyết định kiện toàn",
          description="Kiện toàn thành viên Ban chỉ đạo")  # fmt: skip
    group_task = _task(program, 4, "Kiện toàn Tổ giúp việc đủ 14 thành viên",
          category=TaskCategory.BOARD_MEMBERSHIP, source=TaskSource.BOARD_MEMBERS, source_board_id=group.id,
          measure_kind=MeasureKind.COUNT, target=Decimal(14), unit_label="người", deadline=date(2022, 1, 15),
          owner_name="UBND phường", responsible="UBND phường", expected_result="Quyết định thành lập Tổ giúp việc",
          description="Thành lập Tổ giúp việc")  # fmt: skip
    _task(program, 5, "Duy trì, cập nhật trang thông tin điện tử của phường", value="1", at=date(2022, 3, 1),
          category=TaskCategory.MILESTONE, measure_kind=MeasureKind.MILESTONE, target=Decimal(1),
          deadline=date(2022, 3, 31), owner_name="Văn phòng HĐND-UBND", responsible="Công chức Văn hóa – Xã hội",
          expected_result="Trang tin hoạt động, cập nhật hằng tuần", update_every_days=30,
          description="Cập nhật tin bài, văn bản")  # fmt: skip
    _task(program, 6, "Giá trị sản xuất công nghiệp trên địa bàn", value="15.6", at=date(2022, 12, 31),
          category=TaskCategory.INDICATOR, measure_kind=MeasureKind.AMOUNT, target=Decimal("15.6"),
          unit_label="tỷ đồng", deadline=date(2022, 12, 31), owner_name="UBND phường", responsible="UBND phường",
          expected_result="Đạt 15,6 tỷ đồng (100% kế hoạch)", description="Chỉ tiêu kinh tế")  # fmt: skip
    _task(program, 7, "Thu ngân sách nhà nước trên địa bàn", value="4.03", at=date(2022, 12, 31),
          category=TaskCategory.INDICATOR, measure_kind=MeasureKind.AMOUNT, target=Decimal("2.94"),
          unit_label="tỷ đồng", deadline=date(2022, 12, 31), owner_name="UBND phường", responsible="Bộ phận tài chính",
          expected_result="Hoàn thành dự toán thu 2,94 tỷ đồng", description="Chỉ tiêu thu ngân sách")  # fmt: skip
    db.session.flush()

    # The boards were staffed on the day of their decisions: record that, not today, as the live history.
    for task, decision in ((board_task, steering_decision), (group_task, group_decision)):
        if not task.updates:
            record_changes([task], at=datetime.combine(decision.issued_on, datetime.min.time(), UTC).replace(hour=9))
    db.session.flush()

    pck_program = _program(
        phung_chi_kien, "Kế hoạch phát triển kinh tế – xã hội và chuyển đổi số năm 2022",
        starts_on=date(2022, 1, 1), ends_on=date(2022, 12, 31),
    )  # fmt: skip
    _task(pck_program, 1, "Thu ngân sách nhà nước trên địa bàn", value="8061", at=date(2022, 12, 31),
          category=TaskCategory.INDICATOR, measure_kind=MeasureKind.AMOUNT, target=Decimal(7420),
          unit_label="triệu đồng", deadline=date(2022, 12, 31), owner_name="UBND phường",
          responsible="Bộ phận tài chính", expected_result="Hoàn thành dự toán 7.420 triệu đồng",
          description="Thu ngân sách")  # fmt: skip
    _task(pck_program, 2, "Khắc phục hộ vi phạm trật tự xây dựng", value="49", at=date(2022, 12, 31),
          category=TaskCategory.INDICATOR, measure_kind=MeasureKind.COUNT, target=Decimal(53), unit_label="hộ",
          deadline=date(2022, 12, 31), owner_name="Tổ quản lý trật tự đô thị", responsible="UBND phường",
          expected_result="53 hộ khắc phục xong", description="Xử lý vi phạm")  # fmt: skip
    _task(pck_program, 3, "Giảm tỷ lệ hộ nghèo", value="1.0", at=date(2022, 12, 31),
          category=TaskCategory.INDICATOR, measure_kind=MeasureKind.DECREASE, baseline=Decimal("1.5"),
          target=Decimal("1.0"), unit_label="%", deadline=date(2022, 12, 31), owner_name="Công chức LĐ-TB&XH",
          responsible="UBND phường", expected_result="Tỷ lệ hộ nghèo còn 1,0%", description="Giảm nghèo")  # fmt: skip

    qt_program = _program(
        quang_trung, "Chương trình chuyển đổi số và phát triển kinh tế – xã hội giai đoạn 2025–2030",
        starts_on=date(2025, 7, 1), ends_on=date(2030, 12, 31),
    )  # fmt: skip
    for pos, (title, kind, target, label) in enumerate(
        [
            ("Tốc độ tăng trưởng kinh tế bình quân", MeasureKind.PERCENT, "13.5", "%/năm"),
            ("Thu nhập bình quân đầu người", MeasureKind.AMOUNT, "90", "triệu đồng/người/năm"),
            ("Trường học đạt chuẩn quốc gia", MeasureKind.PERCENT, "100", "%"),
            ("Tỷ lệ dân số tham gia bảo hiểm y tế", MeasureKind.PERCENT, "99", "%"),
            ("Kinh tế số trong GRDP", MeasureKind.PERCENT, "35", "% GRDP"),
            ("Doanh nghiệp thành lập mới", MeasureKind.COUNT, "220", "doanh nghiệp"),
        ],
        start=1,
    ):
        _task(qt_program, pos, title, category=TaskCategory.INDICATOR, measure_kind=kind, target=Decimal(target),
              unit_label=label, deadline=date(2030, 12, 31), owner_name="UBND phường",
              responsible="Các bộ phận chuyên môn", expected_result=f"Đạt {target.replace('.', ',')} {label}",
              description="Chỉ tiêu chủ yếu giai đoạn 2025–2030")  # fmt: skip

    _public_services(bai_bong, services_task)

    # The ward's registries before the merger; the merger then hands the living ones to its successor.
    if bai_bong.merged_into_id is None:
        for name, kind, address in [
            ("Trụ sở Đảng ủy – HĐND – UBND phường Bãi Bông", SiteKind.AGENCY, "Tổ dân phố 1, phường Bãi Bông"),
            ("Trường Tiểu học Bãi Bông", SiteKind.SCHOOL, "Tổ dân phố 3, phường Bãi Bông"),
            ("Trạm Y tế phường Bãi Bông", SiteKind.HEALTH_FACILITY, "Tổ dân phố 2, phường Bãi Bông"),
            ("Chợ Bãi Bông", SiteKind.MARKET, "Tổ dân phố 5, phường Bãi Bông"),
            ("Cửa hàng tạp hóa Nguyễn Văn B", SiteKind.HOUSEHOLD_BUSINESS, "Tổ dân phố 4, phường Bãi Bông"),
        ]:
            db.session.add(
                Site(unit=bai_bong, name=name, kind=kind, address=address, code=new_code(), created_at=REGISTERED_AT)
            )
        db.session.flush()
    qr_task = db.session.scalar(select(Task).where(Task.program_id == program.id, Task.position == 1))
    if qr_task is not None:
        _eve_of_merger(qr_task, bai_bong)
    caught_up = []
    for source, into in ((bai_bong, pho_yen), (phung_chi_kien, bac_kan)):
        if source.merged_into_id is None:
            merge([source], into, MERGER_DAY)
        else:
            caught_up += _registries_follow(source)
    _successor(pho_yen)
    _quarter_report(pho_yen)
    db.session.flush()
    return "; ".join(
        caught_up
        + [
            f"{db.session.scalar(select(func.count(Program.id)))} chương trình, "
            f"{db.session.scalar(select(func.count(Task.id)))} nhiệm vụ, "
            f"{db.session.scalar(select(func.count(Board.id)))} ban, "
            f"{db.session.scalar(select(func.count(Site.id)))} điểm QR, "
            f"{db.session.scalar(select(func.count(PublicService.id)))} thủ tục dịch vụ công"
        ]
    )


def _quarter_report(ward: Unit) -> None:
    """The successor's report for the latest quarter whose data is cut off, submitted on its due day (DESIGN §9), so
    that the province's reporting page shows one ward that reported; nothing when the ward has reported it."""
    period = latest_ended(local_today(), {PeriodKind.QUARTER})[0]
    if reports.revisions(ward.id, period.key):
        return
    report = reports.create_report(ward.id, period.key)
    reports.update_report(report, {
        "number": "15/BC-BCĐ",
        "achievements": "Duy trì hoạt động của Ban chỉ đạo sau sắp xếp đơn vị hành chính; rà soát, đăng ký lại các "
        "điểm quét mã QR của phường Bãi Bông cũ trên địa bàn phường mới; đưa thủ tục hành chính lên Cổng dịch vụ công.",
        "shortcomings": "Ban chỉ đạo chưa đủ 27 thành viên; số thủ tục trực tuyến chưa đạt kế hoạch năm 2025.",
        "causes": "Nhân sự thay đổi sau sáp nhập; một số thủ tục chưa đủ điều kiện cung cấp toàn trình.",
        "next_steps": "Kiện toàn Ban chỉ đạo; tiếp tục đăng ký điểm QR tại hộ kinh doanh và trường học.",
        "proposals": "Đề nghị tỉnh hướng dẫn cung cấp các thủ tục còn lại dưới dạng dịch vụ công toàn trình.",
    })  # fmt: skip
    reports.submit(report, None)
    due = datetime.combine(reports.schedule_for(ward.id).due_on(period), datetime.min.time(), UTC)
    report.submitted_at = min(due + timedelta(hours=2), report.submitted_at)


def _eve_of_merger(task: Task, ward: Unit) -> None:
    """The QR task of the 2021 program records the ward's registry on the eve of the merger, unless its history
    already holds a value by then; after its end (2025) nothing writes to it, so this is its final figure."""
    eve = datetime.combine(MERGER_DAY, datetime.min.time(), UTC) - timedelta(hours=15)
    if any(update.at <= eve for update in task.updates):
        return
    value = live_values([task], {task.program_id: ward.id}, MERGER_DAY - timedelta(days=1))[task.id]
    db.session.add(TaskUpdate(task=task, value=value, at=eve, note=SYSTEM_NOTE))
    db.session.flush()


def _registries_follow(source: Unit) -> list[str]:
    """A database built by the demo before the merger story has the merged ward still holding its active sites
    and open seats. Hand them over as a merge does today, through the same service: it takes a current unit only,
    so the unit is reopened and merged again, on the same day into the same successor, in the one transaction of
    the command (its row ends as it was; the audit shows both steps and the merge)."""
    on, into = source.valid_to, source.merged_into
    sites = db.session.scalar(
        select(func.count(Site.id)).where(Site.unit_id == source.id, Site.status == SiteStatus.ACTIVE)
    )
    seats = db.session.scalar(
        select(func.count(Membership.id))
        .join(Board, Board.id == Membership.board_id)
        .where(Board.unit_id == source.id, or_(Membership.ends_on.is_(None), Membership.ends_on > on))
    )
    if into is None or on is None or not (sites or seats):
        return []
    source.valid_to, source.merged_into = None, None
    db.session.flush()
    try:
        result = merge([source], into, on)
    except ValidationError as exc:
        db.session.rollback()
        raise click.ClickException(
            f"Không thể chuyển điểm QR và thành viên Ban của {source.name} sang {into.name} như sau sáp nhập: "
            f"{exc.message} Hãy sửa dữ liệu này rồi chạy lại “flask --app tracker demo”, hoặc tạo cơ sở dữ liệu "
            "mới cho dữ liệu mẫu."
        ) from exc
    return [
        f"{source.name} → {into.name}: đã chuyển {result.sites_moved} điểm QR, "
        f"kết thúc {result.seats_ended} thành viên Ban ngày {on:%d/%m/%Y}"
    ]


def demo_unit() -> Unit | None:
    """The demo's unit (Phường Phổ Yên) when the demo has been built: Phường Bãi Bông, merged into it, has programs."""
    unit = db.session.scalar(select(Unit).where(Unit.code == DEMO_UNIT_CODE))
    if unit is None:
        return None
    bai_bong = [p.id for p in unit.predecessors if p.name == "Phường Bãi Bông"]
    if not bai_bong or db.session.scalar(select(Program.id).where(Program.unit_id.in_(bai_bong)).limit(1)) is None:
        return None
    return unit
