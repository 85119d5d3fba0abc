"""Importing the members of one board from CSV or XLSX on the import engine (tracker.imports.engine).

Each row seats a person through tracker.boards.services, so a row is refused for exactly what the member form
refuses (a second head over the same period, an end before the start, an account out of scope…). Documents and
accounts named by the file are looked up in one query each; two head rows of the file whose periods meet are
refused too, and nothing is imported while any row has an error.
"""

from flask_babel import LazyString, force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from tracker.auth.models import User
from tracker.boards import services
from tracker.boards.models import HEAD_ROLES, Board, MemberRole
from tracker.db import local_today
from tracker.documents.models import Document
from tracker.documents.services import parse_reference
from tracker.errors import ValidationError
from tracker.extensions import db
from tracker.forms import parse_day
from tracker.imports.engine import Column, RowResult
from tracker.text import fold
from tracker.units.services import subtree_select

# Service field → import column.
COLUMN_OF = {"user_id": "username", "appointed_by_document_id": "appointed_by"}


def _role_labels(board: Board | None = None) -> str:
    roles = services.roles_for(board.kind) if board is not None else tuple(MemberRole)
    return ", ".join(str(r.label) for r in roles)


COLUMNS = (
    Column("stt", _l("STT"), False, ("so thu tu", "tt"), "1", 6, _l("Số thứ tự; bỏ qua khi nhập.")),
    Column("person_name", _l("Họ và tên"), True, ("ho ten", "ten", "name", "person name"), "Nguyễn Văn A", 28),
    Column(
        "position",
        _l("Chức vụ"),
        False,
        ("chuc danh", "position"),
        "Phó Chủ tịch UBND phường",
        36,
        _l("Chức vụ, đơn vị công tác của thành viên."),
    ),  # fmt: skip
    Column(
        "role",
        _l("Vai trò trong Ban"),
        True,
        ("vai tro", "role"),
        "Ủy viên",
        24,
        LazyString(lambda: _("Một trong: %(roles)s (hoặc mã: head, member…).", roles=_role_labels())),
    ),  # fmt: skip
    Column("phone", _l("Số điện thoại"), False, ("dien thoai", "sdt", "phone"), "0912345678", 16),
    Column("email", _l("Thư điện tử"), False, ("email", "e-mail", "thu"), "", 28),
    Column(
        "starts_on",
        _l("Ngày bắt đầu"),
        True,
        ("tu ngay", "ngay tham gia", "starts on"),
        "01/07/2025",
        14,
        _l("Ngày bắt đầu tham gia Ban, dạng ngày/tháng/năm."),
    ),  # fmt: skip
    Column(
        "appointed_by",
        _l("Quyết định phân công"),
        False,
        ("quyet dinh", "van ban", "appointed by"),
        "",
        22,
        _l("Số ký hiệu của văn bản đã nhập của đơn vị, ví dụ 63-QĐ/ĐU."),
    ),  # fmt: skip
    Column(
        "username",
        _l("Tài khoản"),
        False,
        ("ten dang nhap", "tai khoan lien ket", "username"),
        "",
        18,
        _l("Tên đăng nhập của tài khoản liên kết, nếu có."),
    ),  # fmt: skip
)


def _roles(board: Board) -> dict[str, MemberRole]:
    """What a "Vai trò" cell may say: the code, the Vietnamese label or the label in the current language."""
    found = {}
    for role in services.roles_for(board.kind):
        found[fold(role.value)] = found[fold(role.value.replace("_", " "))] = role
        found[fold(role.label)] = role
        with force_locale("vi"):
            found[fold(role.label)] = role
    return found


