"""The registry panels as of a past day (a report's cut-off, DESIGN §9): each counted for that day as history allows
(tracker.dashboards.history), against the same registries counted today."""

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import event, select

from tests import factories
from tracker.boards.models import Board, BoardKind, MemberRole, Membership
from tracker.dashboards import queries
from tracker.dashboards.history import end_of
from tracker.db import LOCAL, local_today
from tracker.extensions import db
from tracker.public_services.models import PublicService, ServicePeriod
from tracker.sites import services as site_services
from tracker.sites.models import Site, SiteKind, SiteStatus
from tracker.units.models import Unit

TODAY = local_today()
DAY = TODAY - timedelta(days=10)  # the past day asked about; everything the tests change, they change today


def at(day: date, hour: int = 9) -> datetime:
    """A moment of `day` in Vietnam."""
    return datetime.combine(day, time(hour), LOCAL).astimezone(UTC)


def site(unit: Unit, name: str, *, created: date, kind=SiteKind.AGENCY, **columns) -> Site:
    row = factories.insert_site(unit, name, kind, created_at=at(created), **columns)
    return row


def check_ins(row: Site, *days: date) -> None:
    for n, day in enumerate(days):
        factories.check_in(row, at(day), device=f"{row.id}-{n}")


def counts(panel) -> tuple[int, int, int]:
    return panel.total.registered, panel.total.printed, panel.total.active


def test_the_day_ends_at_midnight_in_vietnam():
    assert end_of(date(2025, 9, 30)) == datetime(2025, 9, 30, 17, tzinfo=UTC)


# --- QR points ------------------------------------------------------------------------------------------------


def test_qr_points_as_of_a_past_day(app, province, ward):
    other = factories.create_unit("Phường Ba Hàng", "ward", parent=province)
    long_ago = DAY - timedelta(days=60)
    steady = site(ward, "Trụ sở", created=long_ago, poster_printed_at=at(DAY - timedelta(days=20)))
    check_ins(steady, DAY - timedelta(days=5))  # active then, and (within 30 days) today
    retired_since = site(ward, "Trạm y tế", created=long_ago)  # retired today: it was still a point on the day
    site(ward, "Nhà văn hóa cũ", created=long_ago, status=SiteStatus.RETIRED)  # retired all along
    newer = site(ward, "Chợ mới", created=DAY + timedelta(days=1), kind=SiteKind.MARKET)  # registered after the day
    check_ins(newer, TODAY)
    printed_since = site(ward, "Trường học", created=long_ago, kind=SiteKind.SCHOOL)  # first poster today
    check_ins(printed_since, DAY - timedelta(days=40), DAY + timedelta(days=2))  # neither in the day's window
    reprinted = site(ward, "Hộ kinh doanh", created=long_ago, poster_printed_at=at(DAY - timedelta(days=30)))
    rotated = site(ward, "Nhà hàng", created=long_ago, poster_printed_at=at(DAY - timedelta(days=30)))
    moved = site(ward, "Điểm chuyển đi", created=long_ago)  # moved to the other ward today
    came = site(other, "Điểm chuyển đến", created=long_ago)  # moved into the ward today
    rekinded = site(ward, "Điểm đổi loại", created=long_ago, kind=SiteKind.OTHER)
    db.session.commit()

    # Today's changes, through the services and the ORM: each is an audited update dated now.
    site_services.set_status(retired_since, "retired", expected_version=None)
    site_services.mark_posters_printed([printed_since.id, reprinted.id])
    site_services.rotate_code(rotated)
    moved.unit, came.unit, rekinded.kind = other, ward, SiteKind.HERITAGE_SITE
    db.session.commit()

    now = queries.qr_points({ward.id}, TODAY)
    # Today: steady, newer, printed_since, reprinted, rotated, came, rekinded; printed: steady, printed_since,
    # reprinted (rotated's poster carries its old code); active: steady, newer, printed_since.
    assert counts(now) == (7, 3, 3)
    then = queries.qr_points({ward.id}, TODAY, as_of=DAY)
    # On the day: steady, retired_since, printed_since, reprinted, rotated, moved, rekinded (not newer, not came);
    # printed: steady, reprinted, rotated; active: steady (printed_since's check-ins fall outside the day's window).
    assert counts(then) == (7, 3, 1)
    kinds = {kind: (c.registered, c.printed, c.active) for kind, c in then.by_kind}
    assert kinds == {SiteKind.AGENCY: (5, 3, 1), SiteKind.SCHOOL: (1, 0, 0), SiteKind.OTHER: (1, 0, 0)}
    assert [kind for kind, _c in then.by_kind][0] == SiteKind.AGENCY  # the largest first, as today
    assert counts(queries.qr_points({other.id}, TODAY)) == (1, 0, 0)  # moved
    assert counts(queries.qr_points({other.id}, TODAY, as_of=DAY)) == (1, 0, 0)  # came, still there on the day
    assert counts(queries.qr_points({ward.id, other.id}, TODAY, as_of=DAY)) == (8, 3, 1)
    # The day before the oldest site: nothing; today or later: today's kept counters, whatever the form of the call.
    assert counts(queries.qr_points({ward.id}, TODAY, as_of=DAY - timedelta(days=90))) == (0, 0, 0)
    assert counts(queries.qr_points({ward.id}, TODAY, as_of=TODAY)) == counts(now)


