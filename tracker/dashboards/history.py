"""The registry panels as of a past day: what a period report counts at its cut-off (DESIGN §9, "registries counted
for that day where history allows"). tracker.dashboards.queries hands a past `as_of` here; today's panels read the
counters the registries keep and never come here.

What history allows, and what it does not:

- **The day** ends at midnight in Vietnam: "on or before D" is before 00:00 of the next day, Asia/Ho_Chi_Minh.
- **A field's value on D.** Every change made through the application to a site, a procedure or a board is in the
  audit trail (tracker.audit: one row per update, `{field: [old, new]}`, written in the change's own transaction;
  nothing deletes these rows, nor sites, procedures or boards). A field's value on D is the old value of its first
  change after D, or today's value when it has not changed since. That gives a site's unit (a merge moves the
  living sites to the successor: on D they were the merged unit's), its status (retired or not), its kind and its
  poster stamp, a procedure's level and a board's target size. Rows written around the application (bulk SQL, as
  the benchmark's generator does, or a restore) have no audit rows: their values are taken as they stand today.
  The audit dates a change when it was entered: a merge entered after its effective date moves the sites on the
  day it was entered.
- **QR points.** A site counts when it was registered on or before D (its `created_at`: sites are born in this
  registry) and was not retired on D. Printed: the poster stamp it held on D was set by then (a later reprint or a
  rotated code does not undo a poster printed before D). Active: a check-in in the 30 days up to D (the check-ins
  table; purging forgets phones and devices, never the rows). Sites registered and retired again before D, or never
  active, count as today's rules say for D.
- **Online services.** A procedure counts when it was entered on or before D, or when the dates it carries say it
  was offered by then (online since D or earlier, or records of a period ended by D): a catalogue is often typed
  in after the fact. Its level is the one it held on D; it counts as online (một phần, toàn trình) only if its
  `online_since` is not after D (a procedure online with no known date counts as online). Records: the periods
  that ended on or before D, with their figures as they stand now (a correction is the truth about that period).
- **Board staffing.** A board counts when it was entered on or before D, or a member held a seat on D (seat dates
  are facts about the world, typed in when they are learnt). Its members are those whose seat covers D
  (`current_members_clause(D)`), with the seat dates as they stand now; its target size is the one it held on D.
  A board of a unit that had ended before D with no seat left on D is history, as on today's dashboard.
- **Not known**: a procedure's or a board's unit other than its present one (neither moves: only sites follow a
  merge), and the values of rows written around the audit trail.

Each panel is a fixed number of statements whatever the number of sites, check-ins, procedures or members.
"""

from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Text, case, cast, exists, func, or_, select

from tracker.audit import AuditEvent
from tracker.boards.models import Board, BoardKind, Membership, current_members_clause
from tracker.dashboards.panels import BoardRow, BoardsPanel, QrPanel, ServicesPanel, SiteCounts, services_panel
from tracker.db import LOCAL
from tracker.extensions import db
from tracker.public_services.models import PublicService, ServicePeriod
from tracker.public_services.services import LevelCounts, counts_online
from tracker.sites.models import CheckIn, Site, SiteKind, SiteStatus
from tracker.sites.queries import ACTIVE_WINDOW_DAYS, window_start
from tracker.units.models import Unit

SITE_FIELDS = ("unit_id", "status", "kind", "poster_printed_at")


def end_of(day: date) -> datetime:
    """The first moment after `day` in Vietnam, in UTC: what happened "on or before" the day happened before it."""
    return datetime.combine(day + timedelta(days=1), time.min, LOCAL).astimezone(UTC)


def _mentions(fields: Iterable[str]):
    """An audit row whose changes name one of these fields (checked exactly in Python: this only narrows)."""
    return or_(*(cast(AuditEvent.changes, Text).like(f'%"{name}"%') for name in fields))


def _changed_after(entity: str, moment: datetime, fields: Iterable[str]):
    """The condition on audit rows: updates of `entity` after `moment` that name one of `fields`."""
    return (
        (AuditEvent.entity == entity)
        & (AuditEvent.action == "update")
        & (AuditEvent.at >= moment)
        & AuditEvent.entity_id.is_not(None)
        & _mentions(fields)
    )


def _held(rows: Iterable[tuple[int, dict]], fields: Iterable[str]) -> dict[int, dict[str, Any]]:
    """{row id: {field: its value before its first change}} from audit rows in the order they were written."""
    held: dict[int, dict[str, Any]] = {}
    for entity_id, changes in rows:
        for name in fields:
            if isinstance(changes, dict) and name in changes:
                held.setdefault(entity_id, {}).setdefault(name, changes[name][0])
    return held


def _moment(value: Any) -> datetime | None:
    """A stamp as the audit keeps it (ISO text), or as the row holds it."""
    if value is None or isinstance(value, datetime):
        return value
    parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


# --- QR points ------------------------------------------------------------------------------------------------


