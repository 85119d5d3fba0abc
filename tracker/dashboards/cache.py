"""The program part of a unit's dashboard, rendered once per day and kept while nothing behind it moves.

Its fingerprint is the revision (`program_figures.seq`, moved in every writer's transaction) of each program in
the unit's subtree, and the subtree's units as the page names them. A province's dashboard then costs a handful
of small queries however many communes, tasks and updates it rolls up; after a change the first view renders
again from the programs' kept figures (tracker.programs.figures). The registries' panels are not kept: they are
counted live on every view, and so are the registry columns of the ranking of subordinates.

The ranking's program columns (tracker.programs.summary.UnitRow) depend on the same programs: each worker keeps the
rows of the last units it showed beside the kept fragment they go with (`remembered`), so sorting the ranking costs
no evaluation; a worker that did not render the fragment evaluates once for it. The fragment holds SLOT where the
page puts the ranking, whose registry columns are counted on each view; the worker keeps the ranking it rendered
under those counts and the order asked for, and renders it again when any of them moves.
"""

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path

from flask import current_app
from flask_babel import get_locale
from markupsafe import Markup
from sqlalchemy import select

from tracker.dashboards.models import DashboardFragment
from tracker.db import insert, utcnow, write_aside
from tracker.extensions import db
from tracker.programs.models import Program, ProgramFigures
from tracker.units.services import UnitGraph

TABLE = DashboardFragment.__table__
SLOT = "<!-- ranking -->"  # a comment: escaped user text can never make one
KEPT = 128  # ranking rows and rendered rankings a worker keeps (remembered)

_kept: OrderedDict[tuple, object] = OrderedDict()
_kept_lock = threading.Lock()


def fingerprint(graph: UnitGraph, unit_ids: set[int]) -> str:
    """What the program part of the dashboard depends on, as a digest: changes whenever any of it changes."""
    rows = db.session.execute(
        select(Program.id, ProgramFigures.seq)
        .outerjoin(ProgramFigures, ProgramFigures.program_id == Program.id)
        .where(Program.unit_id.in_(unit_ids), Program.is_archived.is_(False))
        .order_by(Program.id)
    ).all()
    digest = hashlib.sha256(_templates_digest(current_app.template_folder).encode())  # a deploy renders anew
    for program_id, seq in rows:
        digest.update(f"p{program_id}:{seq or 0};".encode())  # never evaluated = evaluated, unchanged
    for unit_id in sorted(unit_ids):
        digest.update(repr(tuple(graph.units[unit_id])).encode())  # names, kinds, codes, tree, merges, ends
    return digest.hexdigest()


@lru_cache(maxsize=4)
def _templates_digest(folder: str) -> str:
    """The templates' contents, once per process: a fragment rendered by other templates (an older release, say one
    whose bars a newer Content-Security-Policy blocks) is never served again."""
    digest = hashlib.sha256()
    for path in sorted(Path(folder).rglob("*.html")):
        digest.update(path.read_bytes())
    return digest.hexdigest()


def fragment(
    graph: UnitGraph,
    unit_id: int,
    unit_ids: set[int],
    today: date,
    render: Callable[[], str],
    stamp: str | None = None,
) -> tuple[Markup, datetime]:
    """The kept fragment (and when it was computed), or `render()` kept for the next view. `stamp`: the subtree's
    fingerprint, when the caller has it already."""
    locale = str(get_locale())
    stamp = stamp or fingerprint(graph, unit_ids)
    kept = db.session.execute(
        select(
            DashboardFragment.day, DashboardFragment.fingerprint, DashboardFragment.html, DashboardFragment.computed_at
        ).where(DashboardFragment.unit_id == unit_id, DashboardFragment.locale == locale)
    ).first()
    if kept is not None and kept.day == today and kept.fingerprint == stamp:
        return Markup(kept.html), kept.computed_at  # noqa: S704 (our own autoescaped render, kept)
    html, now = render(), utcnow()
    row = {"unit_id": unit_id, "locale": locale, "day": today, "fingerprint": stamp, "computed_at": now, "html": html}

    def keep(conn):
        stmt = insert(conn, TABLE).values(row)
        conn.execute(
            stmt.on_conflict_do_update(
                index_elements=["unit_id", "locale"],
                set_={k: stmt.excluded[k] for k in ("day", "fingerprint", "computed_at", "html")},
            )
        )

    write_aside(keep)
    return Markup(html), now  # noqa: S704 (rendered by Jinja with autoescape)


def remembered(key: tuple, compute: Callable):
    """What `compute()` gave in this worker for `key` in the request's language, or `compute()` now. Keys name the
    kept fragment their value goes with (its fingerprint and `computed_at`, when it was rendered: another
    database, a restore or the next day renders anew) and whatever else the value depends on."""
    key = (*key, str(get_locale()))
    with _kept_lock:
        if key in _kept:
            _kept.move_to_end(key)
            return _kept[key]
    value = compute()
    with _kept_lock:
        _kept[key] = value
        while len(_kept) > KEPT:
            _kept.popitem(last=False)
    return value
