"""The OpenAPI paths of boards and memberships; openapi.py merges them (import that module, not this one: this one
borrows its helpers). The schemas are written inline, each once, and reused by the operations below."""

from tracker.api.openapi import _PAGING, _TIMESTAMP, _errors, _json, _list_of, _path_id, _query
from tracker.boards.models import BoardKind, MemberRole
from tracker.boards.services import LENGTHS, MAX_TARGET_SIZE, STATUSES


def _enum(values) -> dict:
    return {"type": "string", "enum": [str(v) for v in values]}


def _body(schema: dict) -> dict:
    return {"required": True, "content": {"application/json": {"schema": schema}}}


def _list(item: dict) -> dict:
    """The list shape of openapi._list_of around an inline item schema."""
    schema = _list_of("_")
    schema["properties"]["items"]["items"] = item
    return schema


_DATE = {"type": "string", "format": "date"}
_NULLABLE_DATE = {"type": ["string", "null"], "format": "date"}
_NULLABLE_ID = {"type": ["integer", "null"]}
_WARNINGS = {
    "type": "array",
    "items": {"type": "string"},
    "readOnly": True,
    "description": "Vietnamese notes that did not block the write, e.g. a start before the establishing decision.",
}
_BOARD_INPUT = {
    "unit_id": {"type": "integer"},
    "name": {"type": "string", "minLength": 1, "maxLength": LENGTHS["name"]},
    "kind": _enum(BoardKind) | {"default": BoardKind.STEERING_BOARD.value},
    "target_size": {"type": ["integer", "null"], "minimum": 1, "maximum": MAX_TARGET_SIZE},
    "established_by_document_id": _NULLABLE_ID | {"description": "A document of the unit (the decision)."},
    "parent_board_id": _NULLABLE_ID | {"description": "Working groups only: a steering board of the same unit."},
}
BOARD = {
    "type": "object",
    "required": ["id", "unit_id", "kind", "name", "target_size", "current_members", "version"],
    "properties": {
        "id": {"type": "integer", "readOnly": True},
        **_BOARD_INPUT,
        "current_members": {
            "type": "integer",
            "minimum": 0,
            "readOnly": True,
            "description": "Seats with starts_on ≤ today and no end, or ends_on ≥ today.",
        },
        "version": {"type": "integer", "readOnly": True},
        "created_at": _TIMESTAMP,
        "updated_at": _TIMESTAMP,
    },
}
_DETAILS = {
    "person_name": {"type": "string", "minLength": 1, "maxLength": LENGTHS["person_name"]},
    "position": {"type": "string", "maxLength": LENGTHS["position"], "description": "Chức vụ."},
    "phone": {"type": "string", "maxLength": LENGTHS["phone"]},
    "email": {"type": "string", "maxLength": LENGTHS["email"]},
    "user_id": _NULLABLE_ID | {"description": "A linked account in the user's scope whose rights reach the board."},
    "appointed_by_document_id": _NULLABLE_ID | {"description": "The appointing decision, a document of the unit."},
    "starts_on": _DATE,
}
_ROLE = _enum(MemberRole) | {
    "description": "head … member for steering boards, group_leader … group_member for working groups; "
    "at most one head (head or group_leader) over any period."
}
MEMBERSHIP = {
    "type": "object",
    "required": ["id", "board_id", "person_name", "role", "starts_on", "ends_on", "version"],
    "properties": {
        "id": {"type": "integer", "readOnly": True},
        "board_id": {"type": "integer", "readOnly": True},
        **_DETAILS,
        "role": _ROLE,
        "ends_on": _NULLABLE_DATE | {"description": "The last day on the board; people leave, they are not deleted."},
        "version": {"type": "integer", "readOnly": True},
        "created_at": _TIMESTAMP,
        "updated_at": _TIMESTAMP,
    },
}
_WRITTEN = {"allOf": [MEMBERSHIP, {"type": "object", "properties": {"warnings": _WARNINGS}}]}
_BOARD_ID = _path_id("board_id", "Board id.")

PATHS = {
    "/boards": {
        "get": {
            "operationId": "list_boards",
            "summary": "Boards of the units in the user's scope, by name, with their current member counts",
            "parameters": [
                _query("unit_id", "Boards of this unit, its subordinates and predecessors.", {"type": "integer"}),
                _query("kind", "Kind of board.", _enum(BoardKind)),
                *_PAGING,
            ],
            "responses": {"200": _json(_list(BOARD), "A page of boards.")} | _errors(401, 403, 422),
        },
        "post": {
            "operationId": "create_board",
            "summary": "Establish a board of a unit (managers, in scope)",
            "requestBody": _body({"type": "object", "required": ["unit_id", "name"], "properties": _BOARD_INPUT}),
            "responses": {
                "201": _json(BOARD, "Created; Location names the new board.")
                | {"headers": {"Location": {"schema": {"type": "string"}}}}
            }
            | _errors(400, 401, 403, 422),
        },
    },
    "/boards/{board_id}": {
        "get": {
            "operationId": "get_board",
            "summary": "One board, with its current member count against its target size",
            "parameters": [_BOARD_ID],
            "responses": {"200": _json(BOARD, "The board.")} | _errors(401, 403, 404),
        },
    },
    "/boards/{board_id}/members": {
        "get": {
            "operationId": "list_members",
            "summary": "A board's seats: current ones by role rank (head first) and name, or upcoming, past, all",
            "parameters": [
                _BOARD_ID,
                _query("status", "Which seats (default current); past ones come latest end first.", _enum(STATUSES)),
                *_PAGING,
            ],
            "responses": {"200": _json(_list(MEMBERSHIP), "A page of seats.")} | _errors(401, 403, 404, 422),
        },
        "post": {
            "operationId": "create_member",
            "summary": "Seat a person on the board (managers, in scope); a live-linked task moves at once",
            "parameters": [_BOARD_ID],
            "requestBody": _body(
                {
                    "type": "object",
                    "required": ["person_name", "role", "starts_on"],
                    "properties": {**_DETAILS, "role": _ROLE, "ends_on": _NULLABLE_DATE},
                }
            ),
            "responses": {"201": _json(_WRITTEN, "The new seat and its warnings.")} | _errors(400, 401, 403, 404, 422),
        },
    },
    "/members/{membership_id}": {
        "patch": {
            "operationId": "update_member",
            "summary": "Correct a seat, end it (ends_on) or change its role (managers, in scope); needs the version",
            "description": "Fields left out keep their value. `ends_on` ends the seat (the row stays as history). "
            "`role` ends the seat the day before `changed_on` (default today) and answers with the new seat, which "
            "has a new id; `appointed_by_document_id` then names the new seat's decision. Role and end are not "
            "sent together.",
            "parameters": [_path_id("membership_id", "Seat (membership) id.")],
            "requestBody": _body(
                {
                    "type": "object",
                    "required": ["version"],
                    "properties": {
                        "version": {"type": "integer", "description": "The `version` last read (stale: 409)."},
                        **_DETAILS,
                        "role": _ROLE,
                        "changed_on": _DATE | {"description": "With `role`: the first day in the new role."},
                        "ends_on": _NULLABLE_DATE,
                    },
                }
            ),
            "responses": {"200": _json(_WRITTEN, "The seat as saved (the new seat after a role change).")}
            | _errors(400, 401, 403, 404, 409, 422),
        },
    },
}
