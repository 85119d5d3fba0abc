"""The province picture (DESIGN §9, issue 13 part 6): the dashboard's ranking of subordinates with their programs'
and registries' figures, sorted on the server, exported to XLSX; registries live beside the kept program part."""

import io
from datetime import date, timedelta
from decimal import Decimal
from html.parser import HTMLParser

import pytest
from openpyxl import load_workbook
from sqlalchemy import update

from tests import factories
from tests.test_dashboards import _board, _program, _service, _site, _task, grow, login_as, statements_for
from tracker.db import local_today
from tracker.extensions import db
from tracker.programs.models import ProgramFigures
from tracker.sites.models import SiteKind


class _Ranking(HTMLParser):
    """The ranking's rows: unit id → {column: text}, in the page's order; and its header cells' aria-sort."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.rows: dict[int, dict[str, str]] = {}
        self.sorted: dict[str, str] = {}
        self.links: dict[str, str] = {}
        self._row = self._column = self._header = None
        self._depth = 0
        self._in_ranking = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if attrs.get("data-testid") == "ranking":
            self._in_ranking = True
        if not self._in_ranking:
            return
        if self._column:  # inside a cell (a figure's own table included): only its depth
            self._depth += tag not in ("input", "br")
            return
        if tag == "tr" and "data-unit-id" in attrs:
            self._row = int(attrs["data-unit-id"])
            self.rows[self._row] = {"name": ""}
        elif tag == "td" and self._row is not None:
            self._column, self._depth = attrs.get("data-column", "name" if "data-label" not in attrs else None), 1
        elif tag == "th" and "data-sort" in attrs:
            self._header = attrs["data-sort"]
            if "aria-sort" in attrs:
                self.sorted[self._header] = attrs["aria-sort"]
        elif tag == "a" and self._header:
            self.links[self._header] = attrs["href"]

    def handle_endtag(self, tag):
        if tag == "th":
            self._header = None
        if self._column:
            self._depth -= tag not in ("input", "br")
            if self._depth == 0:
                self._column = None
        if tag == "section":
            self._in_ranking = False

    def handle_data(self, data):
        if self._column and self._row is not None:
            text = self.rows[self._row].get(self._column, "")
            self.rows[self._row][self._column] = " ".join(f"{text} {data}".split())


def ranking(page) -> _Ranking:
    parser = _Ranking()
    parser.feed(page.get_data(as_text=True))
    return parser


@pytest.fixture
def picture(app, province, ward):
    """Two wards and a commune under the province, each with programs and registries of its own."""
    today = local_today()
    group = factories.create_unit("Tổ dân phố số 1", "residential_group", parent=ward)
    other = factories.create_unit("Phường Ba Hàng", "ward", parent=province)
    quiet = factories.create_unit("Xã Phúc Tân", "commune", parent=province)  # no program: ranked last

    program = _program(ward, "Kế hoạch của phường")
    _task(program, "Xong", deadline=today - timedelta(days=5), points=[(today - timedelta(days=6), 100)])
    _task(program, "Quá hạn 1", deadline=today - timedelta(days=3), points=[(today, 20)])
    parent = _task(program, "Nhóm", deadline=today + timedelta(days=60))
    _task(program, "Con quá hạn", parent=parent, deadline=today - timedelta(days=1), points=[(today, 10)])
    group_program = _program(group, "Kế hoạch của tổ")
    _task(group_program, "Quá hạn 2", deadline=today - timedelta(days=2), points=[(today, 50)])
    other_program = _program(other, "Kế hoạch Ba Hàng")
    _task(other_program, "Xong sớm", deadline=today + timedelta(days=30), points=[(today, 100)])

    _site(ward, printed=True, checkins=[1])
    _site(group, SiteKind.SCHOOL, printed=True)
    _site(other, checkins=[2])
    _site(other)
    _site(other, SiteKind.MARKET)
    _service(ward, "1.001", 4)
    _service(group, "1.002", 3)
    _service(other, "1.003", 2)
    long_ago = date(2024, 1, 1)
    _board(ward, "Ban chỉ đạo phường", 5, [(long_ago, None)] * 3)
    _board(group, "Tổ công nghệ số", 3, [(long_ago, None)] * 3)
    db.session.commit()
    return {"province": province, "ward": ward, "group": group, "other": other, "quiet": quiet}


def test_the_ranking_shows_programs_and_registries_per_subordinate(client, auth, picture):
    login_as(auth, "tinh", "viewer", picture["province"])
    page = client.get("/")
    rows = ranking(page).rows
    ward, other, quiet = (picture[k].id for k in ("ward", "other", "quiet"))
    assert list(rows) == [other, ward, quiet]  # progress, best first; the one without a program last

    # The ward counts its residential group: programs, tasks and registries of the whole subtree.
    assert rows[ward]["name"] == "Phường Phổ Yên"
    assert rows[ward]["programs"] == "2"
    assert rows[ward]["overdue"] == "3"  # two top-level tasks and a sub-task
    assert rows[ward]["completion"].startswith("33,33%")  # 1 of the 3 due top-level tasks (Nhóm is not due)
    assert (rows[ward]["qr_registered"], rows[ward]["qr_printed"], rows[ward]["qr_active"]) == ("2", "2", "1")
    assert (rows[ward]["services_full"], rows[ward]["services_partial"]) == ("1", "1")
    assert rows[ward]["boards"] == "6 / 8"

    assert rows[other]["progress"].startswith("100%") and rows[other]["overdue"] == "0"
    assert rows[other]["completion"].startswith("—")  # nothing due yet
    assert (rows[other]["qr_registered"], rows[other]["qr_printed"], rows[other]["qr_active"]) == ("3", "0", "1")
    assert (rows[other]["services_full"], rows[other]["services_partial"], rows[other]["boards"]) == ("0", "0", "—")

    assert rows[quiet]["progress"] == "Chưa có chương trình đang thực hiện"
    assert (rows[quiet]["completion"], rows[quiet]["overdue"], rows[quiet]["qr_registered"]) == ("—", "—", "0")


@pytest.mark.parametrize(
    ("query", "order", "header", "aria"),
    [
        ("sort=qr_registered&dir=desc", ["other", "ward", "quiet"], "qr_registered", "descending"),
        ("sort=qr_registered&dir=asc", ["quiet", "ward", "other"], "qr_registered", "ascending"),
        ("sort=overdue", ["ward", "other", "quiet"], "overdue", "descending"),  # the most worrying first
        ("sort=name", ["other", "ward", "quiet"], "name", "ascending"),  # Ba Hàng, Phổ Yên, Phúc Tân
        ("sort=boards&dir=asc", ["ward", "other", "quiet"], "boards", "ascending"),  # no board: last either way
        ("sort=completion&dir=asc", ["ward", "other", "quiet"], "completion", "ascending"),
        ("sort=nonsense&dir=sideways", ["other", "ward", "quiet"], "progress", "descending"),  # the default
        ("sort=progress&dir=sideways", ["other", "ward", "quiet"], "progress", "descending"),
    ],
)
def test_the_ranking_sorts_by_each_column_on_the_server(client, auth, picture, query, order, header, aria):
    login_as(auth, "tinh", "viewer", picture["province"])
    page = client.get(f"/?unit_id={picture['province'].id}&{query}")
    assert page.status_code == 200
    parsed = ranking(page)
    assert list(parsed.rows) == [picture[k].id for k in order]
    assert parsed.sorted == {header: aria}  # only the column sorted by says so
    # Its header's link turns the order round; another column's starts with its own first direction.
    flipped = "asc" if aria == "descending" else "desc"
    assert f"sort={header}&dir={flipped}#ranking" in parsed.links[header]
    assert "sort=name&dir=asc" in parsed.links["name"] or header == "name"
    assert "sort=qr_active&dir=desc" in parsed.links["qr_active"] or header == "qr_active"
    assert f'href="/units/{picture["province"].id}/ranking.xlsx?sort={header}&amp;dir=' in page.get_data(as_text=True)


def test_registries_move_in_the_ranking_while_the_program_part_stays_kept(client, auth, picture):
    login_as(auth, "tinh", "viewer", picture["province"])
    first = client.get("/")
    computed_at = first.get_data(as_text=True).split('data-testid="computed-at"', 1)[1][:200]
    for n in range(4):
        _site(picture["quiet"], printed=n < 2)
    db.session.commit()
    then = client.get("/")
    assert then.get_data(as_text=True).split('data-testid="computed-at"', 1)[1][:200] == computed_at  # kept
    quiet = ranking(then).rows[picture["quiet"].id]
    assert (quiet["qr_registered"], quiet["qr_printed"]) == ("4", "2")
    sorted_page = ranking(client.get("/?sort=qr_registered"))
    assert list(sorted_page.rows)[0] == picture["quiet"].id


def test_a_ward_with_no_subordinates_has_no_ranking(client, auth, users, picture):
    auth.login("viewer")  # scoped to the ward, whose only child is a residential group
    rows = ranking(client.get("/")).rows
    assert list(rows) == [picture["group"].id]
    auth.logout()
    login_as(auth, "to", "viewer", picture["group"])
    assert 'data-testid="ranking"' not in client.get("/").get_data(as_text=True)


def test_the_ranking_exports_to_xlsx_in_the_order_shown(client, auth, picture):
    login_as(auth, "tinh", "viewer", picture["province"])
    url = f"/units/{picture['province'].id}/ranking.xlsx?sort=qr_registered&dir=desc"
    response = client.get(url)
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert "attachment" in response.headers["Content-Disposition"]
    assert f'filename="xep-hang-thai-nguyen-{picture["province"].id}.xlsx"' in response.headers["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.data)).active
    values = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert values[0][0] == "Xếp hạng đơn vị trực thuộc Thái Nguyên"
    assert "xếp theo điểm qr đã đăng ký, giảm dần" in values[1][0]
    header = values[3]
    assert header[:4] == ["STT", "Đơn vị", "Mã", "Tiến độ"] and len(header) == 14
    body = values[4:]
    assert [row[1] for row in body] == ["Phường Ba Hàng", "Phường Phổ Yên", "Xã Phúc Tân"]
    ward = body[1]
    assert ward[2] == "05860"
    assert ward[3] == pytest.approx((1.3 / 3 + 0.5) / 2)  # its own program and its group's, each counted once
    assert ward[4] == pytest.approx(1 / 3)  # a share, shown as a percentage
    assert ward[5:] == [3, 2, 2, 2, 1, 1, 1, 6, 8]
    assert body[2][3:7] == [None, None, None, 0]  # no program: nothing to rank by
    assert body[2][12:] == [None, None]
    cell = sheet.cell(row=6, column=5)
    assert cell.number_format == "0.00%"


def test_the_ranking_export_stays_in_scope(client, auth, users, picture):
    auth.login("viewer")  # the ward's viewer
    assert client.get(f"/units/{picture['ward'].id}/ranking.xlsx").status_code == 200
    assert client.get(f"/units/{picture['province'].id}/ranking.xlsx").status_code == 403
    assert client.get(f"/units/{picture['other'].id}/ranking.xlsx").status_code == 403
    auth.logout()
    auth.login("admin")
    assert client.get("/units/999999/ranking.xlsx").status_code == 404


def test_sorting_costs_no_evaluation_and_the_statements_stay_fixed(client, auth, province):
    """Sorting reads the ranking rows this worker kept beside the fragment (no program is evaluated, even when the
    day's kept figures are gone); more subordinates, the same statements."""
    grow(province, range(1, 2))
    login_as(auth, "tinh", "viewer", province)
    client.get("/")
    small = statements_for(client, "/?sort=qr_active&dir=asc")
    grow(province, range(2, 5))
    client.get("/")
    large = statements_for(client, "/?sort=qr_active&dir=asc")
    assert len(large) == len(small), "\n".join(large)
    db.session.execute(update(ProgramFigures).values(day=None))  # would be evaluated again if anything asked
    db.session.commit()
    assert len(statements_for(client, "/?sort=name")) == len(small)


def test_the_unit_rows_carry_completion_and_overdue(app, picture):
    from tracker.programs.summary import summarize_unit

    with app.test_request_context("/"):
        summary = summarize_unit(picture["province"].id)
    rows = {row.id: row for row in summary.children}
    ward = rows[picture["ward"].id]
    assert (ward.programs, ward.overdue, ward.completion.value) == (2, 3, Decimal(1) / Decimal(3))
    assert "= 1 ÷ 3" in ward.completion.formula
    assert picture["quiet"].id not in rows  # no program: not in the summary's rows, added by the dashboard's ranking
