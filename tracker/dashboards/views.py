"""The unit dashboard (DESIGN §3): figures that explain themselves, subordinate units ranked, the tasks that
need attention and the registries. Every figure comes from programs.progress; this module arranges them."""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from flask import Blueprint, abort, current_app, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import func, select

from tracker import downloads
from tracker.auth.access import EVERYONE, allow, check_scope
from tracker.auth.models import Role
from tracker.dashboards import cache, export, queries
from tracker.dashboards.picture import COLUMNS, ordered, rank, sort_of, task_lists
from tracker.db import local_today
from tracker.demo import demo_unit
from tracker.extensions import db
from tracker.formatting import number
from tracker.forms import query_id
from tracker.programs.models import Program
from tracker.programs.progress import ProgramState
from tracker.programs.rules import DUE_SOON_DAYS, Status
from tracker.programs.summary import UnitSummary, summarize_unit
from tracker.text import slug
from tracker.units.models import Unit, UnitKind
from tracker.units.services import UnitGraph, unit_graph

bp = Blueprint("dashboards", __name__)

LIST_CAP = 20  # rows per list; the rest is counted, not shown
SCOPE_CARDS = 6  # cards of subordinate units' programs: the ranking already shows every unit


@dataclass
class Capped:
    """The first LIST_CAP items of a list and how many more there are."""

    items: list
    rest: int


def capped(items: Iterable, key: Callable | None = None, cap: int = LIST_CAP) -> Capped:
    rows = sorted(items, key=key) if key else list(items)
    return Capped(rows[:cap], max(0, len(rows) - cap))


def _trail(graph: UnitGraph, unit_id: int) -> list:
    """The unit's line upwards (to its successor, else its parent), as far as the user's scope reaches."""
    stop = None if current_user.role == Role.ADMIN else current_user.unit_id
    trail, seen, current = [], set(), unit_id
    while current is not None and current not in seen:
        seen.add(current)
        row = graph.units[current]
        trail.append(row)
        if current == stop:
            break
        current = row.merged_into_id or row.parent_id
    if stop is not None and trail[-1].id != stop:
        trail = trail[:1]
    return trail[::-1]


def _by_progress(state: ProgramState):
    """Programs furthest behind first: those are the ones a province opens."""
    return (state.progress.value if state.progress.value is not None else 2, state.program.title, state.program.id)


def _by_end(state: ProgramState):
    """Ended programs, the latest to end first."""
    return (-state.program.ends_on.toordinal(), state.program.title, state.program.id)


def _programs_url(unit_id: int) -> str | None:
    if "programs.index" not in current_app.view_functions:
        return None
    return url_for("programs.index", unit_id=unit_id)


@bp.route("/")
@allow(EVERYONE)
def index():
    unit_id = query_id("unit_id") or current_user.unit_id
    if unit_id is None and current_user.role == Role.ADMIN and not request.args.get("chon"):
        unit_id = _landing_unit_id()
    if unit_id is None:
        return _picker()
    graph = unit_graph()
    unit = graph.units.get(unit_id)  # the graph's row has all the page shows of the unit itself
    if unit is None:
        abort(404)
    check_scope(unit.id)
    today = local_today()
    subtree = graph.subtree(unit.id)
    picture = _Picture(unit, graph, subtree, today)
    figures_html, _slot, lists_html = picture.programs_html.partition(cache.SLOT)
    column, direction = sort_of(request.args)
    return render_template(
        "dashboards/index.html",
        unit=unit,
        trail=_trail(graph, unit.id),
        successor=graph.units.get(unit.merged_into_id),
        figures_html=Markup(figures_html),  # noqa: S704 (halves of our own autoescaped render)
        lists_html=Markup(lists_html),  # noqa: S704
        computed_at=picture.computed_at,
        ranking_html=picture.ranking_html(column, direction),
        qr=queries.qr_points(subtree, today),
        services=queries.online_services(subtree),
        boards=picture.boards,
        board_rows=capped(picture.boards.boards),
    )


@bp.get("/units/<int:unit_id>/ranking.xlsx")
@allow(EVERYONE)
def ranking_xlsx(unit_id: int):
    """The ranking of the unit's subordinates as a spreadsheet, in the order the page shows it."""
    graph = unit_graph()
    unit = graph.units.get(unit_id)
    if unit is None:
        abort(404)
    check_scope(unit.id)
    today = local_today()
    picture = _Picture(unit, graph, graph.subtree(unit.id), today)
    column, direction = sort_of(request.args)
    book = export.ranking_xlsx(unit.name, ordered(picture.ranking, column, direction), today, (column, direction))
    name = _("Xếp hạng đơn vị trực thuộc - %(name)s", name=unit.name)
    return downloads.attachment(
        book, downloads.XLSX_MIMETYPE, f"{name}.xlsx", fallback=f"xep-hang-{slug(unit.name, 60)}-{unit.id}.xlsx"
    )


