"""/api/v1 boards and memberships (DESIGN §5): the same services as the board screens.

Everyone in scope reads boards and their members; managers establish boards, seat members, correct a seat, end it
(PATCH ends_on) or change its role (PATCH role: the seat ends the day before `changed_on` and a new seat starts).
"""

from flask import url_for
from flask_babel import gettext as _
from flask_login import current_user

from tracker.api.bodies import Body
from tracker.api.helpers import (
    body_unit,
    get_or_404,
    json_object,
    listed_units,
    page_of,
    paging,
    query_choice,
    query_int,
)
from tracker.api.schemas import iso
from tracker.api.views import bp
from tracker.auth.access import EVERYONE, MANAGERS, allow, check_manage, check_scope
from tracker.auth.models import User
from tracker.boards import services
from tracker.boards.models import Board, BoardKind, Membership
from tracker.db import local_today
from tracker.documents.models import Document
from tracker.errors import ValidationError, check_version
from tracker.extensions import db

BOARD_FIELDS = ("unit_id", "name", "kind", "target_size", "established_by_document_id", "parent_board_id")
BOARD_READ_ONLY = ("id", "current_members", "version", "created_at", "updated_at")
DETAILS = ("person_name", "position", "phone", "email", "user_id", "appointed_by_document_id", "starts_on")
MEMBER_FIELDS = (*DETAILS, "role", "ends_on")
MEMBER_READ_ONLY = ("id", "board_id", "warnings", "created_at", "updated_at")


def _required() -> dict[str, str]:
    return {
        "unit_id": _("Hãy chọn đơn vị của Ban (unit_id)."),
        "name": _("Hãy nhập tên Ban."),
        "person_name": _("Hãy nhập họ và tên thành viên."),
        "role": _("Hãy chọn vai trò trong Ban (role)."),
        "version": _("Hãy gửi kèm phiên bản (version) của thành viên đã đọc, để không ghi đè thay đổi của người khác."),
    }


def board_json(board: Board, current: int) -> dict:
    return {
        "id": board.id,
        "unit_id": board.unit_id,
        "kind": board.kind.value,
        "name": board.name,
        "established_by_document_id": board.established_by_document_id,
        "target_size": board.target_size,
        "parent_board_id": board.parent_board_id,
        "current_members": current,
        "version": board.version,
        "created_at": iso(board.created_at),
        "updated_at": iso(board.updated_at),
    }


def membership_json(membership: Membership) -> dict:
    return {
        "id": membership.id,
        "board_id": membership.board_id,
        "person_name": membership.person_name,
        "position": membership.position,
        "role": membership.role.value,
        "phone": membership.phone,
        "email": membership.email,
        "user_id": membership.user_id,
        "starts_on": iso(membership.starts_on),
        "ends_on": iso(membership.ends_on),
        "appointed_by_document_id": membership.appointed_by_document_id,
        "version": membership.version,
        "created_at": iso(membership.created_at),
        "updated_at": iso(membership.updated_at),
    }


def _board_detail(board: Board) -> dict:
    return board_json(board, services.current_counts([board.id], local_today()).get(board.id, 0))


def load_board(board_id: int) -> Board:
    board = get_or_404(Board, board_id, _("Không có Ban nào có id %(id)d.", id=board_id))
    check_scope(board.unit_id)
    return board


def _document(body: Body, name: str, current: Document | None = None) -> Document | None:
    return body.row(name, Document, _("Không có văn bản nào có id %(id)s trong phạm vi của bạn."), current)


# --- boards ------------------------------------------------------------------------------------------------


@bp.get("/boards")
@allow(EVERYONE)
def list_boards():
    errors: dict[str, str] = {}
    unit_id = query_int("unit_id", errors)
    kind = query_choice("kind", [k.value for k in BoardKind], errors)
    page, per_page = paging(errors)
    if errors:
        raise ValidationError(errors)
    listing = page_of(services.search(listed_units(unit_id), kind), page, per_page, lambda board: board)
    counts = services.current_counts([b.id for b in listing["items"]], local_today())
    listing["items"] = [board_json(b, counts.get(b.id, 0)) for b in listing["items"]]
    return listing


@bp.post("/boards")
@allow(MANAGERS)
def create_board():
    body = Body(json_object(), BOARD_FIELDS, BOARD_READ_ONLY)
    need = _required()
    unit = body_unit(body, need["unit_id"])
    fields = services.BoardFields(
        name=body.text("name", need["name"]) or "",
        kind=body.choice("kind", BoardKind, default=BoardKind.STEERING_BOARD.value),
        target_size=body.integer("target_size"),
        established_by=_document(body, "established_by_document_id"),
        parent_board=body.row("parent_board_id", Board, _("Không có Ban nào có id %(id)s trong phạm vi của bạn.")),
    )
    body.check()
    board = services.create_board(unit, fields)
    db.session.commit()
    return _board_detail(board), 201, {"Location": url_for("api.get_board", board_id=board.id)}


