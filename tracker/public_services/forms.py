"""Forms of the online services catalog: the list's filters, a procedure, its level, a period's records, the
report's choices and the import's upload."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.validators import ValidationError as WTFValidationError

from tracker import imports
from tracker.errors import ValidationError
from tracker.forms import CHOOSE_FROM_LIST, DayField, FilterForm, NumberField, VersionField
from tracker.public_services.models import LEVEL_LABELS
from tracker.public_services.services import LEVELS, PeriodFields, ServiceFields
from tracker.units.forms import UNIT_REF_HELP, UnitField
from tracker.units.models import Unit
from tracker.units.names import find_unit


def level_choices() -> list[tuple[str, str]]:
    return [(str(level), LEVEL_LABELS[level]) for level in sorted(LEVELS, reverse=True)]


def _level(value) -> int | None:
    """A select's level: None for the empty choice; junk becomes 0, which no choice has."""
    if value in (None, ""):
        return None
    return int(value) if str(value).isdigit() else 0


def level_field(label=_l("Mức độ")) -> SelectField:
    return SelectField(
        label,
        coerce=_level,
        choices=level_choices,
        invalid_choice_message=CHOOSE_FROM_LIST,
        description=_l(
            "Theo Nghị định 42/2022: mức độ 3 là một phần, mức độ 4 là toàn trình; mức độ 1, 2 chưa tính là trực tuyến."
        ),
    )


class CountField(NumberField):
    """A number of records: typed like any number ("1.234"), shown from the row as a whole number."""

    def _value(self):
        if not self.raw_data and isinstance(self.data, int):
            return str(self.data)
        return super()._value()


class ServiceFilterForm(FilterForm):
    unit = UnitField(_l("Đơn vị"), description=UNIT_REF_HELP)
    q = StringField(_l("Tìm theo mã, tên hoặc lĩnh vực"))
    level = SelectField(
        _l("Mức độ"),
        choices=lambda: [
            ("", _l("Tất cả")),
            ("4", _l("Toàn trình (mức độ 4)")),
            ("3", _l("Một phần (mức độ 3)")),
            ("online", _l("Trực tuyến: một phần và toàn trình")),
            ("offline", _l("Chưa cung cấp trực tuyến (mức độ 1, 2)")),
            ("2", LEVEL_LABELS[2]),
            ("1", LEVEL_LABELS[1]),
        ],
        validate_choice=False,
    )


class ServiceUnitForm(FlaskForm):
    # Declared before ServiceForm: WTForms orders fields by declaration, so the unit comes first.
    unit = UnitField(_l("Đơn vị"), description=UNIT_REF_HELP)
    found_unit: Unit | None = None
    # The unit among whose subtree a typed name is read (access.name_scope of the user; None: everywhere).
    within: int | None = None

    def validate_unit(self, field):
        try:
            self.found_unit = find_unit(field.data, "unit", self.within)
        except ValidationError as exc:
            raise WTFValidationError(exc.fields["unit"]) from None


class ServiceForm(FlaskForm):
    code = StringField(_l("Mã thủ tục"), description=_l("Mã trên Cổng Dịch vụ công quốc gia, ví dụ 1.004227."))
    name = StringField(_l("Tên thủ tục"), description=_l("Ví dụ: Thủ tục đăng ký khai sinh."))
    field = StringField(_l("Lĩnh vực"), description=_l("Ví dụ: Hộ tịch, Chứng thực, Đất đai."))
    level = level_field()
    online_since = DayField(
        _l("Trực tuyến từ ngày"),
        description=_l("dd/mm/yyyy; để trống thì ghi ngày hôm nay khi thủ tục lên mức độ 3, 4."),
    )

    def fields(self) -> ServiceFields:
        """What the service needs; it cleans, checks and names every bad field."""
        return ServiceFields(
            code=self.code.data or "",
            name=self.name.data or "",
            field=self.field.data or "",
            level=self.level.data,
            online_since=self.online_since.data,
        )


class CreateServiceForm(ServiceUnitForm, ServiceForm):
    pass


class EditServiceForm(ServiceForm):
    version = VersionField()


class LevelForm(FlaskForm):
    level = level_field(_l("Mức độ mới"))
    version = VersionField()


class PeriodForm(FlaskForm):
    period_start = DayField(_l("Từ ngày"), description=_l("Ngày đầu kỳ, dd/mm/yyyy, ví dụ 01/01/2025."))
    period_end = DayField(_l("Đến ngày"), description=_l("Ngày cuối kỳ, ví dụ 31/03/2025."))
    records_total = CountField(
        _l("Tổng số hồ sơ"), description=_l("Hồ sơ tiếp nhận trong kỳ (trực tiếp và trực tuyến).")
    )
    records_online = CountField(_l("Hồ sơ trực tuyến"), description=_l("Hồ sơ nộp trực tuyến trong kỳ."))

    def fields(self) -> PeriodFields:
        return PeriodFields(
            period_start=self.period_start.data,
            period_end=self.period_end.data,
            records_total=self.records_total.data,
            records_online=self.records_online.data,
        )


class EditPeriodForm(PeriodForm):
    version = VersionField()


class ReportForm(FilterForm):
    unit = UnitField(_l("Đơn vị"), description=UNIT_REF_HELP)
    start = DayField(_l("Hồ sơ từ ngày"), description=_l("Để trống: mọi kỳ đã nhập."))
    end = DayField(_l("Đến ngày"))


class ServiceImportForm(imports.UploadForm):
    unit = UnitField(
        _l("Đơn vị"),
        description=_l("Đơn vị của các dòng để trống cột “Mã đơn vị”. %(help)s", help=UNIT_REF_HELP),
    )
    period_start = DayField(_l("Kỳ báo cáo từ ngày"), description=_l("Cho các dòng để trống cột “Từ ngày”."))
    period_end = DayField(_l("Kỳ báo cáo đến ngày"), description=_l("Cho các dòng để trống cột “Đến ngày”."))
