"""Forms of the site registry: the list's filters, registering and editing a site, retiring it, rotating its code."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField

from tracker.forms import CHOOSE_FROM_LIST, FilterForm, VersionField
from tracker.sites.models import SiteKind, SiteStatus
from tracker.sites.services import SiteFields
from tracker.units.forms import UNIT_REF_HELP, UnitField

LAYOUTS = [("a4", _l("A4, một áp phích mỗi trang")), ("a5", _l("A5")), ("a4x4", _l("Tem dán, 4 mã trên một trang A4"))]


class SiteFilterForm(FilterForm):
    unit = UnitField(_l("Đơn vị"), description=UNIT_REF_HELP)
    q = StringField(_l("Tìm theo tên, địa chỉ hoặc mã QR"))
    kind = SelectField(_l("Loại điểm"), choices=lambda: [("", _l("Tất cả")), *SiteKind.choices()])
    status = SelectField(
        _l("Trạng thái"),
        choices=lambda: [*SiteStatus.choices(), ("all", _l("Tất cả"))],
        default="active",
    )
    printed = SelectField(
        _l("Áp phích"), choices=lambda: [("", _l("Tất cả")), ("yes", _l("Đã in")), ("no", _l("Chưa in"))]
    )
    activity = SelectField(
        _l("Lượt quét trong 30 ngày"),
        choices=lambda: [("", _l("Tất cả")), ("active", _l("Có lượt quét")), ("inactive", _l("Chưa có lượt quét"))],
    )

    def filters(self) -> dict[str, str]:
        """The chosen filters as query-string values (what the list and the bulk poster form send)."""
        return {f.name: f.data for f in self if f.data}


class SiteUnitForm(FlaskForm):
    # Declared before SiteForm: WTForms orders fields by declaration, so the unit comes first.
    unit = UnitField(_l("Đơn vị"), description=UNIT_REF_HELP)


class SiteForm(FlaskForm):
    name = StringField(_l("Tên điểm"), description=_l("Ví dụ: Chợ Bãi Bông, Trường Tiểu học Phổ Yên."))
    kind = SelectField(_l("Loại điểm"), choices=SiteKind.choices, invalid_choice_message=CHOOSE_FROM_LIST)
    address = StringField(_l("Địa chỉ"))
    contact_name = StringField(_l("Người liên hệ"))
    contact_phone = StringField(_l("Số điện thoại liên hệ"))

    def fields(self) -> SiteFields:
        """What the service needs; it cleans, checks and names every bad field."""
        return SiteFields(
            name=self.name.data or "",
            kind=self.kind.data or "",
            address=self.address.data or "",
            contact_name=self.contact_name.data or "",
            contact_phone=self.contact_phone.data or "",
        )


class CreateSiteForm(SiteUnitForm, SiteForm):
    pass


class EditSiteForm(SiteForm):
    version = VersionField()


class StatusForm(FlaskForm):
    status = SelectField(
        _l("Trạng thái"),
        choices=SiteStatus.choices,
        invalid_choice_message=CHOOSE_FROM_LIST,
    )
    version = VersionField()


class RotateForm(FlaskForm):
    version = VersionField()