def test_qr_points_as_of_a_day_are_a_fixed_number_of_statements(app, ward):
    def statements() -> int:
        units = {ward.id}
        seen = []
        listener = lambda *args: seen.append(args[2])  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            queries.qr_points(units, TODAY, as_of=DAY)
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        return len(seen)

    def grow(n: int) -> None:
        rows = [site(ward, f"Điểm {i}", created=DAY - timedelta(days=40)) for i in range(n)]
        db.session.commit()
        site_services.mark_posters_printed([row.id for row in rows])  # changed since the day: read one by one
        for row in rows:
            check_ins(row, DAY - timedelta(days=3))
        db.session.commit()

    grow(1)
    few = statements()
    grow(20)
    assert statements() == few <= 3, few
    assert counts(queries.qr_points({ward.id}, TODAY, as_of=DAY)) == (21, 0, 21)


# --- online services ------------------------------------------------------------------------------------------


def service(unit: Unit, code: str, level: int, *, created: date, since: date | None = None) -> PublicService:
    row = PublicService(
        unit=unit, code=code, name=f"Thủ tục {code}", level=level, online_since=since, created_at=at(created)
    )
    db.session.add(row)
    return row


def records(row: PublicService, start: date, end: date, total: int, online: int) -> None:
    db.session.add(
        ServicePeriod(service=row, period_start=start, period_end=end, records_total=total, records_online=online)
    )


def test_online_services_as_of_a_past_day(app, ward):
    long_ago = DAY - timedelta(days=200)
    service(ward, "1.001", 4, created=TODAY, since=DAY - timedelta(days=100))  # typed in today, online long since
    service(ward, "1.002", 3, created=long_ago, since=DAY + timedelta(days=2))  # online only after the day
    service(ward, "1.003", 2, created=long_ago)
    service(ward, "1.004", 2, created=TODAY)  # typed in today, nothing says it was offered on the day
    raised = service(ward, "1.005", 3, created=long_ago, since=DAY - timedelta(days=50))  # toàn trình since today
    old = service(ward, "1.006", 1, created=TODAY)  # typed in today with the records of a past quarter
    records(old, DAY - timedelta(days=100), DAY - timedelta(days=10), 40, 0)
    records(raised, DAY - timedelta(days=100), DAY - timedelta(days=10), 60, 30)
    records(raised, DAY - timedelta(days=9), DAY + timedelta(days=1), 100, 100)  # ends after the day
    db.session.commit()
    raised.level = 4  # an audited change, today
    db.session.commit()

    now = queries.online_services({ward.id})
    assert (now.full, now.partial, now.offline) == (2, 1, 3)
    assert now.records.value == Decimal(130) / Decimal(200)
    then = queries.online_services({ward.id}, as_of=DAY)
    assert (then.full, then.partial, then.offline) == (1, 1, 3)  # 1.001 | 1.005 (level 3 then) | 1.002, 1.003, 1.006
    assert "= 2 ÷ 5" in then.share.formula
    assert then.records.value == Decimal("0.3") and "= 30 ÷ 100" in then.records.formula
    assert (then.records_from, then.records_to) == (DAY - timedelta(days=100), DAY - timedelta(days=10))
    before = queries.online_services({ward.id}, as_of=DAY - timedelta(days=300))
    assert before.total == 0 and before.records is None


# --- board staffing -------------------------------------------------------------------------------------------


def board(unit: Unit, name: str, target: int | None, *, created: date, seats=()) -> Board:
    row = Board(unit=unit, kind=BoardKind.STEERING_BOARD, name=name, target_size=target, created_at=at(created))
    db.session.add(row)
    for n, (starts, ends) in enumerate(seats):
        db.session.add(
            Membership(board=row, person_name=f"Nguyễn Văn {n}", role=MemberRole.MEMBER, starts_on=starts, ends_on=ends)
        )
    return row


