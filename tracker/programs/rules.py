"""The rules of progress, status and roll-up (DESIGN §2.4, §2.6), in one place, free of the database.

Every number is a Decimal. Every roll-up returns a Figure that can explain itself: its formula and the
items behind it, including what was excluded and why. Views, the API, exports and dashboards all read
these functions; nothing else computes a percentage.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum

from flask_babel import lazy_gettext as _l

ZERO, ONE = Decimal(0), Decimal(1)
DUE_SOON_DAYS = 7
FORECAST_POINTS = 5  # at_risk looks at the trend of the last few updates


class Status(StrEnum):
    DONE_ON_TIME = "done_on_time"
    DONE_LATE = "done_late"
    IN_PROGRESS = "in_progress"
    OVERDUE = "overdue"
    NO_DEADLINE = "no_deadline"
    PAUSED = "paused"
    CANCELLED = "cancelled"

    @property
    def label(self) -> str:
        return str(STATUS_LABELS[self])

    @property
    def is_done(self) -> bool:
        return self in _DONE

    @property
    def counts(self) -> bool:
        """Paused and cancelled tasks are excluded from every roll-up."""
        return self not in _STOPPED


_DONE = frozenset({Status.DONE_ON_TIME, Status.DONE_LATE})
_STOPPED = frozenset({Status.PAUSED, Status.CANCELLED})


STATUS_LABELS = {
    Status.DONE_ON_TIME: _l("Hoàn thành đúng hạn"),
    Status.DONE_LATE: _l("Hoàn thành quá hạn"),
    Status.IN_PROGRESS: _l("Đang thực hiện trong hạn"),
    Status.OVERDUE: _l("Đang thực hiện quá hạn"),
    Status.NO_DEADLINE: _l("Không có thời hạn"),
    Status.PAUSED: _l("Tạm dừng"),
    Status.CANCELLED: _l("Đã hủy"),
}


class Flag(StrEnum):
    DUE_SOON = "due_soon"
    NOT_STARTED = "not_started"
    STALE = "stale"
    AT_RISK = "at_risk"

    @property
    def label(self) -> str:
        return str(FLAG_LABELS[self])


FLAG_LABELS = {
    Flag.DUE_SOON: _l("Sắp đến hạn"),
    Flag.NOT_STARTED: _l("Chưa cập nhật"),
    Flag.STALE: _l("Lâu chưa cập nhật"),
    Flag.AT_RISK: _l("Có nguy cơ trễ hạn"),
}


def has_ended(ends_on: date | None, today: date) -> bool:
    """A program past its last day (in Vietnam's date) has ended: it leaves the current roll-ups."""
    return ends_on is not None and ends_on < today


def as_of(ends_on: date | None, today: date) -> date:
    """The day a program's figures are read for: today, or, once it has ended, the day after its last day (its
    final figures: the values recorded by its end, and a task due by then and not done is overdue)."""
    return ends_on + timedelta(days=1) if has_ended(ends_on, today) else today


def clamp(value: Decimal, low: Decimal = ZERO, high: Decimal = ONE) -> Decimal:
    return max(low, min(high, value))


def progress(kind: str, baseline: Decimal, target: Decimal | None, value: Decimal | None) -> Decimal:
    """Share of the way from baseline to target, 0..1.

    A milestone's value is its own share (1 = done, a manual fraction in between). For a decrease the
    target lies below the baseline and the same formula holds. When target equals baseline there is no
    distance to cover: reached (1) or not (0), never a division by zero.
    """
    if value is None:
        return ZERO
    if kind == "milestone":
        return clamp(value)
    if target is None:
        return ZERO
    if target == baseline:
        reached = value <= target if kind == "decrease" else value >= target
        return ONE if reached else ZERO
    return clamp((value - baseline) / (target - baseline))


def achievement(kind: str, target: Decimal | None, value: Decimal | None) -> Decimal | None:
    """Tỷ lệ đạt kế hoạch, not clamped: value / target ("4,03/2,94 tỷ đồng — đạt 137%").

    For a decrease, less is better, so it is target / value (1,0% reached against a 1,0% target = 100%).
    None when it has no meaning (no value, no target, or a division by zero).
    """
    if value is None or target is None:
        return None
    if kind == "milestone":
        return clamp(value)
    if kind == "decrease":
        return target / value if value else None
    return value / target if target else None


@dataclass(frozen=True)
class Point:
    """One dated value of a task (a TaskUpdate, or a system snapshot)."""

    on: date
    value: Decimal


def completed_on(kind: str, baseline: Decimal, target: Decimal | None, points: Sequence[Point]) -> date | None:
    """The date of the update that first brought progress to 1; cleared when progress later falls below 1."""
    done = None
    for point in points:
        reached = progress(kind, baseline, target, point.value) >= ONE
        done = (done or point.on) if reached else None
    return done


def status(lifecycle: str, completed: date | None, deadline: date | None, today: date) -> Status:
    """The Government's task-monitoring status, derived at read time."""
    if lifecycle == "paused":
        return Status.PAUSED
    if lifecycle == "cancelled":
        return Status.CANCELLED
    if completed is not None:
        return Status.DONE_LATE if deadline is not None and completed > deadline else Status.DONE_ON_TIME
    if deadline is None:
        return Status.NO_DEADLINE
    return Status.IN_PROGRESS if today <= deadline else Status.OVERDUE


def forecast_completion(kind: str, baseline: Decimal, target: Decimal | None, points: Sequence[Point]) -> date | None:
    """When a straight line through the last updates' progress reaches 1 (None: no trend, or flat/falling)."""
    recent = list(points)[-FORECAST_POINTS:]
    if len(recent) < 2 or recent[-1].on == recent[0].on:
        return None
    first = progress(kind, baseline, target, recent[0].value)
    last = progress(kind, baseline, target, recent[-1].value)
    per_day = (last - first) / Decimal((recent[-1].on - recent[0].on).days)
    if per_day <= 0:
        return None
    days_left = (ONE - last) / per_day
    return recent[-1].on + timedelta(days=int(days_left.to_integral_value(rounding="ROUND_CEILING")))


def due_soon(deadline: date | None, today: date) -> bool:
    """A deadline from today to DUE_SOON_DAYS ahead: the task is flagged and listed as due soon."""
    return deadline is not None and today <= deadline <= today + timedelta(days=DUE_SOON_DAYS)


def flags(
    *,
    state: Status,
    kind: str,
    baseline: Decimal,
    target: Decimal | None,
    points: Sequence[Point],
    deadline: date | None,
    update_every_days: int | None,
    today: date,
    live: bool = False,
) -> list[Flag]:
    """Flags shown beside the status of a task that is still being worked on."""
    if state.is_done or not state.counts:
        return []
    found = []
    if due_soon(deadline, today):
        found.append(Flag.DUE_SOON)
    if not points and not live:
        found.append(Flag.NOT_STARTED)
    if update_every_days and not live and points and points[-1].on < today - timedelta(days=update_every_days):
        found.append(Flag.STALE)
    if deadline is not None and today <= deadline and points:
        current = progress(kind, baseline, target, points[-1].value)
        if current < ONE:
            eta = forecast_completion(kind, baseline, target, points)
            if (eta is None and len(points) >= 2) or (eta is not None and eta > deadline):
                found.append(Flag.AT_RISK)
    return found


def missing_five_r(task) -> list[str]:
    """Which of the five "rõ" (DESIGN §1) a task lacks, each named."""
    checks = (
        ((task.description or "").strip(), _l("rõ việc (nội dung)")),
        (task.owner_name or task.owner_user_id or task.owner_member_id, _l("rõ người (người thực hiện)")),
        (task.responsible, _l("rõ trách nhiệm (cơ quan chủ trì)")),
        (task.deadline, _l("rõ thời gian (thời hạn)")),
        ((task.expected_result or "").strip(), _l("rõ kết quả (kết quả cần đạt)")),
    )
    return [str(name) for present, name in checks if not present]


# --- roll-ups -------------------------------------------------------------------------------------


@dataclass
class Item:
    """One input of a roll-up: what it is, its share, its weight, and why it was left out if it was."""

    label: str
    value: Decimal | None
    weight: Decimal = ONE
    excluded: str | None = None
    url: str | None = None


@dataclass
class Figure:
    """A percentage that explains itself: value (0..1, None when nothing counts), formula, items."""

    value: Decimal | None
    formula: str
    items: list[Item] = field(default_factory=list)

    @property
    def included(self) -> list[Item]:
        return [i for i in self.items if i.excluded is None]

    @property
    def excluded(self) -> list[Item]:
        return [i for i in self.items if i.excluded is not None]


def weighted_mean(items: Iterable[Item], formula: str) -> Figure:
    """Σ(weight × value) / Σ weight over the included items; None when nothing is included."""
    items = list(items)
    counted = [i for i in items if i.excluded is None and i.value is not None]
    total_weight = sum((i.weight for i in counted), ZERO)
    value = sum((i.weight * i.value for i in counted), ZERO) / total_weight if total_weight else None
    return Figure(value, formula, items)


def completion_rate(items: Iterable[tuple[Item, Status, date | None]], today: date) -> Figure:
    """Nhiệm vụ đến hạn đã hoàn thành: among tasks due (deadline ≤ today), the share completed."""
    rows = []
    due = done = 0
    stopped, undated = str(_l("tạm dừng hoặc đã hủy")), str(_l("không có thời hạn"))
    not_due, early = str(_l("chưa đến hạn")), str(_l("chưa đến hạn (đã hoàn thành sớm)"))
    for item, state, deadline in items:
        if not state.counts:
            rows.append(Item(item.label, None, excluded=stopped, url=item.url))
        elif deadline is None:
            rows.append(Item(item.label, None, excluded=undated, url=item.url))
        elif deadline > today and not state.is_done:
            rows.append(Item(item.label, None, excluded=not_due, url=item.url))
        elif deadline > today:
            rows.append(Item(item.label, None, excluded=early, url=item.url))
        else:
            due += 1
            done += state.is_done
            rows.append(Item(item.label, ONE if state.is_done else ZERO, url=item.url))
    value = Decimal(done) / Decimal(due) if due else None
    formula = _l("số nhiệm vụ đến hạn đã hoàn thành ÷ số nhiệm vụ đến hạn = %(a)d ÷ %(b)d", a=done, b=due)
    return Figure(value, str(formula), rows)


def on_time_rate(states: Iterable[tuple[Item, Status]]) -> Figure:
    """Hoàn thành đúng hạn ÷ đã hoàn thành."""
    rows = []
    on_time = completed = 0
    unfinished = str(_l("chưa hoàn thành"))
    for item, state in states:
        if not state.is_done:
            rows.append(Item(item.label, None, excluded=unfinished, url=item.url))
            continue
        completed += 1
        on_time += state == Status.DONE_ON_TIME
        rows.append(Item(item.label, ONE if state == Status.DONE_ON_TIME else ZERO, url=item.url))
    value = Decimal(on_time) / Decimal(completed) if completed else None
    return Figure(value, str(_l("hoàn thành đúng hạn ÷ đã hoàn thành = %(a)d ÷ %(b)d", a=on_time, b=completed)), rows)
