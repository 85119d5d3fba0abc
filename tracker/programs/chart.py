"""The value-over-time chart of a task: an inline SVG drawn on the server (no script, no library).

Every number shown comes from the TaskState (its points, its task's baseline, target and deadline);
the chart only places them. Pixel positions are floats; the values and tick steps stay Decimal.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from flask_babel import gettext as _
from markupsafe import Markup, escape

from tracker.formatting import number, percent, vn_date
from tracker.programs.models import MeasureKind
from tracker.programs.progress import TaskState

TOP, RIGHT, BOTTOM, LEFT = 24, 16, 36, 48
TICKS = 4
INK, MUTED, LINE, SERIES, TARGET, DEADLINE = "#1b2430", "#5b6675", "#d9dee5", "#1f5fa8", "#1e7b34", "#b3261e"


@dataclass
class _Scale:
    """Maps values and days onto the plot area [left, right] × [top, bottom]."""

    low: Decimal
    high: Decimal
    first: date
    last: date
    left: float
    right: float
    top: float
    bottom: float

    def y(self, value: Decimal) -> float:
        return self.bottom - float((value - self.low) / (self.high - self.low)) * (self.bottom - self.top)

    def x(self, day: date) -> float:
        span = (self.last - self.first).days
        return self.left + (day - self.first).days / span * (self.right - self.left)


def _nice_step(span: Decimal) -> Decimal:
    """1, 2 or 5 times a power of ten, so that about TICKS steps cover `span`."""
    raw = span / TICKS
    base = Decimal(1).scaleb(raw.adjusted())
    return next(m * base for m in (1, 2, 5, 10) if raw <= m * base)


def _value_range(values: list[Decimal], milestone: bool) -> tuple[Decimal, Decimal, Decimal]:
    """(low, high, step): nice bounds around the values, from zero when nothing is negative."""
    if milestone:
        return Decimal(0), Decimal(1), Decimal("0.25")
    low, high = min([*values, Decimal(0)]), max(values)
    if high == low:
        high = low + (abs(low) or Decimal(1))
    step = _nice_step(high - low)
    low = (low / step).to_integral_value(rounding=ROUND_FLOOR) * step
    high = (high / step).to_integral_value(rounding=ROUND_CEILING) * step
    return low, high, step


def _day_range(days: list[date]) -> tuple[date, date]:
    if not days:
        return date.min, date.min + timedelta(days=30)  # never shown: no dated item on the chart
    first, last = min(days), max(days)
    if first == last:
        first, last = first - timedelta(days=15), last + timedelta(days=15)
    return first, last


def _f(coordinate: float) -> str:
    return f"{coordinate:.1f}"


def _plain(value: Decimal) -> str:
    """A machine-readable value for data attributes: '2.94', never '2.9400' or '0E+1'."""
    return format(value.normalize(), "f")


def _text(x: float, y: float, content: str, *, anchor: str = "start", fill: str = MUTED, cls: str = "") -> str:
    klass = f' class="{cls}"' if cls else ""
    return (
        f'<text{klass} x="{_f(x)}" y="{_f(y)}" text-anchor="{anchor}" font-size="13" fill="{fill}">'
        f"{escape(content)}</text>"
    )


def value_chart(state: TaskState, width: int = 640, height: int = 240) -> Markup:
    """The task's values over time as an inline SVG: series, target, baseline and deadline, labelled."""
    task = state.task
    milestone = task.measure_kind == MeasureKind.MILESTONE
    unit = "" if milestone else (task.unit_label or "")

    def show(value: Decimal) -> str:
        if milestone:
            return percent(value)
        return f"{number(value, 4)} {unit}".strip()

    points = state.points
    target = Decimal(1) if milestone else task.target
    baseline = task.baseline if task.baseline is not None else Decimal(0)
    low, high, step = _value_range(
        [p.value for p in points] + [baseline] + ([target] if target is not None else []), milestone
    )
    first, last = _day_range([p.on for p in points] + ([task.deadline] if task.deadline else []))
    ticks = []
    tick = low
    while tick <= high:
        ticks.append((tick, show(tick) if milestone else number(tick, 4)))
        tick += step
    left = max(LEFT, 14 + 8 * max(len(label) for _tick, label in ticks))  # room for the longest tick label
    scale = _Scale(low, high, first, last, left, width - RIGHT, TOP, height - BOTTOM)

    title = _("Giá trị theo thời gian: %(task)s", task=task.title)
    if points:
        summary = _(
            "%(n)d lần cập nhật, gần nhất %(value)s ngày %(day)s.",
            n=len(points),
            value=show(points[-1].value),
            day=vn_date(points[-1].on),
        )
    else:
        summary = _("Chưa có số liệu.")
    if target is not None:
        summary += " " + _("Chỉ tiêu: %(value)s.", value=show(target))
    if task.deadline:
        summary += " " + _("Thời hạn: %(day)s.", day=vn_date(task.deadline))

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" aria-label="{escape(title)}" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" '  # shrunk to the screen by app.css
        f'data-y-min="{_plain(low)}" data-y-max="{_plain(high)}" '
        f'data-plot-top="{_f(scale.top)}" data-plot-bottom="{_f(scale.bottom)}">',
        f"<title>{escape(title)}</title>",
        f"<desc>{escape(summary)}</desc>",
    ]
    # Axes and horizontal grid with Vietnamese-formatted tick labels.
    for tick, label in ticks:
        y = scale.y(tick)
        parts.append(
            f'<line class="grid" x1="{_f(scale.left)}" x2="{_f(scale.right)}" y1="{_f(y)}" y2="{_f(y)}" '
            f'stroke="{LINE}" stroke-width="1"/>'
        )
        parts.append(_text(scale.left - 6, y + 4, label, anchor="end", cls="tick"))
    parts.append(
        f'<line class="axis" x1="{_f(scale.left)}" x2="{_f(scale.left)}" y1="{_f(scale.top)}" '
        f'y2="{_f(scale.bottom)}" stroke="{MUTED}" stroke-width="1"/>'
    )
    if points:
        for day in sorted({points[0].on, points[-1].on}):
            x = scale.x(day)
            # Labels near an edge grow inwards, so that none is cut off.
            anchor = "start" if x < scale.left + 40 else "end" if x > scale.right - 40 else "middle"
            parts.append(_text(x, scale.bottom + 18, vn_date(day), anchor=anchor, cls="tick"))

    if target is not None and target != baseline:
        y = scale.y(baseline)
        start = _("Giá trị ban đầu: %(value)s", value=show(baseline))  # outside the f-string, where pybabel reads
        parts.append(
            f'<line class="baseline" data-value="{_plain(baseline)}" x1="{_f(scale.left)}" x2="{_f(scale.right)}" '
            f'y1="{_f(y)}" y2="{_f(y)}" stroke="{MUTED}" stroke-width="1" stroke-dasharray="2 3">'
            f"<title>{escape(start)}</title></line>"
        )
        parts.append(_text(scale.left + 4, y - 4, _("Ban đầu: %(value)s", value=show(baseline))))
    if target is not None:
        y = scale.y(target)
        label = _("Chỉ tiêu: %(value)s", value=show(target))
        if target == baseline:
            label = _("Chỉ tiêu (bằng giá trị ban đầu): %(value)s", value=show(target))
        parts.append(
            f'<line class="target" data-value="{_plain(target)}" x1="{_f(scale.left)}" x2="{_f(scale.right)}" '
            f'y1="{_f(y)}" y2="{_f(y)}" stroke="{TARGET}" stroke-width="2" stroke-dasharray="6 4">'
            f"<title>{escape(label)}</title></line>"
        )
        below = y - 6 < scale.top + 14  # at the top of the plot the deadline label sits above the line
        parts.append(
            _text(scale.right - 4, y + 16 if below else y - 6, label, anchor="end", fill=TARGET, cls="target-label")
        )
    if task.deadline:
        x = scale.x(task.deadline)
        label = _("Hạn %(day)s", day=vn_date(task.deadline))
        parts.append(
            f'<line class="deadline" data-day="{task.deadline.isoformat()}" x1="{_f(x)}" x2="{_f(x)}" '
            f'y1="{_f(scale.top)}" y2="{_f(scale.bottom)}" stroke="{DEADLINE}" stroke-width="1.5" '
            f'stroke-dasharray="4 3"><title>{escape(label)}</title></line>'
        )
        anchor = "end" if x > (scale.left + scale.right) / 2 else "start"
        parts.append(_text(x + (-4 if anchor == "end" else 4), scale.top - 8, label, anchor=anchor, fill=DEADLINE))

    if points:
        coordinates = " ".join(f"{_f(scale.x(p.on))},{_f(scale.y(p.value))}" for p in points)
        parts.append(
            f'<polyline class="series" points="{coordinates}" fill="none" stroke="{SERIES}" stroke-width="2" '
            'stroke-linejoin="round"/>'
        )
        for p in points:
            parts.append(
                f'<circle class="point" cx="{_f(scale.x(p.on))}" cy="{_f(scale.y(p.value))}" r="4" fill="{SERIES}">'
                f"<title>{escape(vn_date(p.on))}: {escape(show(p.value))}</title></circle>"
            )
    else:
        middle = (scale.top + scale.bottom) / 2
        parts.append(
            _text((scale.left + scale.right) / 2, middle, _("Chưa có số liệu"), anchor="middle", fill=INK, cls="empty")
        )
    parts.append("</svg>")
    # Safe by construction: every piece of text above went through escape(), the rest is numbers.
    return Markup("".join(parts))  # noqa: S704
