"""Boards (Ban chỉ đạo, Tổ giúp việc) and their memberships: every write and its rules, and the roster reads.
Callers commit.

People leave a board by an end date, never by deletion; a change of role ends one seat the day before and opens
another, so who held which role, when, stays true. Over any period a board has at most one head (Trưởng ban or
Tổ trưởng); a partial unique index on open head seats backs the check up against two simultaneous saves.
A membership is current when starts_on ≤ today and (no end, or ends_on ≥ today): boards.models.current_members_clause,
the same one the live-linked "board members" tasks and the dashboard count with.

Over 400 lines on purpose: a board and its seats are one set of rules (the head rule reads the board's kind and its
seats' dates; a unit that ended closes its boards and their seats alike; a seat's role must be one of its board's
kind), which every caller (form, import, API, merge) meets through this one module, as each area's services.py.
"""

import re
from dataclasses import dataclass, replace
from datetime import date, timedelta
from itertools import groupby

from flask_babel import gettext as _
from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from tracker.auth.access import in_scope
from tracker.auth.models import User
from tracker.boards.models import HEAD_ROLES, Board, BoardKind, MemberRole, Membership, current_members_clause
from tracker.db import Saved, local_today
from tracker.documents.models import Document
from tracker.errors import ValidationError, check_version, flush_versioned
from tracker.extensions import db
from tracker.formatting import vn_date
from tracker.text import clean, fold
from tracker.units.models import Unit
from tracker.units.services import subtree_select

MAX_TARGET_SIZE = 500
LENGTHS = {"name": 300, "person_name": 200, "position": 300, "phone": 40, "email": 200}
BOARD_ROLES = (
    MemberRole.HEAD,
    MemberRole.STANDING_DEPUTY,
    MemberRole.DEPUTY,
    MemberRole.STANDING_MEMBER,
    MemberRole.MEMBER,
)
GROUP_ROLES = (MemberRole.GROUP_LEADER, MemberRole.GROUP_DEPUTY, MemberRole.GROUP_MEMBER)
RANK = {role: rank for rank, role in enumerate(MemberRole)}  # Trưởng ban first, as a decision lists them
STATUSES = ("current", "upcoming", "past", "all")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def roles_for(kind: BoardKind | str) -> tuple[MemberRole, ...]:
    """The roles a board of this kind gives: a working group's are Tổ trưởng, Tổ phó, Tổ viên."""
    kind = BoardKind(kind)
    if kind == BoardKind.WORKING_GROUP:
        return GROUP_ROLES
    if kind == BoardKind.STEERING_BOARD:
        return BOARD_ROLES
    return BOARD_ROLES + GROUP_ROLES


def _of_unit(unit_id: int, document: Document) -> bool:
    """True when the document belongs to the unit, a unit under it or one merged into it (as find_document finds)."""
    tree = subtree_select(unit_id).subquery()
    return db.session.scalar(select(tree.c.id).where(tree.c.id == document.unit_id)) is not None


def _length_errors(values: dict[str, str]) -> dict[str, str]:
    return {
        name: _("Dài tối đa %(n)d ký tự.", n=LENGTHS[name])
        for name, value in values.items()
        if len(value) > LENGTHS[name]
    }


# --- boards ------------------------------------------------------------------------------------------------


@dataclass
class BoardFields:
    """What a board form or API body sets; the service checks it as a whole."""

    name: str
    kind: str = BoardKind.STEERING_BOARD
    target_size: int | None = None
    established_by: Document | None = None
    parent_board: Board | None = None


def _closed_unit(unit: Unit) -> dict[str, str]:
    """{"unit_id": message} when the unit is no longer current (merged into another, or past its valid_to): a new
    board belongs to its successor; else {}. Its existing boards stay readable and correctable (see _closed_board)."""
    if unit.merged_into_id is not None:
        message = _(
            "%(unit)s đã sáp nhập vào %(successor)s: không thành lập Ban mới cho đơn vị này. Hãy chọn đơn vị "
            "%(successor)s.",
            unit=unit.name,
            successor=unit.merged_into.name,
        )
    elif unit.valid_to is not None and unit.valid_to < local_today():
        message = _(
            "%(unit)s đã hết hiệu lực từ sau ngày %(day)s: không thành lập Ban mới cho đơn vị này.",
            unit=unit.name,
            day=vn_date(unit.valid_to),
        )
    else:
        return {}
    return {"unit_id": message}


