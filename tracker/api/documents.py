"""/api/v1/documents: list, read, record and edit documents; the reference is parsed by the service."""

from flask import request, url_for
from flask_babel import gettext as _

from tracker.api.helpers import (
    Fields,
    get_or_404,
    json_object,
    page_of,
    paging,
    query_choice,
    query_int,
    scope_unit_ids,
)
from tracker.api.schemas import document_json
from tracker.api.views import bp
from tracker.auth.access import EVERYONE, MANAGERS, allow, check_manage, check_scope
from tracker.documents import services
from tracker.documents.models import Document
from tracker.errors import ValidationError
from tracker.extensions import db
from tracker.units.models import Unit
from tracker.units.services import subtree_select

READ_ONLY = ("id", "number", "kind_code", "issuer_code", "created_at", "updated_at")


def _required() -> dict[str, str]:
    """What to say when a field that needs a value has none (built per request, in its language)."""
    return {
        "unit_id": _("Hãy chọn đơn vị ban hành hoặc lưu văn bản (unit_id)."),
        "reference": _("Hãy nhập số ký hiệu của văn bản, ví dụ 37/KH-UBND hoặc 63-QĐ/ĐU."),
        "title": _("Hãy nhập trích yếu của văn bản."),
        "version": _("Hãy gửi kèm phiên bản (version) của văn bản đã đọc, để không ghi đè thay đổi của người khác."),
    }


def _unit(unit_id: int | None, fields: Fields) -> Unit | None:
    if unit_id is None:
        return None
    unit = db.session.get(Unit, unit_id)
    if unit is None:
        fields.errors["unit_id"] = _("Không có đơn vị nào có id %(id)d.", id=unit_id)
    return unit


@bp.get("/documents")
@allow(EVERYONE)
def list_documents():
    errors: dict[str, str] = {}
    kind_code = query_choice("kind_code", services.KIND_CODES, errors, normalise=str.upper)
    unit_id = query_int("unit_id", errors)
    page, per_page = paging(errors)
    if errors:
        raise ValidationError(errors)
    if unit_id is not None and db.session.get(Unit, unit_id) is None:
        raise ValidationError({"unit_id": _("Không có đơn vị nào có id %(id)d.", id=unit_id)})
    if unit_id is not None:
        check_scope(unit_id)
        # A unit in scope has its whole subtree in scope, so this filter is also the scope filter.
        unit_ids = subtree_select(unit_id)
    else:
        unit_ids = scope_unit_ids()
    stmt = services.search(request.args.get("q", ""), kind_code, unit_ids)
    return page_of(stmt, page, per_page, document_json)


@bp.post("/documents")
@allow(MANAGERS)
def create_document():
    fields = Fields(json_object(), ("unit_id", "reference", "issued_on", "title"), READ_ONLY + ("version",))
    need = _required()
    unit = _unit(fields.integer("unit_id", need["unit_id"]), fields)
    reference = fields.text("reference", need["reference"])
    issued_on = fields.date("issued_on")
    title = fields.text("title", need["title"])
    if unit is not None:
        check_manage(unit.id)  # out of scope is refused before any detail of the input is discussed
    fields.check()
    document = services.create_document(unit, reference, issued_on, title)
    db.session.commit()
    return document_json(document), 201, {"Location": url_for("api.get_document", document_id=document.id)}


@bp.get("/documents/<int:document_id>")
@allow(EVERYONE)
def get_document(document_id: int):
    document = get_or_404(Document, document_id, _("Không có văn bản nào có id %(id)d.", id=document_id))
    check_scope(document.unit_id)
    return document_json(document)


@bp.patch("/documents/<int:document_id>")
@allow(MANAGERS)
def update_document(document_id: int):
    document = get_or_404(Document, document_id, _("Không có văn bản nào có id %(id)d.", id=document_id))
    check_manage(document.unit_id)
    fields = Fields(json_object(), ("unit_id", "reference", "issued_on", "title", "version"), READ_ONLY)
    need = _required()
    version = fields.integer("version", need["version"])
    unit_id = fields.integer("unit_id", default=document.unit_id)
    if unit_id is not None and unit_id != document.unit_id:
        fields.errors["unit_id"] = _("Không thể chuyển văn bản sang đơn vị khác; hãy tạo văn bản mới.")
    reference = fields.text("reference", need["reference"], default=document.reference)
    issued_on = fields.date("issued_on", default=document.issued_on)
    title = fields.text("title", need["title"], default=document.title)
    fields.check()
    services.update_document(document, reference, issued_on, title, expected_version=version)
    db.session.commit()
    return document_json(document)
