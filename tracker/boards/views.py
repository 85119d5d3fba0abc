"""Boards (Ban chỉ đạo, Tổ giúp việc) and their memberships: the list with staffing, a board's page with its
members by role, past members and history, the board and member forms, ending a seat and changing a role,
the member list as a decision's appendix (XLSX), and the member import (upload → preview → confirm).

Every rule is in tracker.boards.services; the views load, check access, call one service and flash.
"""

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from tracker import audit, downloads, imports
from tracker.auth.access import (
    EVERYONE,
    MANAGERS,
    allow,
    can_manage,
    check_manage,
    check_scope,
    load_in_scope,
    name_scope,
    scope_unit_ids,
)
from tracker.boards import export, services
from tracker.boards.forms import (
    FIELD_OF,
    BoardFilterForm,
    EditBoardForm,
    EditMemberForm,
    EndForm,
    NewBoardForm,
    NewMemberForm,
    RoleForm,
)
from tracker.boards.imports import COLUMNS, MemberImport
from tracker.boards.models import Board, BoardKind, Membership
from tracker.db import get_row, local_today
from tracker.errors import ValidationError
from tracker.extensions import db
from tracker.formatting import number, vn_date
from tracker.forms import query_id, round_trip, show_errors
from tracker.programs.live import tasks_fed_by_board
from tracker.units.models import Unit
from tracker.units.names import find_unit, unit_ref
from tracker.units.services import subtree_select

bp = Blueprint("boards", __name__, url_prefix="/boards")

STALE_BOARD = _l("Ban này vừa được người khác sửa. Hãy tải lại trang để xem bản mới nhất rồi làm lại.")
STALE_MEMBER = _l("Thành viên này vừa được người khác sửa. Hãy tải lại trang để xem bản mới nhất rồi làm lại.")


def _saved(saved, message: str, board: Board):
    """Flash the success and the service's warnings (they never block), then go to the board."""
    flash(message, "success")
    for warning in saved.warnings:
        flash(warning, "warning")
    return redirect(url_for("boards.show", board_id=board.id))


# --- the list ----------------------------------------------------------------------------------------------


@bp.route("/")
@allow(EVERYONE)
def index():
    form = BoardFilterForm(formdata=request.args)
    unit, unit_ids, status = current_user.unit, scope_unit_ids(current_user), 200
    if form.unit.data:
        try:
            unit = find_unit(form.unit.data, "unit", name_scope(current_user))
            check_scope(unit.id)
            unit_ids = subtree_select(unit.id)
        except ValidationError as exc:
            show_errors(form, exc)
            unit, unit_ids, status = None, [], 400
    page = db.paginate(services.search(unit_ids, form.kind.data), per_page=current_app.config["PER_PAGE"])
    html = render_template(
        "boards/index.html",
        form=form,
        page=page,
        unit=unit,
        counts=services.current_counts([b.id for b in page.items], local_today()),
        may_create=current_user.role in MANAGERS,
    )
    return html, status


# --- boards ------------------------------------------------------------------------------------------------


@bp.route("/new", methods=["GET", "POST"])
@allow(MANAGERS)
def create():
    parent = get_row(Board, query_id("parent"))
    if parent is not None and not can_manage(current_user, parent.unit_id):
        parent = None
    default_unit = parent.unit if parent is not None else current_user.unit
    if request.args.get("unit"):
        default_unit = _unit_or_none(request.args["unit"]) or default_unit
    form = NewBoardForm(
        unit=unit_ref(default_unit) if default_unit else "",
        kind=BoardKind.WORKING_GROUP.value if parent is not None else BoardKind.STEERING_BOARD.value,
        parent_board_id=parent.id if parent is not None else None,
    )
    typed = _unit_or_none(form.unit.data) if form.is_submitted() and form.unit.data else None
    form.fill_choices(typed or default_unit)  # the parents offered are the steering boards of the unit typed

    def save():
        unit = find_unit(form.unit.data, "unit", name_scope(current_user))
        check_manage(unit.id)
        return services.create_board(unit, form.fields(unit))

    def done(board: Board):
        flash(_("Đã thành lập “%(name)s”.", name=board.name), "success")
        return redirect(url_for("boards.show", board_id=board.id))

    return round_trip(
        form, save, lambda: render_template("boards/form.html", form=form, board=None), done, field_of=FIELD_OF
    )


