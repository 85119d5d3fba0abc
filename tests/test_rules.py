"""The rules of DESIGN §2.4 and §2.6 on their own: no database, no app."""

from datetime import date
from decimal import Decimal as D

import pytest

from tracker.programs import rules
from tracker.programs.rules import Flag, Item, Point, Status

TODAY = date(2025, 6, 15)


@pytest.mark.parametrize(
    ("kind", "baseline", "target", "value", "expected"),
    [
        ("count", D(0), D(600), D(150), D("0.25")),
        ("count", D(0), D(600), D(900), D(1)),  # clamped
        ("count", D(100), D(600), D(50), D(0)),  # below baseline: clamped at 0
        ("amount", D(0), D("2.94"), D("4.03"), D(1)),
        ("percent", D(80), D(99), D("89.5"), D("0.5")),
        ("decrease", D("1.5"), D("1.0"), D("1.25"), D("0.5")),  # target below baseline: same formula
        ("decrease", D("1.5"), D("1.0"), D("0.8"), D(1)),
        ("milestone", D(0), D(1), D("0.4"), D("0.4")),
        ("milestone", D(0), D(1), D(1), D(1)),
        ("count", D(0), None, D(5), D(0)),  # no target yet
        ("count", D(0), D(10), None, D(0)),  # no value yet
    ],
)
def test_progress(kind, baseline, target, value, expected):
    assert rules.progress(kind, baseline, target, value) == expected


@pytest.mark.parametrize(
    ("kind", "value", "expected"), [("count", D(5), D(1)), ("count", D(4), D(0)), ("decrease", D(5), D(1))]
)
def test_target_equal_to_baseline_never_divides_by_zero(kind, value, expected):
    assert rules.progress(kind, D(5), D(5), value) == expected


def test_achievement_is_value_over_target_unclamped():
    assert round(rules.achievement("amount", D("2.94"), D("4.03")) * 100, 2) == D("137.07")
    assert round(rules.achievement("amount", D(7420), D(8061)) * 100, 1) == D("108.6")
    assert round(rules.achievement("count", D(53), D(49)) * 100, 2) == D("92.45")
    assert rules.achievement("decrease", D("1.0"), D("1.0")) == 1
    assert rules.achievement("count", D(0), D(3)) is None
    assert rules.achievement("count", None, D(3)) is None
    assert rules.achievement("decrease", D(1), D(0)) is None


def test_completed_on_is_the_first_update_that_completes_and_is_cleared_when_progress_falls():
    points = [Point(date(2025, 1, 1), D(5)), Point(date(2025, 2, 1), D(10)), Point(date(2025, 3, 1), D(12))]
    assert rules.completed_on("count", D(0), D(10), points) == date(2025, 2, 1)
    fell = [*points, Point(date(2025, 4, 1), D(8))]
    assert rules.completed_on("count", D(0), D(10), fell) is None
    again = [*fell, Point(date(2025, 5, 1), D(10))]
    assert rules.completed_on("count", D(0), D(10), again) == date(2025, 5, 1)


@pytest.mark.parametrize(
    ("lifecycle", "done", "deadline", "expected"),
    [
        ("active", date(2025, 5, 1), date(2025, 5, 31), Status.DONE_ON_TIME),
        ("active", date(2025, 5, 31), date(2025, 5, 31), Status.DONE_ON_TIME),
        ("active", date(2025, 6, 1), date(2025, 5, 31), Status.DONE_LATE),
        ("active", date(2025, 6, 1), None, Status.DONE_ON_TIME),
        ("active", None, date(2025, 6, 15), Status.IN_PROGRESS),
        ("active", None, date(2025, 6, 14), Status.OVERDUE),
        ("active", None, None, Status.NO_DEADLINE),
        ("paused", None, date(2025, 6, 14), Status.PAUSED),
        ("cancelled", date(2025, 5, 1), None, Status.CANCELLED),
    ],
)
def test_status(lifecycle, done, deadline, expected):
    assert rules.status(lifecycle, done, deadline, TODAY) == expected


def _flags(points, deadline=None, every=None, state=Status.IN_PROGRESS, live=False, target=D(100)):
    return rules.flags(
        state=state, kind="count", baseline=D(0), target=target, points=points, deadline=deadline,
        update_every_days=every, today=TODAY, live=live,
    )  # fmt: skip


def test_flags():
    assert Flag.NOT_STARTED in _flags([])
    assert Flag.NOT_STARTED not in _flags([], live=True)
    assert Flag.DUE_SOON in _flags([], deadline=date(2025, 6, 22))
    assert Flag.DUE_SOON not in _flags([], deadline=date(2025, 6, 23))
    recent = [Point(date(2025, 6, 1), D(10))]
    assert Flag.STALE not in _flags(recent, every=30)
    assert Flag.STALE in _flags(recent, every=7)
    assert _flags([], deadline=date(2025, 6, 20), state=Status.DONE_ON_TIME) == []


def test_at_risk_from_a_linear_forecast():
    slow = [Point(date(2025, 1, 1), D(0)), Point(date(2025, 6, 1), D(10))]  # 10 points in 5 months
    assert Flag.AT_RISK in _flags(slow, deadline=date(2025, 12, 31))
    fast = [Point(date(2025, 1, 1), D(0)), Point(date(2025, 6, 1), D(60))]
    assert Flag.AT_RISK not in _flags(fast, deadline=date(2025, 12, 31))
    flat = [Point(date(2025, 1, 1), D(50)), Point(date(2025, 6, 1), D(50))]
    assert Flag.AT_RISK in _flags(flat, deadline=date(2025, 12, 31))
    assert Flag.AT_RISK not in _flags(slow[:1], deadline=date(2025, 12, 31))  # one point: no trend


def test_weighted_mean_explains_and_excludes():
    figure = rules.weighted_mean(
        [Item("a", D("0.5"), D(1)), Item("b", D(1), D(3)), Item("c", D(0), D(5), excluded="đã hủy")], "f"
    )
    assert figure.value == D("0.875")
    assert [i.label for i in figure.excluded] == ["c"]
    assert rules.weighted_mean([Item("x", D(1), excluded="tạm dừng")], "f").value is None


def test_completion_and_on_time_rates():
    rows = [
        (Item("done on time", None), Status.DONE_ON_TIME, date(2025, 5, 1)),
        (Item("done late", None), Status.DONE_LATE, date(2025, 5, 1)),
        (Item("overdue", None), Status.OVERDUE, date(2025, 6, 1)),
        (Item("future", None), Status.IN_PROGRESS, date(2025, 12, 1)),
        (Item("early", None), Status.DONE_ON_TIME, date(2025, 12, 1)),
        (Item("no deadline", None), Status.NO_DEADLINE, None),
        (Item("cancelled", None), Status.CANCELLED, date(2025, 1, 1)),
    ]
    completion = rules.completion_rate(rows, TODAY)
    assert completion.value == D(2) / D(3)
    assert "2 ÷ 3" in completion.formula
    assert {i.label for i in completion.excluded} == {"future", "early", "no deadline", "cancelled"}
    on_time = rules.on_time_rate((i, s) for i, s, _d in rows)
    assert on_time.value == D(2) / D(3)  # done on time, done late, early
