"""Forms of boards and memberships: the list's filters, a board, a member, ending a seat, changing a role."""

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import SelectField, StringField

from tracker.auth.models import Role, User
from tracker.boards.models import Board, BoardKind, MemberRole
from tracker.boards.services import BoardFields, MemberFields, roles_for
from tracker.documents.models import Document
from tracker.documents.services import find_document
from tracker.extensions import db
from tracker.forms import CHOOSE_FROM_LIST, DayField, FilterForm, NumberField, VersionField, optional_id
from tracker.units.forms import UNIT_REF_HELP, UnitField
from tracker.units.models import Unit
from tracker.units.services import ancestor_ids, subtree_select

DECISION_HELP = _l("Số ký hiệu của một văn bản đã nhập của đơn vị, ví dụ 63-QĐ/ĐU hoặc 885/QĐ-UBND.")
DAY_HELP = _l("dd/mm/yyyy")
# Where a service's message on an id goes on a form that asks for a reference instead.
FIELD_OF = {
    "unit_id": "unit",
    "established_by_document_id": "established_by_reference",
    "appointed_by_document_id": "appointed_by_reference",
}


class CountField(NumberField):
    """A whole number of people, or None when empty; read like every typed number (tracker.numbers)."""

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        if self.data is not None:
            if self.data != self.data.to_integral_value():
                raise ValueError(_("“%(v)s” không phải là số nguyên; ví dụ hợp lệ: 27.", v=valuelist[0].strip()))
            self.data = int(self.data)


def _id_select(label, description=None) -> SelectField:
    return SelectField(
        label, coerce=optional_id, choices=[], invalid_choice_message=CHOOSE_FROM_LIST, description=description
    )


def _document(unit: Unit, field) -> Document | None:
    """The document a reference field names (None when blank), or a ValidationError on that field."""
    return find_document(unit, field.data, field.name)


class BoardFilterForm(FilterForm):
    unit = UnitField(_l("Đơn vị"), description=UNIT_REF_HELP)
    kind = SelectField(_l("Loại Ban"), choices=lambda: [("", _l("Tất cả")), *BoardKind.choices()])


class BoardUnitForm(FlaskForm):
    # Declared before BoardForm: WTForms orders fields by declaration, so the unit comes first.
    unit = UnitField(_l("Đơn vị"), description=UNIT_REF_HELP)


class BoardForm(FlaskForm):
    name = StringField(_l("Tên Ban"), description=_l("Ví dụ: Ban chỉ đạo chuyển đổi số phường Bãi Bông."))
    kind = SelectField(_l("Loại Ban"), choices=BoardKind.choices, invalid_choice_message=CHOOSE_FROM_LIST)
    parent_board_id = _id_select(_l("Trực thuộc Ban chỉ đạo"), _l("Chỉ với Tổ giúp việc."))
    established_by_reference = StringField(_l("Quyết định thành lập"), description=DECISION_HELP)
    target_size = CountField(_l("Số thành viên theo kế hoạch"), description=_l("Ví dụ 27; để trống nếu chưa định."))

    def fill_choices(self, unit: Unit | None, board: Board | None = None) -> None:
        """The steering boards of the unit a working group may belong to."""
        boards = []
        if unit is not None:
            boards = db.session.scalars(
                select(Board)
                .where(Board.unit_id == unit.id, Board.kind == BoardKind.STEERING_BOARD)
                .order_by(Board.name, Board.id)
            ).all()
        self.parent_board_id.choices = [("", _("— Không trực thuộc —"))] + [
            (b.id, b.name) for b in boards if board is None or b.id != board.id
        ]

    def fields(self, unit: Unit) -> BoardFields:
        """What the service needs; a reference that names no document of the unit is a ValidationError."""
        return BoardFields(
            name=self.name.data or "",
            kind=self.kind.data or "",
            target_size=self.target_size.data,
            established_by=_document(unit, self.established_by_reference),
            parent_board=db.session.get(Board, self.parent_board_id.data) if self.parent_board_id.data else None,
        )


