"""create_* factories: small functions that build valid rows and flush (tests commit when they need to)."""

from datetime import date
from functools import cache

from tracker.auth.models import Role, User
from tracker.auth.passwords import hash_password
from tracker.db import utcnow
from tracker.extensions import db
from tracker.sites import services as sites_services
from tracker.sites.models import CheckIn, Site
from tracker.units.models import Unit, UnitKind

PASSWORD = "Mat-khau-2025!"


@cache
def _password_hash() -> str:
    # argon2id is deliberately slow: hash the shared test password once per run.
    return hash_password(PASSWORD)


def create_unit(name="Phường Bãi Bông", kind="ward", parent=None, code=None, **fields) -> Unit:
    unit = Unit(name=name, kind=UnitKind(kind), parent=parent, code=code, **fields)
    db.session.add(unit)
    db.session.flush()
    return unit


def create_user(username="user", role="viewer", unit=None, *, full_name="", is_active=True) -> User:
    user = User(
        username=username,
        full_name=full_name or username.title(),
        password_hash=_password_hash(),
        role=Role(role),
        unit=unit,
        is_active=is_active,
    )
    db.session.add(user)
    db.session.flush()
    return user


def create_document(unit, reference="37/KH-UBND", issued_on=date(2021, 11, 9), title="Kế hoạch chuyển đổi số"):
    from tracker.documents import services

    return services.create_document(unit, reference, issued_on, title)


def create_program(unit, title="Chương trình hành động số 27-CTr/ĐU", **fields):
    from tracker.programs import services

    return services.create_program(unit, title, **fields)


def create_task(program, title="Thu ngân sách nhà nước trên địa bàn", **fields):
    """A task through the service (fields as in TaskFields, e.g. measure_kind, target, parent)."""
    from tracker.programs import services

    return services.create_task(program, services.TaskFields(title=title, **fields)).row


def create_task_update(task, user, value, *, at=None, note=""):
    """A recorded value of a manual task; `value` as a string ("4.03") or a Decimal."""
    from decimal import Decimal

    from tracker.programs import services

    return services.add_update(task, user, Decimal(value), note=note, at=at)


def create_one_of_each(ward: Unit, member: User) -> dict:
    """One row of every kind a route or an API write addresses by id, in `ward` (committed): the ids by the names
    the routes give them, and the site's code. The task is `member`'s, with an update; a live-linked task too; the
    report is the ward's 2026-Q1 draft."""
    from decimal import Decimal

    from tracker.boards import services as boards
    from tracker.public_services import services as catalog
    from tracker.reports.models import Report
    from tracker.sites import services as sites

    decision = create_document(ward, "63-QĐ/ĐU", date(2021, 12, 13), "Quyết định thành lập Ban chỉ đạo")
    program = create_program(ward)
    task = create_task(program, owner_user=member)
    create_task_update(task, member, Decimal(4))
    create_task(program, "600 điểm QR", source="sites_registered", target=Decimal(600))
    site = sites.create_site(ward, sites.SiteFields(name="Chợ Bãi Bông", kind="market"))
    board = boards.create_board(ward, boards.BoardFields(name="Ban chỉ đạo chuyển đổi số", established_by=decision))
    seat = boards.add_member(board, boards.MemberFields("Nguyễn Văn A", "member", date(2022, 1, 1))).row
    fields = catalog.ServiceFields("1.001193", "Thủ tục đăng ký khai sinh", "Hộ tịch", 3)
    service = catalog.create_service(ward, fields)
    period = catalog.record_period(service, catalog.PeriodFields(date(2025, 1, 1), date(2025, 3, 31), 40, 30))
    report = Report(unit=ward, period="2026-Q1")  # no header typed in Vietnamese: the audit log shows its fields
    db.session.add(report)
    db.session.commit()
    return {
        "document_id": decision.id,
        "program_id": program.id,
        "task_id": task.id,
        "site_id": site.id,
        "board_id": board.id,
        "membership_id": seat.id,
        "service_id": service.id,
        "period_id": period.id,
        "report_id": report.id,
        "unit_id": ward.id,
        "user_id": member.id,
        "code": site.code,
    }


def create_site(unit, name="Chợ Bãi Bông", kind="market", **fields) -> Site:
    """A site registered as the form registers it (sites.services.create_site: a new code, checked fields)."""
    return sites_services.create_site(unit, sites_services.SiteFields(name=name, kind=kind, **fields))


def insert_site(unit, name="Trụ sở", kind="agency", **columns) -> Site:
    """A site row as it may stand in the database (retired, printed, any column), added without the service."""
    site = Site(unit=unit, name=name, kind=kind, code=sites_services.unique_code(), **columns)
    db.session.add(site)
    db.session.flush()
    return site


def check_in(site, moment=None, device="d") -> CheckIn:
    """A check-in row at `moment` (now by default), added through the ORM, not the rate-limited check-in path."""
    row = CheckIn(site_id=site.id, at=moment or utcnow(), device_hash=device)
    db.session.add(row)
    db.session.flush()
    return row
