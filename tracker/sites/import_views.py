"""Importing sites from a CSV or Excel file: upload → preview (nothing written) → confirm (all rows or none).

The upload is kept server-side under a token between the preview and the confirmation, so the file is not sent
twice; the confirmation reads and checks it again, since the registry may have changed meanwhile.
"""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from tracker import imports
from tracker.auth.access import EVERYONE, STAFF, allow, in_scope, name_scope
from tracker.errors import ValidationError
from tracker.extensions import db
from tracker.formatting import number
from tracker.sites.imports import COLUMNS, SiteImport
from tracker.units.forms import UNIT_REF_HELP, UnitField
from tracker.units.models import Unit
from tracker.units.names import find_unit, unit_ref

bp = Blueprint("site_imports", __name__, url_prefix="/sites/import")

TITLE = _l("Nhập điểm QR từ tệp")
TEMPLATE_NAME = "mau-nhap-diem-qr"


class SiteImportForm(imports.UploadForm):
    unit = UnitField(
        _l("Đơn vị"),
        description=_l("Đơn vị của các dòng để trống cột “Mã đơn vị”. %(help)s", help=UNIT_REF_HELP),
    )


def _list_url(unit: Unit | None = None) -> str:
    return url_for("sites.index", unit=unit_ref(unit)) if unit else url_for("sites.index")


def _unit(ref: str) -> Unit | None:
    """The unit typed on the form (None when left empty), or a ValidationError on `unit`."""
    if not (ref or "").strip():
        return None
    unit = find_unit(ref, "unit", name_scope(current_user))
    if not in_scope(current_user, unit.id):
        raise ValidationError({"unit": _("Đơn vị “%(name)s” nằm ngoài phạm vi của tài khoản.", name=unit.name)})
    return unit


def _upload_page(form: SiteImportForm, status: int = 200):
    templates = {fmt: url_for("site_imports.template", fmt=fmt) for fmt in ("xlsx", "csv")}
    page = render_template(
        "imports/upload.html", form=form, title=TITLE, columns=COLUMNS, templates=templates, back_url=_list_url()
    )
    return page, status


def _preview_page(result: imports.Preview, token: str | None, unit: Unit | None, status: int):
    page = render_template(
        "imports/preview.html",
        title=TITLE,
        result=result,
        token=token,
        confirm_url=url_for("site_imports.confirm"),
        again_url=url_for("site_imports.upload"),
        back_url=_list_url(),
        context=_("Đơn vị mặc định: %(name)s", name=unit.name) if unit else "",
    )
    return page, status


@bp.route("", methods=["GET", "POST"])
@allow(STAFF)
def upload():
    form = SiteImportForm(unit=unit_ref(current_user.unit) if current_user.unit else "")
    if not form.validate_on_submit():
        return _upload_page(form, 400 if form.is_submitted() else 200)
    try:
        unit = _unit(form.unit.data)
    except ValidationError as exc:
        form.unit.errors = list(exc.fields.values())
        return _upload_page(form, 400)
    data, filename = form.file.data.read(), form.file.data.filename or ""
    result = imports.preview(SiteImport(current_user, unit), data, filename)
    if result.fatal:
        form.file.errors = result.fatal
        return _upload_page(form, 400)
    token = None
    if result.ok:
        options = {"unit": unit_ref(unit) if unit else ""}
        token = imports.stash(SiteImport.kind, current_user.id, data, filename, options)
    return _preview_page(result, token, unit, 200 if result.ok else 400)


@bp.post("/confirm")
@allow(STAFF)
def confirm():
    token = request.form.get("token", "")
    stashed = imports.load_stash(SiteImport.kind, token, current_user.id)
    try:
        unit = _unit(stashed.options.get("unit", ""))
    except ValidationError as exc:
        result = imports.Preview(COLUMNS, fatal=list(exc.fields.values()))
        return _preview_page(result, None, None, 409)
    importer = SiteImport(current_user, unit)
    result = imports.preview(importer, stashed.data, stashed.filename)
    if not result.ok:
        db.session.rollback()
        flash(_("Dữ liệu đã thay đổi kể từ lúc xem trước: chưa nhập dòng nào. Hãy xem các lỗi dưới đây."), "error")
        return _preview_page(result, None, unit, 409)
    try:
        counts = imports.apply(importer, result)
        db.session.commit()
    except ValidationError as exc:
        db.session.rollback()
        result.fatal = list(exc.fields.values())
        return _preview_page(result, None, unit, 409)
    imports.discard(token)
    total = counts[imports.NEW] + counts[imports.UPDATE]
    flash(
        _(
            "Đã nhập %(n)s điểm (%(new)s điểm mới, %(updated)s điểm cập nhật).",
            n=number(total),
            new=number(counts[imports.NEW]),
            updated=number(counts[imports.UPDATE]),
        ),
        "success",
    )
    return redirect(_list_url(unit))


@bp.get("/template.<any(xlsx, csv):fmt>")
@allow(EVERYONE)
def template(fmt: str):
    body = imports.template_xlsx(COLUMNS, _("Điểm QR")) if fmt == "xlsx" else imports.template_csv(COLUMNS)
    return imports.download(body, fmt, TEMPLATE_NAME)