@bp.get("/boards/<int:board_id>")
@allow(EVERYONE)
def get_board(board_id: int):
    return _board_detail(load_board(board_id))


# --- members -----------------------------------------------------------------------------------------------


@bp.get("/boards/<int:board_id>/members")
@allow(EVERYONE)
def list_members(board_id: int):
    board = load_board(board_id)
    errors: dict[str, str] = {}
    status = query_choice("status", services.STATUSES, errors, normalise=str.lower) or "current"
    page, per_page = paging(errors)
    if errors:
        raise ValidationError(errors)
    seats = services.members(board, status, local_today())  # a board's seats: tens, sorted by role rank and name
    start = (page - 1) * per_page
    items = [membership_json(m) for m in seats[start : start + per_page]]
    return {"items": items, "total": len(seats), "page": page, "per_page": per_page}


def _user(body: Body, membership: Membership | None) -> User | None:
    current = db.session.get(User, membership.user_id) if membership and membership.user_id else None
    return body.row("user_id", User, _("Không có tài khoản nào có id %(id)s trong phạm vi của bạn."), current)


def _text(body: Body, name: str, membership: Membership | None) -> str:
    return body.text(name, default=getattr(membership, name) if membership is not None else "") or ""


def _details(body: Body, membership: Membership | None, role: str) -> services.MemberFields:
    """The seat's fields from the body; fields left out keep the seat's values (or are empty for a new seat)."""
    need = _required()
    return services.MemberFields(
        person_name=body.text("person_name", need["person_name"], default=membership and membership.person_name) or "",
        role=role,
        starts_on=body.date("starts_on", default=membership.starts_on if membership else None),
        position=_text(body, "position", membership),
        phone=_text(body, "phone", membership),
        email=_text(body, "email", membership),
        user=_user(body, membership),
        appointed_by=_document(body, "appointed_by_document_id", membership.appointed_by if membership else None),
        ends_on=membership.ends_on if membership else body.date("ends_on"),
    )


@bp.post("/boards/<int:board_id>/members")
@allow(MANAGERS)
def create_member(board_id: int):
    board = load_board(board_id)
    check_manage(board.unit_id)
    body = Body(json_object(), MEMBER_FIELDS, MEMBER_READ_ONLY + ("version",))
    role = body.text("role", _required()["role"]) or ""
    fields = _details(body, None, role)
    body.check()
    saved = services.add_member(board, fields, actor=current_user)
    db.session.commit()
    return membership_json(saved.row) | {"warnings": saved.warnings}, 201


@bp.patch("/members/<int:membership_id>")
@allow(MANAGERS)
def update_member(membership_id: int):
    membership = get_or_404(Membership, membership_id, _("Không có thành viên nào có id %(id)d.", id=membership_id))
    check_manage(membership.unit_id)
    body = Body(json_object(), (*MEMBER_FIELDS, "changed_on", "version"), MEMBER_READ_ONLY)
    version = body.integer("version", _required()["version"])
    role = body.text("role", default=membership.role.value) or ""
    new_role = role != membership.role
    # With a role change the decision named is the new seat's; the person's other details carry over.
    decision = _document(body, "appointed_by_document_id") if new_role else None
    if new_role:
        body.data.pop("appointed_by_document_id", None)
    fields = _details(body, membership, membership.role.value)
    changed_on = body.date("changed_on", default=local_today())
    ending = "ends_on" in body.data
    ends_on = body.date("ends_on")
    if new_role and ending:
        body.errors["ends_on"] = _("Không đổi vai trò và cho thôi tham gia trong cùng một lần gửi.")
    body.check()
    seat, warnings = membership, []
    if any(name in body.data for name in DETAILS):
        warnings = services.update_member(membership, fields, expected_version=version, actor=current_user).warnings
        version = None  # checked once, on the first write
    if ending:
        services.end_membership(membership, ends_on, expected_version=version)
    elif new_role:
        saved = services.change_role(
            membership, role, changed_on, appointed_by=decision, expected_version=version, actor=current_user
        )
        seat, warnings = saved.row, warnings + saved.warnings
    elif version is not None:
        check_version(membership, version)
    db.session.commit()
    return membership_json(seat) | {"warnings": warnings}
