"""The OpenAPI paths and schemas of programs, tasks, task updates and the unit summary; openapi.py merges them
(import that module, not this one: this one borrows its helpers)."""

from tracker.api.openapi import _NULLABLE_DATE, _PAGING, _TIMESTAMP, _errors, _json, _list_of, _path_id, _query, _ref
from tracker.programs.models import Lifecycle, MeasureKind, TaskCategory, TaskSource
from tracker.programs.rules import Flag, Status
from tracker.sites.models import SiteKind

_DECIMAL = {
    "type": "string",
    "pattern": r"^-?\d+(\.\d+)?$",
    "description": 'A decimal as a string, e.g. "4.03". On input a JSON number or a plain decimal string is '
    'accepted ("1234.5": a point, no thousands grouping, no exponent); "4,03" or "1,234.5" is refused (422).',
    "examples": ["4.03", "600"],
}
_NULLABLE_DECIMAL = _DECIMAL | {"type": ["string", "null"]}
_DECIMAL_IN = {"type": ["string", "number"], "description": _DECIMAL["description"]}
_RATIO = {"type": ["number", "null"], "minimum": 0, "maximum": 1, "description": "A share: 1 = 100%."}
_ID = {"type": "integer", "readOnly": True}
_NULLABLE_ID = {"type": ["integer", "null"]}
_STATUS_COUNTS = {
    "type": "object",
    "properties": {s.value: {"type": "integer", "minimum": 0} for s in Status},
    "description": "Top-level tasks by status (every status present, zeros included).",
}


def _enum(values, nullable: bool = False) -> dict:
    return {"type": ["string", "null"] if nullable else "string", "enum": [str(v) for v in values]}


def _body(name: str) -> dict:
    return {"required": True, "content": {"application/json": {"schema": _ref("schemas", name)}}}


def _version(what: str) -> dict:
    return {"type": "integer", "description": f"The `version` of the {what} last read; a stale one gives 409."}


_PROGRAM_INPUT = {
    "unit_id": {"type": "integer"},
    "title": {"type": "string", "minLength": 1},
    "basis_document_id": {**_NULLABLE_ID, "description": "A document in the user's scope."},
    "starts_on": _NULLABLE_DATE,
    "ends_on": _NULLABLE_DATE,
    "is_public": {"type": "boolean", "description": "Shown on the public progress page."},
}

_TASK_INPUT = {
    "parent_id": {**_NULLABLE_ID, "description": "A task of the same program; not the task itself or below it."},
    "title": {"type": "string", "minLength": 1, "description": "Rõ việc."},
    "description": {"type": "string"},
    "owner_name": {"type": "string", "maxLength": 200, "description": "Rõ người."},
    "owner_user_id": {**_NULLABLE_ID, "description": "A user in scope; members update the tasks they own."},
    "responsible": {"type": "string", "maxLength": 300, "description": "Rõ trách nhiệm (đơn vị chủ trì)."},
    "deadline": {**_NULLABLE_DATE, "description": "Rõ thời gian."},
    "expected_result": {"type": "string", "description": "Rõ kết quả."},
    "category": _enum(TaskCategory),
    "weight": {**_DECIMAL_IN, "description": "Weight in roll-ups, > 0 (default 1)."},
    "update_every_days": {"type": ["integer", "null"], "minimum": 1, "maximum": 3660},
    "lifecycle": _enum(Lifecycle),
    "lifecycle_reason": {"type": "string", "description": "Needed when pausing or cancelling."},
    "measure_kind": _enum(MeasureKind),
    "baseline": {
        "type": ["string", "number", "null"],
        "description": _DECIMAL["description"] + " null or left out: 0 on a new task, the stored one on a task with "
        "sub-tasks.",
    },
    "target": {
        "type": ["string", "number", "null"],
        "description": _DECIMAL["description"] + " On a task with sub-tasks null keeps the stored one.",
    },
    "unit_label": {"type": "string", "maxLength": 40, "examples": ["điểm", "thủ tục", "tỷ đồng", "%"]},
    "source": _enum(TaskSource),
    "source_site_kind": _enum(SiteKind, nullable=True),
    "source_board_id": {**_NULLABLE_ID, "description": "The board counted when source is board_members."},
}

_FIGURE_PROPERTY = {"$ref": "#/components/schemas/Figure"}

