"""Documents (văn bản): the list of a scope, a document's page, create and edit."""

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import selectinload

from tracker import audit
from tracker.auth.access import (
    EVERYONE,
    MANAGERS,
    allow,
    can_manage,
    check_manage,
    check_scope,
    load_in_scope,
    name_scope,
    scope_unit_ids,
)
from tracker.documents import services
from tracker.documents.forms import DocumentFilterForm, EditDocumentForm, NewDocumentForm, kind_label
from tracker.documents.models import Document
from tracker.extensions import db
from tracker.forms import query_id, round_trip
from tracker.units.models import Unit
from tracker.units.names import find_unit, unit_ref

bp = Blueprint("documents", __name__, url_prefix="/documents")


@bp.route("/")
@allow(EVERYONE)
def index():
    form = DocumentFilterForm(formdata=request.args)
    kind_code = form.kind_code.data if form.kind_code.data in services.KIND_CODES else None
    unit = None
    unit_id = query_id("unit_id")
    if unit_id:
        unit = db.get_or_404(Unit, unit_id)
        check_scope(unit.id)
    unit_ids = scope_unit_ids(current_user, unit)
    stmt = services.search(form.q.data or "", kind_code, unit_ids).options(selectinload(Document.unit))
    page = db.paginate(stmt, per_page=current_app.config["PER_PAGE"])
    return render_template(
        "documents/index.html", form=form, page=page, unit=unit, may_create=current_user.role in MANAGERS
    )


@bp.route("/<int:document_id>")
@allow(EVERYONE)
def show(document_id: int):
    document = load_in_scope(Document, document_id)
    return render_template(
        "documents/show.html",
        document=document,
        kind=kind_label(document.kind_code),
        events=audit.history("documents", document.id),
        may_manage=can_manage(current_user, document.unit_id),
    )


def _default_unit_ref() -> str:
    """The unit named in the link that opened the form, else the user's own unit."""
    if request.args.get("unit"):
        return request.args["unit"]
    return unit_ref(current_user.unit) if current_user.unit else ""


@bp.route("/new", methods=["GET", "POST"])
@allow(MANAGERS)
def create():
    form = NewDocumentForm(unit=_default_unit_ref())

    def save():
        unit = find_unit(form.unit.data, "unit", name_scope(current_user))
        check_manage(unit.id)
        return services.create_document(unit, form.reference.data, form.issued_on.data, form.title.data)

    def done(document: Document):
        flash(_("Đã thêm văn bản %(ref)s.", ref=document.reference), "success")
        return redirect(url_for("documents.show", document_id=document.id))

    return round_trip(form, save, lambda: render_template("documents/form.html", form=form, document=None), done)


@bp.route("/<int:document_id>/edit", methods=["GET", "POST"])
@allow(MANAGERS)
def edit(document_id: int):
    document = load_in_scope(Document, document_id, manage=True)
    form = EditDocumentForm(obj=document)

    def save():
        services.update_document(
            document, form.reference.data, form.issued_on.data, form.title.data, expected_version=form.version.number
        )

    def done(_result):
        flash(_("Đã lưu văn bản %(ref)s.", ref=document.reference), "success")
        return redirect(url_for("documents.show", document_id=document.id))

    return round_trip(
        form,
        save,
        lambda: render_template("documents/form.html", form=form, document=document),
        done,
        stale=_("Văn bản này vừa được người khác sửa. Hãy tải lại trang để xem bản mới nhất rồi sửa lại."),
    )
