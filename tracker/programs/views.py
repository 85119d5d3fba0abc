"""Programs, tasks and updates: the list, a program's task tree with its explainable figures, a task's page
with its chart and update form, and the forms that create and edit them.

Every number shown comes from progress.evaluate / evaluate_task and the rules; the views only arrange it.
"""

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from tracker import audit
from tracker.auth.access import (
    EVERYONE,
    MANAGERS,
    STAFF,
    allow,
    can_manage,
    check_manage,
    check_scope,
    load_in_scope,
    name_scope,
    scope_unit_ids,
)
from tracker.auth.models import User
from tracker.db import Saved, get_row
from tracker.documents import services as document_services
from tracker.documents.services import find_document
from tracker.extensions import db
from tracker.forms import query_id, round_trip
from tracker.programs import progress, rules, services
from tracker.programs.chart import value_chart
from tracker.programs.forms import (
    EditProgramForm,
    EditTaskForm,
    LifecycleForm,
    NewProgramForm,
    ProgramFilterForm,
    TaskFilterForm,
    TaskForm,
    UpdateForm,
)
from tracker.programs.models import Lifecycle, MeasureKind, Program, Task, TaskSource, TaskUpdate
from tracker.programs.rules import Status
from tracker.sites.models import SiteKind
from tracker.units.models import Unit
from tracker.units.names import find_unit, unit_ref
from tracker.units.services import subtree_select

bp = Blueprint("programs", __name__)

STALE = _l("Nhiệm vụ này vừa được người khác cập nhật hoặc sửa. Hãy tải lại trang để xem bản mới nhất rồi làm lại.")


# --- helpers -----------------------------------------------------------------------------------------


def _owners_by_task(tasks: list[Task]) -> dict[int, list[tuple[str, str]]]:
    """{task id: [(filter key, name)]}: owners are loaded with the tasks by progress.evaluate."""
    owners = {}
    for task in tasks:
        found = []
        if task.owner_name:
            found.append((f"name:{task.owner_name}", task.owner_name))
        if task.owner_member is not None:
            found.append((f"member:{task.owner_member_id}", task.owner_member.person_name))
        if task.owner_user is not None:
            found.append((f"user:{task.owner_user_id}", task.owner_user.display_name))
        owners[task.id] = found
    return owners


def _visible(states, owners, *, status: str | None, owner: str | None, category: str | None):
    """[(state, matches)]: the tasks matching the filters, with their ancestors kept so the tree still reads."""
    if not (status or owner or category):
        return [(s, True) for s in states]

    def matches(state) -> bool:
        return (
            (not status or state.status.value == status)
            and (not category or state.task.category.value == category)
            and (not owner or owner in {key for key, _name in owners[state.task.id]})
        )

    parents = {s.task.id: s.task.parent_id for s in states}
    matched = {s.task.id for s in states if matches(s)}
    keep = set(matched)
    for task_id in matched:
        parent = parents[task_id]
        while parent is not None and parent not in keep:
            keep.add(parent)
            parent = parents[parent]
    return [(s, s.task.id in matched) for s in states if s.task.id in keep]


# --- programs ----------------------------------------------------------------------------------------


@bp.route("/programs/")
@allow(EVERYONE)
def index():
    form = ProgramFilterForm(formdata=request.args)
    unit = None
    unit_id = query_id("unit_id")
    if unit_id:
        unit = get_row(Unit, unit_id)
        if unit is None:
            abort(404)
        check_scope(unit.id)
    stmt = select(Program).options(selectinload(Program.unit), selectinload(Program.basis_document))
    scope = scope_unit_ids(current_user, unit)
    if scope is not None:
        stmt = stmt.where(Program.unit_id.in_(scope))
    if form.archived.data != "all":
        stmt = stmt.where(Program.is_archived.is_(form.archived.data == "1"))
    stmt = stmt.order_by(Program.starts_on.desc().nulls_last(), Program.id.desc())
    page = db.paginate(stmt, per_page=current_app.config["PER_PAGE"])
    states = progress.evaluate(list(page.items))
    return render_template(
        "programs/index.html",
        form=form,
        page=page,
        states=states,
        unit=unit,
        may_create=current_user.role in MANAGERS,
    )