def _check_board(unit: Unit, fields: BoardFields, board: Board | None) -> BoardFields:
    """The cleaned fields, or a ValidationError naming each bad one; a new board (`board` None) needs a current unit."""
    name = clean(fields.name)
    errors = _closed_unit(unit) if board is None else {}
    errors |= _length_errors({"name": name})
    if not name:
        errors["name"] = _("Hãy nhập tên Ban, ví dụ: Ban chỉ đạo chuyển đổi số phường Bãi Bông.")
    try:
        kind = BoardKind(fields.kind)
    except ValueError:
        errors["kind"] = _("Loại Ban “%(v)s” không có trong danh mục.", v=fields.kind)
        kind = None
    size = fields.target_size
    if size is not None and not 0 < size <= MAX_TARGET_SIZE:
        errors["target_size"] = _("Số thành viên theo kế hoạch là số nguyên dương, tối đa %(n)d.", n=MAX_TARGET_SIZE)
    parent = fields.parent_board
    if parent is not None and kind is not None:
        if kind != BoardKind.WORKING_GROUP:
            errors["parent_board_id"] = _("Chỉ Tổ giúp việc mới trực thuộc một Ban chỉ đạo.")
        elif parent is board or parent.kind != BoardKind.STEERING_BOARD or parent.unit_id != unit.id:
            errors["parent_board_id"] = _("Tổ giúp việc phải trực thuộc một Ban chỉ đạo của cùng đơn vị.")
    document = fields.established_by
    if document is not None and not _of_unit(unit.id, document):
        errors["established_by_document_id"] = _(
            "Văn bản thành lập phải là văn bản của %(unit)s hoặc đơn vị trực thuộc.", unit=unit.name
        )
    if board is not None and kind is not None and kind != board.kind:
        errors.update(_kind_change_errors(board, kind))
    if errors:
        raise ValidationError(errors)
    return replace(fields, name=name, kind=kind)


def _kind_change_errors(board: Board, kind: BoardKind) -> dict[str, str]:
    """A board keeps the kind its working groups and its members' roles need."""
    if board.kind == BoardKind.STEERING_BOARD:
        groups = db.session.scalar(select(func.count(Board.id)).where(Board.parent_board_id == board.id))
        if groups:
            return {"kind": _("Ban này có Tổ giúp việc trực thuộc: không đổi sang loại khác được.")}
    used = set(db.session.scalars(select(Membership.role).where(Membership.board_id == board.id).distinct()))
    if used - set(roles_for(kind)):
        return {"kind": _("Thành viên của Ban có vai trò không dùng cho loại Ban này: không đổi loại được.")}
    return {}


def create_board(unit: Unit, fields: BoardFields) -> Board:
    """Establish a board of a unit."""
    fields = _check_board(unit, fields, None)
    board = Board(unit=unit)
    _apply_board(board, fields)
    db.session.add(board)
    db.session.flush()
    return board


def update_board(board: Board, fields: BoardFields, *, expected_version: int | None) -> Board:
    """Edit a board opened at `expected_version` (StaleVersion when someone saved it since)."""
    check_version(board, expected_version)
    _apply_board(board, _check_board(board.unit, fields, board))
    flush_versioned()
    return board


def _apply_board(board: Board, fields: BoardFields) -> None:
    board.name = fields.name
    board.kind = fields.kind
    board.target_size = fields.target_size
    board.established_by = fields.established_by
    board.parent_board = fields.parent_board


def search(unit_ids=None, kind: str | None = None):
    """A SELECT of boards of these units (ids or a SELECT of ids; None: all), by name."""
    stmt = select(Board).options(selectinload(Board.unit), selectinload(Board.established_by))
    if unit_ids is not None:
        stmt = stmt.where(Board.unit_id.in_(unit_ids))
    if kind:
        stmt = stmt.where(Board.kind == kind)
    return stmt.order_by(Board.name, Board.id)


def current_counts(board_ids, today: date) -> dict[int, int]:
    """{board id: current members}, in one grouped query."""
    ids = list(board_ids)
    if not ids:
        return {}
    rows = db.session.execute(
        select(Membership.board_id, func.count(Membership.id))
        .where(Membership.board_id.in_(ids), current_members_clause(today))
        .group_by(Membership.board_id)
    )
    return dict(rows.all())


