"""How audit diffs read on screen: Vietnamese field names, labelled choices, dd/mm/yyyy dates."""

import re
from datetime import date, datetime
from functools import cache

from flask_babel import lazy_gettext as _l
from sqlalchemy import Table, select

from tracker.auth.models import Role
from tracker.boards.models import BoardKind, MemberRole
from tracker.extensions import db
from tracker.formatting import vn_date, vn_datetime
from tracker.programs.models import Lifecycle, MeasureKind, TaskCategory, TaskSource
from tracker.sites.models import SiteKind, SiteStatus
from tracker.units.models import UnitKind

FIELD_LABELS = {
    "name": _l("Tên"),
    "code": _l("Mã"),
    "kind": _l("Loại"),
    "parent_id": _l("Cấp trên"),
    "valid_from": _l("Hiệu lực từ"),
    "valid_to": _l("Hiệu lực đến"),
    "merged_into_id": _l("Sáp nhập vào"),
    "unit_id": _l("Đơn vị"),
    "reference": _l("Số ký hiệu"),
    "number": _l("Số"),
    "kind_code": _l("Loại văn bản"),
    "issuer_code": _l("Cơ quan ban hành"),
    "issued_on": _l("Ngày ban hành"),
    "title": _l("Tên, trích yếu"),
    "username": _l("Tên đăng nhập"),
    "full_name": _l("Họ và tên"),
    "role": _l("Vai trò"),
    "is_active": _l("Đang hoạt động"),
    "reason": _l("Lý do"),
    "description": _l("Nội dung (rõ việc)"),
    "owner_name": _l("Người thực hiện (rõ người)"),
    "owner_user_id": _l("Tài khoản thực hiện"),
    "owner_member_id": _l("Thành viên thực hiện"),
    "responsible": _l("Đơn vị chủ trì (rõ trách nhiệm)"),
    "deadline": _l("Thời hạn (rõ thời gian)"),
    "expected_result": _l("Kết quả (rõ kết quả)"),
    "category": _l("Nhóm"),
    "weight": _l("Trọng số"),
    "update_every_days": _l("Chu kỳ cập nhật (ngày)"),
    "lifecycle": _l("Tình trạng"),
    "lifecycle_reason": _l("Lý do"),
    "measure_kind": _l("Cách đo"),
    "baseline": _l("Giá trị ban đầu"),
    "target": _l("Chỉ tiêu"),
    "unit_label": _l("Đơn vị tính"),
    "source": _l("Nguồn số liệu"),
    "value": _l("Giá trị"),
    "note": _l("Ghi chú"),
    "evidence_url": _l("Đường dẫn minh chứng"),
    "evidence_document_id": _l("Văn bản minh chứng"),
    "starts_on": _l("Ngày bắt đầu"),
    "ends_on": _l("Ngày kết thúc"),
    "is_public": _l("Công khai"),
    "is_archived": _l("Lưu trữ"),
    "basis_document_id": _l("Văn bản căn cứ"),
    "program_id": _l("Chương trình"),
    "task_id": _l("Nhiệm vụ"),
    "at": _l("Thời điểm"),
    "status": _l("Trạng thái"),
    "address": _l("Địa chỉ"),
    "person_name": _l("Họ và tên"),
    "position": _l("Chức vụ"),
    "target_size": _l("Số thành viên theo kế hoạch"),
    "level": _l("Mức độ"),
    "path": _l("Địa chỉ trang"),
    "method": _l("Phương thức"),
    "phone": _l("Điện thoại"),
    "email": _l("Thư điện tử"),
    "user_id": _l("Tài khoản"),
    "board_id": _l("Ban"),
    "parent_board_id": _l("Thuộc Ban"),
    "established_by_document_id": _l("Quyết định thành lập"),
    "appointed_by_document_id": _l("Quyết định phân công"),
    "contact_name": _l("Người liên hệ"),
    "contact_phone": _l("Điện thoại liên hệ"),
    "poster_printed_at": _l("In áp phích lần gần nhất"),
    "field": _l("Lĩnh vực"),
    "online_since": _l("Cung cấp trực tuyến từ"),
    "service_id": _l("Thủ tục"),
    "period_start": _l("Từ ngày"),
    "period_end": _l("Đến ngày"),
    "records_total": _l("Tổng số hồ sơ"),
    "records_online": _l("Hồ sơ trực tuyến"),
    "source_board_id": _l("Ban được theo dõi số thành viên"),
    "source_site_kind": _l("Loại điểm QR được đếm"),
    "site_id": _l("Điểm QR"),
    "retired_at": _l("Thời điểm"),
}

# Where the same column name reads differently by table.
_ENTITY_LABELS = {
    ("documents", "title"): _l("Trích yếu"),
    ("programs", "title"): _l("Tên chương trình"),
    ("tasks", "title"): _l("Tên nhiệm vụ"),
    ("units", "name"): _l("Tên đơn vị"),
    ("units", "code"): _l("Mã đơn vị"),
    ("units", "kind"): _l("Loại đơn vị"),
    ("units", "parent_id"): _l("Đơn vị cấp trên"),
    ("boards", "name"): _l("Tên ban"),
    ("public_services", "code"): _l("Mã thủ tục"),
    ("public_services", "name"): _l("Tên thủ tục"),
    ("tasks", "position"): _l("Thứ tự"),
}

