"""/api/v1/documents: list, read, record and edit documents; the reference is parsed by the service."""

import marshmallow as ma
from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from tracker.api.contract import LOCATION, bp
from tracker.api.fields import Body, Day, Integer, Text, UnitRef, echoes
from tracker.api.helpers import get_or_404, listed_units
from tracker.api.queries import Paged, QueryChoice, QueryInt, QueryText, page, page_schema
from tracker.auth.access import EVERYONE, MANAGERS, allow, check_manage, check_scope
from tracker.documents import services
from tracker.documents.models import Document
from tracker.errors import ValidationError
from tracker.extensions import db

NEED_UNIT = _l("Hãy chọn đơn vị ban hành hoặc lưu văn bản (unit_id).")
NEED_REFERENCE = _l("Hãy nhập số ký hiệu của văn bản, ví dụ 37/KH-UBND hoặc 63-QĐ/ĐU.")
NEED_TITLE = _l("Hãy nhập trích yếu của văn bản.")
NEED_VERSION = _l("Hãy gửi kèm phiên bản (version) của văn bản đã đọc, để không ghi đè thay đổi của người khác.")


class DocumentSchema(ma.Schema):
    id = ma.fields.Integer(required=True, dump_only=True)
    unit_id = ma.fields.Integer(required=True)
    reference = ma.fields.String(
        required=True,
        metadata={
            "description": "Canonical form of the number: state style 37/KH-UBND, party style 63-QĐ/ĐU or an official "
            "letter 1332/STTTT-CNTT (kind_code CV)."
        },
    )
    number = ma.fields.String(required=True, dump_only=True)
    kind_code = ma.fields.String(required=True, dump_only=True, metadata={"enum": list(services.KIND_CODES)})
    issuer_code = ma.fields.String(required=True, dump_only=True)
    issued_on = ma.fields.Date(allow_none=True)
    title = ma.fields.String(required=True, metadata={"description": "Trích yếu."})
    version = ma.fields.Integer(required=True, dump_only=True)
    created_at = ma.fields.DateTime(dump_only=True)
    updated_at = ma.fields.DateTime(dump_only=True)


DocumentListSchema = page_schema(DocumentSchema)


class DocumentQuery(Paged):
    q = QueryText(metadata={"description": "Text contained in the reference or the title."})
    kind_code = QueryChoice(
        services.KIND_CODES, normalise=str.upper, metadata={"description": "Kind of document (any case)."}
    )
    unit_id = QueryInt(metadata={"description": "Documents of this unit, its subordinates and predecessors."})


@echoes(DocumentSchema)
class DocumentCreate(Body):
    unit_id = UnitRef(required=True, needed=NEED_UNIT, attribute="unit", check=check_manage)
    reference = Text(required=True, needed=NEED_REFERENCE, metadata={"examples": ["37/KH-UBND", "63-QĐ/ĐU"]})
    issued_on = Day(allow_none=True)
    title = Text(required=True, needed=NEED_TITLE)


@echoes(DocumentSchema)
class DocumentPatch(Body):
    version = Integer(
        required=True, needed=NEED_VERSION, metadata={"description": "The `version` last read; a stale one gives 409."}
    )
    reference = Text(needed=NEED_REFERENCE)
    issued_on = Day(allow_none=True)
    title = Text(needed=NEED_TITLE)
    unit_id = Integer(allow_none=True, metadata={"description": "May only repeat the current unit."})


@bp.get("/documents")
@allow(EVERYONE)
@bp.arguments(DocumentQuery, location="query")
@bp.response(200, DocumentListSchema, description="A page of documents.")
@bp.refuses(401, 403)
def list_documents(args: dict):
    """Documents of the units in the user's scope, newest first"""
    unit_ids = listed_units(args.get("unit_id"))  # a unit's subtree holds its predecessors' documents too
    return page(services.search(args.get("q", ""), args.get("kind_code"), unit_ids), args)


@bp.post("/documents")
@allow(MANAGERS)
@bp.arguments(DocumentCreate)
@bp.response(201, DocumentSchema, description="Created; Location names the new document.", headers=LOCATION)
@bp.refuses(400, 401, 403)
def create_document(body: dict):
    """Record a document (managers, in scope); the reference is parsed"""
    document = services.create_document(body["unit"], body["reference"], body.get("issued_on"), body["title"])
    db.session.commit()
    return document, {"Location": url_for("api.get_document", document_id=document.id)}


@bp.get("/documents/<int:document_id>")
@allow(EVERYONE)
@bp.response(200, DocumentSchema, description="The document.")
@bp.refuses(401, 403, 404)
def get_document(document_id: int):
    """One document"""
    document = get_or_404(Document, document_id, _("Không có văn bản nào có id %(id)d.", id=document_id))
    check_scope(document.unit_id)
    return document


@bp.patch("/documents/<int:document_id>")
@allow(MANAGERS)
@bp.arguments(
    DocumentPatch,
    description="Fields left out keep their value; read-only fields of Document are accepted and ignored.",
)
@bp.response(200, DocumentSchema, description="The document as saved.")
@bp.refuses(400, 401, 403, 404, 409)
def update_document(body: dict, document_id: int):
    """Edit a document (managers, in scope); needs the version last read"""
    document = get_or_404(Document, document_id, _("Không có văn bản nào có id %(id)d.", id=document_id))
    check_manage(document.unit_id)
    if body.get("unit_id") not in (None, document.unit_id):
        raise ValidationError({"unit_id": _("Không thể chuyển văn bản sang đơn vị khác; hãy tạo văn bản mới.")})
    services.update_document(
        document,
        body.get("reference", document.reference),
        body.get("issued_on", document.issued_on),
        body.get("title", document.title),
        expected_version=body["version"],
    )
    db.session.commit()
    return document
