"""What the public progress pages read: public programs only, their figures, and the registries' counts.

Nothing here returns a person: no owner, no update note, no member, no contact (DESIGN §11). The templates show
only what these functions hand them plus the programs' own fields.
"""

from dataclasses import dataclass, replace
from datetime import date

from sqlalchemy import select

from tracker.dashboards import queries as registries
from tracker.db import get_row
from tracker.extensions import db
from tracker.programs.models import Program, TaskCategory
from tracker.programs.progress import ProgramState, TaskState, evaluate
from tracker.programs.rules import Figure
from tracker.units.services import UnitGraph


def unlinked(figure: Figure) -> Figure:
    """The figure with the links of its items dropped: they lead to staff pages a visitor cannot open."""
    return replace(figure, items=[replace(item, url=None) for item in figure.items])


def published(program: Program | None) -> bool:
    return program is not None and program.is_public and not program.is_archived


@dataclass
class Registries:
    """The unit's QR points and online services, over its subtree (as on its dashboard)."""

    qr: registries.QrPanel
    services: registries.ServicesPanel


def unit_registries(graph: UnitGraph, unit_id: int, today: date) -> Registries:
    subtree = graph.subtree(unit_id)
    return Registries(registries.qr_points(subtree, today), registries.online_services(subtree))


@dataclass
class PublicProgram:
    """A program as the public sees it: its progress, due-task completion and on-time rate, links dropped."""

    state: ProgramState
    progress: Figure
    completion: Figure
    on_time: Figure

    @classmethod
    def of(cls, state: ProgramState) -> "PublicProgram":
        return cls(state, unlinked(state.progress), unlinked(state.completion), unlinked(state.on_time))

    @property
    def program(self) -> Program:
        return self.state.program

    @property
    def ended(self) -> bool:
        return self.state.ended

    @property
    def targets(self) -> list[TaskState]:
        """The program's indicators (chỉ tiêu): plan, result, achievement."""
        return [s for s in self.state.tasks if s.task.category == TaskCategory.INDICATOR]


def program_page(program_id: int, graph: UnitGraph, today: date) -> PublicProgram | None:
    """The public program with its figures, or None when it is unknown, private or archived (all alike)."""
    program = get_row(Program, program_id)
    if not published(program):
        return None
    return PublicProgram.of(evaluate([program], today, graph)[program.id])


def unit_programs(graph: UnitGraph, unit_id: int, today: date) -> list[PublicProgram]:
    """The unit's own public programs (its predecessors' too), current ones first, then the ended ones (the latest
    to end first), each with its figures; an ended program keeps its final ones (progress.evaluate)."""
    programs = db.session.scalars(
        select(Program)
        .where(
            Program.unit_id.in_(graph.own(unit_id)),
            Program.is_public.is_(True),
            Program.is_archived.is_(False),
        )
        .order_by(Program.title, Program.id)
    ).all()
    states = evaluate(list(programs), today, graph)
    pages = [PublicProgram.of(states[p.id]) for p in programs]
    current = [p for p in pages if not p.state.ended]
    ended = sorted((p for p in pages if p.state.ended), key=lambda p: -p.program.ends_on.toordinal())
    return current + ended