def _unit_or_none(ref: str) -> Unit | None:
    """The unit a link names, when the user manages it (its steering boards are offered as parents)."""
    try:
        unit = find_unit(ref, "unit", name_scope(current_user))
    except ValidationError:
        return None
    return unit if can_manage(current_user, unit.id) else None


@bp.route("/<int:board_id>")
@allow(EVERYONE)
def show(board_id: int):
    board = load_in_scope(Board, board_id)
    groups = db.session.scalars(
        select(Board).where(Board.parent_board_id == board.id).order_by(Board.name, Board.id)
    ).all()
    tasks = tasks_fed_by_board(board.id)
    return render_template(
        "boards/show.html",
        board=board,
        roster=services.roster(board, local_today()),
        groups=groups,
        tasks=tasks,
        may_manage=can_manage(current_user, board.unit_id),
        events=audit.history("boards", board.id),
    )


@bp.route("/<int:board_id>/edit", methods=["GET", "POST"])
@allow(MANAGERS)
def edit(board_id: int):
    board = load_in_scope(Board, board_id, manage=True)
    reference = board.established_by.reference if board.established_by else ""
    form = EditBoardForm(obj=board, established_by_reference=reference)
    form.fill_choices(board.unit, board)

    def done(_result):
        flash(_("Đã lưu “%(name)s”.", name=board.name), "success")
        return redirect(url_for("boards.show", board_id=board.id))

    return round_trip(
        form,
        lambda: services.update_board(board, form.fields(board.unit), expected_version=form.version.number),
        lambda: render_template("boards/form.html", form=form, board=board),
        done,
        stale=STALE_BOARD,
        field_of=FIELD_OF,
    )


# --- members -----------------------------------------------------------------------------------------------


@bp.route("/<int:board_id>/members/new", methods=["GET", "POST"])
@allow(MANAGERS)
def member_new(board_id: int):
    board = load_in_scope(Board, board_id, manage=True)
    form = NewMemberForm(starts_on=local_today())
    form.fill_choices(board, current_user)

    def done(saved):
        return _saved(saved, _("Đã thêm %(name)s vào %(board)s.", name=saved.row.person_name, board=board.name), board)

    return round_trip(
        form,
        lambda: services.add_member(board, form.fields(board, form.role.data), actor=current_user),
        lambda: render_template("boards/member_form.html", form=form, board=board),
        done,
        field_of=FIELD_OF,
    )


def _render_member(membership: Membership, *, details=None, end=None, role=None, status: int = 200):
    """A seat's page: its details form, ending it, changing its role (for a seat not yet over), its history."""
    board = membership.board
    if details is None:
        reference = membership.appointed_by.reference if membership.appointed_by else ""
        details = EditMemberForm(obj=membership, appointed_by_reference=reference)
    details.fill_choices(board, current_user, membership.user_id)
    open_seat = membership.ends_on is None or membership.ends_on >= local_today()
    if open_seat:
        end = end or EndForm(formdata=None, version=membership.version)
        role = role or RoleForm(formdata=None, version=membership.version, changed_on=local_today())
        role.fill_choices(board, membership.role)
    html = render_template(
        "boards/member.html",
        membership=membership,
        board=board,
        details=details,
        end_form=end,
        role_form=role,
        events=audit.history("memberships", membership.id),
    )
    return html, status


def _member_round_trip(membership: Membership, form, slot: str, save, done):
    """A form of a seat's page: shown again in its place with its errors (400), or a stale version above it (409)."""
    return round_trip(
        form, save, lambda: _render_member(membership, **{slot: form})[0], done, stale=STALE_MEMBER, field_of=FIELD_OF
    )


