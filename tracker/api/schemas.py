"""JSON representations: the field names of the domain model, dates ISO, ids integers."""

from datetime import date, datetime
from decimal import Decimal

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


def ratio(value: Decimal | None) -> float | None:
    """A share as a JSON number: 1 = 100% (the online services' hand-written answer still uses it)."""
    return None if value is None else float(value)
