"""JSON representations: the field names of the domain model, dates ISO, ids integers."""

from datetime import date, datetime
from decimal import Decimal

from tracker.programs.models import TaskUpdate
from tracker.programs.progress import ProgramState, TaskState
from tracker.programs.rules import Figure, Status
from tracker.programs.summary import UnitSummary
from tracker.units.models import Unit


def iso(value: date | datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def unit_json(unit: Unit) -> dict:
    return {
        "id": unit.id,
        "code": unit.code,
        "name": unit.name,
        "kind": unit.kind.value,
        "parent_id": unit.parent_id,
        "valid_from": iso(unit.valid_from),
        "valid_to": iso(unit.valid_to),
        "merged_into_id": unit.merged_into_id,
        "is_current": unit.is_current,
        "version": unit.version,
    }


# --- programs, tasks, updates, unit summary: the derived figures come from tracker.programs.progress ---------


def decimal(value: Decimal | None) -> str | None:
    """A quantity as a plain string without trailing zeros: Decimal('4.0300') → '4.03', 600 → '600'."""
    return None if value is None else format(value.normalize(), "f")


def ratio(value: Decimal | None) -> float | None:
    """A share (progress, achievement, a rate) as a JSON number: 1 = 100%."""
    return None if value is None else float(value)


def figure_json(figure: Figure) -> dict:
    """A percentage that explains itself: its value, formula, and the items behind it (excluded ones too)."""
    return {
        "value": ratio(figure.value),
        "formula": figure.formula,
        "items": [
            {"label": i.label, "value": ratio(i.value), "weight": decimal(i.weight), "excluded": i.excluded}
            for i in figure.items
        ],
    }


def _status_counts(counts: dict[Status, int]) -> dict[str, int]:
    return {s.value: counts.get(s, 0) for s in Status}


def program_json(state: ProgramState) -> dict:
    program = state.program
    return {
        "id": program.id,
        "unit_id": program.unit_id,
        "title": program.title,
        "basis_document_id": program.basis_document_id,
        "starts_on": iso(program.starts_on),
        "ends_on": iso(program.ends_on),
        "is_public": program.is_public,
        "is_archived": program.is_archived,
        "progress": ratio(state.progress.value),
        "completion": ratio(state.completion.value),
        "on_time": ratio(state.on_time.value),
        "status_counts": _status_counts(state.status_counts),
        "task_count": len(state.tasks),
        "version": program.version,
        "created_at": iso(program.created_at),
        "updated_at": iso(program.updated_at),
    }


def program_detail_json(state: ProgramState) -> dict:
    figures = {"progress": state.progress, "completion": state.completion, "on_time": state.on_time}
    return program_json(state) | {"figures": {name: figure_json(f) for name, f in figures.items()}}


def task_json(state: TaskState) -> dict:
    """A task and its figures. A task with sub-tasks is a roll-up (DESIGN §2.6): its progress comes from its
    children, and it has no value, target or baseline of its own (null; what it stores is kept, not used)."""
    task = state.task
    rolled_up = bool(state.children)
    return {
        "id": task.id,
        "program_id": task.program_id,
        "parent_id": task.parent_id,
        "depth": state.depth,
        "title": task.title,
        "description": task.description,
        "owner_name": task.owner_name,
        "owner_user_id": task.owner_user_id,
        "owner_member_id": task.owner_member_id,
        "responsible": task.responsible,
        "deadline": iso(task.deadline),
        "expected_result": task.expected_result,
        "category": task.category.value,
        "weight": decimal(task.weight),
        "update_every_days": task.update_every_days,
        "lifecycle": task.lifecycle.value,
        "lifecycle_reason": task.lifecycle_reason,
        "measure_kind": task.measure_kind.value,
        "baseline": None if rolled_up else decimal(task.baseline),
        "target": None if rolled_up else decimal(task.target),
        "unit_label": task.unit_label,
        "source": task.source.value,
        "source_site_kind": task.source_site_kind,
        "source_board_id": task.source_board_id,
        "value": decimal(state.value),  # None for a roll-up: progress.evaluate gives it none
        "rolled_up": rolled_up,
        "children": len(state.children),
        "progress": ratio(state.progress),
        "achievement": ratio(state.achievement),
        "status": state.status.value,
        "flags": [f.value for f in state.flags],
        "completed_on": iso(state.completed_on),
        "version": task.version,
        "created_at": iso(task.created_at),
        "updated_at": iso(task.updated_at),
    }


def task_detail_json(state: TaskState) -> dict:
    return task_json(state) | {"explain": figure_json(state.explain())}


def task_update_json(update: TaskUpdate) -> dict:
    return {
        "id": update.id,
        "task_id": update.task_id,
        "at": iso(update.at),
        "user_id": update.user_id,
        "value": decimal(update.value),
        "note": update.note,
        "evidence_document_id": update.evidence_document_id,
        "evidence_url": update.evidence_url,
    }


def unit_summary_json(summary: UnitSummary, today: date) -> dict:
    return {
        "unit_id": summary.unit_id,
        "name": summary.name,
        "as_of": iso(today),
        "overall": figure_json(summary.overall),
        "own": figure_json(summary.own),
        "completion": figure_json(summary.completion),
        "on_time": figure_json(summary.on_time),
        "status_counts": _status_counts(summary.status_counts),
        "programs": [
            {"id": s.program.id, "title": s.program.title, "progress": ratio(s.progress.value)}
            for s in summary.programs
        ],
        "children": [
            {
                "rank": rank,
                "id": row.id,
                "name": row.name,
                "kind": str(row.kind),
                "code": row.code,
                "overall": ratio(row.overall.value),
                "programs": row.programs,
            }
            for rank, row in enumerate(summary.children, start=1)
        ],
        "counts": {
            "programs": len(summary.all_programs),
            "overdue": len(summary.overdue),
            "due_soon": len(summary.due_soon),
            "stale": len(summary.stale),
            "at_risk": len(summary.at_risk),
        },
    }
