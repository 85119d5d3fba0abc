"""Live-linked tasks (DESIGN §2.5): values read from the registries with a few grouped queries, and the
system updates that keep their history true.

A registry change that moves a value records a system TaskUpdate in the same transaction (one session
hook, like the audit); check-in-based values are recorded by `flask --app tracker tasks snapshot`.
"""

from collections import defaultdict
from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy import and_, event, func, or_, select
from sqlalchemy.orm import Session

from tracker.boards.models import Membership, current_members_clause
from tracker.db import LOCAL, local_today, utcnow
from tracker.extensions import db
from tracker.programs.models import Lifecycle, Program, Task, TaskSource, TaskUpdate
from tracker.programs.rules import has_ended
from tracker.public_services.models import PublicService
from tracker.public_services.services import FULL_ONLINE, PARTIAL_ONLINE
from tracker.sites.models import Site, SiteStatus
from tracker.sites.queries import recently_active
from tracker.units.services import UnitGraph, unit_graph

SITE_SOURCES = {TaskSource.SITES_REGISTERED, TaskSource.SITES_ACTIVE, TaskSource.POSTERS_PRINTED}
SERVICE_SOURCES = {TaskSource.SERVICES_ONLINE, TaskSource.SERVICES_FULL_ONLINE}
# Sources a registry write moves at once; sites_active moves with check-ins and is snapshotted daily.
REGISTRY_SOURCES = {TaskSource.SITES_REGISTERED, TaskSource.POSTERS_PRINTED, TaskSource.BOARD_MEMBERS} | SERVICE_SOURCES
SYSTEM_NOTE = "Cập nhật tự động từ sổ đăng ký"


def is_live(task: Task) -> bool:
    return task.source != TaskSource.MANUAL


def tasks_fed_by_board(board_id: int) -> list[Task]:
    """The tasks whose value is this board's current member count (its page links them)."""
    return db.session.scalars(
        select(Task).where(Task.source == TaskSource.BOARD_MEMBERS, Task.source_board_id == board_id).order_by(Task.id)
    ).all()


def live_values(
    tasks, program_units: dict[int, int], today: date, graph: UnitGraph | None = None
) -> dict[int, Decimal]:
    """{task id: current value} for the live-linked tasks among `tasks`, in at most four grouped queries.

    `program_units` maps program id → unit id. The sites and services of a program's unit subtree count.
    """
    live = [t for t in tasks if t.source != TaskSource.MANUAL]
    if not live:
        return {}
    sources = {t.source for t in live}
    graph = graph or unit_graph()
    subtrees: dict[int, set[int]] = {}
    for task in live:
        unit_id = program_units[task.program_id]
        if unit_id not in subtrees:
            subtrees[unit_id] = graph.subtree(unit_id)
    # Only the registries under these programs: a commune's page never scans the whole province's sites.
    units = set().union(*subtrees.values())
    per_unit: dict[tuple, int] = defaultdict(int)  # (source, unit id, site kind or None) → count

    if sources & SITE_SOURCES:
        rows = db.session.execute(
            select(Site.unit_id, Site.kind, func.count(Site.id), func.count(Site.poster_printed_at))
            .where(Site.status == SiteStatus.ACTIVE, Site.unit_id.in_(units))
            .group_by(Site.unit_id, Site.kind)
        )
        for unit_id, kind, registered, printed in rows:
            per_unit[(TaskSource.SITES_REGISTERED, unit_id, kind)] += registered
            per_unit[(TaskSource.POSTERS_PRINTED, unit_id, kind)] += printed
    if TaskSource.SITES_ACTIVE in sources:
        recent = recently_active(today)
        rows = db.session.execute(
            select(Site.unit_id, Site.kind, func.count(Site.id))
            .where(Site.status == SiteStatus.ACTIVE, Site.unit_id.in_(units), recent)
            .group_by(Site.unit_id, Site.kind)
        )
        for unit_id, kind, count in rows:
            per_unit[(TaskSource.SITES_ACTIVE, unit_id, kind)] += count
    if sources & SERVICE_SOURCES:
        rows = db.session.execute(
            select(PublicService.unit_id, PublicService.level, func.count(PublicService.id))
            .where(PublicService.level >= PARTIAL_ONLINE, PublicService.unit_id.in_(units))
            .group_by(PublicService.unit_id, PublicService.level)
        )
        for unit_id, level, count in rows:
            per_unit[(TaskSource.SERVICES_ONLINE, unit_id, None)] += count
            if level >= FULL_ONLINE:
                per_unit[(TaskSource.SERVICES_FULL_ONLINE, unit_id, None)] += count
    members: dict[int, int] = {}
    boards = {t.source_board_id for t in live if t.source == TaskSource.BOARD_MEMBERS and t.source_board_id}
    if boards:
        members = dict(
            db.session.execute(
                select(Membership.board_id, func.count(Membership.id))
                .where(Membership.board_id.in_(boards), current_members_clause(today))
                .group_by(Membership.board_id)
            ).all()
        )

    by_source_unit: dict[tuple, dict] = defaultdict(lambda: defaultdict(int))
    for (source, unit_id, kind), count in per_unit.items():
        by_source_unit[source][unit_id] += count
        if kind is not None:
            by_source_unit[(source, kind)][unit_id] += count

    values = {}
    for task in live:
        if task.source == TaskSource.BOARD_MEMBERS:
            values[task.id] = Decimal(members.get(task.source_board_id, 0))
            continue
        unit_id = program_units[task.program_id]
        key = (task.source, task.source_site_kind) if task.source_site_kind else task.source
        counts = by_source_unit.get(key, {})
        values[task.id] = Decimal(sum(counts.get(u, 0) for u in subtrees[unit_id]))
    return values


