"""Imports every model so the metadata (and Alembic) sees the whole schema."""

from tracker.audit import AuditEvent
from tracker.auth.models import ApiToken, User
from tracker.boards.models import Board, Membership
from tracker.documents.models import Document
from tracker.programs.models import Program, Task, TaskUpdate
from tracker.services.models import PublicService, ServicePeriod
from tracker.sites.models import CheckIn, RetiredSiteCode, Site
from tracker.units.models import Unit

__all__ = [
    "ApiToken",
    "AuditEvent",
    "Board",
    "CheckIn",
    "Document",
    "Membership",
    "Program",
    "PublicService",
    "RetiredSiteCode",
    "ServicePeriod",
    "Site",
    "Task",
    "TaskUpdate",
    "Unit",
    "User",
]
