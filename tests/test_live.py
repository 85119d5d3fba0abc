"""Live-linked tasks: values from the registries, system updates in the same transaction, the snapshot."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal as D

import pytest
from sqlalchemy import select

from tests import factories
from tracker.boards.models import Board, Membership
from tracker.db import local_today, utcnow
from tracker.extensions import db
from tracker.programs import services
from tracker.programs.live import snapshot
from tracker.programs.models import TaskUpdate
from tracker.programs.progress import evaluate_task
from tracker.programs.services import TaskFields
from tracker.public_services.models import PublicService
from tracker.sites.models import CheckIn
from tracker.units.services import merge


@pytest.fixture
def program(app, ward):
    program = services.create_program(ward, "Chương trình")
    db.session.commit()
    return program


def _live(program, source, target=D(600), **fields):
    return services.create_task(
        program, TaskFields(title=source, measure_kind="count", target=target, source=source, **fields)
    ).row


def _system_updates(task):
    return db.session.scalars(
        select(TaskUpdate).where(TaskUpdate.task_id == task.id, TaskUpdate.user_id.is_(None)).order_by(TaskUpdate.id)
    ).all()


def test_registering_a_site_moves_the_qr_task_in_the_same_transaction(program, ward, province):
    task = _live(program, "sites_registered")
    db.session.commit()
    resident_group = factories.create_unit("Tổ dân phố 1", "residential_group", parent=ward)
    factories.insert_site(ward)
    factories.insert_site(resident_group, "Nhà văn hóa")  # a subordinate unit's sites count too
    factories.insert_site(province, "Sở")  # a parent's sites do not
    db.session.commit()
    assert [u.value for u in _system_updates(task)] == [D(0), D(2)]
    assert evaluate_task(task).value == D(2)


def test_a_rolled_back_registration_records_nothing(program, ward):
    task = _live(program, "sites_registered")
    db.session.commit()
    factories.insert_site(ward)
    db.session.flush()
    db.session.rollback()
    assert [u.value for u in _system_updates(task)] == [D(0)]


def test_posters_and_kinds(program, ward):
    printed = _live(program, "posters_printed")
    schools = _live(program, "sites_registered", source_site_kind="school")
    factories.insert_site(ward, "Trường", kind="school", poster_printed_at=utcnow())
    factories.insert_site(ward, "Chợ", kind="market")
    db.session.commit()
    assert evaluate_task(printed).value == D(1)
    assert evaluate_task(schools).value == D(1)


def test_board_members_and_services(program, ward):
    board = Board(unit=ward, kind="steering_board", name="Ban chỉ đạo", target_size=3)
    db.session.add(board)
    db.session.flush()
    members = _live(program, "board_members", target=D(3), source_board_id=board.id)
    online = _live(program, "services_online", target=D(2))
    full = _live(program, "services_full_online", target=D(1))
    db.session.commit()
    for i, role in enumerate(("head", "member", "member")):
        db.session.add(Membership(board=board, person_name=f"Nguyễn Văn {i}", role=role, starts_on=date(2025, 1, 1)))
    db.session.add(Membership(board=board, person_name="Đã nghỉ", role="member", starts_on=date(2024, 1, 1),
                              ends_on=date(2024, 12, 31)))  # fmt: skip
    db.session.add_all(
        [
            PublicService(unit=ward, code="1.004227", name="Đăng ký khai sinh", level=4),
            PublicService(unit=ward, code="1.001612", name="Cấp bản sao", level=3),
            PublicService(unit=ward, code="1.000001", name="Thông tin", level=2),
        ]
    )
    db.session.commit()
    assert evaluate_task(members).value == D(3)
    assert evaluate_task(members).status.is_done
    assert evaluate_task(online).value == D(2)
    assert evaluate_task(full).value == D(1)
    assert _system_updates(members)[-1].value == D(3)


def test_snapshot_records_check_in_based_values(program, ward, runner):
    task = _live(program, "sites_active")
    site = factories.insert_site(ward)
    factories.insert_site(ward, "Không ai quét")
    db.session.flush()
    db.session.add(CheckIn(site_id=site.id, device_hash="a" * 64, at=datetime.now(UTC) - timedelta(days=3)))
    db.session.commit()
    assert evaluate_task(task).value == D(1)
    result = runner.invoke(args=["tasks", "snapshot"])
    assert result.exit_code == 0, result.output
    assert _system_updates(task)[-1].value == D(1)
    again = runner.invoke(args=["tasks", "snapshot"])
    assert "0" in again.output  # nothing moved: nothing recorded


def test_an_ended_program_keeps_its_final_figures(program, ward, province):
    """A merger moves the old ward's sites away after its program ended: that program's live tasks are not
    rewritten (no system update of 0), neither by the move, nor by a later registration, nor by the snapshot."""
    old_ward = factories.create_unit("Phường Bãi Bông", "ward", parent=province)
    ended = services.create_program(old_ward, "Chương trình 2021–2025")
    final = _live(ended, "sites_registered")
    successor = _live(program, "sites_registered")
    db.session.commit()
    factories.insert_site(old_ward, "Chợ Bãi Bông")
    factories.insert_site(old_ward, "Trường Tiểu học Bãi Bông")
    db.session.commit()
    assert [u.value for u in _system_updates(final)] == [D(0), D(2)]

    ended.ends_on = local_today() - timedelta(days=1)
    db.session.commit()
    merge([old_ward], ward, local_today())
    db.session.commit()
    assert [u.value for u in _system_updates(successor)] == [D(0), D(2)]  # the living registry moved on
    factories.insert_site(old_ward, "Điểm cũ", status="retired")
    factories.insert_site(ward, "Trụ sở mới")
    db.session.commit()
    assert snapshot() == 0  # the ended program's task differs from the registries, and is left alone
    assert [u.value for u in _system_updates(final)] == [D(0), D(2)]
    assert [u.value for u in _system_updates(successor)] == [D(0), D(2), D(3)]
