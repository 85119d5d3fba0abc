"""Administrative units: browse and search the tree, a unit's page, and (admin) load and merge."""

from flask import Blueprint, abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import false
from sqlalchemy.orm import selectinload

from tracker import audit
from tracker.auth.access import (
    ADMINS,
    EVERYONE,
    MANAGERS,
    allow,
    can_manage,
    check_manage,
    check_scope,
    in_scope,
    name_scope,
)
from tracker.auth.models import Role
from tracker.extensions import db
from tracker.formatting import number
from tracker.forms import query_id, round_trip
from tracker.units import names, services
from tracker.units.forms import MergeForm, UnitFilterForm, UnitForm
from tracker.units.models import Unit, UnitKind

bp = Blueprint("units", __name__, url_prefix="/units")

KINDS = frozenset(k.value for k in UnitKind)
SUGGESTED = 10


@bp.route("/")
@allow(EVERYONE)
def index():
    form = UnitFilterForm(formdata=request.args)
    query = (form.q.data or "").strip()
    kind = form.kind.data if form.kind.data in KINDS else None
    is_admin = current_user.role == Role.ADMIN
    root = None
    parent_id = query_id("parent_id")
    if parent_id:
        root = db.get_or_404(Unit, parent_id)
        check_scope(root.id)
    elif not is_admin:
        root = current_user.unit
    searching = bool(query or kind)
    if searching:
        stmt = services.search(query, kind, within=root.id if root else None)
    elif root is not None:
        stmt = services.below_select(root.id)
    else:
        stmt = services.search().where(Unit.parent_id.is_(None))
    if root is None and not is_admin:
        stmt = stmt.where(false())  # an account without a unit sees no unit
    stmt = stmt.options(selectinload(Unit.parent), selectinload(Unit.merged_into))
    page = db.paginate(stmt, per_page=current_app.config["PER_PAGE"])
    counts = services.below_counts([u.id for u in page.items])
    return render_template(
        "units/index.html",
        form=form,
        page=page,
        root=root,
        root_parent_readable=root is not None and in_scope(current_user, root.parent_id),
        searching=searching,
        below_counts=counts,
    )


@bp.route("/suggest")
@allow(EVERYONE)
def suggest():
    """JSON suggestions for a unit field: up to SUGGESTED units in the user's scope whose name or code matches q."""
    query = (request.args.get("q") or "").strip()[:100]
    if len(query) < 2:
        return jsonify(items=[])
    within = name_scope(current_user)
    if within is None and current_user.role != Role.ADMIN:
        return jsonify(items=[])
    stmt = services.search(query, within=within).options(selectinload(Unit.parent)).limit(SUGGESTED)
    units = db.session.scalars(stmt).all()
    return jsonify(
        items=[{"value": names.unit_choice(u), "label": f"{u.kind.label} · {u.search_name}", "id": u.id} for u in units]
    )


@bp.route("/<int:unit_id>")
@allow(EVERYONE)
def show(unit_id: int):
    unit = db.session.get(
        Unit,
        unit_id,
        options=[selectinload(Unit.children).selectinload(Unit.merged_into), selectinload(Unit.predecessors)],
    )
    if unit is None:
        abort(404)
    check_scope(unit.id)
    return render_template(
        "units/show.html",
        unit=unit,
        readable=lambda other_id: in_scope(current_user, other_id),
        events=audit.history("units", unit.id),
        may_manage=can_manage(current_user, unit.id),
    )


@bp.route("/new", methods=["GET", "POST"])
@allow(MANAGERS)
def create():
    own = current_user.unit
    form = UnitForm(parent=request.args.get("parent") or (names.unit_ref(own) if own else ""))

    def save():
        parent = names.find_unit(form.parent.data, "parent", name_scope(current_user))
        check_manage(parent.id)
        return services.create_unit(
            form.name.data, form.kind.data, parent, code=form.code.data, valid_from=form.valid_from.data
        )

    def done(unit: Unit):
        flash(_("Đã thêm đơn vị “%(name)s”.", name=unit.name), "success")
        return redirect(url_for("units.show", unit_id=unit.id))

    return round_trip(form, save, lambda: render_template("units/form.html", form=form), done)


@bp.route("/merge", methods=["GET", "POST"])
@allow(ADMINS)
def merge():
    form = MergeForm(sources=request.args.get("sources", ""), into=request.args.get("into", ""))

    def save():
        sources = names.find_units(form.sources.data, "sources")
        into = names.find_unit(form.into.data, "into")
        return sources, into, services.merge(sources, into, form.on.data, keep_seats=form.keep_seats.data)

    def done(result):
        sources, into, moved = result
        flash(
            _(
                "Đã sáp nhập %(names)s vào “%(into)s”: %(sites)s điểm QR chuyển sang đơn vị tiếp nhận, "
                "%(seats)s thành viên Ban thôi tham gia.",
                names=", ".join(u.name for u in sources),
                into=into.name,
                sites=number(moved.sites_moved),
                seats=number(moved.seats_ended),
            ),
            "success",
        )
        return redirect(url_for("units.show", unit_id=into.id))

    return round_trip(form, save, lambda: render_template("units/merge.html", form=form), done)


@bp.route("/load", methods=["POST"])
@allow(ADMINS)
def load():
    counts = services.load_official_units()
    db.session.commit()
    flash(
        _(
            "Đã nạp danh mục đơn vị hành chính: %(created)s mới, %(updated)s cập nhật, %(unchanged)s không đổi.",
            created=number(counts["created"]),
            updated=number(counts["updated"]),
            unchanged=number(counts["unchanged"]),
        ),
        "success",
    )
    return redirect(url_for("units.index"))