@bp.route("/programs/new", methods=["GET", "POST"])
@allow(MANAGERS)
def create():
    default_unit = request.args.get("unit") or (unit_ref(current_user.unit) if current_user.unit else "")
    form = NewProgramForm(unit=default_unit)

    def save():
        unit = find_unit(form.unit.data, "unit", name_scope(current_user))
        check_manage(unit.id)
        return services.create_program(
            unit,
            form.title.data or "",
            basis_document=find_document(unit, form.basis_reference.data, "basis_reference"),
            starts_on=form.starts_on.data,
            ends_on=form.ends_on.data,
            is_public=form.is_public.data,
        )

    def done(program: Program):
        flash(_("Đã thêm chương trình “%(title)s”.", title=program.title), "success")
        return redirect(url_for("programs.show", program_id=program.id))

    return round_trip(form, save, lambda: render_template("programs/form.html", form=form, program=None), done)


@bp.route("/programs/<int:program_id>")
@allow(EVERYONE)
def show(program_id: int):
    program = load_in_scope(Program, program_id)
    state = progress.evaluate_program(program)
    owners = _owners_by_task([s.task for s in state.tasks])
    form = TaskFilterForm(formdata=request.args)
    form.owner.choices = [("", _("Tất cả"))] + sorted(
        {pair for found in owners.values() for pair in found}, key=lambda pair: (pair[1], pair[0])
    )
    rows = _visible(state.tasks, owners, status=form.status.data, owner=form.owner.data, category=form.category.data)
    gaps = [(s, rules.missing_five_r(s.task)) for s in state.tasks if s.status != Status.CANCELLED]
    return render_template(
        "programs/show.html",
        program=program,
        state=state,
        rows=rows,
        filtered=bool(form.status.data or form.owner.data or form.category.data),
        matched=sum(1 for _state, matches in rows if matches),
        owners=owners,
        gaps=[(s, missing) for s, missing in gaps if missing],
        form=form,
        may_manage=can_manage(current_user, program.unit_id),
        events=audit.history("programs", program.id),
    )


@bp.route("/programs/<int:program_id>/edit", methods=["GET", "POST"])
@allow(MANAGERS)
def edit(program_id: int):
    program = load_in_scope(Program, program_id, manage=True)
    basis = program.basis_document.reference if program.basis_document else ""
    form = EditProgramForm(obj=program, basis_reference=basis)

    def save():
        services.update_program(
            program,
            expected_version=form.version.number,
            title=form.title.data or "",
            basis_document=find_document(program.unit, form.basis_reference.data, "basis_reference"),
            starts_on=form.starts_on.data,
            ends_on=form.ends_on.data,
            is_public=form.is_public.data,
            is_archived=form.is_archived.data,
        )

    def done(_result):
        flash(_("Đã lưu chương trình “%(title)s”.", title=program.title), "success")
        return redirect(url_for("programs.show", program_id=program.id))

    return round_trip(
        form,
        save,
        lambda: render_template("programs/form.html", form=form, program=program),
        done,
        stale=_("Chương trình này vừa được người khác sửa. Hãy tải lại trang để xem bản mới nhất rồi sửa lại."),
    )


# --- tasks -------------------------------------------------------------------------------------------


def _saved(saved: Saved, message: str):
    """Flash the success and the service's warnings (they never block), then go to the task."""
    flash(message, "success")
    for warning in saved.warnings:
        flash(warning, "warning")
    return redirect(url_for("programs.task_show", task_id=saved.row.id))


@bp.route("/programs/<int:program_id>/tasks/new", methods=["GET", "POST"])
@allow(MANAGERS)
def task_new(program_id: int):
    program = load_in_scope(Program, program_id, manage=True)
    form = TaskForm(parent_id=query_id("parent"))
    form.fill_choices(program, None)
    return round_trip(
        form,
        lambda: services.create_task(program, form.fields()),
        lambda: render_template("programs/task_form.html", form=form, program=program, task=None),
        lambda saved: _saved(saved, _("Đã thêm nhiệm vụ “%(title)s”.", title=saved.row.title)),
        field_of={"parent": "parent_id"},
    )


@bp.route("/tasks/<int:task_id>/edit", methods=["GET", "POST"])
@allow(MANAGERS)
def task_edit(task_id: int):
    task = load_in_scope(Task, task_id, manage=True)
    form = EditTaskForm(obj=task)
    form.fill_choices(task.program, task)
    if task.children:
        form.rolled_up(task)
    return round_trip(
        form,
        lambda: services.update_task(task, form.fields(), expected_version=form.version.number),
        lambda: render_template("programs/task_form.html", form=form, program=task.program, task=task),
        lambda saved: _saved(saved, _("Đã lưu nhiệm vụ “%(title)s”.", title=task.title)),
        stale=STALE,
        field_of={"parent": "parent_id"},
    )


