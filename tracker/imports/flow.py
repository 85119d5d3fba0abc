"""The one web flow of every import: upload → preview (nothing written) → confirm (all rows or none), and the blank
template to fill in. It is the only part of the import that speaks HTTP.

An area states its rules in a subclass of `ImportFlow` (its importer, title, columns, template name, the options its
upload form keeps, where to go once done) and calls `add_routes` on its blueprint. The flow renders
templates/imports/upload.html and preview.html and answers 400 for a bad file or bad rows, 409 when the data changed
since the preview (the confirmation reads and checks the kept file again), 410 for a token unknown, expired or used,
403 for another user's upload. The upload is kept server-side between the preview and the confirmation
(tracker.imports.stashes), so the file is not sent twice.
"""

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any, NoReturn

from flask import Response, abort, flash, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired

from tracker import downloads
from tracker.auth.access import EVERYONE, allow, name_scope
from tracker.errors import ValidationError, abort_with
from tracker.extensions import db
from tracker.forms import show_errors
from tracker.imports import stashes
from tracker.imports.engine import Column, Importer, Preview, apply, preview
from tracker.imports.writing import template_csv, template_xlsx
from tracker.units.models import Unit
from tracker.units.names import find_unit

CHANGED = _l("Dữ liệu đã thay đổi kể từ lúc xem trước: chưa nhập dòng nào. Hãy xem các lỗi dưới đây.")


class UploadForm(FlaskForm):
    """The upload form every import uses; subclass it to add the import's own choices (e.g. a unit)."""

    file = FileField(
        _l("Tệp CSV hoặc Excel (.xlsx)"),
        validators=[FileRequired(_l("Hãy chọn tệp cần nhập."))],
        description=_l("Tối đa 10.000 dòng. Dùng tệp mẫu để có đúng các cột."),
    )


def load_stash(kind: str, token: str, user_id: int) -> stashes.Stashed:
    """The upload kept under `token`: 410 when unknown, expired or of another import, 403 when another user's."""
    try:
        return stashes.load(kind, token, user_id)
    except stashes.Gone:
        _gone()
    except stashes.NotYours:
        abort(403)


def _gone() -> NoReturn:
    abort_with(410, _("Phiên nhập này đã hết hạn hoặc đã được xác nhận. Hãy tải tệp lên lại."))


def typed_unit(ref: str | None, allowed, refused: str) -> Unit | None:
    """The unit typed on an upload form for the rows that name none (None when left empty), looked for within the
    user's scope; a ValidationError on `unit` when it is unknown or `allowed(user, unit_id)` is false (`refused`
    names it as %(name)s)."""
    if not (ref or "").strip():
        return None
    unit = find_unit(ref, "unit", name_scope(current_user))
    if not allowed(current_user, unit.id):
        raise ValidationError({"unit": refused % {"name": unit.name}})
    return unit