def record_changes(tasks, today: date | None = None, note: str = SYSTEM_NOTE, at: datetime | None = None) -> int:
    """Add a system TaskUpdate for each live task whose registry value differs from its last recorded one.

    A program past its end (DESIGN §2.3) keeps its final figures: its tasks take no update dated after its last day,
    so a merger that moves its unit's sites away, or a later snapshot, never rewrites its history.
    """
    tasks = [t for t in tasks if is_live(t) and t.lifecycle == Lifecycle.ACTIVE]
    if not tasks:
        return 0
    today = today or local_today()
    recorded_on = (at if at.tzinfo else at.replace(tzinfo=UTC)).astimezone(LOCAL).date() if at else today
    programs = db.session.execute(
        select(Program.id, Program.unit_id, Program.ends_on).where(Program.id.in_({t.program_id for t in tasks}))
    ).all()
    program_units = {pid: unit_id for pid, unit_id, ends_on in programs if not has_ended(ends_on, recorded_on)}
    tasks = [t for t in tasks if t.program_id in program_units]
    if not tasks:
        return 0
    values = live_values(tasks, program_units, today)
    last = _last_values([t.id for t in tasks])
    added = 0
    for task in tasks:
        value = values.get(task.id)
        if value is not None and last.get(task.id) != value:
            db.session.add(TaskUpdate(task_id=task.id, value=value, note=note, user_id=None, at=at or utcnow()))
            added += 1
    return added


def _last_values(task_ids) -> dict[int, Decimal]:
    latest = (
        select(TaskUpdate.task_id, func.max(TaskUpdate.id).label("last_id"))
        .where(TaskUpdate.task_id.in_(task_ids))
        .group_by(TaskUpdate.task_id)
        .subquery()
    )
    rows = db.session.execute(
        select(TaskUpdate.task_id, TaskUpdate.value).join(latest, TaskUpdate.id == latest.c.last_id)
    ).all()
    return dict(rows)


def snapshot(today: date | None = None) -> int:
    """Record today's value of every live-linked task that moved (run daily: check-in counts move silently)."""
    tasks = db.session.scalars(
        select(Task).where(Task.source != TaskSource.MANUAL, Task.lifecycle == Lifecycle.ACTIVE)
    ).all()
    return record_changes(tasks, today, note="Ghi nhận định kỳ từ sổ đăng ký")


# --- the session hook --------------------------------------------------------------------------------


def _id_of(obj, fk: str, relation: str) -> int | None:
    """A foreign key before flush may only be set through its relationship."""
    value = getattr(obj, fk)
    if value is None and getattr(obj, relation) is not None:
        value = getattr(obj, relation).id
    return value


def _touched(obj) -> tuple[set[int], set[int]] | None:
    if isinstance(obj, (Site, PublicService)):
        return {_id_of(obj, "unit_id", "unit")}, set()
    if isinstance(obj, Membership):
        return set(), {_id_of(obj, "board_id", "board")}
    return None


@event.listens_for(Session, "before_flush")
def _collect_registry_changes(session, flush_context, instances):
    for obj in (*session.new, *session.dirty, *session.deleted):
        touched = _touched(obj)
        if touched and (obj in session.new or obj in session.deleted or session.is_modified(obj)):
            units, boards = touched
            session.info.setdefault("live_units", set()).update(u for u in units if u is not None)
            session.info.setdefault("live_boards", set()).update(b for b in boards if b is not None)


@event.listens_for(Session, "before_commit")
def _record_registry_changes(session):
    session.flush()  # pending registry rows reach before_flush, which notes what they touch
    if not (session.info.get("live_units") or session.info.get("live_boards")):
        return
    units = session.info.pop("live_units", set())
    boards = session.info.pop("live_boards", set())
    from tracker.units.services import ancestor_ids

    program_units = set()
    for unit_id in units:
        program_units |= ancestor_ids(unit_id)
    conditions = []
    if program_units:
        conditions.append(
            and_(
                Task.source.in_(REGISTRY_SOURCES - {TaskSource.BOARD_MEMBERS}),
                Task.program_id.in_(select(Program.id).where(Program.unit_id.in_(program_units))),
            )
        )
    if boards:
        conditions.append(and_(Task.source == TaskSource.BOARD_MEMBERS, Task.source_board_id.in_(boards)))
    tasks = session.scalars(select(Task).where(or_(*conditions), Task.lifecycle == Lifecycle.ACTIVE)).all()
    if record_changes(tasks):
        session.flush()


@event.listens_for(Session, "after_rollback")
def _forget(session):
    session.info.pop("live_units", None)
    session.info.pop("live_boards", None)
