"""/api/v1 boards and memberships (DESIGN §5): the same services as the board screens.

Everyone in scope reads boards and their members; managers establish boards, seat members, correct a seat, end it
(PATCH ends_on) or change its role (PATCH role: the seat ends the day before `changed_on` and a new seat starts).
A seat written comes back with the warnings that did not block it (a start before the establishing decision).
"""

import marshmallow as ma
from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from tracker.api.contract import LOCATION, bp
from tracker.api.fields import Body, Choice, Day, Integer, RowRef, Text, UnitRef, echoes
from tracker.api.helpers import get_or_404, listed_units
from tracker.api.queries import Paged, QueryChoice, QueryInt, With, page, page_schema
from tracker.auth.access import EVERYONE, MANAGERS, allow, check_manage, check_scope
from tracker.auth.models import User
from tracker.boards import services
from tracker.boards.models import Board, BoardKind, MemberRole, Membership
from tracker.db import local_today
from tracker.documents.models import Document
from tracker.errors import ValidationError, check_version
from tracker.extensions import db

NEED_UNIT = _l("Hãy chọn đơn vị của Ban (unit_id).")
NEED_NAME = _l("Hãy nhập tên Ban.")
NEED_PERSON = _l("Hãy nhập họ và tên thành viên.")
NEED_ROLE = _l("Hãy chọn vai trò trong Ban (role).")
NEED_START = _l("Hãy nhập ngày bắt đầu tham gia.")
NEED_VERSION = _l("Hãy gửi kèm phiên bản (version) của thành viên đã đọc, để không ghi đè thay đổi của người khác.")
NO_DOCUMENT = _l("Không có văn bản nào có id %(id)s trong phạm vi của bạn.")
NO_BOARD = _l("Không có Ban nào có id %(id)s trong phạm vi của bạn.")
NO_USER = _l("Không có tài khoản nào có id %(id)s trong phạm vi của bạn.")

LENGTHS = services.LENGTHS  # checked by the service, with its own message: the document only states them
DETAILS = ("person_name", "position", "phone", "email", "user", "appointed_by", "starts_on")
ROLE = {
    "enum": [role.value for role in MemberRole],
    "description": "head … member for steering boards, group_leader … group_member for working groups; at most one "
    "head (head or group_leader) over any period.",
}


# --- schemas -------------------------------------------------------------------------------------------------


class BoardSchema(ma.Schema):
    id = ma.fields.Integer(required=True, dump_only=True)
    unit_id = ma.fields.Integer(required=True)
    kind = ma.fields.String(required=True, metadata={"enum": [kind.value for kind in BoardKind]})
    name = ma.fields.String(required=True)
    established_by_document_id = ma.fields.Integer(
        required=True, allow_none=True, metadata={"description": "A document of the unit (the decision)."}
    )
    target_size = ma.fields.Integer(
        required=True, allow_none=True, metadata={"minimum": 1, "maximum": services.MAX_TARGET_SIZE}
    )
    parent_board_id = ma.fields.Integer(
        required=True,
        allow_none=True,
        metadata={"description": "Working groups only: a steering board of the same unit."},
    )
    current_members = ma.fields.Integer(
        required=True,
        dump_only=True,
        metadata={"minimum": 0, "description": "Seats with starts_on ≤ today and no end, or ends_on ≥ today."},
    )
    version = ma.fields.Integer(required=True, dump_only=True)
    created_at = ma.fields.DateTime(dump_only=True)
    updated_at = ma.fields.DateTime(dump_only=True)


BoardListSchema = page_schema(BoardSchema)


class MembershipSchema(ma.Schema):
    id = ma.fields.Integer(required=True, dump_only=True)
    board_id = ma.fields.Integer(required=True, dump_only=True)
    person_name = ma.fields.String(required=True)
    position = ma.fields.String(required=True, metadata={"description": "Chức vụ."})
    role = ma.fields.String(required=True, metadata=ROLE)
    phone = ma.fields.String(required=True)
    email = ma.fields.String(required=True)
    user_id = ma.fields.Integer(
        required=True,
        allow_none=True,
        metadata={"description": "A linked account in the user's scope whose rights reach the board."},
    )
    starts_on = ma.fields.Date(required=True)
    ends_on = ma.fields.Date(
        required=True,
        allow_none=True,
        metadata={"description": "The last day on the board; people leave, they are not deleted."},
    )
    appointed_by_document_id = ma.fields.Integer(
        required=True, allow_none=True, metadata={"description": "The appointing decision, a document of the unit."}
    )
    version = ma.fields.Integer(required=True, dump_only=True)
    created_at = ma.fields.DateTime(dump_only=True)
    updated_at = ma.fields.DateTime(dump_only=True)


MembershipListSchema = page_schema(MembershipSchema)


