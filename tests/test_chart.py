"""The server-rendered value chart: well-formed SVG whose marks sit where the values say, for every shape of data."""

import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from tests import factories
from tracker.extensions import db
from tracker.programs.chart import value_chart
from tracker.programs.models import MeasureKind, Task
from tracker.programs.progress import TaskState, evaluate_task
from tracker.programs.rules import Point, Status

SVG = "{http://www.w3.org/2000/svg}"


def make_state(kind="amount", baseline="0", target="2.94", deadline=date(2025, 12, 31), points=(), **task_fields):
    """A TaskState built by hand, for shapes of data the database would make tedious to set up."""
    task = Task(
        title=task_fields.pop("title", "Thu ngân sách nhà nước"),
        measure_kind=MeasureKind(kind),
        baseline=Decimal(baseline),
        target=None if target is None else Decimal(target),
        deadline=deadline,
        unit_label=task_fields.pop("unit_label", "tỷ đồng"),
    )
    series = [Point(day, Decimal(value)) for day, value in points]
    return TaskState(
        task=task,
        value=series[-1].value if series else None,
        progress=Decimal(0),
        achievement=None,
        status=Status.IN_PROGRESS,
        flags=[],
        completed_on=None,
        points=series,
        live=False,
    )


def parse(state) -> ET.Element:
    return ET.fromstring(str(value_chart(state)))  # noqa: S314 (our own output, not untrusted input)


def expected_y(svg: ET.Element, value: str) -> float:
    """Where a value must sit, from the scale the chart declares."""
    low, high = Decimal(svg.get("data-y-min")), Decimal(svg.get("data-y-max"))
    top, bottom = float(svg.get("data-plot-top")), float(svg.get("data-plot-bottom"))
    return bottom - float((Decimal(value) - low) / (high - low)) * (bottom - top)


def find(svg: ET.Element, tag: str, cls: str) -> list[ET.Element]:
    return [e for e in svg.iter(SVG + tag) if e.get("class") == cls]


def vertices(svg: ET.Element) -> list[tuple[float, float]]:
    (line,) = find(svg, "polyline", "series")
    return [tuple(float(c) for c in pair.split(",")) for pair in line.get("points").split()]


def texts(svg: ET.Element, cls: str | None = None) -> list[str]:
    return [e.text for e in svg.iter(SVG + "text") if cls is None or e.get("class") == cls]


POINTS = [
    (date(2025, 3, 31), "0.8"),
    (date(2025, 6, 30), "1.9"),
    (date(2025, 9, 30), "2.6"),
    (date(2025, 12, 20), "4.03"),
]


def test_series_target_and_deadline_sit_where_the_values_say(app):
    svg = parse(make_state(points=POINTS))
    assert svg.tag == SVG + "svg" and svg.get("role") == "img" and svg.get("aria-label")
    assert svg[0].tag == SVG + "title" and "Thu ngân sách nhà nước" in svg[0].text

    points = vertices(svg)
    assert len(points) == len(POINTS)
    for (_x, y), (_day, value) in zip(points, POINTS, strict=True):
        assert y == pytest.approx(expected_y(svg, value), abs=0.1)
    assert [x for x, _y in points] == sorted(x for x, _y in points)
    assert len(find(svg, "circle", "point")) == len(POINTS)
    assert "20/12/2025: 4,03 tỷ đồng" in [c.find(SVG + "title").text for c in find(svg, "circle", "point")]

    (target,) = find(svg, "line", "target")
    assert float(target.get("y1")) == float(target.get("y2")) == pytest.approx(expected_y(svg, "2.94"), abs=0.1)
    assert target.get("stroke-dasharray")
    assert "Chỉ tiêu: 2,94 tỷ đồng" in texts(svg, "target-label")

    (deadline,) = find(svg, "line", "deadline")
    assert deadline.get("x1") == deadline.get("x2")
    assert float(deadline.get("x1")) > points[-1][0]  # 31/12 lies after the last update, 20/12
    assert "Hạn 31/12/2025" in texts(svg)
    assert "31/03/2025" in texts(svg, "tick")


