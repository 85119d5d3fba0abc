"""The demo scenario (DESIGN §7) and the first-start command."""

import re
from decimal import Decimal

from sqlalchemy import func, select

from tracker.auth.models import Role, User
from tracker.auth.passwords import verify_password
from tracker.boards.models import Board, Membership
from tracker.documents.models import Document
from tracker.extensions import db
from tracker.models import Program, Site, Task, TaskUpdate, Unit


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

    boards = {b.kind.value: b for b in db.session.scalars(select(Board))}
    assert boards["steering_board"].target_size == 27
    assert boards["working_group"].target_size == 14
    assert boards["working_group"].parent_board_id == boards["steering_board"].id
    head = next(m for m in boards["steering_board"].memberships if m.role == "head")
    assert head.position == "Bí thư Đảng ủy, Chủ tịch HĐND phường"

    revenue = db.session.scalar(
        select(Task).join(Program).where(Program.unit_id == bai_bong.id, Task.title.like("Thu ngân sách%"))
    )
    assert revenue.target == Decimal("2.94") and revenue.updates[-1].value == Decimal("4.03")
    assert db.session.scalar(select(func.count(Site.id)).where(Site.unit_id == bai_bong.id)) == 5


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
