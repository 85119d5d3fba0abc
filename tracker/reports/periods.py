"""Reporting periods (DESIGN §9): their keys, calendar bounds, data cut-offs and due dates. Free of the database.

Keys: `2026-M11` (month), `2026-Q3` (quarter), `2026-H1` (half-year), `2026` (year). The data cut-off follows
Decree 09/2019/NĐ-CP Art. 12: a month runs from the 15th of the month before to its 14th; a quarter from the 15th of
the month before it to the 14th of its last month; the first half-year from 15/12 of the year before to 14/06, the
second from 15/06 to 14/12; a year from 15/12 of the year before to 14/12. A report is due on the unit's due day of
the period's last month (the 18th unless its schedule says otherwise).
"""

import re
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from flask_babel import lazy_gettext as _l

CUTOFF_DAY = 14  # the data of a period ends on the 14th of its last month
DEFAULT_DUE_DAY = 18
MAX_DUE_DAY = 28  # every month has it
FIRST_YEAR, LAST_YEAR = 2000, 2100
_KEY = re.compile(r"^(\d{4})(?:-([MQH])(\d{1,2}))?$")
ROMAN = {1: "I", 2: "II", 3: "III", 4: "IV"}


class PeriodKind(StrEnum):
    MONTH = "M"
    QUARTER = "Q"
    HALF = "H"
    YEAR = "Y"

    @property
    def label(self) -> str:
        return str(KIND_LABELS[self])

    @property
    def months(self) -> int:
        return {"M": 1, "Q": 3, "H": 6, "Y": 12}[self.value]

    @property
    def count(self) -> int:
        """How many periods of this kind a year holds."""
        return 12 // self.months


KIND_LABELS = {
    PeriodKind.MONTH: _l("Tháng"),
    PeriodKind.QUARTER: _l("Quý"),
    PeriodKind.HALF: _l("6 tháng"),
    PeriodKind.YEAR: _l("Năm"),
}
DEFAULT_KINDS = frozenset({PeriodKind.QUARTER, PeriodKind.HALF, PeriodKind.YEAR})


class PeriodError(ValueError):
    """A period key that names no period; the message is for the user, in Vietnamese."""


def _month_start(year: int, month: int) -> date:
    """The first day of a month counted from January of `year` (month 0 is December of the year before)."""
    year, month = year + (month - 1) // 12, (month - 1) % 12 + 1
    return date(year, month, 1)


@dataclass(frozen=True, order=True)
class Period:
    year: int
    kind: PeriodKind
    number: int = 1  # month 1–12, quarter 1–4, half 1–2; 1 for a year

    @property
    def key(self) -> str:
        return str(self.year) if self.kind == PeriodKind.YEAR else f"{self.year}-{self.kind.value}{self.number}"

    def __str__(self) -> str:
        return self.key

    @property
    def first_month(self) -> int:
        return (self.number - 1) * self.kind.months + 1

    @property
    def last_month(self) -> int:
        return self.first_month + self.kind.months - 1

    @property
    def starts_on(self) -> date:
        return _month_start(self.year, self.first_month)

    @property
    def ends_on(self) -> date:
        return _month_start(self.year, self.last_month + 1) - timedelta(days=1)

    @property
    def cutoff_start(self) -> date:
        """The first day of the period's data: the 15th of the month before it."""
        return _month_start(self.year, self.first_month - 1).replace(day=CUTOFF_DAY + 1)

    @property
    def cutoff_end(self) -> date:
        """The last day of the period's data (the report's figures are read as of this day): the 14th of its last
        month."""
        return date(self.year, self.last_month, CUTOFF_DAY)

    def due_on(self, due_day: int = DEFAULT_DUE_DAY) -> date:
        return date(self.year, self.last_month, due_day)

    @property
    def previous(self) -> "Period":
        """The period of the same kind before this one (the report the deltas compare with)."""
        if self.number > 1:
            return Period(self.year, self.kind, self.number - 1)
        return Period(self.year - 1, self.kind, self.kind.count)

    @property
    def label(self) -> str:
        """In words, as a report's subject says it: "quý III năm 2026", "6 tháng đầu năm 2026"."""
        if self.kind == PeriodKind.MONTH:
            return str(_l("tháng %(m)d năm %(y)d", m=self.number, y=self.year))
        if self.kind == PeriodKind.QUARTER:
            return str(_l("quý %(q)s năm %(y)d", q=ROMAN[self.number], y=self.year))
        if self.kind == PeriodKind.HALF:
            if self.number == 1:
                return str(_l("6 tháng đầu năm %(y)d", y=self.year))
            return str(_l("6 tháng cuối năm %(y)d", y=self.year))
        return str(_l("năm %(y)d", y=self.year))


def parse(key: str) -> Period:
    """A period from its key; PeriodError with a message naming what is wrong."""
    text = (key or "").strip().upper()
    match = _KEY.match(text)
    example = _l("hãy viết như 2026-M11 (tháng), 2026-Q3 (quý), 2026-H1 (6 tháng) hoặc 2026 (năm)")
    if not match:
        raise PeriodError(str(_l("Kỳ báo cáo “%(k)s” không đúng dạng: %(ex)s.", k=key, ex=example)))
    year, letter, number = int(match[1]), match[2], int(match[3]) if match[3] else 1
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise PeriodError(str(_l("Năm của kỳ báo cáo phải từ %(a)d đến %(b)d.", a=FIRST_YEAR, b=LAST_YEAR)))
    kind = PeriodKind(letter) if letter else PeriodKind.YEAR
    if not 1 <= number <= kind.count:
        raise PeriodError(
            str(_l("Kỳ báo cáo “%(k)s” không có: %(kind)s chỉ từ 1 đến %(n)d.", k=key, kind=kind.label, n=kind.count))
        )
    return Period(year, kind, number)


def containing(day: date, kind: PeriodKind) -> Period:
    """The period of this kind whose calendar months hold `day`."""
    return Period(day.year, kind, (day.month - 1) // kind.months + 1)


def latest_ended(today: date, kinds) -> list[Period]:
    """For each kind, the latest period whose data has been cut off by today (the one to report now), newest first."""
    found = []
    for kind in kinds:
        period = containing(today, kind)
        while period.cutoff_end >= today:
            period = period.previous
        found.append(period)
    return sorted(found, key=lambda p: (p.cutoff_end, -p.kind.months), reverse=True)


def parse_kinds(text: str) -> frozenset[PeriodKind]:
    """A schedule's kinds from their letters ("QHY"); PeriodError on an unknown letter or none."""
    letters = (text or "").strip().upper()
    if not letters:
        raise PeriodError(str(_l("Hãy chọn ít nhất một loại kỳ báo cáo.")))
    try:
        return frozenset(PeriodKind(c) for c in letters)
    except ValueError as exc:
        raise PeriodError(str(_l("Loại kỳ báo cáo “%(k)s” không có: chỉ M, Q, H, Y.", k=text))) from exc


def kinds_text(kinds) -> str:
    """A schedule's kinds as stored: their letters in the order month, quarter, half, year."""
    return "".join(k.value for k in PeriodKind if k in kinds)