def test_tick_labels_are_vietnamese(app):
    svg = parse(make_state(target="8061", points=[(date(2025, 6, 30), "7420")], unit_label="triệu đồng"))
    assert "5.000" in texts(svg, "tick")
    svg = parse(make_state(target="1.47", points=[(date(2025, 6, 30), "0.5")]))
    assert "0,5" in texts(svg, "tick")


def test_no_points_draws_the_target_and_says_so(app):
    svg = parse(make_state(points=()))
    assert find(svg, "polyline", "series") == [] and find(svg, "circle", "point") == []
    assert texts(svg, "empty") == ["Chưa có số liệu"]
    assert len(find(svg, "line", "target")) == 1
    assert len(find(svg, "line", "deadline")) == 1


def test_one_point_and_no_deadline(app):
    svg = parse(make_state(deadline=None, points=[(date(2025, 6, 30), "1.5")]))
    assert len(vertices(svg)) == 1
    assert find(svg, "line", "deadline") == []


def test_no_target(app):
    svg = parse(make_state(target=None, points=POINTS[:2]))
    assert find(svg, "line", "target") == [] and len(vertices(svg)) == 2


def test_target_equal_to_baseline(app):
    svg = parse(make_state(kind="count", baseline="5", target="5", points=[(date(2025, 6, 30), "5")]))
    (target,) = find(svg, "line", "target")
    assert float(target.get("y1")) == pytest.approx(expected_y(svg, "5"), abs=0.1)
    assert find(svg, "line", "baseline") == []
    assert any("bằng giá trị ban đầu" in t for t in texts(svg, "target-label"))


def test_all_values_equal_and_zero(app):
    svg = parse(make_state(kind="count", baseline="0", target="0", deadline=None, points=[(date(2025, 6, 30), "0")]))
    assert len(vertices(svg)) == 1


def test_a_decrease_puts_the_target_below_the_baseline(app):
    points = [(date(2024, 12, 31), "1.4"), (date(2025, 12, 31), "1.0")]
    svg = parse(make_state(kind="decrease", baseline="1.5", target="1.0", points=points, unit_label="%"))
    (target,), (baseline,) = find(svg, "line", "target"), find(svg, "line", "baseline")
    assert float(target.get("y1")) > float(baseline.get("y1"))  # lower on screen
    assert float(baseline.get("y1")) == pytest.approx(expected_y(svg, "1.5"), abs=0.1)
    assert vertices(svg)[-1][1] == pytest.approx(float(target.get("y1")), abs=0.1)


def test_a_milestone_reads_as_percentages(app):
    svg = parse(
        make_state(kind="milestone", target=None, points=[(date(2025, 3, 1), "0.375"), (date(2025, 5, 1), "1")])
    )
    assert texts(svg, "tick")[:5] == ["0%", "25%", "50%", "75%", "100%"]
    (target,) = find(svg, "line", "target")
    assert float(target.get("y1")) == pytest.approx(float(svg.get("data-plot-top")), abs=0.1)
    assert "01/03/2025: 37,5%" in [c.find(SVG + "title").text for c in find(svg, "circle", "point")]


def test_text_is_escaped(app):
    svg = parse(make_state(title='Chỉ tiêu <script>alert("x")</script> & co', unit_label="<b>đ</b>", points=POINTS[:1]))
    assert svg[0].text == 'Giá trị theo thời gian: Chỉ tiêu <script>alert("x")</script> & co'
    assert list(svg.iter("script")) == [] and list(svg.iter(SVG + "script")) == []
    assert "Chỉ tiêu: 2,94 <b>đ</b>" in texts(svg, "target-label")


def test_chart_of_a_real_task(app, users, ward):
    program = factories.create_program(ward, starts_on=date(2021, 2, 7), ends_on=date(2030, 12, 31))
    task = factories.create_task(program, measure_kind="amount", target=Decimal("2.94"), unit_label="tỷ đồng")
    factories.create_task_update(task, users["manager"], "1.2", at=datetime(2025, 6, 30, 3, tzinfo=UTC))
    factories.create_task_update(task, users["manager"], "4.03", at=datetime(2025, 12, 20, 3, tzinfo=UTC))
    db.session.commit()
    svg = parse(evaluate_task(task))
    assert [y for _x, y in vertices(svg)] == pytest.approx([expected_y(svg, "1.2"), expected_y(svg, "4.03")], abs=0.1)
    assert find(svg, "line", "deadline") == []