class SavedMembershipSchema(MembershipSchema):
    """A seat as written, with the warnings of the write."""

    warnings = ma.fields.List(
        ma.fields.String(),
        required=True,
        dump_only=True,
        metadata={
            "description": "Vietnamese notes that did not block the write, e.g. a start before the establishing "
            "decision."
        },
    )


class BoardQuery(Paged):
    unit_id = QueryInt(metadata={"description": "Boards of this unit, its subordinates and predecessors."})
    kind = QueryChoice([kind.value for kind in BoardKind], metadata={"description": "Kind of board."})


class MemberQuery(Paged):
    status = QueryChoice(
        services.STATUSES,
        normalise=str.lower,
        load_default="current",
        metadata={"description": "Which seats (default current); past ones come latest end first."},
    )


@echoes(BoardSchema)
class BoardCreate(Body):
    unit_id = UnitRef(required=True, needed=NEED_UNIT, attribute="unit", check=check_manage)
    name = Text(required=True, needed=NEED_NAME, metadata={"maxLength": LENGTHS["name"]})
    kind = Choice(BoardKind, load_default=BoardKind.STEERING_BOARD.value)
    target_size = Integer(allow_none=True, metadata={"minimum": 1, "maximum": services.MAX_TARGET_SIZE})
    established_by_document_id = RowRef(
        Document,
        not_found=NO_DOCUMENT,
        attribute="established_by",
        allow_none=True,
        metadata={"description": "A document of the unit (the decision)."},
    )
    parent_board_id = RowRef(
        Board,
        not_found=NO_BOARD,
        attribute="parent_board",
        allow_none=True,
        metadata={"description": "Working groups only: a steering board of the same unit."},
    )


class _Seat(Body):
    """The details of a seat, for a new one and for a correction."""

    position = Text(allow_none=True, metadata={"maxLength": LENGTHS["position"], "description": "Chức vụ."})
    phone = Text(allow_none=True, metadata={"maxLength": LENGTHS["phone"]})
    email = Text(allow_none=True, metadata={"maxLength": LENGTHS["email"]})
    user_id = RowRef(
        User,
        not_found=NO_USER,
        attribute="user",
        allow_none=True,
        metadata={"description": "A linked account in the user's scope whose rights reach the board."},
    )
    appointed_by_document_id = RowRef(
        Document,
        not_found=NO_DOCUMENT,
        attribute="appointed_by",
        allow_none=True,
        metadata={"description": "The appointing decision, a document of the unit."},
    )


@echoes(SavedMembershipSchema)
class MembershipCreate(_Seat):
    person_name = Text(required=True, needed=NEED_PERSON, metadata={"maxLength": LENGTHS["person_name"]})
    role = Text(required=True, needed=NEED_ROLE, metadata=ROLE)
    starts_on = Day(required=True, needed=NEED_START)
    ends_on = Day(allow_none=True)


@echoes(SavedMembershipSchema)
class MembershipPatch(_Seat):
    version = Integer(
        required=True, needed=NEED_VERSION, metadata={"description": "The `version` last read (stale: 409)."}
    )
    person_name = Text(needed=NEED_PERSON, metadata={"maxLength": LENGTHS["person_name"]})
    role = Text(needed=NEED_ROLE, metadata=ROLE)
    starts_on = Day(allow_none=True)
    changed_on = Day(allow_none=True, metadata={"description": "With `role`: the first day in the new role."})
    ends_on = Day(allow_none=True)


def _staffed(board: Board) -> With:
    return With(board, current_members=services.current_counts([board.id], local_today()).get(board.id, 0))


def load_board(board_id: int) -> Board:
    board = get_or_404(Board, board_id, _("Không có Ban nào có id %(id)d.", id=board_id))
    check_scope(board.unit_id)
    return board


# --- boards ------------------------------------------------------------------------------------------------


@bp.get("/boards")
@allow(EVERYONE)
@bp.arguments(BoardQuery, location="query")
@bp.response(200, BoardListSchema, description="A page of boards.")
@bp.refuses(401, 403)
def list_boards(args: dict):
    """Boards of the units in the user's scope, by name, with their current member counts"""
    listing = page(services.search(listed_units(args.get("unit_id")), args.get("kind")), args)
    counts = services.current_counts([board.id for board in listing["items"]], local_today())
    listing["items"] = [With(board, current_members=counts.get(board.id, 0)) for board in listing["items"]]
    return listing


@bp.post("/boards")
@allow(MANAGERS)
@bp.arguments(BoardCreate)
@bp.response(201, BoardSchema, description="Created; Location names the new board.", headers=LOCATION)
@bp.refuses(400, 401, 403)
def create_board(body: dict):
    """Establish a board of a unit (managers, in scope)"""
    fields = services.BoardFields(
        name=body["name"],
        kind=body["kind"],
        target_size=body.get("target_size"),
        established_by=body.get("established_by"),
        parent_board=body.get("parent_board"),
    )
    board = services.create_board(body["unit"], fields)
    db.session.commit()
    return _staffed(board), {"Location": url_for("api.get_board", board_id=board.id)}


