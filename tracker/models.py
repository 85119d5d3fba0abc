"""Imports every model so the metadata (and Alembic) sees the whole schema."""

# The session hooks that keep derived rows in step with the registries, in the writer's transaction.
import tracker.programs.figures  # noqa: F401
import tracker.programs.live  # noqa: F401
from tracker.audit import AuditEvent
from tracker.auth.models import ApiToken, User
from tracker.boards.models import Board, Membership
from tracker.dashboards.models import DashboardFragment
from tracker.documents.models import Document
from tracker.programs.models import Program, ProgramFigures, Task, TaskUpdate
from tracker.public_services.models import PublicService, ServicePeriod
from tracker.reports.models import Report, ReportSchedule
from tracker.settings import Setting
from tracker.sites.models import CheckIn, RetiredSiteCode, Site
from tracker.units.models import Unit

__all__ = [
    "ApiToken",
    "AuditEvent",
    "Board",
    "CheckIn",
    "DashboardFragment",
    "Document",
    "Membership",
    "Program",
    "ProgramFigures",
    "PublicService",
    "Report",
    "ReportSchedule",
    "RetiredSiteCode",
    "ServicePeriod",
    "Setting",
    "Site",
    "Task",
    "TaskUpdate",
    "Unit",
    "User",
]
