"""Reporting periods: keys, calendar bounds, the cut-offs of Decree 09/2019 Art. 12, due dates."""

from datetime import date

import pytest

from tracker.reports import periods
from tracker.reports.periods import Period, PeriodError, PeriodKind


@pytest.mark.parametrize(
    ("key", "cutoff", "calendar", "due"),
    [
        (
            "2026-M11",
            (date(2026, 10, 15), date(2026, 11, 14)),
            (date(2026, 11, 1), date(2026, 11, 30)),
            date(2026, 11, 18),
        ),
        ("2026-M1", (date(2025, 12, 15), date(2026, 1, 14)), (date(2026, 1, 1), date(2026, 1, 31)), date(2026, 1, 18)),
        ("2026-Q1", (date(2025, 12, 15), date(2026, 3, 14)), (date(2026, 1, 1), date(2026, 3, 31)), date(2026, 3, 18)),
        ("2026-Q3", (date(2026, 6, 15), date(2026, 9, 14)), (date(2026, 7, 1), date(2026, 9, 30)), date(2026, 9, 18)),
        ("2026-H1", (date(2025, 12, 15), date(2026, 6, 14)), (date(2026, 1, 1), date(2026, 6, 30)), date(2026, 6, 18)),
        (
            "2026-H2",
            (date(2026, 6, 15), date(2026, 12, 14)),
            (date(2026, 7, 1), date(2026, 12, 31)),
            date(2026, 12, 18),
        ),
        ("2026", (date(2025, 12, 15), date(2026, 12, 14)), (date(2026, 1, 1), date(2026, 12, 31)), date(2026, 12, 18)),
    ],
)
def test_cutoffs_follow_decree_09(app, key, cutoff, calendar, due):
    period = periods.parse(key)
    assert period.key == key
    assert (period.cutoff_start, period.cutoff_end) == cutoff
    assert (period.starts_on, period.ends_on) == calendar
    assert period.due_on() == due


def test_keys_are_read_loosely_and_written_one_way(app):
    assert periods.parse(" 2026-q3 ") == Period(2026, PeriodKind.QUARTER, 3)
    assert periods.parse("2026-M01").key == "2026-M1"


@pytest.mark.parametrize("key", ["2026-Q5", "2026-M13", "2026-M0", "Q3", "2026-H3", "2026Q3", "", "26-Q3", "1899"])
def test_malformed_periods_are_refused_with_a_message(app, key):
    with app.test_request_context(), pytest.raises(PeriodError) as err:
        periods.parse(key)
    assert "Kỳ báo cáo" in str(err.value) or "Năm của kỳ" in str(err.value)


def test_previous_periods_and_labels(app):
    with app.test_request_context():
        assert periods.parse("2026-Q1").previous.key == "2025-Q4"
        assert periods.parse("2026-M1").previous.key == "2025-M12"
        assert periods.parse("2026-H1").previous.key == "2025-H2"
        assert periods.parse("2026").previous.key == "2025"
        assert periods.parse("2026-Q3").label == "quý III năm 2026"
        assert periods.parse("2026-H1").label == "6 tháng đầu năm 2026"


def test_the_period_to_report_is_the_latest_whose_data_is_cut_off(app):
    found = periods.latest_ended(date(2026, 9, 15), periods.DEFAULT_KINDS)
    assert [p.key for p in found] == ["2026-Q3", "2026-H1", "2025"]
    assert [p.key for p in periods.latest_ended(date(2026, 9, 14), {PeriodKind.QUARTER})] == ["2026-Q2"]


def test_schedule_kinds(app):
    with app.test_request_context():
        assert periods.kinds_text(periods.parse_kinds("yq")) == "QY"
        with pytest.raises(PeriodError):
            periods.parse_kinds("QX")
        with pytest.raises(PeriodError):
            periods.parse_kinds(" ")