class _Picture:
    """What the dashboard shows of a unit's programs (the kept fragment) and of its subordinates (the ranking), each
    computed once: the summary is evaluated only when the fragment or this worker's ranking rows are not kept."""

    def __init__(self, unit, graph: UnitGraph, subtree: set[int], today: date):
        self.unit, self.graph, self.today = unit, graph, today
        self._summary: UnitSummary | None = None
        self.stamp = cache.fingerprint(graph, subtree)
        self.programs_html, self.computed_at = cache.fragment(
            graph, unit.id, subtree, today, lambda: _programs_part(unit, graph, self.summary()), self.stamp
        )
        rows = cache.remembered(("rows", unit.id, self.stamp, self.computed_at), lambda: self.summary().children)
        self.boards = queries.board_staffing(subtree, today)
        self.ranking = rank(graph, unit.id, rows, self.boards, today)

    def summary(self) -> UnitSummary:
        if self._summary is None:
            self._summary = summarize_unit(self.unit.id, self.today, self.graph)
        return self._summary

    def ranking_html(self, column: str, direction: str) -> Markup:
        """The ranking rendered in this order, or as this worker rendered it already from the same program rows and
        the same registry counts (counted on this view: a change to a registry renders it anew)."""
        registries = tuple(
            (r.id, r.qr.registered, r.qr.printed, r.qr.active, r.services.full, r.services.partial)
            + (r.boards, r.members, r.seats)
            for r in self.ranking
        )
        key = ("ranking", self.unit.id, self.stamp, self.computed_at, column, direction, registries)
        return cache.remembered(key, lambda: self._render_ranking(column, direction))

    def _render_ranking(self, column: str, direction: str) -> Markup:
        html = render_template(
            "dashboards/_ranking.html",
            unit=self.unit,
            ranking=ordered(self.ranking, column, direction),
            fmt=lru_cache(maxsize=None)(number),  # the ranking's thousand counts, each value formatted once
            sort=(column, direction),
            columns=COLUMNS,
        )
        return Markup(html)  # noqa: S704 (rendered by Jinja with autoescape)


def _programs_part(unit, graph: UnitGraph, summary: UnitSummary) -> str:
    """Figures, task lists and program cards: everything the programs of the subtree decide (the ranking's place
    is cache.SLOT: its registry columns are counted on every view)."""
    own_ids = {ps.program.id for ps in summary.programs}
    programs = {ps.program.id: ps.program for ps in summary.all_programs}
    lists = task_lists(summary)
    return render_template(
        "dashboards/_summary.html",
        unit=unit,
        summary=summary,
        slot=Markup(cache.SLOT),  # noqa: S704 (a constant comment)
        statuses=list(Status),
        status_total=sum(summary.status_counts.values()),
        own_programs=capped(summary.programs),
        scope_programs=capped(
            (ps for ps in summary.all_programs if ps.program.id not in own_ids), _by_progress, cap=SCOPE_CARDS
        ),
        ended_programs=capped(summary.ended, _by_end),
        programs_url=_programs_url(unit.id),
        lists=[
            ("overdue", _("Nhiệm vụ quá hạn"), capped(lists["overdue"])),
            ("due-soon", _("Sắp đến hạn (trong %(n)d ngày)", n=DUE_SOON_DAYS), capped(lists["due_soon"])),
            ("at-risk", _("Có nguy cơ trễ hạn"), capped(lists["at_risk"])),
            ("stale", _("Lâu chưa cập nhật"), capped(lists["stale"])),
        ],
        indicators=capped(lists["indicators"]),
        program_of=programs.get,
        unit_name=lambda unit_id: graph.units[unit_id].name,
        program_status=_program_status,
    )


def _program_status(state: ProgramState) -> list[tuple[Status, int]]:
    """A program's top-level tasks per status, in the order of the taxonomy."""
    counts = state.status_counts
    return [(status, counts[status]) for status in Status if counts.get(status)]


def _landing_unit_id() -> int | None:
    """Where an administrator without a unit lands: the demo's unit when the demo exists, else the current unit
    with the most programs (None: no programs yet, the picker)."""
    unit = demo_unit()
    if unit is not None:
        return unit.id
    return db.session.scalar(
        select(Program.unit_id)
        .join(Unit, Unit.id == Program.unit_id)
        .where(Program.is_archived.is_(False))
        .group_by(Program.unit_id, Unit.valid_to, Unit.name)
        .order_by(Unit.valid_to.is_not(None), func.count(Program.id).desc(), Unit.name, Program.unit_id)
        .limit(1)
    )


def _picker():
    """No unit to show: an admin picks a province; an account without a unit is told so."""
    provinces = []
    if current_user.role == Role.ADMIN:
        provinces = db.session.scalars(
            select(Unit)
            .where(
                Unit.kind == UnitKind.PROVINCE,
                Unit.parent_id.is_(None),
                Unit.valid_to.is_(None),
                Unit.merged_into_id.is_(None),
            )
            .order_by(Unit.search_name, Unit.id)
        ).all()
    return render_template("dashboards/picker.html", provinces=provinces)