def qr_points(unit_ids: set[int], day: date) -> QrPanel:
    """The QR points of these units as of the end of `day` (see the module's docstring): three statements.

    Sites with no audited change since the day are counted in one grouped query as they stand; the others (changed
    since: moved by a merge, retired or brought back, reprinted, another kind) one by one from their audit rows."""
    moment = end_of(day)
    checked = exists().where(
        CheckIn.site_id == Site.id, CheckIn.at >= window_start(day, ACTIVE_WINDOW_DAYS), CheckIn.at < moment
    )
    changed = select(AuditEvent.entity_id).where(_changed_after("sites", moment, SITE_FIELDS))
    by_kind: dict[SiteKind, SiteCounts] = {}
    for kind, registered, printed, active in db.session.execute(
        select(
            Site.kind,
            func.count(Site.id),
            func.count(case((Site.poster_printed_at < moment, 1))),
            func.count(case((checked, 1))),
        )
        .where(
            Site.unit_id.in_(unit_ids),
            Site.created_at < moment,
            Site.status == SiteStatus.ACTIVE,
            Site.id.not_in(changed),
        )
        .group_by(Site.kind)
    ):
        by_kind[SiteKind(kind)] = SiteCounts(registered, printed, active)

    # The sites changed since: those here now, and those a change of unit took elsewhere.
    moved = select(AuditEvent.entity_id).where(_changed_after("sites", moment, ("unit_id",)))
    events = (
        select(AuditEvent.entity_id, AuditEvent.changes)
        .where(
            _changed_after("sites", moment, SITE_FIELDS),
            or_(
                AuditEvent.entity_id.in_(select(Site.id).where(Site.unit_id.in_(unit_ids))),
                AuditEvent.entity_id.in_(moved),
            ),
        )
        .order_by(AuditEvent.at, AuditEvent.id)
    )
    held = _held(db.session.execute(events).all(), SITE_FIELDS)
    if held:
        for site in db.session.execute(
            select(
                Site.id,
                Site.unit_id,
                Site.kind,
                Site.status,
                Site.poster_printed_at,
                Site.created_at,
                checked.label("checked"),
            ).where(Site.id.in_(events.with_only_columns(AuditEvent.entity_id).order_by(None)))
        ):
            then = held.get(site.id, {})
            if then.get("unit_id", site.unit_id) not in unit_ids or site.created_at >= moment:
                continue
            if SiteStatus(then.get("status", site.status)) != SiteStatus.ACTIVE:
                continue
            stamp = _moment(then["poster_printed_at"]) if "poster_printed_at" in then else site.poster_printed_at
            counts = by_kind.setdefault(SiteKind(then.get("kind", site.kind)), SiteCounts())
            counts.add(SiteCounts(1, int(stamp is not None and stamp < moment), int(bool(site.checked))))
    return QrPanel.of(by_kind)


# --- online services ------------------------------------------------------------------------------------------


def online_services(unit_ids: set[int], day: date) -> ServicesPanel:
    """The procedures of these units as of the end of `day` (see the module's docstring): three statements."""
    moment = end_of(day)
    in_units = select(PublicService.id).where(PublicService.unit_id.in_(unit_ids))
    held = _held(
        db.session.execute(
            select(AuditEvent.entity_id, AuditEvent.changes)
            .where(_changed_after("public_services", moment, ("level",)), AuditEvent.entity_id.in_(in_units))
            .order_by(AuditEvent.at, AuditEvent.id)
        ).all(),
        ("level",),
    )
    ended = exists().where(ServicePeriod.service_id == PublicService.id, ServicePeriod.period_end <= day)
    counts = LevelCounts()
    for service_id, level, since, created_at, has_records in db.session.execute(
        select(
            PublicService.id, PublicService.level, PublicService.online_since, PublicService.created_at, ended
        ).where(PublicService.unit_id.in_(unit_ids))
    ):
        if created_at >= moment and not has_records and (since is None or since > day):
            continue  # not in the catalogue yet, and nothing it carries says it was offered by then
        level = held.get(service_id, {}).get("level", level)
        if counts_online(level) and (since is None or since <= day):
            counts.add(level)
        else:
            counts.offline += 1
    total, online, first, last = db.session.execute(
        select(
            func.sum(ServicePeriod.records_total),
            func.sum(ServicePeriod.records_online),
            func.min(ServicePeriod.period_start),
            func.max(ServicePeriod.period_end),
        )
        .join(PublicService, PublicService.id == ServicePeriod.service_id)
        .where(PublicService.unit_id.in_(unit_ids), ServicePeriod.period_end <= day)
    ).one()
    return services_panel(counts, total, online, first, last)


# --- board staffing -------------------------------------------------------------------------------------------


def board_staffing(unit_ids: set[int], day: date) -> BoardsPanel:
    """The boards of these units as of `day` (see the module's docstring): two statements."""
    moment = end_of(day)
    held = _held(
        db.session.execute(
            select(AuditEvent.entity_id, AuditEvent.changes)
            .where(
                _changed_after("boards", moment, ("target_size",)),
                AuditEvent.entity_id.in_(select(Board.id).where(Board.unit_id.in_(unit_ids))),
            )
            .order_by(AuditEvent.at, AuditEvent.id)
        ).all(),
        ("target_size",),
    )
    current = func.count(Membership.id)
    rows = db.session.execute(
        select(
            Board.id,
            Board.name,
            Board.kind,
            Unit.name,
            Board.target_size,
            current,
            Board.unit_id,
            Board.created_at,
            Unit.valid_to,
        )  # fmt: skip
        .join(Unit, Unit.id == Board.unit_id)
        .outerjoin(Membership, (Membership.board_id == Board.id) & current_members_clause(day))
        .where(Board.unit_id.in_(unit_ids))
        .group_by(
            Board.id,
            Board.name,
            Board.kind,
            Unit.name,
            Board.target_size,
            Board.unit_id,
            Board.created_at,
            Unit.valid_to,
        )  # fmt: skip
    ).all()
    boards = []
    for board_id, name, kind, unit_name, target, seated, unit_id, created_at, valid_to in rows:
        standing = created_at < moment and (valid_to is None or valid_to >= day)
        if seated or standing:
            target = held.get(board_id, {}).get("target_size", target)
            boards.append(BoardRow(board_id, name, BoardKind(kind), unit_name, target, seated, unit_id))
    return BoardsPanel.of(boards)