# What each audited table is called on screen, and the column that names one of its rows.
ENTITY_LABELS = {
    "units": _l("Đơn vị"),
    "documents": _l("Văn bản"),
    "programs": _l("Chương trình"),
    "tasks": _l("Nhiệm vụ"),
    "task_updates": _l("Cập nhật tiến độ"),
    "boards": _l("Ban"),
    "memberships": _l("Thành viên Ban"),
    "sites": _l("Điểm QR"),
    "retired_site_codes": _l("Mã QR đã thay"),
    "public_services": _l("Thủ tục dịch vụ công"),
    "service_periods": _l("Số liệu kỳ của thủ tục"),
    "users": _l("Tài khoản"),
    "api_tokens": _l("Mã truy cập API"),
    "settings": _l("Cấu hình"),
    "request": _l("Yêu cầu bị từ chối"),
}
_NAME_COLUMNS = {
    "units": "name",
    "documents": "reference",
    "programs": "title",
    "tasks": "title",
    "boards": "name",
    "memberships": "person_name",
    "sites": "name",
    "public_services": "name",
    "users": "username",
    "api_tokens": "name",
}

_ENUMS = {
    ("units", "kind"): UnitKind,
    ("users", "role"): Role,
    ("memberships", "role"): MemberRole,
    ("boards", "kind"): BoardKind,
    ("sites", "kind"): SiteKind,
    ("tasks", "source_site_kind"): SiteKind,
    ("sites", "status"): SiteStatus,
    ("tasks", "category"): TaskCategory,
    ("tasks", "lifecycle"): Lifecycle,
    ("tasks", "measure_kind"): MeasureKind,
    ("tasks", "source"): TaskSource,
}
_ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ISO_MOMENT = re.compile(r"^\d{4}-\d{2}-\d{2}T")


def entity_label(entity: str) -> str:
    """'sites' → 'Điểm QR'; a table with no label reads as itself."""
    return str(ENTITY_LABELS.get(entity, entity))


def _tables() -> dict[str, Table]:
    return {mapper.local_table.name: mapper.local_table for mapper in db.Model.registry.mappers}


@cache
def foreign_table(entity: str, name: str) -> str | None:
    """The named table a column of `entity` points at ('programs' for tasks.program_id), else None."""
    table = _tables().get(entity)
    if table is None or name not in table.c:
        return None
    targets = {key.column.table.name for key in table.c[name].foreign_keys}
    target = targets.pop() if len(targets) == 1 else None
    return target if target in _NAME_COLUMNS else None


def _ids(value) -> list[int]:
    """The row ids one entry of a diff holds: both sides of a change, or the one value recorded."""
    values = value if isinstance(value, list | tuple) else [value]
    return [v for v in values if isinstance(v, int) and not isinstance(v, bool)]


def row_names(events) -> dict[tuple[str, int], str]:
    """The name of each row the events are about, and of each row their changes point at (a task's program, a
    board's unit…), as it reads now: one query per table, whatever the page's size."""
    wanted: dict[str, set[int]] = {}
    for event in events:
        if event.entity in _NAME_COLUMNS and event.entity_id is not None:
            wanted.setdefault(event.entity, set()).add(event.entity_id)
        changes = event.changes if isinstance(event.changes, dict) else {}
        for name, value in changes.items():
            target = foreign_table(event.entity, name)
            if target is not None and _ids(value):
                wanted.setdefault(target, set()).update(_ids(value))
    tables = _tables()
    names = {}
    for entity, ids in wanted.items():
        table = tables[entity]
        column = table.c[_NAME_COLUMNS[entity]]
        for ident, name in db.session.execute(select(table.c.id, column).where(table.c.id.in_(ids))):
            names[(entity, ident)] = name
    return names


def entity_text(entity: str, entity_id: int | None, names: dict[tuple[str, int], str]) -> str:
    """'Điểm QR «Chợ Bãi Bông»'; 'Điểm QR số 4' when the row has no name (or is gone); the label alone for none."""
    label = entity_label(entity)
    if entity_id is None:
        return label
    name = names.get((entity, entity_id))
    return f"{label} «{name}»" if name else str(_l("%(what)s số %(id)d", what=label, id=entity_id))


def field_label(entity: str, name: str) -> str:
    return str(_ENTITY_LABELS.get((entity, name)) or FIELD_LABELS.get(name, name))


def field_value(entity: str, name: str, value, names: dict[tuple[str, int], str] | None = None) -> str:
    """One side of a diff as people read it; a column pointing at a row reads as that row's name from `names`
    (row_names of the events shown), or 'Chương trình số 4' when the row is gone."""
    if value is None or value == "":
        return "—"
    target = foreign_table(entity, name) if names is not None else None
    if target is not None and isinstance(value, int) and not isinstance(value, bool):
        return names.get((target, value)) or str(_l("%(what)s số %(id)d", what=entity_label(target), id=value))
    if isinstance(value, bool):
        return str(_l("Có") if value else _l("Không"))
    enum = _ENUMS.get((entity, name))
    if enum is not None and value in {m.value for m in enum}:
        return enum(value).label
    if isinstance(value, str) and _ISO_DAY.match(value):
        return vn_date(date.fromisoformat(value))
    if isinstance(value, str) and _ISO_MOMENT.match(value):
        return vn_datetime(datetime.fromisoformat(value))
    if (entity, name) == ("task_updates", "note"):
        return str(_l(value))  # the system's own notes are stored in Vietnamese (tracker/programs/live.py)
    return str(value)