@bp.route("/members/<int:membership_id>/edit", methods=["GET", "POST"])
@allow(MANAGERS)
def member_edit(membership_id: int):
    membership = load_in_scope(Membership, membership_id, manage=True)
    if request.method == "GET":
        return _render_member(membership)
    form = EditMemberForm()
    form.fill_choices(membership.board, current_user, membership.user_id)

    def save():
        fields = form.fields(membership.board, membership.role)
        return services.update_member(membership, fields, expected_version=form.version.number, actor=current_user)

    def done(saved):
        return _saved(saved, _("Đã lưu thông tin của %(name)s.", name=membership.person_name), membership.board)

    return _member_round_trip(membership, form, "details", save, done)


@bp.route("/members/<int:membership_id>/end", methods=["POST"])
@allow(MANAGERS)
def member_end(membership_id: int):
    membership = load_in_scope(Membership, membership_id, manage=True)
    form = EndForm()

    def done(_result):
        name, board, day = membership.person_name, membership.board.name, vn_date(membership.ends_on)
        flash(_("%(name)s thôi tham gia %(board)s sau ngày %(day)s.", name=name, board=board, day=day), "success")
        return redirect(url_for("boards.show", board_id=membership.board_id))

    def save():
        return services.end_membership(membership, form.ends_on.data, expected_version=form.version.number)

    return _member_round_trip(membership, form, "end", save, done)


@bp.route("/members/<int:membership_id>/role", methods=["POST"])
@allow(MANAGERS)
def member_role(membership_id: int):
    membership = load_in_scope(Membership, membership_id, manage=True)
    board = membership.board
    form = RoleForm()
    form.fill_choices(board, membership.role)

    def save():
        return services.change_role(
            membership,
            form.role.data,
            form.changed_on.data,
            appointed_by=form.decision(board),
            expected_version=form.version.number,
            actor=current_user,
        )

    def done(saved):
        seat = saved.row
        message = _("%(name)s giữ vai trò %(role)s từ ngày %(day)s.", name=seat.person_name, role=seat.role.label,
                    day=vn_date(seat.starts_on))  # fmt: skip
        return _saved(saved, message, board)

    return _member_round_trip(membership, form, "role", save, done)


# --- the appendix and the import ---------------------------------------------------------------------------


@bp.get("/<int:board_id>/members.xlsx")
@allow(EVERYONE)
def export_xlsx(board_id: int):
    board = load_in_scope(Board, board_id)
    body = export.members_xlsx(board, services.members(board, "current", local_today()))
    return downloads.attachment(body, downloads.XLSX_MIMETYPE, f"danh-sach-thanh-vien-ban-{board.id}.xlsx")


class MemberImportFlow(imports.ImportFlow):
    """The members of one board, added from a file (a seat per row; a row never ends or changes a seat)."""

    kind = MemberImport.kind
    columns = COLUMNS
    title = _l("Nhập thành viên từ tệp")
    sheet = _l("Thành viên")
    template_name = "mau-nhap-thanh-vien"
    endpoint = "boards.import_"

    def __init__(self, board_id: int | None = None):
        super().__init__(board_id=board_id)
        self.board = load_in_scope(Board, board_id, manage=True)

    def options(self, form: imports.UploadForm) -> dict:
        return {"board_id": self.board.id}

    def importer(self, options: dict) -> MemberImport:
        if options.get("board_id") != self.board.id:
            raise ValidationError({"file": _("Tệp này được tải lên cho một Ban khác.")})
        return MemberImport(self.board, current_user)

    def context(self, importer: MemberImport | None) -> str:
        return _("Thêm vào: %(board)s (%(unit)s)", board=self.board.name, unit=self.board.unit.name)

    def back_url(self) -> str:
        return url_for("boards.show", board_id=self.board.id)

    def done(self, importer: MemberImport, counts: dict[str, int], result: imports.Preview):
        board = self.board
        flash(_("Đã thêm %(n)s thành viên vào %(board)s.", n=number(counts[imports.NEW]), board=board.name), "success")
        for row in result.rows:
            for warning in row.warnings:
                flash(_("Dòng %(n)d: %(msg)s", n=row.number, msg=warning), "warning")
        return redirect(url_for("boards.show", board_id=board.id))


imports.add_routes(bp, MemberImportFlow, "/<int:board_id>/import", MANAGERS, "/import/template.<any(xlsx, csv):fmt>")