class MemberImport:
    """Rows of members for one board, written on behalf of `user` (whose scope limits the linked accounts)."""

    kind = "members"
    columns = COLUMNS

    def __init__(self, board: Board, user: User | None):
        self.board = board
        self.user = user

    def _documents(self, rows: list[RowResult]) -> dict[str, Document]:
        """{reference as typed: document of the board's unit}; unparseable references become row errors."""
        canonical = {}
        for row in rows:
            typed = row.values.get("appointed_by", "")
            if typed:
                try:
                    canonical[typed] = str(parse_reference(typed))
                except ValidationError as exc:
                    row.error("appointed_by", exc.fields["reference"])
        stmt = select(Document).where(
            Document.reference.in_(set(canonical.values())), Document.unit_id.in_(subtree_select(self.board.unit_id))
        )
        # The unit's own document before a subordinate's, as find_document prefers it.
        by_reference = {}
        for document in db.session.scalars(stmt.order_by(Document.unit_id != self.board.unit_id, Document.id.desc())):
            by_reference.setdefault(document.reference, document)
        return {typed: by_reference[ref] for typed, ref in canonical.items() if ref in by_reference}

    def _users(self, rows: list[RowResult]) -> dict[str, User]:
        names = {r.values["username"] for r in rows if r.values.get("username")}
        if not names:
            return {}
        return {u.username: u for u in db.session.scalars(select(User).where(User.username.in_(names)))}

    def check(self, rows: list[RowResult]) -> None:
        """Resolve each row through the member service's checks; name every problem; warn about repeated names."""
        roles = _roles(self.board)
        documents = self._documents(rows)
        users = self._users(rows)
        current = {fold(m.person_name) for m in services.members(self.board, "current", local_today())}
        head_row = None  # the file's head: its seats have no end, so a second head always meets the first
        seen: dict[str, int] = {}
        for row in rows:
            fields = self._fields(row, roles, documents, users)
            if fields is not None and not row.errors:
                try:
                    fields, warnings = services.check_member(self.board, fields, actor=self.user)
                except ValidationError as exc:
                    for key, message in exc.fields.items():
                        row.error(COLUMN_OF.get(key, key), message)
                else:
                    row.warnings.extend(warnings)
                    row.target = fields
                    if fields.role in HEAD_ROLES and head_row is not None:
                        message = _("Dòng %(n)d của tệp đã là người đứng đầu Ban: mỗi Ban chỉ có một.", n=head_row)
                        row.error("role", message)
                    elif fields.role in HEAD_ROLES:
                        head_row = row.number
            name = fold(row.values.get("person_name", ""))
            if name and name in seen:
                row.warnings.append(_("Trùng họ tên với dòng %(n)d của tệp.", n=seen[name]))
            elif name in current:
                row.warnings.append(_("Ban đã có một thành viên hiện tại cùng họ tên."))
            seen.setdefault(name, row.number)

    def _fields(self, row: RowResult, roles, documents, users) -> services.MemberFields | None:
        values = row.values
        typed_role = values.get("role", "")
        role = roles.get(fold(typed_role))
        if role is None and typed_role:
            labels = _role_labels(self.board)
            row.error("role", _("Vai trò “%(v)s” không có; hãy dùng: %(roles)s.", v=typed_role, roles=labels))
        starts_on = None
        try:
            starts_on = parse_day(values.get("starts_on", ""))
        except ValueError as exc:
            row.error("starts_on", str(exc))
        document = documents.get(values.get("appointed_by", ""))
        if values.get("appointed_by") and document is None and "appointed_by" not in row.errors:
            row.error("appointed_by", _("Không tìm thấy văn bản “%(ref)s” của đơn vị: hãy thêm văn bản trước.",
                                        ref=values["appointed_by"]))  # fmt: skip
        user = users.get(values.get("username", ""))
        if values.get("username") and user is None:
            row.error("username", _("Không có tài khoản nào tên “%(v)s”.", v=values["username"]))
        if role is None:
            return None
        return services.MemberFields(
            person_name=values.get("person_name", ""),
            role=role.value,
            starts_on=starts_on,
            position=values.get("position", ""),
            phone=values.get("phone", ""),
            email=values.get("email", ""),
            user=user,
            appointed_by=document,
        )

    def apply_row(self, row: RowResult) -> None:
        services.add_member(self.board, row.target, actor=self.user)