class NewBoardForm(BoardUnitForm, BoardForm):
    pass


class EditBoardForm(BoardForm):
    version = VersionField()


def _role_select(label) -> SelectField:
    return SelectField(label, choices=[], invalid_choice_message=CHOOSE_FROM_LIST)


def role_choices(board: Board) -> list[tuple[str, str]]:
    return [(r.value, r.label) for r in roles_for(board.kind)]


class MemberDetailsForm(FlaskForm):
    person_name = StringField(_l("Họ và tên"))
    position = StringField(_l("Chức vụ"), description=_l("Ví dụ: Bí thư Đảng ủy, Chủ tịch HĐND phường."))
    phone = StringField(_l("Số điện thoại"))
    email = StringField(_l("Thư điện tử"))
    starts_on = DayField(_l("Ngày bắt đầu"), description=DAY_HELP)
    appointed_by_reference = StringField(_l("Quyết định phân công"), description=DECISION_HELP)
    user_id = _id_select(_l("Tài khoản liên kết"), _l("Để thành viên đăng nhập và cập nhật nhiệm vụ của mình."))

    def fill_choices(self, board: Board, actor: User, linked_id: int | None = None) -> None:
        """Active accounts whose rights reach the board's unit and that the actor may see (plus the linked one)."""
        stmt = select(User).where(User.is_active.is_(True), User.unit_id.in_(ancestor_ids(board.unit_id)))
        if actor.role != Role.ADMIN:
            stmt = stmt.where(User.unit_id.in_(subtree_select(actor.unit_id)))
        users = db.session.scalars(stmt.order_by(User.full_name, User.username)).all()
        if linked_id is not None and linked_id not in {u.id for u in users}:
            users.append(db.session.get(User, linked_id))
        self.user_id.choices = [("", _("— Không liên kết —"))] + [
            (u.id, f"{u.display_name} ({u.username})") for u in users
        ]

    def fields(self, board: Board, role: str) -> MemberFields:
        """What the service needs; a reference that names no document of the unit is a ValidationError."""
        return MemberFields(
            person_name=self.person_name.data or "",
            role=role,
            starts_on=self.starts_on.data,
            position=self.position.data or "",
            phone=self.phone.data or "",
            email=self.email.data or "",
            user=db.session.get(User, self.user_id.data) if self.user_id.data else None,
            appointed_by=_document(board.unit, self.appointed_by_reference),
        )


class NewMemberForm(MemberDetailsForm):
    role = _role_select(_l("Vai trò trong Ban"))

    def fill_choices(self, board: Board, actor: User, linked_id: int | None = None) -> None:
        super().fill_choices(board, actor, linked_id)
        self.role.choices = role_choices(board)


class EditMemberForm(MemberDetailsForm):
    version = VersionField()


class EndForm(FlaskForm):
    """On a seat's page beside two other forms: its fields are prefixed ("end-ends_on") to keep ids unique."""

    ends_on = DayField(_l("Ngày cuối cùng tham gia"), description=DAY_HELP)
    version = VersionField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, prefix="end", **kwargs)


class RoleForm(FlaskForm):
    """Prefixed like EndForm ("role-changed_on")."""

    role = _role_select(_l("Vai trò mới"))
    changed_on = DayField(_l("Giữ vai trò mới từ ngày"), description=DAY_HELP)
    appointed_by_reference = StringField(_l("Quyết định phân công"), description=DECISION_HELP)
    version = VersionField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, prefix="role", **kwargs)

    def fill_choices(self, board: Board, current: MemberRole) -> None:
        self.role.choices = [(value, label) for value, label in role_choices(board) if value != current]

    def decision(self, board: Board) -> Document | None:
        """The appointing decision named, or a ValidationError on its field."""
        return _document(board.unit, self.appointed_by_reference)