class ImportFlow(ABC):
    """One area's import. An instance serves one request; `view_args` are its route's (a board's id), which a
    subclass's __init__ may load and check access to (a 403 or 404 comes before anything else)."""

    kind: str  # the importer's kind: the namespace of its kept uploads
    columns: Sequence[Column]
    title: str  # of the upload and preview pages
    sheet: str  # the title of the template's first sheet
    template_name: str  # the template's file name, ASCII, without extension
    endpoint: str  # the routes' endpoint prefix: "boards.import_" names boards.import_upload, …_confirm, …_template
    form_class: type[UploadForm] = UploadForm

    def __init__(self, **view_args: Any):
        self.view_args = view_args

    # --- what an area says ---------------------------------------------------------------------------------------

    def form(self) -> UploadForm:
        """The upload form, with its defaults."""
        return self.form_class()

    def options(self, form: UploadForm) -> dict:
        """What the upload form chose, kept with the upload (JSON) and given back to `importer` at confirmation; a
        ValidationError names the form's field that is wrong."""
        return {}

    @abstractmethod
    def importer(self, options: dict) -> Importer:
        """The import the options ask for; a ValidationError names the upload form's field that is wrong (at the
        confirmation, the options are shown as a problem of the file: a unit left the user's scope meanwhile)."""

    def context(self, importer: Importer | None) -> str:
        """The line under the preview's title (what the rows go to)."""
        return ""

    @abstractmethod
    def back_url(self) -> str:
        """Where the pages' "back" link and a cancelled import go (the area's list)."""

    @abstractmethod
    def done(self, importer: Importer, counts: dict[str, int], result: Preview) -> Response:
        """The answer once the rows are written and committed: a flash and a redirect."""

    # --- the flow ------------------------------------------------------------------------------------------------

    def url(self, step: str) -> str:
        return url_for(self.endpoint + step, **self.view_args)

    def _upload_page(self, form: UploadForm, status: int):
        templates = {fmt: url_for(self.endpoint + "template", fmt=fmt) for fmt in ("xlsx", "csv")}
        page = render_template(
            "imports/upload.html",
            form=form,
            title=self.title,
            columns=self.columns,
            templates=templates,
            back_url=self.back_url(),
        )
        return page, status

    def _preview_page(self, result: Preview, token: str | None, importer: Importer | None, status: int):
        page = render_template(
            "imports/preview.html",
            title=self.title,
            result=result,
            token=token,
            confirm_url=self.url("confirm"),
            again_url=self.url("upload"),
            back_url=self.back_url(),
            context=self.context(importer),
        )
        return page, status

    def upload(self):
        """GET: the upload form. POST: the file checked row by row and shown, kept when it may be applied."""
        form = self.form()
        if not form.validate_on_submit():
            return self._upload_page(form, 400 if form.is_submitted() else 200)
        try:
            options = self.options(form)
            importer = self.importer(options)
        except ValidationError as exc:
            show_errors(form, exc)
            return self._upload_page(form, 400)
        data, filename = form.file.data.read(), form.file.data.filename or ""
        result = preview(importer, data, filename)
        if result.fatal:
            form.file.errors = result.fatal
            return self._upload_page(form, 400)
        token = stashes.stash(self.kind, current_user.id, data, filename, options) if result.ok else None
        return self._preview_page(result, token, importer, 200 if result.ok else 400)

    def confirm(self):
        """The kept file checked again (the registry may have changed since its preview) and written, or nothing."""
        token = request.form.get("token", "")
        stashed = load_stash(self.kind, token, current_user.id)
        try:
            importer = self.importer(stashed.options)
        except ValidationError as exc:
            return self._preview_page(Preview(self.columns, fatal=list(exc.fields.values())), None, None, 409)
        result = preview(importer, stashed.data, stashed.filename)
        if not result.ok:
            db.session.rollback()
            if result.rows and not result.fatal:
                flash(str(CHANGED), "error")
            return self._preview_page(result, None, importer, 409)
        try:
            counts = apply(importer, result)
            db.session.commit()
        except ValidationError as exc:
            db.session.rollback()
            result.fatal = list(exc.fields.values())
            return self._preview_page(result, None, importer, 409)
        stashes.discard(token)
        return self.done(importer, counts, result)

    @classmethod
    def template(cls, fmt: str) -> Response:
        """The blank file to fill in, as XLSX (with a sheet explaining each column) or CSV."""
        body = template_xlsx(cls.columns, str(cls.sheet)) if fmt == "xlsx" else template_csv(cls.columns)
        return downloads.attachment(body, downloads.CONTENT_TYPES[fmt], f"{cls.template_name}.{fmt}")


def add_routes(bp, flow: type[ImportFlow], rule: str, roles, template_rule: str | None = None) -> None:
    """The flow's three routes on `bp`: `rule` (GET, POST) and `rule`/confirm (POST) for `roles`, and the template
    (`template_rule`, by default `rule`/template.xlsx or .csv) for everyone. Endpoints: the flow's prefix + upload,
    confirm, template."""
    prefix = flow.endpoint.split(".", 1)[1]

    @allow(roles)
    def upload(**view_args):
        return flow(**view_args).upload()

    @allow(roles)
    def confirm(**view_args):
        return flow(**view_args).confirm()

    @allow(EVERYONE)
    def template(fmt: str):
        return flow.template(fmt)

    bp.add_url_rule(rule, prefix + "upload", upload, methods=["GET", "POST"])
    bp.add_url_rule(f"{rule}/confirm", prefix + "confirm", confirm, methods=["POST"])
    bp.add_url_rule(template_rule or f"{rule}/template.<any(xlsx, csv):fmt>", prefix + "template", template)
