"""The unit dashboard (the full figures arrive with programs and tasks)."""

from flask import Blueprint, render_template, request
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from tracker.auth.access import EVERYONE, allow, check_scope
from tracker.extensions import db
from tracker.programs.models import Program, Task
from tracker.units.models import Unit
from tracker.units.services import subtree_select

bp = Blueprint("dashboards", __name__)


@bp.route("/")
@allow(EVERYONE)
def index():
    unit_id = request.args.get("unit_id", type=int) or current_user.unit_id
    unit = db.session.get(Unit, unit_id) if unit_id else None
    if unit is not None:
        check_scope(unit.id)
    programs = []
    if unit is not None:
        task_count = select(func.count(Task.id)).where(Task.program_id == Program.id).scalar_subquery()
        programs = db.session.execute(
            select(Program, task_count.label("task_count"))
            .where(Program.unit_id.in_(subtree_select(unit.id)), Program.is_archived.is_(False))
            .options(selectinload(Program.unit), selectinload(Program.basis_document))
            .order_by(Program.starts_on.desc().nulls_last(), Program.id)
        ).all()
    return render_template("dashboards/index.html", unit=unit, programs=programs)
