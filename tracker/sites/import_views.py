"""Importing sites from a CSV or Excel file on the one import flow (tracker.imports.flow): upload → preview
(nothing written) → confirm (all rows or none). The rows left without a unit code go to the unit typed on the form.
"""

from flask import Blueprint, flash, redirect, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from tracker import imports
from tracker.auth.access import STAFF, in_scope
from tracker.formatting import number
from tracker.sites.imports import COLUMNS, SiteImport
from tracker.units.forms import UNIT_REF_HELP, UnitField
from tracker.units.models import Unit
from tracker.units.names import unit_ref

bp = Blueprint("site_imports", __name__, url_prefix="/sites/import")


class SiteImportForm(imports.UploadForm):
    unit = UnitField(
        _l("Đơn vị"),
        description=_l("Đơn vị của các dòng để trống cột “Mã đơn vị”. %(help)s", help=UNIT_REF_HELP),
    )


def _list_url(unit: Unit | None = None) -> str:
    return url_for("sites.index", unit=unit_ref(unit)) if unit else url_for("sites.index")


def _typed_unit(ref: str | None) -> Unit | None:
    return imports.typed_unit(ref, in_scope, _("Đơn vị “%(name)s” nằm ngoài phạm vi của tài khoản."))


class SiteImportFlow(imports.ImportFlow):
    kind = SiteImport.kind
    columns = COLUMNS
    title = _l("Nhập điểm QR từ tệp")
    sheet = _l("Điểm QR")
    template_name = "mau-nhap-diem-qr"
    endpoint = "site_imports."
    form_class = SiteImportForm

    def form(self) -> SiteImportForm:
        return SiteImportForm(unit=unit_ref(current_user.unit) if current_user.unit else "")

    def options(self, form: SiteImportForm) -> dict:
        unit = _typed_unit(form.unit.data)
        return {"unit": unit_ref(unit) if unit else ""}

    def importer(self, options: dict) -> SiteImport:
        return SiteImport(current_user, _typed_unit(options.get("unit", "")))

    def context(self, importer: SiteImport | None) -> str:
        unit = importer.unit if importer else None
        return _("Đơn vị mặc định: %(name)s", name=unit.name) if unit else ""

    def back_url(self) -> str:
        return _list_url()

    def done(self, importer: SiteImport, counts: dict[str, int], result: imports.Preview):
        new, updated = counts[imports.NEW], counts[imports.UPDATE]
        flash(
            _(
                "Đã nhập %(n)s điểm (%(new)s điểm mới, %(updated)s điểm cập nhật).",
                n=number(new + updated),
                new=number(new),
                updated=number(updated),
            ),
            "success",
        )
        return redirect(_list_url(importer.unit))


imports.add_routes(bp, SiteImportFlow, "", STAFF)