def test_board_staffing_as_of_a_past_day(app, province, ward):
    long_ago = DAY - timedelta(days=300)
    steering = board(
        ward,
        "Ban chỉ đạo",
        5,
        created=DAY - timedelta(days=100),
        seats=[
            (long_ago, None),  # then and now
            (DAY + timedelta(days=1), None),  # now only
            (long_ago, DAY - timedelta(days=1)),  # neither
            (long_ago, DAY + timedelta(days=1)),  # then only
        ],
    )
    board(ward, "Tổ giúp việc", 3, created=TODAY)  # set up today, nobody seated yet
    board(ward, "Tổ công nghệ số", 4, created=TODAY, seats=[(long_ago, None)])  # typed in today, seated long ago
    ended = factories.create_unit("Phường Cũ", "ward", parent=province, valid_to=DAY - timedelta(days=5))
    board(ended, "Ban chỉ đạo phường cũ", 9, created=long_ago, seats=[(long_ago, DAY - timedelta(days=5))])
    db.session.commit()
    steering.target_size = 7  # an audited change, today
    db.session.commit()

    units = {ward.id, ended.id}
    now = {b.name: (b.current, b.target) for b in queries.board_staffing(units, TODAY).boards}
    assert now == {"Ban chỉ đạo": (2, 7), "Tổ giúp việc": (0, 3), "Tổ công nghệ số": (1, 4)}
    then = {b.name: (b.current, b.target) for b in queries.board_staffing(units, TODAY, as_of=DAY).boards}
    assert then == {"Ban chỉ đạo": (2, 5), "Tổ công nghệ số": (1, 4)}
    # Before the old ward ended, its board counted; the steering board, set up later in Tracker, counts by the seats
    # its members already held then.
    earlier = DAY - timedelta(days=200)
    assert {b.name: (b.current, b.target) for b in queries.board_staffing(units, TODAY, as_of=earlier).boards} == {
        "Ban chỉ đạo": (3, 5),
        "Tổ công nghệ số": (1, 4),
        "Ban chỉ đạo phường cũ": (1, 9),
    }
    assert queries.board_staffing(units, TODAY, as_of=long_ago - timedelta(days=1)).boards == []


# --- the demo -------------------------------------------------------------------------------------------------


def test_the_demo_ward_before_the_merger(app, runner):
    """Phường Bãi Bông, merged into Phổ Yên on 01/07/2025: its boards and catalogue as of its past days, against
    today (its boards are history, its seats ended with the merger)."""
    from tracker import demo

    assert runner.invoke(args=["demo"]).exit_code == 0
    bai_bong = db.session.scalar(select(Unit).where(Unit.name == "Phường Bãi Bông"))
    units = {bai_bong.id}

    assert queries.board_staffing(units, TODAY).boards == []
    boards = queries.board_staffing(units, TODAY, as_of=date(2021, 12, 31)).boards
    assert sorted((b.name, b.current, b.target) for b in boards) == [
        ("Ban chỉ đạo chuyển đổi số phường Bãi Bông", 26, 27),  # seated from 13/12/2021
        ("Tổ giúp việc Ban chỉ đạo chuyển đổi số phường Bãi Bông", 14, 14),  # from 31/12/2021
    ]
    assert [b.current for b in queries.board_staffing(units, TODAY, as_of=date(2021, 12, 30)).boards] == [26]

    rows = demo.BAI_BONG_SERVICES
    assert queries.online_services(units, as_of=date(2021, 12, 31)).total == 0  # nothing online before 03/2022
    eve = queries.online_services(units, as_of=date(2025, 6, 30))
    assert (eve.full, eve.partial, eve.offline) == (
        sum(r[3] == 4 for r in rows),
        sum(r[3] == 3 for r in rows),
        sum(r[3] < 3 for r in rows),
    )
    total, online = sum(r[5][0] + r[6][0] for r in rows), sum(r[5][1] + r[6][1] for r in rows)
    assert f"= {online} ÷ {total}" in eve.records.formula
    first_quarter = queries.online_services(units, as_of=date(2025, 4, 14))  # the Q2 records are not in yet
    assert f"= {sum(r[5][1] for r in rows)} ÷ {sum(r[5][0] for r in rows)}" in first_quarter.records.formula
    # The ward's five QR points were registered in its 2022 campaign (demo.REGISTERED_AT): none before it, five on the
    # eve of the merger (the merge that hands them to Phổ Yên is entered today: history sees them Bãi Bông's till now).
    assert queries.qr_points(units, TODAY, as_of=date(2021, 12, 31)).total.registered == 0
    assert queries.qr_points(units, TODAY, as_of=date(2025, 6, 30)).total.registered == 5
