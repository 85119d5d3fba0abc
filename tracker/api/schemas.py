"""JSON representations: the field names of the domain model, dates ISO, ids integers."""

from datetime import date, datetime

from tracker.documents.models import Document
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


def unit_detail_json(unit: Unit) -> dict:
    return unit_json(unit) | {"predecessor_ids": [p.id for p in unit.predecessors]}


def document_json(document: Document) -> dict:
    return {
        "id": document.id,
        "unit_id": document.unit_id,
        "reference": document.reference,
        "number": document.number,
        "kind_code": document.kind_code,
        "issuer_code": document.issuer_code,
        "issued_on": iso(document.issued_on),
        "title": document.title,
        "version": document.version,
        "created_at": iso(document.created_at),
        "updated_at": iso(document.updated_at),
    }