# --- memberships -------------------------------------------------------------------------------------------


@dataclass
class MemberFields:
    """What a member form, an API body or an import row sets on a seat."""

    person_name: str
    role: str
    starts_on: date | None
    position: str = ""
    phone: str = ""
    email: str = ""
    user: User | None = None
    appointed_by: Document | None = None
    ends_on: date | None = None


def head_conflict(board: Board, starts_on: date, ends_on: date | None, exclude_id: int | None = None):
    """Another head seat of the board whose period meets [starts_on, ends_on] (an open end reaches forever)."""
    if board.id is None:
        return None
    stmt = select(Membership).where(
        Membership.board_id == board.id,
        Membership.role.in_(HEAD_ROLES),
        or_(Membership.ends_on.is_(None), Membership.ends_on >= starts_on),
    )
    if ends_on is not None:
        stmt = stmt.where(Membership.starts_on <= ends_on)
    if exclude_id is not None:
        stmt = stmt.where(Membership.id != exclude_id)
    return db.session.scalars(stmt.order_by(Membership.starts_on).limit(1)).first()


def head_taken(board: Board, holder: Membership) -> str:
    """The message naming the head whose period a new head seat would overlap."""
    period = vn_date(holder.starts_on) + (f" – {vn_date(holder.ends_on)}" if holder.ends_on else "")
    return _(
        "%(board)s đã có %(role)s %(name)s (%(period)s): mỗi Ban chỉ có một người đứng đầu trong cùng thời gian. "
        "Hãy cho người này thôi giữ vai trò trước.",
        board=board.name,
        role=holder.role.label,
        name=holder.person_name,
        period=period,
    )


def _closed_board(board: Board) -> dict[str, str]:
    """{"board_id": message} when the board's unit is no longer current (merged into another, or past its valid_to):
    its boards are history, readable and correctable, but take no new seat; else {}."""
    unit = board.unit
    ended = unit.valid_to is not None and unit.valid_to < local_today()
    if unit.merged_into_id is None and not ended:
        return {}
    if unit.merged_into_id is not None:
        message = _(
            "%(board)s thuộc %(unit)s, đơn vị đã sáp nhập vào %(successor)s: Ban này là lịch sử, không thêm thành "
            "viên mới. Hãy thêm vào Ban của %(successor)s.",
            board=board.name,
            unit=unit.name,
            successor=unit.merged_into.name,
        )
    else:
        message = _(
            "%(board)s thuộc %(unit)s, đơn vị đã hết hiệu lực từ sau ngày %(day)s: Ban này là lịch sử, không thêm "
            "thành viên mới.",
            board=board.name,
            unit=unit.name,
            day=vn_date(unit.valid_to),
        )
    return {"board_id": message}


