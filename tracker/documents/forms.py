from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from tracker.documents.services import KIND_CODES
from tracker.forms import DayField, FilterForm, VersionField
from tracker.units.forms import UNIT_REF_HELP, UnitField

KIND_LABELS = {
    "NQ": _l("Nghị quyết"),
    "QĐ": _l("Quyết định"),
    "CT": _l("Chỉ thị"),
    "QC": _l("Quy chế"),
    "QyĐ": _l("Quy định"),
    "TB": _l("Thông báo"),
    "HD": _l("Hướng dẫn"),
    "CTr": _l("Chương trình"),
    "KH": _l("Kế hoạch"),
    "PA": _l("Phương án"),
    "ĐA": _l("Đề án"),
    "BC": _l("Báo cáo"),
    "BB": _l("Biên bản"),
    "TTr": _l("Tờ trình"),
    "CĐ": _l("Công điện"),
    "GM": _l("Giấy mời"),
    "TT": _l("Thông tư"),
    "NĐ": _l("Nghị định"),
    "CV": _l("Công văn"),
    "TC": _l("Thông cáo"),
    "KL": _l("Kết luận"),
}


def kind_label(code: str) -> str:
    return str(KIND_LABELS.get(code, code))


class DocumentFilterForm(FilterForm):
    q = StringField(_l("Tìm theo số ký hiệu hoặc trích yếu"))
    kind_code = SelectField(
        _l("Loại văn bản"), choices=lambda: [("", _l("Tất cả"))] + [(k, f"{k} — {kind_label(k)}") for k in KIND_CODES]
    )


class UnitChoiceForm(FlaskForm):
    # Declared before DocumentForm: WTForms orders fields by declaration, so the unit comes first.
    unit = UnitField(
        _l("Đơn vị ban hành"),
        validators=[DataRequired(_l("Hãy nhập mã đơn vị."))],
        description=UNIT_REF_HELP,
    )


class DocumentForm(FlaskForm):
    reference = StringField(
        _l("Số ký hiệu"),
        validators=[
            DataRequired(_l("Hãy nhập số ký hiệu của văn bản.")),
            Length(max=80, message=_l("Số ký hiệu dài tối đa 80 ký tự.")),
        ],
        description=_l(
            "Ví dụ 37/KH-UBND (văn bản nhà nước), 63-QĐ/ĐU (văn bản của Đảng) hoặc 1332/STTTT-CNTT (công văn)."
        ),
    )
    issued_on = DayField(_l("Ngày ban hành"), description=_l("dd/mm/yyyy"))
    title = TextAreaField(_l("Trích yếu"), validators=[DataRequired(_l("Hãy nhập trích yếu của văn bản."))])


class NewDocumentForm(UnitChoiceForm, DocumentForm):
    pass


class EditDocumentForm(DocumentForm):
    version = VersionField()
