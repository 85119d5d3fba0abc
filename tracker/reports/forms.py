"""Forms of the period reports: a new report's period, the unit's schedule, a draft's text, returning a report, the
reporting page's period. The rules (what a period is, what a draft may hold) are the services'; these only carry
what was typed, so a bad value comes back with the service's message on its field."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired

from tracker.forms import FilterForm, VersionField
from tracker.reports.models import SECTIONS
from tracker.reports.periods import PeriodKind
from tracker.reports.services import EDITABLE

PERIOD_HELP = _l("Ví dụ: 2026-Q3 (quý), 2026-H1 (6 tháng), 2026 (năm), 2026-M11 (tháng).")


class NewReportForm(FlaskForm):
    period = StringField(_l("Kỳ báo cáo"), description=PERIOD_HELP)


class ScheduleForm(FlaskForm):
    # The service reads the letters and names a wrong one; WTForms' own choice check would answer in English.
    kinds = SelectMultipleField(
        _l("Các kỳ báo cáo"), choices=lambda: [(k.value, k.label) for k in PeriodKind], validate_choice=False
    )
    due_day = StringField(_l("Hạn nộp: ngày của tháng cuối kỳ"), description=_l("Từ 1 đến 28, ví dụ 18."))

    @property
    def kinds_text(self) -> str:
        return "".join(self.kinds.data or [])


class ReportForm(FlaskForm):
    """A draft's header, footer and narrative (services.EDITABLE), and the version it was opened at."""

    number = StringField(_l("Số, ký hiệu"), description=_l("Ví dụ: 12/BC-BCĐ; để trống nếu văn thư cấp số sau."))
    place = StringField(_l("Địa danh"), description=_l("Ghi trước ngày tháng, ví dụ: Phổ Yên."))
    issuer = StringField(_l("Cơ quan ban hành"))
    achievements = TextAreaField(SECTIONS[0][1])
    shortcomings = TextAreaField(SECTIONS[1][1])
    causes = TextAreaField(SECTIONS[2][1])
    next_steps = TextAreaField(SECTIONS[3][1])
    proposals = TextAreaField(SECTIONS[4][1])
    recipients = TextAreaField(_l("Nơi nhận"), description=_l("Mỗi nơi một dòng."))
    signer_authority = StringField(_l("Thẩm quyền ký"), description=_l("Ví dụ: TM. BAN CHỈ ĐẠO."))
    signer_title = StringField(_l("Chức vụ người ký"), description=_l("Ví dụ: TRƯỞNG BAN."))
    signer_name = StringField(_l("Họ và tên người ký"))
    version = VersionField()

    def changes(self) -> dict[str, str]:
        return {name: self[name].data for name in EDITABLE}


class ReturnForm(FlaskForm):
    reason = TextAreaField(
        _l("Lý do trả lại"),
        validators=[DataRequired(_l("Hãy ghi lý do trả lại báo cáo."))],
        description=_l("Đơn vị thấy lý do này khi sửa và nộp lại."),
    )
    version = VersionField()


class PeriodForm(FilterForm):
    period = StringField(_l("Kỳ báo cáo"), description=PERIOD_HELP)
