"""The demo scenario (DESIGN §7) and the first-start command."""

import re
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select

from tracker.audit import AuditEvent
from tracker.auth.models import Role, User
from tracker.auth.passwords import verify_password
from tracker.boards import services
from tracker.boards.models import Board, Membership
from tracker.db import local_today
from tracker.demo import MERGER_DAY
from tracker.documents.models import Document
from tracker.extensions import db
from tracker.models import Program, Site, Task, TaskUpdate, Unit
from tracker.programs.live import SYSTEM_NOTE
from tracker.programs.progress import evaluate_program
from tracker.programs.summary import summarize_unit


def _counts():
    return {
        model.__tablename__: db.session.scalar(select(func.count()).select_from(model))
        for model in (Unit, Document, Program, Task, TaskUpdate, Board, Membership, Site)
    }


def test_demo_builds_the_scenario_idempotently(runner, app):
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    first = _counts()
    assert runner.invoke(args=["demo"]).exit_code == 0
    assert _counts() == first

    bai_bong = db.session.scalar(select(Unit).where(Unit.name == "Phường Bãi Bông"))
    assert bai_bong.merged_into.code == "05860" and bai_bong.valid_to is not None
    references = set(db.session.scalars(select(Document.reference)))
    assert {"27-CTr/ĐU", "01-NQ/TU", "37/KH-UBND", "63-QĐ/ĐU", "885/QĐ-UBND"} <= references

    boards = {b.kind.value: b for b in db.session.scalars(select(Board).where(Board.unit_id == bai_bong.id))}
    assert boards["steering_board"].target_size == 27
    assert boards["working_group"].target_size == 14
    assert boards["working_group"].parent_board_id == boards["steering_board"].id
    head = next(m for m in boards["steering_board"].memberships if m.role == "head")
    assert head.position == "Bí thư Đảng ủy, Chủ tịch HĐND phường"

    revenue = db.session.scalar(
        select(Task).join(Program).where(Program.unit_id == bai_bong.id, Task.title.like("Thu ngân sách%"))
    )
    assert revenue.target == Decimal("2.94") and revenue.updates[-1].value == Decimal("4.03")


def test_the_demo_tells_todays_story(runner, app):
    """The 2021 program stays on Bãi Bông as history; its living registries belong to Phổ Yên since the merger,
    which has its own current program."""
    assert runner.invoke(args=["demo"]).exit_code == 0
    bai_bong = db.session.scalar(select(Unit).where(Unit.name == "Phường Bãi Bông"))
    pho_yen = bai_bong.merged_into
    today = local_today()

    # The sites moved with their codes; the old ward keeps none; their posters now name the new ward.
    assert db.session.scalar(select(func.count(Site.id)).where(Site.unit_id == bai_bong.id)) == 0
    sites = db.session.scalars(select(Site).where(Site.unit_id == pho_yen.id)).all()
    assert len(sites) == 5 and all(s.unit.name == "Phường Phổ Yên" for s in sites)

    # Bãi Bông's boards stay readable, their seats ended on the merger day; Phổ Yên has its own board.
    old_seats = db.session.scalars(select(Membership).join(Board).where(Board.unit_id == bai_bong.id)).all()
    assert len(old_seats) == 40 and {m.ends_on for m in old_seats} == {MERGER_DAY}
    new_board = db.session.scalar(select(Board).where(Board.unit_id == pho_yen.id))
    assert len(services.members(new_board, "current", today)) == 26

    # The 2021 program has ended and keeps its final figures (5 QR points recorded before the merger).
    old_program = db.session.scalar(select(Program).where(Program.unit_id == bai_bong.id))
    old_state = evaluate_program(old_program, today)
    assert old_state.ended and old_state.today == date(2026, 1, 1)  # read at its close
    assert old_state.by_id(_task(old_program, 1).id).value == 5
    assert old_state.by_id(_task(old_program, 3).id).value == 26  # the board as it stood while the program ran

    # Phổ Yên's own 2025–2030 program is current; its QR task counts the sites it inherited.
    program = db.session.scalar(select(Program).where(Program.unit_id == pho_yen.id))
    state = evaluate_program(program, today)
    assert not state.ended and program.ends_on == date(2030, 12, 31)
    assert state.by_id(_task(program, 1).id).value == 5 and state.by_id(_task(program, 3).id).value == 26
    db.session.commit()
    with app.test_request_context("/"):  # a page's read: the day's figures are kept aside, as on the dashboard
        summary = summarize_unit(pho_yen.id, today)
    assert [ps.program.id for ps in summary.programs] == [program.id]
    assert old_program.id in [ps.program.id for ps in summary.ended]
    assert summary.overall.value == state.progress.value  # the ended program no longer pulls it