def check_member(
    board: Board,
    fields: MemberFields,
    *,
    actor: User | None = None,
    exclude_id: int | None = None,
    linked_user_id: int | None = None,
) -> tuple[MemberFields, list[str]]:
    """(cleaned fields, warnings), or a ValidationError naming each bad field. `exclude_id`: the seat being edited.

    A new seat (no `exclude_id`) needs a board whose unit is current: a dissolved ward's boards are history.
    A newly linked account (not `linked_user_id`, the one already linked) must be active, in the scope of `actor`
    (whoever links it) and have rights that reach the board's unit."""
    cleaned = replace(
        fields,
        person_name=clean(fields.person_name),
        position=clean(fields.position),
        phone=clean(fields.phone),
        email=clean(fields.email),
    )
    errors = _closed_board(board) if exclude_id is None else {}
    errors |= _length_errors({k: getattr(cleaned, k) for k in ("person_name", "position", "phone", "email")})
    if not cleaned.person_name:
        errors["person_name"] = _("Hãy nhập họ và tên thành viên.")
    if cleaned.email and "email" not in errors and not _EMAIL.match(cleaned.email):
        errors["email"] = _("Thư điện tử “%(v)s” không đúng dạng, ví dụ: nguyenvana@phoyen.gov.vn.", v=cleaned.email)
    allowed = roles_for(board.kind)
    if cleaned.role not in {r.value for r in allowed}:
        errors["role"] = _("Vai trò phải là một trong: %(roles)s.", roles=", ".join(str(r.label) for r in allowed))
    else:
        cleaned = replace(cleaned, role=MemberRole(cleaned.role))
    if cleaned.starts_on is None:
        errors["starts_on"] = _("Hãy nhập ngày bắt đầu tham gia.")
    elif cleaned.ends_on is not None and cleaned.ends_on < cleaned.starts_on:
        errors["ends_on"] = _(
            "Ngày kết thúc (%(end)s) không được trước ngày bắt đầu (%(start)s).",
            end=vn_date(cleaned.ends_on),
            start=vn_date(cleaned.starts_on),
        )
    user = cleaned.user
    if (
        user is not None
        and user.id != linked_user_id
        and not (user.is_active and in_scope(user, board.unit_id) and (actor is None or in_scope(actor, user.unit_id)))
    ):
        errors["user_id"] = _("Tài khoản liên kết phải đang hoạt động và thuộc phạm vi đơn vị của Ban.")
    document = cleaned.appointed_by
    if document is not None and document.unit_id != board.unit_id and not _of_unit(board.unit_id, document):
        errors["appointed_by_document_id"] = _(
            "Văn bản phân công phải là văn bản của %(unit)s hoặc đơn vị trực thuộc.", unit=board.unit.name
        )
    if "role" not in errors and "starts_on" not in errors and "ends_on" not in errors and cleaned.role in HEAD_ROLES:
        holder = head_conflict(board, cleaned.starts_on, cleaned.ends_on, exclude_id)
        if holder is not None:
            errors["role"] = head_taken(board, holder)
    if errors:
        raise ValidationError(errors)
    return cleaned, _warnings(board, cleaned)


def _warnings(board: Board, fields: MemberFields) -> list[str]:
    decision = board.established_by
    if decision is not None and decision.issued_on and fields.starts_on < decision.issued_on:
        return [
            _(
                "%(name)s bắt đầu ngày %(start)s, trước ngày ban hành văn bản thành lập Ban %(ref)s (%(issued)s). "
                "Đã lưu; hãy kiểm tra lại ngày.",
                name=fields.person_name,
                start=vn_date(fields.starts_on),
                ref=decision.reference,
                issued=vn_date(decision.issued_on),
            )
        ]
    return []


def _flush() -> None:
    """Flush; the index of open head seats refusing a second one (saved at the same moment) is a field error."""
    try:
        flush_versioned()
    except IntegrityError as exc:
        raise ValidationError(
            {"role": _("Ban vừa được người khác thêm người đứng đầu: hãy tải lại trang để xem danh sách mới.")}
        ) from exc


def add_member(board: Board, fields: MemberFields, *, actor: User | None = None) -> Saved:
    """Seat a person on a board; a live-linked "board members" task moves in the same transaction."""
    fields, warnings = check_member(board, fields, actor=actor)
    return _seat(board, fields, warnings)


def _seat(board: Board, fields: MemberFields, warnings: list[str]) -> Saved:
    membership = Membership(board=board)
    _apply_member(membership, fields)
    db.session.add(membership)
    _flush()
    return Saved(membership, warnings)


def _apply_member(membership: Membership, fields: MemberFields) -> None:
    membership.person_name = fields.person_name
    membership.position = fields.position
    membership.role = fields.role
    membership.phone = fields.phone
    membership.email = fields.email
    membership.user_id = fields.user.id if fields.user is not None else None
    membership.appointed_by = fields.appointed_by
    membership.starts_on = fields.starts_on
    membership.ends_on = fields.ends_on


def update_member(
    membership: Membership, fields: MemberFields, *, expected_version: int | None, actor: User | None = None
) -> Saved:
    """Correct a seat's details (name, position, contacts, account, decision, start). The role and the end stay:
    they change through change_role and end_membership, which keep the history."""
    check_version(membership, expected_version)
    fields = replace(fields, role=membership.role, ends_on=membership.ends_on)
    fields, warnings = check_member(
        membership.board, fields, actor=actor, exclude_id=membership.id, linked_user_id=membership.user_id
    )
    _apply_member(membership, fields)
    _flush()
    return Saved(membership, warnings)