SCHEMAS = {
    "Figure": {
        "type": "object",
        "required": ["value", "formula", "items"],
        "description": "A percentage that explains itself: its formula and the items behind it.",
        "properties": {
            "value": _RATIO,
            "formula": {"type": "string", "description": "Vietnamese."},
            "items": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["label", "value", "weight", "excluded"],
                    "properties": {
                        "label": {"type": "string"},
                        "value": {"type": ["number", "null"]},
                        "weight": _NULLABLE_DECIMAL,
                        "excluded": {"type": ["string", "null"], "description": "Why it was left out, if it was."},
                    },
                },
            },
        },
    },
    "UnitSummary": {
        "type": "object",
        "required": ["unit_id", "name", "as_of", "overall", "own", "completion", "on_time", "status_counts"],
        "properties": {
            "unit_id": {"type": "integer"},
            "name": {"type": "string"},
            "as_of": {"type": "string", "format": "date", "description": "Today, in Vietnam."},
            "overall": {**_FIGURE_PROPERTY, "description": "The unit with its subordinates, each commune once."},
            "own": {**_FIGURE_PROPERTY, "description": "Mean of the unit's own programs."},
            "completion": {**_FIGURE_PROPERTY, "description": "Share of the tasks due that are completed."},
            "on_time": {**_FIGURE_PROPERTY, "description": "Completed on time ÷ completed."},
            "status_counts": _STATUS_COUNTS,
            "programs": {
                "type": "array",
                "description": "The unit's own programs (and its predecessors').",
                "items": {
                    "type": "object",
                    "properties": {"id": {"type": "integer"}, "title": {"type": "string"}, "progress": _RATIO},
                },
            },
            "children": {
                "type": "array",
                "description": "Subordinate units with programs, ranked best first.",
                "items": {
                    "type": "object",
                    "properties": {
                        "rank": {"type": "integer", "minimum": 1},
                        "id": {"type": "integer"},
                        "name": {"type": "string"},
                        "kind": {"type": "string"},
                        "code": {"type": ["string", "null"]},
                        "overall": _RATIO,
                        "programs": {"type": "integer"},
                    },
                },
            },
            "counts": {
                "type": "object",
                "properties": {
                    name: {"type": "integer", "minimum": 0}
                    for name in ("programs", "overdue", "due_soon", "stale", "at_risk")
                },
            },
        },
    },
    "Program": {
        "type": "object",
        "required": ["id", "unit_id", "title", "progress", "completion", "on_time", "version"],
        "properties": {
            "id": _ID,
            **_PROGRAM_INPUT,
            "is_archived": {"type": "boolean", "description": "Hidden from dashboards and roll-ups."},
            "progress": {**_RATIO, "readOnly": True, "description": "Weighted mean of the active top-level tasks."},
            "completion": {**_RATIO, "readOnly": True, "description": "Tasks due that are completed."},
            "on_time": {**_RATIO, "readOnly": True, "description": "Completed on time ÷ completed."},
            "status_counts": {**_STATUS_COUNTS, "readOnly": True},
            "task_count": {"type": "integer", "readOnly": True},
            "version": {"type": "integer", "readOnly": True},
            "created_at": _TIMESTAMP,
            "updated_at": _TIMESTAMP,
        },
    },
    "ProgramDetail": {
        "allOf": [
            _ref("schemas", "Program"),
            {
                "type": "object",
                "properties": {
                    "figures": {
                        "type": "object",
                        "readOnly": True,
                        "properties": {n: _FIGURE_PROPERTY for n in ("progress", "completion", "on_time")},
                    }
                },
            },
        ]
    },
    "ProgramList": _list_of("Program"),
    "ProgramCreate": {"type": "object", "required": ["unit_id", "title"], "properties": _PROGRAM_INPUT},
    "ProgramPatch": {
        "type": "object",
        "required": ["version"],
        "description": "Fields left out keep their value; read-only fields of Program are accepted and ignored.",
        "properties": {
            "version": _version("program"),
            **_PROGRAM_INPUT,
            "unit_id": {"type": "integer", "description": "May only repeat the current unit."},
            "is_archived": {"type": "boolean"},
        },
    },
    "Task": {
        "type": "object",
        "required": [
            "id", "program_id", "title", "measure_kind", "baseline", "target", "value", "rolled_up", "children",
            "progress", "status", "flags", "version",
        ],
        "description": "A task with sub-tasks (rolled_up) takes its progress from them: it has no value, target or "
        "baseline of its own (null), and updates and changes of its measure are refused (422).",
        "properties": {
            "id": _ID,
            "program_id": {"type": "integer", "readOnly": True},
            "depth": {"type": "integer", "readOnly": True, "description": "0 for a top-level task."},
            **_TASK_INPUT,
            "weight": _DECIMAL,
            "baseline": {**_NULLABLE_DECIMAL, "description": "null when rolled_up."},
            "target": {**_NULLABLE_DECIMAL, "description": "null when rolled_up (or no target set yet)."},
            "owner_member_id": {**_NULLABLE_ID, "readOnly": True, "description": "Owner through a board seat."},
            "value": {
                **_NULLABLE_DECIMAL,
                "readOnly": True,
                "description": "Latest update, or live registry value; null when rolled_up or never updated.",
            },
            "rolled_up": {
                "type": "boolean",
                "readOnly": True,
                "description": "true for a task with sub-tasks: its progress is their weighted mean.",
            },
            "children": {"type": "integer", "minimum": 0, "readOnly": True, "description": "Number of sub-tasks."},
            "progress": {
                "type": "number",
                "minimum": 0,
                "maximum": 1,
                "readOnly": True,
                "description": "clamp((value − baseline) ÷ (target − baseline), 0, 1); sub-tasks: weighted mean.",
            },
            "achievement": {
                "type": ["number", "null"],
                "minimum": 0,
                "readOnly": True,
                "description": "value ÷ target, not clamped (1.37 = đạt 137%); target ÷ value for a decrease.",
            },
            "status": _enum(Status) | {"readOnly": True},
            "flags": {"type": "array", "items": _enum(Flag), "readOnly": True},
            "completed_on": {**_NULLABLE_DATE, "readOnly": True},
            "version": {"type": "integer", "readOnly": True},
            "created_at": _TIMESTAMP,
            "updated_at": _TIMESTAMP,
        },
    },
    "TaskDetail": {
        "allOf": [
            _ref("schemas", "Task"),
            {
                "type": "object",
                "properties": {"explain": {**_FIGURE_PROPERTY, "description": "How the progress was computed."}},
            },
        ]
    },
    "TaskSaved": {
        "allOf": [
            _ref("schemas", "TaskDetail"),
            {
                "type": "object",
                "required": ["warnings"],
                "properties": {
                    "warnings": {
                        "type": "array",
                        "items": {"type": "string"},
                        "description": "Saved anyway; worth a look (e.g. deadline outside the program's period).",
                    }
                },
            },
        ]
    },
    "TaskList": _list_of("Task"),
    "TaskCreate": {"type": "object", "required": ["title"], "properties": _TASK_INPUT},
    "TaskPatch": {
        "type": "object",
        "required": ["version"],
        "description": "Fields left out keep their value; read-only fields of Task are accepted and ignored. "
        "The value is not set here: POST an update. A task with sub-tasks takes its progress from them: changing "
        "its measure_kind, baseline, target or source is refused (422 on the field); the values read may be sent back "
        "(its null baseline and target keep the stored ones).",
        "properties": {"version": _version("task"), **_TASK_INPUT},
    },
    "TaskUpdate": {
        "type": "object",
        "required": ["id", "task_id", "at", "user_id", "value", "note"],
        "properties": {
            "id": _ID,
            "task_id": {"type": "integer"},
            "at": {"type": "string", "format": "date-time"},
            "user_id": {"type": ["integer", "null"], "description": "null: recorded by the system from a registry."},
            "value": _DECIMAL,
            "note": {"type": "string"},
            "evidence_document_id": _NULLABLE_ID,
            "evidence_url": {"type": ["string", "null"], "format": "uri"},
        },
    },
    "TaskUpdateList": _list_of("TaskUpdate"),
    "TaskUpdateCreate": {
        "type": "object",
        "required": ["value"],
        "description": "Manual tasks without sub-tasks only: a task with sub-tasks gets 422 on value.",
        "properties": {
            "value": {"type": ["string", "number"], "description": _DECIMAL["description"]},
            "note": {"type": "string"},
            "evidence_document_id": {**_NULLABLE_ID, "description": "A document in the user's scope."},
            "evidence_url": {"type": ["string", "null"], "maxLength": 500, "description": "http:// or https://"},
            "version": {**_version("task"), "description": "Optional: the task's version last read (stale → 409)."},
            "confirm": {
                "type": "boolean",
                "description": "true when a value more than 10× the target or the last value is meant (else 422).",
            },
        },
    },
    "TaskUpdateCreated": {
        "allOf": [
            _ref("schemas", "TaskUpdate"),
            {
                "type": "object",
                "properties": {"task": {**_ref("schemas", "Task"), "description": "The task after the update."}},
            },
        ]
    },
}