def _as_built_before_the_merger_story() -> Unit:
    """Turn a demo database into what `flask demo` left before the merger story: Bãi Bông merged into Phổ Yên, yet
    its sites still its own, its board seats open, and its QR task's history written on the day the demo ran."""
    bai_bong = db.session.scalar(select(Unit).where(Unit.name == "Phường Bãi Bông"))
    for site in db.session.scalars(select(Site)):
        site.unit = bai_bong
    for seat in db.session.scalars(select(Membership).join(Board).where(Board.unit_id == bai_bong.id)):
        seat.ends_on = None
    qr_task = _task(db.session.scalar(select(Program).where(Program.unit_id == bai_bong.id)), 1)
    for update in list(qr_task.updates):
        db.session.delete(update)
    db.session.add(TaskUpdate(task=qr_task, value=Decimal(5), note=SYSTEM_NOTE))
    db.session.commit()
    return bai_bong


def test_the_demo_brings_a_database_built_before_the_merger_story_to_today(runner, app):
    assert runner.invoke(args=["demo"]).exit_code == 0
    bai_bong = _as_built_before_the_merger_story()
    pho_yen = bai_bong.merged_into
    assert db.session.scalar(select(func.count(Site.id)).where(Site.unit_id == bai_bong.id)) == 5

    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    assert "Phường Bãi Bông → Phường Phổ Yên: đã chuyển 5 điểm QR, kết thúc 40 thành viên Ban ngày 01/07/2025" in (
        result.output
    )
    db.session.expire_all()
    # Still the same merger (same day, same successor), now with the living registries handed over by its service.
    assert (bai_bong.valid_to, bai_bong.merged_into_id) == (MERGER_DAY, pho_yen.id)
    assert db.session.scalar(select(func.count(Site.id)).where(Site.unit_id == bai_bong.id)) == 0
    assert db.session.scalar(select(func.count(Site.id)).where(Site.unit_id == pho_yen.id)) == 5
    old_seats = db.session.scalars(select(Membership).join(Board).where(Board.unit_id == bai_bong.id)).all()
    assert {m.ends_on for m in old_seats} == {MERGER_DAY}
    merges = db.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.action == "merge", AuditEvent.actor_name == "cli:demo")
        .order_by(AuditEvent.id)
    ).all()
    assert [(e.entity_id, e.changes["sites_moved"], e.changes["seats_ended"]) for e in merges][-1] == (
        pho_yen.id,
        5,
        40,
    )
    # The 2021 program's QR task has its final figure: the ward's 5 points on the eve of the merger.
    old_program = db.session.scalar(select(Program).where(Program.unit_id == bai_bong.id))
    assert evaluate_program(old_program, local_today()).by_id(_task(old_program, 1).id).value == 5

    counts = _counts()
    again = runner.invoke(args=["demo"])
    assert again.exit_code == 0 and "đã chuyển" not in again.output
    assert _counts() == counts


def _task(program: Program, position: int) -> Task:
    return db.session.scalar(select(Task).where(Task.program_id == program.id, Task.position == position))


def test_init_creates_an_admin_once_with_a_printed_random_password(runner, app):
    result = runner.invoke(args=["init", "--no-demo"])
    assert result.exit_code == 0, result.output
    password = re.search(r"Mật khẩu \(chỉ hiện một lần\): (\S+)", result.output).group(1)
    admin = db.session.scalar(select(User).where(User.username == "admin"))
    assert admin.role == Role.ADMIN and verify_password(admin.password_hash, password)
    assert db.session.scalar(select(func.count(Unit.id)).where(Unit.kind == "province")) == 34

    again = runner.invoke(args=["init", "--no-demo"])
    assert again.exit_code == 0
    assert "Mật khẩu" not in again.output
    assert db.session.scalar(select(func.count(User.id))) == 1


def test_the_demo_ward_has_reported_the_latest_quarter_on_time(runner, app):
    from tracker.reports import periods
    from tracker.reports import services as reports

    assert runner.invoke(args=["demo"]).exit_code == 0
    pho_yen = db.session.scalar(select(Unit).where(Unit.code == "05860"))
    quarter = periods.latest_ended(local_today(), {periods.PeriodKind.QUARTER})[0]
    result = reports.reporting(pho_yen.parent_id, quarter)
    (row,) = [r for r in result.rows if r.unit_id == pho_yen.id]
    assert row.on_time and row.figures.split.total > 0 and "Kiện toàn Ban chỉ đạo" in row.submitted.next_steps
    assert runner.invoke(args=["demo"]).exit_code == 0
    assert len(reports.revisions(pho_yen.id, quarter.key)) == 1