@bp.get("/boards/<int:board_id>")
@allow(EVERYONE)
@bp.response(200, BoardSchema, description="The board.")
@bp.refuses(401, 403, 404)
def get_board(board_id: int):
    """One board, with its current member count against its target size"""
    return _staffed(load_board(board_id))


# --- members -----------------------------------------------------------------------------------------------


@bp.get("/boards/<int:board_id>/members")
@allow(EVERYONE)
@bp.arguments(MemberQuery, location="query")
@bp.response(200, MembershipListSchema, description="A page of seats.")
@bp.refuses(401, 403, 404)
def list_members(args: dict, board_id: int):
    """A board's seats: current ones by role rank (head first) and name, or upcoming, past, all"""
    board = load_board(board_id)
    seats = services.members(board, args["status"], local_today())  # a board's seats: tens, sorted in Python
    start = (args["page"] - 1) * args["per_page"]
    items = seats[start : start + args["per_page"]]
    return {"items": items, "total": len(seats), "page": args["page"], "per_page": args["per_page"]}


def _details(body: dict, membership: Membership | None, role: str) -> services.MemberFields:
    """The seat's fields from the body; fields left out keep the seat's values (or are empty for a new seat)."""
    stored = dict.fromkeys(DETAILS)
    if membership is not None:
        stored = {name: getattr(membership, name) for name in DETAILS if name != "user"}
        stored["user"] = db.session.get(User, membership.user_id) if membership.user_id else None
    seat = stored | {name: body[name] for name in DETAILS if name in body}
    return services.MemberFields(
        person_name=seat["person_name"],
        role=role,
        starts_on=seat["starts_on"],
        position=seat["position"] or "",  # null clears a text, as it always did
        phone=seat["phone"] or "",
        email=seat["email"] or "",
        user=seat["user"],
        appointed_by=seat["appointed_by"],
        ends_on=membership.ends_on if membership else body.get("ends_on"),
    )


@bp.post("/boards/<int:board_id>/members")
@allow(MANAGERS)
@bp.arguments(MembershipCreate)
@bp.response(201, SavedMembershipSchema, description="The new seat and its warnings.")
@bp.refuses(400, 401, 403, 404)
def create_member(body: dict, board_id: int):
    """Seat a person on the board (managers, in scope); a live-linked task moves at once"""
    board = load_board(board_id)
    check_manage(board.unit_id)
    saved = services.add_member(board, _details(body, None, body["role"]), actor=current_user)
    db.session.commit()
    return With(saved.row, warnings=saved.warnings)


@bp.patch("/members/<int:membership_id>")
@allow(MANAGERS)
@bp.arguments(
    MembershipPatch, description="Fields left out keep their value; read-only fields are accepted and ignored."
)
@bp.response(200, SavedMembershipSchema, description="The seat as saved (the new seat after a role change).")
@bp.refuses(400, 401, 403, 404, 409)
def update_member(body: dict, membership_id: int):
    """Correct a seat, end it (ends_on) or change its role (managers, in scope); needs the version

    Fields left out keep their value. `ends_on` ends the seat (the row stays as history). `role` ends the seat the
    day before `changed_on` (default today) and answers with the new seat, which has a new id;
    `appointed_by_document_id` then names the new seat's decision. Role and end are not sent together.
    """
    membership = get_or_404(Membership, membership_id, _("Không có thành viên nào có id %(id)d.", id=membership_id))
    check_manage(membership.unit_id)
    version = body["version"]
    role = body.get("role", membership.role.value)
    new_role = role != membership.role
    ending = "ends_on" in body
    if new_role and ending:
        raise ValidationError({"ends_on": _("Không đổi vai trò và cho thôi tham gia trong cùng một lần gửi.")})
    # With a role change the decision named is the new seat's; the person's other details carry over.
    decision = body.pop("appointed_by", None) if new_role else None
    seat, warnings = membership, []
    if any(name in body for name in DETAILS):
        fields = _details(body, membership, membership.role.value)
        warnings = services.update_member(membership, fields, expected_version=version, actor=current_user).warnings
        version = None  # checked once, on the first write
    if ending:
        services.end_membership(membership, body["ends_on"], expected_version=version)
    elif new_role:
        saved = services.change_role(
            membership,
            role,
            body.get("changed_on", local_today()),
            appointed_by=decision,
            expected_version=version,
            actor=current_user,
        )
        seat, warnings = saved.row, warnings + saved.warnings
    elif version is not None:
        check_version(membership, version)
    db.session.commit()
    return With(seat, warnings=warnings)