def end_membership(membership: Membership, ends_on: date | None, *, expected_version: int | None) -> Membership:
    """The person leaves the board after `ends_on` (the last day on it); the row stays as history."""
    check_version(membership, expected_version)
    if ends_on is None:
        raise ValidationError({"ends_on": _("Hãy nhập ngày thôi tham gia Ban.")})
    fields = MemberFields(
        person_name=membership.person_name, role=membership.role, starts_on=membership.starts_on, ends_on=ends_on
    )
    check_member(membership.board, fields, exclude_id=membership.id)  # the dates, and a head's later successor
    membership.ends_on = ends_on
    _flush()
    return membership


def change_role(
    membership: Membership,
    role: str,
    changed_on: date | None,
    *,
    appointed_by: Document | None = None,
    expected_version: int | None,
    actor: User | None = None,
) -> Saved:
    """Give the person a new role from `changed_on`: their seat ends the day before, a new seat with the new role
    starts that day (same person, position, contacts, account; a planned end carries over). Returns the new seat."""
    check_version(membership, expected_version)
    errors = _closed_board(membership.board)  # the new role is a new seat
    if changed_on is None:
        errors["changed_on"] = _("Hãy nhập ngày bắt đầu giữ vai trò mới.")
    elif changed_on <= membership.starts_on:
        errors["changed_on"] = _(
            "Ngày đổi vai trò phải sau ngày bắt đầu của vai trò hiện tại (%(d)s).", d=vn_date(membership.starts_on)
        )
    elif membership.ends_on is not None and changed_on > membership.ends_on:
        errors["changed_on"] = _("Thành viên này đã thôi tham gia từ sau ngày %(d)s.", d=vn_date(membership.ends_on))
    if role == membership.role:
        errors["role"] = _("Vai trò mới trùng với vai trò hiện tại.")
    if errors:
        raise ValidationError(errors)
    seat = MemberFields(
        person_name=membership.person_name,
        role=role,
        starts_on=changed_on,
        position=membership.position,
        phone=membership.phone,
        email=membership.email,
        user=db.session.get(User, membership.user_id) if membership.user_id else None,
        appointed_by=appointed_by,
        ends_on=membership.ends_on,
    )
    seat, warnings = check_member(
        membership.board, seat, actor=actor, exclude_id=membership.id, linked_user_id=membership.user_id
    )
    membership.ends_on = changed_on - timedelta(days=1)
    _flush()  # the old head seat closes before the new one opens: the index sees one open head at a time
    return _seat(membership.board, seat, warnings)


# --- the roster --------------------------------------------------------------------------------------------


def _sort_key(membership: Membership) -> tuple:
    return RANK[membership.role], fold(membership.person_name), membership.id


def members(board: Board, status: str, today: date) -> list[Membership]:
    """A board's seats: current ones (by role rank, then name), upcoming (starting after today), past (ended before
    today, latest first) or all of them."""
    stmt = select(Membership).where(Membership.board_id == board.id).options(selectinload(Membership.appointed_by))
    if status == "current":
        stmt = stmt.where(current_members_clause(today))
    elif status == "upcoming":
        stmt = stmt.where(Membership.starts_on > today)
    elif status == "past":
        stmt = stmt.where(Membership.ends_on < today)
    rows = sorted(db.session.scalars(stmt), key=_sort_key)
    if status == "past":
        rows.sort(key=lambda m: m.ends_on, reverse=True)  # stable: same end day keeps role order
    return rows


@dataclass
class Roster:
    """A board's page: the current members grouped by role (Trưởng ban first), who is yet to start, who has left."""

    board: Board
    current: list[Membership]
    upcoming: list[Membership]
    past: list[Membership]

    @property
    def groups(self) -> list[tuple[MemberRole, list[Membership]]]:
        return [(role, list(seats)) for role, seats in groupby(self.current, key=lambda m: m.role)]

    @property
    def missing(self) -> int:
        """Seats still to fill against the target (0 when full or without a target)."""
        return max((self.board.target_size or 0) - len(self.current), 0)

    @property
    def share(self) -> float | None:
        return len(self.current) / self.board.target_size if self.board.target_size else None


def roster(board: Board, today: date) -> Roster:
    """Three queries (plus their documents and accounts), whatever the size of the board."""
    return Roster(board, *(members(board, status, today) for status in ("current", "upcoming", "past")))
