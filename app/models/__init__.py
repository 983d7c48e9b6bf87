"""All models, imported here so Alembic and the app see one metadata."""

from app.models.audit import AuditEvent, audit
from app.models.base import Base
from app.models.policies import Clause, ModerationMode, Policy, Section, Version, VersionStatus
from app.models.users import Role, User

__all__ = [
    "AuditEvent",
    "Base",
    "Clause",
    "ModerationMode",
    "Policy",
    "Role",
    "Section",
    "User",
    "Version",
    "VersionStatus",
    "audit",
]