@bp.route("/tasks/<int:task_id>/lifecycle", methods=["POST"])
@allow(MANAGERS)
def task_lifecycle(task_id: int):
    task = load_in_scope(Task, task_id, manage=True)
    form = LifecycleForm()

    def done(_result):
        flash(_("Nhiệm vụ “%(title)s”: %(state)s.", title=task.title, state=task.lifecycle.label), "success")
        return redirect(url_for("programs.task_show", task_id=task.id))

    return round_trip(
        form,
        lambda: services.set_lifecycle(
            task, form.lifecycle.data, form.reason.data or "", expected_version=form.version.number
        ),
        lambda: _render_task(task, lifecycle_form=form)[0],
        done,
        stale=STALE,
    )


# --- the task page and its updates -------------------------------------------------------------------


def _updatable(task: Task, state: progress.TaskState) -> bool:
    """Values are typed only on manual tasks without sub-tasks that are not cancelled."""
    return task.source == TaskSource.MANUAL and task.lifecycle != Lifecycle.CANCELLED and not state.children


def _render_task(task: Task, *, update_form=None, lifecycle_form=None, status: int = 200):
    state = progress.evaluate_task(task)
    may_manage = can_manage(current_user, task.unit_id)
    if update_form is None and _updatable(task, state) and services.may_update(current_user, task):
        update_form = UpdateForm(formdata=None, version=task.version)
    if update_form is not None and task.measure_kind == MeasureKind.MILESTONE:
        update_form.value.label.text = _("Tỷ lệ đã làm được (%)")
    if lifecycle_form is None and may_manage:
        lifecycle_form = LifecycleForm(formdata=None, version=task.version)
    updates = db.session.scalars(
        select(TaskUpdate)
        .where(TaskUpdate.task_id == task.id)
        .options(selectinload(TaskUpdate.evidence_document))
        .order_by(TaskUpdate.at.desc(), TaskUpdate.id.desc())
    ).all()
    user_ids = {u.user_id for u in updates if u.user_id}
    authors = (
        {u.id: u.display_name for u in db.session.scalars(select(User).where(User.id.in_(user_ids)))}
        if user_ids
        else {}
    )
    documents = []  # offered as evidence in the update form, newest first
    if update_form is not None:
        documents = db.session.scalars(document_services.search(unit_ids=subtree_select(task.unit_id)).limit(50)).all()
    html = render_template(
        "programs/task_show.html",
        task=task,
        state=state,
        owners=_owners_by_task([task])[task.id],
        gaps=rules.missing_five_r(task),
        chart=None if state.children else value_chart(state, width=480, height=260),
        updates=updates,
        authors=authors,
        documents=documents,
        site_kind=SiteKind(task.source_site_kind).label if task.source_site_kind else None,
        update_form=update_form,
        lifecycle_form=lifecycle_form,
        may_manage=may_manage,
        events=audit.history("tasks", task.id),
    )
    return html, status


@bp.route("/tasks/<int:task_id>")
@allow(EVERYONE)
def task_show(task_id: int):
    return _render_task(load_in_scope(Task, task_id))


@bp.route("/tasks/<int:task_id>/updates", methods=["POST"])
@allow(STAFF)
def task_update(task_id: int):
    task = load_in_scope(Task, task_id)
    if not services.may_update(current_user, task):
        abort(403)
    form = UpdateForm()

    def save():
        try:
            return services.add_update(
                task,
                current_user,
                form.value_for(task.measure_kind),
                note=form.note.data or "",
                evidence_document=find_document(task.program.unit, form.evidence_reference.data, "evidence_reference"),
                evidence_url=form.evidence_url.data,
                expected_version=form.version.number,
                confirmed=form.confirm.data,
            )
        except services.NeedsConfirmation:
            form.ask_confirm = True  # the form shows the "I confirm this value" box
            raise

    def done(_result):
        flash(_("Đã cập nhật tiến độ “%(title)s”.", title=task.title), "success")
        return redirect(url_for("programs.task_show", task_id=task.id))

    return round_trip(
        form,
        save,
        lambda: _render_task(task, update_form=form)[0],
        done,
        stale=STALE,
        field_of={"evidence_document": "evidence_reference"},
    )