_PROGRAM_ID = _path_id("program_id", "Program id.")
_TASK_ID = _path_id("task_id", "Task id.")

PATHS = {
    "/units/{unit_id}/summary": {
        "get": {
            "operationId": "unit_summary",
            "summary": "The dashboard figures of a unit with its subordinates, each explained",
            "parameters": [_path_id("unit_id", "Unit id.")],
            "responses": {"200": _json(_ref("schemas", "UnitSummary"), "The figures.")} | _errors(401, 403, 404),
        }
    },
    "/programs": {
        "get": {
            "operationId": "list_programs",
            "summary": "Programs in the user's scope, with their progress; newest period first",
            "parameters": [
                _query("unit_id", "Programs of this unit, its subordinates and predecessors.", {"type": "integer"}),
                _query(
                    "archived",
                    "Archived programs: left out (false, the default), only them (true), or both (all).",
                    {"type": "string", "enum": ["false", "true", "all"], "default": "false"},
                ),
                *_PAGING,
            ],
            "responses": {"200": _json(_ref("schemas", "ProgramList"), "A page of programs.")} | _errors(401, 403, 422),
        },
        "post": {
            "operationId": "create_program",
            "summary": "Create a program (managers, in scope)",
            "requestBody": _body("ProgramCreate"),
            "responses": {
                "201": _json(_ref("schemas", "ProgramDetail"), "Created; Location names the new program.")
                | {"headers": {"Location": {"schema": {"type": "string"}}}}
            }
            | _errors(400, 401, 403, 422),
        },
    },
    "/programs/{program_id}": {
        "get": {
            "operationId": "get_program",
            "summary": "One program, with its figures explained",
            "parameters": [_PROGRAM_ID],
            "responses": {"200": _json(_ref("schemas", "ProgramDetail"), "The program.")} | _errors(401, 403, 404),
        },
        "patch": {
            "operationId": "update_program",
            "summary": "Edit or archive a program (managers, in scope); needs the version last read",
            "parameters": [_PROGRAM_ID],
            "requestBody": _body("ProgramPatch"),
            "responses": {"200": _json(_ref("schemas", "ProgramDetail"), "The program as saved.")}
            | _errors(400, 401, 403, 404, 409, 422),
        },
    },
    "/programs/{program_id}/tasks": {
        "get": {
            "operationId": "list_tasks",
            "summary": "The program's task tree in display order (parents before their sub-tasks)",
            "parameters": [
                _PROGRAM_ID,
                _query("status", "Only tasks with this status.", _enum(Status)),
                _query("category", "Only tasks of this category.", _enum(TaskCategory)),
                _query("owner_user_id", "Only tasks this user owns.", {"type": "integer"}),
                *_PAGING,
            ],
            "responses": {"200": _json(_ref("schemas", "TaskList"), "A page of tasks.")} | _errors(401, 403, 404, 422),
        },
        "post": {
            "operationId": "create_task",
            "summary": "Add a task or, with parent_id, a sub-task (managers, in scope)",
            "parameters": [_PROGRAM_ID],
            "requestBody": _body("TaskCreate"),
            "responses": {
                "201": _json(_ref("schemas", "TaskSaved"), "Created; Location names the new task.")
                | {"headers": {"Location": {"schema": {"type": "string"}}}}
            }
            | _errors(400, 401, 403, 404, 422),
        },
    },
    "/tasks/{task_id}": {
        "get": {
            "operationId": "get_task",
            "summary": "One task with its derived value, progress, status and flags",
            "parameters": [_TASK_ID],
            "responses": {"200": _json(_ref("schemas", "TaskDetail"), "The task.")} | _errors(401, 403, 404),
        },
        "patch": {
            "operationId": "update_task",
            "summary": "Edit, pause, cancel or resume a task (managers, in scope); needs the version last read",
            "parameters": [_TASK_ID],
            "requestBody": _body("TaskPatch"),
            "responses": {"200": _json(_ref("schemas", "TaskSaved"), "The task as saved.")}
            | _errors(400, 401, 403, 404, 409, 422),
        },
    },
    "/tasks/{task_id}/updates": {
        "get": {
            "operationId": "list_task_updates",
            "summary": "The task's dated history, newest first",
            "parameters": [_TASK_ID, *_PAGING],
            "responses": {"200": _json(_ref("schemas", "TaskUpdateList"), "A page of updates.")}
            | _errors(401, 403, 404, 422),
        },
        "post": {
            "operationId": "create_task_update",
            "summary": "Record a new value (managers in scope; members on the tasks they own)",
            "description": "Live-linked, cancelled and parent tasks take no typed value (422 on `value`).",
            "parameters": [_TASK_ID],
            "requestBody": _body("TaskUpdateCreate"),
            "responses": {"201": _json(_ref("schemas", "TaskUpdateCreated"), "Recorded.")}
            | _errors(400, 401, 403, 404, 409, 422),
        },
    },
}
